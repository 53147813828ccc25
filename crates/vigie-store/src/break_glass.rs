//! Accès exceptionnel (break-glass): a user with a territorial dossier role opens one
//! dossier outside their scope, for a limited time, after typing a reason. The grant is
//! stored (with the reason) in `break_glass`, audited (`dossier.acces_exceptionnel`, with
//! the grant's id, never the reason), and listed for the responsable CRIP.
//!
//! The web layer widens the caller's [`vigie_domain::Scope`] per request with
//! [`Store::active_break_glass`] ([`vigie_domain::Scope::with_grants`]): every dossier query
//! then honours the grant in SQL, and an expired grant is simply no longer there.

use chrono::{DateTime, Duration, Utc};
use vigie_domain::role::DossierReach;
use vigie_domain::{DomainError, Role};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, get, one};
use crate::{Result, StoreError, vals};

/// The setting holding the duration of a grant, in hours.
pub const HOURS_SETTING: &str = "acces_exceptionnel_heures";
/// The duration of a grant when the setting is absent or unreadable.
pub const DEFAULT_HOURS: i64 = 24;
/// The longest duration the setting may give (a week).
pub const MAX_HOURS: i64 = 24 * 7;
/// The reason's length, in characters.
pub const REASON_MIN: usize = 10;
pub const REASON_MAX: usize = 2000;

/// A grant as created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: i64,
    pub dossier_id: i64,
    pub expires_at: DateTime<Utc>,
}

/// A grant as listed for the responsable CRIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    pub id: i64,
    pub user_id: i64,
    pub user_login: String,
    pub user_name: String,
    pub dossier_id: i64,
    pub dossier_number: String,
    pub reason: String,
    pub granted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Checks the reason typed for an accès exceptionnel; returns it trimmed.
pub fn check_reason(reason: &str) -> Result<String, DomainError> {
    let r = reason.trim();
    vigie_domain::text::validate(
        "reason",
        "Motif de l'accès exceptionnel",
        vigie_domain::text::TextKind::Comment,
        r,
    )?;
    let n = r.chars().count();
    if (REASON_MIN..=REASON_MAX).contains(&n) {
        Ok(r.to_owned())
    } else {
        Err(DomainError::field(
            "reason",
            "Motif de l'accès exceptionnel",
            format!(
                "obligatoire : de {REASON_MIN} à {REASON_MAX} caractères ({n} saisi{}). Expliquez pourquoi vous devez consulter ce dossier.",
                if n > 1 { "s" } else { "" }
            ),
        ))
    }
}

impl Store {
    /// The duration of a grant, in hours (setting `acces_exceptionnel_heures`, 24 by default,
    /// from 1 hour to a week).
    pub async fn break_glass_hours(&self) -> Result<i64> {
        let r = one(
            &self.db,
            "SELECT value FROM setting WHERE key = $1",
            vals![HOURS_SETTING],
        )
        .await?;
        Ok(r.map(|r| get::<String>(&r, "value"))
            .transpose()?
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|h| (1..=MAX_HOURS).contains(h))
            .unwrap_or(DEFAULT_HOURS))
    }

    /// Grants the acting user an accès exceptionnel to one dossier, for
    /// [`Store::break_glass_hours`]. The reason is checked first, so that nothing about the
    /// dossier (not even whether it exists) is revealed before a reason is typed. Only an
    /// active user whose role reaches dossiers by territory may get one: a role without
    /// dossier access is refused (and the refusal audited), a role that reaches every
    /// dossier needs none. A dossier that does not exist answers [`StoreError::NotFound`].
    pub async fn grant_break_glass(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        dossier_id: i64,
        reason: &str,
    ) -> Result<Grant> {
        let reason = check_reason(reason)?;
        let user_id = actor.user_id.ok_or_else(|| {
            DomainError::Rule("Un accès exceptionnel est accordé à un utilisateur connecté.".into())
        })?;
        let hours = self.break_glass_hours().await?;
        let role = one(
            &self.db,
            "SELECT role FROM app_user WHERE id = $1 AND active = TRUE",
            vals![user_id],
        )
        .await?
        .map(|r| get::<String>(&r, "role"))
        .transpose()?
        .and_then(|r| Role::parse(&r));
        let reach = role.map(Role::reach);
        if reach != Some(DossierReach::Territorial) {
            if reach == Some(DossierReach::All) {
                return Err(DomainError::Rule(
                    "Votre rôle donne déjà accès à tous les dossiers : aucun accès exceptionnel n'est nécessaire.".into(),
                )
                .into());
            }
            self.audit(
                now,
                actor,
                Event::new("dossier.acces_exceptionnel_refuse")
                    .on("dossier", dossier_id)
                    .detail("motif_refus=role"),
            )
            .await?;
            return Err(DomainError::Rule(
                "Votre rôle ne donne accès à aucun dossier : un accès exceptionnel ne peut pas vous être accordé.".into(),
            )
            .into());
        }
        let txn = self.write().await?;
        if one(
            &txn,
            "SELECT id FROM dossier WHERE id = $1",
            vals![dossier_id],
        )
        .await?
        .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let expires_at = now + Duration::hours(hours);
        let r = one(
            &txn,
            "INSERT INTO break_glass (user_id, dossier_id, reason, granted_at, expires_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vals![user_id, dossier_id, reason, now, expires_at],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let id: i64 = get(&r, "id")?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.acces_exceptionnel")
                .on("dossier", dossier_id)
                .detail(format!("acces={id} heures={hours}")),
        )
        .await?;
        txn.commit().await?;
        Ok(Grant {
            id,
            dossier_id,
            expires_at,
        })
    }

    /// The dossiers a user holds an unexpired accès exceptionnel to, at `now`.
    pub async fn active_break_glass(&self, user_id: i64, now: DateTime<Utc>) -> Result<Vec<i64>> {
        let rows = all(
            &self.db,
            "SELECT DISTINCT dossier_id FROM break_glass WHERE user_id = $1 AND expires_at > $2 ORDER BY dossier_id",
            vals![user_id, now],
        )
        .await?;
        rows.iter().map(|r| get(r, "dossier_id")).collect()
    }

    /// The grants made in `[from, to)`, newest first, for the responsable CRIP: who, which
    /// dossier, when, until when, and the reason typed.
    pub async fn list_break_glass(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<GrantRecord>> {
        let rows = all(
            &self.db,
            "SELECT b.id, b.user_id, u.login, u.display_name, b.dossier_id, d.number, b.reason, b.granted_at, b.expires_at
             FROM break_glass b JOIN app_user u ON u.id = b.user_id JOIN dossier d ON d.id = b.dossier_id
             WHERE b.granted_at >= $1 AND b.granted_at < $2
             ORDER BY b.granted_at DESC, b.id DESC",
            vals![from, to],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GrantRecord {
                    id: get(r, "id")?,
                    user_id: get(r, "user_id")?,
                    user_login: get(r, "login")?,
                    user_name: get(r, "display_name")?,
                    dossier_id: get(r, "dossier_id")?,
                    dossier_number: get(r, "number")?,
                    reason: get(r, "reason")?,
                    granted_at: get(r, "granted_at")?,
                    expires_at: get(r, "expires_at")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert!(check_reason("").is_err());
        assert!(check_reason("   court   ").is_err());
        assert_eq!(
            check_reason("  Appel du juge des enfants  ").unwrap(),
            "Appel du juge des enfants"
        );
        assert!(check_reason(&"é".repeat(REASON_MAX)).is_ok());
        assert!(check_reason(&"é".repeat(REASON_MAX + 1)).is_err());
        let e = check_reason("x").unwrap_err();
        assert_eq!(e.fields()[0].field, "reason");
        assert!(e.to_string().contains("Motif"), "{e}");
    }
}
