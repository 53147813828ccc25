//! A form from a stored dossier (each part with its version and fingerprint), and the
//! form of a new dossier.

use chrono::{DateTime, Utc};
use vigie_domain::dossier::{AdultRecord, AssignmentRecord, ChildRecord, DossierRecord};
use vigie_domain::{Address, BirthDate, DossierStatus, FollowUpKind, SourceConfidentiality};

use super::fingerprint::assignment_fingerprint;
use super::*;

impl AddressForm {
    fn from(a: &Address) -> Self {
        Self {
            number: o(&a.number),
            street: o(&a.street),
            complement: o(&a.complement),
            postal_code: o(&a.postal_code),
            commune_insee: o(&a.commune_insee),
            city: o(&a.city),
        }
    }
}

fn o(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn id_str(v: Option<i64>) -> String {
    v.map(|i| i.to_string()).unwrap_or_default()
}

impl DossierForm {
    /// A new dossier: received now, one child, the four follow-ups.
    pub fn new_dossier(
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
        d: &Defaults,
        type_id: String,
        receiving_agent_id: String,
    ) -> Self {
        Self {
            received_at: datetime_value(now, tz)
                .get(..16)
                .unwrap_or_default()
                .to_owned(),
            type_id,
            receiving_agent_id,
            status: DossierStatus::Recue.code().into(),
            source: SourceForm {
                confidentiality: SourceConfidentiality::Known.code().into(),
                ..SourceForm::default()
            },
            children: vec![ChildForm::blank(0, &d.lieu_de_vie)],
            ..Self::empty()
        }
    }

    /// The form of a stored dossier, each part with its version and fingerprint.
    pub fn from_record(rec: &DossierRecord, tz: chrono_tz::Tz) -> Self {
        let h = &rec.header;
        let s = &rec.source;
        let mut f = Self {
            version: rec.version.to_string(),
            base: String::new(),
            number: rec.number.to_string(),
            received_at: datetime_value(h.received_at, tz),
            type_id: h.type_id.to_string(),
            sip: h.sip,
            danger_grave: h.danger_grave,
            violence_conjugale: h.violence_conjugale,
            receiving_agent_id: id_str(h.receiving_agent_id),
            channel_id: h.channel_id.to_string(),
            snated_number: o(&h.snated_number),
            territory_id: h.territory_id.to_string(),
            status: h.status.code().into(),
            direct: rec.direct.map(|d| d.code().to_owned()).unwrap_or_default(),
            status_reason: String::new(),
            source: SourceForm {
                category_id: id_str(s.category_id),
                confidentiality: s.confidentiality.code().into(),
                name: o(&s.name),
                organisation: o(&s.organisation),
                address: AddressForm::from(&s.address),
                email: o(&s.email),
                phone: o(&s.phone),
            },
            adults: rec.adults.iter().map(AdultForm::from_record).collect(),
            children: rec
                .children
                .iter()
                .map(|c| ChildForm::from_record(rec, c, tz))
                .collect(),
            expose: o(&h.expose),
            observation: o(&h.observation),
            assignments: rec
                .assignments
                .iter()
                .map(AssignmentForm::from_record)
                .collect(),
            follow_ups: follow_ups_from_record(rec, tz),
            removed_children: vec![],
            removed_assignments: vec![],
            over_limit: vec![],
        };
        f.base = f.header_fingerprint();
        for i in 0..f.children.len() {
            f.children[i].base = f.child_fingerprint(i);
        }
        for a in &mut f.assignments {
            a.base = assignment_fingerprint(a);
        }
        f
    }
}

impl AdultForm {
    /// A stored adult.
    fn from_record(a: &AdultRecord) -> Self {
        AdultForm {
            id: a.id.to_string(),
            civility_id: id_str(a.data.civility_id),
            birth_name: a.data.birth_name.clone(),
            usage_name: o(&a.data.usage_name),
            first_names: o(&a.data.first_names),
            address: AddressForm::from(&a.data.address),
            phone: o(&a.data.phone),
            email: o(&a.data.email),
        }
    }
}

impl ChildForm {
    /// A stored child of `rec`: its adults' links and its authors by the adults' rows in
    /// the form, its other dossiers as shown (bounded).
    fn from_record(rec: &DossierRecord, c: &ChildRecord, tz: chrono_tz::Tz) -> Self {
        let adult_index = |id: i64| rec.adults.iter().position(|a| a.id == id);
        let received = rec.header.received_at.date_naive();
        let x = &c.data;
        let p = &x.person;
        let (precision, date) = p.birth.to_parts();
        let mut links = vec![LinkForm::default(); rec.adults.len()];
        for l in &x.adults {
            if let Some(i) = adult_index(l.adult) {
                links[i] = LinkForm {
                    link_id: l.link_id.to_string(),
                    parental_authority: l.parental_authority,
                };
            }
        }
        let age = match p.birth {
            BirthDate::Exact(d) | BirthDate::Approximate(d) => {
                Some(vigie_domain::deadline::age_on(d, received))
            }
            _ => None,
        };
        ChildForm {
            id: c.id.to_string(),
            version: c.version.to_string(),
            base: String::new(),
            person_id: c.person_id.to_string(),
            sex: p.sex.code().into(),
            birth_name: p.birth_name.clone(),
            usage_name: o(&p.usage_name),
            first_names: p.first_names.clone(),
            birth_precision: precision.into(),
            birth_date: date_value(date),
            address: AddressForm::from(&x.address),
            csp_father_id: id_str(x.csp_father_id),
            csp_mother_id: id_str(x.csp_mother_id),
            lieu_de_vie_id: id_str(x.lieu_de_vie_id),
            comment: o(&x.comment),
            adults: links,
            authors: x
                .authors
                .iter()
                .map(|a| AuthorForm {
                    adult: a
                        .adult
                        .and_then(adult_index)
                        .map(|i| i.to_string())
                        .unwrap_or_default(),
                    third_party_name: o(&a.third_party_name),
                    link_id: a.link_id.to_string(),
                })
                .collect(),
            motifs: x.motif_ids.iter().map(ToString::to_string).collect(),
            evaluation_result_id: id_str(x.evaluation_result_id),
            conclusion: id_str(x.conclusion.as_ref().map(|k| k.conclusion_id)),
            conclusion_on: date_value(x.conclusion.as_ref().map(|k| k.on)),
            conclusion_comment: x
                .conclusion
                .as_ref()
                .and_then(|k| k.comment.clone())
                .unwrap_or_default(),
            // Stored children of 18 to 20 were confirmed when they were saved.
            confirmed_adult: age.is_some_and(|a| (18..21).contains(&a)),
            others: c
                .other_dossiers
                .iter()
                .take(MAX_OTHERS_PER_CHILD)
                .map(|o| OtherForm {
                    id: id_str(o.id),
                    text: crate::dossier::view::OtherView::new(o, tz).text,
                })
                .collect(),
        }
    }
}

impl AssignmentForm {
    /// A stored assignment.
    fn from_record(a: &AssignmentRecord) -> Self {
        let x = &a.data;
        AssignmentForm {
            id: a.id.to_string(),
            version: a.version.to_string(),
            base: String::new(),
            service_id: x.service_id.to_string(),
            asked_on: date_value(Some(x.asked_on)),
            due_on: date_value(Some(x.due_on)),
            evaluators: x.evaluators.join("\n"),
            returned_on: date_value(x.returned_on),
            result_id: id_str(x.result_id),
            cancelled: x.cancelled,
            comment: o(&x.comment),
        }
    }
}

/// The four follow-ups, each as stored or empty.
fn follow_ups_from_record(rec: &DossierRecord, tz: chrono_tz::Tz) -> Vec<FollowUpForm> {
    FollowUpKind::ALL
        .iter()
        .map(|k| {
            let stored = rec.follow_ups.iter().find(|f| f.kind == *k);
            FollowUpForm {
                kind: *k,
                done_at: stored
                    .and_then(|f| f.done_at)
                    .map(|t| datetime_value(t, tz))
                    .unwrap_or_default(),
                due_on: date_value(stored.and_then(|f| f.due_on)),
                not_done_reason: stored
                    .and_then(|f| f.not_done_reason.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}
