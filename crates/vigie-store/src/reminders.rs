//! Reminders of overdue evaluations (« Relancer les services »): the assignments a batch may
//! remind, the batch recorded in one transaction (its letters stored with each dossier concerned,
//! one reminder per assignment and per day, audited), and the batch read back for its page.
//!
//! The letter to a service lists every dossier of the service that is overdue: a territorial
//! évaluateur reading one of them must not learn the others, so the letters are stored
//! confidential (only the CRIP's roles, which see every dossier, read them).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use vigie_domain::{DossierNumber, Person, Scope};

use crate::audit::{Actor, Event};
use crate::backend::for_update;
use crate::db::Store;
use crate::documents::NewDocument;
use crate::due::OPEN_ASSIGNMENT;
use crate::persons::person_from;
use crate::sql::{Sql, all_sql, exec, get, one, scope_filter};
use crate::{Result, StoreError, vals};

/// The channel of a reminder sent by the batch's letters.
pub const CHANNEL_LETTER: &str = "courrier";

/// An overdue evaluation not yet reminded on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub assignment_id: i64,
    pub dossier_id: i64,
    pub dossier_number: DossierNumber,
    pub received_at: DateTime<Utc>,
    pub service_id: i64,
    pub service_label: String,
    pub asked_on: NaiveDate,
    pub due_on: NaiveDate,
    /// The dossier's children, in their order.
    pub children: Vec<Person>,
}

/// A service's letter of a batch, to store with each of its dossiers.
#[derive(Debug, Clone)]
pub struct NewReminderLetter<'a> {
    pub service_id: i64,
    pub service_label: String,
    /// The assignments it reminds: (assignment, its dossier).
    pub assignments: Vec<(i64, i64)>,
    /// `relance-groupee`'s version, as letters record it.
    pub template_version: String,
    pub file_name: String,
    pub media_type: String,
    pub bytes: &'a [u8],
    /// The letter as PDF, when LibreOffice made it.
    pub pdf: Option<&'a [u8]>,
}

/// A batch to record.
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    /// The day the reminders count for (in the configured time zone).
    pub reminded_on: NaiveDate,
    /// The Échéances filter it was run with.
    pub territory_id: Option<i64>,
    pub service_id: Option<i64>,
    /// `docx` or `odt`.
    pub format: &'a str,
    pub letters: Vec<NewReminderLetter<'a>>,
}

/// A recorded batch, for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: i64,
    pub made_at: DateTime<Utc>,
    pub made_by_name: Option<String>,
    pub reminded_on: NaiveDate,
    pub territory_label: Option<String>,
    pub service_label: Option<String>,
    pub format: String,
    /// One per service, by service name.
    pub letters: Vec<BatchLetter>,
}

/// A service's letter in a recorded batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLetter {
    pub service_id: i64,
    pub service_label: String,
    /// The dossiers reminded: (id, number), by number.
    pub dossiers: Vec<(i64, DossierNumber)>,
    /// The evaluations reminded (a dossier may have two with the service).
    pub evaluations: usize,
    /// The letter as stored with the first dossier whose copy was not removed (every copy is
    /// the same file).
    pub document_id: Option<i64>,
    pub pdf_document_id: Option<i64>,
}

/// The title of a service's letter in the dossiers' documents.
pub fn letter_title(service_label: &str) -> String {
    format!("Relance groupée des évaluations — {service_label}")
}

fn stale() -> StoreError {
    StoreError::Stale(
        "Une évaluation a changé ou a été relancée entre-temps : rien n'a été enregistré, \
         rechargez la page des échéances et relancez."
            .into(),
    )
}

impl Store {
    /// The open evaluations within `scope` overdue at `today` (due before it) and not yet
    /// reminded on `today`, filtered like the Échéances page; by service name, due date, number.
    pub async fn overdue_to_remind(
        &self,
        scope: &Scope,
        today: NaiveDate,
        territory_id: Option<i64>,
        service_id: Option<i64>,
    ) -> Result<Vec<Overdue>> {
        let mut q = Sql::new(
            "SELECT a.id AS assignment_id, d.id AS dossier_id, d.number, d.received_at, \
             a.service_id, s.label AS service_label, a.asked_on, a.due_on \
             FROM assignment a JOIN dossier d ON d.id = a.dossier_id \
             JOIN service s ON s.id = a.service_id \
             WHERE ",
        );
        q.push(OPEN_ASSIGNMENT).push(" AND a.due_on < ");
        q.bind(today).push(
            " AND NOT EXISTS (SELECT 1 FROM assignment_reminder r WHERE r.assignment_id = a.id \
             AND r.service_id = a.service_id AND r.reminded_on = ",
        );
        q.bind(today).push(")");
        if let Some(t) = territory_id {
            q.push(" AND d.territory_id = ").bind(t);
        }
        if let Some(s) = service_id {
            q.push(" AND a.service_id = ").bind(s);
        }
        q.push(" AND ");
        scope_filter(&mut q, scope, "d");
        q.push(" ORDER BY s.label, a.service_id, a.due_on, d.number, a.id");
        let mut out = Vec::new();
        for r in all_sql(&self.db, &q).await? {
            let number: String = get(&r, "number")?;
            out.push(Overdue {
                assignment_id: get(&r, "assignment_id")?,
                dossier_id: get(&r, "dossier_id")?,
                dossier_number: number.parse().map_err(StoreError::Config)?,
                received_at: get(&r, "received_at")?,
                service_id: get(&r, "service_id")?,
                service_label: get(&r, "service_label")?,
                asked_on: get(&r, "asked_on")?,
                due_on: get(&r, "due_on")?,
                children: Vec::new(),
            });
        }
        let mut ids: Vec<i64> = out.iter().map(|o| o.dossier_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let children = self.children_of(&ids).await?;
        for o in &mut out {
            o.children = children.get(&o.dossier_id).cloned().unwrap_or_default();
        }
        Ok(out)
    }

    /// The children of dossiers, by dossier, in their order (one query per 500 dossiers).
    async fn children_of(&self, ids: &[i64]) -> Result<BTreeMap<i64, Vec<Person>>> {
        let mut out: BTreeMap<i64, Vec<Person>> = BTreeMap::new();
        for group in ids.chunks(500) {
            let mut q = Sql::new(
                "SELECT c.dossier_id, p.birth_name, p.usage_name, p.first_names, p.sex, \
                 p.birth_precision, p.birth_date FROM dossier_child c \
                 JOIN person p ON p.id = c.person_id WHERE c.dossier_id IN ",
            );
            q.bind_list(group)
                .push(" ORDER BY c.dossier_id, c.position");
            for r in all_sql(&self.db, &q).await? {
                out.entry(get(&r, "dossier_id")?)
                    .or_default()
                    .push(person_from(&r)?);
            }
        }
        Ok(out)
    }

    /// Records a batch in one transaction: each letter stored (with its PDF) in every dossier
    /// it names, confidential, one reminder per assignment for the day, one audit entry for the
    /// batch besides each document's. An assignment returned, cancelled, moved to another
    /// service or reminded meanwhile refuses the whole batch ([`StoreError::Stale`]).
    pub async fn record_reminder_batch(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        batch: &NewBatch<'_>,
    ) -> Result<i64> {
        let txn = self.write().await?;
        let row = one(
            &txn,
            "INSERT INTO reminder_batch (made_by, made_at, reminded_on, territory_id, service_id, format) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vals![
                actor.user_id,
                now,
                batch.reminded_on,
                batch.territory_id,
                batch.service_id,
                batch.format
            ],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let batch_id: i64 = get(&row, "id")?;
        let docs = self
            .store_letters(&txn, now, actor, scope, &batch.letters)
            .await?;
        let mut reminded = 0usize;
        for (n, letter) in batch.letters.iter().enumerate() {
            for (assignment_id, dossier_id) in &letter.assignments {
                // Locked until the commit (PostgreSQL): returned or moved meanwhile, it waits.
                let open = one(
                    &txn,
                    &format!(
                        "SELECT a.id FROM assignment a WHERE a.id = $1 AND a.dossier_id = $2 \
                         AND a.service_id = $3 AND {OPEN_ASSIGNMENT} AND a.due_on < $4{}",
                        for_update(&txn)
                    ),
                    vals![
                        *assignment_id,
                        *dossier_id,
                        letter.service_id,
                        batch.reminded_on
                    ],
                )
                .await?;
                if open.is_none() {
                    return Err(stale());
                }
                let (doc, pdf) = docs
                    .get(&(n, *dossier_id))
                    .copied()
                    .ok_or(StoreError::NotFound)?;
                exec(
                    &txn,
                    "INSERT INTO assignment_reminder (assignment_id, dossier_id, service_id, \
                     reminded_on, channel, batch_id, reminded_by, reminded_at, document_id, \
                     pdf_document_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    vals![
                        *assignment_id,
                        *dossier_id,
                        letter.service_id,
                        batch.reminded_on,
                        CHANNEL_LETTER,
                        batch_id,
                        actor.user_id,
                        now,
                        doc,
                        pdf
                    ],
                )
                .await
                .map_err(|e| if e.is_unique_violation() { stale() } else { e })?;
                reminded += 1;
            }
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("relance.lot")
                .on("reminder_batch", batch_id)
                .detail(format!(
                    "jour {} ; services {} ; évaluations {reminded}",
                    batch.reminded_on,
                    batch.letters.len()
                )),
        )
        .await?;
        txn.commit().await?;
        Ok(batch_id)
    }

    /// Stores each letter (and its PDF) in every dossier it names, all in one call: the chunks go
    /// several per statement across documents (a statement per dossier would wait on the network
    /// for each, see `crate::documents::insert_chunks`). By (letter's index, dossier): the
    /// letter's id and its PDF's.
    async fn store_letters(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        letters: &[NewReminderLetter<'_>],
    ) -> Result<BTreeMap<(usize, i64), (i64, Option<i64>)>> {
        let mut documents = Vec::new();
        let mut placed: Vec<(usize, i64, bool)> = Vec::new();
        for (n, letter) in letters.iter().enumerate() {
            let mut seen = Vec::new();
            for (_, dossier_id) in &letter.assignments {
                if !seen.contains(dossier_id) {
                    seen.push(*dossier_id);
                    documents.extend(letter_documents(letter, *dossier_id));
                    placed.push((n, *dossier_id, letter.pdf.is_some()));
                }
            }
        }
        let ids = self
            .add_documents_in(txn, now, actor, scope, &documents)
            .await?;
        let mut docs = BTreeMap::new();
        let mut next = ids.iter().copied();
        for (n, dossier_id, with_pdf) in placed {
            let pdf = if with_pdf { next.next() } else { None };
            let doc = next.next().ok_or(StoreError::NotFound)?;
            docs.insert((n, dossier_id), (doc, pdf));
        }
        Ok(docs)
    }

    /// A recorded batch, when every dossier it reminded is within `scope` (else not found).
    pub async fn reminder_batch(&self, scope: &Scope, id: i64) -> Result<Batch> {
        let head = one(
            &self.db,
            "SELECT b.id, b.made_at, u.display_name, b.reminded_on, t.label AS territory_label, \
             s.label AS service_label, b.format FROM reminder_batch b \
             LEFT JOIN app_user u ON u.id = b.made_by LEFT JOIN territory t ON t.id = b.territory_id \
             LEFT JOIN service s ON s.id = b.service_id WHERE b.id = $1",
            vals![id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        // A copy removed from its dossier is skipped for another (every copy is the same file).
        let select = "SELECT r.id, r.document_id, r.pdf_document_id, r.service_id, \
             s.label AS service_label, d.id AS dossier_id, d.number, \
             rm1.document_id AS doc_removed, rm2.document_id AS pdf_removed \
             FROM assignment_reminder r JOIN service s ON s.id = r.service_id \
             JOIN dossier d ON d.id = r.dossier_id \
             LEFT JOIN document_removal rm1 ON rm1.document_id = r.document_id \
             LEFT JOIN document_removal rm2 ON rm2.document_id = r.pdf_document_id \
             WHERE r.batch_id = ";
        let mut all = Sql::new(select);
        all.bind(id);
        let mut within = Sql::new(select);
        within.bind(id).push(" AND ");
        scope_filter(&mut within, scope, "d");
        within.push(" ORDER BY s.label, r.service_id, r.id");
        let rows = all_sql(&self.db, &within).await?;
        if rows.len() != all_sql(&self.db, &all).await?.len() {
            return Err(StoreError::NotFound);
        }
        let mut letters: Vec<BatchLetter> = Vec::new();
        for r in &rows {
            let service_id: i64 = get(r, "service_id")?;
            let number: String = get(r, "number")?;
            let dossier = (
                get::<i64>(r, "dossier_id")?,
                number.parse().map_err(StoreError::Config)?,
            );
            let live = |doc: &str, removed: &str| -> Result<Option<i64>> {
                Ok(match get::<Option<i64>>(r, removed)? {
                    Some(_) => None,
                    None => get(r, doc)?,
                })
            };
            let (doc, pdf) = (
                live("document_id", "doc_removed")?,
                live("pdf_document_id", "pdf_removed")?,
            );
            match letters.last_mut() {
                Some(l) if l.service_id == service_id => {
                    l.evaluations += 1;
                    if !l.dossiers.contains(&dossier) {
                        l.dossiers.push(dossier);
                    }
                    l.document_id = l.document_id.or(doc);
                    l.pdf_document_id = l.pdf_document_id.or(pdf);
                }
                _ => letters.push(BatchLetter {
                    service_id,
                    service_label: get(r, "service_label")?,
                    dossiers: vec![dossier],
                    evaluations: 1,
                    document_id: doc,
                    pdf_document_id: pdf,
                }),
            }
        }
        for l in &mut letters {
            l.dossiers.sort_by_key(|a| a.1);
        }
        Ok(Batch {
            id,
            made_at: get(&head, "made_at")?,
            made_by_name: get(&head, "display_name")?,
            reminded_on: get(&head, "reminded_on")?,
            territory_label: get(&head, "territory_label")?,
            service_label: get(&head, "service_label")?,
            format: get(&head, "format")?,
            letters,
        })
    }
}

/// A service's letter (and its PDF first) as documents of one dossier.
fn letter_documents<'a>(
    letter: &'a NewReminderLetter<'a>,
    dossier_id: i64,
) -> Vec<NewDocument<'a>> {
    let base = NewDocument {
        dossier_id,
        kind: "courrier",
        title: letter_title(&letter.service_label),
        template_code: Some(vigie_domain::letters::reminder::CODE.to_owned()),
        template_version: Some(letter.template_version.clone()),
        recipient_kind: Some(
            vigie_domain::letters::RecipientKind::Service
                .code()
                .to_owned(),
        ),
        recipient_label: Some(letter.service_label.clone()),
        file_name: letter.file_name.clone(),
        media_type: letter.media_type.clone(),
        bytes: letter.bytes,
        confidential: true,
        names_source: false,
        category_id: None,
        version_of: None,
    };
    let mut out = Vec::with_capacity(2);
    if let Some(pdf) = letter.pdf {
        out.push(NewDocument {
            file_name: pdf_name(&letter.file_name),
            media_type: "application/pdf".into(),
            bytes: pdf,
            ..base.clone()
        });
    }
    out.push(base);
    out
}

fn pdf_name(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, _)) => format!("{stem}.pdf"),
        None => format!("{file_name}.pdf"),
    }
}
