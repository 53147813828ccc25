//! Server-side sessions, in the database (so several web nodes can share them).
//! The cookie holds a random token; the table holds only its SHA-256.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use vigie_domain::{Role, Scope};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::password::fill_random;
use crate::sql::{all, exec, get, one};
use crate::{Result, vals};

/// The user behind a valid session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub session_id: String,
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub territories: Vec<i64>,
    pub service_id: Option<i64>,
    pub must_change_password: bool,
    /// A demo account (only in a `--demo` database): may skip the second factor.
    pub demo: bool,
    /// Whether the user has a confirmed TOTP second factor.
    pub totp_enabled: bool,
    /// When this session passed the second factor (`None`: password only so far).
    pub mfa_at: Option<DateTime<Utc>>,
    /// The last re-authentication (password + second factor) in this session.
    pub reauth_at: Option<DateTime<Utc>>,
}

/// The sealing contexts of the TOTP secrets (see [`crate::keys`]).
pub(crate) const TOTP_SECRET: &str = "app_user.totp_secret";
pub(crate) const PENDING_SECRET: &str = "web_session.totp_pending";

impl SessionUser {
    /// Whether the session is fully open: second factor checked, or not required (demo).
    pub fn fully_authenticated(&self) -> bool {
        self.mfa_at.is_some() || self.demo
    }

    /// Whether the user re-authenticated within `window` before `now`.
    pub fn reauthenticated_since(&self, now: DateTime<Utc>, window: Duration) -> bool {
        self.reauth_at.is_some_and(|t| now - t <= window)
    }

    pub fn scope(&self) -> Scope {
        Scope::for_user(self.role, &self.territories, self.service_id)
    }
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

pub(crate) fn token_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Opens a fully authenticated session for a user and records the login (a demo
    /// account, which may skip the second factor, or tests).
    pub async fn open_session(
        &self,
        now: DateTime<Utc>,
        user_id: i64,
        ip: Option<String>,
        policy: SessionPolicy,
    ) -> Result<String> {
        self.open_session_stage(now, user_id, ip, policy, true)
            .await
    }

    /// Opens a session after the password check. With `second_factor_done` false, the
    /// session only leads to the second factor (its check, or its enrolment); the login
    /// is recorded once the second factor is passed.
    pub async fn open_session_stage(
        &self,
        now: DateTime<Utc>,
        user_id: i64,
        ip: Option<String>,
        policy: SessionPolicy,
        second_factor_done: bool,
    ) -> Result<String> {
        let mut raw = [0u8; 32];
        fill_random(&mut raw);
        let token = hex::encode(raw);
        let mfa_at: Option<DateTime<Utc>> = second_factor_done.then_some(now);
        let txn = self.write().await?;
        exec(
            &txn,
            "INSERT INTO web_session (id, user_id, created_at, last_seen_at, expires_at, mfa_at) VALUES ($1, $2, $3, $3, $4, $5)",
            vals![token_id(&token), user_id, now, now + policy.absolute, mfa_at],
        )
        .await?;
        exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1 AND (expires_at < $2 OR last_seen_at < $3)",
            vals![user_id, now, now - policy.idle],
        )
        .await?;
        self.append(
            &txn,
            now,
            &Actor::user(user_id, ip),
            Event::new(if second_factor_done {
                "connexion"
            } else {
                "connexion.mot_de_passe"
            }),
        )
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    /// Closes every session of a user at once (« se déconnecter partout », or an
    /// administrator's decision); returns how many were open.
    pub async fn close_all_sessions(
        &self,
        now: DateTime<Utc>,
        user_id: i64,
        by: Option<i64>,
        ip: Option<String>,
    ) -> Result<u64> {
        let txn = self.write().await?;
        let n = exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1",
            vals![user_id],
        )
        .await?;
        self.append(
            &txn,
            now,
            &Actor { user_id: by, ip },
            Event::new("deconnexion.partout")
                .on("app_user", user_id)
                .detail(format!("sessions={n}")),
        )
        .await?;
        txn.commit().await?;
        Ok(n)
    }

    /// A user's change of their own password (already checked against the policy and
    /// hashed): the forced change is satisfied and every other session is closed.
    pub async fn change_own_password(
        &self,
        now: DateTime<Utc>,
        user: &SessionUser,
        password_hash: &str,
        ip: Option<String>,
    ) -> Result<()> {
        let txn = self.write().await?;
        exec(
            &txn,
            "UPDATE app_user SET password_hash = $1, must_change_password = FALSE, updated_at = $2, version = version + 1 WHERE id = $3",
            vals![password_hash, now, user.user_id],
        )
        .await?;
        exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1 AND id <> $2",
            vals![user.user_id, user.session_id.clone()],
        )
        .await?;
        self.append(
            &txn,
            now,
            &Actor::user(user.user_id, ip),
            Event::new("mot_de_passe.changement").on("app_user", user.user_id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The active user behind a session token, or `None` (unknown, expired, idle, disabled,
    /// or waiting for a confirmation: see [`crate::pending`]).
    /// Refreshes the idle timer at most once a minute.
    pub async fn session_user(
        &self,
        now: DateTime<Utc>,
        token: &str,
        policy: SessionPolicy,
    ) -> Result<Option<SessionUser>> {
        let id = token_id(token);
        let Some(r) = one(
            &self.db,
            "SELECT s.user_id, s.last_seen_at, s.mfa_at, s.reauth_at, u.login, u.display_name, u.role,
                    u.service_id, u.must_change_password, u.demo, u.totp_enabled_at
             FROM web_session s JOIN app_user u ON u.id = s.user_id
             WHERE s.id = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.active = TRUE
               AND u.pending_since IS NULL",
            vals![id.clone(), now, now - policy.idle],
        )
        .await?
        else {
            return Ok(None);
        };
        let user_id: i64 = get(&r, "user_id")?;
        let role: String = get(&r, "role")?;
        let Some(role) = Role::parse(&role) else {
            return Ok(None);
        };
        let last_seen: DateTime<Utc> = get(&r, "last_seen_at")?;
        if now - last_seen > Duration::seconds(60) {
            exec(
                &self.db,
                "UPDATE web_session SET last_seen_at = $1 WHERE id = $2",
                vals![now, id.clone()],
            )
            .await?;
        }
        let territories = all(
            &self.db,
            "SELECT territory_id FROM user_territory WHERE user_id = $1 ORDER BY territory_id",
            vals![user_id],
        )
        .await?
        .iter()
        .map(|t| get::<i64>(t, "territory_id"))
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(SessionUser {
            session_id: id,
            user_id,
            login: get(&r, "login")?,
            display_name: get(&r, "display_name")?,
            role,
            territories,
            service_id: get(&r, "service_id")?,
            must_change_password: get(&r, "must_change_password")?,
            demo: get(&r, "demo")?,
            totp_enabled: get::<Option<DateTime<Utc>>>(&r, "totp_enabled_at")?.is_some(),
            mfa_at: get(&r, "mfa_at")?,
            reauth_at: get(&r, "reauth_at")?,
        }))
    }

    /// Ends a session that [`Self::session_user`] no longer accepts (expired, idle) and
    /// returns its user; `None` when no such session exists (closed, or a forged token).
    /// The next request with the same cookie names nobody.
    pub async fn end_stale_session(&self, token: &str) -> Result<Option<i64>> {
        let r = one(
            &self.db,
            "DELETE FROM web_session WHERE id = $1 RETURNING user_id",
            vals![token_id(token)],
        )
        .await?;
        r.map(|r| get(&r, "user_id")).transpose()
    }

    /// Closes a session and records the logout.
    pub async fn close_session(
        &self,
        now: DateTime<Utc>,
        user: &SessionUser,
        ip: Option<String>,
    ) -> Result<()> {
        let txn = self.write().await?;
        exec(
            &txn,
            "DELETE FROM web_session WHERE id = $1",
            vals![user.session_id.clone()],
        )
        .await?;
        self.append(
            &txn,
            now,
            &Actor::user(user.user_id, ip),
            Event::new("deconnexion"),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Tests only: marks the session behind a cookie value (`vigie_session=…` or the bare
    /// token) as having passed the second factor, so that tests of other features can log
    /// in through the password form alone. The TOTP flow itself is tested on its own.
    pub async fn testing_pass_second_factor(&self, cookie: &str, now: DateTime<Utc>) -> Result<()> {
        let token = cookie.rsplit('=').next().unwrap_or(cookie);
        exec(
            &self.db,
            "UPDATE web_session SET mfa_at = $1 WHERE id = $2",
            vals![now, token_id(token)],
        )
        .await?;
        Ok(())
    }

    /// Tests only: marks the session as re-authenticated at `now`.
    pub async fn testing_reauthenticate(&self, cookie: &str, now: DateTime<Utc>) -> Result<()> {
        let token = cookie.rsplit('=').next().unwrap_or(cookie);
        exec(
            &self.db,
            "UPDATE web_session SET reauth_at = $1 WHERE id = $2",
            vals![now, token_id(token)],
        )
        .await?;
        Ok(())
    }

    /// Tests and benchmarks only: gives a user a confirmed TOTP second factor with this
    /// base32 secret at `now`, without the enrolment pages (no recovery code, no audit entry).
    pub async fn testing_enrol_totp(
        &self,
        user_id: i64,
        secret_base32: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            &self.db,
            "UPDATE app_user SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = NULL WHERE id = $3",
            vals![
                self.seal_secret(
                    TOTP_SECRET,
                    &user_id.to_string(),
                    secret_base32
                ),
                now,
                user_id
            ],
        )
        .await?;
        Ok(())
    }
}
