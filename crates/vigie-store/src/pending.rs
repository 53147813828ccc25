//! The two-person rule for accounts that read dossiers (`vigie_domain::two_person`).
//!
//! An account created in the web administration with a role that reads dossiers, or
//! changed there so that it is granted a role, a territory or a service, is *pending*: it
//! cannot log in (its sessions are closed in the same transaction, and
//! [`Store::session_user`] ignores the sessions of a pending account) until a responsable
//! CRIP other than the person who asked confirms it ([`Store::confirm_account`]).
//!
//! A pending change of an existing account is applied at once (the stored role, territories
//! and service are the new ones) but the whole account waits: the simplest safe choice, with
//! nothing half-granted. Accounts created on the command line (`vigie user add`, the operator
//! with server access) and the demo accounts are confirmed.
//!
//! Audit entries: `utilisateur.confirmation_demandee` (the field names asked, the number of
//! sessions closed), `utilisateur.confirmation` and `utilisateur.confirmation_refusee`.
//! Never a value: ids and field names only.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use vigie_domain::{DomainError, Permission, Role};

use crate::audit::{Actor, Event, append};
use crate::db::Store;
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

/// The audit action of a request for confirmation.
pub const REQUESTED: &str = "utilisateur.confirmation_demandee";

/// An account waiting for a responsable's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAccount {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub territories: Vec<i64>,
    pub service_id: Option<i64>,
    /// Since when it waits (the first request not yet confirmed).
    pub since: DateTime<Utc>,
    /// Who asked last (`None`: the system).
    pub by: Option<i64>,
    /// The display name and login of who asked last.
    pub by_name: Option<(String, String)>,
    /// The field names asked (`creation`, `role`, `territories`, `service`).
    pub change: Vec<String>,
}

fn split(fields: &str) -> Vec<String> {
    fields
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Marks an account pending, inside the transaction of the change that asks for it: keeps
/// the first `pending_since`, records who asked last and the union of the fields asked,
/// closes every session of the account and writes the audit entry.
pub(crate) async fn request(
    txn: &DatabaseTransaction,
    keys: &crate::keys::Keys,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    fields: &[&str],
) -> Result<()> {
    let r = one(
        txn,
        "SELECT pending_change FROM app_user WHERE id = $1",
        vals![id],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut all_fields = split(&get::<Option<String>>(&r, "pending_change")?.unwrap_or_default());
    for f in fields {
        if !all_fields.iter().any(|x| x == f) {
            all_fields.push((*f).to_owned());
        }
    }
    exec(
        txn,
        "UPDATE app_user SET pending_since = COALESCE(pending_since, $1), pending_by = $2, pending_change = $3 WHERE id = $4",
        vals![now, actor.user_id, all_fields.join(","), id],
    )
    .await?;
    let sessions = exec(txn, "DELETE FROM web_session WHERE user_id = $1", vals![id]).await?;
    append(
        txn,
        keys,
        now,
        actor,
        Event::new(REQUESTED)
            .on("app_user", id)
            .detail(format!("champs={} sessions={sessions}", fields.join(","))),
    )
    .await?;
    Ok(())
}

/// [`request`] for a reset or a reactivation (`field`), when the account's role reads
/// dossiers: whoever resets it could otherwise log in with it.
pub(crate) async fn request_if_reads_dossiers(
    txn: &DatabaseTransaction,
    keys: &crate::keys::Keys,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    role: vigie_domain::Role,
    field: &str,
) -> Result<()> {
    if vigie_domain::two_person::reads_dossiers(role) {
        request(txn, keys, now, actor, id, &[field]).await?;
    }
    Ok(())
}

impl Store {
    /// Whether an account waits for a responsable's confirmation (false for an unknown id).
    pub async fn is_pending(&self, user_id: i64) -> Result<bool> {
        let r = one(
            &self.db,
            "SELECT pending_since FROM app_user WHERE id = $1",
            vals![user_id],
        )
        .await?;
        Ok(match r {
            Some(r) => get::<Option<DateTime<Utc>>>(&r, "pending_since")?.is_some(),
            None => false,
        })
    }

    /// The active accounts waiting for a confirmation, oldest request first.
    pub async fn pending_accounts(&self) -> Result<Vec<PendingAccount>> {
        let rows = all(
            &self.db,
            "SELECT u.id, u.login, u.display_name, u.role, u.service_id, u.pending_since, u.pending_by,
                    u.pending_change, b.display_name AS by_display_name, b.login AS by_login
             FROM app_user u LEFT JOIN app_user b ON b.id = u.pending_by
             WHERE u.pending_since IS NOT NULL AND u.active = TRUE
             ORDER BY u.pending_since, u.id",
            vec![],
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = get(&r, "id")?;
            let role: String = get(&r, "role")?;
            let territories = all(
                &self.db,
                "SELECT territory_id FROM user_territory WHERE user_id = $1 ORDER BY territory_id",
                vals![id],
            )
            .await?
            .iter()
            .map(|t| get(t, "territory_id"))
            .collect::<Result<Vec<i64>>>()?;
            let by_name = match (
                get::<Option<String>>(&r, "by_display_name")?,
                get::<Option<String>>(&r, "by_login")?,
            ) {
                (Some(n), Some(l)) => Some((n, l)),
                _ => None,
            };
            out.push(PendingAccount {
                id,
                login: get(&r, "login")?,
                display_name: get(&r, "display_name")?,
                role: Role::parse(&role)
                    .ok_or_else(|| StoreError::Config(format!("rôle inconnu en base : {role}")))?,
                territories,
                service_id: get(&r, "service_id")?,
                since: get(&r, "pending_since")?,
                by: get(&r, "pending_by")?,
                by_name,
                change: split(&get::<Option<String>>(&r, "pending_change")?.unwrap_or_default()),
            });
        }
        Ok(out)
    }

    /// Confirms a pending account: it may log in from now on. Refused (with a French
    /// message, and its own audit entry `utilisateur.confirmation_refusee`) when the
    /// confirmer is the account itself, asked for any of its pending changes, or has no
    /// role that confirms accounts. Returns `false` when the account was no longer pending
    /// (confirmed meanwhile by someone else: nothing written); [`StoreError::NotFound`] for
    /// an unknown or disabled account.
    pub async fn confirm_account(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
    ) -> Result<bool> {
        let txn = self.write().await?;
        let r = one(
            &txn,
            "SELECT pending_since, pending_by, pending_change FROM app_user WHERE id = $1 AND active = TRUE",
            vals![id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let Some(since) = get::<Option<DateTime<Utc>>>(&r, "pending_since")? else {
            return Ok(false);
        };
        let by: Option<i64> = get(&r, "pending_by")?;
        let change = get::<Option<String>>(&r, "pending_change")?.unwrap_or_default();
        if let Some((motif, message)) = refusal(&txn, actor, id, since, by).await? {
            txn.rollback().await?;
            self.audit(
                now,
                actor,
                Event::new("utilisateur.confirmation_refusee")
                    .on("app_user", id)
                    .detail(format!("motif={motif}")),
            )
            .await?;
            return Err(DomainError::Rule(message.into()).into());
        }
        exec(
            &txn,
            "UPDATE app_user SET pending_since = NULL, pending_by = NULL, pending_change = NULL, updated_at = $1 WHERE id = $2",
            vals![now, id],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.confirmation")
                .on("app_user", id)
                .detail(format!("champs={change}")),
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }
}

/// Why `actor` may not confirm account `id` (an audit motif and a French message), if so.
async fn refusal(
    c: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    since: DateTime<Utc>,
    by: Option<i64>,
) -> Result<Option<(&'static str, &'static str)>> {
    // The command line (the operator with server access) may confirm.
    let Some(me) = actor.user_id else {
        return Ok(None);
    };
    if me == id {
        return Ok(Some((
            "soi_meme",
            "Vous ne pouvez pas confirmer votre propre compte : un autre responsable CRIP doit le faire.",
        )));
    }
    let role = one(
        c,
        "SELECT role FROM app_user WHERE id = $1 AND active = TRUE",
        vals![me],
    )
    .await?
    .map(|r| get::<String>(&r, "role"))
    .transpose()?
    .and_then(|r| Role::parse(&r));
    if !role.is_some_and(|r| r.has(Permission::UsersConfirm)) {
        return Ok(Some((
            "permission",
            "Seul un responsable CRIP peut confirmer un compte.",
        )));
    }
    // The person who asked last, or any earlier request still waiting.
    let asked = by == Some(me)
        || one(
            c,
            "SELECT seq FROM audit_entry WHERE object_type = 'app_user' AND object_id = $1 AND user_id = $2
             AND action = $3 AND at >= $4 LIMIT 1",
            vals![id, me, REQUESTED, since],
        )
        .await?
        .is_some();
    if asked {
        return Ok(Some((
            "meme_personne",
            "Vous avez vous-même demandé ce changement : un autre responsable CRIP doit le confirmer.",
        )));
    }
    Ok(None)
}
