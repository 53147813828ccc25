//! The statistics' counters: how many dossiers, children, follow-ups and delays each local
//! month, territory and type holds, per key of each breakdown the dashboard shows — so that
//! a year's dashboard reads a few thousand counters instead of every dossier of the year.
//!
//! Exact, never recomputed by a nightly job: every save that changes a dossier retracts what
//! its dossiers counted before the change and adds what they count after it, in the same
//! transaction ([`before`] then [`refresh`]). The dossiers concerned are the one saved and
//! those sharing one of its persons: a person's birth date and sex are shared, and whether a
//! child was already known depends on the person's other dossiers ([`related`]).
//!
//! A count's scope: each dossier counts under `via = 0`, and again under `via = s` for each
//! service `s` it has an assignment with (cancelled or not, as the lists' scope). An
//! évaluateur's figures are then exact sums: their territories' dossiers (`via = 0`) plus
//! the other territories' dossiers assigned to their service (`via = s`). Each way counts
//! by type and again under type 0 (every type), and the département's totals once more
//! under `via = -1` ([`EVERYONE`]) with territory and type 0: a dashboard reads only the
//! rows it shows instead of summing every type and territory.
//!
//! What the counters cannot answer (free dates, several services, accès exceptionnels, two
//! breakdowns at once that they do not hold) is read from the dossiers (`super::counts`);
//! the tests compare both ways on every figure. A later retention issue that destroys
//! dossiers must retract them here too (and may keep their anonymised counts).

mod compute;
mod read;

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use crate::Result;
use crate::sql::{Sql, all, all_sql, exec, exec_sql, get};

pub(crate) use compute::contributions;

/// The way of scope of the département's totals (territory and type 0).
pub(crate) const EVERYONE: i64 = -1;

/// One counter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key {
    pub kind: &'static str,
    pub via: i64,
    /// Local month of reception, `AAAAMM`.
    pub month: i64,
    pub territory: i64,
    pub type_id: i64,
    pub k1: String,
    pub k2: String,
}

/// Counts by counter.
pub(crate) type Deltas = BTreeMap<Key, i64>;

/// What some dossiers counted before a change (see [`refresh`]).
#[derive(Debug, Default)]
pub(crate) struct Before {
    ids: Vec<i64>,
    counts: Deltas,
}

/// Reads what dossiers `ids` count now, before the transaction changes them.
pub(crate) async fn before(
    c: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    ids: Vec<i64>,
) -> Result<Before> {
    let counts = contributions(c, tz, &ids).await?;
    Ok(Before { ids, counts })
}

/// After a change: what the dossiers of `before` and `more` (new ones) count now replaces
/// what they counted before.
pub(crate) async fn refresh(
    c: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    before: Before,
    more: &[i64],
) -> Result<()> {
    let mut ids = before.ids;
    ids.extend_from_slice(more);
    ids.sort_unstable();
    ids.dedup();
    let mut delta = contributions(c, tz, &ids).await?;
    for (k, n) in before.counts {
        *delta.entry(k).or_default() -= n;
    }
    delta.retain(|_, n| *n != 0);
    apply(c, &delta).await
}

/// The dossiers whose counts change with dossier `id` (none: a new one) and the persons
/// `persons` its children link to now or after the save: itself and the dossiers of those
/// persons.
pub(crate) async fn related(
    c: &impl ConnectionTrait,
    id: Option<i64>,
    persons: &[i64],
) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = id.into_iter().collect();
    if !persons.is_empty() {
        let mut q = Sql::new("SELECT DISTINCT dossier_id FROM dossier_child WHERE person_id IN ");
        q.bind_list(persons);
        for r in all_sql(c, &q).await? {
            ids.push(get(&r, "dossier_id")?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Adds what new dossiers `ids` count (a load: the demo generator), reading them by chunks
/// and writing the counters when many are pending, so that memory stays bounded.
pub(crate) async fn add_new(
    c: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    ids: &[i64],
) -> Result<()> {
    let mut pending = Deltas::new();
    for chunk in ids.chunks(2_000) {
        for (k, n) in contributions(c, tz, chunk).await? {
            *pending.entry(k).or_default() += n;
        }
        if pending.len() > 200_000 {
            apply(c, &std::mem::take(&mut pending)).await?;
        }
    }
    apply(c, &pending).await
}

/// The setting naming the time zone of the counters' months.
pub(crate) const TZ_SETTING: &str = "statistiques_fuseau";

/// The time zone the counters were written in, if any.
pub(crate) async fn written_in(c: &impl ConnectionTrait) -> Result<Option<String>> {
    let rows = all(
        c,
        "SELECT value FROM setting WHERE key = $1",
        crate::vals![TZ_SETTING],
    )
    .await?;
    rows.first().map(|r| get::<String>(r, "value")).transpose()
}

/// Counts every stored dossier again, in the months of `tz` (the migration that creates the
/// counters, and `vigie migrate` after a change of the time zone).
pub(crate) async fn backfill(c: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<()> {
    exec(c, "DELETE FROM stat_counter", vec![]).await?;
    exec(
        c,
        "DELETE FROM setting WHERE key = $1",
        crate::vals![TZ_SETTING],
    )
    .await?;
    exec(
        c,
        "INSERT INTO setting (key, value) VALUES ($1, $2)",
        crate::vals![TZ_SETTING, tz.name()],
    )
    .await?;
    let ids = all(c, "SELECT id FROM dossier ORDER BY id", vec![])
        .await?
        .iter()
        .map(|r| get::<i64>(r, "id"))
        .collect::<Result<Vec<_>>>()?;
    add_new(c, tz, &ids).await
}

/// Adds `delta` to the counters, in the counters' order (two saves lock the rows they
/// share in the same order on PostgreSQL).
async fn apply(c: &impl ConnectionTrait, delta: &Deltas) -> Result<()> {
    let rows: Vec<(&Key, &i64)> = delta.iter().filter(|(_, n)| **n != 0).collect();
    for chunk in rows.chunks(500) {
        let mut q = Sql::new(
            "INSERT INTO stat_counter (kind, via, month, territory_id, type_id, k1, k2, n) VALUES ",
        );
        q.rows(chunk.iter().map(|(k, n)| {
            crate::vals![
                k.kind,
                k.via,
                k.month,
                k.territory,
                k.type_id,
                k.k1.clone(),
                k.k2.clone(),
                **n
            ]
        }));
        q.push(
            " ON CONFLICT (kind, via, month, territory_id, type_id, k1, k2) DO UPDATE SET n = stat_counter.n + excluded.n",
        );
        exec_sql(c, &q).await?;
    }
    Ok(())
}
