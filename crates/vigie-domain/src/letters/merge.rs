//! The data a letter is filled with, built from a dossier for one recipient.
//!
//! Confidentiality is decided here, not in templates: a letter to a family is built and then
//! stripped of every field the [`dictionary`](super::dictionary) marks as not for families (the
//! source, the alleged authors, the free texts, addresses and phones of the adults, the
//! children's addresses — a placement address among them); the recipient parent's own address is
//! in `destinataire` only. Parent letters go only to holders of parental authority of the
//! children concerned. The source's identity is in a letter to others only where the generating
//! agent may see it, and the letter is then flagged confidential.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{LetterDef, RecipientKind, dictionary};
use crate::dossier::record::{ChildRecord, DossierRecord};
use crate::{Address, Adult, DomainError, SourceConfidentiality};

/// A person or body with an address (a service, a directory entry, the letterhead's CRIP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub organisation: Option<String>,
    /// Lines separated by `\n`.
    pub address: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The département's letterhead (administered in the application).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letterhead {
    pub departement: String,
    pub service: String,
    pub address: String,
    pub city: String,
    pub phone: String,
    pub email: String,
    pub signatory: String,
    pub signatory_title: String,
    pub delegation: String,
}

/// The agent printed as « Affaire suivie par ».
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agent {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}

/// Labels of the ids a dossier holds, read by the caller from the parameter tables.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// Every parameter value (types, channels, motifs, links, conclusions…), by id.
    pub params: HashMap<i64, String>,
    pub territories: HashMap<i64, String>,
    /// Services, with their address and e-mail.
    pub services: HashMap<i64, Contact>,
    /// The dossier's status as the département labels it (the status table).
    pub status_label: Option<String>,
}

impl Labels {
    fn param(&self, id: Option<i64>) -> Value {
        id.and_then(|id| self.params.get(&id))
            .map_or(Value::Null, |s| Value::String(s.clone()))
    }
}

/// Whom one letter is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// An adult of the dossier (by id) holding parental authority.
    Parent(i64),
    /// The dossier's source.
    Source,
    /// The service of one of the dossier's assignments (by assignment id).
    Service(i64),
    /// An entry of the directory (procureur, another CRIP, the 119).
    Directory(Contact),
}

/// Everything a letter is built from.
#[derive(Debug, Clone)]
pub struct LetterInput<'a> {
    pub letter: &'a LetterDef,
    pub dossier: &'a DossierRecord,
    /// Ids of the children concerned (of `dossier.children`); empty: all of them.
    pub children: &'a [i64],
    pub recipient: &'a Recipient,
    pub letterhead: &'a Letterhead,
    pub agent: &'a Agent,
    pub labels: &'a Labels,
    pub today: NaiveDate,
    /// The date of reception, in the configured time zone.
    pub received_on: NaiveDate,
    /// The generating user may see a confidential source's identity.
    pub can_see_source: bool,
}

/// A letter's data.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    pub value: Value,
    /// The letter names a source whose identity is confidential (or anonymous): the document
    /// is flagged confidential.
    pub reveals_source: bool,
    /// The letter prints the source's identity (whatever its confidentiality today): should the
    /// source become confidential later, the document is hidden like a confidential one.
    pub names_source: bool,
    /// Who it is for, for the documents list (« Mme Julie DURAND », « Tribunal judiciaire… »).
    pub recipient_label: String,
}

fn refuse(message: &str) -> DomainError {
    DomainError::Rule(message.to_owned())
}

/// Address lines, `\n`-separated.
pub fn address_lines(a: &Address) -> String {
    let street = [a.number.as_deref(), a.street.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let city = [a.postal_code.as_deref(), a.city.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [Some(street), a.complement.clone(), Some(city)]
        .into_iter()
        .flatten()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn adult_name(a: &Adult) -> String {
    a.usage_name.clone().unwrap_or_else(|| a.birth_name.clone())
}

fn selected<'d>(
    dossier: &'d DossierRecord,
    ids: &[i64],
) -> Result<Vec<&'d ChildRecord>, DomainError> {
    if ids
        .iter()
        .any(|id| !dossier.children.iter().any(|c| c.id == *id))
    {
        return Err(refuse(
            "Un des enfants choisis n'appartient pas à ce dossier.",
        ));
    }
    let children: Vec<&ChildRecord> = dossier
        .children
        .iter()
        .filter(|c| ids.is_empty() || ids.contains(&c.id))
        .collect();
    if children.is_empty() {
        return Err(refuse(
            "Choisissez au moins un enfant concerné par le courrier.",
        ));
    }
    Ok(children)
}

/// Adults linked to the children concerned: (adult id, link label id, holds authority).
fn linked_adults(children: &[&ChildRecord]) -> Vec<(i64, i64, bool)> {
    let mut out: Vec<(i64, i64, bool)> = Vec::new();
    for link in children.iter().flat_map(|c| &c.data.adults) {
        match out.iter_mut().find(|(a, _, _)| *a == link.adult) {
            Some(entry) => entry.2 |= link.parental_authority,
            None => out.push((link.adult, link.link_id, link.parental_authority)),
        }
    }
    out
}

/// The recipients a letter may be addressed to, with their labels (the choices of the screen).
pub fn recipients(
    letter: &LetterDef,
    dossier: &DossierRecord,
    children: &[i64],
    labels: &Labels,
    directory: &[(RecipientKind, Contact)],
) -> Vec<(Recipient, String)> {
    let Ok(children) = selected(dossier, children) else {
        return Vec::new();
    };
    match letter.recipient {
        RecipientKind::Parent => linked_adults(&children)
            .into_iter()
            .filter(|(_, _, authority)| *authority)
            .filter_map(|(id, link, _)| {
                let adult = &dossier.adults.iter().find(|a| a.id == id)?.data;
                let link = labels.params.get(&link).cloned().unwrap_or_default();
                let first = adult.first_names.clone().unwrap_or_default();
                Some((
                    Recipient::Parent(id),
                    format!("{first} {} ({link})", adult_name(adult))
                        .trim()
                        .to_owned(),
                ))
            })
            .collect(),
        RecipientKind::Source => {
            let s = &dossier.source;
            if s.confidentiality == SourceConfidentiality::Anonymous
                || (s.name.is_none() && s.organisation.is_none())
            {
                return Vec::new();
            }
            let name = [s.name.clone(), s.organisation.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            vec![(Recipient::Source, name)]
        }
        RecipientKind::Service => dossier
            .assignments
            .iter()
            .filter(|a| !a.data.cancelled)
            .map(|a| {
                let name = labels
                    .services
                    .get(&a.data.service_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                (Recipient::Service(a.id), name)
            })
            .collect(),
        wanted => directory
            .iter()
            .filter(|(k, _)| *k == wanted)
            .map(|(_, c)| (Recipient::Directory(c.clone()), c.name.clone()))
            .collect(),
    }
}

/// Builds a letter's data for one recipient, or refuses it with a French message.
pub fn build(input: &LetterInput<'_>) -> Result<Merge, DomainError> {
    let d = input.dossier;
    let kind = input.letter.recipient;
    let mut children = selected(d, input.children)?;
    // A parent's letter speaks only of the children over whom that parent holds parental
    // authority (in a recomposed fratrie, not of the others).
    if let Recipient::Parent(id) = input.recipient {
        children.retain(|c| {
            c.data
                .adults
                .iter()
                .any(|l| l.adult == *id && l.parental_authority)
        });
        if children.is_empty() {
            return Err(refuse(
                "Un courrier aux parents n'est adressé qu'à un titulaire de l'autorité parentale des enfants concernés.",
            ));
        }
    }
    let adults = linked_adults(&children);
    let source = &d.source;
    let source_hidden = source.confidentiality != SourceConfidentiality::Known;
    let (destinataire, recipient_label, names_source) = recipient(input, &adults)?;
    // The source's identity in a letter to others than the family: where the agent may see it,
    // and never in a letter to a service (read by évaluateurs, who may not).
    let identity = match kind {
        RecipientKind::Parent => false,
        RecipientKind::Service => !source_hidden,
        _ => !source_hidden || input.can_see_source,
    };
    let mut value = json!({
        "aujourdhui": input.today.format("%Y-%m-%d").to_string(),
        "courrier": { "titre": input.letter.title, "base_legale": input.letter.legal_basis },
        "entete": letterhead(input.letterhead),
        "agent": {
            "nom": input.agent.name, "titre": input.agent.title,
            "telephone": input.agent.phone, "courriel": input.agent.email,
        },
        "destinataire": destinataire,
        "dossier": dossier_fields(input),
        "enfants": children.iter().map(|c| child(c, input.labels)).collect::<Vec<_>>(),
        // A family letter names, among the adults, only the holders of parental authority.
        "parents": adults.iter().filter(|(_, _, authority)| *authority || !kind.is_family())
            .filter_map(|(id, link, authority)| {
            let a = &d.adults.iter().find(|a| a.id == *id)?.data;
            Some(json!({
                "civilite": input.labels.param(a.civility_id),
                "nom": adult_name(a), "prenom": a.first_names,
                "lien": input.labels.param(Some(*link)), "autorite_parentale": authority,
                "adresse": address_lines(&a.address), "telephone": a.phone, "courriel": a.email,
            }))
        }).collect::<Vec<_>>(),
        "signalant": signalant(input, identity),
        "auteurs": authors(&children, d, input.labels),
        "affectations": d.assignments.iter().filter(|a| !a.data.cancelled)
            .map(|a| assignment(&a.data, input)).collect::<Vec<_>>(),
    });
    if let Recipient::Service(id) = input.recipient
        && let Some(a) = d.assignments.iter().find(|a| a.id == *id)
    {
        value["affectation"] = assignment(&a.data, input);
    }
    if kind.is_family() {
        strip_for_family(&mut value);
    }
    Ok(Merge {
        value,
        reveals_source: source_hidden && (names_source || identity),
        names_source: names_source || identity,
        recipient_label,
    })
}

pub(crate) fn letterhead(l: &Letterhead) -> Value {
    json!({
        "departement": l.departement, "service": l.service, "adresse": l.address,
        "ville": l.city, "telephone": l.phone, "courriel": l.email, "signataire": l.signatory,
        "qualite_signataire": l.signatory_title, "delegation": l.delegation,
    })
}

fn dossier_fields(input: &LetterInput<'_>) -> Value {
    let h = &input.dossier.header;
    let l = input.labels;
    json!({
        "numero": input.dossier.number.to_string(),
        "recu_le": input.received_on.format("%Y-%m-%d").to_string(),
        "type": l.param(Some(h.type_id)),
        "territoire": l.territories.get(&h.territory_id),
        "canal": l.param(Some(h.channel_id)),
        "statut": l.status_label.clone().unwrap_or_else(|| h.status.label().to_owned()),
        "danger_grave": h.danger_grave,
        "violence_conjugale": h.violence_conjugale,
        "numero_snated": h.snated_number,
        "expose": h.expose,
        "observation": h.observation,
    })
}

fn child(c: &ChildRecord, labels: &Labels) -> Value {
    let p = &c.data.person;
    let conclusion = c.data.conclusion.as_ref();
    json!({
        "prenom": p.first_names,
        "nom": p.usage_name.clone().unwrap_or_else(|| p.birth_name.clone()),
        "sexe": p.sex.label(),
        "naissance": p.birth.date().map(|d| d.format("%Y-%m-%d").to_string()),
        "naissance_texte": p.birth.display(),
        "motifs": c.data.motif_ids.iter().filter_map(|id| labels.params.get(id)).collect::<Vec<_>>(),
        "resultat_evaluation": labels.param(c.data.evaluation_result_id),
        "conclusion": labels.param(conclusion.map(|c| c.conclusion_id)),
        "conclusion_le": conclusion.map(|c| c.on.format("%Y-%m-%d").to_string()),
        "conclusion_commentaire": conclusion.and_then(|c| c.comment.clone()),
        "adresse": address_lines(&c.data.address),
    })
}

fn signalant(input: &LetterInput<'_>, identity: bool) -> Value {
    let s = &input.dossier.source;
    let mut v = json!({
        "categorie": input.labels.param(s.category_id),
        "confidentialite": s.confidentiality.label(),
        "professionnel": s.organisation.is_some(),
    });
    if identity {
        v["nom"] = json!(s.name);
        v["organisme"] = json!(s.organisation);
        v["adresse"] = json!(address_lines(&s.address));
        v["telephone"] = json!(s.phone);
        v["courriel"] = json!(s.email);
    }
    v
}

fn authors(children: &[&ChildRecord], d: &DossierRecord, labels: &Labels) -> Value {
    let mut list: Vec<Value> = children
        .iter()
        .flat_map(|c| &c.data.authors)
        .map(|a| {
            let name = a
                .adult
                .and_then(|id| d.adults.iter().find(|x| x.id == id))
                .map(|x| {
                    let first = x.data.first_names.clone().unwrap_or_default();
                    format!("{first} {}", adult_name(&x.data)).trim().to_owned()
                })
                .or_else(|| a.third_party_name.clone());
            json!({ "nom": name, "lien": labels.param(Some(a.link_id)) })
        })
        .collect();
    // The same author for several children of the fratrie is named once.
    let mut seen = Vec::new();
    list.retain(|a| {
        let fresh = !seen.contains(a);
        seen.push(a.clone());
        fresh
    });
    Value::Array(list)
}

fn assignment(a: &crate::AssignmentInput, input: &LetterInput<'_>) -> Value {
    let late = if a.returned_on.is_none() && input.today > a.due_on {
        (input.today - a.due_on).num_days()
    } else {
        0
    };
    json!({
        "service": input.labels.services.get(&a.service_id).map(|s| s.name.clone()),
        "demandee_le": a.asked_on.format("%Y-%m-%d").to_string(),
        "echeance": a.due_on.format("%Y-%m-%d").to_string(),
        "retour_le": a.returned_on.map(|d| d.format("%Y-%m-%d").to_string()),
        "evaluateurs": a.evaluators,
        "resultat": input.labels.param(a.result_id),
        "commentaire": a.comment,
        "jours_de_retard": late,
    })
}

/// The `destinataire` object, a label for the documents list, and whether it names the source.
fn recipient(
    input: &LetterInput<'_>,
    adults: &[(i64, i64, bool)],
) -> Result<(Value, String, bool), DomainError> {
    let kind = input.letter.recipient;
    let d = input.dossier;
    let contact = |c: &Contact, label: &str| {
        json!({
            "type": label, "civilite": Value::Null, "nom": c.name, "prenom": Value::Null,
            "organisme": c.organisation, "adresse": c.address, "courriel": c.email,
            "formule": "Madame, Monsieur,",
        })
    };
    match (kind, input.recipient) {
        (RecipientKind::Parent, Recipient::Parent(id)) => {
            let holds = adults.iter().any(|(a, _, authority)| a == id && *authority);
            let adult = d.adults.iter().find(|a| a.id == *id);
            let (true, Some(adult)) = (holds, adult) else {
                return Err(refuse(
                    "Un courrier aux parents n'est adressé qu'à un titulaire de l'autorité parentale des enfants concernés.",
                ));
            };
            let a = &adult.data;
            let civility = input.labels.param(a.civility_id);
            let formule = match civility.as_str() {
                Some(c) if c.starts_with("Madame") || c.starts_with("Monsieur") => format!("{c},"),
                _ => "Madame, Monsieur,".to_owned(),
            };
            let first = a.first_names.clone().unwrap_or_default();
            let label = format!("{first} {}", adult_name(a)).trim().to_owned();
            let v = json!({
                "type": kind.label(), "civilite": civility, "nom": adult_name(a),
                "prenom": a.first_names, "organisme": Value::Null,
                "adresse": address_lines(&a.address), "courriel": a.email, "formule": formule,
            });
            Ok((v, label, false))
        }
        (RecipientKind::Source, Recipient::Source) => {
            let s = &d.source;
            if s.confidentiality != SourceConfidentiality::Known && !input.can_see_source {
                return Err(refuse(
                    "Vous ne pouvez pas voir l'identité de ce signalant : ce courrier ne peut pas être produit par vous.",
                ));
            }
            if s.confidentiality == SourceConfidentiality::Anonymous
                || (s.name.is_none() && s.organisation.is_none())
            {
                return Err(refuse(
                    "Le signalant est anonyme : aucun courrier ne peut lui être adressé.",
                ));
            }
            let c = Contact {
                name: s.name.clone().unwrap_or_default(),
                organisation: s.organisation.clone(),
                address: address_lines(&s.address),
                email: s.email.clone(),
                phone: s.phone.clone(),
            };
            let label = [s.name.clone(), s.organisation.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            Ok((contact(&c, kind.label()), label, true))
        }
        (RecipientKind::Service, Recipient::Service(id)) => {
            let a = d
                .assignments
                .iter()
                .find(|a| a.id == *id && !a.data.cancelled);
            let service = a.and_then(|a| input.labels.services.get(&a.data.service_id));
            let Some(service) = service else {
                return Err(refuse("Ce service n'est pas saisi de ce dossier."));
            };
            Ok((contact(service, kind.label()), service.name.clone(), false))
        }
        (k, Recipient::Directory(c)) if k.directory() => {
            Ok((contact(c, k.label()), c.name.clone(), false))
        }
        _ => Err(refuse(
            "Ce destinataire ne convient pas à ce modèle de courrier.",
        )),
    }
}

/// Keeps only the fields a family may read (the dictionary's `family: true`): a field added to
/// the data but not to the dictionary never reaches a family.
fn strip_for_family(value: &mut Value) {
    let allowed: Vec<&str> = dictionary::fields()
        .filter(|f| f.family)
        .map(|f| f.path)
        .collect();
    keep(value, "", &allowed);
}

fn keep(value: &mut Value, prefix: &str, allowed: &[&str]) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                allowed.iter().any(|a| {
                    *a == path
                        || a.strip_prefix(path.as_str())
                            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
                })
            });
            for (k, v) in map.iter_mut() {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                keep(v, &path, allowed);
            }
            map.retain(|_, v| v.as_object().is_none_or(|o| !o.is_empty()));
        }
        Value::Array(items) => {
            let item_prefix = format!("{prefix}[]");
            for item in items.iter_mut() {
                keep(item, &item_prefix, allowed);
            }
        }
        _ => {}
    }
}
