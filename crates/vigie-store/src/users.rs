//! Users, the instance row (demo marker, keyed-hash secret), and login checks.

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

/// A user's role and reach as typed in the administration form: the role as its code,
/// checked here like the territory and service ids (a form field can be forged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserInput {
    pub display_name: String,
    pub role: String,
    pub territories: Vec<i64>,
    pub service_id: Option<i64>,
}

/// One user, for the administration page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDetail {
    pub user: User,
    /// Optimistic lock: the version the edit form sends back.
    pub version: i64,
    /// The last successful login (from the audit trail).
    pub last_login: Option<DateTime<Utc>>,
    /// Sessions not yet expired.
    pub active_sessions: i64,
}

/// The characters of a temporary password: lower-case letters and digits that cannot be
/// mistaken for one another when read aloud or copied (no 0/o, 1/l/i).
const TEMP_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A temporary password, given once to an administrator for a new or reset account:
/// four groups of five characters (about 99 bits). The user must change it at next login.
pub fn temporary_password() -> String {
    let n = TEMP_ALPHABET.len();
    // Rejection sampling: only bytes below the largest multiple of `n` (no modulo bias).
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(23);
    let mut count = 0;
    while count < 20 {
        let mut buf = [0u8; 32];
        fill_random(&mut buf);
        for b in buf {
            if count == 20 {
                break;
            }
            if usize::from(b) < limit {
                if count > 0 && count % 5 == 0 {
                    out.push('-');
                }
                out.push(char::from(TEMP_ALPHABET[usize::from(b) % n]));
                count += 1;
            }
        }
    }
    out
}

/// The current role and reach of a user, inside a transaction.
struct Current {
    display_name: String,
    role: Role,
    territories: Vec<i64>,
    service_id: Option<i64>,
    version: i64,
    active: bool,
}

async fn current(c: &impl sea_orm::ConnectionTrait, id: i64) -> Result<Current> {
    let r = one(
        c,
        "SELECT display_name, role, service_id, version, active FROM app_user WHERE id = $1",
        vals![id],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    let role: String = get(&r, "role")?;
    let territories = all(
        c,
        "SELECT territory_id FROM user_territory WHERE user_id = $1 ORDER BY territory_id",
        vals![id],
    )
    .await?
    .iter()
    .map(|t| get(t, "territory_id"))
    .collect::<Result<Vec<i64>>>()?;
    Ok(Current {
        display_name: get(&r, "display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Config(format!("rôle inconnu en base : {role}")))?,
        territories,
        service_id: get(&r, "service_id")?,
        version: get(&r, "version")?,
        active: get(&r, "active")?,
    })
}

/// A checked [`UserInput`].
struct Checked {
    display_name: String,
    role: Role,
    territories: Vec<i64>,
    service_id: Option<i64>,
}

impl Checked {
    fn reach(&self) -> two_person::Reach<'_> {
        two_person::Reach {
            role: self.role,
            territories: &self.territories,
            service_id: self.service_id,
        }
    }
}

/// Checks a user's name, role, territories and service; every refused field at once.
/// A territory or service the user already has stays acceptable when it was deactivated
/// since (a deactivated value stays where it is used); a new one must exist and be active.
async fn check_input(
    c: &impl sea_orm::ConnectionTrait,
    input: &UserInput,
    kept: Option<&Current>,
) -> Result<Checked> {
    let mut errors = Errors::default();
    let display_name = input.display_name.trim().to_owned();
    if let Err(e) = check_display_name(&display_name) {
        for f in e.fields() {
            errors.push(f.field.clone(), f.label.clone(), f.message.clone());
        }
    }
    let role = Role::parse(input.role.trim());
    if role.is_none() {
        errors.push(
            "role",
            "Rôle",
            "ce rôle n'existe pas : choisissez un des rôles proposés.",
        );
    }
    let mut territories = input.territories.clone();
    territories.sort_unstable();
    territories.dedup();
    for t in &territories {
        if kept.is_some_and(|k| k.territories.contains(t)) {
            continue;
        }
        let r = one(
            c,
            "SELECT label, active FROM territory WHERE id = $1",
            vals![*t],
        )
        .await?;
        match r {
            None => errors.push(
                "territories",
                "Territoires",
                format!("le territoire n° {t} n'existe pas."),
            ),
            Some(r) if !get::<bool>(&r, "active")? => errors.push(
                "territories",
                "Territoires",
                format!(
                    "le territoire « {} » est désactivé : il ne peut plus être attribué.",
                    get::<String>(&r, "label")?
                ),
            ),
            Some(_) => {}
        }
    }
    if let Some(s) = input.service_id
        && kept.is_none_or(|k| k.service_id != Some(s))
    {
        match one(
            c,
            "SELECT label, active FROM service WHERE id = $1",
            vals![s],
        )
        .await?
        {
            None => errors.push(
                "service",
                "Service",
                format!("le service n° {s} n'existe pas."),
            ),
            Some(r) if !get::<bool>(&r, "active")? => errors.push(
                "service",
                "Service",
                format!(
                    "le service « {} » est désactivé : il ne peut plus être attribué.",
                    get::<String>(&r, "label")?
                ),
            ),
            Some(_) => {}
        }
    }
    if role == Some(Role::EvaluateurTerritorial)
        && territories.is_empty()
        && input.service_id.is_none()
    {
        errors.push(
            "territories",
            "Territoires",
            "un évaluateur territorial a au moins un territoire ou un service.",
        );
    }
    errors.into_result()?;
    Ok(Checked {
        display_name,
        role: role.ok_or(StoreError::NotFound)?,
        territories,
        service_id: input.service_id,
    })
}

/// The field names of a refusal, for its audit entry (never the values typed).
fn refused_fields(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(d) if !d.fields().is_empty() => {
            let mut f: Vec<&str> = d.fields().iter().map(|f| f.field.as_str()).collect();
            f.dedup();
            format!("champs={}", f.join(","))
        }
        StoreError::Invalid(_) => "regle".into(),
        StoreError::Duplicate(field, _) => format!("champs={field}"),
        _ => "autre".into(),
    }
}

impl Store {
    /// Records a refused administration attempt in its own transaction (the attempt's own
    /// transaction was rolled back: nothing of it is written), then returns the refusal.
    async fn refuse(
        &self,
        txn: sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        action: &str,
        user: Option<i64>,
        err: StoreError,
    ) -> StoreError {
        if let Err(e) = txn.rollback().await {
            return e.into();
        }
        let mut ev = Event::new(action).detail(refused_fields(&err));
        if let Some(id) = user {
            ev = ev.on("app_user", id);
        }
        match self.audit(now, actor, ev).await {
            Ok(_) => err,
            Err(e) => e,
        }
    }

    /// One user with their territories, service, second factor, last login and open sessions.
    pub async fn user_detail(&self, now: DateTime<Utc>, id: i64) -> Result<UserDetail> {
        let r = one(
            &self.db,
            "SELECT id, login, display_name, role, service_id, active, demo, must_change_password, totp_enabled_at, version, pending_since
             FROM app_user WHERE id = $1",
            vals![id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let territories = all(
            &self.db,
            "SELECT territory_id FROM user_territory WHERE user_id = $1 ORDER BY territory_id",
            vals![id],
        )
        .await?
        .iter()
        .map(|t| get(t, "territory_id"))
        .collect::<Result<Vec<i64>>>()?;
        let user = user_from(&r, territories)?;
        // The user's entries, newest first, through the (user_id, seq) index.
        let last_login = one(
            &self.db,
            "SELECT at FROM audit_entry WHERE user_id = $1 AND action = 'connexion' ORDER BY seq DESC LIMIT 1",
            vals![id],
        )
        .await?
        .map(|r| get::<DateTime<Utc>>(&r, "at"))
        .transpose()?;
        let active_sessions = one(
            &self.db,
            "SELECT COUNT(*) AS n FROM web_session WHERE user_id = $1 AND expires_at > $2",
            vals![id, now],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        Ok(UserDetail {
            user,
            version: get(&r, "version")?,
            last_login,
            active_sessions,
        })
    }

    /// Creates a user from the administration page, with a temporary password (its hash:
    /// see [`temporary_password`]) to change at the first login. A refusal (a login taken,
    /// an unknown role, a territory or service that does not exist or is deactivated…)
    /// writes nothing but its own audit entry, `utilisateur.creation_refusee`, with the
    /// refused field names.
    pub async fn create_user(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        login: &str,
        input: &UserInput,
        password_hash: &str,
    ) -> Result<i64> {
        const REFUSED: &str = "utilisateur.creation_refusee";
        let txn = self.write().await?;
        let checked = match check_login(login).map_err(StoreError::from) {
            Ok(()) => check_input(&txn, input, None).await,
            Err(e) => Err(e),
        };
        let c = match checked {
            Ok(c) => c,
            Err(e) => return Err(self.refuse(txn, now, actor, REFUSED, None, e).await),
        };
        let r = one(
            &txn,
            "INSERT INTO app_user (login, display_name, password_hash, role, service_id, active, must_change_password, demo, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, TRUE, FALSE, $6, $6) RETURNING id",
            vals![login, c.display_name.clone(), password_hash, c.role.code(), c.service_id, now],
        )
        .await;
        let id: i64 = match r {
            Ok(Some(r)) => get(&r, "id")?,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if e.is_unique_violation() => {
                let e = StoreError::Duplicate(
                    "login",
                    format!("l'identifiant « {login} » est déjà pris."),
                );
                return Err(self.refuse(txn, now, actor, REFUSED, None, e).await);
            }
            Err(e) => return Err(e),
        };
        for t in &c.territories {
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
                .detail(format!("role={}", c.role.code())),
        )
        .await?;
        let asked = two_person::to_confirm(None, c.reach());
        if !asked.is_empty() {
            crate::pending::request(&txn, &self.keys, now, actor, id, &asked).await?;
        }
        txn.commit().await?;
        Ok(id)
    }

    /// Changes a user's name, role, territories and service, if `version` is still the
    /// stored one ([`StoreError::Stale`] otherwise). Returns the names of the fields
    /// changed (none: nothing written). A refusal writes nothing but its own audit entry,
    /// `utilisateur.modification_refusee`. An administrator cannot take away their own role.
    /// The change applies from the user's next request (sessions read the role afresh); a
    /// change that grants a role, a territory or a service to an account that reads dossiers
    /// leaves it pending (see [`crate::pending`]): its sessions are closed.
    pub async fn update_user(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        version: i64,
        input: &UserInput,
    ) -> Result<Vec<&'static str>> {
        const REFUSED: &str = "utilisateur.modification_refusee";
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        let c = match check_input(&txn, input, Some(&cur)).await {
            Ok(c) => c,
            Err(e) => return Err(self.refuse(txn, now, actor, REFUSED, Some(id), e).await),
        };
        if actor.user_id == Some(id) && cur.role == Role::Administrateur && c.role != cur.role {
            let e = DomainError::field(
                "role",
                "Rôle",
                "vous ne pouvez pas retirer votre propre rôle d'administrateur : un autre administrateur doit le faire.",
            )
            .into();
            return Err(self.refuse(txn, now, actor, REFUSED, Some(id), e).await);
        }
        if cur.version != version {
            return Err(StoreError::Stale(
                "Ce compte a été modifié entre-temps par un autre administrateur : rien n'a été enregistré. Rechargez la page et reportez vos modifications.".into(),
            ));
        }
        let mut changed = Vec::new();
        if c.display_name != cur.display_name {
            changed.push("display_name");
        }
        if c.role != cur.role {
            changed.push("role");
        }
        if c.territories != cur.territories {
            changed.push("territories");
        }
        if c.service_id != cur.service_id {
            changed.push("service");
        }
        if changed.is_empty() {
            return Ok(changed);
        }
        let n = exec(
            &txn,
            "UPDATE app_user SET display_name = $1, role = $2, service_id = $3, updated_at = $4, version = version + 1
             WHERE id = $5 AND version = $6",
            vals![c.display_name.clone(), c.role.code(), c.service_id, now, id, version],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::Stale(
                "Ce compte a été modifié entre-temps par un autre administrateur : rien n'a été enregistré. Rechargez la page et reportez vos modifications.".into(),
            ));
        }
        if changed.contains(&"territories") {
            exec(
                &txn,
                "DELETE FROM user_territory WHERE user_id = $1",
                vals![id],
            )
            .await?;
            for t in &c.territories {
                exec(
                    &txn,
                    "INSERT INTO user_territory (user_id, territory_id) VALUES ($1, $2)",
                    vals![id, *t],
                )
                .await?;
            }
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.modification")
                .on("app_user", id)
                .detail(format!("champs={}", changed.join(","))),
        )
        .await?;
        let before = two_person::Reach {
            role: cur.role,
            territories: &cur.territories,
            service_id: cur.service_id,
        };
        let asked = two_person::to_confirm(Some(before), c.reach());
        if !asked.is_empty() {
            crate::pending::request(&txn, &self.keys, now, actor, id, &asked).await?;
        }
        txn.commit().await?;
        Ok(changed)
    }

    /// Disables (ending all their sessions in the same transaction) or re-enables a user.
    /// An administrator cannot disable their own account. Returns whether anything changed.
    pub async fn set_user_active(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        active: bool,
    ) -> Result<bool> {
        if !active && actor.user_id == Some(id) {
            return Err(DomainError::Rule(
                "Vous ne pouvez pas désactiver votre propre compte : un autre administrateur doit le faire.".into(),
            )
            .into());
        }
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        if cur.active == active {
            return Ok(false);
        }
        exec(
            &txn,
            "UPDATE app_user SET active = $1, updated_at = $2, version = version + 1 WHERE id = $3",
            vals![active, now, id],
        )
        .await?;
        let action = if active {
            crate::pending::request_if_reads_dossiers(
                &txn,
                &self.keys,
                now,
                actor,
                id,
                cur.role,
                two_person::REACTIVATION,
            )
            .await?;
            "utilisateur.reactivation"
        } else {
            exec(
                &txn,
                "DELETE FROM web_session WHERE user_id = $1",
                vals![id],
            )
            .await?;
            "utilisateur.desactivation"
        };
        self.append(&txn, now, actor, Event::new(action).on("app_user", id))
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Resets a user's password to a temporary one (its hash: see [`temporary_password`]),
    /// to change at the next login; all their sessions end.
    pub async fn reset_password(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        password_hash: &str,
    ) -> Result<()> {
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        crate::pending::request_if_reads_dossiers(
            &txn,
            &self.keys,
            now,
            actor,
            id,
            cur.role,
            two_person::RESET_PASSWORD,
        )
        .await?;
        exec(
            &txn,
            "UPDATE app_user SET password_hash = $1, must_change_password = TRUE, updated_at = $2, version = version + 1 WHERE id = $3",
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
            Event::new("utilisateur.mot_de_passe_reinitialise").on("app_user", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Removes a user's second factor (secret, recovery codes) and ends their sessions:
    /// they enrol again at the next login.
    pub async fn reset_second_factor(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        crate::pending::request_if_reads_dossiers(
            &txn,
            &self.keys,
            now,
            actor,
            id,
            cur.role,
            two_person::RESET_SECOND_FACTOR,
        )
        .await?;
        exec(
            &txn,
            "UPDATE app_user SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $1, version = version + 1 WHERE id = $2",
            vals![now, id],
        )
        .await?;
        exec(
            &txn,
            "DELETE FROM recovery_code WHERE user_id = $1",
            vals![id],
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
            Event::new("utilisateur.second_facteur_reinitialise").on("app_user", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Ends every session of a user at once; returns how many there were.
    pub async fn end_user_sessions(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
    ) -> Result<u64> {
        let txn = self.write().await?;
        current(&txn, id).await?;
        let n = exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1",
            vals![id],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.sessions_fermees")
                .on("app_user", id)
                .detail(format!("sessions={n}")),
        )
        .await?;
        txn.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_random_readable_and_long() {
        let a = temporary_password();
        assert_eq!(a.len(), 23, "{a}");
        assert_eq!(a.split('-').count(), 4);
        assert!(a.bytes().all(|b| b == b'-' || TEMP_ALPHABET.contains(&b)));
        assert_ne!(a, temporary_password());
        // The administration's temporary passwords pass the same rule as chosen ones.
        let ctx = vigie_domain::password::Context {
            // `_` is not in the temporary passwords' alphabet: never contained by chance.
            login: "x_y".into(),
            display_name: "Z Z".into(),
            local_words: vec!["Cher".into(), "Bourges".into(), "18000".into()],
            year: 2026,
        };
        assert!(vigie_domain::password::check("p", &a, &ctx).is_ok());
    }

    #[test]
    fn logins() {
        for ok in ["agent", "m.dupont", "a_b-c.2"] {
            assert!(check_login(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "Agent", "élodie", "a b", &"a".repeat(65)] {
            assert!(check_login(bad).is_err(), "{bad}");
        }
    }
}
