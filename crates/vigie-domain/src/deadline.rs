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
