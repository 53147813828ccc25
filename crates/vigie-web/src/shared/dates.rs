//! Dates as typed and as shown: `2026-11-20` or `20/11/2026` in, `20/11/2026` and
//! `20/11/2026 14:05` (in the configured time zone) out.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// `2026-11-20` or `20/11/2026` (surrounding spaces ignored).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// The first day of a month typed `2026-11` (what `<input type="month">` sends) or
/// `11/2026` (surrounding spaces ignored).
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let (y, m) = match s.split_once('-') {
        Some((y, m)) => (y, m),
        None => {
            let (m, y) = s.split_once('/')?;
            (y, m)
        }
    };
    let digits = |t: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(y, 4..=4) || !digits(m, 1..=2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

/// A local date and time (in the time zone) as an instant.
pub fn local_to_utc(d: NaiveDateTime, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&d)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The instant a day starts in the time zone (for « du … au … » filters).
pub fn start_of(d: NaiveDate, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    local_to_utc(d.and_hms_opt(0, 0, 0)?, tz)
}

/// `24/11/2026 14:05` in the configured time zone.
pub fn datetime(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// `24/11/2026`.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_date_forms_are_read() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20);
        assert_eq!(parse_date(" 2026-11-20 "), d);
        assert_eq!(parse_date("20/11/2026"), d);
        assert_eq!(parse_date("20-11-2026"), None);
    }

    #[test]
    fn a_month_is_read_in_both_forms() {
        let nov = NaiveDate::from_ymd_opt(2026, 11, 1);
        assert_eq!(parse_month(" 2026-11 "), nov);
        assert_eq!(parse_month("11/2026"), nov);
        assert_eq!(parse_month("2026-1"), NaiveDate::from_ymd_opt(2026, 1, 1));
        for bad in [
            "2026-13",
            "2026-00",
            "26-11",
            "2026-11-01",
            "2026",
            "novembre",
            "2026-+1",
            "",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }
}
