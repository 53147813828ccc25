//! Inserting dossiers, one or many at a time, with a fixed number of statements per
//! batch: ids are reserved first (inside the write transaction, which holds the write
//! lock on SQLite; from the identity sequences on PostgreSQL), then each table gets
//! multi-row inserts. One code path for a single dossier (the agent's save) and for
//! bulk loads (demo data): the cost of a load is the number of round trips, not rows.

use crate::stats::counter;
use chrono::{DateTime, Datelike, SubsecRound, Utc};
use sea_orm::{DatabaseTransaction, Value};
use vigie_domain::{AssignmentInput, DomainError, DossierInput, DossierNumber};

use crate::audit::Actor;
use crate::columns::{
    HEADER_COLUMNS, adult_vals, assignment_vals, child_vals, follow_up_vals, header_vals,
    person_vals, source_vals,
};
use crate::name_keys::{Vocabulary, adult_keys, insert_keys, person_keys};
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
    let mut rows = AssignmentRows::default();
    for (&aid, (dossier_id, a)) in ids.iter().zip(items) {
        rows.push(aid, *dossier_id, a);
    }
    rows.insert(txn).await?;
    Ok(ids)
}

/// The rows of assignments and of their evaluators.
#[derive(Default)]
struct AssignmentRows {
    assignments: Vec<Vec<Value>>,
    evaluators: Vec<Vec<Value>>,
}

impl AssignmentRows {
    /// Assignment `aid` of dossier `dossier_id`.
    fn push(&mut self, aid: i64, dossier_id: i64, a: &AssignmentInput) {
        let mut v = vals![aid, dossier_id];
        v.extend(assignment_vals(a));
        self.assignments.push(v);
        self.evaluators.extend(
            a.evaluators
                .iter()
                .enumerate()
                .map(|(pos, name)| vals![aid, pos as i64, name.clone()]),
        );
    }

    async fn insert(self, txn: &DatabaseTransaction) -> Result<()> {
        insert_rows(
            txn,
            "INSERT INTO assignment (id, dossier_id, service_id, asked_on, due_on, returned_on, result_id, cancelled, comment)",
            self.assignments,
        )
        .await?;
        insert_rows(
            txn,
            "INSERT INTO assignment_evaluator (assignment_id, position, name)",
            self.evaluators,
        )
        .await
    }
}

/// Inserts dossiers (already validated against the domain and the catalog) in one
/// transaction, with a fixed number of statements whatever their number, and counts them
/// in the statistics' counters.
pub(crate) async fn insert_dossiers(
    txn: &DatabaseTransaction,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    actor: &Actor,
    ds: &[&DossierInput],
) -> Result<Vec<Inserted>> {
    // The dossiers of the persons linked count again: whether a child was already known
    // may change with a dossier received before theirs (`crate::stats::counter`).
    let persons: Vec<i64> = ds
        .iter()
        .flat_map(|d| d.children.iter().filter_map(|c| c.person_id))
        .collect();
    let linked = counter::related(txn, None, &persons).await?;
    let counted = counter::before(txn, tz, linked).await?;
    let prepared = prepare(txn, tz, ds, Links::Checked).await?;
    let (rows, out) = prepared.build(ds, actor, now)?;
    rows.insert(txn, &mut Vocabulary::default()).await?;
    let ids: Vec<i64> = out.iter().map(|i| i.id).collect();
    counter::refresh(txn, tz, counted, &ids).await?;
    Ok(out)
}

/// Where the persons the children of a batch link to come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// Chosen by a user: each must exist in the database.
    Checked,
    /// Created by earlier batches of the same load (the demo generator's), whose rows are
    /// written before this batch's: nothing to read (on PostgreSQL, the bulk load checks
    /// every foreign key at its end).
    FromThisLoad,
}

/// A batch whose numbers and ids are reserved: what the database must say before its rows
/// can be built ([`Prepared::build`], no database needed: a load builds a batch while the
/// previous one is written).
pub(crate) struct Prepared {
    numbers: Vec<Option<DossierNumber>>,
    ids: Reserved,
}

/// Checks the links of dossiers `ds` and reserves their numbers and ids.
pub(crate) async fn prepare(
    txn: &DatabaseTransaction,
    tz: chrono_tz::Tz,
    ds: &[&DossierInput],
    links: Links,
) -> Result<Prepared> {
    check_persons_and_links(txn, ds, links).await?;
    let received: Vec<DateTime<Utc>> = ds
        .iter()
        .map(|d| d.header.received_at.trunc_subsecs(0))
        .collect();
    let numbers = assign_numbers(txn, tz, &received).await?;
    let ids = Reserved::reserve(txn, ds).await?;
    Ok(Prepared { numbers, ids })
}

impl Prepared {
    /// The rows of dossiers `ds` (those given to [`prepare`]), and what each got.
    pub(crate) fn build(
        mut self,
        ds: &[&DossierInput],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Rows, Vec<Inserted>)> {
        let mut rows = Rows::default();
        let mut out = Vec::with_capacity(ds.len());
        for (i, d) in ds.iter().enumerate() {
            let id = self.ids.dossiers[i];
            let number = self.numbers[i].ok_or(StoreError::NotFound)?;
            rows.push_dossier(id, number, d, actor, now);
            let these_adults = rows.push_adults(&mut self.ids, id, d)?;
            let person_ids = rows.push_children(&mut self.ids, id, d, &these_adults, now)?;
            rows.push_assignments_and_follow_ups(&mut self.ids, id, d)?;
            rows.milestones.push((
                id,
                vigie_domain::dossier::milestones::Milestones::inferred(d, now),
            ));
            out.push(Inserted {
                id,
                number,
                person_ids,
            });
        }
        Ok((rows, out))
    }
}

/// Linked persons must exist; links inside each dossier must point to its adults.
async fn check_persons_and_links(
    txn: &DatabaseTransaction,
    ds: &[&DossierInput],
    links: Links,
) -> Result<()> {
    let mut linked: Vec<i64> = ds
        .iter()
        .flat_map(|d| d.children.iter().filter_map(|c| c.person_id))
        .collect();
    linked.sort_unstable();
    linked.dedup();
    let existing = match links {
        Links::FromThisLoad => linked,
        Links::Checked => existing_persons(txn, &linked).await?,
    };
    for d in ds {
        check_links(d, &existing)?;
    }
    Ok(())
}

/// Those of the persons `ids` that exist.
async fn existing_persons(txn: &DatabaseTransaction, ids: &[i64]) -> Result<Vec<i64>> {
    let mut existing = Vec::new();
    for chunk in ids.chunks(crate::backend::MAX_PARAMS) {
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
    Ok(existing)
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
    assignments: std::vec::IntoIter<i64>,
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
        let n_assignments: usize = ds.iter().map(|d| d.assignments.len()).sum();
        let assignments = reserve_ids(txn, "assignment", n_assignments)
            .await?
            .into_iter();
        Ok(Self {
            dossiers,
            adults,
            new_persons,
            children,
            assignments,
        })
    }
}

/// The rows of each table for a batch, inserted together by [`Rows::insert`].
#[derive(Default)]
pub(crate) struct Rows {
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
    assignments: AssignmentRows,
    follow_ups: Vec<Vec<Value>>,
    /// The milestones of dossiers created past « reçue », inferred from their data.
    milestones: Vec<(i64, vigie_domain::dossier::milestones::Milestones)>,
}

impl Rows {
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
    fn push_assignments_and_follow_ups(
        &mut self,
        ids: &mut Reserved,
        id: i64,
        d: &DossierInput,
    ) -> Result<()> {
        for a in &d.assignments {
            let aid = ids.assignments.next().ok_or(StoreError::NotFound)?;
            self.assignments.push(aid, id, a);
        }
        self.follow_ups
            .extend(d.follow_ups.iter().map(|f| follow_up_vals(id, f)));
        Ok(())
    }

    /// Inserts every table's rows, parents before children.
    pub(crate) async fn insert(
        self,
        txn: &DatabaseTransaction,
        vocabulary: &mut Vocabulary,
    ) -> Result<()> {
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
        insert_keys(txn, "person_key", &self.keys, vocabulary).await?;
        insert_keys(txn, "adult_key", &self.adult_keys, vocabulary).await?;
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
        self.assignments.insert(txn).await?;
        insert_rows(
            txn,
            "INSERT INTO follow_up (dossier_id, kind, done_at, not_done_reason, due_on)",
            self.follow_ups,
        )
        .await?;
        crate::milestones::insert_new(txn, &self.milestones).await?;
        Ok(())
    }
}
