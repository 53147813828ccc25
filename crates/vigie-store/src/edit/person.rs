//! The person behind a child: its identity (names, sex, birth) and its search keys.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use vigie_domain::Person;

use crate::columns::person_vals;
use crate::name_keys::write_person_keys;
use crate::sql::{exec, get, one};
use crate::{Result, StoreError, vals};

/// Updates (`id` given) or inserts a person, and rewrites its search keys.
pub(super) async fn write_person(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    id: Option<i64>,
    p: &Person,
) -> Result<i64> {
    let pid = match id {
        Some(pid) => {
            exec(
                txn,
                "UPDATE person SET birth_name = $1, usage_name = $2, first_names = $3, sex = $4, birth_precision = $5,
                 birth_date = $6, birth_year = $7, version = version + 1, updated_at = $8 WHERE id = $9",
                person_vals(p).into_iter().chain(vals![now, pid]).collect(),
            )
            .await?;
            pid
        }
        None => {
            let r = one(
                txn,
                "INSERT INTO person (birth_name, usage_name, first_names, sex, birth_precision, birth_date, birth_year, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                person_vals(p).into_iter().chain(vals![now]).collect(),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
            get(&r, "id")?
        }
    };
    write_person_keys(txn, pid, p).await?;
    Ok(pid)
}
