//! The persons and adults a search may match, found by key in SQL within the scope; the
//! domain ([`vigie_domain::search`]) then decides which match and how well.
//!
//! One word typed ([`Typed::required`]) gives the keys of every group of typed words it
//! belongs to: spelt the same (`n:`/`f:`), pronounced the same (`np:`/`fp:`), and the
//! stored words within one typo (`name_variant`). Several words, or a word and a birth
//! year, are found by their pair and year keys ([`vigie_domain::search::keys`]).

use std::collections::{BTreeSet, HashMap};

use sea_orm::ConnectionTrait;
use vigie_domain::Scope;
use vigie_domain::names::deletions;
use vigie_domain::search::keys::{pair_lookup, word_atoms, year_lookup};
use vigie_domain::search::{Group, Search, Typed, within_typo};

use crate::Result;
use crate::sql::{Sql, all_sql, get, scope_filter};

/// Which key table: children (`person_key`) or adults (`adult_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Who {
    Child,
    Parent,
}

impl Who {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Who::Child => ("person_key", "person_id"),
            Who::Parent => ("adult_key", "adult_id"),
        }
    }
}

/// What a candidate must have: a key of each set that [`find`] chooses; each set covers
/// some of the required words (a bit per word), and every word must be covered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Lookups {
    sets: Vec<(BTreeSet<String>, u16)>,
}

impl Lookups {
    fn one(set: BTreeSet<String>) -> Self {
        Self {
            sets: vec![(set, 1)],
        }
    }

    /// The pair keys of every two words ([`choose`] keeps the fewest that cover them all).
    fn pairs(atoms: &[BTreeSet<String>]) -> Self {
        let mut sets = Vec::new();
        for i in 0..atoms.len() {
            for j in i + 1..atoms.len() {
                sets.push((pair_lookup(&atoms[i], &atoms[j]), 1 << i | 1 << j));
            }
        }
        Self { sets }
    }

    /// The year keys of every word.
    fn years(atoms: &[BTreeSet<String>], year: i32) -> Self {
        Self {
            sets: atoms
                .iter()
                .enumerate()
                .map(|(i, a)| (year_lookup(a, year), 1 << i))
                .collect(),
        }
    }
}

/// The lookups of a search, each as a pair: the best kind of match first (spelt the same
/// for one word; spelt or pronounced the same for several, or with a year), then every
/// kind (typos too).
#[derive(Debug, Clone, Default)]
pub(super) struct WordKeys {
    /// By the names alone: adults always (their birth year is not recorded), children
    /// when no year is typed.
    names: (Lookups, Lookups),
    /// Children, by the year keys, when a year is typed.
    years: Option<(Lookups, Lookups)>,
}

impl WordKeys {
    pub(super) fn is_empty(&self) -> bool {
        self.names.1.sets.is_empty()
    }

    /// The lookups of the required words of `search`, with the stored words within one
    /// typo of each group (`typos`, by group text).
    ///
    /// One word: the persons with a key of that word (its spellings, sounds and typos).
    /// Several: the pair keys of two words ([`vigie_domain::search::keys`]), which read a
    /// few hundred persons where each common word has tens of thousands at 1,000,000
    /// dossiers. A birth year typed: the year keys of each word (a common word has a few
    /// thousand children born in a given year; a pair may have ten thousand, a family
    /// name of two words typed in full).
    pub(super) fn of(search: &Search, typos: &HashMap<String, Vec<String>>) -> Self {
        let typed = &search.typed;
        // At most 8 words are read (`MAX_WORDS`): a bit each in a `u16`.
        let required = typed.required();
        let year = search.birth.map(|h| h.year());
        if required.is_empty() {
            return Self::default();
        }
        let atoms = |typos: Option<&HashMap<String, Vec<String>>>| -> Vec<BTreeSet<String>> {
            required
                .iter()
                .map(|&i| word_atoms(typed, i, typos))
                .collect()
        };
        let (sound, all) = match (&required[..], year) {
            ([_], None) => (vec![], vec![]),
            _ => (atoms(None), atoms(Some(typos))),
        };
        let names = match required[..] {
            [i] => {
                let (mut exact, mut every) = (BTreeSet::new(), BTreeSet::new());
                for g in typed.groups_with(i) {
                    for prefix in ["n", "f"] {
                        group_keys(g, prefix, typos, &mut exact, &mut every);
                    }
                }
                every.extend(exact.iter().cloned());
                (Lookups::one(exact), Lookups::one(every))
            }
            _ => (Lookups::pairs(&sound), Lookups::pairs(&all)),
        };
        let years = year.map(|y| (Lookups::years(&sound, y), Lookups::years(&all, y)));
        Self { names, years }
    }

    fn of_who(&self, who: Who) -> &(Lookups, Lookups) {
        match (who, &self.years) {
            (Who::Child, Some(years)) => years,
            _ => &self.names,
        }
    }
}

/// The keys of one group typed as a name of kind `prefix`: its spelling into `exact`; its
/// sound and the stored words within one typo of it into `other`.
fn group_keys(
    g: &Group,
    prefix: &str,
    typos: &HashMap<String, Vec<String>>,
    exact: &mut BTreeSet<String>,
    other: &mut BTreeSet<String>,
) {
    exact.insert(format!("{prefix}:{}", g.text));
    if !g.sound.is_empty() {
        other.insert(format!("{prefix}p:{}", g.sound));
    }
    for w in typos.get(&g.text).into_iter().flatten() {
        other.insert(format!("{prefix}:{w}"));
    }
}

/// Every key, of every kind, of every group of the words typed in one field, under
/// `prefix` (`n` family names, `f` first names): what the known-child suggestions read
/// (there, one word of the field matching is enough to be a candidate).
pub(crate) fn field_keys(
    typed: &Typed,
    typos: &HashMap<String, Vec<String>>,
    prefix: &str,
) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut other = BTreeSet::new();
    for g in typed.groups() {
        group_keys(g, prefix, typos, &mut out, &mut other);
    }
    out.extend(other);
    out.into_iter().collect()
}

/// The stored words within one typo of each group typed (by group text), from the
/// vocabulary, in one query for several searches (the form's family and first names): a
/// word and a group within one edit share a one-deletion variant.
pub(crate) async fn typo_words(
    c: &impl ConnectionTrait,
    typed: &[&Typed],
) -> Result<HashMap<String, Vec<String>>> {
    let groups: BTreeSet<&str> = typed
        .iter()
        .flat_map(|t| t.groups())
        .filter(|g| {
            g.typo_allowed && g.text.chars().count() + 1 >= vigie_domain::search::TYPO_MIN_LETTERS
        })
        .map(|g| g.text.as_str())
        .collect();
    let mut variants: BTreeSet<String> = BTreeSet::new();
    for g in &groups {
        variants.insert((*g).to_owned());
        variants.extend(deletions(g));
    }
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if variants.is_empty() {
        return Ok(out);
    }
    let variants: Vec<String> = variants.into_iter().collect();
    let mut q = Sql::new("SELECT DISTINCT word FROM name_variant WHERE variant IN ");
    q.bind_list(&variants);
    for r in &all_sql(c, &q).await? {
        let word: String = get(r, "word")?;
        for g in &groups {
            if *g != word && within_typo(g, &word) {
                out.entry((*g).to_owned()).or_default().push(word.clone());
            }
        }
    }
    Ok(out)
}

/// The ids of the children or adults with a key of every set of `lookups`, having a
/// dossier within `scope`, the most
/// recently recorded first, at most `cap + 1` (one more tells that there are more).
async fn find(
    c: &impl ConnectionTrait,
    who: Who,
    lookups: &Lookups,
    scope: &Scope,
    cap: usize,
) -> Result<Vec<i64>> {
    let (table, id) = who.table();
    let chosen = choose(c, table, lookups).await?;
    let Some((first, rest)) = chosen.split_first() else {
        return Ok(vec![]);
    };
    let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<String>>();
    let limit = i64::try_from(cap + 1).unwrap_or(i64::MAX);
    // The ids with a key of every set: one set read as such, several intersected; then
    // the scope probed on the newest. `lateral`: the per-key subquery to close.
    let pg = crate::backend::sorts_candidates_first(c);
    let (mut q, col, lateral) = if pg && rest.is_empty() {
        // The newest within scope of each key, from its index read backward, then merged.
        let mut q = Sql::new("SELECT DISTINCT k.id AS id FROM (VALUES ");
        for (i, key) in first.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" })
                .bind(key.clone())
                .push(")");
        }
        q.push(&format!(
            ") AS kk(key) CROSS JOIN LATERAL (SELECT c.{id} AS id FROM {table} c WHERE c.key = kk.key"
        ));
        (q, format!("c.{id}"), true)
    } else if rest.is_empty() {
        // SQLite reads only the newest of a common name from its key index.
        let mut q = Sql::new(&format!(
            "SELECT DISTINCT c.{id} AS id FROM {table} c WHERE c.key IN "
        ));
        q.bind_list(&list(first));
        (q, format!("c.{id}"), false)
    } else {
        // Several sets intersected; PostgreSQL sorts them before probing their scope.
        let mut q = Sql::new(&format!(
            "SELECT c.id FROM (SELECT {id} AS id FROM {table} WHERE key IN "
        ));
        q.bind_list(&list(first));
        for k in rest {
            q.push(&format!(
                " INTERSECT SELECT {id} FROM {table} WHERE key IN "
            ))
            .bind_list(&list(k));
        }
        q.push(if pg { " ORDER BY id DESC" } else { "" })
            .push(") c WHERE 1 = 1");
        (q, "c.id".to_owned(), false)
    };
    if !matches!(scope, Scope::All) {
        // A correlated scalar subquery, probed per id (newest first on PostgreSQL), not
        // `EXISTS`, which PostgreSQL may turn into a hash of every dossier of the scope.
        // Read from the scope indexes of migration 10 alone; SQLite, without statistics,
        // would read the rows by their id (`INDEXED BY`: SQLite's own syntax).
        let (adult, dossier) = if crate::backend::is_postgres(c) {
            ("adult a", "dossier d")
        } else {
            (
                "adult a INDEXED BY adult_scope",
                "dossier d INDEXED BY dossier_scope",
            )
        };
        match who {
            Who::Child => q.push(&format!(" AND (SELECT 1 FROM dossier_child dc JOIN {dossier} ON d.id = dc.dossier_id WHERE dc.person_id = {col} AND ")),
            Who::Parent => q.push(&format!(" AND (SELECT 1 FROM {adult} JOIN {dossier} ON d.id = a.dossier_id WHERE a.id = {col} AND ")),
        };
        scope_filter(&mut q, scope, "d");
        q.push(" LIMIT 1) IS NOT NULL");
    }
    if lateral {
        q.push(&format!(" ORDER BY {col} DESC LIMIT "))
            .bind(limit)
            .push(") k");
    }
    q.push(" ORDER BY id DESC LIMIT ").bind(limit);
    all_sql(c, &q)
        .await?
        .iter()
        .map(|r| get::<i64>(r, "id"))
        .collect()
}

/// Persons counted per set of keys at most: enough to tell a common pair from a rare one.
const COUNT_AT_MOST: i64 = 5_000;

/// The sets of keys to intersect: all of them when each covers a word no other does;
/// otherwise (three words or more, paired) the fewest persons first until every word is
/// covered, counted in one query (at 1,000,000 demo dossiers, the pair of a family name of
/// two words has 10,000 children, that of a first name and either word a few hundred).
async fn choose<'a>(
    c: &impl ConnectionTrait,
    table: &str,
    lookups: &'a Lookups,
) -> Result<Vec<&'a BTreeSet<String>>> {
    let sets = &lookups.sets;
    let every = sets.iter().fold(0u16, |m, s| m | s.1);
    let needed = sets
        .iter()
        .all(|(_, m)| sets.iter().filter(|(_, o)| o & m != 0).count() == 1);
    if needed {
        return Ok(sets.iter().map(|(s, _)| s).collect());
    }
    let mut q = Sql::new("SELECT ");
    for (i, (set, _)) in sets.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(&format!(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE key IN "
        ));
        q.bind_list(&set.iter().cloned().collect::<Vec<String>>());
        q.push(" LIMIT ")
            .bind(COUNT_AT_MOST)
            .push(&format!(") x{i}) AS n{i}"));
    }
    let row = all_sql(c, &q).await?;
    let Some(row) = row.first() else {
        return Ok(vec![]);
    };
    let mut counted = Vec::with_capacity(sets.len());
    for (i, set) in sets.iter().enumerate() {
        counted.push((get::<i64>(row, &format!("n{i}"))?, set));
    }
    counted.sort_by_key(|(n, _)| *n);
    let mut covered = 0u16;
    let mut out = Vec::new();
    for (_, (set, mask)) in counted {
        if covered & mask != *mask {
            covered |= mask;
            out.push(set);
        }
        if covered == every {
            break;
        }
    }
    Ok(out)
}

/// [`find`] with every kind of key, unless those of the best kind already number more
/// than `cap`: then only the most recent of those (the best kind first, so that a common
/// name still lists its exact matches). Returns the ids and whether some were left out.
pub(super) async fn find_best(
    c: &impl ConnectionTrait,
    who: Who,
    keys: &WordKeys,
    scope: &Scope,
    cap: usize,
) -> Result<(Vec<i64>, bool)> {
    let (best, all) = keys.of_who(who);
    let mut exact = find(c, who, best, scope, cap).await?;
    if exact.len() > cap {
        exact.truncate(cap);
        return Ok((exact, true));
    }
    if best == all {
        return Ok((exact, false));
    }
    let mut all = find(c, who, all, scope, cap).await?;
    if all.len() <= cap {
        return Ok((all, false));
    }
    // Every match of the best kind, then the most recent of the others.
    let spelt: std::collections::HashSet<i64> = exact.iter().copied().collect();
    all.retain(|id| !spelt.contains(id));
    all.truncate(cap - exact.len());
    exact.extend(all);
    Ok((exact, true))
}
