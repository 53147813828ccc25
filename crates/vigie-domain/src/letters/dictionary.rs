//! The data dictionary of merge fields: every field a letter template may read, with a French
//! description and an example, and whether a letter to a family may read it. It is published in
//! `docs/courriers-champs.md` (a test keeps the file equal to [`markdown`]) and shown to the
//! administrator.
//!
//! Paths are dotted; `[]` marks the items of a list: `{% for enfant in enfants %}{{ enfant.prenom
//! }}` reads `enfants[].prenom`.

/// A merge field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub path: &'static str,
    pub description: &'static str,
    pub example: &'static str,
    /// A letter to a family may read it.
    pub family: bool,
}

const fn f(path: &'static str, description: &'static str, example: &'static str) -> Field {
    Field {
        path,
        description,
        example,
        family: true,
    }
}

/// Never in a letter to a family.
const fn x(path: &'static str, description: &'static str, example: &'static str) -> Field {
    Field {
        path,
        description,
        example,
        family: false,
    }
}

/// The groups of fields, in the order of the documentation.
pub const GROUPS: &[(&str, &[Field])] = &[
    (
        "Date et courrier",
        &[
            f(
                "aujourdhui",
                "Date du courrier (AAAA-MM-JJ), à écrire avec un filtre : {{ aujourdhui|date_longue }}",
                "2026-12-02",
            ),
            f(
                "courrier.titre",
                "Titre du modèle",
                "Information des parents (IP reçue, évaluation en cours)",
            ),
            f(
                "courrier.base_legale",
                "Base légale du courrier",
                "CASF L226-2-1 et D226-2-6 I",
            ),
            f(
                "logo",
                "Logo du département (image), à placer seul : {{ logo }}",
                "(image)",
            ),
        ],
    ),
    (
        "En-tête et signataire",
        &[
            f(
                "entete.departement",
                "Nom de la collectivité",
                "Conseil départemental du Cher",
            ),
            f(
                "entete.service",
                "Service émetteur",
                "Cellule de recueil des informations préoccupantes (CRIP)",
            ),
            f(
                "entete.adresse",
                "Adresse du service (plusieurs lignes)",
                "1 place Marcel Plaisant\nCS 30322\n18023 Bourges Cedex",
            ),
            f("entete.ville", "Ville imprimée avant la date", "Bourges"),
            f("entete.telephone", "Téléphone de la CRIP", "02 48 00 00 00"),
            f(
                "entete.courriel",
                "Courriel de la CRIP",
                "crip@departement18.fr",
            ),
            f("entete.signataire", "Nom du signataire", "Claire Dumas"),
            f(
                "entete.qualite_signataire",
                "Qualité du signataire",
                "Directrice de l'enfance et de la famille",
            ),
            f(
                "entete.delegation",
                "Mention de délégation",
                "Pour le Président du Conseil départemental et par délégation",
            ),
            f(
                "agent.nom",
                "Agent qui suit l'affaire (« Affaire suivie par »)",
                "Sophie Bernard",
            ),
            f("agent.titre", "Fonction de l'agent", "Agent CRIP"),
            f("agent.telephone", "Téléphone de l'agent", "02 48 00 00 01"),
            f(
                "agent.courriel",
                "Courriel de l'agent",
                "sophie.bernard@departement18.fr",
            ),
        ],
    ),
    (
        "Destinataire",
        &[
            f(
                "destinataire.type",
                "Type de destinataire",
                "Parent titulaire de l'autorité parentale",
            ),
            f("destinataire.civilite", "Civilité", "Madame"),
            f(
                "destinataire.nom",
                "Nom (ou nom du service, du tribunal…)",
                "DURAND",
            ),
            f("destinataire.prenom", "Prénom", "Julie"),
            f(
                "destinataire.organisme",
                "Organisme",
                "Tribunal judiciaire de Bourges",
            ),
            f(
                "destinataire.adresse",
                "Adresse du destinataire (plusieurs lignes) ; pour un parent, la sienne seulement",
                "12 rue des Lilas\n18000 Bourges",
            ),
            f(
                "destinataire.courriel",
                "Courriel du destinataire",
                "contact@example.fr",
            ),
            f("destinataire.formule", "Formule d'appel", "Madame,"),
        ],
    ),
    (
        "Dossier",
        &[
            f("dossier.numero", "Numéro du dossier", "2026-00042"),
            f(
                "dossier.recu_le",
                "Date de réception de l'IP (AAAA-MM-JJ)",
                "2026-11-24",
            ),
            f(
                "dossier.type",
                "Type de dossier",
                "Information préoccupante",
            ),
            f("dossier.territoire", "Territoire", "Bourges Nord"),
            f("dossier.canal", "Support de réception", "Courriel"),
            f("dossier.statut", "Statut", "En évaluation"),
            f(
                "dossier.danger_grave",
                "Danger grave et immédiat (vrai/faux)",
                "faux",
            ),
            x(
                "dossier.violence_conjugale",
                "Contexte de violences conjugales (vrai/faux)",
                "vrai",
            ),
            x(
                "dossier.numero_snated",
                "Numéro de la fiche du 119",
                "119-2026-123456",
            ),
            x(
                "dossier.expose",
                "Exposé de la situation (texte libre)",
                "…",
            ),
            x(
                "dossier.observation",
                "Observation de la CRIP (texte libre)",
                "…",
            ),
        ],
    ),
    (
        "Enfants (liste : {% for enfant in enfants %})",
        &[
            f("enfants", "Enfants concernés par le courrier", "(liste)"),
            f("enfants[].prenom", "Prénom(s)", "Léa"),
            f("enfants[].nom", "Nom d'usage, sinon de naissance", "MARTIN"),
            f("enfants[].sexe", "Sexe", "Féminin"),
            f(
                "enfants[].naissance",
                "Date de naissance (AAAA-MM-JJ), pour les filtres date et age",
                "2018-03-01",
            ),
            f(
                "enfants[].naissance_texte",
                "Date de naissance telle que connue",
                "01/03/2018",
            ),
            f(
                "enfants[].motifs",
                "Motifs (liste de libellés) : {{ enfant.motifs|liste }}",
                "Négligences lourdes",
            ),
            f(
                "enfants[].resultat_evaluation",
                "Résultat de l'évaluation",
                "Risque de danger",
            ),
            f(
                "enfants[].conclusion",
                "Conclusion (libellé)",
                "Mesure administrative",
            ),
            f(
                "enfants[].conclusion_le",
                "Date de la conclusion (AAAA-MM-JJ)",
                "2027-02-10",
            ),
            x(
                "enfants[].conclusion_commentaire",
                "Commentaire de la conclusion (texte libre)",
                "…",
            ),
            x(
                "enfants[].adresse",
                "Adresse de l'enfant (peut être un lieu de placement)",
                "12 rue des Lilas\n18000 Bourges",
            ),
        ],
    ),
    (
        "Parents et titulaires de l'autorité parentale (liste : {% for parent in parents %})",
        &[
            f("parents", "Adultes liés aux enfants concernés", "(liste)"),
            f("parents[].civilite", "Civilité", "Monsieur"),
            f("parents[].nom", "Nom d'usage, sinon de naissance", "MARTIN"),
            f("parents[].prenom", "Prénom(s)", "Paul"),
            f("parents[].lien", "Lien avec l'enfant", "Père"),
            f(
                "parents[].autorite_parentale",
                "Titulaire de l'autorité parentale (vrai/faux)",
                "vrai",
            ),
            x(
                "parents[].adresse",
                "Adresse",
                "3 avenue Foch\n18000 Bourges",
            ),
            x("parents[].telephone", "Téléphone", "06 00 00 00 00"),
            x("parents[].courriel", "Courriel", "paul.martin@example.fr"),
        ],
    ),
    (
        "Signalant (jamais dans un courrier à la famille)",
        &[
            x(
                "signalant.categorie",
                "Catégorie du signalant",
                "Éducation nationale",
            ),
            x(
                "signalant.confidentialite",
                "Confidentialité de son identité",
                "Identité connue, confidentielle",
            ),
            x(
                "signalant.professionnel",
                "Le signalant est un professionnel (vrai/faux)",
                "vrai",
            ),
            x(
                "signalant.nom",
                "Nom (si son identité peut figurer dans ce courrier)",
                "M. LEROY",
            ),
            x(
                "signalant.organisme",
                "Organisme",
                "École élémentaire Jean Moulin",
            ),
            x(
                "signalant.adresse",
                "Adresse (plusieurs lignes)",
                "5 rue de l'École\n18000 Bourges",
            ),
            x("signalant.telephone", "Téléphone", "02 48 11 11 11"),
            x("signalant.courriel", "Courriel", "ecole@example.fr"),
            x("auteurs", "Auteurs présumés (liste)", "(liste)"),
            x("auteurs[].nom", "Nom de l'auteur présumé", "X"),
            x("auteurs[].lien", "Lien avec l'enfant", "Tiers"),
        ],
    ),
    (
        "Évaluations (liste : {% for a in affectations %}) ; pour un courrier à un service, la sienne : affectation",
        &[
            f(
                "affectations",
                "Traitements de l'information en cours ou rendus",
                "(liste)",
            ),
            f(
                "affectations[].service",
                "Service",
                "Service territorial d'action sociale Nord",
            ),
            f(
                "affectations[].demandee_le",
                "Date de la demande (AAAA-MM-JJ)",
                "2026-11-25",
            ),
            f(
                "affectations[].echeance",
                "Échéance (AAAA-MM-JJ)",
                "2027-02-25",
            ),
            f(
                "affectations[].retour_le",
                "Date du retour (AAAA-MM-JJ)",
                "2027-02-10",
            ),
            f(
                "affectations[].evaluateurs",
                "Évaluateurs (liste de noms)",
                "A. Petit",
            ),
            f("affectations[].resultat", "Résultat", "Risque de danger"),
            x(
                "affectations[].commentaire",
                "Commentaire (texte libre)",
                "…",
            ),
            f(
                "affectations[].jours_de_retard",
                "Jours de retard à la date du courrier (0 si rendue ou à l'heure)",
                "12",
            ),
            f(
                "affectation.service",
                "Le service destinataire",
                "Service territorial d'action sociale Nord",
            ),
            f(
                "affectation.demandee_le",
                "Date de la demande (AAAA-MM-JJ)",
                "2026-11-25",
            ),
            f(
                "affectation.echeance",
                "Échéance de l'évaluation (AAAA-MM-JJ)",
                "2027-02-25",
            ),
            f(
                "affectation.retour_le",
                "Date du retour (AAAA-MM-JJ)",
                "2027-02-10",
            ),
            f(
                "affectation.evaluateurs",
                "Évaluateurs (liste de noms)",
                "A. Petit",
            ),
            f("affectation.resultat", "Résultat", "Risque de danger"),
            x("affectation.commentaire", "Commentaire (texte libre)", "…"),
            f(
                "affectation.jours_de_retard",
                "Jours de retard à la date du courrier (0 si rendue ou à l'heure)",
                "12",
            ),
        ],
    ),
];

/// Every field, in order.
pub fn fields() -> impl Iterator<Item = &'static Field> {
    GROUPS.iter().flat_map(|(_, fields)| fields.iter())
}

pub fn find(path: &str) -> Option<&'static Field> {
    fields().find(|f| f.path == path)
}

/// The dictionary as a Markdown document (`docs/courriers-champs.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Champs des modèles de courriers\n\n\
         Ce document est produit à partir du code (`crates/vigie-domain/src/letters/dictionary.rs`) ; \
         un test vérifie qu'il est à jour.\n\n\
         Un modèle est un document DOCX ou ODT où l'on tape des balises :\n\n\
         - un champ : `{{ dossier.numero }}` ;\n\
         - une boucle : `{% for enfant in enfants %}` … `{% endfor %}`, seule dans son paragraphe ou \
         sa ligne de tableau pour répéter les paragraphes ou les lignes qu'elle encadre ;\n\
         - une condition : `{% if dossier.danger_grave %}` … `{% else %}` … `{% endif %}` ;\n\
         - des filtres : `{{ aujourdhui|date_longue }}` (« 2 décembre 2026 »), `|date` (« 02/12/2026 »), \
         `{{ enfant.naissance|age }}` (« 8 ans »), `{{ enfants|map(attribute=\"prenom\")|liste }}` \
         (« Léa, Tom et Noé »), `|upper` ;\n\
         - le logo : `{{ logo }}` seul.\n\n\
         Les champs marqués « non » ne peuvent pas figurer dans un courrier adressé à la famille : \
         le modèle est refusé s'il les utilise, et ils ne sont jamais transmis au moteur pour ces \
         courriers. Un parent ne reçoit que sa propre adresse.\n",
    );
    for (title, fields) in GROUPS {
        out.push_str(&format!(
            "\n## {title}\n\n| Champ | Description | Exemple | Courrier à la famille |\n|---|---|---|---|\n"
        ));
        for field in *fields {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                field.path,
                field.description.replace('|', "\\|"),
                field.example.replace('\n', " / ").replace('|', "\\|"),
                if field.family { "oui" } else { "non" }
            ));
        }
    }
    out.push_str(&super::reminder::markdown());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique() {
        let mut paths: Vec<&str> = fields().map(|f| f.path).collect();
        let n = paths.len();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), n);
    }

    /// `docs/courriers-champs.md` is the dictionary as published; rewrite it with
    /// `VIGIE_WRITE_DOCS=1 cargo test -p vigie-domain letters`.
    #[test]
    fn the_published_dictionary_is_up_to_date() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/courriers-champs.md"
        );
        let expected = markdown();
        if std::env::var_os("VIGIE_WRITE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let published = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            published == expected,
            "docs/courriers-champs.md is out of date: VIGIE_WRITE_DOCS=1 cargo test -p vigie-domain letters"
        );
    }
}
