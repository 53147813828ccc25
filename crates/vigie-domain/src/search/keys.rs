//! The combined keys that find a person typed with several words, or with a birth year, in
//! one index lookup. Intersecting the persons of each word typed reads every person of a
//! common word: at 1,000,000 dossiers, « léa martin » read the ids of some 30,000 MARTIN
//! and 20,000 LÉA to keep a few hundred. A key per pair of a person's name pieces, and per
//! piece and birth year, reads those few hundred only.
//!
//! Every piece of a person's names (see [`crate::names::pieces`]) gives an **atom**: its
//! phonetic key under its kind (`np:`, `fp:`), or the piece itself (`n:`, `f:`) when it has
//! none. A word typed matches a stored piece spelt the same, pronounced the same or within
//! one typo (see [`super::Typed::matches`]): in every case the piece's atom is among the
//! atoms of that word ([`word_atoms`]), computed from the groups of words typed and the
//! stored words within one typo. So the keys below find every person the domain matches
//! (and some it does not: the domain decides).
//!
//! - **pair** keys, `a|b` (`a < b`): every two distinct atoms of a person (children and
//!   adults);
//! - **year** keys, `a|2019` (`a|?` when the year is unknown): every atom of a child with
//!   its birth year.

use std::collections::{BTreeSet, HashMap};

use super::Typed;
use crate::names::phonetic;

/// The year of a year key when the birth year is unknown.
const UNKNOWN_YEAR: &str = "?";

/// The atom of a name piece of kind `prefix` (`n` family names, `f` first names).
pub fn atom(prefix: &str, piece: &str, sound: &str) -> String {
    if sound.is_empty() {
        format!("{prefix}:{piece}")
    } else {
        format!("{prefix}p:{sound}")
    }
}

/// The pair key of two atoms, in either order.
pub fn pair_key(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}|{b}")
    } else {
        format!("{b}|{a}")
    }
}

/// The year key of an atom (`None`: the year is unknown).
pub fn year_key(atom: &str, year: Option<i64>) -> String {
    match year {
        Some(y) => format!("{atom}|{y}"),
        None => format!("{atom}|{UNKNOWN_YEAR}"),
    }
}

/// Whether a key is a pair or year key (not a piece's key, nor a word of the vocabulary).
pub fn is_combined(key: &str) -> bool {
    key.contains('|')
}

/// The pair keys of a person's atoms, and for a child (`year` given) the year keys.
pub fn combined_keys(atoms: &BTreeSet<String>, year: Option<Option<i64>>) -> Vec<String> {
    let atoms: Vec<&String> = atoms.iter().collect();
    let mut out = Vec::new();
    for (i, a) in atoms.iter().enumerate() {
        for b in &atoms[i + 1..] {
            out.push(pair_key(a, b));
        }
        if let Some(y) = year {
            out.push(year_key(a, y));
        }
    }
    out
}

/// The atoms a stored piece matching the required word `i` may have: for each group of
/// words typed that contains it, as a family name and as a first name, its own, and
/// (`typos`, by group text) those of the stored words within one typo of it.
pub fn word_atoms(
    typed: &Typed,
    i: usize,
    typos: Option<&HashMap<String, Vec<String>>>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for g in typed.groups_with(i) {
        for prefix in ["n", "f"] {
            out.insert(atom(prefix, &g.text, &g.sound));
            for w in typos.and_then(|t| t.get(&g.text)).into_iter().flatten() {
                out.insert(atom(prefix, w, &phonetic(w)));
            }
        }
    }
    out
}

/// The keys of which a person matching two required words has at least one: a pair of
/// their atoms, or one atom of both (a group of words typed that holds both, such as
/// « saint martin » for Saint-Martin, stored as a piece's key).
pub fn pair_lookup(a: &BTreeSet<String>, b: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = a.intersection(b).cloned().collect();
    for x in a {
        for y in b {
            if x != y {
                out.insert(pair_key(x, y));
            }
        }
    }
    out
}

/// The keys of which a child matching a required word and born in `year` (or of unknown
/// year) has at least one.
pub fn year_lookup(atoms: &BTreeSet<String>, year: i32) -> BTreeSet<String> {
    atoms
        .iter()
        .flat_map(|a| [year_key(a, Some(i64::from(year))), year_key(a, None)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{keys_and_atoms, pieces};
    use crate::search::Search;
    use crate::search::cases::FOUND;
    use crate::search::within_typo;

    /// A child's keys, as the store writes them (`born` as in the table of cases).
    fn stored(family: &str, usage: &str, first: &str, born: &str) -> Vec<String> {
        let mut atoms = BTreeSet::new();
        let mut out = keys_and_atoms("n", family, &mut atoms);
        out.extend(keys_and_atoms("n", usage, &mut atoms));
        out.extend(keys_and_atoms("f", first, &mut atoms));
        let year = born
            .trim_start_matches('~')
            .get(0..4)
            .and_then(|y| y.parse().ok());
        out.extend(combined_keys(&atoms, Some(year)));
        out
    }

    #[test]
    fn pairs_and_years_are_written_once_in_either_order() {
        assert_eq!(pair_key("np:MARTIN", "fp:LA"), "fp:LA|np:MARTIN");
        assert_eq!(pair_key("fp:LA", "np:MARTIN"), "fp:LA|np:MARTIN");
        assert_eq!(year_key("np:MARTIN", Some(2019)), "np:MARTIN|2019");
        assert_eq!(year_key("np:MARTIN", None), "np:MARTIN|?");
        let atoms: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
        let keys = combined_keys(&atoms, None);
        assert_eq!(keys, ["a|b", "a|c", "b|c"]);
        assert!(keys.iter().all(|k| is_combined(k)));
        assert!(!is_combined("np:MARTIN"));
        assert_eq!(combined_keys(&atoms, Some(Some(2020))).len(), 6);
    }

    /// Every child of the table that the domain matches has a key of every lookup the
    /// store makes for the search typed: the keys never lose a match.
    #[test]
    fn the_lookups_find_every_match_of_the_table() {
        for c in FOUND {
            let keys = stored(c.family, c.usage, c.first, c.born);
            let search = Search::parse(c.query);
            let typed = &search.typed;
            // The vocabulary: the stored pieces within one typo of each group typed.
            let mut stored_pieces = pieces(c.family);
            stored_pieces.extend(pieces(c.usage));
            stored_pieces.extend(pieces(c.first));
            let mut typos: HashMap<String, Vec<String>> = HashMap::new();
            for g in typed.groups() {
                for p in &stored_pieces {
                    if g.typo_allowed && within_typo(&g.text, p) {
                        typos.entry(g.text.clone()).or_default().push(p.clone());
                    }
                }
            }
            let required = typed.required();
            let atoms: Vec<BTreeSet<String>> = required
                .iter()
                .map(|&i| word_atoms(typed, i, Some(&typos)))
                .collect();
            let has_one = |lookup: &BTreeSet<String>| keys.iter().any(|k| lookup.contains(k));
            for w in atoms.windows(2) {
                assert!(
                    has_one(&pair_lookup(&w[0], &w[1])),
                    "pair lookup misses {c:?}"
                );
            }
            if let Some(hint) = search.birth {
                for a in &atoms {
                    assert!(
                        has_one(&year_lookup(a, hint.year())),
                        "year lookup misses {c:?}"
                    );
                }
            }
        }
    }
}
