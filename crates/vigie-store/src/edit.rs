//! Saving a whole dossier from the dossier screen or the API: creation, or an update with
//! **one version per part** (the header with the source, the parents and the follow-ups;
//! each child; each assignment). Two agents editing different children do not collide; a
//! stale save of the same part is refused with what the other agent changed. Each saved
//! change of a part becomes a revision (who, when, old and new values), and the audit entry
//! names the revisions and the fields — never the content.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vigie_domain::rules::DirectConclusion;
use vigie_domain::{DossierInput, DossierNumber};

/// An existing part and the version the editor started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRef {
    /// Dossier id for the header, child row id, or assignment id.
    pub id: i64,
    pub version: i64,
    /// Whether the editor changed this part. An untouched part is neither checked nor
    /// written (another agent's change to it stays). The API always sends `true`: a part
    /// equal to what is stored is then a no-op whatever its version.
    pub touched: bool,
}

/// A whole dossier to save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierEdit {
    /// The header part; `None` creates a new dossier.
    pub dossier: Option<PartRef>,
    /// The whole dossier. In `children[].adults[].adult` and `children[].authors[].adult`,
    /// adults are referenced by their **index** in `input.adults`.
    pub input: DossierInput,
    /// Stored id of each adult of `input.adults` (`None` for a new one); same length.
    pub adult_ids: Vec<Option<i64>>,
    /// The stored child of each `input.children` (`None` for a new child); same length.
    pub children: Vec<Option<PartRef>>,
    /// The stored assignment of each `input.assignments`; same length.
    pub assignments: Vec<Option<PartRef>>,
    /// Children removed by the editor (with the version they saw).
    pub removed_children: Vec<PartRef>,
    /// Assignments removed by the editor.
    pub removed_assignments: Vec<PartRef>,
    /// Why the dossier is concluded without evaluation (reçue/qualifiée → conclue).
    pub direct: Option<DirectConclusionCode>,
    /// Why a concluded or closed dossier is reopened.
    pub status_reason: Option<String>,
    /// Indexes of the children aged 18 or more at reception that the agent confirmed
    /// (jeunes majeurs, up to 21).
    pub confirmed_adult_children: Vec<usize>,
}

/// [`DirectConclusion`] as a stable code (stored in `dossier.direct_conclusion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectConclusionCode {
    NotAnIp,
    AlreadyFollowed,
    ParquetTransmission,
}

impl DirectConclusionCode {
    pub const ALL: [Self; 3] = [
        Self::NotAnIp,
        Self::AlreadyFollowed,
        Self::ParquetTransmission,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::NotAnIp => "pas_une_ip",
            Self::AlreadyFollowed => "deja_suivie",
            Self::ParquetTransmission => "transmission_parquet",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub const fn domain(self) -> DirectConclusion {
        match self {
            Self::NotAnIp => DirectConclusion::NotAnIp,
            Self::AlreadyFollowed => DirectConclusion::AlreadyFollowed,
            Self::ParquetTransmission => DirectConclusion::ParquetTransmission,
        }
    }

    pub const fn label(self) -> &'static str {
        self.domain().label()
    }
}

/// Which part of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Header, source, parents, exposé, observation, follow-ups.
    Header,
    Child,
    Assignment,
}

impl Part {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Header => "entete",
            Self::Child => "enfant",
            Self::Assignment => "affectation",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Header, Self::Child, Self::Assignment]
            .into_iter()
            .find(|p| p.code() == code)
    }
}

/// One changed field, with display values (parameter labels resolved, dates in French).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Stable key, e.g. `first_names`, `motifs`.
    pub field: String,
    /// French label.
    pub label: String,
    pub old: String,
    pub new: String,
}

/// A stale part: the other agent's values (`old` = now stored) against this agent's
/// (`new` = typed), who saved last and when, and the version now stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartConflict {
    pub part: Part,
    /// Index in the edit (`children`/`assignments`), `None` for the header.
    pub index: Option<usize>,
    /// French, e.g. « Enfant : Léa MARTIN ».
    pub part_label: String,
    /// Whether the other agent removed it.
    pub removed: bool,
    pub changes: Vec<FieldChange>,
    pub by: Option<String>,
    pub at: Option<DateTime<Utc>>,
    pub current_version: i64,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saved {
    pub id: i64,
    pub number: DossierNumber,
    /// Revision ids written by this save (empty when nothing changed).
    pub revisions: Vec<i64>,
}

/// One entry of a dossier's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub id: i64,
    pub part: Part,
    pub part_id: Option<i64>,
    pub part_label: String,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub user_name: Option<String>,
    pub reason: Option<String>,
    pub changes: Vec<FieldChange>,
}
