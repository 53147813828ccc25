//! Name search: what an agent types (names in any order, joined or split, with or without
//! accents, an initial, a typo, a birth date), which persons it matches and how well, and
//! the order of the results. The store finds candidates by indexed keys
//! ([`crate::names::keys`]) and asks this module which ones match, so that SQLite and
//! PostgreSQL return the same rows in the same order.

pub mod keys;
mod matcher;
mod query;
mod rank;
mod results;

#[cfg(any(test, feature = "test-cases"))]
pub mod cases;

pub use matcher::{
    Group, MAX_WORDS, MatchKind, NameMatch, Names, TYPO_MIN_LETTERS, Typed, within_typo,
};
pub use query::{BirthHint, NameQuery, parse_name_query};
pub use rank::{Found, FoundPerson, cmp_results};
pub use results::{SearchHit, SearchResults};

use crate::BirthDate;

/// A search as typed, prepared once: its name words and the birth date typed among them.
#[derive(Debug, Clone)]
pub struct Search {
    pub typed: Typed,
    pub birth: Option<BirthHint>,
}

impl Search {
    pub fn parse(text: &str) -> Self {
        let q = parse_name_query(text);
        Self {
            typed: Typed::new(&q.words),
            birth: q.birth,
        }
    }

    /// Why a child (names and birth date) is found, if it is.
    pub fn child(&self, names: &Names, birth: BirthDate) -> Option<Found> {
        let close = match self.birth {
            Some(h) => h.closeness(birth)?,
            None => 0,
        };
        let m = self.typed.matches(names)?;
        Some(Found::new(m, FoundPerson::Child, close))
    }

    /// Why a parent is found, if it is. A birth date typed searches a child: no parent then
    /// (adults' birth dates are not recorded).
    pub fn parent(&self, names: &Names) -> Option<Found> {
        if self.birth.is_some() {
            return None;
        }
        let m = self.typed.matches(names)?;
        Some(Found::new(m, FoundPerson::Parent, 0))
    }
}
