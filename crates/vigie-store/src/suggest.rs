//! Known persons proposed while a child's identity is typed (no duplicate children).
//!
//! The rule is the domain's ([`vigie_domain::matching`]): (a family name — birth or usage —
//! matches) and (a first name matches), each by the name search's rule (joined or split,
//! particles, phonetic, one typo) and (birth dates within ±31 days, or the same year when one is
//! approximate, or one is unknown). Candidates are found in SQL through the `person_key`
//! index (`n:`/`np:` family-name keys, `f:`/`fp:` first-name keys, see
//! [`crate::name_keys::person_keys`]) with a coarse birth-year bound, then kept and ranked by
//! the rule in Rust, so both backends propose the same persons in the same order.
//!
//! Scope: only persons with at least one dossier within the caller's scope are proposed
//! (their identity comes from a dossier the caller may read). Each suggestion lists all the
//! person's dossiers; outside the scope, only the number, the date and the territory, with
//! no id to link to — as the « ancien dossier » of the dossier view.

use vigie_domain::search::Typed;
use vigie_domain::{BirthDate, Person, Scope};

use crate::db::Store;
use crate::persons::{birth_year, person_from};
use crate::search::candidates::{field_keys, typo_words};
use crate::sql::{Sql, all_sql, get, scope_filter};
use crate::{Result, StoreError};

/// At most this many suggestions, whatever the caller asks.
pub const MAX_SUGGESTIONS: usize = 10;

use vigie_domain::dossier::{EarlierDossier, Suggestion};

/// The `person_key` keys of what is typed, family names under `n`/`np`, first names under
/// `f`/`fp`: every group of words, joined or not, by spelling, sound, and the stored words
/// within one typo.
async fn typed_keys(store: &Store, typed: &Person) -> Result<(Vec<String>, Vec<String>)> {
    let family = Typed::new(&format!(
        "{} {}",
        typed.birth_name,
        typed.usage_name.as_deref().unwrap_or_default()
    ));
    let first = Typed::new(&typed.first_names);
    let typos = typo_words(&store.db, &[&family, &first]).await?;
    Ok((
        field_keys(&family, &typos, "n"),
        field_keys(&first, &typos, "f"),
    ))
}

/// Reads `in_scope` (an integer column, 32-bit on PostgreSQL).
fn flag(r: &sea_orm::QueryResult, col: &str) -> Result<bool> {
    let v: i64 = get::<i64>(r, col).or_else(|_| get::<i32>(r, col).map(i64::from))?;
    Ok(v == 1)
}

impl Store {
    /// The known persons that the matching rule keeps for what is typed, best first, at
    /// most `limit` (and never more than [`MAX_SUGGESTIONS`]), among the persons with a
    /// dossier within `scope`. Names are never logged.
    pub async fn suggest_persons(
        &self,
        scope: &Scope,
        typed: &Person,
        limit: usize,
    ) -> Result<Vec<Suggestion>> {
        let limit = limit.min(MAX_SUGGESTIONS);
        let short = vigie_domain::text::TextKind::Short;
        crate::text_in("birth_name", "Nom de naissance", short, &typed.birth_name)?;
        let usage = typed.usage_name.as_deref().unwrap_or_default();
        crate::text_in("usage_name", "Nom d'usage", short, usage)?;
        crate::text_in("first_names", "Prénoms", short, &typed.first_names)?;
        let (family, first) = typed_keys(self, typed).await?;
        if limit == 0 || family.is_empty() || first.is_empty() || matches!(scope, Scope::Nothing) {
            return Ok(vec![]);
        }
        // 1. The persons with both a family-name key and a first-name key: two index ranges.
        let mut k = Sql::new("SELECT k.person_id FROM person_key k WHERE k.key IN ");
        k.bind_list(&family)
            .push(" INTERSECT SELECT k.person_id FROM person_key k WHERE k.key IN ")
            .bind_list(&first);
        let ids = all_sql(&self.db, &k)
            .await?
            .iter()
            .map(|r| get::<i64>(r, "person_id"))
            .collect::<Result<Vec<i64>>>()?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        // 2. Those persons by id (whatever the planner's statistics), with a coarse birth-year
        // bound the rule then refines (±31 days may cross a new year), and a dossier in scope.
        let mut q = Sql::new(
            "SELECT p.id, p.birth_name, p.usage_name, p.first_names, p.sex, p.birth_precision, p.birth_date
             FROM person p WHERE p.id IN ",
        );
        q.bind_list(&ids);
        if let Some(y) = birth_year(typed.birth) {
            match typed.birth {
                BirthDate::Approximate(_) => {
                    q.push(" AND (p.birth_year IS NULL OR p.birth_year = ")
                        .bind(y)
                        .push(")");
                }
                _ => {
                    q.push(" AND (p.birth_year IS NULL OR p.birth_year BETWEEN ")
                        .bind(y - 1)
                        .push(" AND ")
                        .bind(y + 1)
                        .push(")");
                }
            }
        }
        q.push(" AND EXISTS (SELECT 1 FROM dossier_child dc JOIN dossier d ON d.id = dc.dossier_id WHERE dc.person_id = p.id AND ");
        scope_filter(&mut q, scope, "d");
        // Ties keep this order: the most recently created person first.
        q.push(") ORDER BY p.id DESC");
        let candidates = all_sql(&self.db, &q)
            .await?
            .iter()
            .map(|r| Ok((get::<i64>(r, "id")?, person_from(r)?)))
            .collect::<Result<Vec<(i64, Person)>>>()?;
        let best = vigie_domain::matching::best(typed, &candidates, limit);
        if best.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = best.iter().map(|(id, _)| **id).collect();
        let mut dq = Sql::new(
            "SELECT dc.person_id, d.id, d.number, d.received_at, t.label AS territory_label, CASE WHEN ",
        );
        scope_filter(&mut dq, scope, "d");
        dq.push(
            " THEN 1 ELSE 0 END AS in_scope FROM dossier_child dc JOIN dossier d ON d.id = dc.dossier_id
              JOIN territory t ON t.id = d.territory_id WHERE dc.person_id IN ",
        )
        .bind_list(&ids)
        .push(" ORDER BY d.received_at DESC, d.id DESC");
        let rows = all_sql(&self.db, &dq).await?;
        let mut out = Vec::with_capacity(best.len());
        for (id, score) in best {
            let person = candidates
                .iter()
                .find(|(pid, _)| pid == id)
                .map(|(_, p)| p.clone())
                .ok_or(StoreError::NotFound)?;
            let mut dossiers = Vec::new();
            for r in rows
                .iter()
                .filter(|r| get::<i64>(r, "person_id").ok() == Some(*id))
            {
                let number: String = get(r, "number")?;
                let in_scope = flag(r, "in_scope")?;
                dossiers.push(EarlierDossier {
                    id: if in_scope { Some(get(r, "id")?) } else { None },
                    number: number.parse().map_err(StoreError::Config)?,
                    received_at: get(r, "received_at")?,
                    territory_label: get(r, "territory_label")?,
                    in_scope,
                });
            }
            out.push(Suggestion {
                person_id: *id,
                person,
                score,
                dossiers,
            });
        }
        Ok(out)
    }
}
