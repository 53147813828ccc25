//! The statistics' query layer: every figure of the dashboards and cross-tabs is read
//! here, within the caller's [`Scope`], filtered and grouped in SQL. The screens, the
//! exports and the API ask this module only, so that a later retention issue can add the
//! anonymised aggregates of destroyed dossiers here without touching them.
//!
//! Periods are instants computed by the domain from the configured time zone
//! (`vigie_domain::stats::Period`): a month is that of the département on both backends.

pub(crate) mod counter;
mod counts;
mod figures;
mod population;
mod saved;

pub use counts::{Counts, Flag, Group};
pub use figures::{FollowUpRow, OverdueRow};
pub use population::Population;
pub use saved::SavedCrossTab;

use chrono::{DateTime, Utc};
use vigie_domain::Scope;

use crate::sql::{Sql, scope_filter};

/// What every statistic is restricted to.
#[derive(Debug, Clone)]
pub struct StatsFilter {
    pub scope: Scope,
    /// Received at or after.
    pub from: DateTime<Utc>,
    /// Received before.
    pub to: DateTime<Utc>,
    pub territory_id: Option<i64>,
    pub type_id: Option<i64>,
}

impl StatsFilter {
    /// Appends ` AND …` the scope, period and filters on dossier alias `d`.
    pub(crate) fn push(&self, q: &mut Sql, d: &str) {
        q.push(" AND ");
        scope_filter(q, &self.scope, d);
        q.push(&format!(" AND {d}.received_at >= "))
            .bind(self.from)
            .push(&format!(" AND {d}.received_at < "))
            .bind(self.to);
        if let Some(t) = self.territory_id {
            q.push(&format!(" AND {d}.territory_id = ")).bind(t);
        }
        if let Some(t) = self.type_id {
            q.push(&format!(" AND {d}.type_id = ")).bind(t);
        }
    }
}

impl crate::db::Store {
    /// Whether the statistics read the counters kept by the saves (`true`, always in the
    /// application) or compute every figure from the dossiers (`false`: the benchmark's
    /// comparison; the figures are the same).
    pub fn read_counters(&self, on: bool) {
        self.counters
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }
}
