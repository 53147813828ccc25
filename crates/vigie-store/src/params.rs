//! Parameter tables (every drop-down), territories and services.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use vigie_domain::param::{self, Meaning, ParamKind};
use vigie_domain::text::TextKind;

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

pub use vigie_domain::catalog::{Catalog, ParamValue, Service, Territory};

/// Seeds the default values (migration step).
pub(crate) async fn seed_defaults(txn: &DatabaseTransaction) -> Result<()> {
    let mut order: std::collections::HashMap<ParamKind, i64> = std::collections::HashMap::new();
    for d in param::defaults() {
        let o = order.entry(d.kind).or_insert(0);
        *o += 10;
        exec(
            txn,
            "INSERT INTO param_value (kind, code, label, sort_order, active, meaning) VALUES ($1, $2, $3, $4, TRUE, $5)",
            vals![d.kind.code(), d.code, d.label, *o, d.meaning.map(|m| m.code())],
        )
        .await?;
    }
    Ok(())
}

fn param_from(r: &sea_orm::QueryResult) -> Result<ParamValue> {
    let kind: String = get(r, "kind")?;
    let meaning: Option<String> = get(r, "meaning")?;
    Ok(ParamValue {
        id: get(r, "id")?,
        kind: ParamKind::parse(&kind)
            .ok_or_else(|| StoreError::Config(format!("table de paramètres inconnue : {kind}")))?,
        code: get(r, "code")?,
        label: get(r, "label")?,
        sort_order: get(r, "sort_order")?,
        active: get(r, "active")?,
        national_code: get(r, "national_code")?,
        meaning: meaning.as_deref().and_then(Meaning::parse),
    })
}

pub(crate) async fn load_catalog(c: &impl ConnectionTrait) -> Result<Catalog> {
    let params = all(c, "SELECT id, kind, code, label, sort_order, active, national_code, meaning FROM param_value ORDER BY kind, sort_order, id", vec![])
        .await?
        .iter()
        .map(param_from)
        .collect::<Result<Vec<_>>>()?;
    let territories = all(
        c,
        "SELECT id, code, label, active FROM territory ORDER BY sort_order, label",
        vec![],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Territory {
            id: get(r, "id")?,
            code: get(r, "code")?,
            label: get(r, "label")?,
            active: get(r, "active")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let services = all(
        c,
        "SELECT id, territory_id, code, label, active FROM service ORDER BY sort_order, label",
        vec![],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Service {
            id: get(r, "id")?,
            territory_id: get(r, "territory_id")?,
            code: get(r, "code")?,
            label: get(r, "label")?,
            active: get(r, "active")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Catalog {
        params,
        territories,
        services,
    })
}

impl Store {
    /// Every parameter value, territory and service (active or not).
    pub async fn catalog(&self) -> Result<Catalog> {
        load_catalog(&self.db).await
    }

    /// Adds a value to a parameter table.
    pub async fn add_param(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        kind: ParamKind,
        code: &str,
        label: &str,
        meaning: Option<Meaning>,
    ) -> Result<i64> {
        let code = code.trim();
        let label = label.trim();
        crate::text_in("code", "Code", TextKind::Short, code)?;
        crate::text_in("label", "Libellé", TextKind::Short, label)?;
        if code.is_empty() || code.chars().count() > 50 {
            return Err(vigie_domain::DomainError::field(
                "code",
                "Code",
                "obligatoire, 50 caractères au plus.",
            )
            .into());
        }
        if label.is_empty() || label.chars().count() > vigie_domain::text::SHORT_MAX {
            return Err(vigie_domain::DomainError::field(
                "label",
                "Libellé",
                "obligatoire, 200 caractères au plus.",
            )
            .into());
        }
        if let Some(m) = meaning
            && !kind.meanings().contains(&m)
        {
            return Err(vigie_domain::DomainError::field(
                "meaning",
                "Signification",
                "non applicable à cette table.",
            )
            .into());
        }
        let txn = self.write().await?;
        let next: i64 = one(
            &txn,
            "SELECT COALESCE(MAX(sort_order), 0) + 10 AS n FROM param_value WHERE kind = $1",
            vals![kind.code()],
        )
        .await?
        .map(|r| get(&r, "n"))
        .transpose()?
        .unwrap_or(10);
        let row = one(
            &txn,
            "INSERT INTO param_value (kind, code, label, sort_order, active, meaning) VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING id",
            vals![kind.code(), code, label, next, meaning.map(|m| m.code())],
        )
        .await;
        let id: i64 = match row {
            Ok(Some(r)) => get(&r, "id")?,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if e.is_unique_violation() => {
                return Err(StoreError::Duplicate(
                    "code",
                    format!("le code « {code} » existe déjà dans cette table."),
                ));
            }
            Err(e) => return Err(e),
        };
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.ajout")
                .on("param_value", id)
                .detail(kind.code()),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Renames a value; the change shows everywhere at once (old dossiers included).
    pub async fn set_param_label(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        label: &str,
    ) -> Result<()> {
        let label = label.trim();
        crate::text_in("label", "Libellé", TextKind::Short, label)?;
        if label.is_empty() || label.chars().count() > vigie_domain::text::SHORT_MAX {
            return Err(vigie_domain::DomainError::field(
                "label",
                "Libellé",
                "obligatoire, 200 caractères au plus.",
            )
            .into());
        }
        let txn = self.write().await?;
        if exec(
            &txn,
            "UPDATE param_value SET label = $1 WHERE id = $2",
            vals![label, id],
        )
        .await?
            == 0
        {
            return Err(StoreError::NotFound);
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.libelle").on("param_value", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Activates or deactivates a value: a deactivated value disappears from new entries only.
    pub async fn set_param_active(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        active: bool,
    ) -> Result<()> {
        let txn = self.write().await?;
        if exec(
            &txn,
            "UPDATE param_value SET active = $1 WHERE id = $2",
            vals![active, id],
        )
        .await?
            == 0
        {
            return Err(StoreError::NotFound);
        }
        let action = if active {
            "parametre.reactivation"
        } else {
            "parametre.desactivation"
        };
        self.append(&txn, now, actor, Event::new(action).on("param_value", id))
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes a value never used; a value in use answers [`StoreError::InUse`] and nothing changes.
    pub async fn delete_param(&self, now: DateTime<Utc>, actor: &Actor, id: i64) -> Result<()> {
        let txn = self.write().await?;
        // Savepoint so that a refused delete leaves the transaction usable on PostgreSQL.
        let res = {
            use sea_orm::TransactionTrait;
            let sp = txn.begin().await?;
            match exec(&sp, "DELETE FROM param_value WHERE id = $1", vals![id]).await {
                Ok(n) => {
                    sp.commit().await?;
                    Ok(n)
                }
                Err(e) => {
                    sp.rollback().await?;
                    Err(e)
                }
            }
        };
        match res {
            Ok(0) => Err(StoreError::NotFound),
            Ok(_) => {
                self.append(
                    &txn,
                    now,
                    actor,
                    Event::new("parametre.suppression").on("param_value", id),
                )
                .await?;
                txn.commit().await?;
                Ok(())
            }
            Err(StoreError::Db(e))
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
                ) =>
            {
                Err(StoreError::InUse)
            }
            Err(e) => Err(e),
        }
    }

    /// Adds a territory (command line and demo; the administration pages come later).
    pub async fn add_territory(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        code: &str,
        label: &str,
    ) -> Result<i64> {
        let txn = self.write().await?;
        let id = insert_territory(&txn, code, label).await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("territoire.ajout").on("territory", id),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Adds a service to a territory.
    pub async fn add_service(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        territory_id: i64,
        code: &str,
        label: &str,
    ) -> Result<i64> {
        let txn = self.write().await?;
        let id = insert_service(&txn, territory_id, code, label).await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("service.ajout").on("service", id),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }
}

pub(crate) async fn insert_territory(
    c: &impl ConnectionTrait,
    code: &str,
    label: &str,
) -> Result<i64> {
    crate::text_in("code", "Code", TextKind::Short, code)?;
    crate::text_in("label", "Libellé", TextKind::Short, label)?;
    let r = one(
        c,
        "INSERT INTO territory (code, label, sort_order) VALUES ($1, $2, (SELECT COALESCE(MAX(sort_order), 0) + 10 FROM territory)) RETURNING id",
        vals![code, label],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    get(&r, "id")
}

pub(crate) async fn insert_service(
    c: &impl ConnectionTrait,
    territory_id: i64,
    code: &str,
    label: &str,
) -> Result<i64> {
    crate::text_in("code", "Code", TextKind::Short, code)?;
    crate::text_in("label", "Libellé", TextKind::Short, label)?;
    let r = one(
        c,
        "INSERT INTO service (territory_id, code, label, sort_order) VALUES ($1, $2, $3, (SELECT COALESCE(MAX(sort_order), 0) + 10 FROM service)) RETURNING id",
        vals![territory_id, code, label],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    get(&r, "id")
}
