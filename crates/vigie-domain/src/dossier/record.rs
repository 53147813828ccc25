//! The read model of a stored dossier: the whole dossier as the store returns it, with the
//! ids and versions of its parts. It is also the API's wire format (`utoipa` schemas).

use chrono::{DateTime, Utc};

use crate::dossier::edit::DirectConclusionCode;
use crate::{Adult, AssignmentInput, ChildInput, DossierNumber, FollowUp, Header, Source};

/// A child as stored in a dossier.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChildRecord {
    pub id: i64,
    pub person_id: i64,
    pub version: i64,
    /// `adults[].adult` and `authors[].adult` hold adult ids.
    pub data: ChildInput,
    /// Other dossiers of the same person (the "ancien dossier").
    pub other_dossiers: Vec<OtherDossier>,
}

/// Another dossier of a child; outside the scope, only its existence is shown (number,
/// date and territory, as on the page): its id is given only within the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OtherDossier {
    /// The dossier's id, when it is within the caller's scope (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub number: DossierNumber,
    pub received_at: DateTime<Utc>,
    pub territory_label: String,
    pub in_scope: bool,
}

/// An assignment as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentRecord {
    pub id: i64,
    pub version: i64,
    pub data: AssignmentInput,
}

/// An adult as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdultRecord {
    pub id: i64,
    pub data: Adult,
}

/// A whole dossier.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DossierRecord {
    pub id: i64,
    pub number: DossierNumber,
    pub version: i64,
    pub header: Header,
    pub source: Source,
    pub adults: Vec<AdultRecord>,
    pub children: Vec<ChildRecord>,
    pub assignments: Vec<AssignmentRecord>,
    pub follow_ups: Vec<FollowUp>,
    /// Why it was concluded without evaluation, if it was.
    pub direct: Option<DirectConclusionCode>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// Ids given to the parts of a fictional dossier: adults from 1, children from 101 (their
/// persons from 301), assignments from 201.
const CHILD_IDS: i64 = 100;
const ASSIGNMENT_IDS: i64 = 200;
const PERSON_IDS: i64 = 300;

impl DossierRecord {
    /// A dossier that exists only in memory, from an input (the demo generator's): ids given in
    /// order, the input's adult indexes turned into those ids. For testing a letter template on
    /// something that is not a real dossier.
    pub fn fictional(input: &crate::DossierInput, number: DossierNumber) -> DossierRecord {
        let id_of = |index: i64| index + 1;
        let children = input
            .children
            .iter()
            .zip(1..)
            .map(|(c, n)| {
                let mut data = c.clone();
                for link in &mut data.adults {
                    link.adult = id_of(link.adult);
                }
                for author in &mut data.authors {
                    author.adult = author.adult.map(id_of);
                }
                ChildRecord {
                    id: CHILD_IDS + n,
                    person_id: PERSON_IDS + n,
                    version: 1,
                    data,
                    other_dossiers: Vec::new(),
                }
            })
            .collect();
        DossierRecord {
            id: 0,
            number,
            version: 1,
            header: input.header.clone(),
            source: input.source.clone(),
            adults: input
                .adults
                .iter()
                .zip(1..)
                .map(|(a, id)| AdultRecord {
                    id,
                    data: a.clone(),
                })
                .collect(),
            children,
            assignments: input
                .assignments
                .iter()
                .zip(1..)
                .map(|(a, n)| AssignmentRecord {
                    id: ASSIGNMENT_IDS + n,
                    version: 1,
                    data: a.clone(),
                })
                .collect(),
            follow_ups: input.follow_ups.clone(),
            direct: None,
            created_by: None,
            created_at: input.header.received_at,
            updated_by: None,
            updated_at: input.header.received_at,
        }
    }
}
