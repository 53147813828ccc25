//! Users, the instance row (demo marker, keyed-hash secret), and login checks.
//! The administration screens' side: [`input`] (what the form sends, its checks, temporary
//! passwords) and [`admin`] (create, edit, activate, reset, end sessions).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use vigie_domain::error::Errors;
use vigie_domain::text::TextKind;
use vigie_domain::{DomainError, Role, two_person};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::password::fill_random;
use crate::sql::{Sql, all, all_sql, exec, get, one};
use crate::{Result, StoreError, vals};

mod admin;
mod input;
#[cfg(test)]
mod tests;

pub use input::*;

/// A user as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub service_id: Option<i64>,
    pub territories: Vec<i64>,
    pub active: bool,
    pub demo: bool,
    /// Must choose a new password at the next login (after a reset or a creation by an
    /// administrator).
    pub must_change_password: bool,
    /// Has a confirmed second factor (TOTP).
    pub totp_enabled: bool,
    /// Waits for a responsable CRIP's confirmation since then (see [`crate::pending`]).
    pub pending_since: Option<DateTime<Utc>>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    /// Argon2id PHC string (see [`crate::password::hash`]).
    pub password_hash: String,
    pub role: Role,
    pub territories: Vec<i64>,
    pub service_id: Option<i64>,
    pub demo: bool,
}

/// The instance: created once, with the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub demo: bool,
    pub departements: Vec<String>,
}

/// The outcome of a login attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    Success {
        user_id: i64,
    },
    /// Wrong login or password (not distinguished to the caller).
    Failure,
}

fn user_from(r: &sea_orm::QueryResult, territories: Vec<i64>) -> Result<User> {
    let role: String = get(r, "role")?;
    Ok(User {
        id: get(r, "id")?,
        login: get(r, "login")?,
        display_name: get(r, "display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Config(format!("rôle inconnu en base : {role}")))?,
        service_id: get(r, "service_id")?,
        territories,
        active: get(r, "active")?,
        demo: get(r, "demo")?,
        must_change_password: get(r, "must_change_password")?,
        totp_enabled: get::<Option<DateTime<Utc>>>(r, "totp_enabled_at")?.is_some(),
        pending_since: get(r, "pending_since")?,
    })
}

async fn user_id(c: &impl sea_orm::ConnectionTrait, login: &str) -> Result<i64> {
    let r = one(c, "SELECT id FROM app_user WHERE login = $1", vals![login])
        .await?
        .ok_or(StoreError::NotFound)?;
    get(&r, "id")
}

/// A login is 2 to 64 characters: lower-case letters, digits, dot, hyphen, underscore.
pub fn check_login(login: &str) -> Result<(), DomainError> {
    let ok = (2..=64).contains(&login.len())
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(DomainError::field(
            "login",
            "Identifiant",
            "2 à 64 caractères : lettres minuscules sans accent, chiffres, point, tiret, tiret bas.",
        ))
    }
}

/// Checks a user's display name: required, one line, 200 characters at most, no control
/// character (the domain's rule and messages).
pub fn check_display_name(name: &str) -> Result<(), DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::field(
            "display_name",
            "Nom affiché",
            "obligatoire.",
        ));
    }
    vigie_domain::text::validate("display_name", "Nom affiché", TextKind::Short, name)
}

impl Store {
    /// Creates the instance row on a new database; on an existing one, checks the demo marker agrees.
    pub async fn init_instance(
        &self,
        now: DateTime<Utc>,
        demo: bool,
        departements: &[String],
    ) -> Result<Instance> {
        if let Some(i) = self.instance().await? {
            return Ok(i);
        }
        let mut key = [0u8; 32];
        fill_random(&mut key);
        let txn = self.write().await?;
        // With its ring, a new database is keyed from its first entry.
        if let Some(ring) = self.keys.ring() {
            let head = crate::audit::lock_head(&txn).await?;
            if head.key_id.is_none() {
                self.start_segment(&txn, now, &Actor::system(), &ring, head.seq + 1)
                    .await?;
            }
        }
        exec(
            &txn,
            "INSERT INTO instance (id, demo, departements, secret_key, created_at) VALUES (1, $1, $2, $3, $4)",
            vals![
                demo,
                departements.join(","),
                self.seal_secret("instance.secret_key", "1", &hex::encode(key)),
                now
            ],
        )
        .await?;
        self.append(
            &txn,
            now,
            &Actor::system(),
            Event::new(if demo {
                "instance.creation_demo"
            } else {
                "instance.creation"
            }),
        )
        .await?;
        txn.commit().await?;
        Ok(Instance {
            demo,
            departements: departements.to_vec(),
        })
    }

    /// The instance, when created.
    pub async fn instance(&self) -> Result<Option<Instance>> {
        let r = one(
            &self.db,
            "SELECT demo, departements FROM instance WHERE id = 1",
            vec![],
        )
        .await?;
        r.map(|r| {
            let deps: String = get(&r, "departements")?;
            Ok(Instance {
                demo: get(&r, "demo")?,
                departements: deps
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .transpose()
    }

    pub(crate) async fn secret_key(&self) -> Result<Vec<u8>> {
        let r = one(
            &self.db,
            "SELECT secret_key FROM instance WHERE id = 1",
            vec![],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let stored: String = get(&r, "secret_key")?;
        let k = self.open_secret("instance.secret_key", "1", &stored)?;
        hex::decode(k).map_err(|_| StoreError::Config("clé d'instance illisible".into()))
    }

    /// A keyed hash (HMAC-SHA-256 with the instance key) of a typed login that does not
    /// exist: users sometimes type their password there, so it is never stored in clear.
    pub async fn keyed_hash(&self, text: &str) -> Result<String> {
        let key = self.secret_key().await?;
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(text.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Creates a user.
    pub async fn add_user(&self, now: DateTime<Utc>, actor: &Actor, u: &NewUser) -> Result<i64> {
        check_login(&u.login)?;
        check_display_name(&u.display_name)?;
        if u.role == Role::EvaluateurTerritorial
            && u.territories.is_empty()
            && u.service_id.is_none()
        {
            return Err(DomainError::field(
                "territories",
                "Territoires",
                "un évaluateur territorial a au moins un territoire ou un service.",
            )
            .into());
        }
        let txn = self.write().await?;
        for t in &u.territories {
            if one(&txn, "SELECT id FROM territory WHERE id = $1", vals![*t])
                .await?
                .is_none()
            {
                return Err(DomainError::field(
                    "territories",
                    "Territoires",
                    format!("le territoire {t} n'existe pas."),
                )
                .into());
            }
        }
        if let Some(s) = u.service_id
            && one(&txn, "SELECT id FROM service WHERE id = $1", vals![s])
                .await?
                .is_none()
        {
            return Err(DomainError::field(
                "service",
                "Service",
                format!("le service {s} n'existe pas."),
            )
            .into());
        }
        let r = one(
            &txn,
            "INSERT INTO app_user (login, display_name, password_hash, role, service_id, active, must_change_password, demo, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, FALSE, $6, $7, $7) RETURNING id",
            vals![u.login.clone(), u.display_name.trim(), u.password_hash.clone(), u.role.code(), u.service_id, u.demo, now],
        )
        .await;
        let id: i64 = match r {
            Ok(Some(r)) => get(&r, "id")?,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if e.is_unique_violation() => {
                return Err(StoreError::Duplicate(
                    "login",
                    format!("l'identifiant « {} » est déjà pris.", u.login),
                ));
            }
            Err(e) => return Err(e),
        };
        for t in &u.territories {
            exec(
                &txn,
                "INSERT INTO user_territory (user_id, territory_id) VALUES ($1, $2)",
                vals![id, *t],
            )
            .await?;
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.creation")
                .on("app_user", id)
                .detail(format!("role={}", u.role.code())),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Every user, by login.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = all(
            &self.db,
            "SELECT id, login, display_name, role, service_id, active, demo, must_change_password, totp_enabled_at, pending_since
             FROM app_user ORDER BY login",
            vec![],
        )
        .await?;
        let links = all(
            &self.db,
            "SELECT user_id, territory_id FROM user_territory ORDER BY territory_id",
            vec![],
        )
        .await?;
        let mut users = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = get(&r, "id")?;
            let territories = links
                .iter()
                .filter(|l| get::<i64>(l, "user_id").ok() == Some(id))
                .map(|l| get::<i64>(l, "territory_id"))
                .collect::<Result<Vec<_>>>()?;
            users.push(user_from(&r, territories)?);
        }
        Ok(users)
    }

    /// Disables a user (by login, for the command line) and ends all their sessions at once.
    pub async fn disable_user(&self, now: DateTime<Utc>, actor: &Actor, login: &str) -> Result<()> {
        check_login(login)?;
        let id = user_id(&self.db, login).await?;
        self.set_user_active(now, actor, id, false).await?;
        Ok(())
    }

    /// Sets a new password hash (the caller checks the password's quality).
    pub async fn set_password(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        login: &str,
        password_hash: &str,
    ) -> Result<()> {
        check_login(login)?;
        let txn = self.write().await?;
        let id = user_id(&txn, login).await?;
        exec(
            &txn,
            "UPDATE app_user SET password_hash = $1, updated_at = $2, version = version + 1 WHERE id = $3",
            vals![password_hash, now, id],
        )
        .await?;
        exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1",
            vals![id],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.mot_de_passe").on("app_user", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The stored hash of an active user (for the login check, done outside any transaction).
    pub async fn login_hash(&self, login: &str) -> Result<Option<(i64, String)>> {
        crate::text_in(
            "login",
            "Identifiant",
            vigie_domain::text::TextKind::Short,
            login,
        )?;
        let r = one(
            &self.db,
            "SELECT id, password_hash FROM app_user WHERE login = $1 AND active = TRUE",
            vals![login],
        )
        .await?;
        r.map(|r| Ok((get(&r, "id")?, get(&r, "password_hash")?)))
            .transpose()
    }

    /// Records a failed login: the user id when the login exists, a keyed hash of the typed text otherwise.
    pub async fn record_login_failure(
        &self,
        now: DateTime<Utc>,
        typed_login: &str,
        user_id: Option<i64>,
        ip: Option<String>,
    ) -> Result<()> {
        let ev = match user_id {
            Some(id) => Event::new("connexion.echec").on("app_user", id),
            None => Event::new("connexion.echec").detail(format!(
                "identifiant_hmac={}",
                self.keyed_hash(typed_login).await?
            )),
        };
        self.audit(now, &Actor { user_id, ip }, ev).await?;
        Ok(())
    }

    /// Counts per table, for `vigie check`.
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for t in [
            "app_user",
            "territory",
            "service",
            "param_value",
            "commune",
            "person",
            "dossier",
            "dossier_child",
            "adult",
            "assignment",
            "audit_entry",
        ] {
            let q = Sql::new(&format!("SELECT COUNT(*) AS n FROM {t}"));
            let rows = all_sql(&self.db, &q).await?;
            out.push((
                t,
                rows.first()
                    .map(|r| get::<i64>(r, "n"))
                    .transpose()?
                    .unwrap_or(0),
            ));
        }
        Ok(out)
    }
}
