//! Fictional free text built from templates: the exposé de la situation and the CRIP's
//! observation. Placeholders: `{E}` the children (« Léa Martin (7 ans) et Noé Martin (4 ans) »),
//! `{C}` the commune, `{M}`/`{m}` the mother, `{F}`/`{f}` the father, `{P}`/`{p}` the
//! first child's first name, `{K}`/`{k}` « Les enfants » or « L'enfant », `{dk}` « des enfants »
//! or « de l'enfant » (capitalised forms for the start of a sentence); agreement: `{e}` (the
//! first child is a girl), `{s}` and `{nt}` (several children).

use rand::Rng;

use crate::catalog::{MotifKind, SourceKind};

/// What the templates may name.
#[derive(Debug)]
pub(crate) struct TextCtx<'a> {
    pub children: &'a str,
    pub commune: &'a str,
    /// « Mme Martin », or empty when there is no mother in the dossier.
    pub mother: &'a str,
    /// « M. Dubois », or empty.
    pub father: &'a str,
    /// First name of the first named child, or empty.
    pub child: &'a str,
    /// The first named child is a girl (`{e}` → « e »).
    pub fem: bool,
    /// Several children (`{s}` → « s »).
    pub plural: bool,
}

fn pick<'a, R: Rng>(rng: &mut R, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

fn or_default<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.is_empty() { default } else { v }
}

/// Appends a template with its placeholders replaced.
pub(crate) fn fill(out: &mut String, tpl: &str, c: &TextCtx<'_>) {
    let mut rest = tpl;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(len) = rest[i..].find('}') else {
            break;
        };
        let value = match &rest[i + 1..i + len] {
            "E" => c.children,
            "C" => c.commune,
            "M" => or_default(c.mother, "La mère"),
            "m" => or_default(c.mother, "la mère"),
            "F" => or_default(c.father, "Le père"),
            "f" => or_default(c.father, "le père"),
            "P" => or_default(c.child, "L'enfant"),
            "p" => or_default(c.child, "l'enfant"),
            "K" if c.plural => "Les enfants",
            "K" => "L'enfant",
            "k" if c.plural => "les enfants",
            "k" => "l'enfant",
            "dk" if c.plural => "des enfants",
            "dk" => "de l'enfant",
            "nt" if c.plural => "nt",
            "e" if c.fem => "e",
            "s" if c.plural => "s",
            _ => "",
        };
        out.push_str(value);
        rest = &rest[i + len + 1..];
    }
    out.push_str(rest);
}

fn openings(k: SourceKind) -> &'static [&'static str] {
    match k {
        SourceKind::School => &[
            "L'établissement scolaire transmet une information préoccupante concernant {E}.",
            "La directrice de l'école fait part de ses inquiétudes au sujet de {E}.",
            "Le collège signale la situation de {E}, domicilié{s} à {C}.",
            "L'infirmière scolaire alerte sur la situation de {E}.",
        ],
        SourceKind::Health => &[
            "Le service de pédiatrie fait part de ses inquiétudes au sujet de {E}.",
            "Le médecin traitant signale la situation de {E}.",
            "La PMI de secteur transmet une information préoccupante concernant {E}.",
            "Le centre médico-psychologique alerte sur la situation de {E}.",
        ],
        SourceKind::Police => &[
            "Les services de gendarmerie sont intervenus au domicile familial, à {C}, où vivent {E}.",
            "Le commissariat transmet une information concernant {E} à la suite d'une intervention de nuit.",
            "Une patrouille a été appelée au domicile de {E} pour un différend familial.",
        ],
        SourceKind::Social => &[
            "L'assistante sociale de secteur transmet une information préoccupante concernant {E}.",
            "Le CCAS de {C} fait part de ses inquiétudes au sujet de {E}.",
            "La conseillère en économie sociale et familiale qui accompagne la famille signale la situation de {E}.",
        ],
        SourceKind::Association => &[
            "Une association d'aide aux familles signale la situation de {E}.",
            "L'équipe de prévention spécialisée transmet une information préoccupante concernant {E}.",
        ],
        SourceKind::Family => &[
            "Un membre de la famille s'inquiète de la situation de {E}.",
            "La grand-mère maternelle appelle le service au sujet de {E}.",
            "Une tante des enfants signale la situation de {E}.",
        ],
        SourceKind::Neighbour => &[
            "Une voisine signale des cris et des pleurs fréquents au domicile de {E}, à {C}.",
            "Un voisin s'inquiète de la situation de {E}, souvent seul{s} dans la cour de l'immeuble.",
        ],
        SourceKind::Minor => &[
            "{P} a pris contact avec le service pour évoquer sa situation.",
            "{P} s'est présenté{e} à l'accueil de la maison départementale de la solidarité de {C}.",
        ],
        SourceKind::Snated => &[
            "Le 119 transmet le compte rendu d'un appel concernant {E}.",
            "Le SNATED transmet une information préoccupante concernant {E}, domicilié{s} à {C}.",
        ],
        SourceKind::Anonymous => &[
            "Un appel anonyme signale la situation de {E}, domicilié{s} à {C}.",
            "Un courrier non signé signale la situation de {E}.",
        ],
        SourceKind::Other => &[
            "Une information préoccupante est reçue concernant {E}.",
            "L'entraîneur du club sportif fait part de ses inquiétudes au sujet de {E}.",
        ],
    }
}

fn facts(k: MotifKind) -> &'static [&'static str] {
    match k {
        MotifKind::Neglect => &[
            "{K} arrive{nt} régulièrement à l'école sans avoir mangé et dans une tenue inadaptée à la saison.",
            "Le logement est décrit comme très encombré et insalubre.",
            "Les rendez-vous médicaux ne sont pas honorés et les vaccinations ne sont pas à jour.",
            "{K} serai{nt} souvent laissé{s} seul{s} le soir.",
            "{P} présente une hygiène très dégradée et se plaint d'avoir faim.",
        ],
        MotifKind::Education => &[
            "Un absentéisme scolaire important est relevé depuis la rentrée.",
            "Les parents semblent en grande difficulté pour poser un cadre éducatif.",
            "{M} exprime un épuisement important et dit ne plus savoir comment faire.",
            "Les horaires de coucher ne sont pas respectés et {p} s'endort en classe.",
            "La famille a déménagé plusieurs fois dans l'année et la scolarité est discontinue.",
        ],
        MotifKind::Conjugal => &[
            "Des violences conjugales sont rapportées au domicile familial.",
            "{M} aurait déposé une main courante après une dispute violente.",
            "{K} aurai{nt} assisté à des scènes de violence entre les parents.",
            "{P} dit avoir peur quand {f} rentre alcoolisé le soir.",
        ],
        MotifKind::Physical => &[
            "{P} présente des ecchymoses sur les bras, expliquées de façon confuse.",
            "{P} dit avoir reçu des coups de ceinture à la suite d'une mauvaise note.",
            "Des marques de strangulation ont été constatées par l'infirmière.",
            "Les punitions corporelles seraient fréquentes selon l'entourage.",
        ],
        MotifKind::Psychological => &[
            "{K} ferai{nt} l'objet de dénigrements et d'humiliations répétés.",
            "{P} exprime une grande peur de rentrer au domicile.",
            "{P} paraît très isolé{e} de ses pairs et pleure souvent en classe.",
            "Des menaces de placement seraient proférées régulièrement devant {k}.",
        ],
        MotifKind::Sexual => &[
            "{P} a tenu des propos évoquant des gestes à caractère sexuel de la part d'un adulte.",
            "Des révélations ont été faites à l'infirmière scolaire, qui les a consignées mot pour mot.",
            "Un comportement sexualisé inadapté à l'âge de {p} est observé.",
        ],
        MotifKind::Conflict => &[
            "Les parents sont séparés et en conflit important autour de la résidence {dk}.",
            "{K} serai{nt} pris à partie dans le conflit parental.",
            "Les passages de bras donnent lieu à des altercations devant l'école.",
        ],
        MotifKind::Behaviour => &[
            "{P} a fugué à plusieurs reprises ces dernières semaines.",
            "Une consommation régulière de cannabis est signalée, ainsi qu'une déscolarisation depuis plusieurs mois.",
            "{P} fréquente des jeunes majeurs et rentre au milieu de la nuit.",
            "Des scarifications ont été remarquées par l'équipe éducative.",
        ],
        MotifKind::Prostitution => &[
            "Des éléments font craindre une situation de prostitution : {p} rentrerait tard la nuit avec des sommes d'argent inexpliquées.",
            "Des annonces en ligne laissent craindre une exploitation sexuelle de {p}.",
        ],
        MotifKind::Mna => &[
            "{P} se présente comme mineur{e} non accompagné{e}, arrivé{e} récemment en France, sans représentant légal sur le territoire.",
            "{P} déclare avoir voyagé seul{e} depuis plusieurs mois et dormir dans la rue à {C}.",
        ],
        MotifKind::Other => &[
            "La situation familiale nécessite une évaluation.",
            "La famille traverse des difficultés importantes à la suite d'un deuil récent.",
        ],
    }
}

const CLOSINGS: &[&str] = &[
    "Les parents ne semblent pas avoir conscience des difficultés.",
    "{M} accepte un accompagnement.",
    "La famille n'est pas connue des services.",
    "La famille est déjà connue du service social de secteur.",
    "Une évaluation de la situation est sollicitée.",
    "{F} conteste les faits rapportés.",
    "Le lien entre les parents et {k} est décrit comme chaleureux.",
];

/// Writes the exposé: an opening, one to three facts of the main motif, perhaps one of another, perhaps a closing (2 to 6 sentences).
pub(crate) fn expose<R: Rng>(
    rng: &mut R,
    out: &mut String,
    c: &TextCtx<'_>,
    source: SourceKind,
    primary: MotifKind,
    secondary: Option<MotifKind>,
) {
    fill(out, pick(rng, openings(source)), c);
    let list = facts(primary);
    let n = rng.random_range(1..=3.min(list.len()));
    let start = rng.random_range(0..list.len());
    for i in 0..n {
        out.push(' ');
        fill(out, list[(start + i) % list.len()], c);
    }
    if let Some(s) = secondary.filter(|s| *s != primary) {
        out.push(' ');
        fill(out, pick(rng, facts(s)), c);
    }
    if rng.random_bool(0.6) {
        out.push(' ');
        fill(out, pick(rng, CLOSINGS), c);
    }
}

const OBSERVATIONS: &[&str] = &[
    "Premier contact de la CRIP avec cette famille.",
    "Contact pris avec l'école : les éléments sont confirmés.",
    "Situation à évaluer en priorité compte tenu de l'âge {dk}.",
    "Le service social de secteur connaît la famille et sera associé à l'évaluation.",
    "Demande de précisions adressée au signalant.",
    "{M} a été reçue à la MDS de {C} ; elle reconnaît des difficultés.",
];

const OBSERVATIONS_KNOWN: &[&str] = &[
    "Famille déjà connue de la CRIP : une précédente information préoccupante a été évaluée.",
    "Nouvelle information préoccupante concernant cette fratrie ; l'évaluation précédente avait conclu à un risque de danger.",
];

const OBSERVATIONS_GRAVE: &[&str] = &[
    "Danger grave et immédiat : le parquet a été avisé le jour même.",
    "Transmission immédiate au procureur de la République ; la CRIP reste informée des suites.",
];

/// Writes the CRIP's observation.
pub(crate) fn observation<R: Rng>(
    rng: &mut R,
    out: &mut String,
    c: &TextCtx<'_>,
    known: bool,
    grave: bool,
) {
    if grave {
        fill(out, pick(rng, OBSERVATIONS_GRAVE), c);
        out.push(' ');
    }
    let list = if known {
        OBSERVATIONS_KNOWN
    } else {
        OBSERVATIONS
    };
    fill(out, pick(rng, list), c);
}

/// A conclusion comment, sometimes.
pub(crate) const CONCLUSION_COMMENTS: &[&str] = &[
    "Accord des parents pour une aide éducative à domicile.",
    "Orientation vers le CMP pour un suivi.",
    "Éléments de danger non confirmés par l'évaluation.",
    "Saisine du juge des enfants par le parquet.",
    "La famille a déménagé hors du département.",
    "Suivi déjà en cours par le service de l'aide sociale à l'enfance.",
];

/// A child comment, sometimes.
pub(crate) const CHILD_COMMENTS: &[&str] = &[
    "Scolarisé en classe ULIS.",
    "Suivi par le CMP depuis l'an dernier.",
    "Bénéficie d'une notification MDPH.",
    "Garde par une assistante maternelle en journée.",
    "Accueilli chez les grands-parents le week-end.",
    "Pas de scolarisation connue.",
];

/// Why a follow-up was not done.
pub(crate) const NOT_DONE_PARENTS: &[&str] = &[
    "Information contraire à l'intérêt de l'enfant : enquête pénale en cours.",
    "Parents injoignables malgré plusieurs courriers.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_replaced() {
        let c = TextCtx {
            children: "Léa Martin (7 ans)",
            commune: "Vierzon",
            mother: "",
            father: "M. Martin",
            child: "Léa",
            fem: true,
            plural: false,
        };
        let mut s = String::new();
        fill(&mut s, "{M} et {f} : {E} à {C}, {P}/{p} isolé{e}{s}.", &c);
        assert_eq!(
            s,
            "La mère et M. Martin : Léa Martin (7 ans) à Vierzon, Léa/Léa isolée."
        );
    }
}
