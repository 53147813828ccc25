//! The persons and adults a search may match, found by key in SQL within the scope; the
//! domain ([`vigie_domain::search`]) then decides which match and how well.
//!
//! Each word a match requires ([`Typed::required`]) gives the keys of every group of typed
//! words it belongs to: spelt the same (`n:`/`f:`), pronounced the same (`np:`/`fp:`), and
//! the stored words within one typo (`name_variant`). A candidate has a key of every such
//! word: the sets of ids of each word are intersected in SQL.

use std::collections::{BTreeSet, HashMap};

use sea_orm::ConnectionTrait;
use vigie_domain::Scope;
use vigie_domain::names::deletions;
use vigie_domain::search::{Search, Typed, within_typo};

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

/// The keys of each required word: every kind, or spelt the same only.
#[derive(Debug, Clone, Default)]
pub(super) struct WordKeys {
    all: Vec<BTreeSet<String>>,
    exact: Vec<BTreeSet<String>>,
}

impl WordKeys {
    pub(super) fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The keys of the required words of `typed`, with the stored words within one typo
    /// of each group (`typos`, by group text).
    pub(super) fn of(typed: &Typed, typos: &HashMap<String, Vec<String>>) -> Self {
        let mut out = Self::default();
        for i in typed.required() {
            let mut all = BTreeSet::new();
            let mut exact = BTreeSet::new();
            for g in typed.groups_with(i) {
                for p in ["n", "f"] {
                    exact.insert(format!("{p}:{}", g.text));
                    if !g.sound.is_empty() {
                        all.insert(format!("{p}p:{}", g.sound));
                    }
                    for w in typos.get(&g.text).into_iter().flatten() {
                        all.insert(format!("{p}:{w}"));
                    }
                }
            }
            all.extend(exact.iter().cloned());
            out.all.push(all);
            out.exact.push(exact);
        }
        out
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
    for g in typed.groups() {
        out.insert(format!("{prefix}:{}", g.text));
        if !g.sound.is_empty() {
            out.insert(format!("{prefix}p:{}", g.sound));
        }
        for w in typos.get(&g.text).into_iter().flatten() {
            out.insert(format!("{prefix}:{w}"));
        }
    }
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

/// The ids of the children or adults with a key of every required word, having a dossier
/// within `scope` (children: born in the year typed, or of unknown year), the most
/// recently recorded first, at most `cap + 1` (one more tells that there are more).
pub(super) async fn find(
    c: &impl ConnectionTrait,
    who: Who,
    keys: &[BTreeSet<String>],
    search: &Search,
    scope: &Scope,
    cap: usize,
) -> Result<Vec<i64>> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(vec![]);
    };
    let (table, id) = who.table();
    let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<String>>();
    // One word: its keys' ids, distinct (SQLite then reads only the newest of a common name).
    // Several: one set of ids per word, intersected, then the birth year and the scope on the
    // few that remain (measured at 1,000,000 dossiers on SQLite: « léa martin » 28 ms so,
    // 40 to 170 ms with `IN (SELECT …)` probes of the other words).
    let (mut q, col) = if rest.is_empty() {
        let mut q = Sql::new(&format!(
            "SELECT DISTINCT c.{id} AS id FROM {table} c WHERE c.key IN "
        ));
        q.bind_list(&list(first));
        (q, format!("c.{id}"))
    } else {
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
        q.push(") c WHERE 1 = 1");
        (q, "c.id".to_owned())
    };
    if let (Who::Child, Some(hint)) = (who, search.birth) {
        q.push(&format!(" AND EXISTS (SELECT 1 FROM person p WHERE p.id = {col} AND (p.birth_year IS NULL OR p.birth_year = "))
            .bind(i64::from(hint.year()))
            .push("))");
    }
    if !matches!(scope, Scope::All) {
        match who {
            Who::Child => q.push(&format!(" AND EXISTS (SELECT 1 FROM dossier_child dc JOIN dossier d ON d.id = dc.dossier_id WHERE dc.person_id = {col} AND ")),
            Who::Parent => q.push(&format!(" AND EXISTS (SELECT 1 FROM adult a JOIN dossier d ON d.id = a.dossier_id WHERE a.id = {col} AND ")),
        };
        scope_filter(&mut q, scope, "d");
        q.push(")");
    }
    q.push(" ORDER BY id DESC LIMIT ")
        .bind(i64::try_from(cap + 1).unwrap_or(i64::MAX));
    all_sql(c, &q)
        .await?
        .iter()
        .map(|r| get::<i64>(r, "id"))
        .collect()
}

/// [`find`] with every kind of key, unless those spelt the same already number more than
/// `cap`: then only the most recent of those (the best kind first, so that a common name
/// still lists its exact matches). Returns the ids and whether some were left out.
pub(super) async fn find_best(
    c: &impl ConnectionTrait,
    who: Who,
    keys: &WordKeys,
    search: &Search,
    scope: &Scope,
    cap: usize,
) -> Result<(Vec<i64>, bool)> {
    let mut exact = find(c, who, &keys.exact, search, scope, cap).await?;
    if exact.len() > cap {
        exact.truncate(cap);
        return Ok((exact, true));
    }
    let mut all = find(c, who, &keys.all, search, scope, cap).await?;
    if all.len() <= cap {
        return Ok((all, false));
    }
    // Every exact match, then the most recent of the others.
    let spelt: std::collections::HashSet<i64> = exact.iter().copied().collect();
    all.retain(|id| !spelt.contains(id));
    all.truncate(cap - exact.len());
    exact.extend(all);
    Ok((exact, true))
}
