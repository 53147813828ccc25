//! What a table counts and along what: the measures and the dimensions a cross-tab offers
//! (the dashboard's tables are cross-tabs too).

use serde::{Deserialize, Serialize};

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Dossiers (one per IP and fratrie).
    Dossiers,
    /// Children named in the dossiers.
    Enfants,
    /// Assignments to services (traitements de l'information), cancelled ones aside.
    Evaluations,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Self::Dossiers, Self::Enfants, Self::Evaluations];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Dossiers => "dossiers",
            Self::Enfants => "enfants",
            Self::Evaluations => "evaluations",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Dossiers => "Dossiers",
            Self::Enfants => "Enfants",
            Self::Evaluations => "Évaluations demandées",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// A dimension along which figures are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Mois,
    Trimestre,
    Annee,
    Territoire,
    Service,
    CategorieSignalant,
    Support,
    Type,
    Motif,
    Conclusion,
    ResultatEvaluation,
    TrancheAge,
    Sexe,
    Statut,
}

impl Dimension {
    pub const ALL: [Dimension; 14] = [
        Self::Mois,
        Self::Trimestre,
        Self::Annee,
        Self::Territoire,
        Self::Service,
        Self::CategorieSignalant,
        Self::Support,
        Self::Type,
        Self::Motif,
        Self::Conclusion,
        Self::ResultatEvaluation,
        Self::TrancheAge,
        Self::Sexe,
        Self::Statut,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Mois => "mois",
            Self::Trimestre => "trimestre",
            Self::Annee => "annee",
            Self::Territoire => "territoire",
            Self::Service => "service",
            Self::CategorieSignalant => "categorie_signalant",
            Self::Support => "support",
            Self::Type => "type",
            Self::Motif => "motif",
            Self::Conclusion => "conclusion",
            Self::ResultatEvaluation => "resultat_evaluation",
            Self::TrancheAge => "tranche_age",
            Self::Sexe => "sexe",
            Self::Statut => "statut",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Mois => "Mois de réception",
            Self::Trimestre => "Trimestre de réception",
            Self::Annee => "Année de réception",
            Self::Territoire => "Territoire",
            Self::Service => "Service évaluateur",
            Self::CategorieSignalant => "Catégorie du signalant",
            Self::Support => "Support de réception",
            Self::Type => "Type de dossier",
            Self::Motif => "Motif",
            Self::Conclusion => "Conclusion",
            Self::ResultatEvaluation => "Résultat de l'évaluation",
            Self::TrancheAge => "Âge à la réception",
            Self::Sexe => "Sexe",
            Self::Statut => "Statut",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// A period of reception (its items are the buckets of the period, in order).
    pub const fn is_time(self) -> bool {
        matches!(self, Self::Mois | Self::Trimestre | Self::Annee)
    }

    /// Whether one dossier (or child) may fall in several items of this dimension: then a
    /// margin is the number of distinct dossiers, not the sum of its items.
    pub const fn multi_valued(self, m: Measure) -> bool {
        match self {
            Self::Motif => true,
            Self::Service => matches!(m, Measure::Dossiers | Measure::Enfants),
            Self::Conclusion | Self::ResultatEvaluation | Self::TrancheAge | Self::Sexe => {
                matches!(m, Measure::Dossiers | Measure::Evaluations)
            }
            _ => false,
        }
    }
}

/// Age bands at the reception of the IP.
pub const AGE_BANDS: [(&str, &str); 7] = [
    ("0-2", "Moins de 3 ans"),
    ("3-5", "3 à 5 ans"),
    ("6-10", "6 à 10 ans"),
    ("11-14", "11 à 14 ans"),
    ("15-17", "15 à 17 ans"),
    ("a_naitre", "Enfant à naître"),
    ("inconnu", "Âge inconnu"),
];

/// The age band of an age in whole years at reception.
pub fn age_band(age: Option<i64>) -> &'static str {
    match age {
        None => "inconnu",
        Some(a) if a < 0 => "a_naitre",
        Some(0..=2) => "0-2",
        Some(3..=5) => "3-5",
        Some(6..=10) => "6-10",
        Some(11..=14) => "11-14",
        Some(_) => "15-17",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.code()), Some(d));
        }
        for m in Measure::ALL {
            assert_eq!(Measure::parse(m.code()), Some(m));
        }
        assert_eq!(Dimension::parse("x"), None);
    }

    #[test]
    fn bands() {
        assert_eq!(age_band(Some(2)), "0-2");
        assert_eq!(age_band(Some(3)), "3-5");
        assert_eq!(age_band(Some(17)), "15-17");
        assert_eq!(age_band(Some(-1)), "a_naitre");
        assert_eq!(age_band(None), "inconnu");
    }
}
