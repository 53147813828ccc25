//! Why a dossier is in the search results, and in which order the results come.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::matcher::{MatchKind, NameMatch};

/// Who matched in the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FoundPerson {
    /// A parent or another adult of the dossier's « Parents » part (a newborn is unknown,
    /// its mother is not).
    Parent,
    /// A child of the dossier.
    Child,
}

/// Why a dossier was found by a name search.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Found {
    /// How the name matched.
    pub kind: MatchKind,
    /// Who matched.
    pub person: FoundPerson,
    /// How the birth date typed matched: 2 exactly, 1 on the year (approximate or expected
    /// date), 0 unknown or no date typed.
    pub birth: u8,
    /// Particles typed that the name does not have.
    #[serde(skip)]
    pub skipped: u8,
    /// The reason, as shown: « même orthographe », « même prononciation », « orthographe
    /// proche », « parent (même orthographe) »…
    pub reason: String,
}

impl Found {
    pub fn new(m: NameMatch, person: FoundPerson, birth: u8) -> Self {
        let reason = match person {
            FoundPerson::Child => m.kind.label().to_owned(),
            FoundPerson::Parent => format!("parent ({})", m.kind.label()),
        };
        Self {
            kind: m.kind,
            person,
            birth,
            skipped: m.skipped,
            reason,
        }
    }

    /// The better of two reasons for the same dossier.
    pub fn best(a: Found, b: Found) -> Found {
        if b.key() > a.key() { b } else { a }
    }

    fn key(&self) -> (MatchKind, FoundPerson, u8, std::cmp::Reverse<u8>) {
        (
            self.kind,
            self.person,
            self.birth,
            std::cmp::Reverse(self.skipped),
        )
    }
}

/// The order of the results: every word spelt the same, then pronounced the same, then a
/// typo; a child before a parent; a birth date matched raises; then the most recent
/// dossier (reception date, then the dossier created last).
pub fn cmp_results(a: (&Found, DateTime<Utc>, i64), b: (&Found, DateTime<Utc>, i64)) -> Ordering {
    b.0.key()
        .cmp(&a.0.key())
        .then(b.1.cmp(&a.1))
        .then(b.2.cmp(&a.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchKind::*;

    fn found(kind: MatchKind, person: FoundPerson, birth: u8) -> Found {
        Found::new(NameMatch { kind, skipped: 0 }, person, birth)
    }

    #[test]
    fn spelling_then_sound_then_typo_then_birth_then_recency() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let old = t("2020-01-01T00:00:00Z");
        let new = t("2026-01-01T00:00:00Z");
        let rows = [
            (found(CloseSpelling, FoundPerson::Child, 2), new, 1),
            (found(SameSound, FoundPerson::Child, 0), new, 2),
            (found(SameSpelling, FoundPerson::Parent, 0), new, 3),
            (found(SameSpelling, FoundPerson::Child, 0), new, 4),
            (found(SameSpelling, FoundPerson::Child, 2), old, 5),
            (found(SameSpelling, FoundPerson::Child, 0), old, 6),
        ];
        let mut sorted: Vec<_> = rows.iter().collect();
        sorted.sort_by(|a, b| cmp_results((&a.0, a.1, a.2), (&b.0, b.1, b.2)));
        let ids: Vec<i64> = sorted.iter().map(|r| r.2).collect();
        assert_eq!(ids, [5, 4, 6, 3, 2, 1]);
        assert_eq!(rows[2].0.reason, "parent (même orthographe)");
        assert_eq!(rows[1].0.reason, "même prononciation");
    }
}
