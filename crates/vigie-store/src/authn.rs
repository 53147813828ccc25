//! Strong authentication: login throttling shared by every web node (counters in the
//! database), the TOTP second factor (RFC 6238) with replay protection, single-use recovery
//! codes, second-factor completion and re-authentication of a session.

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

/// The sealing contexts of the TOTP secrets (see [`crate::keys`]).
pub(crate) const TOTP_SECRET: &str = "app_user.totp_secret";
pub(crate) const PENDING_SECRET: &str = "web_session.totp_pending";

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

impl Store {
    fn recovery_hash(&self, key: &[u8], code: &str) -> String {
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(b"recovery:");
        mac.update(code.replace('-', "").to_ascii_uppercase().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The throttling key of a typed login (a keyed hash: the login itself is never stored).
    pub async fn login_key(&self, typed_login: &str) -> Result<String> {
        self.keyed_hash(&format!("throttle:{}", typed_login.trim().to_lowercase()))
            .await
    }

    /// Whether an attempt on this login from this address may be evaluated now.
    pub async fn throttle(
        &self,
        now: DateTime<Utc>,
        login_key: &str,
        ip: Option<&str>,
    ) -> Result<Throttle> {
        throttle_on(&self.db, now, login_key, ip).await
    }

    /// Records a failed attempt (password or second factor): a throttling row and the audit
    /// entry, in one transaction. `what` is the audit action (`connexion.echec`,
    /// `second_facteur.echec`, `reauthentification.echec`).
    pub async fn record_failed_attempt(
        &self,
        now: DateTime<Utc>,
        what: &str,
        login_key: &str,
        user_id: Option<i64>,
        ip: Option<String>,
    ) -> Result<()> {
        let txn = self.write().await?;
        insert_failure(&txn, &self.keys, now, what, login_key, user_id, ip).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Reads the throttle and, when the attempt may be evaluated, counts it at once (its
    /// failure row, the reserved slot), in one write transaction, before any password is
    /// verified: simultaneous attempts take the free slots one after the other. `Err` holds
    /// the refusal ([`Throttle::Wait`] or [`Throttle::AddressBlocked`]); nothing is written.
    pub async fn reserve_attempt(
        &self,
        now: DateTime<Utc>,
        login_key: &str,
        ip: Option<&str>,
    ) -> Result<std::result::Result<Reservation, Throttle>> {
        let txn = self.write().await?;
        serialise_throttle(&txn, login_key, ip).await?;
        match throttle_on(&txn, now, login_key, ip).await? {
            Throttle::Allowed => {}
            refused => return Ok(Err(refused)),
        }
        let id = insert_failure_row(&txn, now, login_key, ip).await?;
        txn.commit().await?;
        Ok(Ok(Reservation(id)))
    }

    /// A reserved attempt whose password was wrong: its row stays counted as a failure, and
    /// the failure is audited (`what`, as for [`Store::record_failed_attempt`]).
    pub async fn reserved_attempt_failed(
        &self,
        now: DateTime<Utc>,
        _attempt: Reservation,
        what: &str,
        login_key: &str,
        user_id: Option<i64>,
        ip: Option<String>,
    ) -> Result<()> {
        let txn = self.write().await?;
        audit_failure(&txn, &self.keys, now, what, login_key, user_id, ip).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A reserved attempt whose password was right: the slot is given back.
    pub async fn release_attempt(&self, attempt: Reservation) -> Result<()> {
        exec(
            &self.db,
            "DELETE FROM login_failure WHERE id = $1",
            vals![attempt.0],
        )
        .await?;
        Ok(())
    }

    /// Whether a user is a demo account (exists only in a `--demo` database).
    pub async fn is_demo_user(&self, user_id: i64) -> Result<bool> {
        let r = one(
            &self.db,
            "SELECT demo FROM app_user WHERE id = $1",
            vals![user_id],
        )
        .await?;
        Ok(r.map(|r| get::<bool>(&r, "demo"))
            .transpose()?
            .unwrap_or(false))
    }

    /// Forgets the failures on a login after a complete success.
    pub async fn clear_failures(&self, login_key: &str) -> Result<()> {
        exec(
            &self.db,
            "DELETE FROM login_failure WHERE login_key = $1",
            vals![login_key],
        )
        .await?;
        Ok(())
    }

    /// Starts (or resumes) a TOTP enrolment in this session: the pending secret is kept in
    /// the session row until a first code confirms it.
    pub async fn totp_enrolment(&self, session_id: &str, login: &str) -> Result<Enrolment> {
        let r = one(
            &self.db,
            "SELECT user_id, totp_pending FROM web_session WHERE id = $1",
            vals![session_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let user_id: i64 = get(&r, "user_id")?;
        let pending: Option<String> = get(&r, "totp_pending")?;
        let secret = match pending {
            Some(s) => self.open_secret(PENDING_SECRET, &user_id.to_string(), &s)?,
            None => {
                let mut raw = [0u8; 20];
                fill_random(&mut raw);
                let s = Secret::Raw(raw.to_vec()).to_encoded().to_string();
                exec(
                    &self.db,
                    "UPDATE web_session SET totp_pending = $1 WHERE id = $2",
                    vals![
                        self.seal_secret(PENDING_SECRET, &user_id.to_string(), &s),
                        session_id
                    ],
                )
                .await?;
                s
            }
        };
        let url = totp(&secret, login)?.get_url();
        Ok(Enrolment {
            secret_base32: secret,
            url,
        })
    }

    /// Confirms the pending enrolment with a first code: the secret becomes the user's,
    /// recovery codes are generated (returned once, stored hashed), and the session is
    /// replaced by a fully authenticated one. Returns `None` when the code is wrong.
    pub async fn confirm_totp(
        &self,
        now: DateTime<Utc>,
        session_id: &str,
        code: &str,
        ip: Option<String>,
        policy: SessionPolicy,
    ) -> Result<Option<(String, Vec<String>)>> {
        let key = self.secret_key().await?;
        let txn = self.write().await?;
        let Some(r) = one(
            &txn,
            "SELECT s.user_id, s.totp_pending, u.login FROM web_session s JOIN app_user u ON u.id = s.user_id
             WHERE s.id = $1",
            vals![session_id],
        )
        .await?
        else {
            return Err(StoreError::NotFound);
        };
        let user_id: i64 = get(&r, "user_id")?;
        let login: String = get(&r, "login")?;
        let Some(secret) = get::<Option<String>>(&r, "totp_pending")? else {
            return Ok(None);
        };
        let secret = self.open_secret(PENDING_SECRET, &user_id.to_string(), &secret)?;
        let Some(step) = matching_step(&totp(&secret, &login)?, code, now) else {
            return Ok(None);
        };
        // Only a user without a second factor enrols: two pending enrolments of one user
        // (two sessions) cannot replace a factor just confirmed.
        let updated = exec(
            &txn,
            "UPDATE app_user SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3, updated_at = $2, version = version + 1 WHERE id = $4 AND totp_enabled_at IS NULL",
            vals![
                self.seal_secret(TOTP_SECRET, &user_id.to_string(), &secret),
                now,
                step,
                user_id
            ],
        )
        .await?;
        if updated == 0 {
            return Ok(None);
        }
        let codes = self
            .replace_recovery_codes(&txn, &key, now, user_id)
            .await?;
        let token = rotate(&txn, now, session_id, user_id, policy, true).await?;
        let actor = Actor::user(user_id, ip);
        self.append(
            &txn,
            now,
            &actor,
            Event::new("second_facteur.activation").on("app_user", user_id),
        )
        .await?;
        self.append(&txn, now, &actor, Event::new("connexion"))
            .await?;
        txn.commit().await?;
        Ok(Some((token, codes)))
    }

    async fn replace_recovery_codes(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        key: &[u8],
        now: DateTime<Utc>,
        user_id: i64,
    ) -> Result<Vec<String>> {
        exec(
            txn,
            "DELETE FROM recovery_code WHERE user_id = $1",
            vals![user_id],
        )
        .await?;
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let c = random_recovery_code();
            exec(
                txn,
                "INSERT INTO recovery_code (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
                vals![user_id, self.recovery_hash(key, &c), now],
            )
            .await?;
            codes.push(c);
        }
        Ok(codes)
    }

    /// New recovery codes for a user (the old ones stop working), audited.
    pub async fn regenerate_recovery_codes(
        &self,
        now: DateTime<Utc>,
        user_id: i64,
        ip: Option<String>,
    ) -> Result<Vec<String>> {
        let key = self.secret_key().await?;
        let txn = self.write().await?;
        let codes = self
            .replace_recovery_codes(&txn, &key, now, user_id)
            .await?;
        self.append(
            &txn,
            now,
            &Actor::user(user_id, ip),
            Event::new("second_facteur.codes_de_secours").on("app_user", user_id),
        )
        .await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Unused recovery codes of a user.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
        let r = one(
            &self.db,
            "SELECT COUNT(*) AS n FROM recovery_code WHERE user_id = $1 AND used_at IS NULL",
            vals![user_id],
        )
        .await?;
        Ok(r.map(|r| get(&r, "n")).transpose()?.unwrap_or(0))
    }

    /// Checks a second factor for a user and consumes it: a TOTP code is accepted once
    /// (its time step must be later than the last accepted one), a recovery code once.
    async fn consume_factor(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        key: &[u8],
        now: DateTime<Utc>,
        user_id: i64,
        factor: &SecondFactor,
    ) -> Result<FactorCheck> {
        let lock = crate::backend::for_update(txn);
        let r = one(
            txn,
            &format!(
                "SELECT login, totp_secret, totp_last_step FROM app_user WHERE id = $1 AND active = TRUE{lock}"
            ),
            vals![user_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        match factor {
            SecondFactor::Totp(code) => {
                let Some(secret) = get::<Option<String>>(&r, "totp_secret")? else {
                    return Ok(FactorCheck::Invalid);
                };
                let secret = self.open_secret(TOTP_SECRET, &user_id.to_string(), &secret)?;
                let login: String = get(&r, "login")?;
                let last: Option<i64> = get(&r, "totp_last_step")?;
                match matching_step(&totp(&secret, &login)?, code, now) {
                    Some(step) if last.is_none_or(|l| step > l) => {
                        exec(
                            txn,
                            "UPDATE app_user SET totp_last_step = $1 WHERE id = $2",
                            vals![step, user_id],
                        )
                        .await?;
                        Ok(FactorCheck::Valid {
                            recovery_codes_left: None,
                        })
                    }
                    _ => Ok(FactorCheck::Invalid),
                }
            }
            SecondFactor::Recovery(code) => {
                let h = self.recovery_hash(key, code);
                let r = one(
                    txn,
                    "SELECT id FROM recovery_code WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                    vals![user_id, h],
                )
                .await?;
                let Some(r) = r else {
                    return Ok(FactorCheck::Invalid);
                };
                let id: i64 = get(&r, "id")?;
                exec(
                    txn,
                    "UPDATE recovery_code SET used_at = $1 WHERE id = $2",
                    vals![now, id],
                )
                .await?;
                let left = one(
                    txn,
                    "SELECT COUNT(*) AS n FROM recovery_code WHERE user_id = $1 AND used_at IS NULL",
                    vals![user_id],
                )
                .await?
                .map(|r| get::<i64>(&r, "n"))
                .transpose()?
                .unwrap_or(0);
                Ok(FactorCheck::Valid {
                    recovery_codes_left: Some(left),
                })
            }
        }
    }

    /// Locks the user's row, reads the throttle again, and checks and consumes the factor;
    /// a wrong one is recorded (`what`) in the same transaction.
    #[allow(clippy::too_many_arguments)]
    async fn guarded_factor(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        key: &[u8],
        now: DateTime<Utc>,
        user_id: i64,
        login_key: &str,
        ip: Option<String>,
        factor: &SecondFactor,
        what: &str,
    ) -> Result<Attempt<FactorCheck>> {
        crate::backend::lock_row(txn, "app_user", user_id).await?;
        serialise_throttle(txn, login_key, ip.as_deref()).await?;
        match throttle_on(txn, now, login_key, ip.as_deref()).await? {
            Throttle::Allowed => {}
            t => return Ok(Attempt::Throttled(t)),
        }
        match self.consume_factor(txn, key, now, user_id, factor).await? {
            FactorCheck::Invalid => {
                insert_failure(txn, &self.keys, now, what, login_key, Some(user_id), ip).await?;
                Ok(Attempt::Invalid)
            }
            valid => Ok(Attempt::Passed(valid)),
        }
    }

    /// Completes a login with the second factor: on success the password-only session is
    /// replaced by a new, fully authenticated one (new token), and the login is audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_second_factor(
        &self,
        now: DateTime<Utc>,
        session_id: &str,
        user_id: i64,
        login_key: &str,
        factor: &SecondFactor,
        ip: Option<String>,
        policy: SessionPolicy,
    ) -> Result<Attempt<(String, FactorCheck)>> {
        // Read before the write transaction: inside it, a second pool connection could wait
        // behind writers that wait for this one.
        let key = self.secret_key().await?;
        let txn = self.write().await?;
        let check = match self
            .guarded_factor(
                &txn,
                &key,
                now,
                user_id,
                login_key,
                ip.clone(),
                factor,
                "second_facteur.echec",
            )
            .await?
        {
            Attempt::Passed(c) => c,
            Attempt::Invalid => {
                txn.commit().await?;
                return Ok(Attempt::Invalid);
            }
            Attempt::Throttled(t) => return Ok(Attempt::Throttled(t)),
        };
        let token = rotate(&txn, now, session_id, user_id, policy, true).await?;
        let detail = if matches!(factor, SecondFactor::Recovery(_)) {
            "facteur=code_de_secours"
        } else {
            "facteur=totp"
        };
        self.append(
            &txn,
            now,
            &Actor::user(user_id, ip),
            Event::new("connexion").detail(detail),
        )
        .await?;
        txn.commit().await?;
        Ok(Attempt::Passed((token, check)))
    }

    /// Re-authentication of an open session before a sensitive operation: the caller has
    /// checked the password; the second factor (when the user has one) is consumed here,
    /// guarded like the login's.
    pub async fn reauthenticate(
        &self,
        now: DateTime<Utc>,
        session_id: &str,
        user_id: i64,
        login_key: &str,
        factor: Option<&SecondFactor>,
        ip: Option<String>,
    ) -> Result<Attempt<()>> {
        let key = self.secret_key().await?;
        let txn = self.write().await?;
        if let Some(f) = factor {
            match self
                .guarded_factor(
                    &txn,
                    &key,
                    now,
                    user_id,
                    login_key,
                    ip.clone(),
                    f,
                    "reauthentification.echec",
                )
                .await?
            {
                Attempt::Passed(_) => {}
                Attempt::Invalid => {
                    txn.commit().await?;
                    return Ok(Attempt::Invalid);
                }
                Attempt::Throttled(t) => return Ok(Attempt::Throttled(t)),
            }
        }
        exec(
            &txn,
            "UPDATE web_session SET reauth_at = $1 WHERE id = $2 AND user_id = $3",
            vals![now, session_id, user_id],
        )
        .await?;
        self.append(
            &txn,
            now,
            &Actor::user(user_id, ip),
            Event::new("reauthentification"),
        )
        .await?;
        txn.commit().await?;
        Ok(Attempt::Passed(()))
    }
}

/// Serialises, inside a write transaction, the attempts on one login and from one address:
/// on PostgreSQL, transaction-scoped advisory locks on the login key then on the address,
/// always in that order (on SQLite, `BEGIN IMMEDIATE` already serialises every writer).
async fn serialise_throttle(
    txn: &sea_orm::DatabaseTransaction,
    login_key: &str,
    ip: Option<&str>,
) -> Result<()> {
    let keys = std::iter::once(format!("login:{login_key}")).chain(ip.map(|ip| format!("ip:{ip}")));
    crate::backend::lock_keys(txn, keys).await
}

/// The throttling rule on a connection (inside a write transaction, after
/// [`serialise_throttle`], the count is current).
async fn throttle_on(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    login_key: &str,
    ip: Option<&str>,
) -> Result<Throttle> {
    if let Some(ip) = ip {
        let r = one(
            c,
            "SELECT COUNT(*) AS n FROM login_failure WHERE ip = $1 AND at > $2",
            vals![ip, now - Duration::hours(1)],
        )
        .await?;
        let n: i64 = r.map(|r| get(&r, "n")).transpose()?.unwrap_or(0);
        if n >= IP_FAILURES_PER_HOUR {
            return Ok(Throttle::AddressBlocked);
        }
    }
    let r = one(
        c,
        "SELECT COUNT(*) AS n, MAX(at) AS last FROM login_failure WHERE login_key = $1 AND at > $2",
        vals![login_key, now - Duration::minutes(ACCOUNT_WINDOW_MINUTES)],
    )
    .await?;
    let (n, last): (i64, Option<DateTime<Utc>>) = match r {
        Some(r) => (get(&r, "n")?, get(&r, "last")?),
        None => (0, None),
    };
    let delay = delay_after(n);
    match last {
        Some(last) if delay > Duration::zero() && now < last + delay => {
            Ok(Throttle::Wait(last + delay - now))
        }
        _ => Ok(Throttle::Allowed),
    }
}

/// One failed attempt: a throttling row and its audit entry, in the caller's transaction.
async fn insert_failure(
    txn: &sea_orm::DatabaseTransaction,
    keys: &crate::keys::Keys,
    now: DateTime<Utc>,
    what: &str,
    login_key: &str,
    user_id: Option<i64>,
    ip: Option<String>,
) -> Result<()> {
    insert_failure_row(txn, now, login_key, ip.as_deref()).await?;
    audit_failure(txn, keys, now, what, login_key, user_id, ip).await
}

/// A throttling row; its id.
async fn insert_failure_row(
    txn: &sea_orm::DatabaseTransaction,
    now: DateTime<Utc>,
    login_key: &str,
    ip: Option<&str>,
) -> Result<i64> {
    let id = one(
        txn,
        "INSERT INTO login_failure (at, login_key, ip) VALUES ($1, $2, $3) RETURNING id",
        vals![now, login_key, ip.map(str::to_owned)],
    )
    .await?
    .map(|r| get::<i64>(&r, "id"))
    .transpose()?
    .ok_or(StoreError::NotFound)?;
    // Rows older than a day serve no rule any more.
    exec(
        txn,
        "DELETE FROM login_failure WHERE at < $1",
        vals![now - Duration::days(1)],
    )
    .await?;
    Ok(id)
}

/// The audit entry of a failed attempt.
async fn audit_failure(
    txn: &sea_orm::DatabaseTransaction,
    keys: &crate::keys::Keys,
    now: DateTime<Utc>,
    what: &str,
    login_key: &str,
    user_id: Option<i64>,
    ip: Option<String>,
) -> Result<()> {
    let ev = match user_id {
        Some(id) => Event::new(what).on("app_user", id),
        // An unknown login: a keyed hash only (users sometimes type their password there).
        None => Event::new(what).detail(format!("identifiant_hmac={login_key}")),
    };
    crate::audit::append(txn, keys, now, &Actor { user_id, ip }, ev).await?;
    Ok(())
}

/// Replaces a session by a new one (new token, same creation time and absolute expiry),
/// marked as fully authenticated when `mfa` is set.
async fn rotate(
    txn: &sea_orm::DatabaseTransaction,
    now: DateTime<Utc>,
    session_id: &str,
    user_id: i64,
    policy: SessionPolicy,
    mfa: bool,
) -> Result<String> {
    let r = one(
        txn,
        "SELECT created_at, expires_at FROM web_session WHERE id = $1 AND user_id = $2",
        vals![session_id, user_id],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    let created: DateTime<Utc> = get(&r, "created_at")?;
    let expires: DateTime<Utc> = get(&r, "expires_at")?;
    let expires = expires.min(created + policy.absolute);
    exec(
        txn,
        "DELETE FROM web_session WHERE id = $1",
        vals![session_id],
    )
    .await?;
    let mut raw = [0u8; 32];
    fill_random(&mut raw);
    let token = hex::encode(raw);
    let mfa_at: Option<DateTime<Utc>> = mfa.then_some(now);
    exec(
        txn,
        "INSERT INTO web_session (id, user_id, created_at, last_seen_at, expires_at, mfa_at, reauth_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        vals![token_id(&token), user_id, created, now, expires, mfa_at],
    )
    .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_one_second_to_fifteen_minutes() {
        assert_eq!(delay_after(4), Duration::zero());
        assert_eq!(delay_after(5), Duration::seconds(1));
        assert_eq!(delay_after(6), Duration::seconds(2));
        assert_eq!(delay_after(7), Duration::seconds(4));
        assert_eq!(delay_after(14), Duration::seconds(512));
        assert_eq!(delay_after(15), Duration::seconds(900));
        assert_eq!(delay_after(1000), Duration::seconds(900));
    }

    #[test]
    fn second_factor_parsing() {
        assert_eq!(
            SecondFactor::parse(" 123 456 "),
            Some(SecondFactor::Totp("123456".into()))
        );
        assert_eq!(
            SecondFactor::parse("abcde-fghjk"),
            Some(SecondFactor::Recovery("ABCDEFGHJK".into()))
        );
        assert_eq!(SecondFactor::parse("  "), None);
    }

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); 6 digits: 287082.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        let at = DateTime::from_timestamp(59, 0).unwrap_or_default();
        assert_eq!(totp_code(&secret, at).ok().as_deref(), Some("287082"));
        let t = totp(&secret, "x").ok();
        let step = t.and_then(|t| matching_step(&t, "287082", at));
        assert_eq!(step, Some(1));
    }
}
