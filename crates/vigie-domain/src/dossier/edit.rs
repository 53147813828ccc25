//! The edit of a dossier: what the dossier screen and the API send to save a whole dossier
//! (creation, or an update with one version per part), and what a save answers — the
//! revisions written, or the parts another agent changed in the meantime.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dossier::record::DossierRecord;
use crate::labels as L;
use crate::rules::DirectConclusion;
use crate::{DomainError, DossierInput, DossierNumber};

/// An existing part and the version the editor started from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saved {
    pub id: i64,
    pub number: DossierNumber,
    /// Revision ids written by this save (empty when nothing changed).
    pub revisions: Vec<i64>,
}

/// One entry of a dossier's history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl DossierEdit {
    /// An edit of a stored dossier that changes nothing yet: every part referenced with
    /// its stored version and `touched` set (so that any later change is checked).
    pub fn from_record(rec: &DossierRecord) -> Self {
        let index = |aid: i64| {
            rec.adults
                .iter()
                .position(|a| a.id == aid)
                .map_or(-1, |i| i as i64)
        };
        let children = rec
            .children
            .iter()
            .map(|c| {
                let mut d = c.data.clone();
                for l in &mut d.adults {
                    l.adult = index(l.adult);
                }
                for a in &mut d.authors {
                    a.adult = a.adult.map(index);
                }
                d
            })
            .collect();
        Self {
            dossier: Some(PartRef {
                id: rec.id,
                version: rec.version,
                touched: true,
            }),
            input: DossierInput {
                header: rec.header.clone(),
                source: rec.source.clone(),
                adults: rec.adults.iter().map(|a| a.data.clone()).collect(),
                children,
                assignments: rec.assignments.iter().map(|a| a.data.clone()).collect(),
                follow_ups: rec.follow_ups.clone(),
            },
            adult_ids: rec.adults.iter().map(|a| Some(a.id)).collect(),
            children: rec
                .children
                .iter()
                .map(|c| {
                    Some(PartRef {
                        id: c.id,
                        version: c.version,
                        touched: true,
                    })
                })
                .collect(),
            assignments: rec
                .assignments
                .iter()
                .map(|a| {
                    Some(PartRef {
                        id: a.id,
                        version: a.version,
                        touched: true,
                    })
                })
                .collect(),
            removed_children: vec![],
            removed_assignments: vec![],
            direct: rec.direct,
            status_reason: None,
            confirmed_adult_children: vec![],
        }
    }

    /// A new dossier.
    pub fn create(input: DossierInput) -> Self {
        Self {
            dossier: None,
            adult_ids: vec![None; input.adults.len()],
            children: vec![None; input.children.len()],
            assignments: vec![None; input.assignments.len()],
            input,
            removed_children: vec![],
            removed_assignments: vec![],
            direct: None,
            status_reason: None,
            confirmed_adult_children: vec![],
        }
    }
}

/// The edit's own lists within the domain's limits, and its reason a clean text.
pub fn check_edit_bounds(e: &DossierEdit) -> Result<(), DomainError> {
    use crate::limits::{MAX_ASSIGNMENTS, MAX_CHILDREN, too_many};
    let mut errs = crate::error::Errors::default();
    // Beyond a limit, nothing is looked up: the work stays bounded.
    crate::limits::check(&e.input, &mut errs);
    if e.removed_children.len() > MAX_CHILDREN {
        let n = e.removed_children.len();
        errs.push(
            "removed_children",
            L::REMOVED_CHILDREN,
            too_many("enfants", MAX_CHILDREN, Some(n), "dossier"),
        );
    }
    if e.removed_assignments.len() > MAX_ASSIGNMENTS {
        let n = e.removed_assignments.len();
        let m = too_many("affectations", MAX_ASSIGNMENTS, Some(n), "dossier");
        errs.push("removed_assignments", L::REMOVED_ASSIGNMENTS, m);
    }
    if e.confirmed_adult_children.len() > MAX_CHILDREN {
        let n = e.confirmed_adult_children.len();
        let m = too_many("enfants", MAX_CHILDREN, Some(n), "dossier");
        errs.push("confirmed_adult_children", L::CONFIRMED_ADULT_CHILDREN, m);
    }
    crate::text::check(
        &mut errs,
        "status_reason",
        L::STATUS_REASON,
        crate::text::TextKind::Comment,
        e.status_reason.as_deref(),
    );
    errs.into_result()
}
