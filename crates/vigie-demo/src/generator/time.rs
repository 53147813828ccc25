//! When dossiers arrive: the calendar of reception (week-ends, holidays, August, the slow
//! rise over the years) and the instants of a day.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use rand::Rng;

use super::{Generator, fixed_holiday};

impl Generator {
    pub(super) fn date_of(&self, day: u32) -> NaiveDate {
        self.start + Days::new(u64::from(day))
    }

    /// Relative number of IPs received on a day: few on week-ends and holidays, fewer
    /// in August, a slow rise over the years.
    pub(super) fn day_weight(&self, day: u32) -> f64 {
        let d = self.date_of(day);
        let base = match d.weekday() {
            Weekday::Sat => 0.15,
            Weekday::Sun => 0.08,
            _ if fixed_holiday(d) => 0.1,
            _ => 1.0,
        };
        let season = if d.month() == 8 { 0.75 } else { 1.0 };
        base * season * (0.75 + 0.5 * f64::from(day) / f64::from(self.n_days))
    }

    /// The reception time of the next dossier: dossier `i` falls on the day where the
    /// cumulative day weight reaches `(i + ½) / count` of the total; times within a day are sorted.
    pub(super) fn next_time(&mut self) -> DateTime<Utc> {
        if let Some(t) = self.day_times.pop() {
            return t;
        }
        loop {
            let end = self.cum + self.day_weight(self.day);
            let last_day = self.day + 1 >= self.n_days;
            let mut n = 0;
            while self.produced + n < self.count {
                let target = (self.produced + n) as f64 + 0.5;
                if !last_day && target / self.count as f64 * self.total_weight >= end {
                    break;
                }
                n += 1;
            }
            let d = self.date_of(self.day);
            self.cum = end;
            if !last_day {
                self.day += 1;
            }
            if n > 0 {
                for _ in 0..n {
                    let t = self.time_on(d);
                    self.day_times.push(t);
                }
                self.day_times.sort_unstable_by(|a, b| b.cmp(a));
                if let Some(t) = self.day_times.pop() {
                    return t;
                }
            }
        }
    }

    /// A time on a day: mostly working hours (08:30–18:00 in France) on working days.
    pub(super) fn time_on(&mut self, d: NaiveDate) -> DateTime<Utc> {
        let working = !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !fixed_holiday(d);
        let minute = if working && self.rng.random_bool(0.9) {
            450 + self.rng.random_range(0..570)
        } else {
            self.rng.random_range(0..1440)
        };
        let second = self.rng.random_range(0..60);
        let t = d
            .and_hms_opt(minute / 60, minute % 60, second)
            .unwrap_or_default()
            .and_utc();
        t.min(self.now - TimeDelta::seconds(1))
    }

    /// A timestamp on a date (working hours), never before `floor` nor after `now`.
    pub(super) fn stamp(&mut self, d: NaiveDate, floor: DateTime<Utc>) -> DateTime<Utc> {
        let minute = 480 + self.rng.random_range(0..540);
        let t = d
            .and_hms_opt(minute / 60, minute % 60, 0)
            .unwrap_or_default()
            .and_utc();
        t.min(self.now - TimeDelta::minutes(1)).max(floor)
    }
}
