//! The history of a dossier as plain data: each part (header, child, assignment) shown as
//! a stable list of `(key, French label, display value)`, and the changed fields between two
//! such lists. The store writes these changes as revisions; labels come from
//! [`crate::labels`], so the history reads as the form does.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, SubsecRound, TimeZone, Utc};

use crate::catalog::Catalog;
use crate::dossier::edit::FieldChange;
use crate::labels::{self as L, adult_history};
use crate::{
    Address, Adult, AssignmentInput, BirthDate, ChildInput, FollowUp, FollowUpKind, Header, Person,
    Source,
};

fn fr_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn fr_instant<Tz: TimeZone>(tz: &Tz, t: Option<DateTime<Utc>>) -> String
where
    Tz::Offset: fmt::Display,
{
    t.map(|t| t.with_timezone(tz).format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

fn yes_no(b: bool) -> String {
    if b { "oui" } else { "non" }.to_owned()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn address_text(a: &Address) -> String {
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
pub type Fields = Vec<(String, String, String)>;

fn push(f: &mut Fields, key: impl Into<String>, label: impl Into<String>, value: String) {
    f.push((key.into(), label.into(), value));
}

/// What turns stored values into display values: parameter, territory and service labels
/// from the catalog, user names, instants in the local time zone `tz`.
#[derive(Debug)]
pub struct Resolver<'a, Tz: TimeZone> {
    pub cat: &'a Catalog,
    pub tz: Tz,
    /// Display name of each user id.
    pub users: &'a HashMap<i64, String>,
}

impl<Tz: TimeZone> Resolver<'_, Tz>
where
    Tz::Offset: fmt::Display,
{
    fn param(&self, id: Option<i64>) -> String {
        id.map(|i| self.cat.label(Some(i))).unwrap_or_default()
    }

    fn instant(&self, t: Option<DateTime<Utc>>) -> String {
        fr_instant(&self.tz, t)
    }
}

/// The family name as shown: the usage name, else the birth name, in capitals.
fn shown_family_name(birth_name: &str, usage_name: Option<&str>) -> String {
    usage_name.unwrap_or(birth_name).to_uppercase()
}

/// « Léa MARTIN »: a person's first names and family name.
pub fn person_name(p: &Person) -> String {
    format!(
        "{} {}",
        p.first_names,
        shown_family_name(&p.birth_name, p.usage_name.as_deref())
    )
    .trim()
    .to_owned()
}

/// « Marie DUPONT »: an adult's first names (if known) and family name.
pub fn adult_name(a: &Adult) -> String {
    adult_name_with_civility("", a)
}

/// « Mme Marie DUPONT »: an adult's name after its civility (as the dossier view shows it;
/// an empty civility or first names leave their space).
pub fn adult_name_with_civility(civility: &str, a: &Adult) -> String {
    let name = format!(
        "{} {}",
        a.first_names.as_deref().unwrap_or_default(),
        shown_family_name(&a.birth_name, a.usage_name.as_deref())
    );
    if civility.is_empty() {
        name.trim().to_owned()
    } else {
        format!("{civility} {name}").trim().to_owned()
    }
}

/// The header part's fields: the header, the source, the adults, the follow-ups.
pub fn header_fields<Tz: TimeZone>(
    x: &Resolver<'_, Tz>,
    h: &Header,
    s: &Source,
    adults: &[Adult],
    follow_ups: &[FollowUp],
) -> Fields
where
    Tz::Offset: fmt::Display,
{
    let mut f = Fields::new();
    push_header(&mut f, x, h);
    push_source(&mut f, x, s);
    push_adults(&mut f, x, adults);
    push_follow_ups(&mut f, x, follow_ups);
    f
}

/// The header's own fields: reception, type, flags, agent, channel, territory, status, texts.
fn push_header<Tz: TimeZone>(f: &mut Fields, x: &Resolver<'_, Tz>, h: &Header)
where
    Tz::Offset: fmt::Display,
{
    push(
        f,
        "received_at",
        L::RECEIVED_AT_HISTORY,
        x.instant(Some(h.received_at.trunc_subsecs(0))),
    );
    push(f, "type_id", L::TYPE_HISTORY, x.param(Some(h.type_id)));
    push(f, "sip", L::SIP, yes_no(h.sip));
    push(f, "danger_grave", L::DANGER_GRAVE, yes_no(h.danger_grave));
    push(
        f,
        "violence_conjugale",
        L::VIOLENCE_CONJUGALE,
        yes_no(h.violence_conjugale),
    );
    push(
        f,
        "receiving_agent_id",
        L::RECEIVING_AGENT,
        h.receiving_agent_id
            .map(|u| {
                x.users
                    .get(&u)
                    .cloned()
                    .unwrap_or_else(|| format!("n° {u}"))
            })
            .unwrap_or_default(),
    );
    push(f, "channel_id", L::CHANNEL, x.param(Some(h.channel_id)));
    push(
        f,
        "snated_number",
        L::SNATED_NUMBER_HISTORY,
        opt(&h.snated_number),
    );
    push(
        f,
        "territory_id",
        L::TERRITORY,
        x.cat
            .territory(h.territory_id)
            .map(|t| t.label.clone())
            .unwrap_or_default(),
    );
    push(f, "status", L::STATUS, x.cat.status_label(h.status));
    push(f, "expose", L::EXPOSE_HISTORY, opt(&h.expose));
    push(f, "observation", L::OBSERVATION, opt(&h.observation));
}

/// The source's fields.
fn push_source<Tz: TimeZone>(f: &mut Fields, x: &Resolver<'_, Tz>, s: &Source)
where
    Tz::Offset: fmt::Display,
{
    push(
        f,
        "source.category_id",
        L::SOURCE_CATEGORY,
        x.param(s.category_id),
    );
    push(
        f,
        "source.confidentiality",
        L::SOURCE_CONFIDENTIALITY,
        s.confidentiality.label().to_owned(),
    );
    push(f, "source.name", L::SOURCE_NAME, opt(&s.name));
    push(
        f,
        "source.organisation",
        L::SOURCE_ORGANISATION,
        opt(&s.organisation),
    );
    push(
        f,
        "source.address",
        L::SOURCE_ADDRESS,
        address_text(&s.address),
    );
    push(f, "source.email", L::SOURCE_EMAIL, opt(&s.email));
    push(f, "source.phone", L::SOURCE_PHONE, opt(&s.phone));
}

/// Each adult's fields, keyed by its index and labelled by its number.
fn push_adults<Tz: TimeZone>(f: &mut Fields, x: &Resolver<'_, Tz>, adults: &[Adult])
where
    Tz::Offset: fmt::Display,
{
    for (i, a) in adults.iter().enumerate() {
        let n = i + 1;
        push(
            f,
            format!("adults[{i}].civility_id"),
            adult_history::label(n, adult_history::CIVILITY),
            x.param(a.civility_id),
        );
        push(
            f,
            format!("adults[{i}].birth_name"),
            adult_history::label(n, adult_history::BIRTH_NAME),
            a.birth_name.clone(),
        );
        push(
            f,
            format!("adults[{i}].usage_name"),
            adult_history::label(n, adult_history::USAGE_NAME),
            opt(&a.usage_name),
        );
        push(
            f,
            format!("adults[{i}].first_names"),
            adult_history::label(n, adult_history::FIRST_NAMES),
            opt(&a.first_names),
        );
        push(
            f,
            format!("adults[{i}].address"),
            adult_history::label(n, adult_history::ADDRESS),
            address_text(&a.address),
        );
        push(
            f,
            format!("adults[{i}].phone"),
            adult_history::label(n, adult_history::PHONE),
            opt(&a.phone),
        );
        push(
            f,
            format!("adults[{i}].email"),
            adult_history::label(n, adult_history::EMAIL),
            opt(&a.email),
        );
    }
}

/// One field per follow-up kind: done, not done (why) or due, empty when absent.
fn push_follow_ups<Tz: TimeZone>(f: &mut Fields, x: &Resolver<'_, Tz>, follow_ups: &[FollowUp])
where
    Tz::Offset: fmt::Display,
{
    for k in FollowUpKind::ALL {
        let v = follow_ups
            .iter()
            .find(|fu| fu.kind == k)
            .map(|fu| {
                let mut parts = Vec::new();
                if let Some(d) = fu.done_at {
                    parts.push(format!("fait le {}", x.instant(Some(d))));
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
            f,
            format!("follow_ups.{}", k.code()),
            k.label().to_owned(),
            v,
        );
    }
}

/// `adult_label` names the adult referenced by a child link (index or id, as stored).
pub fn child_fields<Tz: TimeZone>(
    x: &Resolver<'_, Tz>,
    c: &ChildInput,
    adult_label: &dyn Fn(i64) -> String,
) -> Fields
where
    Tz::Offset: fmt::Display,
{
    let mut f = Fields::new();
    let p = &c.person;
    push(
        &mut f,
        "person_id",
        L::PERSON_HISTORY,
        c.person_id.map(|p| format!("n° {p}")).unwrap_or_default(),
    );
    push(&mut f, "sex", L::SEX, p.sex.label().to_owned());
    push(&mut f, "birth_name", L::BIRTH_NAME, p.birth_name.clone());
    push(&mut f, "usage_name", L::USAGE_NAME, opt(&p.usage_name));
    push(&mut f, "first_names", L::FIRST_NAMES, p.first_names.clone());
    push(&mut f, "birth_date", L::BIRTH_DATE, birth_text(p.birth));
    push(&mut f, "address", L::ADDRESS, address_text(&c.address));
    push(
        &mut f,
        "csp_father_id",
        L::CSP_FATHER,
        x.param(c.csp_father_id),
    );
    push(
        &mut f,
        "csp_mother_id",
        L::CSP_MOTHER,
        x.param(c.csp_mother_id),
    );
    push(
        &mut f,
        "lieu_de_vie_id",
        L::LIEU_DE_VIE,
        x.param(c.lieu_de_vie_id),
    );
    push(&mut f, "comment", L::COMMENT, opt(&c.comment));
    push(
        &mut f,
        "adults",
        L::CHILD_ADULTS_HISTORY,
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
        L::AUTHORS,
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
        L::MOTIFS,
        motifs
            .into_iter()
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join(" ; "),
    );
    push(
        &mut f,
        "evaluation_result_id",
        L::EVALUATION_RESULT,
        x.param(c.evaluation_result_id),
    );
    let conc = c.conclusion.as_ref();
    push(
        &mut f,
        "conclusion",
        L::CONCLUSION,
        x.param(conc.map(|k| k.conclusion_id)),
    );
    push(
        &mut f,
        "conclusion.on",
        L::CONCLUSION_ON,
        fr_date(conc.map(|k| k.on)),
    );
    push(
        &mut f,
        "conclusion.comment",
        L::CONCLUSION_COMMENT,
        conc.and_then(|k| k.comment.clone()).unwrap_or_default(),
    );
    f
}

pub fn assignment_fields<Tz: TimeZone>(x: &Resolver<'_, Tz>, a: &AssignmentInput) -> Fields
where
    Tz::Offset: fmt::Display,
{
    let mut f = Fields::new();
    push(
        &mut f,
        "service_id",
        L::SERVICE,
        x.cat
            .service(a.service_id)
            .map(|s| s.label.clone())
            .unwrap_or_default(),
    );
    push(&mut f, "asked_on", L::ASKED_ON, fr_date(Some(a.asked_on)));
    push(&mut f, "due_on", L::DUE_ON, fr_date(Some(a.due_on)));
    push(&mut f, "evaluators", L::EVALUATORS, a.evaluators.join(", "));
    push(
        &mut f,
        "returned_on",
        L::RETURNED_ON_HISTORY,
        fr_date(a.returned_on),
    );
    push(&mut f, "result_id", L::RESULT, x.param(a.result_id));
    push(&mut f, "cancelled", L::CANCELLED, yes_no(a.cancelled));
    push(&mut f, "comment", L::COMMENT, opt(&a.comment));
    f
}

/// The changed fields from `old` to `new` (keys present on one side only included).
pub fn diff(old: &Fields, new: &Fields) -> Vec<FieldChange> {
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
