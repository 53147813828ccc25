//! French communes (INSEE code, postal codes), from the generated reference file
//! `data/communes.tsv` (see `data/communes/PROVENANCE.md` at the repository root).

use sea_orm::DatabaseTransaction;
use vigie_domain::names::normalize;

use crate::db::Store;
use crate::sql::{Sql, all_sql, exec_sql, get};
use crate::{Result, StoreError};

/// The reference file, embedded in the binary.
pub const COMMUNES_TSV: &str = include_str!("../data/communes.tsv");

/// One (commune, postal code) pair.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Commune {
    pub insee: String,
    pub postal_code: String,
    pub name: String,
    pub departement: String,
}

fn commune_from(r: &sea_orm::QueryResult) -> Result<Commune> {
    Ok(Commune {
        insee: get(r, "insee")?,
        postal_code: get(r, "postal_code")?,
        name: get(r, "name")?,
        departement: get(r, "departement")?,
    })
}

/// Loads the file (migration step), in batches of multi-row inserts.
pub(crate) async fn load(txn: &DatabaseTransaction) -> Result<()> {
    let mut lines = COMMUNES_TSV.lines();
    let header = lines.next().unwrap_or_default();
    if header != "insee\tpostal_code\tname\tdepartement\tkind" {
        return Err(StoreError::Config(
            "fichier des communes : en-tête inattendu".into(),
        ));
    }
    let rows: Vec<Vec<&str>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    for chunk in rows.chunks(500) {
        let mut q = Sql::new(
            "INSERT INTO commune (insee, postal_code, name, departement, kind, name_key) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if r.len() != 5 {
                return Err(StoreError::Config(
                    "fichier des communes : ligne mal formée".into(),
                ));
            }
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(r[0])
                .push(", ")
                .bind(r[1])
                .push(", ")
                .bind(r[2])
                .push(", ")
                .bind(r[3])
                .push(", ")
                .bind(r[4])
                .push(", ")
                .bind(normalize(r[2]))
                .push(")");
        }
        exec_sql(txn, &q).await?;
    }
    Ok(())
}

impl Store {
    /// Communes whose name starts with, or postal code starts with, what is typed;
    /// the served départements first.
    pub async fn find_communes(
        &self,
        typed: &str,
        served: &[String],
        limit: i64,
    ) -> Result<Vec<Commune>> {
        let t = typed.trim();
        crate::text_in("commune", "Commune", vigie_domain::text::TextKind::Short, t)?;
        if t.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Sql::new("SELECT insee, postal_code, name, departement FROM commune WHERE ");
        if t.bytes().all(|b| b.is_ascii_digit()) {
            q.push("postal_code LIKE ").bind(format!("{t}%"));
        } else {
            q.push("name_key LIKE ").bind(format!("{}%", normalize(t)));
        }
        q.push(" ORDER BY CASE WHEN departement IN ");
        if served.is_empty() {
            q.push("('')");
        } else {
            q.bind_list(served);
        }
        q.push(" THEN 0 ELSE 1 END, name_key, postal_code LIMIT ")
            .bind(limit);
        all_sql(&self.db, &q)
            .await?
            .iter()
            .map(commune_from)
            .collect()
    }

    /// The communes of some départements (demo data).
    pub async fn communes_of(&self, departements: &[String]) -> Result<Vec<Commune>> {
        if departements.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Sql::new(
            "SELECT insee, postal_code, name, departement FROM commune WHERE kind = 'commune' AND departement IN ",
        );
        q.bind_list(departements)
            .push(" ORDER BY insee, postal_code");
        all_sql(&self.db, &q)
            .await?
            .iter()
            .map(commune_from)
            .collect()
    }

    /// Whether an INSEE code exists.
    pub async fn commune_exists(&self, insee: &str) -> Result<bool> {
        let mut q =
            Sql::new("SELECT insee, postal_code, name, departement FROM commune WHERE insee = ");
        q.bind(insee).push(" LIMIT 1");
        Ok(!all_sql(&self.db, &q).await?.is_empty())
    }
}
