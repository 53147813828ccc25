//! Administration of the drop-down lists in the application: the parameter tables
//! (`param_value`, one per [`ParamKind`]), the territories and the services.
//!
//! Rules (issue 6):
//! - a value is listed with its use (dossiers, services, users that reference it);
//! - a value in use cannot be deleted, only deactivated; its code cannot change;
//! - a deactivated value disappears from new entries, old dossiers keep showing it
//!   (the dossier screens read the catalog on every request: no restart);
//! - a value with a fixed [`Meaning`] keeps its code and cannot be deleted (rules and
//!   statistics rely on it); the last active value carrying a meaning the law requires
//!   ([`meaning_required`]) cannot be deactivated;
//! - the dossier statuses are a closed list: only their labels change;
//! - every change is one transaction with its audit entry (`parametre.*`), whose detail
//!   holds the table, the code and the changed field names, never a label.
//!
//! Errors: [`StoreError::Invalid`] with a [`DomainError::Invalid`] naming the field, or a
//! [`DomainError::Rule`] for an operation the value's state forbids; [`StoreError::NotFound`]
//! for an id that is not in the table. Nothing is written when an error is returned.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use vigie_domain::DomainError;
use vigie_domain::error::Errors;
use vigie_domain::param::{Meaning, ParamKind};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

/// Longest code (letters without accents, digits, `_` and `-`).
pub const CODE_MAX: usize = 50;
/// Longest national code.
pub const NATIONAL_CODE_MAX: usize = 50;
/// Longest label.
pub const LABEL_MAX: usize = vigie_domain::text::SHORT_MAX;

/// A table administrable in the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Param(ParamKind),
    Territories,
    Services,
}

impl Table {
    /// Every table, in the order of the administration page.
    pub fn all() -> Vec<Table> {
        let mut v: Vec<Table> = ParamKind::ALL.into_iter().map(Table::Param).collect();
        v.push(Table::Territories);
        v.push(Table::Services);
        v
    }

    /// Stable code, used in URLs and audit details.
    pub const fn code(self) -> &'static str {
        match self {
            Table::Param(k) => k.code(),
            Table::Territories => "territoires",
            Table::Services => "services",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::all().into_iter().find(|t| t.code() == code)
    }

    /// French name of the table.
    pub const fn label(self) -> &'static str {
        match self {
            Table::Param(k) => k.label(),
            Table::Territories => "Territoires",
            Table::Services => "Services",
        }
    }

    /// A closed list (the dossier statuses, whose rules are code): only labels change.
    pub const fn closed(self) -> bool {
        matches!(self, Table::Param(ParamKind::Status))
    }

    /// Whether values carry a national code (the parameter tables do).
    pub const fn has_national_code(self) -> bool {
        matches!(self, Table::Param(_))
    }

    /// The meanings a value of this table may carry.
    pub fn meanings(self) -> &'static [Meaning] {
        match self {
            Table::Param(k) => k.meanings(),
            Table::Territories | Table::Services => &[],
        }
    }

    const fn sql_table(self) -> &'static str {
        match self {
            Table::Param(_) => "param_value",
            Table::Territories => "territory",
            Table::Services => "service",
        }
    }

    fn kind_code(self) -> &'static str {
        match self {
            Table::Param(k) => k.code(),
            _ => "",
        }
    }

    const fn order(self) -> &'static str {
        match self {
            Table::Param(_) => "sort_order, id",
            Table::Territories | Table::Services => "sort_order, label, id",
        }
    }
}

/// French wording of a meaning (lower case).
pub const fn meaning_label(m: Meaning) -> &'static str {
    use Meaning::*;
    match m {
        InformationPreoccupante => "information préoccupante",
        SignalementDirect => "signalement direct au parquet",
        DemandeRenseignements => "demande de renseignements",
        RetourInformation => "retour d'information",
        Snated => "transmission du 119 (SNATED)",
        Pere => "père",
        Mere => "mère",
        BeauParent => "beau-parent",
        Fratrie => "fratrie",
        AutreFamille => "autre membre de la famille",
        Tiers => "tiers",
        Institution => "institution",
        Inconnu => "inconnu",
        ClassementSansSuite => "classement sans suite",
        DroitCommun => "orientation vers le droit commun",
        MesureAdministrative => "mesure administrative",
        SignalementParquet => "signalement au parquet",
        TransmissionAutreDepartement => "transmission à un autre département",
        DejaSuivie => "situation déjà suivie",
        Danger => "danger",
        RisqueDeDanger => "risque de danger",
        NiDangerNiRisque => "ni danger ni risque de danger",
        NonRenseigne => "non renseigné",
    }
}

/// Meanings a CRIP must always be able to record: the three outcomes of an evaluation
/// (CASF D226-2-6) and the signalement to the procureur (L226-4). The last active value
/// carrying one of them cannot be deactivated.
pub const fn meaning_required(m: Meaning) -> bool {
    matches!(
        m,
        Meaning::Danger
            | Meaning::RisqueDeDanger
            | Meaning::NiDangerNiRisque
            | Meaning::SignalementParquet
    )
}

/// How much a value is used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Dossiers referencing the value (any part: header, source, adults, children, assignments).
    pub dossiers: i64,
    /// Services of a territory.
    pub services: i64,
    /// Users attached to a territory or a service.
    pub users: i64,
}

impl Usage {
    pub fn in_use(&self) -> bool {
        self.dossiers + self.services + self.users > 0
    }

    /// « 3 dossiers, 1 service », or « non utilisée ».
    pub fn describe(&self) -> String {
        let plural = |n: i64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let mut parts = Vec::new();
        if self.dossiers > 0 {
            parts.push(plural(self.dossiers, "dossier", "dossiers"));
        }
        if self.services > 0 {
            parts.push(plural(self.services, "service", "services"));
        }
        if self.users > 0 {
            parts.push(plural(self.users, "utilisateur", "utilisateurs"));
        }
        if parts.is_empty() {
            "non utilisée".into()
        } else {
            parts.join(", ")
        }
    }
}

/// One value of a table, with its use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminValue {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub sort_order: i64,
    pub active: bool,
    pub national_code: Option<String>,
    pub meaning: Option<Meaning>,
    /// A service's territory.
    pub territory_id: Option<i64>,
    pub usage: Usage,
}

impl AdminValue {
    /// Why the code cannot change, if it cannot.
    pub fn code_locked(&self, table: Table) -> Option<String> {
        if table.closed() {
            Some("la liste des statuts est fixe : seul le libellé change.".into())
        } else if let Some(m) = self.meaning {
            Some(format!(
                "la valeur porte la signification « {} », dont les règles et les statistiques dépendent : seul le libellé change.",
                meaning_label(m)
            ))
        } else if self.usage.in_use() {
            Some(format!(
                "« {} » est utilisée ({}) : son code ne peut plus changer.",
                self.label,
                self.usage.describe()
            ))
        } else {
            None
        }
    }

    /// Why the value cannot be deleted, if it cannot.
    pub fn undeletable(&self, table: Table) -> Option<String> {
        if table.closed() {
            Some(format!(
                "« {} » ne peut pas être supprimée : la liste des statuts est fixe.",
                self.label
            ))
        } else if self.usage.in_use() {
            Some(format!(
                "« {} » est utilisée ({}) : elle ne peut pas être supprimée, seulement désactivée.",
                self.label,
                self.usage.describe()
            ))
        } else {
            self.meaning.map(|m| {
                format!(
                    "« {} » porte la signification « {} » : elle ne peut pas être supprimée, seulement désactivée.",
                    self.label,
                    meaning_label(m)
                )
            })
        }
    }
}

/// A table on the administration index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub table: Table,
    pub total: i64,
    pub active: i64,
}

/// A new value, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewValue<'a> {
    pub code: &'a str,
    pub label: &'a str,
    /// Empty: none.
    pub national_code: &'a str,
    pub meaning: Option<Meaning>,
    /// Required for a service.
    pub territory_id: Option<i64>,
}

/// The new code, label and national code of a value, as typed.
#[derive(Debug, Clone, Default)]
pub struct ValueChange<'a> {
    pub code: &'a str,
    pub label: &'a str,
    /// Empty: none. Ignored for territories and services.
    pub national_code: &'a str,
    /// The code, label and national code the form was built from (optimistic check): when
    /// the stored ones differ, someone changed the value meanwhile and nothing is written.
    pub read: Option<ReadValue<'a>>,
}

/// A value as a form showed it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadValue<'a> {
    pub code: &'a str,
    pub label: &'a str,
    pub national_code: &'a str,
}

/// Up or down in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub const fn code(self) -> &'static str {
        match self {
            Direction::Up => "haut",
            Direction::Down => "bas",
        }
    }
}

/// What counts a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counts {
    Dossiers,
    Services,
    Users,
}

/// A column that references a value: `SELECT {column} AS v, {counted} AS d FROM {from}`.
#[derive(Debug, Clone, Copy)]
struct Ref {
    table: &'static str,
    column: &'static str,
    from: &'static str,
    counted: &'static str,
    counts: Counts,
}

const fn direct(table: &'static str, column: &'static str, counted: &'static str) -> Ref {
    Ref {
        table,
        column,
        from: table,
        counted,
        counts: Counts::Dossiers,
    }
}

const fn via_child(table: &'static str, column: &'static str, from: &'static str) -> Ref {
    Ref {
        table,
        column,
        from,
        counted: "dossier_child.dossier_id",
        counts: Counts::Dossiers,
    }
}

/// Every column that references a value of `table` (the schema test checks that none is missing).
fn refs(table: Table) -> Vec<Ref> {
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
async fn usages(
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

fn value_from(r: &sea_orm::QueryResult, table: Table) -> Result<AdminValue> {
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

const fn columns(table: Table) -> &'static str {
    match table {
        Table::Param(_) => "id, code, label, sort_order, active, national_code, meaning",
        Table::Territories => "id, code, label, sort_order, active",
        Table::Services => "id, code, label, sort_order, active, territory_id",
    }
}

/// The values of a table in their order, without their use.
async fn values_of(c: &impl ConnectionTrait, table: Table, lock: bool) -> Result<Vec<AdminValue>> {
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
async fn value_for_update(
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

fn rule(msg: String) -> StoreError {
    StoreError::Invalid(DomainError::Rule(msg))
}

/// Checks a code: required, short, letters without accents, digits, `_` and `-`.
fn check_code(errors: &mut Errors, code: &str) {
    if code.is_empty() {
        errors.push("code", "Code", "obligatoire.");
    } else if code.chars().count() > CODE_MAX {
        errors.push(
            "code",
            "Code",
            format!(
                "{} caractères saisis, {CODE_MAX} au plus sont acceptés.",
                code.chars().count()
            ),
        );
    } else if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.push(
            "code",
            "Code",
            "lettres sans accents, chiffres, « _ » ou « - » seulement, sans espace.",
        );
    }
}

fn check_label(errors: &mut Errors, label: &str) {
    if label.is_empty() {
        errors.push("label", "Libellé", "obligatoire.");
    } else if label.chars().count() > LABEL_MAX {
        errors.push(
            "label",
            "Libellé",
            format!(
                "{} caractères saisis, {LABEL_MAX} au plus sont acceptés.",
                label.chars().count()
            ),
        );
    } else {
        // One line, no control character: the domain's rule and message.
        let short = vigie_domain::text::TextKind::Short;
        vigie_domain::text::check(errors, "label", "Libellé", short, Some(label));
    }
}

fn check_national_code(errors: &mut Errors, nc: &str) {
    if nc.chars().count() > NATIONAL_CODE_MAX {
        errors.push(
            "national_code",
            "Code national",
            format!("{NATIONAL_CODE_MAX} caractères au plus."),
        );
    } else if !nc
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        errors.push(
            "national_code",
            "Code national",
            "lettres sans accents, chiffres, « _ », « - » ou « . » seulement, sans espace.",
        );
    }
}

/// Duplicates among the other values of the table: codes ignoring case (across the whole
/// table), labels ignoring case (among the values offered together: a service's territory).
fn check_unique(
    errors: &mut Errors,
    others: &[AdminValue],
    code: Option<&str>,
    label: Option<(&str, Option<i64>)>,
) {
    if let Some(code) = code
        && let Some(o) = others.iter().find(|o| o.code.eq_ignore_ascii_case(code))
    {
        errors.push(
            "code",
            "Code",
            format!(
                "le code « {} » existe déjà dans cette table (« {} »).",
                o.code, o.label
            ),
        );
    }
    let Some((label, territory)) = label else {
        return;
    };
    let lower = label.to_lowercase();
    if !label.is_empty()
        && others
            .iter()
            .any(|o| o.territory_id == territory && o.label.to_lowercase() == lower)
    {
        errors.push(
            "label",
            "Libellé",
            "une autre valeur de cette table porte déjà ce libellé.",
        );
    }
}

fn detail(table: Table, code: &str) -> String {
    format!("table={} code={code}", table.code())
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

    /// Adds a value at the end of its table.
    pub async fn admin_add(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        new: &NewValue<'_>,
    ) -> Result<i64> {
        let code = new.code.trim();
        let label = new.label.trim();
        let national = new.national_code.trim();
        if table.closed() {
            return Err(rule(format!(
                "La table « {} » est une liste fixe : aucune valeur ne peut y être ajoutée.",
                table.label()
            )));
        }
        let mut errors = Errors::default();
        check_code(&mut errors, code);
        check_label(&mut errors, label);
        if table.has_national_code() {
            check_national_code(&mut errors, national);
        }
        if let Some(m) = new.meaning
            && !table.meanings().contains(&m)
        {
            errors.push("meaning", "Signification", "non applicable à cette table.");
        }
        let txn = self.write().await?;
        if table == Table::Services {
            let ok = match new.territory_id {
                Some(t) => one(
                    &txn,
                    "SELECT id FROM territory WHERE id = $1 AND active",
                    vals![t],
                )
                .await?
                .is_some(),
                None => false,
            };
            if !ok {
                errors.push(
                    "territory_id",
                    "Territoire",
                    "choisissez un territoire actif dans la liste.",
                );
            }
        }
        let existing = values_of(&txn, table, true).await?;
        let territory = if table == Table::Services {
            new.territory_id
        } else {
            None
        };
        check_unique(&mut errors, &existing, Some(code), Some((label, territory)));
        if !errors.is_empty() {
            errors.into_result()?;
        }
        // Territory and service codes are unique across the whole table, which `existing`
        // covers; parameter codes per kind, likewise.
        let next = existing.iter().map(|v| v.sort_order).max().unwrap_or(0) + 10;
        let national = (!national.is_empty()).then_some(national);
        let row = match table {
            Table::Param(k) => one(
                &txn,
                "INSERT INTO param_value (kind, code, label, sort_order, active, national_code, meaning)
                 VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id",
                vals![k.code(), code, label, next, national, new.meaning.map(|m| m.code())],
            )
            .await,
            Table::Territories => one(
                &txn,
                "INSERT INTO territory (code, label, sort_order, active) VALUES ($1, $2, $3, TRUE) RETURNING id",
                vals![code, label, next],
            )
            .await,
            Table::Services => one(
                &txn,
                "INSERT INTO service (territory_id, code, label, sort_order, active) VALUES ($1, $2, $3, $4, TRUE) RETURNING id",
                vals![new.territory_id, code, label, next],
            )
            .await,
        };
        let id: i64 = match row {
            Ok(Some(r)) => get(&r, "id")?,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if e.is_unique_violation() => {
                return Err(DomainError::field(
                    "code",
                    "Code",
                    format!("le code « {code} » existe déjà dans cette table."),
                )
                .into());
            }
            Err(e) => return Err(e),
        };
        let mut d = detail(table, code);
        if let Some(m) = new.meaning {
            d.push_str(&format!(" signification={}", m.code()));
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.ajout")
                .on(table.sql_table(), id)
                .detail(d),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Changes a value's label, national code, and code (only while the value is unused
    /// and carries no meaning). Returns whether anything changed (no change: no audit entry).
    pub async fn admin_update(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
        change: &ValueChange<'_>,
    ) -> Result<bool> {
        let code = change.code.trim();
        let label = change.label.trim();
        let national = change.national_code.trim();
        let txn = self.write().await?;
        let (cur, values) = value_for_update(&txn, table, id).await?;
        if let Some(read) = change.read
            && (read.code != cur.code
                || read.label != cur.label
                || (table.has_national_code()
                    && read.national_code != cur.national_code.as_deref().unwrap_or_default()))
        {
            return Err(rule(format!(
                "Cette valeur a été modifiée entre-temps par un autre administrateur (code « {} », libellé « {} ») : rien n'a été enregistré. Vérifiez la ligne et enregistrez de nouveau.",
                cur.code, cur.label
            )));
        }
        let code_changed = code != cur.code;
        let national_new = (!national.is_empty()).then(|| national.to_owned());
        let national_changed = table.has_national_code() && national_new != cur.national_code;
        let label_changed = label != cur.label;
        let mut errors = Errors::default();
        if code_changed {
            if let Some(why) = cur.code_locked(table) {
                errors.push("code", "Code", why);
            } else {
                check_code(&mut errors, code);
            }
        }
        if label_changed {
            check_label(&mut errors, label);
        }
        if national_changed {
            check_national_code(&mut errors, national);
        }
        let others: Vec<AdminValue> = values.into_iter().filter(|v| v.id != id).collect();
        check_unique(
            &mut errors,
            &others,
            code_changed.then_some(code),
            (label.to_lowercase() != cur.label.to_lowercase()).then_some((label, cur.territory_id)),
        );
        if !errors.is_empty() {
            errors.into_result()?;
        }
        if !code_changed && !label_changed && !national_changed {
            return Ok(false);
        }
        let mut fields = Vec::new();
        if code_changed {
            fields.push("code");
        }
        if label_changed {
            fields.push("label");
        }
        if national_changed {
            fields.push("national_code");
        }
        let res = if table.has_national_code() {
            exec(
                &txn,
                "UPDATE param_value SET code = $1, label = $2, national_code = $3 WHERE id = $4",
                vals![code, label, national_new, id],
            )
            .await
        } else {
            exec(
                &txn,
                &format!(
                    "UPDATE {} SET code = $1, label = $2 WHERE id = $3",
                    table.sql_table()
                ),
                vals![code, label, id],
            )
            .await
        };
        match res {
            Ok(_) => {}
            Err(e) if e.is_unique_violation() => {
                return Err(DomainError::field(
                    "code",
                    "Code",
                    format!("le code « {code} » existe déjà dans cette table."),
                )
                .into());
            }
            Err(e) => return Err(e),
        }
        let mut d = format!("{} champs={}", detail(table, code), fields.join(","));
        if code_changed {
            d.push_str(&format!(" ancien_code={}", cur.code));
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.modification")
                .on(table.sql_table(), id)
                .detail(d),
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Moves a value one place up or down in its table (the table is renumbered 10, 20, …).
    pub async fn admin_move(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
        dir: Direction,
    ) -> Result<()> {
        let txn = self.write().await?;
        let values = values_of(&txn, table, true).await?;
        let at = values
            .iter()
            .position(|v| v.id == id)
            .ok_or(StoreError::NotFound)?;
        let cur = &values[at];
        if table.closed() {
            return Err(rule(format!(
                "« {} » ne peut pas être déplacée : l'ordre des statuts est fixe.",
                cur.label
            )));
        }
        let other = match dir {
            Direction::Up if at > 0 => at - 1,
            Direction::Down if at + 1 < values.len() => at + 1,
            Direction::Up => {
                return Err(rule(format!(
                    "« {} » est déjà en première position.",
                    cur.label
                )));
            }
            Direction::Down => {
                return Err(rule(format!(
                    "« {} » est déjà en dernière position.",
                    cur.label
                )));
            }
        };
        let mut ids: Vec<i64> = values.iter().map(|v| v.id).collect();
        ids.swap(at, other);
        let update = format!(
            "UPDATE {} SET sort_order = $1 WHERE id = $2",
            table.sql_table()
        );
        for (i, vid) in ids.iter().enumerate() {
            let order = (i as i64 + 1) * 10;
            let was = values.iter().find(|v| v.id == *vid).map(|v| v.sort_order);
            if was != Some(order) {
                exec(&txn, &update, vals![order, *vid]).await?;
            }
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.deplacement")
                .on(table.sql_table(), id)
                .detail(format!("{} sens={}", detail(table, &cur.code), dir.code())),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deactivates (gone from new entries, still shown on old dossiers) or reactivates a value.
    pub async fn admin_set_active(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
        active: bool,
    ) -> Result<()> {
        let txn = self.write().await?;
        let (cur, values) = value_for_update(&txn, table, id).await?;
        if cur.active == active {
            return Err(rule(format!(
                "« {} » est déjà {}.",
                cur.label,
                if active { "active" } else { "désactivée" }
            )));
        }
        if !active {
            if table.closed() {
                return Err(rule(format!(
                    "« {} » ne peut pas être désactivée : la liste des statuts est fixe.",
                    cur.label
                )));
            }
            if let Some(m) = cur.meaning
                && meaning_required(m)
                && !values
                    .iter()
                    .any(|v| v.id != id && v.active && v.meaning == Some(m))
            {
                return Err(rule(format!(
                    "« {} » ne peut pas être désactivée : c'est la seule valeur active qui signifie « {} », que la CRIP doit toujours pouvoir saisir. Ajoutez d'abord une autre valeur de même signification.",
                    cur.label,
                    meaning_label(m)
                )));
            }
        }
        exec(
            &txn,
            &format!("UPDATE {} SET active = $1 WHERE id = $2", table.sql_table()),
            vals![active, id],
        )
        .await?;
        let action = if active {
            "parametre.reactivation"
        } else {
            "parametre.desactivation"
        };
        self.append(
            &txn,
            now,
            actor,
            Event::new(action)
                .on(table.sql_table(), id)
                .detail(detail(table, &cur.code)),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes a value that nothing uses and that carries no meaning.
    pub async fn admin_delete(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let (cur, _) = value_for_update(&txn, table, id).await?;
        if let Some(why) = cur.undeletable(table) {
            return Err(rule(why));
        }
        match exec(
            &txn,
            &format!("DELETE FROM {} WHERE id = $1", table.sql_table()),
            vals![id],
        )
        .await
        {
            Ok(_) => {}
            // A reference this module does not count (the schema test should prevent it):
            // refused all the same, nothing written.
            Err(StoreError::Db(e))
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
                ) =>
            {
                return Err(rule(format!(
                    "« {} » est encore référencée : elle ne peut pas être supprimée, seulement désactivée.",
                    cur.label
                )));
            }
            Err(e) => return Err(e),
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.suppression")
                .on(table.sql_table(), id)
                .detail(detail(table, &cur.code)),
        )
        .await?;
        txn.commit().await?;
        Ok(())
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
            .collect();
        v.sort();
        v.dedup();
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_codes_round_trip_and_are_unique() {
        let all = Table::all();
        assert_eq!(all.len(), ParamKind::ALL.len() + 2);
        for t in &all {
            assert_eq!(Table::parse(t.code()), Some(*t));
        }
        let mut codes: Vec<&str> = all.iter().map(|t| t.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(Table::parse("inconnue"), None);
    }

    #[test]
    fn usage_is_said_in_french() {
        assert_eq!(Usage::default().describe(), "non utilisée");
        let u = Usage {
            dossiers: 1,
            services: 2,
            users: 0,
        };
        assert_eq!(u.describe(), "1 dossier, 2 services");
        assert!(u.in_use());
    }

    #[test]
    fn codes_and_labels_are_checked() {
        let mut e = Errors::default();
        check_code(&mut e, "VIOL-PHYS_2");
        check_label(&mut e, "Violences physiques");
        check_national_code(&mut e, "");
        check_national_code(&mut e, "1.2");
        assert!(e.is_empty());
        for bad in ["", "avec espace", "éé", &"X".repeat(CODE_MAX + 1)] {
            let mut e = Errors::default();
            check_code(&mut e, bad);
            let err = e.into_result().unwrap_err();
            assert_eq!(err.fields()[0].field, "code", "{bad}");
        }
        let mut e = Errors::default();
        check_label(&mut e, "deux\nlignes");
        assert!(!e.is_empty());
    }
}
