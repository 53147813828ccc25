//! Dossiers: create a whole dossier in one transaction, read it (and record the
//! consultation), list (`list`, with the filters of `filter`) and search — always
//! within the caller's [`Scope`], filtered in SQL.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};
use vigie_domain::{
    Address, Adult, AdultLink, AssignmentInput, Author, ChildInput, Conclusion, DossierInput,
    DossierNumber, DossierStatus, FollowUp, FollowUpKind, Header, Scope, Source,
    SourceConfidentiality,
};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::params::load_catalog;
use crate::persons::person_from;
use crate::sql::{Sql, all, all_sql, get, scope_filter};
use crate::{Result, StoreError, vals};

mod filter;
mod list;
pub(crate) use filter::list_filter;
pub use filter::{CategoryFilter, ListFilter};
pub(crate) use list::SUMMARY_SELECT;
pub use list::{Cursor, Page};

use vigie_domain::dossier::check_references;
use vigie_domain::dossier::{
    AdultRecord, AssignmentRecord, ChildRecord, DossierRecord, OtherDossier,
};

fn address_from(r: &QueryResult) -> Result<Address> {
    Ok(Address {
        number: get(r, "addr_number")?,
        street: get(r, "addr_street")?,
        complement: get(r, "addr_complement")?,
        postal_code: get(r, "addr_postal_code")?,
        commune_insee: get(r, "addr_insee")?,
        city: get(r, "addr_city")?,
    })
}

/// Inserts one validated dossier; returns its id, number and the person id of each child.
pub(crate) async fn insert_dossier(
    txn: &DatabaseTransaction,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    actor: &Actor,
    d: &DossierInput,
) -> Result<(i64, DossierNumber, Vec<i64>)> {
    let mut v = crate::bulk::insert_dossiers(txn, tz, now, actor, &[d]).await?;
    let one = v.pop().ok_or(StoreError::NotFound)?;
    Ok((one.id, one.number, one.person_ids))
}

impl Store {
    /// Creates a whole dossier in one transaction, with its audit entry.
    pub async fn create_dossier(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        d: &DossierInput,
    ) -> Result<(i64, DossierNumber)> {
        d.validate(now)?;
        let txn = self.write().await?;
        let cat = load_catalog(&txn).await?;
        check_references(&cat, d)?;
        let (id, number, _) = insert_dossier(&txn, self.tz, now, actor, d).await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.creation").on("dossier", id),
        )
        .await?;
        txn.commit().await?;
        Ok((id, number))
    }

    /// Reads a whole dossier within the scope and records the consultation in the same
    /// transaction. Outside the scope: [`StoreError::NotFound`] (and the refusal is recorded).
    pub async fn read_dossier(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        id: i64,
    ) -> Result<DossierRecord> {
        let txn = self.write().await?;
        match load_dossier(&txn, scope, id).await {
            Ok(rec) => {
                self.append(
                    &txn,
                    now,
                    actor,
                    Event::new("dossier.consultation").on("dossier", id),
                )
                .await?;
                txn.commit().await?;
                Ok(rec)
            }
            Err(StoreError::NotFound) => {
                self.append(
                    &txn,
                    now,
                    actor,
                    Event::new("dossier.consultation_refusee").on("dossier", id),
                )
                .await?;
                txn.commit().await?;
                Err(StoreError::NotFound)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether dossier `id` is within the scope, for a page that re-renders what was
    /// posted without reading the dossier again: one row read, nothing recorded when it is
    /// (the page was a traced consultation). Outside the scope or unknown:
    /// [`StoreError::NotFound`], and the refusal is recorded as by [`Store::read_dossier`].
    pub async fn require_in_scope(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        id: i64,
    ) -> Result<()> {
        let mut q = Sql::new("SELECT d.id AS id FROM dossier d WHERE d.id = ");
        q.bind(id).push(" AND ");
        scope_filter(&mut q, scope, "d");
        if !all_sql(&self.db, &q).await?.is_empty() {
            return Ok(());
        }
        let txn = self.write().await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.consultation_refusee").on("dossier", id),
        )
        .await?;
        txn.commit().await?;
        Err(StoreError::NotFound)
    }
}

pub(crate) fn header_from(r: &QueryResult) -> Result<Header> {
    let status: String = get(r, "status")?;
    Ok(Header {
        received_at: get(r, "received_at")?,
        type_id: get(r, "type_id")?,
        danger_grave: get(r, "danger_grave")?,
        violence_conjugale: get(r, "violence_conjugale")?,
        sip: get(r, "sip")?,
        receiving_agent_id: get(r, "receiving_agent_id")?,
        channel_id: get(r, "channel_id")?,
        snated_number: get(r, "snated_number")?,
        territory_id: get(r, "territory_id")?,
        status: DossierStatus::parse(&status)
            .ok_or_else(|| StoreError::Config(format!("statut inconnu : {status}")))?,
        expose: get(r, "expose")?,
        observation: get(r, "observation")?,
    })
}

pub(crate) async fn load_header(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
) -> Result<(Header, i64, QueryResult)> {
    header_row(c, scope, id, "SELECT d.* FROM dossier d").await
}

/// The dossier's row with its source's (`source_of` null: anonymous, no row stored), read
/// in one query.
const WITH_SOURCE: &str = "SELECT d.*, s.dossier_id AS source_of, s.category_id, s.confidentiality, s.name, s.organisation, \
     s.addr_number, s.addr_street, s.addr_complement, s.addr_postal_code, s.addr_insee, s.addr_city, s.email, s.phone \
     FROM dossier d LEFT JOIN dossier_source s ON s.dossier_id = d.id";

/// The row of dossier `id` read by `select` (over `dossier d`) within the scope, and its
/// header and version.
async fn header_row(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    select: &str,
) -> Result<(Header, i64, QueryResult)> {
    let mut q = Sql::new(select);
    q.push(" WHERE d.id = ").bind(id).push(" AND ");
    scope_filter(&mut q, scope, "d");
    let r = all_sql(c, &q)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?;
    let h = header_from(&r)?;
    let v: i64 = get(&r, "version")?;
    Ok((h, v, r))
}

/// Loads a whole dossier within the scope.
pub(crate) async fn load_dossier(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
) -> Result<DossierRecord> {
    let (header, version, r) = header_row(c, scope, id, WITH_SOURCE).await?;
    let number: String = get(&r, "number")?;
    let source = source_from(&r)?;
    let adults = load_adults(c, id).await?;
    let children = load_children(c, scope, id).await?;
    let assignments = load_assignments(c, id).await?;
    let follow_ups = load_follow_ups(c, id).await?;
    Ok(DossierRecord {
        id,
        number: number.parse().map_err(StoreError::Config)?,
        version,
        header,
        source,
        adults,
        children,
        assignments,
        follow_ups,
        direct: get::<Option<String>>(&r, "direct_conclusion")?
            .as_deref()
            .and_then(vigie_domain::dossier::DirectConclusionCode::parse),
        created_by: get(&r, "created_by")?,
        created_at: get(&r, "created_at")?,
        updated_by: get(&r, "updated_by")?,
        updated_at: get(&r, "updated_at")?,
    })
}

/// The dossier's source from its row read with [`WITH_SOURCE`] (anonymous when no row
/// is stored).
fn source_from(s: &QueryResult) -> Result<Source> {
    if get::<Option<i64>>(s, "source_of")?.is_none() {
        return Ok(Source::anonymous(None));
    }
    let conf: String = get(s, "confidentiality")?;
    Ok(Source {
        category_id: get(s, "category_id")?,
        confidentiality: SourceConfidentiality::parse(&conf)
            .unwrap_or(SourceConfidentiality::Anonymous),
        name: get(s, "name")?,
        organisation: get(s, "organisation")?,
        address: address_from(s)?,
        email: get(s, "email")?,
        phone: get(s, "phone")?,
    })
}

/// The dossier's adults (parents), in order.
async fn load_adults(c: &impl ConnectionTrait, id: i64) -> Result<Vec<AdultRecord>> {
    all(
        c,
        "SELECT * FROM adult WHERE dossier_id = $1 ORDER BY position",
        vals![id],
    )
    .await?
    .iter()
    .map(|a| {
        Ok(AdultRecord {
            id: get(a, "id")?,
            data: Adult {
                civility_id: get(a, "civility_id")?,
                birth_name: get(a, "birth_name")?,
                usage_name: get(a, "usage_name")?,
                first_names: get(a, "first_names")?,
                address: address_from(a)?,
                phone: get(a, "phone")?,
                email: get(a, "email")?,
            },
        })
    })
    .collect()
}

/// The rows of a dossier's children and of what hangs on them (links to adults,
/// authors, motifs, the children's other dossiers), read in one query each.
struct ChildRows {
    children: Vec<QueryResult>,
    links: Vec<QueryResult>,
    authors: Vec<QueryResult>,
    motifs: Vec<QueryResult>,
    others: Vec<QueryResult>,
}

/// The dossier's children, in order, each with its other dossiers (those outside the
/// scope are shown without their id).
async fn load_children(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
) -> Result<Vec<ChildRecord>> {
    let rows = load_child_rows(c, scope, id).await?;
    rows.children
        .iter()
        .map(|cr| child_from(cr, &rows))
        .collect()
}

/// What hangs on the children of dossier `$1`, a row each, told apart by `kind`: the links
/// to adults (`l`, by child then adult), the authors (`a`, as entered), the motifs (`m`, in
/// the parameter table's order).
const HANGING_ON_CHILDREN: &str = "\
    SELECT 'l' AS kind, ca.child_id, ca.adult_id, ca.link_id, ca.parental_authority, \
           CAST(NULL AS TEXT) AS third_party_name, CAST(NULL AS BIGINT) AS motif_id, \
           0 AS o1, ca.child_id AS o2, ca.adult_id AS o3 \
    FROM child_adult ca JOIN dossier_child dc ON dc.id = ca.child_id WHERE dc.dossier_id = $1 \
    UNION ALL \
    SELECT 'a', au.child_id, au.adult_id, au.link_id, NULL, au.third_party_name, NULL, 1, au.id, 0 \
    FROM child_author au JOIN dossier_child dc ON dc.id = au.child_id WHERE dc.dossier_id = $1 \
    UNION ALL \
    SELECT 'm', cm.child_id, NULL, NULL, NULL, NULL, cm.motif_id, 2, pv.sort_order, cm.motif_id \
    FROM child_motif cm JOIN dossier_child dc ON dc.id = cm.child_id \
    JOIN param_value pv ON pv.id = cm.motif_id WHERE dc.dossier_id = $1 \
    ORDER BY o1, o2, o3";

/// Reads the rows of [`ChildRows`] for dossier `id`.
async fn load_child_rows(c: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<ChildRows> {
    let children = all(
        c,
        "SELECT dc.*, p.birth_name, p.usage_name, p.first_names, p.sex, p.birth_precision, p.birth_date
         FROM dossier_child dc JOIN person p ON p.id = dc.person_id WHERE dc.dossier_id = $1 ORDER BY dc.position",
        vals![id],
    )
    .await?;
    // Links to adults, authors and motifs in one query, each kind in its order.
    let mut links = Vec::new();
    let mut authors = Vec::new();
    let mut motifs = Vec::new();
    for r in all(c, HANGING_ON_CHILDREN, vals![id]).await? {
        match get::<String>(&r, "kind")?.as_str() {
            "l" => links.push(r),
            "a" => authors.push(r),
            _ => motifs.push(r),
        }
    }
    let mut oq = Sql::new(
        "SELECT dc.person_id, d.id, d.number, d.received_at, t.label AS territory_label, CASE WHEN ",
    );
    scope_filter(&mut oq, scope, "d");
    oq.push(
        " THEN 1 ELSE 0 END AS in_scope FROM dossier_child dc JOIN dossier d ON d.id = dc.dossier_id JOIN territory t ON t.id = d.territory_id
          WHERE dc.person_id IN (SELECT person_id FROM dossier_child WHERE dossier_id = ",
    )
    .bind(id)
    .push(") AND d.id <> ")
    .bind(id)
    .push(" ORDER BY d.received_at DESC, d.id DESC");
    let others = all_sql(c, &oq).await?;
    Ok(ChildRows {
        children,
        links,
        authors,
        motifs,
        others,
    })
}

/// One child from its row `cr` and the rows hanging on it in `rows`.
fn child_from(cr: &QueryResult, rows: &ChildRows) -> Result<ChildRecord> {
    let cid: i64 = get(cr, "id")?;
    let person_id: i64 = get(cr, "person_id")?;
    let conclusion_id: Option<i64> = get(cr, "conclusion_id")?;
    let conclusion_on: Option<NaiveDate> = get(cr, "conclusion_on")?;
    let conclusion = match (conclusion_id, conclusion_on) {
        (Some(conclusion_id), Some(on)) => Some(Conclusion {
            conclusion_id,
            on,
            comment: get(cr, "conclusion_comment")?,
        }),
        _ => None,
    };
    let other_dossiers = other_dossiers_of(&rows.others, person_id)?;
    Ok(ChildRecord {
        id: cid,
        person_id,
        version: get(cr, "version")?,
        data: ChildInput {
            person_id: Some(person_id),
            person: person_from(cr)?,
            address: address_from(cr)?,
            csp_father_id: get(cr, "csp_father_id")?,
            csp_mother_id: get(cr, "csp_mother_id")?,
            lieu_de_vie_id: get(cr, "lieu_de_vie_id")?,
            comment: get(cr, "comment")?,
            adults: rows_of(&rows.links, cid)
                .into_iter()
                .map(|l| {
                    Ok(AdultLink {
                        adult: get(l, "adult_id")?,
                        link_id: get(l, "link_id")?,
                        parental_authority: get(l, "parental_authority")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            authors: rows_of(&rows.authors, cid)
                .into_iter()
                .map(|a| {
                    Ok(Author {
                        adult: get(a, "adult_id")?,
                        third_party_name: get(a, "third_party_name")?,
                        link_id: get(a, "link_id")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            motif_ids: rows_of(&rows.motifs, cid)
                .into_iter()
                .map(|m| get::<i64>(m, "motif_id"))
                .collect::<Result<Vec<_>>>()?,
            evaluation_result_id: get(cr, "evaluation_result_id")?,
            conclusion,
        },
        other_dossiers,
    })
}

/// The other dossiers of person `person_id` among the rows `others`.
fn other_dossiers_of(others: &[QueryResult], person_id: i64) -> Result<Vec<OtherDossier>> {
    others
        .iter()
        .filter(|o| get::<i64>(o, "person_id").ok() == Some(person_id))
        .map(|o| {
            let n: String = get(o, "number")?;
            let in_scope: i64 =
                get::<i64>(o, "in_scope").or_else(|_| get::<i32>(o, "in_scope").map(i64::from))?;
            Ok(OtherDossier {
                id: (in_scope == 1).then(|| get(o, "id")).transpose()?,
                number: n.parse().map_err(StoreError::Config)?,
                received_at: get(o, "received_at")?,
                territory_label: get(o, "territory_label")?,
                in_scope: in_scope == 1,
            })
        })
        .collect()
}

/// The dossier's assignments (by date asked), each with its evaluators.
async fn load_assignments(c: &impl ConnectionTrait, id: i64) -> Result<Vec<AssignmentRecord>> {
    let evaluators = all(
        c,
        "SELECT e.assignment_id, e.name FROM assignment_evaluator e JOIN assignment a ON a.id = e.assignment_id
         WHERE a.dossier_id = $1 ORDER BY e.assignment_id, e.position",
        vals![id],
    )
    .await?;
    all(
        c,
        "SELECT * FROM assignment WHERE dossier_id = $1 ORDER BY asked_on, id",
        vals![id],
    )
    .await?
    .iter()
    .map(|a| {
        let aid: i64 = get(a, "id")?;
        Ok(AssignmentRecord {
            id: aid,
            version: get(a, "version")?,
            data: AssignmentInput {
                service_id: get(a, "service_id")?,
                asked_on: get(a, "asked_on")?,
                due_on: get(a, "due_on")?,
                evaluators: evaluators
                    .iter()
                    .filter(|e| get::<i64>(e, "assignment_id").ok() == Some(aid))
                    .map(|e| get::<String>(e, "name"))
                    .collect::<Result<Vec<_>>>()?,
                returned_on: get(a, "returned_on")?,
                result_id: get(a, "result_id")?,
                cancelled: get(a, "cancelled")?,
                comment: get(a, "comment")?,
            },
        })
    })
    .collect()
}

/// The dossier's follow-ups in the order of [`FollowUpKind::ALL`] (unknown kinds skipped).
async fn load_follow_ups(c: &impl ConnectionTrait, id: i64) -> Result<Vec<FollowUp>> {
    let mut follow_ups = all(
        c,
        "SELECT kind, done_at, not_done_reason, due_on FROM follow_up WHERE dossier_id = $1",
        vals![id],
    )
    .await?
    .iter()
    .filter_map(|f| {
        let kind: String = get(f, "kind").ok()?;
        Some(Ok(FollowUp {
            kind: FollowUpKind::parse(&kind)?,
            due_on: get(f, "due_on").ok()?,
            done_at: get(f, "done_at").ok()?,
            not_done_reason: get(f, "not_done_reason").ok()?,
        }))
    })
    .collect::<Result<Vec<_>>>()?;
    follow_ups.sort_by_key(|f| FollowUpKind::ALL.iter().position(|k| *k == f.kind));
    Ok(follow_ups)
}

fn rows_of(rows: &[QueryResult], child_id: i64) -> Vec<&QueryResult> {
    rows.iter()
        .filter(|r| get::<i64>(r, "child_id").ok() == Some(child_id))
        .collect()
}
