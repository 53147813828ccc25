//! Letters a CRIP sends (« courriers »): the ten default templates, whom each is addressed to,
//! who may generate it, which follow-up it completes, and the rules that keep a family from
//! learning what it must not (the source, the alleged authors, the free texts, the other
//! parent's address).
//!
//! What a template may read is the [`dictionary`]; the data itself is built by [`merge`], which
//! leaves out of a family letter everything the dictionary marks as not for families, so a
//! template cannot print it even by mistake; [`check`] refuses, before anything is generated, a
//! template that reads an unknown field or, for a family, a forbidden one.

pub mod check;
pub mod dictionary;
pub mod merge;
#[cfg(test)]
mod merge_tests;
pub mod reminder;
#[cfg(any(test, feature = "test-cases"))]
pub mod sample;
pub mod validate;

use serde::{Deserialize, Serialize};

use crate::{FollowUpKind, Permission, Role};

/// The kinds of recipients a letter is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecipientKind {
    /// A parent holding parental authority, at their own address.
    Parent,
    /// The professional or person who sent the IP (« signalant »).
    Source,
    /// A service of the département to which the dossier is assigned.
    Service,
    /// The procureur de la République (directory).
    Procureur,
    /// Another département's CRIP (directory).
    OtherCrip,
    /// The 119 — SNATED (directory).
    Snated,
}

impl RecipientKind {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Parent => "parent",
            Self::Source => "signalant",
            Self::Service => "service",
            Self::Procureur => "parquet",
            Self::OtherCrip => "crip",
            Self::Snated => "119",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Parent => "Parent titulaire de l'autorité parentale",
            Self::Source => "Signalant",
            Self::Service => "Service d'évaluation",
            Self::Procureur => "Procureur de la République",
            Self::OtherCrip => "CRIP d'un autre département",
            Self::Snated => "119 (SNATED)",
        }
    }

    /// Letters to a family never carry what a family must not learn.
    pub const fn is_family(self) -> bool {
        matches!(self, Self::Parent)
    }

    /// The kinds whose recipients come from the directory of external recipients.
    pub const fn directory(self) -> bool {
        matches!(self, Self::Procureur | Self::OtherCrip | Self::Snated)
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Parent,
            Self::Source,
            Self::Service,
            Self::Procureur,
            Self::OtherCrip,
            Self::Snated,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// The ten default letters (DOMAIN.md « Letters a CRIP sends »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LetterKind {
    AccuseReception,
    InformationParents,
    InvitationEvaluation,
    DemandeEvaluation,
    RelanceEvaluation,
    InformationConclusion,
    RetourSignalant,
    SignalementParquet,
    TransmissionDepartement,
    Retour119,
}

impl LetterKind {
    pub const ALL: [LetterKind; 10] = [
        Self::AccuseReception,
        Self::InformationParents,
        Self::InvitationEvaluation,
        Self::DemandeEvaluation,
        Self::RelanceEvaluation,
        Self::InformationConclusion,
        Self::RetourSignalant,
        Self::SignalementParquet,
        Self::TransmissionDepartement,
        Self::Retour119,
    ];

    /// Number in the list of default templates (1 to 10).
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0) + 1
    }

    /// Stable code: the template's file name and the stored document's template.
    pub const fn code(self) -> &'static str {
        match self {
            Self::AccuseReception => "01-accuse-reception",
            Self::InformationParents => "02-information-parents",
            Self::InvitationEvaluation => "03-invitation-evaluation",
            Self::DemandeEvaluation => "04-demande-evaluation",
            Self::RelanceEvaluation => "05-relance-evaluation",
            Self::InformationConclusion => "06-information-conclusion",
            Self::RetourSignalant => "07-retour-signalant",
            Self::SignalementParquet => "08-signalement-parquet",
            Self::TransmissionDepartement => "09-transmission-departement",
            Self::Retour119 => "10-retour-119",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub const fn title(self) -> &'static str {
        match self {
            Self::AccuseReception => "Accusé de réception de l'information préoccupante",
            Self::InformationParents => "Information des parents (IP reçue, évaluation en cours)",
            Self::InvitationEvaluation => "Invitation des parents à une rencontre d'évaluation",
            Self::DemandeEvaluation => "Demande d'évaluation à un service",
            Self::RelanceEvaluation => "Relance d'une évaluation en retard",
            Self::InformationConclusion => "Information des parents de la conclusion",
            Self::RetourSignalant => "Retour au signalant sur les suites données",
            Self::SignalementParquet => "Signalement au procureur de la République",
            Self::TransmissionDepartement => "Transmission du dossier à un autre département",
            Self::Retour119 => "Retour au 119 (SNATED)",
        }
    }

    /// The legal basis printed in the letter and shown to the agent.
    pub const fn legal_basis(self) -> &'static str {
        match self {
            Self::AccuseReception => "CASF L226-3",
            Self::InformationParents => "CASF L226-2-1 et D226-2-6 I",
            Self::InvitationEvaluation => "CASF D226-2-6 II",
            Self::DemandeEvaluation => "CASF D226-2-4",
            Self::RelanceEvaluation => "CASF D226-2-4",
            Self::InformationConclusion => "CASF D226-2-7",
            Self::RetourSignalant => "CASF L226-5",
            Self::SignalementParquet => "CASF L226-4 et L226-5",
            Self::TransmissionDepartement => "CASF L221-3",
            Self::Retour119 => "CASF L226-6",
        }
    }

    pub const fn recipient(self) -> RecipientKind {
        match self {
            Self::AccuseReception | Self::RetourSignalant => RecipientKind::Source,
            Self::InformationParents | Self::InvitationEvaluation | Self::InformationConclusion => {
                RecipientKind::Parent
            }
            Self::DemandeEvaluation | Self::RelanceEvaluation => RecipientKind::Service,
            Self::SignalementParquet => RecipientKind::Procureur,
            Self::TransmissionDepartement => RecipientKind::OtherCrip,
            Self::Retour119 => RecipientKind::Snated,
        }
    }

    /// The follow-up that generating this letter completes (unless the agent unticks it).
    pub const fn completes(self) -> Option<FollowUpKind> {
        match self {
            Self::InformationParents | Self::InformationConclusion => {
                Some(FollowUpKind::ParentsInformed)
            }
            Self::RetourSignalant => Some(FollowUpKind::ProfessionalFeedback),
            Self::SignalementParquet => Some(FollowUpKind::Parquet),
            Self::Retour119 => Some(FollowUpKind::Feedback119),
            _ => None,
        }
    }

    /// Who may generate it (within their scope): whoever edits dossiers, every letter; an
    /// évaluateur, who fills in assignments, the invitation and the reminder.
    pub fn may_generate(self, role: Role) -> bool {
        role.has(Permission::DossierWrite)
            || (role.has(Permission::AssignmentWrite)
                && matches!(self, Self::InvitationEvaluation | Self::RelanceEvaluation))
    }
}

/// A letter template as generation sees it: one of the ten shipped with Vigie, or one the
/// CRIP added (administered in the application; its row in the store gives these fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterDef {
    /// Stable code: `08-signalement-parquet`, `11-convocation-audition`.
    pub code: String,
    pub title: String,
    pub recipient: RecipientKind,
    /// Printed in the letter (`courrier.base_legale`); may be empty for a CRIP's template.
    pub legal_basis: String,
    /// The shipped letter it is (its follow-up and who may generate it), if any.
    pub builtin: Option<LetterKind>,
}

impl LetterDef {
    /// The follow-up generating it completes: only a shipped letter's.
    pub fn completes(&self) -> Option<FollowUpKind> {
        self.builtin.and_then(LetterKind::completes)
    }

    /// Who may generate it: a shipped letter's rule; a CRIP's template, whoever edits dossiers.
    pub fn may_generate(&self, role: Role) -> bool {
        match self.builtin {
            Some(k) => k.may_generate(role),
            None => role.has(Permission::DossierWrite),
        }
    }
}

impl From<LetterKind> for LetterDef {
    fn from(k: LetterKind) -> Self {
        LetterDef {
            code: k.code().to_owned(),
            title: k.title().to_owned(),
            recipient: k.recipient(),
            legal_basis: k.legal_basis().to_owned(),
            builtin: Some(k),
        }
    }
}

/// Whether a role may generate at least one letter (the « Courriers » entry of a dossier).
pub fn may_generate_any(role: Role) -> bool {
    LetterKind::ALL.iter().any(|k| k.may_generate(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_numbers_follow_the_list() {
        for (i, k) in LetterKind::ALL.into_iter().enumerate() {
            assert_eq!(LetterKind::parse(k.code()), Some(k));
            assert_eq!(k.number(), i + 1);
            assert!(k.code().starts_with(&format!("{:02}-", i + 1)));
        }
    }

    #[test]
    fn who_may_generate_which_letter() {
        for k in LetterKind::ALL {
            assert!(k.may_generate(Role::AgentCrip));
            assert!(k.may_generate(Role::ResponsableCrip));
            assert!(!k.may_generate(Role::Administrateur));
            assert!(!k.may_generate(Role::LecteurStatistiques));
        }
        let evaluator: Vec<usize> = LetterKind::ALL
            .into_iter()
            .filter(|k| k.may_generate(Role::EvaluateurTerritorial))
            .map(LetterKind::number)
            .collect();
        assert_eq!(evaluator, vec![3, 5]);
    }

    #[test]
    fn letters_two_six_seven_eight_and_ten_complete_a_follow_up() {
        let completing: Vec<usize> = LetterKind::ALL
            .into_iter()
            .filter(|k| k.completes().is_some())
            .map(LetterKind::number)
            .collect();
        assert_eq!(completing, vec![2, 6, 7, 8, 10]);
    }
}
