//! Parameter tables (every drop-down), territories and services.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use vigie_domain::param::{self, Meaning, ParamKind};

use crate::db::Store;
use crate::sql::{all, exec, get};
use crate::{Result, StoreError, vals};

/// One value of a parameter table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParamValue {
    pub id: i64,
    pub kind: ParamKind,
    pub code: String,
    pub label: String,
    pub sort_order: i64,
    pub active: bool,
    pub national_code: Option<String>,
    pub meaning: Option<Meaning>,
}

/// A territory (e.g. a Maison départementale de la solidarité).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Territory {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub active: bool,
}

/// A service, which belongs to a territory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Service {
    pub id: i64,
    pub territory_id: i64,
    pub code: String,
    pub label: String,
    pub active: bool,
}

/// All parameter values, territories and services: what pages need to show labels.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub params: Vec<ParamValue>,
    pub territories: Vec<Territory>,
    pub services: Vec<Service>,
}

impl Catalog {
    pub fn param(&self, id: i64) -> Option<&ParamValue> {
        self.params.iter().find(|p| p.id == id)
    }

    pub fn label(&self, id: Option<i64>) -> String {
        id.and_then(|i| self.param(i))
            .map(|p| p.label.clone())
            .unwrap_or_default()
    }

    pub fn of_kind(&self, kind: ParamKind) -> impl Iterator<Item = &ParamValue> {
        self.params.iter().filter(move |p| p.kind == kind)
    }

    /// The label of a status, as the département named it.
    pub fn status_label(&self, s: vigie_domain::DossierStatus) -> String {
        self.of_kind(ParamKind::Status)
            .find(|p| p.code == s.code())
            .map_or_else(|| s.label().to_owned(), |p| p.label.clone())
    }

    pub fn territory(&self, id: i64) -> Option<&Territory> {
        self.territories.iter().find(|t| t.id == id)
    }

    pub fn service(&self, id: i64) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }
}

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
}
