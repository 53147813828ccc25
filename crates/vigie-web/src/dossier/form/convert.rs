//! The form as a [`DossierEdit`], with a French error naming the field for each
//! unreadable value; each part of the dossier is read by its own function, in the order
//! the errors are listed.

use chrono::{DateTime, NaiveDate, Utc};
use vigie_domain::dossier::{DirectConclusionCode, DossierEdit, PartRef};
use vigie_domain::labels as L;
use vigie_domain::text::{TextKind, check, clean};
use vigie_domain::{
    Address, Adult, AdultLink, AssignmentInput, Author, BirthDate, ChildInput, Conclusion,
    DossierInput, DossierStatus, FieldError, FollowUp, Header, Person, Sex, Source,
    SourceConfidentiality,
};

use super::fingerprint::assignment_fingerprint;
use super::*;
use crate::shared::dates::{local_to_utc, parse_date};

/// The children or assignments read from the form: the inputs, the stored part each row
/// stands for, and each one's form index.
struct Rows<T> {
    inputs: Vec<T>,
    refs: Vec<Option<PartRef>>,
    rows: Vec<usize>,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Self {
            inputs: Vec::new(),
            refs: Vec::new(),
            rows: Vec::new(),
        }
    }
}

impl AddressForm {
    /// The address, the commune's name and postal code filled from the INSEE code when blank.
    fn to_address(&self, communes: &Communes) -> Address {
        let mut a = Address {
            number: clean(&self.number),
            street: clean(&self.street),
            complement: clean(&self.complement),
            postal_code: clean(&self.postal_code),
            commune_insee: clean(&self.commune_insee).map(|c| c.to_uppercase()),
            city: clean(&self.city),
        };
        if let Some((name, postal_codes)) = a.commune_insee.as_ref().and_then(|c| communes.get(c)) {
            if a.city.is_none() {
                a.city = Some(name.clone());
            }
            if a.postal_code.is_none() && postal_codes.len() == 1 {
                a.postal_code = postal_codes.first().cloned();
            }
        }
        a
    }
}

impl DossierForm {
    /// Converts to a [`DossierEdit`] (`dossier` = the dossier's id when editing).
    pub fn to_edit(
        &self,
        dossier: Option<i64>,
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
        communes: &Communes,
    ) -> Converted {
        let mut e = Problems::default();
        for over in &self.over_limit {
            e.push(over.field.clone(), over.label.clone(), &over.message);
        }
        let editing = dossier.is_some();
        let header = self.header_input(&mut e, now, tz);
        let received_on = header.received_at.with_timezone(&tz).date_naive();
        let direct = self.direct_input(&mut e);
        let status_reason = clean(&self.status_reason);
        check(
            &mut e.0,
            "status_reason",
            "Motif de réouverture",
            TextKind::Comment,
            status_reason.as_deref(),
        );
        let source = self.source_input(&mut e, communes);
        let (adults, adult_ids) = self.adult_inputs(&mut e, editing, communes);
        let (children, confirmed) = self.child_inputs(&mut e, editing, communes);
        let assignments = self.assignment_inputs(&mut e, editing, received_on);
        let follow_ups = self.follow_up_inputs(&mut e, tz);
        let (removed_children, removed_assignments) = if editing {
            (
                removed(&self.removed_children, "children", &mut e),
                removed(&self.removed_assignments, "assignments", &mut e),
            )
        } else {
            (vec![], vec![])
        };
        let head = dossier.map(|id| PartRef {
            id,
            version: self.version.trim().parse().unwrap_or_else(|_| {
                e.push(
                    "form",
                    "Formulaire",
                    "version du dossier illisible : rechargez le dossier.",
                );
                0
            }),
            touched: self.header_fingerprint() != self.base,
        });
        let input = DossierInput {
            header,
            source,
            adults,
            children: children.inputs,
            assignments: assignments.inputs,
            follow_ups,
        };
        let errors = with_domain_errors(
            into_vec(e.0),
            &input,
            now,
            &children.rows,
            &assignments.rows,
        );
        Converted {
            edit: DossierEdit {
                dossier: head,
                input,
                adult_ids,
                children: children.refs,
                assignments: assignments.refs,
                removed_children,
                removed_assignments,
                direct,
                status_reason,
                confirmed_adult_children: confirmed,
            },
            errors,
            child_rows: children.rows,
            assignment_rows: assignments.rows,
        }
    }

    /// The header: reception, type, flags, agent, channel, territory, status, exposé.
    fn header_input(&self, e: &mut Problems, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Header {
        let received_at = match parse_local_datetime(&self.received_at) {
            Some(l) => local_to_utc(l, tz).unwrap_or(now),
            None => {
                if self.received_at.trim().is_empty() {
                    e.push("received_at", L::RECEIVED_AT, "obligatoire.");
                } else {
                    e.push(
                        "received_at",
                        L::RECEIVED_AT,
                        "date et heure attendues au format jj/mm/aaaa hh:mm.",
                    );
                }
                now
            }
        };
        Header {
            received_at,
            type_id: e.required_id("type_id", L::TYPE, &self.type_id),
            danger_grave: self.danger_grave,
            violence_conjugale: self.violence_conjugale,
            sip: self.sip,
            receiving_agent_id: e.id(
                "receiving_agent_id",
                L::RECEIVING_AGENT,
                &self.receiving_agent_id,
            ),
            channel_id: e.required_id("channel_id", L::CHANNEL, &self.channel_id),
            snated_number: clean(&self.snated_number),
            territory_id: e.required_id("territory_id", L::TERRITORY, &self.territory_id),
            status: match DossierStatus::parse(self.status.trim()) {
                Some(s) => s,
                None => {
                    e.push("status", L::STATUS, "valeur inconnue.");
                    DossierStatus::Recue
                }
            },
            expose: clean(&self.expose),
            observation: clean(&self.observation),
        }
    }

    /// Why the dossier is concluded without evaluation, if it is.
    fn direct_input(&self, e: &mut Problems) -> Option<DirectConclusionCode> {
        match self.direct.trim() {
            "" => None,
            c => {
                let d = DirectConclusionCode::parse(c);
                if d.is_none() {
                    e.push("direct", "Conclusion sans évaluation", "valeur inconnue.");
                }
                d
            }
        }
    }

    /// The source of the information (« Signalant »).
    fn source_input(&self, e: &mut Problems, communes: &Communes) -> Source {
        let s = &self.source;
        Source {
            category_id: e.id("source.category_id", L::SOURCE_CATEGORY, &s.category_id),
            confidentiality: match SourceConfidentiality::parse(s.confidentiality.trim()) {
                Some(c) => c,
                None => {
                    e.push(
                        "source.confidentiality",
                        L::SOURCE_CONFIDENTIALITY,
                        "valeur inconnue.",
                    );
                    SourceConfidentiality::Anonymous
                }
            },
            name: clean(&s.name),
            organisation: clean(&s.organisation),
            address: s.address.to_address(communes),
            email: clean(&s.email),
            phone: clean(&s.phone),
        }
    }

    /// The parents, and the stored id of each (when editing).
    fn adult_inputs(
        &self,
        e: &mut Problems,
        editing: bool,
        communes: &Communes,
    ) -> (Vec<Adult>, Vec<Option<i64>>) {
        let mut adult_ids = Vec::with_capacity(self.adults.len());
        let adults = self
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| {
                adult_ids.push(if editing {
                    e.id(&format!("adults[{i}]"), "Parent", &a.id)
                } else {
                    None
                });
                Adult {
                    civility_id: e.id(
                        &format!("adults[{i}].civility_id"),
                        L::ADULT_CIVILITY,
                        &a.civility_id,
                    ),
                    birth_name: a.birth_name.trim().to_owned(),
                    usage_name: clean(&a.usage_name),
                    first_names: clean(&a.first_names),
                    address: a.address.to_address(communes),
                    phone: clean(&a.phone),
                    email: clean(&a.email),
                }
            })
            .collect();
        (adults, adult_ids)
    }

    /// The children kept (not marked for removal), and the edit indexes of those confirmed
    /// as jeunes majeurs.
    fn child_inputs(
        &self,
        e: &mut Problems,
        editing: bool,
        communes: &Communes,
    ) -> (Rows<ChildInput>, Vec<usize>) {
        let mut out = Rows::default();
        let mut confirmed = Vec::new();
        for (i, c) in self.children.iter().enumerate() {
            if editing && marked(&self.removed_children, &c.id) {
                continue;
            }
            let f = format!("children[{i}]");
            let child = self.child_input(e, &f, c, communes);
            if c.confirmed_adult {
                confirmed.push(out.inputs.len());
            }
            out.inputs.push(child);
            out.refs.push(if editing {
                e.part_ref(&f, &c.id, &c.version, || {
                    self.child_fingerprint(i) != c.base
                })
            } else {
                None
            });
            out.rows.push(i);
        }
        (out, confirmed)
    }

    /// One child (`f`: its form key, `children[i]`).
    fn child_input(
        &self,
        e: &mut Problems,
        f: &str,
        c: &ChildForm,
        communes: &Communes,
    ) -> ChildInput {
        let sex = Sex::parse(c.sex.trim()).unwrap_or_else(|| {
            e.push(format!("{f}.sex"), L::SEX, "valeur inconnue.");
            Sex::Unknown
        });
        let birth = birth_input(e, f, c);
        let links = link_inputs(e, f, c, self.adults.len());
        let authors = author_inputs(e, f, c, self.adults.len());
        let mut motif_ids = Vec::new();
        for m in &c.motifs {
            match m.trim().parse::<i64>() {
                Ok(id) => motif_ids.push(id),
                Err(_) => e.push(format!("{f}.motifs"), L::MOTIFS, "valeur inconnue."),
            }
        }
        let conclusion = conclusion_input(e, f, c);
        let person_id = e.id(&format!("{f}.person_id"), L::PERSON, &c.person_id);
        ChildInput {
            person_id,
            person: Person {
                birth_name: c.birth_name.trim().to_owned(),
                usage_name: clean(&c.usage_name),
                first_names: c.first_names.trim().to_owned(),
                sex,
                birth,
            },
            address: c.address.to_address(communes),
            csp_father_id: e.id(
                &format!("{f}.csp_father_id"),
                L::CSP_FATHER,
                &c.csp_father_id,
            ),
            csp_mother_id: e.id(
                &format!("{f}.csp_mother_id"),
                L::CSP_MOTHER,
                &c.csp_mother_id,
            ),
            lieu_de_vie_id: e.id(
                &format!("{f}.lieu_de_vie_id"),
                L::LIEU_DE_VIE,
                &c.lieu_de_vie_id,
            ),
            comment: clean(&c.comment),
            adults: links,
            authors,
            motif_ids,
            evaluation_result_id: e.id(
                &format!("{f}.evaluation_result_id"),
                L::EVALUATION_RESULT,
                &c.evaluation_result_id,
            ),
            conclusion,
        }
    }

    /// The assignments kept (not marked for removal).
    fn assignment_inputs(
        &self,
        e: &mut Problems,
        editing: bool,
        received_on: NaiveDate,
    ) -> Rows<AssignmentInput> {
        let mut out = Rows::default();
        for (i, a) in self.assignments.iter().enumerate() {
            if editing && marked(&self.removed_assignments, &a.id) {
                continue;
            }
            let f = format!("assignments[{i}]");
            let service_id = e.required_id(&format!("{f}.service_id"), L::SERVICE, &a.service_id);
            let asked = e.date(&format!("{f}.asked_on"), L::ASKED_ON, &a.asked_on, true);
            let due = e.date(&format!("{f}.due_on"), L::DUE_ON, &a.due_on, true);
            let returned_on = e.date(
                &format!("{f}.returned_on"),
                L::RETURNED_ON_HISTORY,
                &a.returned_on,
                false,
            );
            let asked_on = asked.or(due).unwrap_or(received_on);
            out.inputs.push(AssignmentInput {
                service_id,
                asked_on,
                due_on: due.unwrap_or(asked_on),
                evaluators: a.evaluator_names(),
                returned_on,
                result_id: e.id(&format!("{f}.result_id"), L::RESULT, &a.result_id),
                cancelled: a.cancelled,
                comment: clean(&a.comment),
            });
            out.refs.push(if editing {
                e.part_ref(&f, &a.id, &a.version, || {
                    assignment_fingerprint(a) != a.base
                })
            } else {
                None
            });
            out.rows.push(i);
        }
        out
    }

    /// The follow-ups with at least one value.
    fn follow_up_inputs(&self, e: &mut Problems, tz: chrono_tz::Tz) -> Vec<FollowUp> {
        let mut follow_ups = Vec::new();
        for fu in &self.follow_ups {
            let key = format!("follow_ups.{}", fu.kind.code());
            let done_at = match fu.done_at.trim() {
                "" => None,
                t => match parse_local_datetime(t)
                    .or_else(|| parse_date(t).and_then(|d| d.and_hms_opt(0, 0, 0)))
                {
                    Some(l) => local_to_utc(l, tz),
                    None => {
                        e.push(
                            format!("{key}.done_at"),
                            format!("{} : fait le", fu.kind.label()),
                            "date et heure attendues au format jj/mm/aaaa hh:mm.",
                        );
                        None
                    }
                },
            };
            let due_on = e.date(
                &format!("{key}.due_on"),
                &format!("{} : à faire pour le", fu.kind.label()),
                &fu.due_on,
                false,
            );
            let reason = clean(&fu.not_done_reason);
            if done_at.is_some() || due_on.is_some() || reason.is_some() {
                follow_ups.push(FollowUp {
                    kind: fu.kind,
                    due_on,
                    done_at,
                    not_done_reason: reason,
                });
            }
        }
        follow_ups
    }
}

/// A child's birth date, as its precision says.
fn birth_input(e: &mut Problems, f: &str, c: &ChildForm) -> BirthDate {
    match c.birth_precision.trim() {
        "inconnue" => BirthDate::Unknown,
        p @ ("exacte" | "approx" | "a_naitre") => {
            let date = parse_date(&c.birth_date).or_else(|| {
                if p == "approx" {
                    parse_year(&c.birth_date)
                } else {
                    None
                }
            });
            match date {
                Some(d) => BirthDate::from_parts(p, Some(d)).unwrap_or(BirthDate::Unknown),
                None if c.birth_date.trim().is_empty() => {
                    e.push(
                        format!("{f}.birth_date"),
                        L::BIRTH_DATE,
                        if p == "a_naitre" {
                            "indiquez la date prévue du terme."
                        } else {
                            "obligatoire pour cette précision (sinon choisissez « Inconnue »)."
                        },
                    );
                    BirthDate::Unknown
                }
                None => {
                    e.push(
                        format!("{f}.birth_date"),
                        L::BIRTH_DATE,
                        "date attendue au format jj/mm/aaaa.",
                    );
                    BirthDate::Unknown
                }
            }
        }
        _ => {
            e.push(
                format!("{f}.birth_precision"),
                "Précision de la date de naissance",
                "valeur inconnue.",
            );
            BirthDate::Unknown
        }
    }
}

/// A child's links to the dossier's adults (by index).
fn link_inputs(e: &mut Problems, f: &str, c: &ChildForm, n_adults: usize) -> Vec<AdultLink> {
    let mut links = Vec::new();
    for (k, l) in c.adults.iter().enumerate().take(n_adults) {
        let key = format!("{f}.adults[{k}].link_id");
        if l.link_id.trim().is_empty() {
            if l.parental_authority {
                e.push(
                    key,
                    L::ADULT_LINK,
                    "choisissez le lien de ce parent avec l'enfant (autorité parentale cochée).",
                );
            }
            continue;
        }
        if let Some(link_id) = e.id(&key, L::ADULT_LINK, &l.link_id) {
            links.push(AdultLink {
                adult: k as i64,
                link_id,
                parental_authority: l.parental_authority,
            });
        }
    }
    links
}

/// A child's alleged authors: an adult of the dossier (by index) or a named third party.
fn author_inputs(e: &mut Problems, f: &str, c: &ChildForm, n_adults: usize) -> Vec<Author> {
    let mut authors = Vec::new();
    for (k, a) in c.authors.iter().enumerate() {
        if a.is_blank() {
            continue;
        }
        let key = format!("{f}.authors[{k}]");
        let adult = match a.adult.trim() {
            "" => None,
            x => match x.parse::<usize>() {
                Ok(ix) if ix < n_adults => Some(ix as i64),
                _ => {
                    e.push(
                        format!("{key}.adult"),
                        L::AUTHOR,
                        "ce parent n'existe plus dans le dossier.",
                    );
                    None
                }
            },
        };
        let name = clean(&a.third_party_name);
        match (&adult, &name) {
            (Some(_), Some(_)) => e.push(
                format!("{key}.third_party_name"),
                L::AUTHOR,
                "un parent du dossier ou un tiers nommé, pas les deux.",
            ),
            (None, None) if a.adult.trim().is_empty() => e.push(
                format!("{key}.adult"),
                L::AUTHOR,
                "choisissez un parent du dossier ou nommez le tiers.",
            ),
            _ => {}
        }
        let link = e.required_id(&format!("{key}.link_id"), L::AUTHOR_LINK, &a.link_id);
        authors.push(Author {
            adult,
            third_party_name: if adult.is_some() { None } else { name },
            link_id: link,
        });
    }
    authors
}

/// A child's conclusion: the conclusion, its date and comment, together or not at all.
fn conclusion_input(e: &mut Problems, f: &str, c: &ChildForm) -> Option<Conclusion> {
    let conclusion_id = e.id(&format!("{f}.conclusion"), L::CONCLUSION, &c.conclusion);
    let conclusion_comment = clean(&c.conclusion_comment);
    match conclusion_id {
        Some(conclusion_id) => match parse_date(&c.conclusion_on) {
            Some(on) => Some(Conclusion {
                conclusion_id,
                on,
                comment: conclusion_comment,
            }),
            None => {
                e.push(
                    format!("{f}.conclusion.on"),
                    L::CONCLUSION_ON,
                    if c.conclusion_on.trim().is_empty() {
                        "obligatoire avec une conclusion."
                    } else {
                        "date attendue au format jj/mm/aaaa."
                    },
                );
                None
            }
        },
        None => {
            if c.conclusion.trim().is_empty()
                && (!c.conclusion_on.trim().is_empty() || conclusion_comment.is_some())
            {
                e.push(
                    format!("{f}.conclusion"),
                    L::CONCLUSION,
                    "choisissez la conclusion (ou effacez sa date et son commentaire).",
                );
            }
            None
        }
    }
}

/// The stored parts to remove (`id:version` entries).
fn removed(list: &[String], what: &str, e: &mut Problems) -> Vec<PartRef> {
    list.iter()
        .filter_map(|x| {
            let (id, v) = x.split_once(':')?;
            match (id.trim().parse(), v.trim().parse()) {
                (Ok(id), Ok(version)) => Some(PartRef {
                    id,
                    version,
                    touched: true,
                }),
                _ => {
                    e.push(
                        what,
                        "Formulaire",
                        "élément à retirer illisible : rechargez le dossier.",
                    );
                    None
                }
            }
        })
        .collect::<Vec<_>>()
}

/// With unreadable values, every problem at once: what the domain finds too, except on
/// the fields that could not be read (their placeholder values would mislead).
fn with_domain_errors(
    mut errors: Vec<FieldError>,
    input: &DossierInput,
    now: DateTime<Utc>,
    child_rows: &[usize],
    assignment_rows: &[usize],
) -> Vec<FieldError> {
    if !errors.is_empty()
        && let Err(d) = input.validate(now)
    {
        for fe in d.fields() {
            let key = remap(&fe.field, "children[", child_rows)
                .or_else(|| remap(&fe.field, "assignments[", assignment_rows))
                .unwrap_or_else(|| fe.field.clone());
            if !errors.iter().any(|x| x.field == key) {
                errors.push(FieldError::new(key, fe.label.clone(), fe.message.clone()));
            }
        }
    }
    errors
}

/// Field errors collected while reading the form.
#[derive(Debug, Default)]
struct Problems(vigie_domain::error::Errors);

fn into_vec(e: vigie_domain::error::Errors) -> Vec<FieldError> {
    match e.into_result() {
        Ok(()) => vec![],
        Err(d) => d.fields().to_vec(),
    }
}

impl Problems {
    fn push(&mut self, key: impl Into<String>, label: impl Into<String>, message: &str) {
        self.0.push(key, label, message);
    }

    /// An optional id (a select): empty → `None`.
    fn id(&mut self, key: &str, label: &str, v: &str) -> Option<i64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        match v.parse() {
            Ok(i) => Some(i),
            Err(_) => {
                self.push(key, label, "valeur inconnue.");
                None
            }
        }
    }

    /// A required id: empty → « obligatoire ».
    fn required_id(&mut self, key: &str, label: &str, v: &str) -> i64 {
        if v.trim().is_empty() {
            self.push(key, label, "obligatoire.");
            return 0;
        }
        self.id(key, label, v).unwrap_or(0)
    }

    fn date(&mut self, key: &str, label: &str, v: &str, required: bool) -> Option<NaiveDate> {
        if v.trim().is_empty() {
            if required {
                self.push(key, label, "obligatoire.");
            }
            return None;
        }
        let d = parse_date(v);
        if d.is_none() {
            self.push(key, label, "date attendue au format jj/mm/aaaa.");
        }
        d
    }

    /// The stored part a row stands for (`None` for a new row).
    fn part_ref(
        &mut self,
        key: &str,
        id: &str,
        version: &str,
        touched: impl FnOnce() -> bool,
    ) -> Option<PartRef> {
        if id.trim().is_empty() {
            return None;
        }
        match (id.trim().parse(), version.trim().parse()) {
            (Ok(id), Ok(version)) => Some(PartRef {
                id,
                version,
                touched: touched(),
            }),
            _ => {
                self.push(
                    key,
                    "Formulaire",
                    "version illisible : rechargez le dossier.",
                );
                None
            }
        }
    }
}
