//! What the user administration form sends, the user's state it is checked against, the
//! checks themselves, and temporary passwords.

use super::*;

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
pub(super) const TEMP_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

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
pub(super) struct Current {
    pub(super) display_name: String,
    pub(super) role: Role,
    pub(super) territories: Vec<i64>,
    pub(super) service_id: Option<i64>,
    pub(super) version: i64,
    pub(super) active: bool,
}

pub(super) async fn current(c: &impl sea_orm::ConnectionTrait, id: i64) -> Result<Current> {
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
pub(super) struct Checked {
    pub(super) display_name: String,
    pub(super) role: Role,
    pub(super) territories: Vec<i64>,
    pub(super) service_id: Option<i64>,
}

impl Checked {
    pub(super) fn reach(&self) -> two_person::Reach<'_> {
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
pub(super) async fn check_input(
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
pub(super) fn refused_fields(e: &StoreError) -> String {
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
