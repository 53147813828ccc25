//! Whether a stored name matches what an agent typed, and how well.
//!
//! What was typed is split into words (accents, case, hyphens and apostrophes set aside,
//! see [`crate::names::tokens`]); consecutive words may be read joined (« de la tour » is
//! also « delatour »). A stored name is a set of pieces: its words and their runs joined
//! ([`crate::names::pieces`]). Every typed word must be accounted for, in any order: by a
//! piece spelt the same, pronounced the same ([`crate::names::phonetic`]), or within one
//! typo (a letter wrong, missing, added, or two swapped, in a name of five letters or
//! more); a single letter is a first name's initial (« j dupont »); a particle (« de »,
//! « ben », « el »…) may be typed where the name has none. The weakest word decides the
//! kind of match: every word spelt the same > pronounced the same > a typo.

use crate::names::{MAX_JOINED, is_particle, phonetic, pieces, tokens};

/// At most this many words of a search are used.
pub const MAX_WORDS: usize = 8;

/// The fewest letters of a stored name in which a typo is forgiven.
pub const TYPO_MIN_LETTERS: usize = 5;

/// How a name matched, weakest first (the order ranks results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// One letter wrong, missing or added, or two letters swapped, in a name of five
    /// letters or more.
    CloseSpelling,
    /// Written differently, pronounced the same (Lefebvre / Lefèvre).
    SameSound,
    /// The same spelling, accents, case, spaces, hyphens and apostrophes aside.
    SameSpelling,
}

impl MatchKind {
    /// The reason shown to the agent.
    pub fn label(self) -> &'static str {
        match self {
            Self::SameSpelling => "même orthographe",
            Self::SameSound => "même prononciation",
            Self::CloseSpelling => "orthographe proche",
        }
    }
}

/// A match: its kind, and how many particles typed were not in the name (fewer is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameMatch {
    pub kind: MatchKind,
    pub skipped: u8,
}

/// One piece of a stored name; its phonetic key computed only if a word typed is not
/// spelt the same (most candidates match by spelling: the key is the costly part).
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    sound: std::cell::OnceCell<String>,
    first_name: bool,
}

impl Piece {
    fn sound(&self) -> &str {
        self.sound.get_or_init(|| phonetic(&self.text))
    }
}

/// A stored person's names (family names and first names), prepared for matching.
#[derive(Debug, Clone)]
pub struct Names {
    pieces: Vec<Piece>,
}

/// Whether `typed` is within one typo of the stored `stored` (a name of five letters or more).
pub fn within_typo(typed: &str, stored: &str) -> bool {
    let (t, s) = (typed.chars().count(), stored.chars().count());
    s >= TYPO_MIN_LETTERS
        && t + 1 >= TYPO_MIN_LETTERS
        && t.abs_diff(s) <= 1
        && strsim::osa_distance(typed, stored) <= 1
}

impl Names {
    /// Family names (birth and usage names) and first names, as stored.
    pub fn new(family: &[&str], first: &[&str]) -> Self {
        let mut out: Vec<Piece> = Vec::new();
        let fields = family
            .iter()
            .map(|n| (n, false))
            .chain(first.iter().map(|n| (n, true)));
        for (name, first_name) in fields {
            for text in pieces(name) {
                if !out
                    .iter()
                    .any(|p| p.text == text && p.first_name == first_name)
                {
                    out.push(Piece {
                        text,
                        sound: std::cell::OnceCell::new(),
                        first_name,
                    });
                }
            }
        }
        Self { pieces: out }
    }

    /// The names of a stored row: birth name, usage name (if any), first names (if any).
    pub fn of(birth_name: &str, usage_name: Option<&str>, first_names: Option<&str>) -> Self {
        let mut family = vec![birth_name];
        family.extend(usage_name);
        Self::new(&family, &first_names.into_iter().collect::<Vec<_>>())
    }

    /// The best kind of match of one typed group, if any: the same spelling (or a first
    /// name's initial) first, then the same sound, then a typo.
    fn best_kind(&self, g: &Group) -> Option<MatchKind> {
        let initial = g.text.chars().count() == 1;
        if self
            .pieces
            .iter()
            .any(|p| g.text == p.text || (initial && p.first_name && p.text.starts_with(&g.text)))
        {
            return Some(MatchKind::SameSpelling);
        }
        if initial {
            return None;
        }
        if !g.sound.is_empty() && self.pieces.iter().any(|p| p.sound() == g.sound) {
            return Some(MatchKind::SameSound);
        }
        (g.typo_allowed && self.pieces.iter().any(|p| within_typo(&g.text, &p.text)))
            .then_some(MatchKind::CloseSpelling)
    }
}

/// Consecutive typed words read joined.
#[derive(Debug, Clone)]
pub struct Group {
    start: usize,
    end: usize,
    /// The words joined, normalised.
    pub text: String,
    /// Its phonetic key.
    pub sound: String,
    /// Whether a typo is forgiven: not when a word of the group is a single letter
    /// (« p dupont » is not a typo of « dupont »).
    pub typo_allowed: bool,
}

/// What was typed, prepared once for every candidate.
#[derive(Debug, Clone)]
pub struct Typed {
    words: Vec<String>,
    groups: Vec<Group>,
}

/// The state of the matching after some words: whether a word matched yet, the weakest
/// kind so far, and the particles skipped.
#[derive(Debug, Clone, Copy)]
struct State {
    matched: bool,
    kind: MatchKind,
    skipped: u8,
}

impl State {
    fn rank(self) -> (bool, MatchKind, std::cmp::Reverse<u8>) {
        (self.matched, self.kind, std::cmp::Reverse(self.skipped))
    }
}

fn better(a: Option<State>, b: State) -> Option<State> {
    match a {
        Some(a) if a.rank() >= b.rank() => Some(a),
        _ => Some(b),
    }
}

impl Typed {
    /// The name words of a search (without the birth date, see [`super::parse_name_query`]).
    pub fn new(text: &str) -> Self {
        let words: Vec<String> = tokens(text).into_iter().take(MAX_WORDS).collect();
        let mut groups = Vec::new();
        for start in 0..words.len() {
            for end in start + 1..=(start + MAX_JOINED).min(words.len()) {
                let text = words[start..end].concat();
                let sound = phonetic(&text);
                let typo_allowed = words[start..end].iter().all(|w| w.chars().count() > 1);
                groups.push(Group {
                    start,
                    end,
                    text,
                    sound,
                    typo_allowed,
                });
            }
        }
        Self { words, groups }
    }

    /// The words typed, normalised.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The words a match must contain (the others, particles and initials, may be skipped
    /// or match many): an index into [`Typed::words`].
    pub fn required(&self) -> Vec<usize> {
        (0..self.words.len())
            .filter(|&i| self.words[i].chars().count() > 1 && !is_particle(&self.words[i]))
            .collect()
    }

    /// Every group of consecutive words typed (each word alone, and joined with the next ones).
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The groups that contain word `i`.
    pub fn groups_with(&self, i: usize) -> impl Iterator<Item = &Group> {
        self.groups
            .iter()
            .filter(move |g| g.start <= i && i < g.end)
    }

    /// Whether the stored `names` match what was typed, and how well.
    pub fn matches(&self, names: &Names) -> Option<NameMatch> {
        let n = self.words.len();
        if n == 0 {
            return None;
        }
        // best[i]: the best way to account for the first i words.
        let mut best: Vec<Option<State>> = vec![None; n + 1];
        best[0] = Some(State {
            matched: false,
            kind: MatchKind::SameSpelling,
            skipped: 0,
        });
        for i in 1..=n {
            let mut cur = None;
            if let Some(p) = best[i - 1].filter(|_| is_particle(&self.words[i - 1])) {
                cur = better(
                    cur,
                    State {
                        skipped: p.skipped.saturating_add(1),
                        ..p
                    },
                );
            }
            for g in self.groups.iter().filter(|g| g.end == i) {
                let (Some(p), Some(k)) = (best[g.start], names.best_kind(g)) else {
                    continue;
                };
                cur = better(
                    cur,
                    State {
                        matched: true,
                        kind: p.kind.min(k),
                        skipped: p.skipped,
                    },
                );
            }
            best[i] = cur;
        }
        best[n].filter(|s| s.matched).map(|s| NameMatch {
            kind: s.kind,
            skipped: s.skipped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(query: &str, family: &str, first: &str) -> Option<MatchKind> {
        Typed::new(query)
            .matches(&Names::new(&[family], &[first]))
            .map(|m| m.kind)
    }

    #[test]
    fn the_weakest_word_decides() {
        use MatchKind::*;
        assert_eq!(kind("martin lea", "Martin", "Léa"), Some(SameSpelling));
        assert_eq!(kind("lefebvre lea", "Lefèvre", "Léa"), Some(SameSound));
        assert_eq!(kind("lefebvre lea", "Lefèvre", "Léo"), None);
        assert_eq!(kind("matrin lea", "Martin", "Léa"), Some(CloseSpelling));
        assert_eq!(
            kind("j martin", "Martin", "Jean-Baptiste"),
            Some(SameSpelling)
        );
        assert_eq!(kind("j martin", "Martin", "Baptiste"), None);
        assert_eq!(kind("de la tour", "Delatour", "Anne"), Some(SameSpelling));
        assert_eq!(kind("", "Martin", "Léa"), None);
    }

    #[test]
    fn a_typo_needs_five_letters_and_one_edit() {
        assert!(within_typo("matrin", "martin"));
        assert!(within_typo("martn", "martin"));
        assert!(within_typo("marttin", "martin"));
        assert!(within_typo("marbin", "martin"));
        assert!(!within_typo("mratni", "martin"));
        assert!(!within_typo("leo", "lea"));
        assert!(!within_typo("hugo", "hugi"));
    }

    #[test]
    fn particles_typed_where_the_name_has_none_cost_a_rank() {
        let names = Names::new(&["Tour"], &["Anne"]);
        let m = Typed::new("de la tour").matches(&names).unwrap();
        assert_eq!((m.kind, m.skipped), (MatchKind::SameSpelling, 2));
        assert!(Typed::new("de la").matches(&names).is_none());
    }
}
