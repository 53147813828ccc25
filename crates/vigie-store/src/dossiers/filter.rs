//! The filters of the dossier list, appended in SQL on dossier alias `d`: shared by the
//! list ([`crate::Store::list_dossiers`]) and the record navigation ([`crate::navigation`]),
//! so that « dossier suivant / précédent » walks the very list that was shown.
//!
//! Every filter is ANDed with the others and with the caller's scope. A filter on what a
//! dossier holds (its source, children, assignments) is a correlated `EXISTS`, probed per
//! dossier through the tables' dossier indexes: one dossier is listed once however many
//! children or assignments match. (The scope uses a scalar subquery instead because it
//! sits under `OR`, see `crate::sql::scope_filter`.)

use chrono::{DateTime, NaiveDate, Utc};
use vigie_domain::DossierStatus;

use crate::sql::Sql;

/// The source category a list is filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryFilter {
    /// That category (a parameter id).
    Is(i64),
    /// No category filled in (the dashboards' « Non renseigné »): a source without a
    /// category, or no source recorded at all.
    Unfilled,
}

/// Filters of the dossier list (ids and codes only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub territory_id: Option<i64>,
    pub status: Option<DossierStatus>,
    pub type_id: Option<i64>,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received before.
    pub to: Option<DateTime<Utc>>,
    /// The source's category.
    pub source_category: Option<CategoryFilter>,
    /// The channel (« support ») the information came by.
    pub channel_id: Option<i64>,
    /// A child of the dossier has this motif.
    pub motif_id: Option<i64>,
    /// A child of the dossier has this conclusion.
    pub conclusion_id: Option<i64>,
    /// The dossier has an assignment to this service that is not cancelled.
    pub service_id: Option<i64>,
    /// The dossier has an evaluation overdue as of that date: an assignment neither
    /// cancelled nor returned whose due date is before it. The caller passes today (in
    /// the configured time zone); the store never reads the clock.
    pub overdue_on: Option<NaiveDate>,
}

/// Appends the list filters (` AND …`) on dossier alias `d`.
pub(crate) fn list_filter(q: &mut Sql, f: &ListFilter) {
    if let Some(t) = f.territory_id {
        q.push(" AND d.territory_id = ").bind(t);
    }
    if let Some(s) = f.status {
        q.push(" AND d.status = ").bind(s.code());
    }
    if let Some(t) = f.type_id {
        q.push(" AND d.type_id = ").bind(t);
    }
    if let Some(from) = f.from {
        q.push(" AND d.received_at >= ").bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND d.received_at < ").bind(to);
    }
    if let Some(c) = f.channel_id {
        q.push(" AND d.channel_id = ").bind(c);
    }
    content_filter(q, f);
}

/// The filters on what the dossier holds: correlated `EXISTS` on `d.id`.
fn content_filter(q: &mut Sql, f: &ListFilter) {
    match f.source_category {
        Some(CategoryFilter::Is(c)) => {
            q.push(" AND EXISTS (SELECT 1 FROM dossier_source fs WHERE fs.dossier_id = d.id AND fs.category_id = ")
                .bind(c)
                .push(")");
        }
        Some(CategoryFilter::Unfilled) => {
            q.push(" AND NOT EXISTS (SELECT 1 FROM dossier_source fs WHERE fs.dossier_id = d.id AND fs.category_id IS NOT NULL)");
        }
        None => {}
    }
    if let Some(m) = f.motif_id {
        q.push(" AND EXISTS (SELECT 1 FROM dossier_child fc JOIN child_motif fm ON fm.child_id = fc.id WHERE fc.dossier_id = d.id AND fm.motif_id = ")
            .bind(m)
            .push(")");
    }
    if let Some(c) = f.conclusion_id {
        q.push(" AND EXISTS (SELECT 1 FROM dossier_child fk WHERE fk.dossier_id = d.id AND fk.conclusion_id = ")
            .bind(c)
            .push(")");
    }
    if let Some(s) = f.service_id {
        q.push(" AND EXISTS (SELECT 1 FROM assignment fa WHERE fa.dossier_id = d.id AND fa.cancelled = FALSE AND fa.service_id = ")
            .bind(s)
            .push(")");
    }
    if let Some(today) = f.overdue_on {
        // As the échéances and the dashboards' « évaluations en retard ».
        q.push(" AND EXISTS (SELECT 1 FROM assignment fo WHERE fo.dossier_id = d.id AND fo.cancelled = FALSE AND fo.returned_on IS NULL AND fo.due_on < ")
            .bind(today)
            .push(")");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_filter_adds_nothing_and_each_filter_binds_its_value() {
        let mut q = Sql::new("");
        list_filter(&mut q, &ListFilter::default());
        assert_eq!(q.text, "");
        let mut q = Sql::new("");
        list_filter(
            &mut q,
            &ListFilter {
                source_category: Some(CategoryFilter::Unfilled),
                channel_id: Some(3),
                motif_id: Some(4),
                conclusion_id: Some(5),
                service_id: Some(6),
                overdue_on: NaiveDate::from_ymd_opt(2026, 11, 24),
                ..ListFilter::default()
            },
        );
        assert_eq!(q.values.len(), 5);
        assert!(
            q.text.contains("NOT EXISTS") && q.text.contains("$5)"),
            "{}",
            q.text
        );
    }
}
