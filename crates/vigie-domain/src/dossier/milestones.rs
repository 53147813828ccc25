//! The dates at which a dossier reached each stage of its life: qualified, evaluation
//! started, concluded, closed. The dashboards' delays are measured from the reception to
//! these dates.
//!
//! Two ways to know them, one rule each:
//! - a save that changes the status records the moment ([`Milestones::after_change`]);
//! - a dossier created already past « reçue » (the legacy import, the demo, an agent who
//!   enters a dossier after the fact), or stored before these dates existed, gets them
//!   inferred from its own data ([`Milestones::inferred`]): the first request to a service,
//!   the children's conclusion dates, the last follow-up — never later than its creation.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{DossierInput, DossierStatus};

/// When a dossier was qualified, sent to evaluation, concluded and closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    /// The first time it left « reçue ».
    pub qualified_at: Option<DateTime<Utc>>,
    /// The first time it entered « en évaluation ».
    pub evaluation_at: Option<DateTime<Utc>>,
    /// The last time it was concluded (a reopened then concluded dossier counts the last).
    pub concluded_at: Option<DateTime<Utc>>,
    /// The last time it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// The order of the stages.
pub const fn stage(s: DossierStatus) -> u8 {
    match s {
        DossierStatus::Recue => 0,
        DossierStatus::Qualifiee => 1,
        DossierStatus::EnEvaluation => 2,
        DossierStatus::Conclue => 3,
        DossierStatus::Cloturee => 4,
    }
}

/// A date as an instant: noon UTC, the same calendar day in metropolitan France and in
/// every overseas département (UTC−4 to UTC+4).
fn noon(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()
}

impl Milestones {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The milestones after a save that moves the status from `from` to `to` at `at`.
    #[must_use]
    pub fn after_change(
        mut self,
        from: DossierStatus,
        to: DossierStatus,
        at: DateTime<Utc>,
    ) -> Self {
        if from == to {
            return self;
        }
        if stage(to) >= 1 && self.qualified_at.is_none() {
            self.qualified_at = Some(at);
        }
        if to == DossierStatus::EnEvaluation && self.evaluation_at.is_none() {
            self.evaluation_at = Some(at);
        }
        match to {
            DossierStatus::Conclue => self.concluded_at = Some(at),
            DossierStatus::Cloturee => {
                self.closed_at = Some(at);
                // Closed without passing through « conclue » (straight, or after a
                // reopening): it is concluded now.
                if from != DossierStatus::Conclue {
                    self.concluded_at = Some(at);
                }
            }
            _ => {}
        }
        self
    }

    /// The milestones of a dossier stored at its current status without a history of its
    /// changes, inferred from its data, each between its reception and `created_at`.
    pub fn inferred(d: &DossierInput, created_at: DateTime<Utc>) -> Self {
        Self::from_evidence(&Evidence::of(d), created_at)
    }

    /// The same inference from the few facts it needs (the migration that fills these
    /// dates for stored dossiers reads them with one query).
    pub fn from_evidence(e: &Evidence, created_at: DateTime<Utc>) -> Self {
        let status = e.status;
        let received = e.received_at;
        let clamp = |t: DateTime<Utc>| t.clamp(received, created_at.max(received));
        let mut m = Self::default();
        if stage(status) >= 3 {
            m.concluded_at = Some(clamp(e.last_conclusion.map_or(created_at, noon)));
        }
        if status == DossierStatus::Cloturee {
            let after = e.last_follow_up.into_iter().chain(m.concluded_at).max();
            m.closed_at = Some(clamp(after.unwrap_or(created_at)));
        }
        if stage(status) >= 2 {
            m.evaluation_at = match e.first_asked {
                Some(d) => Some(clamp(noon(d))),
                None if status == DossierStatus::EnEvaluation => Some(clamp(created_at)),
                None => None,
            };
        }
        if stage(status) >= 1 {
            let first = [m.evaluation_at, m.concluded_at, m.closed_at]
                .into_iter()
                .flatten()
                .min();
            m.qualified_at = Some(first.unwrap_or_else(|| clamp(created_at)));
        }
        m
    }
}

/// What the inference of [`Milestones::from_evidence`] reads of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    pub status: DossierStatus,
    pub received_at: DateTime<Utc>,
    /// The first request to a service (cancelled ones aside).
    pub first_asked: Option<NaiveDate>,
    /// The last conclusion date of its children.
    pub last_conclusion: Option<NaiveDate>,
    /// The last follow-up done.
    pub last_follow_up: Option<DateTime<Utc>>,
}

impl Evidence {
    pub fn of(d: &DossierInput) -> Self {
        Self {
            status: d.header.status,
            received_at: d.header.received_at,
            first_asked: d
                .assignments
                .iter()
                .filter(|a| !a.cancelled)
                .map(|a| a.asked_on)
                .min(),
            last_conclusion: d
                .children
                .iter()
                .filter_map(|c| c.conclusion.as_ref().map(|x| x.on))
                .max(),
            last_follow_up: d.follow_ups.iter().filter_map(|f| f.done_at).max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    #[test]
    fn a_save_records_each_stage_once_or_last() {
        use DossierStatus::*;
        let m = Milestones::default()
            .after_change(Recue, Qualifiee, t(2, 9))
            .after_change(Qualifiee, EnEvaluation, t(3, 9))
            .after_change(EnEvaluation, Conclue, t(10, 9));
        assert_eq!(m.qualified_at, Some(t(2, 9)));
        assert_eq!(m.evaluation_at, Some(t(3, 9)));
        assert_eq!(m.concluded_at, Some(t(10, 9)));
        // Reopened then concluded again: the last conclusion counts; the first
        // qualification and evaluation stay.
        let m = m
            .after_change(Conclue, EnEvaluation, t(12, 9))
            .after_change(EnEvaluation, Conclue, t(20, 9))
            .after_change(Conclue, Cloturee, t(25, 9));
        assert_eq!(m.evaluation_at, Some(t(3, 9)));
        assert_eq!(m.concluded_at, Some(t(20, 9)));
        assert_eq!(m.closed_at, Some(t(25, 9)));
        // Reopened, then closed without a new conclusion: concluded when closed.
        let m = m
            .after_change(Cloturee, EnEvaluation, t(26, 9))
            .after_change(EnEvaluation, Cloturee, t(27, 9));
        assert_eq!(m.concluded_at, Some(t(27, 9)));
        // Closed straight from reçue: qualified and concluded then too.
        let m = Milestones::default().after_change(Recue, Cloturee, t(4, 9));
        assert_eq!(m.qualified_at, Some(t(4, 9)));
        assert_eq!(m.concluded_at, Some(t(4, 9)));
        assert_eq!(m.evaluation_at, None);
        // No change of status, nothing recorded.
        assert!(
            Milestones::default()
                .after_change(Recue, Recue, t(4, 9))
                .is_empty()
        );
    }

    #[test]
    fn inferred_from_the_dossier_data_within_reception_and_creation() {
        use crate::{AssignmentInput, Conclusion, FollowUp, FollowUpKind};
        let mut d = crate::model::tests::sample();
        let created = t(28, 9);
        assert!(Milestones::inferred(&d, created).is_empty());
        d.header.status = DossierStatus::Cloturee;
        d.assignments.push(AssignmentInput {
            service_id: 1,
            asked_on: "2026-03-05".parse().unwrap(),
            due_on: "2026-06-01".parse().unwrap(),
            evaluators: vec![],
            returned_on: Some("2026-03-15".parse().unwrap()),
            result_id: None,
            cancelled: false,
            comment: None,
        });
        d.children[0].conclusion = Some(Conclusion {
            conclusion_id: 1,
            on: "2026-03-16".parse().unwrap(),
            comment: None,
        });
        d.follow_ups.push(FollowUp {
            kind: FollowUpKind::ParentsInformed,
            due_on: None,
            done_at: Some(t(18, 10)),
            not_done_reason: None,
        });
        let m = Milestones::inferred(&d, created);
        assert_eq!(m.evaluation_at, Some(t(5, 12)));
        assert_eq!(m.qualified_at, Some(t(5, 12)));
        assert_eq!(m.concluded_at, Some(t(16, 12)));
        assert_eq!(m.closed_at, Some(t(18, 10)));
        // Never after the creation, never before the reception.
        let m = Milestones::inferred(&d, t(10, 9));
        assert_eq!(m.closed_at, Some(t(10, 9)));
        d.assignments[0].asked_on = "2026-02-01".parse().unwrap();
        assert_eq!(
            Milestones::inferred(&d, created).evaluation_at,
            Some(d.header.received_at)
        );
        // Qualified only: the creation is the qualification.
        d.header.status = DossierStatus::Qualifiee;
        let m = Milestones::inferred(&d, created);
        assert_eq!((m.qualified_at, m.evaluation_at), (Some(created), None));
    }
}
