//! The reference data that generated dossiers point to, and its resolution into
//! weighted tables once, when the generator is built.

use rand::Rng;
use vigie_domain::{Meaning, ParamKind};

use crate::names::TOWN_WEIGHTS;

/// Reference data already in the database, that generated dossiers point to (ids).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Every active parameter value.
    pub params: Vec<ParamRef>,
    /// The territories, with the ids of their services.
    pub territories: Vec<TerritoryRef>,
    /// Communes of the served département (e.g. Cher, 18).
    pub communes: Vec<CommuneRef>,
    /// User ids that can be "récepteur" (may be empty).
    pub agents: Vec<i64>,
}

/// One active parameter value, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRef {
    pub id: i64,
    pub kind: ParamKind,
    pub code: String,
    pub meaning: Option<Meaning>,
}

/// A territory and the ids of its services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryRef {
    pub id: i64,
    pub services: Vec<i64>,
}

/// A commune of the served département.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneRef {
    pub insee: String,
    pub postal_code: String,
    pub name: String,
}

/// A weighted choice among values, drawn with one random number.
#[derive(Debug, Clone)]
pub(crate) struct Weighted<T> {
    values: Vec<T>,
    cum: Vec<u32>,
}

impl<T: Copy> Weighted<T> {
    pub(crate) fn new() -> Self {
        Self {
            values: Vec::new(),
            cum: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, value: T, weight: u32) {
        if weight == 0 {
            return;
        }
        let total = self.total() + weight;
        self.values.push(value);
        self.cum.push(total);
    }

    pub(crate) fn total(&self) -> u32 {
        self.cum.last().copied().unwrap_or(0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub(crate) fn pick<R: Rng>(&self, rng: &mut R) -> Option<T> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let r = rng.random_range(0..total);
        let i = self.cum.partition_point(|&c| c <= r);
        Some(self.values[i])
    }
}

/// The kinds of danger the generator knows (the default motif codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MotifKind {
    Physical,
    Psychological,
    Sexual,
    Neglect,
    Education,
    Conjugal,
    Conflict,
    Behaviour,
    Prostitution,
    Mna,
    Other,
}

impl MotifKind {
    pub(crate) const ALL: [MotifKind; 11] = [
        Self::Physical,
        Self::Psychological,
        Self::Sexual,
        Self::Neglect,
        Self::Education,
        Self::Conjugal,
        Self::Conflict,
        Self::Behaviour,
        Self::Prostitution,
        Self::Mna,
        Self::Other,
    ];

    fn from_code(code: &str) -> Self {
        match code {
            "VIOLPHYS" => Self::Physical,
            "VIOLPSY" => Self::Psychological,
            "VIOLSEX" => Self::Sexual,
            "NEGLIG" => Self::Neglect,
            "EDUC" => Self::Education,
            "VIOLCONJ" => Self::Conjugal,
            "CONFLIT" => Self::Conflict,
            "COMPORT" => Self::Behaviour,
            "PROSTIT" => Self::Prostitution,
            "MNA" => Self::Mna,
            _ => Self::Other,
        }
    }

    /// Weight (per thousand) as the main motif of a dossier.
    fn primary_weight(self) -> u32 {
        match self {
            Self::Neglect => 235,
            Self::Education => 215,
            Self::Conjugal => 110,
            Self::Physical => 100,
            Self::Psychological => 75,
            Self::Conflict => 100,
            Self::Behaviour => 80,
            Self::Sexual => 45,
            Self::Other => 20,
            Self::Prostitution => 5,
            Self::Mna => 5,
        }
    }

    /// Weight (per thousand) as an additional motif of a child.
    fn secondary_weight(self) -> u32 {
        match self {
            Self::Neglect => 230,
            Self::Education => 260,
            Self::Conjugal => 30,
            Self::Physical => 80,
            Self::Psychological => 150,
            Self::Conflict => 110,
            Self::Behaviour => 60,
            Self::Sexual => 10,
            Self::Other => 10,
            Self::Prostitution => 0,
            Self::Mna => 0,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The kinds of source the generator knows (the default source category codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceKind {
    School,
    Health,
    Police,
    Social,
    Association,
    Family,
    Neighbour,
    Minor,
    Snated,
    Anonymous,
    Other,
}

impl SourceKind {
    const ALL: [SourceKind; 11] = [
        Self::School,
        Self::Health,
        Self::Police,
        Self::Social,
        Self::Association,
        Self::Family,
        Self::Neighbour,
        Self::Minor,
        Self::Snated,
        Self::Anonymous,
        Self::Other,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::School => "EN",
            Self::Health => "SANTE",
            Self::Police => "POLICE",
            Self::Social => "SOCIAL",
            Self::Association => "ASSO",
            Self::Family => "FAMILLE",
            Self::Neighbour => "VOISIN",
            Self::Minor => "MINEUR",
            Self::Snated => "119",
            Self::Anonymous => "ANONYME",
            Self::Other => "AUTRE",
        }
    }

    /// Weight (per thousand) of the source of an IP not received from the 119.
    fn weight(self) -> u32 {
        match self {
            Self::School => 240,
            Self::Health => 130,
            Self::Police => 140,
            Self::Social => 160,
            Self::Association => 50,
            Self::Family => 100,
            Self::Neighbour => 70,
            Self::Minor => 20,
            Self::Snated => 0,
            Self::Anonymous => 65,
            Self::Other => 25,
        }
    }

    pub(crate) fn is_professional(self) -> bool {
        matches!(
            self,
            Self::School
                | Self::Health
                | Self::Police
                | Self::Social
                | Self::Association
                | Self::Snated
        )
    }
}

/// Living places (default codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lieu {
    BothParents,
    Mother,
    Father,
    Alternate,
    ThirdParty,
    FosterFamily,
    Institution,
    Homeless,
    Unknown,
}

impl Lieu {
    const ALL: [Lieu; 9] = [
        Self::BothParents,
        Self::Mother,
        Self::Father,
        Self::Alternate,
        Self::ThirdParty,
        Self::FosterFamily,
        Self::Institution,
        Self::Homeless,
        Self::Unknown,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::BothParents => "DEUXPARENTS",
            Self::Mother => "MERE",
            Self::Father => "PERE",
            Self::Alternate => "ALTERNEE",
            Self::ThirdParty => "TIERS",
            Self::FosterFamily => "FAMACC",
            Self::Institution => "ETAB",
            Self::Homeless => "SDF",
            Self::Unknown => "NR",
        }
    }
}

/// Evaluation results (by meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Eval {
    Danger,
    Risk,
    Neither,
}

/// The catalog resolved into ids and weighted tables.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    pub types: Weighted<i64>,
    pub type_direct: Option<i64>,
    pub type_ip: i64,
    pub channels: Weighted<i64>,
    pub channel_snated: Option<i64>,
    pub categories: [Option<i64>; 11],
    pub source_kinds: Weighted<SourceKind>,
    pub motifs: [Option<i64>; 11],
    pub motif_others: Vec<i64>,
    pub primary_motifs: Weighted<MotifKind>,
    pub secondary_motifs: Weighted<MotifKind>,
    pub link_mother: Option<i64>,
    pub link_father: Option<i64>,
    pub link_step: Option<i64>,
    pub link_third: Option<i64>,
    pub link_family: Option<i64>,
    pub lieux: [Option<i64>; 9],
    pub csp_active: Weighted<i64>,
    pub csp_unknown: Option<i64>,
    pub civility_woman: Option<i64>,
    pub civility_man: Option<i64>,
    pub results: [Option<i64>; 3],
    pub results_normal: Weighted<Eval>,
    pub results_grave: Weighted<Eval>,
    /// Conclusions after an evaluation: danger, risk, neither; then without evaluation.
    pub conclusions: [Weighted<i64>; 4],
    pub conclusion_parquet: Option<i64>,
    pub territories: Vec<(i64, Vec<i64>)>,
    pub communes: Vec<CommuneRef>,
    pub commune_weights: Weighted<usize>,
    pub agents: Vec<i64>,
}

fn of_kind(params: &[ParamRef], kind: ParamKind) -> impl Iterator<Item = &ParamRef> {
    params.iter().filter(move |p| p.kind == kind)
}

fn by_meaning(params: &[ParamRef], kind: ParamKind, m: Meaning) -> Option<i64> {
    of_kind(params, kind)
        .find(|p| p.meaning == Some(m))
        .map(|p| p.id)
}

fn by_code(params: &[ParamRef], kind: ParamKind, code: &str) -> Option<i64> {
    of_kind(params, kind)
        .find(|p| p.code.eq_ignore_ascii_case(code))
        .map(|p| p.id)
}

fn weighted_by_code(
    params: &[ParamRef],
    kind: ParamKind,
    weights: &[(&str, u32)],
    other: u32,
) -> Weighted<i64> {
    let mut w = Weighted::new();
    for p in of_kind(params, kind) {
        let weight = weights
            .iter()
            .find(|(c, _)| p.code.eq_ignore_ascii_case(c))
            .map_or(other, |(_, w)| *w);
        w.push(p.id, weight);
    }
    w
}

fn weighted_by_meaning(
    params: &[ParamRef],
    kind: ParamKind,
    weights: &[(Option<Meaning>, u32)],
) -> Weighted<i64> {
    let mut w = Weighted::new();
    for (m, weight) in weights {
        let id = match m {
            Some(m) => by_meaning(params, kind, *m),
            None => of_kind(params, kind)
                .find(|p| p.meaning.is_none())
                .map(|p| p.id),
        };
        if let Some(id) = id {
            w.push(id, *weight);
        }
    }
    w
}

/// The dossier types, weighted (mostly informations préoccupantes), and the IP's id (or the
/// first type).
///
/// # Panics
/// When the catalog has no dossier type.
fn dossier_types(p: &[ParamRef]) -> (Weighted<i64>, i64) {
    use Meaning as M;
    use ParamKind as K;
    let type_ip = by_meaning(p, K::DossierType, M::InformationPreoccupante)
        .or_else(|| of_kind(p, K::DossierType).map(|v| v.id).next())
        .expect("vigie-demo : le catalogue ne contient aucun type de dossier");
    let mut types = weighted_by_meaning(
        p,
        K::DossierType,
        &[
            (Some(M::InformationPreoccupante), 900),
            (Some(M::DemandeRenseignements), 35),
            (Some(M::RetourInformation), 35),
            (None, 20),
        ],
    );
    if types.is_empty() {
        types.push(type_ip, 1);
    }
    (types, type_ip)
}

/// The reception channels, weighted (SNATED aside), and the SNATED channel.
///
/// # Panics
/// When the catalog has no channel at all.
fn channels(p: &[ParamRef]) -> (Weighted<i64>, Option<i64>) {
    use Meaning as M;
    use ParamKind as K;
    let channel_snated = by_meaning(p, K::Channel, M::Snated);
    let mut channels = Weighted::new();
    for v in of_kind(p, K::Channel).filter(|v| v.meaning != Some(M::Snated)) {
        let w = match v.code.as_str() {
            "TEL" => 560,
            "MEL" => 220,
            "COURRIER" => 150,
            "ENTRETIEN" => 70,
            _ => 20,
        };
        channels.push(v.id, w);
    }
    if channels.is_empty() {
        channels.push(
            channel_snated
                .expect("vigie-demo : le catalogue ne contient aucun support de réception"),
            1,
        );
    }
    (channels, channel_snated)
}

/// The motifs resolved: an id per kind, the administrators' own motifs, the weights.
struct Motifs {
    motifs: [Option<i64>; 11],
    motif_others: Vec<i64>,
    primary_motifs: Weighted<MotifKind>,
    secondary_motifs: Weighted<MotifKind>,
}

/// The motifs by kind (the administrators' own motifs counting as `Other`) and their weights
/// as primary and secondary motifs, for the kinds available.
fn motifs(p: &[ParamRef]) -> Motifs {
    use ParamKind as K;
    let mut motifs = [None; 11];
    let mut motif_others = Vec::new();
    for v in of_kind(p, K::Motif) {
        let k = MotifKind::from_code(&v.code);
        if k == MotifKind::Other && !v.code.eq_ignore_ascii_case("AUTRE") {
            motif_others.push(v.id);
        } else if motifs[k.index()].is_none() {
            motifs[k.index()] = Some(v.id);
        }
    }
    let mut primary_motifs = Weighted::new();
    let mut secondary_motifs = Weighted::new();
    for k in MotifKind::ALL {
        let available =
            motifs[k.index()].is_some() || (k == MotifKind::Other && !motif_others.is_empty());
        if available {
            primary_motifs.push(k, k.primary_weight());
            secondary_motifs.push(k, k.secondary_weight());
        }
    }
    Motifs {
        motifs,
        motif_others,
        primary_motifs,
        secondary_motifs,
    }
}

/// The CSP of working-age parents, weighted.
fn csp_active(p: &[ParamRef]) -> Weighted<i64> {
    use ParamKind as K;
    weighted_by_code(
        p,
        K::Csp,
        &[
            ("AGRI", 15),
            ("ARTCOM", 50),
            ("CADRES", 40),
            ("INTER", 110),
            ("EMPL", 300),
            ("OUVR", 250),
            ("RETR", 5),
            ("SANSACT", 230),
            ("NR", 0),
        ],
        5,
    )
}

/// The evaluation results by meaning and their weights, normal and for a danger grave.
fn results(p: &[ParamRef]) -> ([Option<i64>; 3], Weighted<Eval>, Weighted<Eval>) {
    use Meaning as M;
    use ParamKind as K;
    let results = [
        by_meaning(p, K::EvaluationResult, M::Danger),
        by_meaning(p, K::EvaluationResult, M::RisqueDeDanger),
        by_meaning(p, K::EvaluationResult, M::NiDangerNiRisque),
    ];
    let eval_weights = |w: [u32; 3]| {
        let mut out = Weighted::new();
        for (i, e) in [Eval::Danger, Eval::Risk, Eval::Neither]
            .into_iter()
            .enumerate()
        {
            if results[i].is_some() {
                out.push(e, w[i]);
            }
        }
        out
    };
    let results_normal = eval_weights([20, 45, 35]);
    let results_grave = eval_weights([65, 32, 3]);
    (results, results_normal, results_grave)
}

/// The conclusions' weights after an evaluation (danger, risk, neither), then without one.
fn conclusions(p: &[ParamRef]) -> [Weighted<i64>; 4] {
    use Meaning as M;
    use ParamKind as K;
    let conc = |w: [u32; 7]| {
        weighted_by_meaning(
            p,
            K::Conclusion,
            &[
                (Some(M::ClassementSansSuite), w[0]),
                (Some(M::DroitCommun), w[1]),
                (Some(M::MesureAdministrative), w[2]),
                (Some(M::SignalementParquet), w[3]),
                (Some(M::TransmissionAutreDepartement), w[4]),
                (Some(M::DejaSuivie), w[5]),
                (None, w[6]),
            ],
        )
    };
    [
        conc([0, 2, 40, 45, 3, 10, 0]),
        conc([5, 30, 45, 8, 2, 10, 0]),
        conc([58, 37, 0, 0, 0, 2, 3]),
        conc([30, 10, 0, 5, 20, 30, 5]),
    ]
}

/// The communes' weights: the towns' own, 1 for the others.
fn commune_weights(communes: &[CommuneRef]) -> Weighted<usize> {
    let mut commune_weights = Weighted::new();
    for (i, cm) in communes.iter().enumerate() {
        let w = TOWN_WEIGHTS
            .iter()
            .find(|(n, _)| *n == cm.name)
            .map_or(1, |(_, w)| *w);
        commune_weights.push(i, w);
    }
    commune_weights
}

impl Tables {
    /// Resolves the catalog.
    ///
    /// # Panics
    /// When the catalog has no territory, no dossier type or no channel: a dossier needs them.
    pub(crate) fn new(c: Catalog) -> Self {
        use Meaning as M;
        use ParamKind as K;
        let p = &c.params[..];
        assert!(
            !c.territories.is_empty(),
            "vigie-demo : le catalogue ne contient aucun territoire"
        );
        let (types, type_ip) = dossier_types(p);
        let (channels, channel_snated) = channels(p);

        let categories = SourceKind::ALL.map(|k| by_code(p, K::SourceCategory, k.code()));
        let mut source_kinds = Weighted::new();
        for k in SourceKind::ALL {
            source_kinds.push(k, k.weight());
        }
        let Motifs {
            motifs,
            motif_others,
            primary_motifs,
            secondary_motifs,
        } = motifs(p);

        let link_step =
            by_code(p, K::Link, "BEAUPERE").or_else(|| by_meaning(p, K::Link, M::BeauParent));
        let lieux = Lieu::ALL.map(|l| by_code(p, K::LieuDeVie, l.code()));
        let csp_active = csp_active(p);
        let csp_unknown =
            by_meaning(p, K::Csp, M::NonRenseigne).or_else(|| by_code(p, K::Csp, "NR"));
        let (results, results_normal, results_grave) = results(p);
        let conclusions = conclusions(p);
        let commune_weights = commune_weights(&c.communes);

        Self {
            types,
            type_direct: by_meaning(p, K::DossierType, M::SignalementDirect),
            type_ip,
            channels,
            channel_snated,
            categories,
            source_kinds,
            motifs,
            motif_others,
            primary_motifs,
            secondary_motifs,
            link_mother: by_meaning(p, K::Link, M::Mere),
            link_father: by_meaning(p, K::Link, M::Pere),
            link_step,
            link_third: by_meaning(p, K::Link, M::Tiers),
            link_family: by_meaning(p, K::Link, M::AutreFamille),
            lieux,
            csp_active,
            csp_unknown,
            civility_woman: by_code(p, K::Civility, "MME"),
            civility_man: by_code(p, K::Civility, "M"),
            results,
            results_normal,
            results_grave,
            conclusions,
            conclusion_parquet: by_meaning(p, K::Conclusion, M::SignalementParquet),
            territories: c
                .territories
                .into_iter()
                .map(|t| (t.id, t.services))
                .collect(),
            communes: c.communes,
            commune_weights,
            agents: c.agents,
        }
    }

    pub(crate) fn category(&self, k: SourceKind) -> Option<i64> {
        self.categories[SourceKind::ALL.iter().position(|x| *x == k).unwrap_or(0)]
    }

    pub(crate) fn lieu(&self, l: Lieu) -> Option<i64> {
        self.lieux[l as usize].or(self.lieux[Lieu::Unknown as usize])
    }

    pub(crate) fn result(&self, e: Eval) -> Option<i64> {
        self.results[e as usize]
    }

    /// The id of a motif kind (for `Other`, the "AUTRE" value or an administrator's own motif).
    pub(crate) fn motif<R: Rng>(&self, k: MotifKind, rng: &mut R) -> Option<i64> {
        if k == MotifKind::Other && !self.motif_others.is_empty() {
            let n = self.motif_others.len() + usize::from(self.motifs[k.index()].is_some());
            let i = rng.random_range(0..n);
            return self.motif_others.get(i).copied().or(self.motifs[k.index()]);
        }
        self.motifs[k.index()]
    }
}
