//! The CRIP dossier: one per IP and fratrie, with its source, the adults around
//! the fratrie, the children (each a person across dossiers), the assignments
//! (traitement de l'information) and the dated follow-ups.
//!
//! The validation of a dossier input lives in `validate`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Errors;
use crate::labels as L;
use crate::number::DossierNumber;
use crate::text::{TextKind, check};

/// The status of a dossier: a closed list (its rules are code); labels are configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DossierStatus {
    Recue,
    Qualifiee,
    EnEvaluation,
    Conclue,
    Cloturee,
}

impl DossierStatus {
    pub const ALL: [DossierStatus; 5] = [
        Self::Recue,
        Self::Qualifiee,
        Self::EnEvaluation,
        Self::Conclue,
        Self::Cloturee,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Recue => "recue",
            Self::Qualifiee => "qualifiee",
            Self::EnEvaluation => "en_evaluation",
            Self::Conclue => "conclue",
            Self::Cloturee => "cloturee",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Default label (a département may rename it).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Recue => "Reçue",
            Self::Qualifiee => "Qualifiée",
            Self::EnEvaluation => "En évaluation",
            Self::Conclue => "Conclue",
            Self::Cloturee => "Clôturée",
        }
    }
}

/// Sex of a child, or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Sex {
    Unknown,
    Male,
    Female,
}

impl Sex {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Unknown => "NR",
            Self::Male => "M",
            Self::Female => "F",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Unknown, Self::Male, Self::Female]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Unknown => "Non renseigné",
            Self::Male => "Masculin",
            Self::Female => "Féminin",
        }
    }
}

/// A child's birth date: exact, approximate (the year is known), unknown, or the
/// expected term of an *enfant à naître*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BirthDate {
    Exact(NaiveDate),
    Approximate(NaiveDate),
    Unknown,
    Expected(NaiveDate),
}

impl BirthDate {
    /// Stored as (precision code, date).
    pub fn to_parts(self) -> (&'static str, Option<NaiveDate>) {
        match self {
            Self::Exact(d) => ("exacte", Some(d)),
            Self::Approximate(d) => ("approx", Some(d)),
            Self::Unknown => ("inconnue", None),
            Self::Expected(d) => ("a_naitre", Some(d)),
        }
    }

    pub fn from_parts(precision: &str, date: Option<NaiveDate>) -> Option<Self> {
        match (precision, date) {
            ("exacte", Some(d)) => Some(Self::Exact(d)),
            ("approx", Some(d)) => Some(Self::Approximate(d)),
            ("inconnue", _) => Some(Self::Unknown),
            ("a_naitre", Some(d)) => Some(Self::Expected(d)),
            _ => None,
        }
    }

    pub fn date(self) -> Option<NaiveDate> {
        self.to_parts().1
    }

    /// For display: « 12/03/2015 », « vers 2015 », « inconnue », « à naître (terme 05/2027) ».
    pub fn display(self) -> String {
        use chrono::Datelike;
        match self {
            Self::Exact(d) => d.format("%d/%m/%Y").to_string(),
            Self::Approximate(d) => format!("vers {}", d.year()),
            Self::Unknown => "inconnue".into(),
            Self::Expected(d) => format!("à naître (terme {})", d.format("%d/%m/%Y")),
        }
    }
}

/// How much of the source's identity may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SourceConfidentiality {
    Anonymous,
    Confidential,
    Known,
}

impl SourceConfidentiality {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Anonymous => "anonyme",
            Self::Confidential => "confidentiel",
            Self::Known => "connu",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Anonymous, Self::Confidential, Self::Known]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Anonymous => "Anonyme",
            Self::Confidential => "Identité connue, confidentielle",
            Self::Known => "Identité connue",
        }
    }
}

/// A structured French postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    pub number: Option<String>,
    pub street: Option<String>,
    pub complement: Option<String>,
    pub postal_code: Option<String>,
    /// INSEE code of the commune (5 characters, 2A/2B for Corsica).
    pub commune_insee: Option<String>,
    /// Name of the commune (or the city abroad).
    pub city: Option<String>,
}

impl Address {
    fn check(&self, e: &mut Errors, field: &str) {
        check(
            e,
            &format!("{field}.number"),
            L::ADDRESS_NUMBER,
            TextKind::Short,
            self.number.as_deref(),
        );
        check(
            e,
            &format!("{field}.street"),
            L::ADDRESS_STREET,
            TextKind::Short,
            self.street.as_deref(),
        );
        check(
            e,
            &format!("{field}.complement"),
            L::ADDRESS_COMPLEMENT,
            TextKind::Short,
            self.complement.as_deref(),
        );
        check(
            e,
            &format!("{field}.city"),
            L::ADDRESS_CITY,
            TextKind::Short,
            self.city.as_deref(),
        );
        if let Some(pc) = &self.postal_code
            && !(pc.len() == 5 && pc.bytes().all(|b| b.is_ascii_digit()))
        {
            e.push(
                format!("{field}.postal_code"),
                L::ADDRESS_POSTAL_CODE,
                "5 chiffres attendus, par exemple 18000.",
            );
        }
        if let Some(code) = &self.commune_insee
            && !is_insee_code(code)
        {
            e.push(
                format!("{field}.commune_insee"),
                L::ADDRESS_CITY,
                "code INSEE attendu : 5 caractères, par exemple 18033 ou 2A004.",
            );
        }
    }
}

/// An INSEE commune code: 5 digits, or 2A/2B followed by 3 digits.
pub fn is_insee_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && (b[..2].iter().all(u8::is_ascii_digit)
            || (b[0] == b'2' && (b[1] == b'A' || b[1] == b'B')))
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// The source of the IP (the legacy "Signalant").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Source {
    pub category_id: Option<i64>,
    pub confidentiality: SourceConfidentiality,
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub address: Address,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Source {
    /// What a role may see: the identity of a confidential or anonymous source only
    /// for roles that need it ([`crate::Permission::SourceIdentityRead`]).
    pub fn visible_to(&self, role: crate::Role) -> Source {
        if self.confidentiality == SourceConfidentiality::Known
            || role.has(crate::Permission::SourceIdentityRead)
        {
            self.clone()
        } else {
            Source {
                category_id: self.category_id,
                confidentiality: self.confidentiality,
                ..Source::anonymous(None)
            }
        }
    }

    pub fn anonymous(category_id: Option<i64>) -> Self {
        Self {
            category_id,
            confidentiality: SourceConfidentiality::Anonymous,
            name: None,
            organisation: None,
            address: Address::default(),
            email: None,
            phone: None,
        }
    }
}

/// A child as a person, across dossiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub birth_name: String,
    pub usage_name: Option<String>,
    pub first_names: String,
    pub sex: Sex,
    pub birth: BirthDate,
}

/// An adult around the fratrie: parent or holder of parental authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Adult {
    pub civility_id: Option<i64>,
    pub birth_name: String,
    pub usage_name: Option<String>,
    pub first_names: Option<String>,
    pub address: Address,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A child's link to one of the fratrie's adults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdultLink {
    /// Index of the adult in [`DossierInput::adults`] (on input) or its id (on output).
    pub adult: i64,
    pub link_id: i64,
    pub parental_authority: bool,
}

/// An alleged author: one of the fratrie's adults, or a named third party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Author {
    /// Index (input) or id (output) of the adult, when the author is one of them.
    pub adult: Option<i64>,
    pub third_party_name: Option<String>,
    pub link_id: i64,
}

/// The conclusion for one child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conclusion {
    pub conclusion_id: i64,
    pub on: NaiveDate,
    pub comment: Option<String>,
}

/// A child's facts in this dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChildInput {
    /// An existing person (the "ancien dossier"), or a new one.
    pub person_id: Option<i64>,
    pub person: Person,
    pub address: Address,
    pub csp_father_id: Option<i64>,
    pub csp_mother_id: Option<i64>,
    pub lieu_de_vie_id: Option<i64>,
    pub comment: Option<String>,
    pub adults: Vec<AdultLink>,
    pub authors: Vec<Author>,
    pub motif_ids: Vec<i64>,
    pub evaluation_result_id: Option<i64>,
    pub conclusion: Option<Conclusion>,
}

/// One assignment of the evaluation to a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentInput {
    pub service_id: i64,
    pub asked_on: NaiveDate,
    pub due_on: NaiveDate,
    pub evaluators: Vec<String>,
    pub returned_on: Option<NaiveDate>,
    pub result_id: Option<i64>,
    pub cancelled: bool,
    pub comment: Option<String>,
}

/// The dated follow-ups of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FollowUpKind {
    /// Transmission to the parquet (date and time).
    Parquet,
    /// Parents informed (CASF L226-2-1), or why not.
    ParentsInformed,
    /// Feedback to the professional who sent the IP (CASF L226-5).
    ProfessionalFeedback,
    /// Feedback to the 119 (SNATED).
    Feedback119,
}

impl FollowUpKind {
    pub const ALL: [FollowUpKind; 4] = [
        Self::Parquet,
        Self::ParentsInformed,
        Self::ProfessionalFeedback,
        Self::Feedback119,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::ParentsInformed => "parents_informes",
            Self::ProfessionalFeedback => "retour_professionnel",
            Self::Feedback119 => "retour_119",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Parquet => "Transmission au parquet",
            Self::ParentsInformed => "Information des parents (L226-2-1)",
            Self::ProfessionalFeedback => "Retour au professionnel (L226-5)",
            Self::Feedback119 => "Retour au 119",
        }
    }
}

/// One follow-up, done or with the reason it was not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    pub kind: FollowUpKind,
    /// When it is due (listed on the échéances page until done or given a reason).
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    pub done_at: Option<DateTime<Utc>>,
    pub not_done_reason: Option<String>,
}

/// The header of a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Header {
    pub received_at: DateTime<Utc>,
    pub type_id: i64,
    pub danger_grave: bool,
    pub violence_conjugale: bool,
    pub sip: bool,
    pub receiving_agent_id: Option<i64>,
    pub channel_id: i64,
    pub snated_number: Option<String>,
    pub territory_id: i64,
    pub status: DossierStatus,
    pub expose: Option<String>,
    pub observation: Option<String>,
}

impl Header {
    /// Checks the header's own fields (time is a parameter).
    pub fn check(&self, e: &mut Errors, now: DateTime<Utc>) {
        if self.received_at > now {
            e.push(
                "received_at",
                L::RECEIVED_AT,
                "ne peut pas être dans le futur.",
            );
        }
        check(
            e,
            "snated_number",
            L::SNATED_NUMBER,
            TextKind::Short,
            self.snated_number.as_deref(),
        );
        check(
            e,
            "expose",
            L::EXPOSE,
            TextKind::Long,
            self.expose.as_deref(),
        );
        check(
            e,
            "observation",
            L::OBSERVATION,
            TextKind::Long,
            self.observation.as_deref(),
        );
    }
}

/// A whole dossier to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DossierInput {
    pub header: Header,
    pub source: Source,
    pub adults: Vec<Adult>,
    pub children: Vec<ChildInput>,
    pub assignments: Vec<AssignmentInput>,
    pub follow_ups: Vec<FollowUp>,
}

/// A row of the dossier list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DossierSummary {
    pub id: i64,
    pub number: DossierNumber,
    pub received_at: DateTime<Utc>,
    pub type_label: String,
    pub territory_label: String,
    pub status: DossierStatus,
    pub danger_grave: bool,
    pub children: String,
}

pub mod limits;
mod validate;

#[cfg(test)]
pub(crate) mod tests;
