//! Reading the administrable tables: the values in their order, and what uses each
//! value (the references counted before a delete or a code change).

use super::*;

/// What counts a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counts {
    Dossiers,
    Services,
    Users,
}

/// A column that references a value: `SELECT {column} AS v, {counted} AS d FROM {from}`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ref {
    table: &'static str,
    column: &'static str,
    from: &'static str,
    counted: &'static str,
    counts: Counts,
}

pub(super) const fn direct(
    table: &'static str,
    column: &'static str,
    counted: &'static str,
) -> Ref {
    Ref {
        table,
        column,
        from: table,
        counted,
        counts: Counts::Dossiers,
    }
}

pub(super) const fn via_child(
    table: &'static str,
    column: &'static str,
    from: &'static str,
) -> Ref {
    Ref {
        table,
        column,
        from,
        counted: "dossier_child.dossier_id",
        counts: Counts::Dossiers,
    }
}

/// Every column that references a value of `table` (the schema test checks that none is missing).
pub(super) fn refs(table: Table) -> Vec<Ref> {
    use ParamKind as K;
    const CHILD: &str = "dossier_child.dossier_id";
    match table {
        Table::Param(K::DossierType) => vec![direct("dossier", "type_id", "dossier.id")],
        Table::Param(K::Channel) => vec![direct("dossier", "channel_id", "dossier.id")],
        Table::Param(K::SourceCategory) => vec![direct(
            "dossier_source",
            "category_id",
            "dossier_source.dossier_id",
        )],
        Table::Param(K::Civility) => vec![direct("adult", "civility_id", "adult.dossier_id")],
        Table::Param(K::Csp) => vec![
            direct("dossier_child", "csp_father_id", CHILD),
            direct("dossier_child", "csp_mother_id", CHILD),
        ],
        Table::Param(K::LieuDeVie) => vec![direct("dossier_child", "lieu_de_vie_id", CHILD)],
        Table::Param(K::EvaluationResult) => vec![
            direct("dossier_child", "evaluation_result_id", CHILD),
            direct("assignment", "result_id", "assignment.dossier_id"),
        ],
        Table::Param(K::Conclusion) => vec![direct("dossier_child", "conclusion_id", CHILD)],
        Table::Param(K::Link) => vec![
            via_child(
                "child_adult",
                "link_id",
                "child_adult JOIN dossier_child ON dossier_child.id = child_adult.child_id",
            ),
            via_child(
                "child_author",
                "link_id",
                "child_author JOIN dossier_child ON dossier_child.id = child_author.child_id",
            ),
        ],
        Table::Param(K::Motif) => vec![via_child(
            "child_motif",
            "motif_id",
            "child_motif JOIN dossier_child ON dossier_child.id = child_motif.child_id",
        )],
        Table::Param(K::DocumentCategory) => {
            vec![Ref {
                table: "document_filing",
                column: "category_id",
                from: "document_filing JOIN document ON document.id = document_filing.document_id",
                counted: "document.dossier_id",
                counts: Counts::Dossiers,
            }]
        }
        // The status is stored as its code (a closed list), not as a reference.
        Table::Param(K::Status) => vec![],
        Table::Territories => vec![
            direct("dossier", "territory_id", "dossier.id"),
            Ref {
                table: "service",
                column: "territory_id",
                from: "service",
                counted: "service.id",
                counts: Counts::Services,
            },
            Ref {
                table: "user_territory",
                column: "territory_id",
                from: "user_territory",
                counted: "user_territory.user_id",
                counts: Counts::Users,
            },
        ],
        Table::Services => vec![
            direct("assignment", "service_id", "assignment.dossier_id"),
            direct(
                "assignment_reminder",
                "service_id",
                "assignment_reminder.dossier_id",
            ),
            Ref {
                table: "app_user",
                column: "service_id",
                from: "app_user",
                counted: "app_user.id",
                counts: Counts::Users,
            },
        ],
    }
}

/// Every (table, column, referenced table) this module counts as a use, for the schema test.
pub fn counted_references() -> Vec<(&'static str, &'static str, &'static str)> {
    Table::all()
        .into_iter()
        .flat_map(|t| {
            refs(t)
                .into_iter()
                .map(move |r| (r.table, r.column, t.sql_table()))
        })
        .collect()
}

/// The uses of the values of `table` (of one value when `only` is given), by value id.
pub(super) async fn usages(
    c: &impl ConnectionTrait,
    table: Table,
    only: Option<i64>,
) -> Result<std::collections::HashMap<i64, Usage>> {
    let mut out: std::collections::HashMap<i64, Usage> = std::collections::HashMap::new();
    if table == Table::Param(ParamKind::Status) {
        // Dossiers by status code, matched to the status values.
        let rows = all(
            c,
            "SELECT p.id AS v, COUNT(d.id) AS n FROM param_value p JOIN dossier d ON d.status = p.code
             WHERE p.kind = $1 GROUP BY p.id",
            vals![table.kind_code()],
        )
        .await?;
        for r in rows {
            let id: i64 = get(&r, "v")?;
            if only.is_none_or(|o| o == id) {
                out.entry(id).or_default().dossiers = get(&r, "n")?;
            }
        }
        return Ok(out);
    }
    for counts in [Counts::Dossiers, Counts::Services, Counts::Users] {
        let parts: Vec<String> = refs(table)
            .iter()
            .filter(|r| r.counts == counts)
            .map(|r| {
                format!(
                    "SELECT {}.{} AS v, {} AS d FROM {}",
                    r.table, r.column, r.counted, r.from
                )
            })
            .collect();
        if parts.is_empty() {
            continue;
        }
        let (cond, values) = match only {
            Some(id) => ("v = $1", vals![id]),
            None => ("v IS NOT NULL", vec![]),
        };
        let sql = format!(
            "SELECT v, COUNT(DISTINCT d) AS n FROM ({}) u WHERE {cond} GROUP BY v",
            parts.join(" UNION ALL ")
        );
        for r in all(c, &sql, values).await? {
            let id: i64 = get(&r, "v")?;
            let n: i64 = get(&r, "n")?;
            let u = out.entry(id).or_default();
            match counts {
                Counts::Dossiers => u.dossiers = n,
                Counts::Services => u.services = n,
                Counts::Users => u.users = n,
            }
        }
    }
    Ok(out)
}

pub(super) fn value_from(r: &sea_orm::QueryResult, table: Table) -> Result<AdminValue> {
    let (national_code, meaning, territory_id) = match table {
        Table::Param(_) => {
            let m: Option<String> = get(r, "meaning")?;
            (
                get(r, "national_code")?,
                m.as_deref().and_then(Meaning::parse),
                None,
            )
        }
        Table::Territories => (None, None, None),
        Table::Services => (None, None, Some(get(r, "territory_id")?)),
    };
    Ok(AdminValue {
        id: get(r, "id")?,
        code: get(r, "code")?,
        label: get(r, "label")?,
        sort_order: get(r, "sort_order")?,
        active: get(r, "active")?,
        national_code,
        meaning,
        territory_id,
        usage: Usage::default(),
    })
}

pub(super) const fn columns(table: Table) -> &'static str {
    match table {
        Table::Param(_) => "id, code, label, sort_order, active, national_code, meaning",
        Table::Territories => "id, code, label, sort_order, active",
        Table::Services => "id, code, label, sort_order, active, territory_id",
    }
}

/// The values of a table in their order, without their use.
pub(super) async fn values_of(
    c: &impl ConnectionTrait,
    table: Table,
    lock: bool,
) -> Result<Vec<AdminValue>> {
    // Writers of one table serialise on its rows (PostgreSQL); SQLite's IMMEDIATE
    // transaction already does.
    let lock = if lock {
        crate::backend::for_update(c)
    } else {
        ""
    };
    let (filter, values) = match table {
        Table::Param(k) => (" WHERE kind = $1", vals![k.code()]),
        Table::Territories | Table::Services => ("", vec![]),
    };
    let sql = format!(
        "SELECT {} FROM {}{filter} ORDER BY {}{lock}",
        columns(table),
        table.sql_table(),
        table.order()
    );
    all(c, &sql, values)
        .await?
        .iter()
        .map(|r| value_from(r, table))
        .collect()
}

/// One value of a table with its use, in a write transaction (locked on PostgreSQL).
pub(super) async fn value_for_update(
    txn: &DatabaseTransaction,
    table: Table,
    id: i64,
) -> Result<(AdminValue, Vec<AdminValue>)> {
    let values = values_of(txn, table, true).await?;
    let mut v = values
        .iter()
        .find(|v| v.id == id)
        .cloned()
        .ok_or(StoreError::NotFound)?;
    v.usage = usages(txn, table, Some(id))
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok((v, values))
}

impl Store {
    /// Every administrable table with its number of values (all, active).
    pub async fn admin_tables(&self) -> Result<Vec<TableSummary>> {
        let mut counts: std::collections::HashMap<String, (i64, i64)> =
            std::collections::HashMap::new();
        let sum_active = "SUM(CASE WHEN active THEN 1 ELSE 0 END)";
        for r in all(
            &self.db,
            &format!(
                "SELECT kind AS t, COUNT(*) AS n, {sum_active} AS a FROM param_value GROUP BY kind
                 UNION ALL SELECT 'territoires', COUNT(*), {sum_active} FROM territory
                 UNION ALL SELECT 'services', COUNT(*), {sum_active} FROM service"
            ),
            vec![],
        )
        .await?
        {
            let t: String = get(&r, "t")?;
            let n: i64 = get(&r, "n")?;
            // SUM of nothing is NULL.
            let a: Option<i64> = get(&r, "a")?;
            counts.insert(t, (n, a.unwrap_or(0)));
        }
        Ok(Table::all()
            .into_iter()
            .map(|table| {
                let (total, active) = counts.get(table.code()).copied().unwrap_or((0, 0));
                TableSummary {
                    table,
                    total,
                    active,
                }
            })
            .collect())
    }

    /// The values of a table in their order, active or not, with their use.
    pub async fn admin_values(&self, table: Table) -> Result<Vec<AdminValue>> {
        let mut values = values_of(&self.db, table, false).await?;
        let uses = usages(&self.db, table, None).await?;
        for v in &mut values {
            v.usage = uses.get(&v.id).copied().unwrap_or_default();
        }
        Ok(values)
    }

    /// The foreign keys declared in the database towards the drop-down tables
    /// (`param_value`, `territory`, `service`): (table, column, referenced table), sorted.
    /// For the schema test that keeps [`counted_references`] complete.
    pub async fn dropdown_foreign_keys(&self) -> Result<Vec<(String, String, String)>> {
        let mut v: Vec<_> = crate::backend::foreign_keys(&self.db)
            .await?
            .into_iter()
            .filter(|(_, _, target)| {
                matches!(target.as_str(), "param_value" | "territory" | "service")
            })
            // A service's contact details extend the service itself (deleted with it): not a use.
            .filter(|(table, _, _)| table != "service_contact")
            // Nor a territory's population (deleted with it).
            .filter(|(table, _, _)| table != "territory_population")
            .collect();
        v.sort();
        v.dedup();
        Ok(v)
    }
}
