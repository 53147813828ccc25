//! Parameter tables: every drop-down list is data (code, label, order, active),
//! never an enum. Where a rule or a statistic needs to know what a value means,
//! the value carries a fixed [`Meaning`] from this closed list.

use serde::{Deserialize, Serialize};

/// The parameter tables held in the generic `param_value` table.
/// Territories and services have tables of their own (a service belongs to a territory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParamKind {
    DossierType,
    Channel,
    SourceCategory,
    Motif,
    Link,
    LieuDeVie,
    Csp,
    Conclusion,
    EvaluationResult,
    Civility,
    /// Labels of the dossier statuses: a closed list (its rules are code), one value per
    /// [`crate::DossierStatus`], whose labels a département may rename.
    Status,
    /// Categories of the documents uploaded to a dossier (IP reçue, rapport d'évaluation…).
    DocumentCategory,
}

impl ParamKind {
    pub const ALL: [ParamKind; 12] = [
        Self::DossierType,
        Self::Channel,
        Self::SourceCategory,
        Self::Motif,
        Self::Link,
        Self::LieuDeVie,
        Self::Csp,
        Self::Conclusion,
        Self::EvaluationResult,
        Self::Civility,
        Self::Status,
        Self::DocumentCategory,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::DossierType => "type_dossier",
            Self::Channel => "support",
            Self::SourceCategory => "categorie_signalant",
            Self::Motif => "motif",
            Self::Link => "lien",
            Self::LieuDeVie => "lieu_de_vie",
            Self::Csp => "csp",
            Self::Conclusion => "conclusion",
            Self::EvaluationResult => "resultat_evaluation",
            Self::Civility => "civilite",
            Self::Status => "statut",
            Self::DocumentCategory => "categorie_document",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::DossierType => "Types de dossier",
            Self::Channel => "Supports de réception",
            Self::SourceCategory => "Catégories de signalant",
            Self::Motif => "Motifs",
            Self::Link => "Liens avec l'enfant",
            Self::LieuDeVie => "Lieux de vie",
            Self::Csp => "Catégories socio-professionnelles",
            Self::Conclusion => "Conclusions",
            Self::EvaluationResult => "Résultats d'évaluation",
            Self::Civility => "Civilités",
            Self::Status => "Libellés des statuts de dossier",
            Self::DocumentCategory => "Catégories de document",
        }
    }

    /// The meanings a value of this table may carry.
    pub fn meanings(self) -> &'static [Meaning] {
        use Meaning::*;
        match self {
            Self::DossierType => &[
                InformationPreoccupante,
                SignalementDirect,
                DemandeRenseignements,
                RetourInformation,
            ],
            Self::Channel => &[Snated],
            Self::Link => &[
                Pere,
                Mere,
                BeauParent,
                Fratrie,
                AutreFamille,
                Tiers,
                Institution,
                Inconnu,
            ],
            Self::Conclusion => &[
                ClassementSansSuite,
                DroitCommun,
                MesureAdministrative,
                SignalementParquet,
                TransmissionAutreDepartement,
                DejaSuivie,
            ],
            Self::EvaluationResult => &[Danger, RisqueDeDanger, NiDangerNiRisque],
            Self::LieuDeVie | Self::Csp => &[NonRenseigne],
            Self::DocumentCategory => &[IpRecue, RapportEvaluation],
            Self::SourceCategory | Self::Motif | Self::Civility | Self::Status => &[],
        }
    }
}

/// Fixed meanings that rules and statistics rely on. Labels stay configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Meaning {
    InformationPreoccupante,
    SignalementDirect,
    DemandeRenseignements,
    RetourInformation,
    Snated,
    Pere,
    Mere,
    BeauParent,
    Fratrie,
    AutreFamille,
    Tiers,
    Institution,
    Inconnu,
    ClassementSansSuite,
    DroitCommun,
    MesureAdministrative,
    SignalementParquet,
    TransmissionAutreDepartement,
    DejaSuivie,
    Danger,
    RisqueDeDanger,
    NiDangerNiRisque,
    NonRenseigne,
    /// A document category: the IP as received (it usually names its source, so its
    /// documents are confidential unless the agent says otherwise).
    IpRecue,
    /// A document category: the evaluation report, which an évaluateur may upload to the
    /// dossiers assigned to their service.
    RapportEvaluation,
}

impl Meaning {
    pub const ALL: [Meaning; 25] = [
        Self::InformationPreoccupante,
        Self::SignalementDirect,
        Self::DemandeRenseignements,
        Self::RetourInformation,
        Self::Snated,
        Self::Pere,
        Self::Mere,
        Self::BeauParent,
        Self::Fratrie,
        Self::AutreFamille,
        Self::Tiers,
        Self::Institution,
        Self::Inconnu,
        Self::ClassementSansSuite,
        Self::DroitCommun,
        Self::MesureAdministrative,
        Self::SignalementParquet,
        Self::TransmissionAutreDepartement,
        Self::DejaSuivie,
        Self::Danger,
        Self::RisqueDeDanger,
        Self::NiDangerNiRisque,
        Self::NonRenseigne,
        Self::IpRecue,
        Self::RapportEvaluation,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::InformationPreoccupante => "information_preoccupante",
            Self::SignalementDirect => "signalement_direct",
            Self::DemandeRenseignements => "demande_renseignements",
            Self::RetourInformation => "retour_information",
            Self::Snated => "snated",
            Self::Pere => "pere",
            Self::Mere => "mere",
            Self::BeauParent => "beau_parent",
            Self::Fratrie => "fratrie",
            Self::AutreFamille => "autre_famille",
            Self::Tiers => "tiers",
            Self::Institution => "institution",
            Self::Inconnu => "inconnu",
            Self::ClassementSansSuite => "classement_sans_suite",
            Self::DroitCommun => "droit_commun",
            Self::MesureAdministrative => "mesure_administrative",
            Self::SignalementParquet => "signalement_parquet",
            Self::TransmissionAutreDepartement => "transmission_autre_departement",
            Self::DejaSuivie => "deja_suivie",
            Self::Danger => "danger",
            Self::RisqueDeDanger => "risque_de_danger",
            Self::NiDangerNiRisque => "ni_danger_ni_risque",
            Self::NonRenseigne => "non_renseigne",
            Self::IpRecue => "ip_recue",
            Self::RapportEvaluation => "rapport_evaluation",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// A default value of a parameter table, seeded in a new database.
#[derive(Debug, Clone, Copy)]
pub struct DefaultValue {
    pub kind: ParamKind,
    pub code: &'static str,
    pub label: &'static str,
    pub meaning: Option<Meaning>,
}

const fn v(
    kind: ParamKind,
    code: &'static str,
    label: &'static str,
    meaning: Option<Meaning>,
) -> DefaultValue {
    DefaultValue {
        kind,
        code,
        label,
        meaning,
    }
}

/// The default values (../shared/DOMAIN.md): starting points that administrators change.
// One table of default values, read top to bottom: splitting it would scatter the list.
#[allow(clippy::too_many_lines)]
pub fn defaults() -> Vec<DefaultValue> {
    use Meaning as M;
    use ParamKind as K;
    vec![
        v(
            K::DossierType,
            "IP",
            "Information préoccupante",
            Some(M::InformationPreoccupante),
        ),
        v(
            K::DossierType,
            "SIGDIR",
            "Signalement direct au parquet",
            Some(M::SignalementDirect),
        ),
        v(
            K::DossierType,
            "DEMRENS",
            "Demande de renseignements d'un autre département",
            Some(M::DemandeRenseignements),
        ),
        v(
            K::DossierType,
            "RETINFO",
            "Retour d'information",
            Some(M::RetourInformation),
        ),
        v(K::DossierType, "AUTRE", "Autre", None),
        v(K::Channel, "TEL", "Téléphone", None),
        v(K::Channel, "ENTRETIEN", "Entretien", None),
        v(K::Channel, "COURRIER", "Courrier", None),
        v(K::Channel, "MEL", "Courriel", None),
        v(
            K::Channel,
            "119",
            "Numéro vert 119 (SNATED)",
            Some(M::Snated),
        ),
        v(K::SourceCategory, "EN", "Éducation nationale", None),
        v(
            K::SourceCategory,
            "SANTE",
            "Hôpital, médecin, professionnel de santé",
            None,
        ),
        v(K::SourceCategory, "POLICE", "Police, gendarmerie", None),
        v(K::SourceCategory, "SOCIAL", "Service social", None),
        v(K::SourceCategory, "ASSO", "Association", None),
        v(K::SourceCategory, "FAMILLE", "Famille", None),
        v(K::SourceCategory, "VOISIN", "Voisinage, entourage", None),
        v(K::SourceCategory, "MINEUR", "Le mineur lui-même", None),
        v(K::SourceCategory, "119", "SNATED (119)", None),
        v(K::SourceCategory, "ANONYME", "Anonyme", None),
        v(K::SourceCategory, "AUTRE", "Autre", None),
        v(K::Motif, "VIOLPHYS", "Violences physiques", None),
        v(K::Motif, "VIOLPSY", "Violences psychologiques", None),
        v(K::Motif, "VIOLSEX", "Violences sexuelles", None),
        v(
            K::Motif,
            "NEGLIG",
            "Négligences lourdes (soins, alimentation, hygiène, surveillance)",
            None,
        ),
        v(K::Motif, "EDUC", "Conditions d'éducation compromises", None),
        v(
            K::Motif,
            "VIOLCONJ",
            "Exposition aux violences conjugales",
            None,
        ),
        v(K::Motif, "CONFLIT", "Conflit parental", None),
        v(
            K::Motif,
            "COMPORT",
            "Comportement de l'enfant mettant en danger (fugue, addictions, déscolarisation)",
            None,
        ),
        v(K::Motif, "PROSTIT", "Prostitution", None),
        v(K::Motif, "MNA", "Mineur non accompagné", None),
        v(K::Motif, "AUTRE", "Autre", None),
        v(K::Link, "PERE", "Père", Some(M::Pere)),
        v(K::Link, "MERE", "Mère", Some(M::Mere)),
        v(K::Link, "BEAUPERE", "Beau-père", Some(M::BeauParent)),
        v(K::Link, "BELLEMERE", "Belle-mère", Some(M::BeauParent)),
        v(K::Link, "FRATRIE", "Fratrie", Some(M::Fratrie)),
        v(
            K::Link,
            "FAMILLE",
            "Autre membre de la famille",
            Some(M::AutreFamille),
        ),
        v(K::Link, "TIERS", "Tiers connu", Some(M::Tiers)),
        v(K::Link, "INSTIT", "Institution", Some(M::Institution)),
        v(K::Link, "INCONNU", "Inconnu", Some(M::Inconnu)),
        v(
            K::LieuDeVie,
            "DEUXPARENTS",
            "Domicile des deux parents",
            None,
        ),
        v(K::LieuDeVie, "MERE", "Chez la mère", None),
        v(K::LieuDeVie, "PERE", "Chez le père", None),
        v(K::LieuDeVie, "ALTERNEE", "Résidence alternée", None),
        v(K::LieuDeVie, "TIERS", "Chez un tiers / famille", None),
        v(K::LieuDeVie, "FAMACC", "Famille d'accueil", None),
        v(K::LieuDeVie, "ETAB", "Établissement", None),
        v(K::LieuDeVie, "SDF", "Sans domicile", None),
        v(K::LieuDeVie, "NR", "Non renseigné", Some(M::NonRenseigne)),
        v(K::Csp, "AGRI", "Agriculteurs exploitants", None),
        v(
            K::Csp,
            "ARTCOM",
            "Artisans, commerçants, chefs d'entreprise",
            None,
        ),
        v(
            K::Csp,
            "CADRES",
            "Cadres et professions intellectuelles supérieures",
            None,
        ),
        v(K::Csp, "INTER", "Professions intermédiaires", None),
        v(K::Csp, "EMPL", "Employés", None),
        v(K::Csp, "OUVR", "Ouvriers", None),
        v(K::Csp, "RETR", "Retraités", None),
        v(K::Csp, "SANSACT", "Sans activité professionnelle", None),
        v(K::Csp, "NR", "Non renseigné", Some(M::NonRenseigne)),
        v(
            K::Conclusion,
            "CSS",
            "Classement sans suite",
            Some(M::ClassementSansSuite),
        ),
        v(
            K::Conclusion,
            "DROITCOM",
            "Orientation vers le droit commun",
            Some(M::DroitCommun),
        ),
        v(
            K::Conclusion,
            "MESADM",
            "Mesure administrative (AED, accueil provisoire…)",
            Some(M::MesureAdministrative),
        ),
        v(
            K::Conclusion,
            "PARQUET",
            "Signalement au parquet",
            Some(M::SignalementParquet),
        ),
        v(
            K::Conclusion,
            "TRANSDEP",
            "Transmission à un autre département",
            Some(M::TransmissionAutreDepartement),
        ),
        v(
            K::Conclusion,
            "DEJASUIVI",
            "Situation déjà suivie",
            Some(M::DejaSuivie),
        ),
        v(K::Conclusion, "AUTRE", "Autre", None),
        v(K::EvaluationResult, "DANGER", "Danger", Some(M::Danger)),
        v(
            K::EvaluationResult,
            "RISQUE",
            "Risque de danger",
            Some(M::RisqueDeDanger),
        ),
        v(
            K::EvaluationResult,
            "NI",
            "Ni danger ni risque de danger",
            Some(M::NiDangerNiRisque),
        ),
        v(K::Civility, "MME", "Madame", None),
        v(K::Civility, "M", "Monsieur", None),
        v(K::Status, "recue", "Reçue", None),
        v(K::Status, "qualifiee", "Qualifiée", None),
        v(K::Status, "en_evaluation", "En évaluation", None),
        v(K::Status, "conclue", "Conclue", None),
        v(K::Status, "cloturee", "Clôturée", None),
        v(K::DocumentCategory, "IP", "IP reçue", Some(M::IpRecue)),
        v(
            K::DocumentCategory,
            "EVAL",
            "Rapport d'évaluation",
            Some(M::RapportEvaluation),
        ),
        v(K::DocumentCategory, "COURRIER", "Courrier reçu", None),
        v(K::DocumentCategory, "COURRIEL", "Courriel reçu", None),
        v(
            K::DocumentCategory,
            "JUGEMENT",
            "Jugement, ordonnance",
            None,
        ),
        v(K::DocumentCategory, "SIGNE", "Courrier signé", None),
        v(K::DocumentCategory, "AUTRE", "Autre document", None),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn defaults_are_unique_and_meanings_allowed() {
        let mut seen = HashSet::new();
        for d in defaults() {
            assert!(
                seen.insert((d.kind, d.code)),
                "duplicate {:?} {}",
                d.kind,
                d.code
            );
            if let Some(m) = d.meaning {
                assert!(
                    d.kind.meanings().contains(&m),
                    "{:?} cannot mean {m:?}",
                    d.kind
                );
            }
            assert!(d.label.chars().count() <= crate::text::SHORT_MAX);
        }
        for k in ParamKind::ALL {
            assert!(
                defaults().iter().any(|d| d.kind == k),
                "{k:?} has no default"
            );
            assert_eq!(ParamKind::parse(k.code()), Some(k));
        }
        for m in Meaning::ALL {
            assert_eq!(Meaning::parse(m.code()), Some(m));
        }
    }

    #[test]
    fn every_status_has_a_configurable_label() {
        let d = defaults();
        for s in crate::DossierStatus::ALL {
            let v = d
                .iter()
                .find(|v| v.kind == ParamKind::Status && v.code == s.code())
                .unwrap();
            assert_eq!(v.label, s.label());
        }
        assert_eq!(
            d.iter().filter(|v| v.kind == ParamKind::Status).count(),
            crate::DossierStatus::ALL.len()
        );
    }

    #[test]
    fn every_evaluation_meaning_and_the_parquet_conclusion_are_seeded() {
        let d = defaults();
        for m in ParamKind::EvaluationResult.meanings() {
            assert!(d.iter().any(|v| v.meaning == Some(*m)));
        }
        assert!(
            d.iter().any(|v| v.kind == ParamKind::Conclusion
                && v.meaning == Some(Meaning::SignalementParquet))
        );
    }
}
