//! Legal deadlines.

use chrono::{Months, NaiveDate};

/// The evaluation must be completed within three months of the reception of the IP (CASF D226-2-4 II).
pub const EVALUATION_MONTHS: u32 = 3;

/// The legal due date of an evaluation: reception + 3 months (end of month clamps: 30/11 + 3 months = 28/02).
pub fn evaluation_due(received_on: NaiveDate) -> NaiveDate {
    received_on
        .checked_add_months(Months::new(EVALUATION_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// Age in whole years at a given date.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn three_months_after_reception() {
        assert_eq!(evaluation_due(d("2026-01-15")), d("2026-04-15"));
        assert_eq!(evaluation_due(d("2026-11-30")), d("2027-02-28"));
        assert_eq!(evaluation_due(d("2027-11-30")), d("2028-02-29"));
    }

    #[test]
    fn age_counts_birthdays() {
        assert_eq!(age_on(d("2010-06-15"), d("2026-06-14")), 15);
        assert_eq!(age_on(d("2010-06-15"), d("2026-06-15")), 16);
        assert_eq!(age_on(d("2008-02-29"), d("2026-02-28")), 17);
    }
}

/// The due date of an evaluation for a fratrie: the legal deadline, or a shorter one
/// (configured by the département, in months) when a child is under two at reception or
/// not yet born (CASF D226-2-4 II: the deadline is shortened according to the child's age).
pub fn evaluation_due_for(
    received_on: NaiveDate,
    births: &[crate::BirthDate],
    under_two_months: Option<u32>,
) -> NaiveDate {
    let legal = evaluation_due(received_on);
    let Some(m) = under_two_months else {
        return legal;
    };
    let young = births.iter().any(|b| match b {
        crate::BirthDate::Exact(d) | crate::BirthDate::Approximate(d) => {
            age_on(*d, received_on) < 2
        }
        crate::BirthDate::Expected(_) => true,
        crate::BirthDate::Unknown => false,
    });
    if young {
        received_on
            .checked_add_months(Months::new(m))
            .map_or(legal, |d| d.min(legal))
    } else {
        legal
    }
}

#[cfg(test)]
mod young_tests {
    use super::*;
    use crate::BirthDate;

    #[test]
    fn a_shorter_deadline_for_children_under_two() {
        let r: NaiveDate = "2026-03-01".parse().unwrap();
        let baby = BirthDate::Exact("2025-06-01".parse().unwrap());
        let teen = BirthDate::Exact("2012-06-01".parse().unwrap());
        assert_eq!(
            evaluation_due_for(r, &[teen, baby], Some(1)),
            "2026-04-01".parse().unwrap()
        );
        assert_eq!(
            evaluation_due_for(r, &[teen], Some(1)),
            "2026-06-01".parse().unwrap()
        );
        assert_eq!(
            evaluation_due_for(r, &[baby], None),
            "2026-06-01".parse().unwrap()
        );
        assert_eq!(
            evaluation_due_for(
                r,
                &[BirthDate::Expected("2026-05-01".parse().unwrap())],
                Some(2)
            ),
            "2026-05-01".parse().unwrap()
        );
        // Never later than the legal deadline.
        assert_eq!(
            evaluation_due_for(r, &[baby], Some(6)),
            "2026-06-01".parse().unwrap()
        );
    }
}
