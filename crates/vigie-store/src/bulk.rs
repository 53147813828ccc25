//! Inserting dossiers, one or many at a time, with a fixed number of statements per
//! batch: ids are reserved first (inside the write transaction, which holds the write
//! lock on SQLite; from the identity sequences on PostgreSQL), then each table gets
//! multi-row inserts. One code path for a single dossier (the agent's save) and for
//! bulk loads (demo data): the cost of a load is the number of round trips, not rows.

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use sea_orm::{DatabaseTransaction, Value};
use vigie_domain::{AssignmentInput, DomainError, DossierInput, DossierNumber};

use crate::audit::Actor;
use crate::columns::{
    HEADER_COLUMNS, adult_vals, assignment_vals, child_vals, follow_up_vals, header_vals,
    person_vals, source_vals,
};
use crate::name_keys::{adult_keys, insert_keys, person_keys};
use crate::sql::{Sql, all_sql, get, one};
use crate::{Result, StoreError, vals};

/// What was inserted for one dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    pub id: i64,
    pub number: DossierNumber,
    /// The person id of each child, in order.
    pub person_ids: Vec<i64>,
}

/// Reserves `n` new ids of `table` (a constant of this module).
async fn reserve_ids(txn: &DatabaseTransaction, table: &'static str, n: usize) -> Result<Vec<i64>> {
    crate::backend::reserve_ids(txn, table, n).await
}

/// Inserts `rows` with `head`, `INSERT INTO table (columns)` (see
/// [`crate::backend::insert_rows`]); a child named twice in a dossier is the user's error.
async fn insert_rows(txn: &DatabaseTransaction, head: &str, rows: Vec<Vec<Value>>) -> Result<()> {
    match crate::backend::insert_rows(txn, head, rows).await {
        Err(e) if e.is_unique_violation() && head.contains("dossier_child") => {
            Err(DomainError::field(
                "children",
                "Enfant",
                "cet enfant figure deux fois dans le dossier.",
            )
            .into())
        }
        r => r,
    }
}

/// Checks one dossier's internal references; field names as in [`DossierInput::validate`].
fn check_links(d: &DossierInput, existing: &[i64]) -> Result<(), DomainError> {
    let n_adults = d.adults.len() as i64;
    let known = |ix: i64| (0..n_adults).contains(&ix);
    for (pos, c) in d.children.iter().enumerate() {
        if let Some(pid) = c.person_id {
            if !existing.contains(&pid) {
                return Err(DomainError::field(
                    &format!("children[{pos}].person_id"),
                    "Ancien dossier",
                    "la personne liée n'existe pas.",
                ));
            }
            if d.children[..pos].iter().any(|o| o.person_id == Some(pid)) {
                return Err(DomainError::field(
                    &format!("children[{pos}].person_id"),
                    "Enfant",
                    "cet enfant figure deux fois dans le dossier.",
                ));
            }
        }
        if c.adults.iter().any(|l| !known(l.adult)) {
            return Err(DomainError::field(
                &format!("children[{pos}].adults"),
                "Parents",
                "parent inconnu.",
            ));
        }
        if c.authors
            .iter()
            .any(|au| au.adult.is_some_and(|ix| !known(ix)))
        {
            return Err(DomainError::field(
                &format!("children[{pos}].authors"),
                "Auteur présumé",
                "parent inconnu.",
            ));
        }
    }
    Ok(())
}

/// Inserts assignments `(dossier id, assignment)` and their evaluators; returns their ids.
pub(crate) async fn insert_assignments(
    txn: &DatabaseTransaction,
    items: &[(i64, &AssignmentInput)],
) -> Result<Vec<i64>> {
    let ids = reserve_ids(txn, "assignment", items.len()).await?;
    let mut rows = Vec::with_capacity(items.len());
    let mut evaluators = Vec::new();
    for (&aid, (dossier_id, a)) in ids.iter().zip(items) {
        let mut v = vals![aid, *dossier_id];
        v.extend(assignment_vals(a));
        rows.push(v);
        evaluators.extend(
            a.evaluators
                .iter()
                .enumerate()
                .map(|(pos, name)| vals![aid, pos as i64, name.clone()]),
        );
    }
    insert_rows(
        txn,
        "INSERT INTO assignment (id, dossier_id, service_id, asked_on, due_on, returned_on, result_id, cancelled, comment)",
        rows,
    )
    .await?;
    insert_rows(
        txn,
        "INSERT INTO assignment_evaluator (assignment_id, position, name)",
        evaluators,
    )
    .await?;
    Ok(ids)
}

/// Inserts dossiers (already validated against the domain and the catalog) in one
/// transaction, with a fixed number of statements whatever their number.
pub(crate) async fn insert_dossiers(
    txn: &DatabaseTransaction,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    actor: &Actor,
    ds: &[&DossierInput],
) -> Result<Vec<Inserted>> {
    if ds.is_empty() {
        return Ok(vec![]);
    }
    check_persons_and_links(txn, ds).await?;
    let received: Vec<DateTime<Utc>> = ds
        .iter()
        .map(|d| d.header.received_at.trunc_subsecs(0))
        .collect();
    let numbers = assign_numbers(txn, tz, &received).await?;
    let mut ids = Reserved::reserve(txn, ds).await?;
    let mut rows = Rows::default();
    let mut out = Vec::with_capacity(ds.len());
    for (i, d) in ds.iter().enumerate() {
        let id = ids.dossiers[i];
        let number = numbers[i].ok_or(StoreError::NotFound)?;
        rows.push_dossier(id, number, d, actor, now);
        let these_adults = rows.push_adults(&mut ids, id, d)?;
        let person_ids = rows.push_children(&mut ids, id, d, &these_adults, now)?;
        rows.push_assignments_and_follow_ups(id, d);
        out.push(Inserted {
            id,
            number,
            person_ids,
        });
    }
    rows.insert(txn).await?;
    Ok(out)
}

/// Linked persons must exist; links inside each dossier must point to its adults.
async fn check_persons_and_links(txn: &DatabaseTransaction, ds: &[&DossierInput]) -> Result<()> {
    let mut linked: Vec<i64> = ds
        .iter()
        .flat_map(|d| d.children.iter().filter_map(|c| c.person_id))
        .collect();
    linked.sort_unstable();
    linked.dedup();
    let mut existing = Vec::new();
    for chunk in linked.chunks(crate::backend::MAX_PARAMS) {
        let mut q = Sql::new("SELECT id FROM person WHERE id IN ");
        q.bind_list(chunk);
        existing.extend(
            all_sql(txn, &q)
                .await?
                .iter()
                .map(|r| get::<i64>(r, "id"))
                .collect::<Result<Vec<_>>>()?,
        );
    }
    for d in ds {
        check_links(d, &existing)?;
    }
    Ok(())
}

/// Numbers: per year of reception (local time, from `received`), in the order given.
async fn assign_numbers(
    txn: &DatabaseTransaction,
    tz: chrono_tz::Tz,
    received: &[DateTime<Utc>],
) -> Result<Vec<Option<DossierNumber>>> {
    let years: Vec<i32> = received
        .iter()
        .map(|r| r.with_timezone(&tz).year())
        .collect();
    let mut numbers: Vec<Option<DossierNumber>> = vec![None; received.len()];
    let mut distinct = years.clone();
    distinct.sort_unstable();
    distinct.dedup();
    for y in distinct {
        let count = years.iter().filter(|x| **x == y).count() as i64;
        let r = one(
            txn,
            "INSERT INTO dossier_counter (year, last_seq) VALUES ($1, $2)
             ON CONFLICT (year) DO UPDATE SET last_seq = dossier_counter.last_seq + $2 RETURNING last_seq",
            vals![i64::from(y), count],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut seq = get::<i64>(&r, "last_seq")? - count;
        for (i, _) in years.iter().enumerate().filter(|(_, x)| **x == y) {
            seq += 1;
            numbers[i] = Some(
                u32::try_from(seq)
                    .ok()
                    .and_then(|s| DossierNumber::new(y, s))
                    .ok_or_else(|| {
                        StoreError::Config(format!("plus de numéro de dossier disponible pour {y}"))
                    })?,
            );
        }
    }
    Ok(numbers)
}

/// The ids reserved for a batch: one per dossier, adult, new person and child.
struct Reserved {
    dossiers: Vec<i64>,
    adults: std::vec::IntoIter<i64>,
    new_persons: std::vec::IntoIter<i64>,
    children: std::vec::IntoIter<i64>,
}

impl Reserved {
    /// Reserves every id the dossiers `ds` need.
    async fn reserve(txn: &DatabaseTransaction, ds: &[&DossierInput]) -> Result<Self> {
        let n_adults: usize = ds.iter().map(|d| d.adults.len()).sum();
        let n_children: usize = ds.iter().map(|d| d.children.len()).sum();
        let n_new_persons: usize = ds
            .iter()
            .flat_map(|d| &d.children)
            .filter(|c| c.person_id.is_none())
            .count();
        let dossiers = reserve_ids(txn, "dossier", ds.len()).await?;
        let adults = reserve_ids(txn, "adult", n_adults).await?.into_iter();
        let new_persons = reserve_ids(txn, "person", n_new_persons).await?.into_iter();
        let children = reserve_ids(txn, "dossier_child", n_children)
            .await?
            .into_iter();
        Ok(Self {
            dossiers,
            adults,
            new_persons,
            children,
        })
    }
}

/// The rows of each table for a batch, inserted together by [`Rows::insert`].
#[derive(Default)]
struct Rows<'a> {
    dossiers: Vec<Vec<Value>>,
    sources: Vec<Vec<Value>>,
    adults: Vec<Vec<Value>>,
    persons: Vec<Vec<Value>>,
    /// `person_key` and `adult_key` rows: (key, id).
    keys: Vec<(String, i64)>,
    adult_keys: Vec<(String, i64)>,
    children: Vec<Vec<Value>>,
    links: Vec<Vec<Value>>,
    authors: Vec<Vec<Value>>,
    motifs: Vec<Vec<Value>>,
    assignments: Vec<(i64, &'a AssignmentInput)>,
    follow_ups: Vec<Vec<Value>>,
}

impl<'a> Rows<'a> {
    /// The dossier row and its source.
    fn push_dossier(
        &mut self,
        id: i64,
        number: DossierNumber,
        d: &DossierInput,
        actor: &Actor,
        now: DateTime<Utc>,
    ) {
        let mut v = vals![id, number.to_string()];
        v.extend(header_vals(&d.header));
        v.extend(vals![actor.user_id, now, actor.user_id, now]);
        self.dossiers.push(v);
        let s = &d.source;
        let mut v = vals![id];
        v.extend(source_vals(s));
        self.sources.push(v);
    }

    /// The adults of dossier `id`; returns their ids, in order.
    fn push_adults(&mut self, ids: &mut Reserved, id: i64, d: &DossierInput) -> Result<Vec<i64>> {
        let mut these_adults = Vec::with_capacity(d.adults.len());
        for (pos, a) in d.adults.iter().enumerate() {
            let aid = ids.adults.next().ok_or(StoreError::NotFound)?;
            these_adults.push(aid);
            let mut v = vals![aid, id, pos as i64];
            v.extend(adult_vals(a));
            self.adults.push(v);
            self.adult_keys
                .extend(adult_keys(a).into_iter().map(|k| (k, aid)));
        }
        Ok(these_adults)
    }

    /// The children of dossier `id` (new persons with their keys, links to the adults
    /// `these_adults`, authors, motifs); returns the person id of each child.
    fn push_children(
        &mut self,
        ids: &mut Reserved,
        id: i64,
        d: &DossierInput,
        these_adults: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let adult_id = |ix: i64| {
            usize::try_from(ix)
                .ok()
                .and_then(|i| these_adults.get(i).copied())
        };
        let mut person_ids = Vec::with_capacity(d.children.len());
        for (pos, c) in d.children.iter().enumerate() {
            let pid = match c.person_id {
                Some(pid) => pid,
                None => self.push_new_person(ids, &c.person, now)?,
            };
            person_ids.push(pid);
            let cid = ids.children.next().ok_or(StoreError::NotFound)?;
            let mut v = vals![cid, id, pid, pos as i64];
            v.extend(child_vals(c));
            self.children.push(v);
            for l in &c.adults {
                if let Some(a) = adult_id(l.adult) {
                    self.links
                        .push(vals![cid, a, l.link_id, l.parental_authority]);
                }
            }
            for au in &c.authors {
                self.authors.push(vals![
                    cid,
                    au.adult.and_then(adult_id),
                    au.third_party_name.clone(),
                    au.link_id
                ]);
            }
            let mut m = c.motif_ids.clone();
            m.sort_unstable();
            m.dedup();
            self.motifs.extend(m.into_iter().map(|m| vals![cid, m]));
        }
        Ok(person_ids)
    }

    /// A new person with its search keys; returns its id.
    fn push_new_person(
        &mut self,
        ids: &mut Reserved,
        p: &vigie_domain::Person,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let pid = ids.new_persons.next().ok_or(StoreError::NotFound)?;
        let mut v = vals![pid];
        v.extend(person_vals(p));
        v.extend(vals![now, now]);
        self.persons.push(v);
        self.keys
            .extend(person_keys(p).into_iter().map(|k| (k, pid)));
        Ok(pid)
    }

    /// The assignments and follow-ups of dossier `id`.
    fn push_assignments_and_follow_ups(&mut self, id: i64, d: &'a DossierInput) {
        self.assignments
            .extend(d.assignments.iter().map(|a| (id, a)));
        self.follow_ups
            .extend(d.follow_ups.iter().map(|f| follow_up_vals(id, f)));
    }

    /// Inserts every table's rows, parents before children.
    async fn insert(self, txn: &DatabaseTransaction) -> Result<()> {
        insert_rows(
            txn,
            &format!(
                "INSERT INTO dossier (id, number, {}, created_by, created_at, updated_by, updated_at)",
                HEADER_COLUMNS.join(", ")
            ),
            self.dossiers,
        )
        .await?;
        insert_rows(
            txn,
            "INSERT INTO dossier_source (dossier_id, category_id, confidentiality, name, organisation, addr_number, addr_street,
            addr_complement, addr_postal_code, addr_insee, addr_city, email, phone)",
            self.sources,
        )
        .await?;
        insert_rows(
            txn,
            "INSERT INTO adult (id, dossier_id, position, civility_id, birth_name, usage_name, first_names, addr_number, addr_street,
            addr_complement, addr_postal_code, addr_insee, addr_city, phone, email)",
            self.adults,
        )
        .await?;
        insert_rows(
            txn,
            "INSERT INTO person (id, birth_name, usage_name, first_names, sex, birth_precision, birth_date, birth_year, created_at, updated_at)",
            self.persons,
        )
        .await?;
        insert_keys(txn, "person_key", &self.keys).await?;
        insert_keys(txn, "adult_key", &self.adult_keys).await?;
        insert_rows(
            txn,
            "INSERT INTO dossier_child (id, dossier_id, person_id, position, addr_number, addr_street, addr_complement, addr_postal_code,
            addr_insee, addr_city, csp_father_id, csp_mother_id, lieu_de_vie_id, comment, evaluation_result_id, conclusion_id,
            conclusion_on, conclusion_comment)",
            self.children,
        )
        .await?;
        insert_rows(
            txn,
            "INSERT INTO child_adult (child_id, adult_id, link_id, parental_authority)",
            self.links,
        )
        .await?;
        insert_rows(
            txn,
            "INSERT INTO child_author (child_id, adult_id, third_party_name, link_id)",
            self.authors,
        )
        .await?;
        insert_rows(
            txn,
            "INSERT INTO child_motif (child_id, motif_id)",
            self.motifs,
        )
        .await?;
        insert_assignments(txn, &self.assignments).await?;
        insert_rows(
            txn,
            "INSERT INTO follow_up (dossier_id, kind, done_at, not_done_reason, due_on)",
            self.follow_ups,
        )
        .await?;
        Ok(())
    }
}
