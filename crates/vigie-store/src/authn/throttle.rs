//! Login throttling shared by every web node: failures counted in the database per login
//! key and per address, delays that double, reservations of an attempt.

use super::*;

impl Store {
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
}

/// Serialises, inside a write transaction, the attempts on one login and from one address:
/// on PostgreSQL, transaction-scoped advisory locks on the login key then on the address,
/// always in that order (on SQLite, `BEGIN IMMEDIATE` already serialises every writer).
pub(super) async fn serialise_throttle(
    txn: &sea_orm::DatabaseTransaction,
    login_key: &str,
    ip: Option<&str>,
) -> Result<()> {
    let keys = std::iter::once(format!("login:{login_key}")).chain(ip.map(|ip| format!("ip:{ip}")));
    crate::backend::lock_keys(txn, keys).await
}

/// The throttling rule on a connection (inside a write transaction, after
/// [`serialise_throttle`], the count is current).
pub(super) async fn throttle_on(
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
pub(super) async fn insert_failure(
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
pub(super) async fn insert_failure_row(
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
pub(super) async fn audit_failure(
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
