//! Parameter tables (every drop-down), territories and services.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use vigie_domain::param::{self, Meaning, ParamKind};

use crate::sql::{all, exec, get};
use crate::{Result, StoreError, vals};

use vigie_domain::catalog::{Catalog, ParamValue, Service, Territory};

/// Seeds the default values of every parameter table that has none yet (migration step: a
/// table added by a later version gets its values, the others are left as administered).
pub(crate) async fn seed_defaults(txn: &DatabaseTransaction) -> Result<()> {
    let mut order: std::collections::HashMap<ParamKind, i64> = std::collections::HashMap::new();
    let seeded: Vec<String> = all(txn, "SELECT DISTINCT kind FROM param_value", vec![])
        .await?
        .iter()
        .map(|r| get::<String>(r, "kind"))
        .collect::<Result<_>>()?;
    for d in param::defaults() {
        if seeded.iter().any(|k| k == d.kind.code()) {
            continue;
        }
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
