//! One page of search results, as the page and the API show them.

use crate::DossierSummary;

use super::Found;

/// A dossier found, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    #[serde(flatten)]
    pub dossier: DossierSummary,
    /// Why the dossier was found by name (absent when found by its number or its 119 number).
    pub found: Option<Found>,
}

/// One page of results, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    pub rows: Vec<SearchHit>,
    /// Dossiers found, all pages together.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
    /// Pages of results.
    pub pages: usize,
    /// More persons matched than are ranked (only the most recently recorded are): the
    /// search should be narrowed (a first name, a birth year).
    pub truncated: bool,
}

impl SearchResults {
    /// The dossiers of this page, in order.
    pub fn dossiers(self) -> Vec<DossierSummary> {
        self.rows.into_iter().map(|h| h.dossier).collect()
    }
}
