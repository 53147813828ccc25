//! What letters print besides the dossier: the letterhead (one row, with its logo), the
//! directory of external recipients (parquets, other départements' CRIPs, the 119), a service's
//! address and e-mail, a user's title, phone and e-mail (« Affaire suivie par »). Each change
//! is checked by the domain and audited; the letterhead and directory entries carry a version
//! so two administrators never silently overwrite each other.

use chrono::{DateTime, Utc};
use vigie_domain::letters::RecipientKind;
use vigie_domain::letters::merge::{Agent, Contact, Letterhead};
use vigie_domain::letters::validate::{LogoType, check_contact, check_letterhead, check_logo};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

/// The letterhead as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLetterhead {
    pub letterhead: Letterhead,
    pub logo: Option<(Vec<u8>, LogoType)>,
    pub version: i64,
}

/// An entry of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub id: i64,
    pub kind: RecipientKind,
    pub contact: Contact,
    pub active: bool,
    pub version: i64,
}

/// What the logo becomes on a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoChange {
    Keep,
    Remove,
    Replace(Vec<u8>),
}

fn stale() -> StoreError {
    StoreError::Stale(
        "modifié entre-temps par un autre administrateur : rechargez la page, vos saisies sont conservées ci-dessous."
            .into(),
    )
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Store {
    /// The letterhead.
    pub async fn letterhead(&self) -> Result<StoredLetterhead> {
        let r = one(&self.db, "SELECT * FROM letterhead WHERE id = 1", vec![])
            .await?
            .ok_or(StoreError::NotFound)?;
        let logo = match (
            get::<Option<Vec<u8>>>(&r, "logo")?,
            get::<Option<String>>(&r, "logo_type")?,
        ) {
            (Some(bytes), Some(t)) => LogoType::parse(&t).map(|t| (bytes, t)),
            _ => None,
        };
        Ok(StoredLetterhead {
            letterhead: Letterhead {
                departement: get(&r, "departement")?,
                service: get(&r, "service")?,
                address: get(&r, "address")?,
                city: get(&r, "city")?,
                phone: get(&r, "phone")?,
                email: get(&r, "email")?,
                signatory: get(&r, "signatory")?,
                signatory_title: get(&r, "signatory_title")?,
                delegation: get(&r, "delegation")?,
            },
            logo,
            version: get(&r, "version")?,
        })
    }

    /// Saves the letterhead read at `version` (audited `entete.modification`).
    pub async fn set_letterhead(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        version: i64,
        l: &Letterhead,
        logo: &LogoChange,
    ) -> Result<i64> {
        check_letterhead(l)?;
        let logo_type = match logo {
            LogoChange::Replace(bytes) => Some(check_logo(bytes)?),
            _ => None,
        };
        let txn = self.write().await?;
        let n = exec(
            &txn,
            "UPDATE letterhead SET departement = $1, service = $2, address = $3, city = $4, phone = $5, \
             email = $6, signatory = $7, signatory_title = $8, delegation = $9, version = version + 1, \
             updated_at = $10 WHERE id = 1 AND version = $11",
            vals![
                l.departement.trim(), l.service.trim(), l.address.trim(), l.city.trim(), l.phone.trim(),
                l.email.trim(), l.signatory.trim(), l.signatory_title.trim(), l.delegation.trim(), now, version
            ],
        )
        .await?;
        if n == 0 {
            return Err(stale());
        }
        match (logo, logo_type) {
            (LogoChange::Replace(bytes), Some(t)) => {
                exec(
                    &txn,
                    "UPDATE letterhead SET logo = $1, logo_type = $2 WHERE id = 1",
                    vals![bytes.clone(), t.media_type()],
                )
                .await?;
            }
            (LogoChange::Remove, _) => {
                exec(
                    &txn,
                    "UPDATE letterhead SET logo = NULL, logo_type = NULL WHERE id = 1",
                    vec![],
                )
                .await?;
            }
            _ => {}
        }
        let detail = match logo {
            LogoChange::Keep => "en-tête",
            LogoChange::Remove => "en-tête ; logo retiré",
            LogoChange::Replace(_) => "en-tête ; logo remplacé",
        };
        self.append(
            &txn,
            now,
            actor,
            Event::new("entete.modification").detail(detail),
        )
        .await?;
        txn.commit().await?;
        Ok(version + 1)
    }

    /// The directory, active entries first, by kind and order.
    pub async fn directory(&self, only_active: bool) -> Result<Vec<DirectoryEntry>> {
        let sql = if only_active {
            "SELECT * FROM directory_entry WHERE active = TRUE ORDER BY kind, sort_order, name, id"
        } else {
            "SELECT * FROM directory_entry ORDER BY active DESC, kind, sort_order, name, id"
        };
        let rows = all(&self.db, sql, vec![]).await?;
        rows.iter()
            .map(|r| {
                let kind: String = get(r, "kind")?;
                Ok(DirectoryEntry {
                    id: get(r, "id")?,
                    kind: RecipientKind::parse(&kind).ok_or_else(|| {
                        StoreError::Config(format!("type de destinataire inconnu : {kind}"))
                    })?,
                    contact: Contact {
                        name: get(r, "name")?,
                        organisation: get(r, "organisation")?,
                        address: get(r, "address")?,
                        email: get(r, "email")?,
                        phone: get(r, "phone")?,
                    },
                    active: get(r, "active")?,
                    version: get(r, "version")?,
                })
            })
            .collect()
    }

    /// Adds (`id` None) or updates an entry of the directory (audited `annuaire.modification`).
    pub async fn save_directory_entry(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: Option<(i64, i64)>,
        kind: RecipientKind,
        c: &Contact,
        active: bool,
    ) -> Result<i64> {
        if !kind.directory() {
            return Err(vigie_domain::DomainError::field(
                "kind",
                "Type",
                "parquet, CRIP d'un autre département ou 119 attendu.",
            )
            .into());
        }
        check_contact(c, true)?;
        let txn = self.write().await?;
        let values = vals![
            kind.code(),
            c.name.trim(),
            opt(&c.organisation),
            c.address.trim(),
            opt(&c.email),
            opt(&c.phone),
            active
        ];
        let id = match id {
            None => {
                let r = crate::sql::all(
                    &txn,
                    "INSERT INTO directory_entry (kind, name, organisation, address, email, phone, active) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    values,
                )
                .await?;
                get::<i64>(r.first().ok_or(StoreError::NotFound)?, "id")?
            }
            Some((id, version)) => {
                let mut v = values;
                v.extend(vals![id, version]);
                let n = exec(
                    &txn,
                    "UPDATE directory_entry SET kind = $1, name = $2, organisation = $3, address = $4, \
                     email = $5, phone = $6, active = $7, version = version + 1 WHERE id = $8 AND version = $9",
                    v,
                )
                .await?;
                if n == 0 {
                    return Err(stale());
                }
                id
            }
        };
        self.append(
            &txn,
            now,
            actor,
            Event::new("annuaire.modification").on("annuaire", id),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// A service's contact for letters (name from the service table).
    pub async fn service_contact(&self, service_id: i64) -> Result<Contact> {
        let r = one(
            &self.db,
            "SELECT s.label, c.address, c.email FROM service s \
             LEFT JOIN service_contact c ON c.service_id = s.id WHERE s.id = $1",
            vals![service_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Contact {
            name: get(&r, "label")?,
            organisation: None,
            address: get::<Option<String>>(&r, "address")?.unwrap_or_default(),
            email: get(&r, "email")?,
            phone: None,
        })
    }

    /// Sets a service's address and e-mail (audited `service.coordonnees`).
    pub async fn set_service_contact(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        service_id: i64,
        address: &str,
        email: Option<&str>,
    ) -> Result<()> {
        let c = Contact {
            address: address.to_owned(),
            email: email.map(str::to_owned),
            ..Contact::default()
        };
        check_contact(&c, false)?;
        let txn = self.write().await?;
        if one(
            &txn,
            "SELECT id FROM service WHERE id = $1",
            vals![service_id],
        )
        .await?
        .is_none()
        {
            return Err(StoreError::NotFound);
        }
        exec(
            &txn,
            "DELETE FROM service_contact WHERE service_id = $1",
            vals![service_id],
        )
        .await?;
        exec(
            &txn,
            "INSERT INTO service_contact (service_id, address, email) VALUES ($1, $2, $3)",
            vals![service_id, opt(&Some(c.address.clone())), opt(&c.email)],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("service.coordonnees").on("service", service_id),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }

    /// A user as letters print them (« Affaire suivie par »).
    pub async fn user_contact(&self, user_id: i64) -> Result<Agent> {
        let r = one(
            &self.db,
            "SELECT u.display_name, c.title, c.phone, c.email FROM app_user u \
             LEFT JOIN user_contact c ON c.user_id = u.id WHERE u.id = $1",
            vals![user_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Agent {
            name: get(&r, "display_name")?,
            title: get::<Option<String>>(&r, "title")?.unwrap_or_default(),
            phone: get::<Option<String>>(&r, "phone")?.unwrap_or_default(),
            email: get::<Option<String>>(&r, "email")?.unwrap_or_default(),
        })
    }

    /// Sets one's own title, phone and e-mail (« Mon compte »; audited `compte.coordonnees`).
    pub async fn set_user_contact(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        user_id: i64,
        title: &str,
        phone: &str,
        email: &str,
    ) -> Result<()> {
        let c = Contact {
            name: title.to_owned(),
            phone: Some(phone.to_owned()),
            email: Some(email.to_owned()),
            ..Contact::default()
        };
        check_contact(&c, false).map_err(|e| match e {
            vigie_domain::DomainError::Invalid(mut v) => {
                for f in &mut v {
                    if f.field == "name" {
                        f.field = "title".into();
                        f.label = "Fonction".into();
                    }
                }
                vigie_domain::DomainError::Invalid(v)
            }
            other => other,
        })?;
        let txn = self.write().await?;
        if one(
            &txn,
            "SELECT id FROM app_user WHERE id = $1",
            vals![user_id],
        )
        .await?
        .is_none()
        {
            return Err(StoreError::NotFound);
        }
        exec(
            &txn,
            "DELETE FROM user_contact WHERE user_id = $1",
            vals![user_id],
        )
        .await?;
        exec(
            &txn,
            "INSERT INTO user_contact (user_id, title, phone, email) VALUES ($1, $2, $3, $4)",
            vals![
                user_id,
                opt(&Some(title.to_owned())),
                opt(&Some(phone.to_owned())),
                opt(&Some(email.to_owned()))
            ],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("compte.coordonnees").on("utilisateur", user_id),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }
}
