//! Anonymous refusals (a cross-site POST, a cookie that names no session) are audited
//! without letting anyone flood the trail: they are counted per kind, address and minute,
//! and each count is written as **one** entry (`nombre=N`) once its minute is over — at the
//! next refusal, by the server's minute tick, or when the server stops. Refusals of a
//! signed-in user stay one entry each (they name someone).
//!
//! What is stored is bounded: the path is cut to [`PATH_MAX`] characters and the query
//! string is never kept; IPv6 addresses are counted by /64 network (one machine holds a
//! whole /64); beyond [`MAX_KEYS`] distinct addresses in one minute, the others are counted
//! together under one entry without an address. A minute's entries are written in one
//! transaction.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use vigie_store::audit::Event;
use vigie_store::{Actor, Store};

/// Characters of a path kept in an entry.
pub const PATH_MAX: usize = 120;
/// Distinct (kind, address) counted in one minute before they are pooled.
pub const MAX_KEYS: usize = 500;

/// The address as counted: an IPv4 address, or the /64 network of an IPv6 address.
fn counted_address(ip: Option<String>) -> Option<String> {
    let ip = ip?;
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            Some(format!("{net}/64"))
        }
        _ => Some(ip),
    }
}

/// A path as stored: without the query string, cut to [`PATH_MAX`] characters, control
/// characters dropped.
pub fn bounded_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out: String = path
        .chars()
        .filter(|c| !c.is_control())
        .take(PATH_MAX)
        .collect();
    if path.chars().count() > PATH_MAX {
        out.push('…');
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    action: &'static str,
    ip: Option<String>,
}

#[derive(Debug)]
struct Count {
    n: u64,
    /// The first refusal's detail (kind and route).
    detail: String,
}

#[derive(Debug, Default)]
struct Minute {
    /// Minutes since the epoch.
    index: i64,
    counts: HashMap<Key, Count>,
}

/// One aggregated entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub action: &'static str,
    pub ip: Option<String>,
    pub count: u64,
    pub detail: String,
    /// The minute counted, `HH:MM` UTC.
    pub minute: String,
}

/// The counts of the current minute (shared by every request of one process).
#[derive(Debug, Default)]
pub struct Refusals {
    current: Mutex<Minute>,
}

fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

impl Refusals {
    /// Counts one anonymous refusal; returns the counts of minutes already over (to write).
    pub fn count(
        &self,
        now: DateTime<Utc>,
        action: &'static str,
        ip: Option<String>,
        detail: String,
    ) -> Vec<Pending> {
        let mut m = self.current.lock().unwrap_or_else(|e| e.into_inner());
        // Only a later minute closes the current one: a time read a little earlier (before
        // the lock, or a clock stepped back) counts in the current minute.
        let done = if minute_of(now) > m.index {
            take(&mut m, minute_of(now))
        } else {
            vec![]
        };
        let key = Key {
            action,
            ip: counted_address(ip),
        };
        let key = if m.counts.len() >= MAX_KEYS && !m.counts.contains_key(&key) {
            Key { action, ip: None }
        } else {
            key
        };
        m.counts
            .entry(key)
            .or_insert_with(|| Count { n: 0, detail })
            .n += 1;
        done
    }

    /// The counts of minutes over at `now` (the server's minute tick).
    pub fn ended(&self, now: DateTime<Utc>) -> Vec<Pending> {
        let mut m = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if minute_of(now) <= m.index {
            return vec![];
        }
        take(&mut m, minute_of(now))
    }

    /// Every count, the current minute's included (when the server stops).
    pub fn all(&self) -> Vec<Pending> {
        let mut m = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let index = m.index;
        take(&mut m, index)
    }
}

fn take(m: &mut Minute, next: i64) -> Vec<Pending> {
    let minute = DateTime::<Utc>::from_timestamp(m.index * 60, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let mut out: Vec<Pending> = m
        .counts
        .drain()
        .map(|(k, c)| Pending {
            action: k.action,
            ip: k.ip,
            count: c.n,
            detail: c.detail,
            minute: minute.clone(),
        })
        .collect();
    out.sort_by(|a, b| (a.action, &a.ip).cmp(&(b.action, &b.ip)));
    m.index = next;
    out
}

/// Writes aggregated refusals, one entry each, in one transaction; a failure is logged
/// (the counts are lost, never the request's answer).
pub async fn write(store: &Store, now: DateTime<Utc>, pending: Vec<Pending>) {
    let n = pending.len();
    let entries = pending
        .into_iter()
        .map(|p| {
            let detail = format!("{} nombre={} minute={} UTC", p.detail, p.count, p.minute);
            let actor = Actor {
                user_id: None,
                ip: p.ip,
            };
            (actor, Event::new(p.action).detail(detail))
        })
        .collect();
    if let Err(e) = store.audit_batch(now, entries).await {
        tracing::error!(error = %e, entrees = n, "refus anonymes non tracés");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn refusals_are_counted_per_address_and_minute() {
        let r = Refusals::default();
        let ip = || Some("203.0.113.9".to_owned());
        let first = r.count(at("2026-11-24T10:00:05Z"), "csrf.refuse", ip(), "a".into());
        // The minute before the first refusal held nothing.
        assert!(first.is_empty());
        for s in 6..45 {
            let t = at(&format!("2026-11-24T10:00:{s:02}Z"));
            assert!(r.count(t, "csrf.refuse", ip(), "b".into()).is_empty());
        }
        assert!(r.ended(at("2026-11-24T10:00:59Z")).is_empty());
        let done = r.ended(at("2026-11-24T10:01:00Z"));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].count, 40);
        assert_eq!(done[0].detail, "a");
        assert_eq!(done[0].minute, "2026-11-24 10:00");
        assert!(r.all().is_empty());
    }

    #[test]
    fn an_earlier_time_counts_in_the_current_minute_and_ipv6_counts_by_network() {
        let r = Refusals::default();
        let a = |s: &str| Some(s.to_owned());
        let t = |s: &str| at(&format!("2026-11-24T{s}Z"));
        r.count(
            t("10:01:00"),
            "csrf.refuse",
            a("2001:db8:1:2::1"),
            "x".into(),
        );
        // A time read before the minute changed: no early flush, no second entry.
        assert!(
            r.count(
                t("10:00:59"),
                "csrf.refuse",
                a("2001:db8:1:2::ffff"),
                "x".into()
            )
            .is_empty()
        );
        assert!(r.ended(t("10:00:30")).is_empty());
        let done = r.ended(t("10:02:00"));
        assert_eq!(done.len(), 1, "one /64 network, one entry: {done:?}");
        assert_eq!(done[0].count, 2);
        assert_eq!(done[0].ip.as_deref(), Some("2001:db8:1:2::/64"));
    }

    #[test]
    fn beyond_the_key_limit_addresses_are_pooled() {
        let r = Refusals::default();
        let t = at("2026-11-24T10:00:00Z");
        for i in 0..(MAX_KEYS + 100) {
            let ip = format!("10.0.{}.{}", i / 256, i % 256);
            r.count(t, "csrf.refuse", Some(ip), "x".into());
        }
        let done = r.all();
        assert_eq!(done.len(), MAX_KEYS + 1);
        let pooled = done.iter().find(|p| p.ip.is_none()).unwrap();
        assert_eq!(pooled.count, 100);
    }

    #[test]
    fn paths_are_cut_and_queries_dropped() {
        let long = format!("/{}?q=Martin", "a".repeat(3000));
        let p = bounded_path(&long);
        assert_eq!(p.chars().count(), PATH_MAX + 1);
        assert!(!p.contains("Martin"));
        assert_eq!(bounded_path("/x?nom=Dupont"), "/x");
    }
}
