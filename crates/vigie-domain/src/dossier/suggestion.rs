//! Known persons proposed while a child's identity is typed: what a suggestion shows (the
//! person, the rule's score, the person's dossiers — outside the scope only their existence).

use chrono::{DateTime, Utc};

use crate::{DossierNumber, Person};

/// A known person who may be the child being typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    /// To link the child to this person (`ChildInput.person_id`).
    pub person_id: i64,
    pub person: Person,
    /// The rule's score: higher is closer.
    pub score: u32,
    /// The person's dossiers, newest first.
    pub dossiers: Vec<EarlierDossier>,
}

/// A dossier of a suggested person. Outside the caller's scope, no id: only its existence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarlierDossier {
    /// Only when the dossier is within the caller's scope.
    pub id: Option<i64>,
    pub number: DossierNumber,
    pub received_at: DateTime<Utc>,
    pub territory_label: String,
    pub in_scope: bool,
}
