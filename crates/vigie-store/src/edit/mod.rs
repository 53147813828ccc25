//! Saving a whole dossier from the dossier screen or the API: creation, or an update with
//! **one version per part** (the header with the source, the parents and the follow-ups;
//! each child; each assignment). Two agents editing different children do not collide; a
//! stale save of the same part is refused with what the other agent changed. Each saved
//! change of a part becomes a revision (who, when, old and new values), and the audit entry
//! names the revisions and the fields — never the content.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vigie_domain::rules::DirectConclusion;
use vigie_domain::{DossierInput, DossierNumber};

/// An existing part and the version the editor started from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRef {
    /// Dossier id for the header, child row id, or assignment id.
    pub id: i64,
    pub version: i64,
    /// Whether the editor changed this part. An untouched part is neither checked nor
    /// written (another agent's change to it stays). The API always sends `true`: a part
    /// equal to what is stored is then a no-op whatever its version.
    pub touched: bool,
}

/// A whole dossier to save.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierEdit {
    /// The header part; `None` creates a new dossier.
    pub dossier: Option<PartRef>,
    /// The whole dossier. In `children[].adults[].adult` and `children[].authors[].adult`,
    /// adults are referenced by their **index** in `input.adults`.
    pub input: DossierInput,
    /// Stored id of each adult of `input.adults` (`None` for a new one); same length.
    pub adult_ids: Vec<Option<i64>>,
    /// The stored child of each `input.children` (`None` for a new child); same length.
    pub children: Vec<Option<PartRef>>,
    /// The stored assignment of each `input.assignments`; same length.
    pub assignments: Vec<Option<PartRef>>,
    /// Children removed by the editor (with the version they saw).
    pub removed_children: Vec<PartRef>,
    /// Assignments removed by the editor.
    pub removed_assignments: Vec<PartRef>,
    /// Why the dossier is concluded without evaluation (reçue/qualifiée → conclue).
    pub direct: Option<DirectConclusionCode>,
    /// Why a concluded or closed dossier is reopened.
    pub status_reason: Option<String>,
    /// Indexes of the children aged 18 or more at reception that the agent confirmed
    /// (jeunes majeurs, up to 21).
    pub confirmed_adult_children: Vec<usize>,
}

/// [`DirectConclusion`] as a stable code (stored in `dossier.direct_conclusion`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectConclusionCode {
    NotAnIp,
    AlreadyFollowed,
    ParquetTransmission,
}

impl DirectConclusionCode {
    pub const ALL: [Self; 3] = [
        Self::NotAnIp,
        Self::AlreadyFollowed,
        Self::ParquetTransmission,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::NotAnIp => "pas_une_ip",
            Self::AlreadyFollowed => "deja_suivie",
            Self::ParquetTransmission => "transmission_parquet",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub const fn domain(self) -> DirectConclusion {
        match self {
            Self::NotAnIp => DirectConclusion::NotAnIp,
            Self::AlreadyFollowed => DirectConclusion::AlreadyFollowed,
            Self::ParquetTransmission => DirectConclusion::ParquetTransmission,
        }
    }

    pub const fn label(self) -> &'static str {
        self.domain().label()
    }
}

/// Which part of a dossier.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Header, source, parents, exposé, observation, follow-ups.
    Header,
    Child,
    Assignment,
}

impl Part {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Header => "entete",
            Self::Child => "enfant",
            Self::Assignment => "affectation",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Header, Self::Child, Self::Assignment]
            .into_iter()
            .find(|p| p.code() == code)
    }
}

/// One changed field, with display values (parameter labels resolved, dates in French).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Stable key, e.g. `first_names`, `motifs`.
    pub field: String,
    /// French label.
    pub label: String,
    pub old: String,
    pub new: String,
}

/// A stale part: the other agent's values (`old` = now stored) against this agent's
/// (`new` = typed), who saved last and when, and the version now stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartConflict {
    pub part: Part,
    /// Index in the edit (`children`/`assignments`), `None` for the header.
    pub index: Option<usize>,
    /// French, e.g. « Enfant : Léa MARTIN ».
    pub part_label: String,
    /// Whether the other agent removed it.
    pub removed: bool,
    pub changes: Vec<FieldChange>,
    pub by: Option<String>,
    pub at: Option<DateTime<Utc>>,
    pub current_version: i64,
}

/// What a save did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saved {
    pub id: i64,
    pub number: DossierNumber,
    /// Revision ids written by this save (empty when nothing changed).
    pub revisions: Vec<i64>,
}

/// One entry of a dossier's history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub id: i64,
    pub part: Part,
    pub part_id: Option<i64>,
    pub part_label: String,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub user_name: Option<String>,
    pub reason: Option<String>,
    pub changes: Vec<FieldChange>,
}

// ---------------------------------------------------------------------------------------
// Saving.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, SubsecRound};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use vigie_domain::rules::{DossierFacts, Transition, check_transition};
use vigie_domain::{
    Adult, AssignmentInput, BirthDate, ChildInput, DomainError, DossierStatus, FieldError,
    FollowUp, FollowUpKind, Header, Person, Scope, Source,
};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::dossiers::{
    AdultRecord, ChildRecord, DossierRecord, Kept, check_references_keeping, insert_dossier,
    load_dossier,
};
use crate::params::{Catalog, load_catalog};
use crate::persons::{birth_year, person_keys};
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

/// The setting holding the shorter evaluation deadline for children under two (months).
pub const UNDER_TWO_SETTING: &str = "delai_evaluation_moins_de_deux_ans_mois";

fn fr_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn fr_instant(tz: chrono_tz::Tz, t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

fn yes_no(b: bool) -> String {
    if b { "oui" } else { "non" }.to_owned()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn address_text(a: &vigie_domain::Address) -> String {
    [
        a.number.as_deref(),
        a.street.as_deref(),
        a.complement.as_deref(),
        a.postal_code.as_deref(),
        a.city.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ")
}

fn birth_text(b: BirthDate) -> String {
    match b {
        BirthDate::Unknown => "inconnue".into(),
        other => other.display(),
    }
}

/// Display values of a part, in a stable order: `(key, label, value)`.
type Fields = Vec<(String, String, String)>;

fn push(f: &mut Fields, key: impl Into<String>, label: impl Into<String>, value: String) {
    f.push((key.into(), label.into(), value));
}

struct Ctx<'a> {
    cat: &'a Catalog,
    tz: chrono_tz::Tz,
    users: &'a HashMap<i64, String>,
}

impl Ctx<'_> {
    fn param(&self, id: Option<i64>) -> String {
        id.map(|i| self.cat.label(Some(i))).unwrap_or_default()
    }
}

fn person_name(p: &Person) -> String {
    format!(
        "{} {}",
        p.first_names,
        p.usage_name
            .clone()
            .unwrap_or_else(|| p.birth_name.clone())
            .to_uppercase()
    )
    .trim()
    .to_owned()
}

fn adult_name(a: &Adult) -> String {
    format!(
        "{} {}",
        a.first_names.clone().unwrap_or_default(),
        a.usage_name
            .clone()
            .unwrap_or_else(|| a.birth_name.clone())
            .to_uppercase()
    )
    .trim()
    .to_owned()
}

fn header_fields(
    x: &Ctx<'_>,
    h: &Header,
    s: &Source,
    adults: &[Adult],
    follow_ups: &[FollowUp],
) -> Fields {
    let mut f = Fields::new();
    push(
        &mut f,
        "received_at",
        "Reçue le",
        fr_instant(x.tz, Some(h.received_at.trunc_subsecs(0))),
    );
    push(&mut f, "type_id", "Type", x.param(Some(h.type_id)));
    push(&mut f, "sip", "S.I.P.", yes_no(h.sip));
    push(
        &mut f,
        "danger_grave",
        "Danger grave et immédiat",
        yes_no(h.danger_grave),
    );
    push(
        &mut f,
        "violence_conjugale",
        "Violence conjugale",
        yes_no(h.violence_conjugale),
    );
    push(
        &mut f,
        "receiving_agent_id",
        "Récepteur",
        h.receiving_agent_id
            .map(|u| {
                x.users
                    .get(&u)
                    .cloned()
                    .unwrap_or_else(|| format!("n° {u}"))
            })
            .unwrap_or_default(),
    );
    push(&mut f, "channel_id", "Support", x.param(Some(h.channel_id)));
    push(
        &mut f,
        "snated_number",
        "N° 119 (SNATED)",
        opt(&h.snated_number),
    );
    push(
        &mut f,
        "territory_id",
        "Territoire",
        x.cat
            .territory(h.territory_id)
            .map(|t| t.label.clone())
            .unwrap_or_default(),
    );
    push(&mut f, "status", "Statut", x.cat.status_label(h.status));
    push(&mut f, "expose", "Exposé de la situation", opt(&h.expose));
    push(
        &mut f,
        "observation",
        "Observation de la CRIP",
        opt(&h.observation),
    );
    push(
        &mut f,
        "source.category_id",
        "Catégorie du signalant",
        x.param(s.category_id),
    );
    push(
        &mut f,
        "source.confidentiality",
        "Confidentialité du signalant",
        s.confidentiality.label().to_owned(),
    );
    push(&mut f, "source.name", "Nom du signalant", opt(&s.name));
    push(
        &mut f,
        "source.organisation",
        "Organisme du signalant",
        opt(&s.organisation),
    );
    push(
        &mut f,
        "source.address",
        "Adresse du signalant",
        address_text(&s.address),
    );
    push(
        &mut f,
        "source.email",
        "Courriel du signalant",
        opt(&s.email),
    );
    push(
        &mut f,
        "source.phone",
        "Téléphone du signalant",
        opt(&s.phone),
    );
    for (i, a) in adults.iter().enumerate() {
        let n = i + 1;
        push(
            &mut f,
            format!("adults[{i}].civility_id"),
            format!("Parent {n} : civilité"),
            x.param(a.civility_id),
        );
        push(
            &mut f,
            format!("adults[{i}].birth_name"),
            format!("Parent {n} : nom de naissance"),
            a.birth_name.clone(),
        );
        push(
            &mut f,
            format!("adults[{i}].usage_name"),
            format!("Parent {n} : nom d'usage"),
            opt(&a.usage_name),
        );
        push(
            &mut f,
            format!("adults[{i}].first_names"),
            format!("Parent {n} : prénoms"),
            opt(&a.first_names),
        );
        push(
            &mut f,
            format!("adults[{i}].address"),
            format!("Parent {n} : adresse"),
            address_text(&a.address),
        );
        push(
            &mut f,
            format!("adults[{i}].phone"),
            format!("Parent {n} : téléphone"),
            opt(&a.phone),
        );
        push(
            &mut f,
            format!("adults[{i}].email"),
            format!("Parent {n} : courriel"),
            opt(&a.email),
        );
    }
    for k in FollowUpKind::ALL {
        let v = follow_ups
            .iter()
            .find(|fu| fu.kind == k)
            .map(|fu| {
                let mut parts = Vec::new();
                if let Some(d) = fu.done_at {
                    parts.push(format!("fait le {}", fr_instant(x.tz, Some(d))));
                }
                if let Some(r) = &fu.not_done_reason {
                    parts.push(format!("non fait : {r}"));
                }
                if let Some(d) = fu.due_on {
                    parts.push(format!("à faire pour le {}", fr_date(Some(d))));
                }
                parts.join(" ; ")
            })
            .unwrap_or_default();
        push(
            &mut f,
            format!("follow_ups.{}", k.code()),
            k.label().to_owned(),
            v,
        );
    }
    f
}

/// `adult_label` names the adult referenced by a child link (index or id, as stored).
fn child_fields(x: &Ctx<'_>, c: &ChildInput, adult_label: &dyn Fn(i64) -> String) -> Fields {
    let mut f = Fields::new();
    let p = &c.person;
    push(
        &mut f,
        "person_id",
        "Personne (ancien dossier)",
        c.person_id.map(|p| format!("n° {p}")).unwrap_or_default(),
    );
    push(&mut f, "sex", "Sexe", p.sex.label().to_owned());
    push(
        &mut f,
        "birth_name",
        "Nom de naissance",
        p.birth_name.clone(),
    );
    push(&mut f, "usage_name", "Nom d'usage", opt(&p.usage_name));
    push(&mut f, "first_names", "Prénoms", p.first_names.clone());
    push(
        &mut f,
        "birth_date",
        "Date de naissance",
        birth_text(p.birth),
    );
    push(&mut f, "address", "Adresse", address_text(&c.address));
    push(
        &mut f,
        "csp_father_id",
        "CSP du père",
        x.param(c.csp_father_id),
    );
    push(
        &mut f,
        "csp_mother_id",
        "CSP de la mère",
        x.param(c.csp_mother_id),
    );
    push(
        &mut f,
        "lieu_de_vie_id",
        "Lieu de vie",
        x.param(c.lieu_de_vie_id),
    );
    push(&mut f, "comment", "Commentaire", opt(&c.comment));
    push(
        &mut f,
        "adults",
        "Parents et autorité parentale",
        c.adults
            .iter()
            .map(|l| {
                format!(
                    "{} ({}{})",
                    adult_label(l.adult),
                    x.param(Some(l.link_id)),
                    if l.parental_authority {
                        ", autorité parentale"
                    } else {
                        ""
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(" ; "),
    );
    push(
        &mut f,
        "authors",
        "Auteurs présumés",
        c.authors
            .iter()
            .map(|a| {
                let who = match (a.adult, &a.third_party_name) {
                    (Some(ix), _) => adult_label(ix),
                    (None, Some(n)) => n.clone(),
                    _ => String::new(),
                };
                format!("{who} ({})", x.param(Some(a.link_id)))
            })
            .collect::<Vec<_>>()
            .join(" ; "),
    );
    let mut motifs: Vec<(i64, String)> = c
        .motif_ids
        .iter()
        .map(|m| {
            (
                x.cat.param(*m).map_or(0, |p| p.sort_order),
                x.param(Some(*m)),
            )
        })
        .collect();
    motifs.sort();
    motifs.dedup();
    push(
        &mut f,
        "motifs",
        "Motifs",
        motifs
            .into_iter()
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join(" ; "),
    );
    push(
        &mut f,
        "evaluation_result_id",
        "Résultat de l'évaluation",
        x.param(c.evaluation_result_id),
    );
    let conc = c.conclusion.as_ref();
    push(
        &mut f,
        "conclusion",
        "Conclusion",
        x.param(conc.map(|k| k.conclusion_id)),
    );
    push(
        &mut f,
        "conclusion.on",
        "Date de conclusion",
        fr_date(conc.map(|k| k.on)),
    );
    push(
        &mut f,
        "conclusion.comment",
        "Commentaire de conclusion",
        conc.and_then(|k| k.comment.clone()).unwrap_or_default(),
    );
    f
}

fn assignment_fields(x: &Ctx<'_>, a: &AssignmentInput) -> Fields {
    let mut f = Fields::new();
    push(
        &mut f,
        "service_id",
        "Service",
        x.cat
            .service(a.service_id)
            .map(|s| s.label.clone())
            .unwrap_or_default(),
    );
    push(&mut f, "asked_on", "Demandée le", fr_date(Some(a.asked_on)));
    push(&mut f, "due_on", "Échéance", fr_date(Some(a.due_on)));
    push(&mut f, "evaluators", "Évaluateurs", a.evaluators.join(", "));
    push(&mut f, "returned_on", "Retour le", fr_date(a.returned_on));
    push(&mut f, "result_id", "Résultat", x.param(a.result_id));
    push(&mut f, "cancelled", "Annulée", yes_no(a.cancelled));
    push(&mut f, "comment", "Commentaire", opt(&a.comment));
    f
}

/// The changed fields from `old` to `new` (keys present on one side only included).
fn diff(old: &Fields, new: &Fields) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let olds: HashMap<&str, &(String, String, String)> =
        old.iter().map(|f| (f.0.as_str(), f)).collect();
    let news: HashSet<&str> = new.iter().map(|f| f.0.as_str()).collect();
    for (k, label, v) in new {
        let before = olds.get(k.as_str()).map(|f| f.2.as_str()).unwrap_or("");
        if before != v {
            out.push(FieldChange {
                field: k.clone(),
                label: label.clone(),
                old: before.to_owned(),
                new: v.clone(),
            });
        }
    }
    for (k, label, v) in old {
        if !news.contains(k.as_str()) && !v.is_empty() {
            out.push(FieldChange {
                field: k.clone(),
                label: label.clone(),
                old: v.clone(),
                new: String::new(),
            });
        }
    }
    out
}

async fn user_names(c: &impl ConnectionTrait) -> Result<HashMap<i64, String>> {
    all(c, "SELECT id, display_name FROM app_user", vec![])
        .await?
        .iter()
        .map(|r| Ok((get(r, "id")?, get(r, "display_name")?)))
        .collect()
}

/// Who last changed a part, and when (from its revisions).
async fn last_change(
    c: &impl ConnectionTrait,
    dossier_id: i64,
    part: Part,
    part_id: Option<i64>,
    users: &HashMap<i64, String>,
) -> Result<(Option<String>, Option<DateTime<Utc>>)> {
    let r = one(
        c,
        "SELECT user_id, at FROM revision WHERE dossier_id = $1 AND part = $2 AND (part_id = $3 OR ($3 IS NULL AND part_id IS NULL))
         ORDER BY id DESC LIMIT 1",
        vals![dossier_id, part.code(), part_id],
    )
    .await?;
    Ok(match r {
        Some(r) => {
            let u: Option<i64> = get(&r, "user_id")?;
            (u.and_then(|u| users.get(&u).cloned()), Some(get(&r, "at")?))
        }
        None => (None, None),
    })
}

#[allow(clippy::too_many_arguments)]
async fn write_revision(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    dossier_id: i64,
    part: Part,
    part_id: Option<i64>,
    part_label: &str,
    version: i64,
    reason: Option<&str>,
    changes: &[FieldChange],
) -> Result<i64> {
    let json = serde_json::to_string(changes)
        .map_err(|e| StoreError::Config(format!("révision illisible : {e}")))?;
    let r = one(
        txn,
        "INSERT INTO revision (dossier_id, part, part_id, part_label, version, at, user_id, reason, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        vals![
            dossier_id,
            part.code(),
            part_id,
            part_label.to_owned(),
            version,
            now,
            actor.user_id,
            reason.map(str::to_owned),
            json
        ],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    get(&r, "id")
}

fn addr_vals(a: &vigie_domain::Address) -> Vec<Value> {
    vals![
        a.number.clone(),
        a.street.clone(),
        a.complement.clone(),
        a.postal_code.clone(),
        a.commune_insee.clone(),
        a.city.clone()
    ]
}

async fn write_person(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    id: Option<i64>,
    p: &Person,
) -> Result<i64> {
    let (precision, date) = p.birth.to_parts();
    let pid = match id {
        Some(pid) => {
            exec(
                txn,
                "UPDATE person SET birth_name = $1, usage_name = $2, first_names = $3, sex = $4, birth_precision = $5,
                 birth_date = $6, birth_year = $7, version = version + 1, updated_at = $8 WHERE id = $9",
                vals![
                    p.birth_name.clone(),
                    p.usage_name.clone(),
                    p.first_names.clone(),
                    p.sex.code(),
                    precision,
                    date,
                    birth_year(p.birth),
                    now,
                    pid
                ],
            )
            .await?;
            exec(
                txn,
                "DELETE FROM person_key WHERE person_id = $1",
                vals![pid],
            )
            .await?;
            pid
        }
        None => {
            let r = one(
                txn,
                "INSERT INTO person (birth_name, usage_name, first_names, sex, birth_precision, birth_date, birth_year, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                vals![
                    p.birth_name.clone(),
                    p.usage_name.clone(),
                    p.first_names.clone(),
                    p.sex.code(),
                    precision,
                    date,
                    birth_year(p.birth),
                    now
                ],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
            get(&r, "id")?
        }
    };
    for k in person_keys(p) {
        exec(
            txn,
            "INSERT INTO person_key (key, person_id) VALUES ($1, $2)",
            vals![k, pid],
        )
        .await?;
    }
    Ok(pid)
}

/// Inserts (`child_id` None) or rewrites one child and its links, authors and motifs.
#[allow(clippy::too_many_arguments)]
async fn write_child(
    txn: &DatabaseTransaction,
    dossier_id: i64,
    position: i64,
    child_id: Option<i64>,
    person_id: i64,
    c: &ChildInput,
    adult_ids: &[i64],
) -> Result<i64> {
    let conc = c.conclusion.as_ref();
    let mut v = vals![person_id, position];
    v.extend(addr_vals(&c.address));
    v.extend(vals![
        c.csp_father_id,
        c.csp_mother_id,
        c.lieu_de_vie_id,
        c.comment.clone(),
        c.evaluation_result_id,
        conc.map(|x| x.conclusion_id),
        conc.map(|x| x.on),
        conc.and_then(|x| x.comment.clone()),
    ]);
    let cid = match child_id {
        Some(cid) => {
            v.push(cid.into());
            exec(
                txn,
                "UPDATE dossier_child SET person_id = $1, position = $2, addr_number = $3, addr_street = $4, addr_complement = $5,
                 addr_postal_code = $6, addr_insee = $7, addr_city = $8, csp_father_id = $9, csp_mother_id = $10, lieu_de_vie_id = $11,
                 comment = $12, evaluation_result_id = $13, conclusion_id = $14, conclusion_on = $15, conclusion_comment = $16,
                 version = version + 1 WHERE id = $17",
                v,
            )
            .await?;
            for t in ["child_adult", "child_author", "child_motif"] {
                exec(
                    txn,
                    &format!("DELETE FROM {t} WHERE child_id = $1"),
                    vals![cid],
                )
                .await?;
            }
            cid
        }
        None => {
            v.insert(0, dossier_id.into());
            let r = one(
                txn,
                "INSERT INTO dossier_child (dossier_id, person_id, position, addr_number, addr_street, addr_complement, addr_postal_code,
                 addr_insee, addr_city, csp_father_id, csp_mother_id, lieu_de_vie_id, comment, evaluation_result_id, conclusion_id,
                 conclusion_on, conclusion_comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                 RETURNING id",
                v,
            )
            .await
            .map_err(|e| {
                if e.is_unique_violation() {
                    DomainError::field(
                        "children",
                        "Enfant",
                        "cet enfant figure deux fois dans le dossier.",
                    )
                    .into()
                } else {
                    e
                }
            })?
            .ok_or(StoreError::NotFound)?;
            get(&r, "id")?
        }
    };
    let adult = |ix: i64| {
        usize::try_from(ix)
            .ok()
            .and_then(|i| adult_ids.get(i).copied())
    };
    let mut seen = HashSet::new();
    for l in &c.adults {
        if let Some(a) = adult(l.adult)
            && seen.insert(a)
        {
            exec(
                txn,
                "INSERT INTO child_adult (child_id, adult_id, link_id, parental_authority) VALUES ($1, $2, $3, $4)",
                vals![cid, a, l.link_id, l.parental_authority],
            )
            .await?;
        }
    }
    for au in &c.authors {
        exec(
            txn,
            "INSERT INTO child_author (child_id, adult_id, third_party_name, link_id) VALUES ($1, $2, $3, $4)",
            vals![
                cid,
                au.adult.and_then(adult),
                au.third_party_name.clone(),
                au.link_id
            ],
        )
        .await?;
    }
    let mut m = c.motif_ids.clone();
    m.sort_unstable();
    m.dedup();
    for motif in m {
        exec(
            txn,
            "INSERT INTO child_motif (child_id, motif_id) VALUES ($1, $2)",
            vals![cid, motif],
        )
        .await?;
    }
    Ok(cid)
}

async fn write_assignment(
    txn: &DatabaseTransaction,
    dossier_id: i64,
    id: Option<i64>,
    a: &AssignmentInput,
) -> Result<i64> {
    let aid = match id {
        Some(aid) => {
            exec(
                txn,
                "UPDATE assignment SET service_id = $1, asked_on = $2, due_on = $3, returned_on = $4, result_id = $5, cancelled = $6,
                 comment = $7, version = version + 1 WHERE id = $8",
                vals![
                    a.service_id,
                    a.asked_on,
                    a.due_on,
                    a.returned_on,
                    a.result_id,
                    a.cancelled,
                    a.comment.clone(),
                    aid
                ],
            )
            .await?;
            exec(
                txn,
                "DELETE FROM assignment_evaluator WHERE assignment_id = $1",
                vals![aid],
            )
            .await?;
            for (pos, name) in a.evaluators.iter().enumerate() {
                exec(
                    txn,
                    "INSERT INTO assignment_evaluator (assignment_id, position, name) VALUES ($1, $2, $3)",
                    vals![aid, pos as i64, name.clone()],
                )
                .await?;
            }
            aid
        }
        None => crate::bulk::insert_assignments(txn, &[(dossier_id, a)])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?,
    };
    Ok(aid)
}

/// Writes the header part: dossier row, source, adults (kept by id), follow-ups.
/// Returns the adult id of each `input.adults`.
async fn write_header(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    e: &DossierEdit,
    stored_adults: &[AdultRecord],
) -> Result<Vec<i64>> {
    let h = &e.input.header;
    exec(
        txn,
        "UPDATE dossier SET received_at = $1, type_id = $2, danger_grave = $3, violence_conjugale = $4, sip = $5,
            receiving_agent_id = $6, channel_id = $7, snated_number = $8, territory_id = $9, status = $10, expose = $11,
            observation = $12, direct_conclusion = $13, version = version + 1, updated_by = $14, updated_at = $15
         WHERE id = $16",
        vals![
            h.received_at.trunc_subsecs(0),
            h.type_id,
            h.danger_grave,
            h.violence_conjugale,
            h.sip,
            h.receiving_agent_id,
            h.channel_id,
            h.snated_number.clone(),
            h.territory_id,
            h.status.code(),
            h.expose.clone(),
            h.observation.clone(),
            e.direct.map(|d| d.code()),
            actor.user_id,
            now,
            id
        ],
    )
    .await?;
    let s = &e.input.source;
    exec(
        txn,
        "DELETE FROM dossier_source WHERE dossier_id = $1",
        vals![id],
    )
    .await?;
    let mut v = vals![
        id,
        s.category_id,
        s.confidentiality.code(),
        s.name.clone(),
        s.organisation.clone()
    ];
    v.extend(addr_vals(&s.address));
    v.extend(vals![s.email.clone(), s.phone.clone()]);
    exec(
        txn,
        "INSERT INTO dossier_source (dossier_id, category_id, confidentiality, name, organisation, addr_number, addr_street,
            addr_complement, addr_postal_code, addr_insee, addr_city, email, phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        v,
    )
    .await?;
    let kept: HashSet<i64> = e.adult_ids.iter().flatten().copied().collect();
    for a in stored_adults.iter().filter(|a| !kept.contains(&a.id)) {
        exec(txn, "DELETE FROM adult WHERE id = $1", vals![a.id]).await?;
    }
    let mut ids = Vec::with_capacity(e.input.adults.len());
    for (pos, (a, aid)) in e.input.adults.iter().zip(&e.adult_ids).enumerate() {
        let mut v = vals![
            pos as i64,
            a.civility_id,
            a.birth_name.clone(),
            a.usage_name.clone(),
            a.first_names.clone()
        ];
        v.extend(addr_vals(&a.address));
        v.extend(vals![a.phone.clone(), a.email.clone()]);
        match aid.filter(|x| stored_adults.iter().any(|s| s.id == *x)) {
            Some(aid) => {
                v.push(aid.into());
                exec(
                    txn,
                    "UPDATE adult SET position = $1, civility_id = $2, birth_name = $3, usage_name = $4, first_names = $5,
                     addr_number = $6, addr_street = $7, addr_complement = $8, addr_postal_code = $9, addr_insee = $10,
                     addr_city = $11, phone = $12, email = $13, version = version + 1 WHERE id = $14",
                    v,
                )
                .await?;
                ids.push(aid);
            }
            None => {
                v.insert(0, id.into());
                let r = one(
                    txn,
                    "INSERT INTO adult (dossier_id, position, civility_id, birth_name, usage_name, first_names, addr_number,
                     addr_street, addr_complement, addr_postal_code, addr_insee, addr_city, phone, email)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                    v,
                )
                .await?
                .ok_or(StoreError::NotFound)?;
                ids.push(get(&r, "id")?);
            }
        }
    }
    exec(
        txn,
        "DELETE FROM follow_up WHERE dossier_id = $1",
        vals![id],
    )
    .await?;
    for f in &e.input.follow_ups {
        exec(
            txn,
            "INSERT INTO follow_up (dossier_id, kind, done_at, not_done_reason, due_on) VALUES ($1, $2, $3, $4, $5)",
            vals![
                id,
                f.kind.code(),
                f.done_at.map(|t| t.trunc_subsecs(0)),
                f.not_done_reason.clone(),
                f.due_on
            ],
        )
        .await?;
    }
    Ok(ids)
}

fn facts_of(cat: &Catalog, rec: &DossierRecord) -> DossierFacts {
    DossierFacts {
        status: rec.header.status,
        danger_grave: rec.header.danger_grave,
        children_without_conclusion: rec
            .children
            .iter()
            .filter(|c| c.data.conclusion.is_none())
            .map(|c| person_name(&c.data.person))
            .collect(),
        open_assignments: rec
            .assignments
            .iter()
            .filter(|a| a.data.returned_on.is_none() && !a.data.cancelled)
            .map(|a| {
                cat.service(a.data.service_id)
                    .map(|s| s.label.clone())
                    .unwrap_or_default()
            })
            .collect(),
        assignments: rec.assignments.iter().filter(|a| !a.data.cancelled).count(),
        parquet_transmitted_at: rec
            .follow_ups
            .iter()
            .find(|f| f.kind == FollowUpKind::Parquet)
            .and_then(|f| f.done_at),
    }
}

fn kept_of(rec: &DossierRecord) -> Kept {
    let mut k = Kept {
        territory: Some(rec.header.territory_id),
        ..Kept::default()
    };
    let h = &rec.header;
    k.params.extend([h.type_id, h.channel_id]);
    k.params.extend(rec.source.category_id);
    for a in &rec.adults {
        k.params.extend(a.data.civility_id);
    }
    for c in &rec.children {
        let d = &c.data;
        k.params.extend(
            [
                d.csp_father_id,
                d.csp_mother_id,
                d.lieu_de_vie_id,
                d.evaluation_result_id,
            ]
            .into_iter()
            .flatten(),
        );
        k.params.extend(d.motif_ids.iter().copied());
        k.params.extend(d.adults.iter().map(|l| l.link_id));
        k.params.extend(d.authors.iter().map(|l| l.link_id));
        k.params
            .extend(d.conclusion.as_ref().map(|c| c.conclusion_id));
    }
    for a in &rec.assignments {
        k.services.insert(a.data.service_id);
        k.params.extend(a.data.result_id);
    }
    k
}

fn status_error(messages: Vec<String>) -> StoreError {
    DomainError::Invalid(
        messages
            .into_iter()
            .map(|m| FieldError::new("status", "Statut", m))
            .collect(),
    )
    .into()
}

impl Store {
    /// The shorter evaluation deadline for children under two, in months (`None`: the
    /// legal deadline applies to every child).
    pub async fn under_two_months(&self) -> Result<Option<u32>> {
        let r = one(
            &self.db,
            "SELECT value FROM setting WHERE key = $1",
            vals![UNDER_TWO_SETTING],
        )
        .await?;
        Ok(match r {
            Some(r) => get::<String>(&r, "value")?.trim().parse().ok(),
            None => None,
        })
    }

    /// Sets the shorter deadline for children under two (audited).
    pub async fn set_under_two_months(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        months: Option<u32>,
    ) -> Result<()> {
        if months.is_some_and(|m| !(1..=3).contains(&m)) {
            return Err(DomainError::field(
                "under_two_months",
                "Délai pour les moins de deux ans",
                "entre 1 et 3 mois (le délai légal est de 3 mois).",
            )
            .into());
        }
        let txn = self.write().await?;
        exec(
            &txn,
            "DELETE FROM setting WHERE key = $1",
            vals![UNDER_TWO_SETTING],
        )
        .await?;
        if let Some(m) = months {
            exec(
                &txn,
                "INSERT INTO setting (key, value) VALUES ($1, $2)",
                vals![UNDER_TWO_SETTING, m.to_string()],
            )
            .await?;
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.modification").detail(UNDER_TWO_SETTING),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }

    /// Creates or updates a whole dossier in one transaction (see the module docs).
    ///
    /// Every text is checked by the domain's rules and every repeated part against
    /// [`vigie_domain::limits`] before anything is read or written.
    pub async fn save_dossier(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        e: &DossierEdit,
    ) -> Result<Saved> {
        let input = &e.input;
        if e.adult_ids.len() != input.adults.len()
            || e.children.len() != input.children.len()
            || e.assignments.len() != input.assignments.len()
        {
            return Err(StoreError::Config(
                "formulaire incohérent : rechargez le dossier.".into(),
            ));
        }
        check_edit_bounds(e)?;
        // Every problem at once: domain, ages, then references (after the transaction starts).
        let mut problems: Vec<FieldError> = Vec::new();
        if let Err(err) = input.validate(now) {
            problems.extend(err.fields().iter().cloned());
        }
        if let Err(err) = input.check_ages(&e.confirmed_adult_children) {
            problems.extend(err.fields().iter().cloned());
        }
        let txn = self.write().await?;
        let cat = load_catalog(&txn).await?;
        let users = user_names(&txn).await?;
        let x = Ctx {
            cat: &cat,
            tz: self.tz,
            users: &users,
        };
        let current = match e.dossier {
            Some(r) => {
                // Saves of one dossier are serialised: the versions read below stay current
                // until commit. (SQLite's write transaction already holds the database lock.)
                if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                    one(
                        &txn,
                        "SELECT id FROM dossier WHERE id = $1 FOR UPDATE",
                        vals![r.id],
                    )
                    .await?;
                }
                Some(load_dossier(&txn, scope, r.id).await?)
            }
            None => None,
        };
        let kept = current.as_ref().map(kept_of).unwrap_or_default();
        if let Err(err) = check_references_keeping(&cat, input, &kept) {
            problems.extend(err.fields().iter().cloned());
        }
        let territory_changed = current
            .as_ref()
            .is_none_or(|c| c.header.territory_id != input.header.territory_id);
        if territory_changed && !scope.covers(input.header.territory_id, &[]) {
            problems.push(FieldError::new(
                "territory_id",
                "Territoire",
                "hors de votre périmètre : vous ne pourriez plus consulter ce dossier.",
            ));
        }
        if let Some(pid) = input.children.iter().filter_map(|c| c.person_id).find(|p| {
            input
                .children
                .iter()
                .filter(|c| c.person_id == Some(*p))
                .count()
                > 1
        }) {
            let i = input
                .children
                .iter()
                .rposition(|c| c.person_id == Some(pid))
                .unwrap_or(0);
            problems.push(FieldError::new(
                format!("children[{i}].person_id"),
                "Enfant",
                "cet enfant figure deux fois dans le dossier.",
            ));
        }
        // Every commune given must exist in the reference (all of France).
        let mut addresses: Vec<(String, &vigie_domain::Address)> =
            vec![("source.address".into(), &input.source.address)];
        addresses.extend(
            input
                .adults
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("adults[{i}].address"), &a.address)),
        );
        addresses.extend(
            input
                .children
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("children[{i}].address"), &c.address)),
        );
        let codes: Vec<String> = addresses
            .iter()
            .filter_map(|(_, a)| a.commune_insee.clone())
            .filter(|c| vigie_domain::is_insee_code(c))
            .collect();
        if !codes.is_empty() {
            let mut q = crate::sql::Sql::new("SELECT DISTINCT insee FROM commune WHERE insee IN ");
            q.bind_list(&codes);
            let known: HashSet<String> = crate::sql::all_sql(&txn, &q)
                .await?
                .iter()
                .map(|r| get::<String>(r, "insee"))
                .collect::<Result<_>>()?;
            for (field, a) in &addresses {
                if let Some(c) = &a.commune_insee
                    && vigie_domain::is_insee_code(c)
                    && !known.contains(c)
                {
                    problems.push(FieldError::new(
                        format!("{field}.commune_insee"),
                        "Commune (code INSEE)",
                        format!("aucune commune n'a le code INSEE « {c} » : choisissez-la dans la liste."),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        match current {
            None => self.create_in(txn, now, actor, e, &x).await,
            Some(rec) => self.update_in(txn, now, actor, e, &x, rec).await,
        }
    }

    async fn create_in(
        &self,
        txn: DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        e: &DossierEdit,
        x: &Ctx<'_>,
    ) -> Result<Saved> {
        let input = &e.input;
        let (id, number, _) = insert_dossier(&txn, self.tz, now, actor, input).await?;
        if let Some(d) = e.direct {
            exec(
                &txn,
                "UPDATE dossier SET direct_conclusion = $1 WHERE id = $2",
                vals![d.code(), id],
            )
            .await?;
        }
        let rec = load_dossier(&txn, &Scope::All, id).await?;
        if input.header.status != DossierStatus::Recue {
            let mut facts = facts_of(x.cat, &rec);
            facts.status = DossierStatus::Recue;
            check_transition(
                &facts,
                &Transition {
                    to: input.header.status,
                    direct: e.direct.map(DirectConclusionCode::domain),
                    reason: e.status_reason.clone(),
                },
            )
            .map_err(status_error)?;
        }
        let adults: Vec<Adult> = input.adults.clone();
        let name = |ix: i64| {
            usize::try_from(ix)
                .ok()
                .and_then(|i| adults.get(i))
                .map(adult_name)
                .unwrap_or_default()
        };
        let mut revisions = vec![
            write_revision(
                &txn,
                now,
                actor,
                id,
                Part::Header,
                None,
                "Création du dossier",
                1,
                None,
                &diff(
                    &Fields::new(),
                    &header_fields(x, &input.header, &input.source, &adults, &input.follow_ups),
                ),
            )
            .await?,
        ];
        for (c, stored) in input.children.iter().zip(&rec.children) {
            revisions.push(
                write_revision(
                    &txn,
                    now,
                    actor,
                    id,
                    Part::Child,
                    Some(stored.id),
                    &format!("Enfant : {}", person_name(&c.person)),
                    1,
                    None,
                    &diff(&Fields::new(), &child_fields(x, c, &name)),
                )
                .await?,
            );
        }
        for (a, stored) in input.assignments.iter().zip(&rec.assignments) {
            revisions.push(
                write_revision(
                    &txn,
                    now,
                    actor,
                    id,
                    Part::Assignment,
                    Some(stored.id),
                    &format!(
                        "Affectation : {}",
                        x.cat
                            .service(a.service_id)
                            .map(|s| s.label.as_str())
                            .unwrap_or("")
                    ),
                    1,
                    None,
                    &diff(&Fields::new(), &assignment_fields(x, a)),
                )
                .await?,
            );
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.creation")
                .on("dossier", id)
                .detail(format!(
                    "revisions={}",
                    revisions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )),
        )
        .await?;
        for (c, stored) in input.children.iter().zip(&rec.children) {
            if let Some(pid) = c.person_id {
                self.append(
                    &txn,
                    now,
                    actor,
                    Event::new("personne.liaison")
                        .on("dossier", id)
                        .detail(format!("enfant={};personne={pid}", stored.id)),
                )
                .await?;
            }
        }
        txn.commit().await?;
        Ok(Saved {
            id,
            number,
            revisions,
        })
    }

    #[allow(clippy::too_many_lines)]
    async fn update_in(
        &self,
        txn: DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        e: &DossierEdit,
        x: &Ctx<'_>,
        rec: DossierRecord,
    ) -> Result<Saved> {
        let input = &e.input;
        let id = rec.id;
        let head = e.dossier.ok_or(StoreError::NotFound)?;
        // Names of adults for child links: the typed ones, by index; a stored id maps to
        // the index it has in this edit (so a renamed parent is not a change of the child).
        let typed_name = |ix: i64| {
            usize::try_from(ix)
                .ok()
                .and_then(|i| input.adults.get(i))
                .map(adult_name)
                .unwrap_or_default()
        };
        let stored_name = |aid: i64| match e.adult_ids.iter().position(|a| *a == Some(aid)) {
            Some(i) => adult_name(&input.adults[i]),
            None => rec
                .adults
                .iter()
                .find(|a| a.id == aid)
                .map(|a| adult_name(&a.data))
                .unwrap_or_default(),
        };
        let stored_adults: Vec<Adult> = rec.adults.iter().map(|a| a.data.clone()).collect();
        let mut conflicts = Vec::new();

        // The header part.
        let header_changes = if head.touched {
            diff(
                &header_fields(x, &rec.header, &rec.source, &stored_adults, &rec.follow_ups),
                &header_fields(
                    x,
                    &input.header,
                    &input.source,
                    &input.adults,
                    &input.follow_ups,
                ),
            )
        } else {
            vec![]
        };
        // Adults are part of the header; a new adult without other header change still counts.
        let adults_changed = head.touched
            && (e.adult_ids.iter().any(Option::is_none)
                || rec
                    .adults
                    .iter()
                    .any(|a| !e.adult_ids.contains(&Some(a.id))));
        let header_write = !header_changes.is_empty() || adults_changed;
        if header_write && head.version != rec.version {
            let (by, at) = last_change(&txn, id, Part::Header, None, x.users).await?;
            conflicts.push(PartConflict {
                part: Part::Header,
                index: None,
                part_label: "En-tête, signalant, parents, exposé et suites".into(),
                removed: false,
                changes: header_changes.clone(),
                by,
                at,
                current_version: rec.version,
            });
        }

        // Children.
        struct ChildPlan {
            index: usize,
            stored: Option<usize>,
            changes: Vec<FieldChange>,
        }
        let mut child_plans = Vec::new();
        for (i, (c, r)) in input.children.iter().zip(&e.children).enumerate() {
            match r {
                None => child_plans.push(ChildPlan {
                    index: i,
                    stored: None,
                    changes: diff(&Fields::new(), &child_fields(x, c, &typed_name)),
                }),
                Some(r) => {
                    let Some(si) = rec.children.iter().position(|s| s.id == r.id) else {
                        if r.touched {
                            conflicts.push(PartConflict {
                                part: Part::Child,
                                index: Some(i),
                                part_label: format!("Enfant : {}", person_name(&c.person)),
                                removed: true,
                                changes: vec![],
                                by: last_change(&txn, id, Part::Child, Some(r.id), x.users)
                                    .await?
                                    .0,
                                at: None,
                                current_version: 0,
                            });
                        }
                        continue;
                    };
                    let s: &ChildRecord = &rec.children[si];
                    // Position changes alone are not a change of the child.
                    let changes = if r.touched {
                        diff(
                            &child_fields(x, &s.data, &stored_name),
                            &child_fields(x, c, &typed_name),
                        )
                    } else {
                        vec![]
                    };
                    if !changes.is_empty() && r.version != s.version {
                        let (by, at) =
                            last_change(&txn, id, Part::Child, Some(s.id), x.users).await?;
                        conflicts.push(PartConflict {
                            part: Part::Child,
                            index: Some(i),
                            part_label: format!("Enfant : {}", person_name(&s.data.person)),
                            removed: false,
                            changes: changes.clone(),
                            by,
                            at,
                            current_version: s.version,
                        });
                    }
                    child_plans.push(ChildPlan {
                        index: i,
                        stored: Some(si),
                        changes,
                    });
                }
            }
        }
        for r in &e.removed_children {
            if let Some(s) = rec.children.iter().find(|s| s.id == r.id)
                && s.version != r.version
            {
                let (by, at) = last_change(&txn, id, Part::Child, Some(s.id), x.users).await?;
                conflicts.push(PartConflict {
                    part: Part::Child,
                    index: None,
                    part_label: format!(
                        "Enfant à retirer : {} (modifié entre-temps)",
                        person_name(&s.data.person)
                    ),
                    removed: false,
                    changes: vec![],
                    by,
                    at,
                    current_version: s.version,
                });
            }
        }

        // Assignments.
        struct AssignmentPlan {
            index: usize,
            stored_id: Option<i64>,
            version: i64,
            changes: Vec<FieldChange>,
        }
        let mut assignment_plans = Vec::new();
        for (i, (a, r)) in input.assignments.iter().zip(&e.assignments).enumerate() {
            let label = format!(
                "Affectation : {}",
                x.cat
                    .service(a.service_id)
                    .map(|s| s.label.as_str())
                    .unwrap_or("")
            );
            match r {
                None => assignment_plans.push(AssignmentPlan {
                    index: i,
                    stored_id: None,
                    version: 1,
                    changes: diff(&Fields::new(), &assignment_fields(x, a)),
                }),
                Some(r) => {
                    let Some(s) = rec.assignments.iter().find(|s| s.id == r.id) else {
                        if r.touched {
                            conflicts.push(PartConflict {
                                part: Part::Assignment,
                                index: Some(i),
                                part_label: label,
                                removed: true,
                                changes: vec![],
                                by: None,
                                at: None,
                                current_version: 0,
                            });
                        }
                        continue;
                    };
                    let changes = if r.touched {
                        diff(&assignment_fields(x, &s.data), &assignment_fields(x, a))
                    } else {
                        vec![]
                    };
                    if !changes.is_empty() && r.version != s.version {
                        let (by, at) =
                            last_change(&txn, id, Part::Assignment, Some(s.id), x.users).await?;
                        conflicts.push(PartConflict {
                            part: Part::Assignment,
                            index: Some(i),
                            part_label: label,
                            removed: false,
                            changes: changes.clone(),
                            by,
                            at,
                            current_version: s.version,
                        });
                    }
                    assignment_plans.push(AssignmentPlan {
                        index: i,
                        stored_id: Some(s.id),
                        version: s.version + 1,
                        changes,
                    });
                }
            }
        }
        for r in &e.removed_assignments {
            if let Some(s) = rec.assignments.iter().find(|s| s.id == r.id)
                && s.version != r.version
            {
                let (by, at) = last_change(&txn, id, Part::Assignment, Some(s.id), x.users).await?;
                conflicts.push(PartConflict {
                    part: Part::Assignment,
                    index: None,
                    part_label: "Affectation à retirer (modifiée entre-temps)".into(),
                    removed: false,
                    changes: vec![],
                    by,
                    at,
                    current_version: s.version,
                });
            }
        }
        if !conflicts.is_empty() {
            return Err(StoreError::Conflicts(conflicts));
        }

        // Write.
        let mut revisions = Vec::new();
        let mut fields_audit: Vec<String> = Vec::new();
        let adult_ids: Vec<i64> = if header_write {
            let ids = write_header(&txn, now, actor, id, e, &rec.adults).await?;
            let reason = e.status_reason.as_deref().filter(|r| !r.trim().is_empty());
            revisions.push(
                write_revision(
                    &txn,
                    now,
                    actor,
                    id,
                    Part::Header,
                    None,
                    "En-tête, signalant, parents, exposé et suites",
                    rec.version + 1,
                    reason,
                    &header_changes,
                )
                .await?,
            );
            fields_audit.push(format!(
                "entete:{}",
                header_changes
                    .iter()
                    .map(|c| c.field.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            ));
            ids
        } else {
            // The adults as stored, in the order of this edit.
            e.adult_ids.iter().map(|a| a.unwrap_or_default()).collect()
        };
        let removed: HashSet<i64> = e.removed_children.iter().map(|r| r.id).collect();
        for r in &e.removed_children {
            if let Some(s) = rec.children.iter().find(|s| s.id == r.id) {
                exec(&txn, "DELETE FROM dossier_child WHERE id = $1", vals![s.id]).await?;
                let label = format!("Enfant retiré : {}", person_name(&s.data.person));
                revisions.push(
                    write_revision(
                        &txn,
                        now,
                        actor,
                        id,
                        Part::Child,
                        Some(s.id),
                        &label,
                        s.version + 1,
                        None,
                        &diff(&child_fields(x, &s.data, &stored_name), &Fields::new()),
                    )
                    .await?,
                );
                fields_audit.push(format!("enfant#{}:retrait", s.id));
            }
        }
        for plan in &child_plans {
            let c = &input.children[plan.index];
            let position = plan.index as i64;
            match plan.stored {
                Some(si) => {
                    let s = &rec.children[si];
                    if removed.contains(&s.id) {
                        continue;
                    }
                    if plan.changes.is_empty() {
                        exec(
                            &txn,
                            "UPDATE dossier_child SET position = $1 WHERE id = $2",
                            vals![position, s.id],
                        )
                        .await?;
                        continue;
                    }
                    let identity_changed = plan.changes.iter().any(|f| {
                        matches!(
                            f.field.as_str(),
                            "sex" | "birth_name" | "usage_name" | "first_names" | "birth_date"
                        )
                    });
                    let pid = match c.person_id {
                        // Same person: its identity is updated if it changed.
                        Some(p) if p == s.person_id => {
                            if identity_changed {
                                write_person(&txn, now, Some(p), &c.person).await?;
                            }
                            p
                        }
                        // Linked to another known person.
                        Some(p) => {
                            self.append(
                                &txn,
                                now,
                                actor,
                                Event::new("personne.liaison")
                                    .on("dossier", id)
                                    .detail(format!("enfant={};personne={p}", s.id)),
                            )
                            .await?;
                            p
                        }
                        // Unlinked: a new person with the typed identity.
                        None => {
                            let p = write_person(&txn, now, None, &c.person).await?;
                            self.append(
                                &txn,
                                now,
                                actor,
                                Event::new("personne.deliaison")
                                    .on("dossier", id)
                                    .detail(format!("enfant={};personne={}", s.id, s.person_id)),
                            )
                            .await?;
                            p
                        }
                    };
                    write_child(&txn, id, position, Some(s.id), pid, c, &adult_ids).await?;
                    revisions.push(
                        write_revision(
                            &txn,
                            now,
                            actor,
                            id,
                            Part::Child,
                            Some(s.id),
                            &format!("Enfant : {}", person_name(&c.person)),
                            s.version + 1,
                            None,
                            &plan.changes,
                        )
                        .await?,
                    );
                    fields_audit.push(format!(
                        "enfant#{}:{}",
                        s.id,
                        plan.changes
                            .iter()
                            .map(|c| c.field.as_str())
                            .collect::<Vec<_>>()
                            .join("+")
                    ));
                }
                None => {
                    let pid = match c.person_id {
                        Some(p) => {
                            let exists = one(&txn, "SELECT id FROM person WHERE id = $1", vals![p])
                                .await?
                                .is_some();
                            if !exists {
                                return Err(DomainError::field(
                                    &format!("children[{}].person_id", plan.index),
                                    "Ancien dossier",
                                    "la personne liée n'existe pas.",
                                )
                                .into());
                            }
                            p
                        }
                        None => write_person(&txn, now, None, &c.person).await?,
                    };
                    let cid = write_child(&txn, id, position, None, pid, c, &adult_ids).await?;
                    if c.person_id.is_some() {
                        self.append(
                            &txn,
                            now,
                            actor,
                            Event::new("personne.liaison")
                                .on("dossier", id)
                                .detail(format!("enfant={cid};personne={pid}")),
                        )
                        .await?;
                    }
                    revisions.push(
                        write_revision(
                            &txn,
                            now,
                            actor,
                            id,
                            Part::Child,
                            Some(cid),
                            &format!("Enfant ajouté : {}", person_name(&c.person)),
                            1,
                            None,
                            &plan.changes,
                        )
                        .await?,
                    );
                    fields_audit.push(format!("enfant#{cid}:ajout"));
                }
            }
        }
        for r in &e.removed_assignments {
            if let Some(s) = rec.assignments.iter().find(|s| s.id == r.id) {
                exec(&txn, "DELETE FROM assignment WHERE id = $1", vals![s.id]).await?;
                revisions.push(
                    write_revision(
                        &txn,
                        now,
                        actor,
                        id,
                        Part::Assignment,
                        Some(s.id),
                        &format!(
                            "Affectation retirée : {}",
                            x.cat
                                .service(s.data.service_id)
                                .map(|s| s.label.as_str())
                                .unwrap_or("")
                        ),
                        s.version + 1,
                        None,
                        &diff(&assignment_fields(x, &s.data), &Fields::new()),
                    )
                    .await?,
                );
                fields_audit.push(format!("affectation#{}:retrait", s.id));
            }
        }
        let removed_a: HashSet<i64> = e.removed_assignments.iter().map(|r| r.id).collect();
        for plan in &assignment_plans {
            if plan.changes.is_empty() || plan.stored_id.is_some_and(|s| removed_a.contains(&s)) {
                continue;
            }
            let a = &input.assignments[plan.index];
            let aid = write_assignment(&txn, id, plan.stored_id, a).await?;
            let label = format!(
                "{} : {}",
                if plan.stored_id.is_some() {
                    "Affectation"
                } else {
                    "Affectation ajoutée"
                },
                x.cat
                    .service(a.service_id)
                    .map(|s| s.label.as_str())
                    .unwrap_or("")
            );
            revisions.push(
                write_revision(
                    &txn,
                    now,
                    actor,
                    id,
                    Part::Assignment,
                    Some(aid),
                    &label,
                    plan.version,
                    None,
                    &plan.changes,
                )
                .await?,
            );
            fields_audit.push(format!(
                "affectation#{aid}:{}",
                plan.changes
                    .iter()
                    .map(|c| c.field.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            ));
        }

        // The status rules, on the dossier as it now is.
        if header_write && input.header.status != rec.header.status {
            let after = load_dossier(&txn, &Scope::All, id).await?;
            let mut facts = facts_of(x.cat, &after);
            facts.status = rec.header.status;
            check_transition(
                &facts,
                &Transition {
                    to: input.header.status,
                    direct: e.direct.map(DirectConclusionCode::domain),
                    reason: e.status_reason.clone(),
                },
            )
            .map_err(status_error)?;
        }
        if revisions.is_empty() {
            // Nothing changed: no write, no audit of a change (the transaction is dropped).
            return Ok(Saved {
                id,
                number: rec.number,
                revisions,
            });
        }
        if !header_write {
            // Any change of a part is a change of the dossier: keep `updated_*` current
            // without touching the header's version.
            exec(
                &txn,
                "UPDATE dossier SET updated_by = $1, updated_at = $2 WHERE id = $3",
                vals![actor.user_id, now, id],
            )
            .await?;
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.modification")
                .on("dossier", id)
                .detail(format!(
                    "revisions={};champs={}",
                    revisions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    fields_audit.join(",")
                )),
        )
        .await?;
        txn.commit().await?;
        Ok(Saved {
            id,
            number: rec.number,
            revisions,
        })
    }

    /// The history of a dossier, newest first; the consultation is audited.
    pub async fn dossier_history(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        id: i64,
    ) -> Result<Vec<Revision>> {
        let txn = self.write().await?;
        if let Err(err) = crate::dossiers::load_header(&txn, scope, id).await {
            if matches!(err, StoreError::NotFound) {
                self.append(
                    &txn,
                    now,
                    actor,
                    Event::new("dossier.historique_refuse").on("dossier", id),
                )
                .await?;
                txn.commit().await?;
            }
            return Err(err);
        }
        let rows = all(
            &txn,
            "SELECT r.*, u.display_name FROM revision r LEFT JOIN app_user u ON u.id = r.user_id
             WHERE r.dossier_id = $1 ORDER BY r.id DESC",
            vals![id],
        )
        .await?;
        let out = rows
            .iter()
            .map(|r| {
                let part: String = get(r, "part")?;
                let changes: String = get(r, "changes")?;
                Ok(Revision {
                    id: get(r, "id")?,
                    part: Part::parse(&part).unwrap_or(Part::Header),
                    part_id: get(r, "part_id")?,
                    part_label: get(r, "part_label")?,
                    version: get(r, "version")?,
                    at: get(r, "at")?,
                    user_name: get(r, "display_name")?,
                    reason: get(r, "reason")?,
                    changes: serde_json::from_str(&changes).unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.historique").on("dossier", id),
        )
        .await?;
        txn.commit().await?;
        Ok(out)
    }
}

impl DossierEdit {
    /// An edit of a stored dossier that changes nothing yet: every part referenced with
    /// its stored version and `touched` set (so that any later change is checked).
    pub fn from_record(rec: &DossierRecord) -> Self {
        let index = |aid: i64| {
            rec.adults
                .iter()
                .position(|a| a.id == aid)
                .map_or(-1, |i| i as i64)
        };
        let children = rec
            .children
            .iter()
            .map(|c| {
                let mut d = c.data.clone();
                for l in &mut d.adults {
                    l.adult = index(l.adult);
                }
                for a in &mut d.authors {
                    a.adult = a.adult.map(index);
                }
                d
            })
            .collect();
        Self {
            dossier: Some(PartRef {
                id: rec.id,
                version: rec.version,
                touched: true,
            }),
            input: DossierInput {
                header: rec.header.clone(),
                source: rec.source.clone(),
                adults: rec.adults.iter().map(|a| a.data.clone()).collect(),
                children,
                assignments: rec.assignments.iter().map(|a| a.data.clone()).collect(),
                follow_ups: rec.follow_ups.clone(),
            },
            adult_ids: rec.adults.iter().map(|a| Some(a.id)).collect(),
            children: rec
                .children
                .iter()
                .map(|c| {
                    Some(PartRef {
                        id: c.id,
                        version: c.version,
                        touched: true,
                    })
                })
                .collect(),
            assignments: rec
                .assignments
                .iter()
                .map(|a| {
                    Some(PartRef {
                        id: a.id,
                        version: a.version,
                        touched: true,
                    })
                })
                .collect(),
            removed_children: vec![],
            removed_assignments: vec![],
            direct: rec.direct,
            status_reason: None,
            confirmed_adult_children: vec![],
        }
    }

    /// A new dossier.
    pub fn create(input: DossierInput) -> Self {
        Self {
            dossier: None,
            adult_ids: vec![None; input.adults.len()],
            children: vec![None; input.children.len()],
            assignments: vec![None; input.assignments.len()],
            input,
            removed_children: vec![],
            removed_assignments: vec![],
            direct: None,
            status_reason: None,
            confirmed_adult_children: vec![],
        }
    }
}

/// The edit's own lists within the domain's limits, and its reason a clean text.
fn check_edit_bounds(e: &DossierEdit) -> Result<()> {
    use vigie_domain::limits::{MAX_ASSIGNMENTS, MAX_CHILDREN, too_many};
    let mut errs = vigie_domain::error::Errors::default();
    // Beyond a limit, nothing is looked up: the work stays bounded.
    vigie_domain::limits::check(&e.input, &mut errs);
    if e.removed_children.len() > MAX_CHILDREN {
        let n = e.removed_children.len();
        errs.push(
            "removed_children",
            "Enfants retirés",
            too_many("enfants", MAX_CHILDREN, Some(n), "dossier"),
        );
    }
    if e.removed_assignments.len() > MAX_ASSIGNMENTS {
        let n = e.removed_assignments.len();
        let m = too_many("affectations", MAX_ASSIGNMENTS, Some(n), "dossier");
        errs.push("removed_assignments", "Affectations retirées", m);
    }
    if e.confirmed_adult_children.len() > MAX_CHILDREN {
        let n = e.confirmed_adult_children.len();
        let m = too_many("enfants", MAX_CHILDREN, Some(n), "dossier");
        errs.push("confirmed_adult_children", "Jeunes majeurs confirmés", m);
    }
    vigie_domain::text::check(
        &mut errs,
        "status_reason",
        "Motif du changement de statut",
        vigie_domain::text::TextKind::Comment,
        e.status_reason.as_deref(),
    );
    errs.into_result().map_err(Into::into)
}
