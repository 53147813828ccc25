//! Strong authentication: login throttling shared by every web node (counters in the
//! database), the TOTP second factor (RFC 6238) with replay protection, single-use recovery
//! codes, second-factor completion and re-authentication of a session.
//!
//! Here: the types and the TOTP primitives; [`throttle`] counts and delays failed
//! attempts; [`second_factor`] enrols, checks and consumes second factors.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::ConnectionTrait;
use sha2::Sha256;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::password::fill_random;
use crate::sessions::{SessionPolicy, token_id};
use crate::sql::{exec, get, one};
use crate::{Result, StoreError, vals};

mod second_factor;
#[cfg(test)]
mod tests;
mod throttle;

use throttle::*;

/// Failures on one login within [`ACCOUNT_WINDOW_MINUTES`] before delays start.
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
pub const ACCOUNT_WINDOW_MINUTES: i64 = 15;
/// The longest delay between two attempts on one login.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
/// Failures from one address within an hour before it is refused (429).
pub const IP_FAILURES_PER_HOUR: i64 = 100;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// TOTP parameters: 6 digits, 30-second steps, one step of clock drift either way.
const DIGITS: usize = 6;
const STEP: u64 = 30;

/// What the throttle says before a login (or second-factor) attempt is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// The attempt may be evaluated.
    Allowed,
    /// Too many failures on this login: wait this long before the next attempt.
    Wait(Duration),
    /// Too many failures from this address within the hour.
    AddressBlocked,
}

/// A password attempt counted before it is evaluated: its `login_failure` row, kept when the
/// password is wrong ([`Store::reserved_attempt_failed`]) and deleted when it is right
/// ([`Store::release_attempt`]). See [`Store::reserve_attempt`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a reservation is either failed or released"]
pub struct Reservation(i64);

/// The delay imposed after `failures` failures within the window: none for the first five,
/// then 1 s, 2 s, 4 s… up to 15 minutes.
pub fn delay_after(failures: i64) -> Duration {
    if failures < ACCOUNT_FREE_FAILURES {
        return Duration::zero();
    }
    let exp = (failures - ACCOUNT_FREE_FAILURES).min(20) as u32;
    Duration::seconds((1i64 << exp).min(MAX_DELAY_SECONDS))
}

/// A second-factor code as typed: a 6-digit TOTP code or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Totp(String),
    Recovery(String),
}

impl SecondFactor {
    /// Reads what the user typed: digits only (spaces ignored) → TOTP; otherwise a recovery code.
    pub fn parse(typed: &str) -> Option<Self> {
        let compact: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.is_empty() || compact.len() > 64 {
            return None;
        }
        if compact.len() == DIGITS && compact.bytes().all(|b| b.is_ascii_digit()) {
            Some(Self::Totp(compact))
        } else {
            Some(Self::Recovery(compact.to_ascii_uppercase()))
        }
    }
}

/// The outcome of a second-factor check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactorCheck {
    Valid { recovery_codes_left: Option<i64> },
    Invalid,
}

/// The outcome of a guarded second-factor attempt: the throttle is read again and the
/// failure recorded inside the attempt's own write transaction, under the user's row lock,
/// so that parallel guesses are counted one after the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<T> {
    Passed(T),
    /// A wrong code: the failure is recorded.
    Invalid,
    /// Not evaluated: too many failures.
    Throttled(Throttle),
}

/// A TOTP secret being enrolled: base32 text and the `otpauth://` URL for the QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub url: String,
}

fn totp(secret_base32: &str, login: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|_| StoreError::Config("secret TOTP illisible".into()))?;
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        bytes,
        Some("Vigie".to_owned()),
        login.to_owned(),
    )
    .map_err(|e| StoreError::Config(format!("secret TOTP invalide : {e}")))
}

/// The time step of a code that matches at `now` (± one step), if any.
fn matching_step(t: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let ts = now.timestamp().max(0) as u64;
    let current = ts / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| {
            let expected = t.generate(step * STEP);
            constant_eq(expected.as_bytes(), code.as_bytes())
        })
        .map(|s| s as i64)
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The code a TOTP secret gives at `at` (for tests and the load benchmark's simulated phones).
pub fn totp_code(secret_base32: &str, at: DateTime<Utc>) -> Result<String> {
    Ok(totp(secret_base32, "x")?.generate(at.timestamp().max(0) as u64))
}

pub(crate) use crate::sessions::{PENDING_SECRET, TOTP_SECRET};

fn random_recovery_code() -> String {
    // 10 characters from an alphabet without look-alikes: about 50 bits.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut raw = [0u8; 10];
    fill_random(&mut raw);
    let s: String = raw
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}
