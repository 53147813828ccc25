//! The second factor: TOTP enrolment and confirmation, recovery codes, completing the
//! second factor of a session and re-authenticating it.

use super::*;

impl Store {
    fn recovery_hash(&self, key: &[u8], code: &str) -> String {
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(b"recovery:");
        mac.update(code.replace('-', "").to_ascii_uppercase().as_bytes());
        hex::encode(mac.finalize().into_bytes())
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
