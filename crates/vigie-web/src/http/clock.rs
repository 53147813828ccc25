//! The application's clock, a parameter of [`crate::AppState`]: the wall clock in production
//! (read here and in `vigie`'s `main.rs`, nowhere else), a clock the tests set and move.
//!
//! No test depends on today's date: the web tests build their state with
//! [`Clock::manual`] at the store's fixed test instant, and advance it when a rule needs time
//! to pass (throttling delays, session expiry, TOTP steps).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// Where the application reads the time.
#[derive(Clone, Debug)]
pub struct Clock(Source);

#[derive(Clone, Debug)]
enum Source {
    System,
    Manual(ManualClock),
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Clock(Source::System)
    }

    /// A clock that shows `at` until its [`ManualClock`] handle moves it.
    pub fn manual(at: DateTime<Utc>) -> (Self, ManualClock) {
        let handle = ManualClock(Arc::new(AtomicI64::new(micros(at))));
        (Clock(Source::Manual(handle.clone())), handle)
    }

    /// A clock stopped at `at`.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self::manual(at).0
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Source::System => system_now(),
            Source::Manual(m) => m.now(),
        }
    }
}

/// The handle that sets a manual [`Clock`] (shared by every clone of it).
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0.load(Ordering::SeqCst)).unwrap_or_default()
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.0.store(micros(at), Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        let step = by.num_microseconds().unwrap_or(i64::MAX);
        self.0.fetch_add(step, Ordering::SeqCst);
    }
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

#[allow(clippy::disallowed_methods)]
fn system_now() -> DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_shows_what_it_is_set_to_in_every_clone() {
        let at: DateTime<Utc> = "2026-11-24T10:00:00.123456Z".parse().unwrap_or_default();
        let (clock, handle) = Clock::manual(at);
        let copy = clock.clone();
        assert_eq!(clock.now(), at);
        handle.advance(Duration::seconds(90));
        assert_eq!(copy.now(), at + Duration::seconds(90));
        handle.set(at - Duration::days(400));
        assert_eq!(clock.now(), at - Duration::days(400));
        assert_eq!(Clock::fixed(at).now(), at);
    }
}
