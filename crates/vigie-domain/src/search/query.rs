//! A name search as agents type it: the name words, and a birth date typed among them
//! (« léa martin 2019 », « martin 05/2019 », « martin léa 12/05/2019 ») that narrows the
//! persons found by their birth date instead of being taken for a name.

use chrono::{Datelike, NaiveDate};

use crate::BirthDate;

/// A birth date typed in a search, at the precision typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthHint {
    /// « 2019 ».
    Year(i32),
    /// « 05/2019 », « 5-2019 », « 2019-05 »: (year, month).
    Month(i32, u32),
    /// « 12/05/2019 », « 12-05-2019 », « 12.05.2019 », « 2019-05-12 ».
    Day(NaiveDate),
}

impl BirthHint {
    /// The year typed, whatever the precision.
    pub fn year(self) -> i32 {
        match self {
            Self::Year(y) | Self::Month(y, _) => y,
            Self::Day(d) => d.year(),
        }
    }

    /// Whether a person born `birth` may be the one searched. An unknown birth date is
    /// never a reason to exclude someone (a missed child is a duplicate dossier); an
    /// approximate or expected date is compared on its year only.
    pub fn admits(self, birth: BirthDate) -> bool {
        match birth {
            BirthDate::Unknown => true,
            BirthDate::Approximate(d) | BirthDate::Expected(d) => d.year() == self.year(),
            BirthDate::Exact(d) => match self {
                Self::Year(y) => d.year() == y,
                Self::Month(y, m) => d.year() == y && d.month() == m,
                Self::Day(day) => d == day,
            },
        }
    }

    /// How closely a birth date matches, when it is admitted ([`BirthHint::admits`]): 2 an
    /// exact date at the precision typed, 1 an approximate or expected date of that year,
    /// 0 an unknown date. A match raises a row in the ranking.
    pub fn closeness(self, birth: BirthDate) -> Option<u8> {
        if !self.admits(birth) {
            return None;
        }
        Some(match birth {
            BirthDate::Unknown => 0,
            BirthDate::Approximate(_) | BirthDate::Expected(_) => 1,
            BirthDate::Exact(_) => 2,
        })
    }
}

/// A search split into its name words and the birth date typed among them (the last one,
/// when several are typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    /// The words that are not a date, in the order typed, separated by a space.
    pub words: String,
    pub birth: Option<BirthHint>,
}

/// Years that can be a birth year typed in a search (anything else stays a word).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

fn number(s: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn year(s: &str) -> Option<i32> {
    let y = i32::try_from(number(s, 4..=4)?).ok()?;
    YEARS.contains(&y).then_some(y)
}

fn month(s: &str) -> Option<u32> {
    number(s, 1..=2).filter(|m| (1..=12).contains(m))
}

/// One typed token as a birth date, if it is one.
fn hint(token: &str) -> Option<BirthHint> {
    if let Some(y) = year(token) {
        return Some(BirthHint::Year(y));
    }
    let parts: Vec<&str> = token.split(['/', '-', '.']).collect();
    match parts.as_slice() {
        [a, b] => match (year(a), year(b)) {
            (Some(y), None) => Some(BirthHint::Month(y, month(b)?)),
            (None, Some(y)) => Some(BirthHint::Month(y, month(a)?)),
            _ => None,
        },
        [a, b, c] => {
            let (y, m, d) = match (year(a), year(c)) {
                (Some(y), None) => (y, month(b)?, number(c, 1..=2)?),
                (None, Some(y)) => (y, month(b)?, number(a, 1..=2)?),
                _ => return None,
            };
            NaiveDate::from_ymd_opt(y, m, d).map(BirthHint::Day)
        }
        _ => None,
    }
}

/// Splits a search into its name words and the birth date typed among them.
pub fn parse_name_query(text: &str) -> NameQuery {
    let mut words = Vec::new();
    let mut birth = None;
    for token in text.split_whitespace() {
        match hint(token) {
            Some(h) => birth = Some(h),
            None => words.push(token),
        }
    }
    NameQuery {
        words: words.join(" "),
        birth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dates_typed_among_the_names_are_read_as_birth_dates() {
        for (typed, words, birth) in [
            ("léa martin 2019", "léa martin", Some(BirthHint::Year(2019))),
            ("2019 martin", "martin", Some(BirthHint::Year(2019))),
            ("martin 05/2019", "martin", Some(BirthHint::Month(2019, 5))),
            ("martin 5-2019", "martin", Some(BirthHint::Month(2019, 5))),
            ("martin 2019-05", "martin", Some(BirthHint::Month(2019, 5))),
            (
                "martin léa 12/05/2019",
                "martin léa",
                Some(BirthHint::Day(day("2019-05-12"))),
            ),
            (
                "martin 2019-05-12",
                "martin",
                Some(BirthHint::Day(day("2019-05-12"))),
            ),
            (
                "martin 1.5.2019",
                "martin",
                Some(BirthHint::Day(day("2019-05-01"))),
            ),
            ("martin", "martin", None),
            // Not dates: kept as words (a 119 number, an impossible day or month, a year
            // no child is born in).
            ("martin 31/02/2019", "martin 31/02/2019", None),
            ("martin 13/2019", "martin 13/2019", None),
            ("martin 1850", "martin 1850", None),
            ("martin 12345", "martin 12345", None),
            ("jean-baptiste d'arc", "jean-baptiste d'arc", None),
            ("", "", None),
        ] {
            assert_eq!(
                parse_name_query(typed),
                NameQuery {
                    words: words.into(),
                    birth
                },
                "{typed}"
            );
        }
    }

    #[test]
    fn a_birth_hint_narrows_at_its_own_precision_and_never_excludes_the_unknown() {
        let exact = BirthDate::Exact(day("2019-05-12"));
        assert!(BirthHint::Year(2019).admits(exact));
        assert!(!BirthHint::Year(2018).admits(exact));
        assert!(BirthHint::Month(2019, 5).admits(exact));
        assert!(!BirthHint::Month(2019, 6).admits(exact));
        assert!(BirthHint::Day(day("2019-05-12")).admits(exact));
        assert!(!BirthHint::Day(day("2019-05-13")).admits(exact));
        let approx = BirthDate::Approximate(day("2019-01-01"));
        assert!(BirthHint::Day(day("2019-05-12")).admits(approx));
        assert!(!BirthHint::Month(2020, 5).admits(approx));
        assert!(BirthHint::Year(2001).admits(BirthDate::Unknown));
        assert!(BirthHint::Month(2027, 3).admits(BirthDate::Expected(day("2027-01-01"))));
        assert!(!BirthHint::Year(2026).admits(BirthDate::Expected(day("2027-01-01"))));
    }
}
