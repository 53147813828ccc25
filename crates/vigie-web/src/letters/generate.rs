//! Generating letters from a dossier, for the « Courriers » page and the API alike: the
//! template, its recipients and children checked by the domain, the data built and stripped by
//! it, the document filled by the merge engine (and converted to PDF by the LibreOffice pool),
//! then every letter stored with the dossier in one transaction, each audited. Generating a
//! letter that completes a follow-up (letters 2, 6, 7, 8, 10) marks it done, unless unticked.

use std::collections::HashMap;

use chrono::NaiveDate;
use vigie_domain::dossier::{DossierEdit, DossierRecord};
use vigie_domain::letters::merge::{Contact, Labels, LetterInput, Recipient, build, recipients};
use vigie_domain::letters::{LetterDef, RecipientKind};
use vigie_domain::{DomainError, FollowUp, Permission, Scope};
use vigie_letters::{Format, Image};
use vigie_store::Actor;
use vigie_store::documents::{DocumentInfo, NewDocument};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;

/// What an agent asks for.
#[derive(Debug, Clone)]
pub struct LetterRequest {
    /// The template's code (`08-signalement-parquet`).
    pub code: String,
    /// Recipient keys ([`recipient_key`]); empty: every recipient the letter may have.
    pub recipients: Vec<String>,
    /// Children ids; empty: all.
    pub children: Vec<i64>,
    pub format: Format,
    /// Also store the PDF LibreOffice makes of it.
    pub pdf: bool,
    /// Mark the follow-up the letter completes as done.
    pub complete_follow_up: bool,
}

/// A recipient's key in forms and the API: `parent:3`, `signalant`, `service:12`, `annuaire:4`.
pub fn recipient_key(r: &Recipient, directory: &[(i64, RecipientKind, Contact)]) -> String {
    match r {
        Recipient::Parent(id) => format!("parent:{id}"),
        Recipient::Source => "signalant".into(),
        Recipient::Service(id) => format!("service:{id}"),
        Recipient::Directory(c) => directory
            .iter()
            .find(|(_, _, d)| d == c)
            .map_or_else(String::new, |(id, _, _)| format!("annuaire:{id}")),
    }
}

/// The letterhead's logo, where a template types `{{ logo }}`.
pub fn letterhead_images(letterhead: &vigie_store::letterhead::StoredLetterhead) -> Vec<Image> {
    letterhead
        .logo
        .as_ref()
        .map(|(bytes, _)| Image {
            key: "logo".into(),
            bytes: bytes.clone(),
            height_mm: 20,
        })
        .into_iter()
        .collect()
}

/// Everything a letter of a dossier needs besides the dossier.
#[derive(Debug, Clone)]
pub struct Context {
    pub labels: Labels,
    pub directory: Vec<(i64, RecipientKind, Contact)>,
    pub letterhead: vigie_store::letterhead::StoredLetterhead,
    pub agent: vigie_domain::letters::merge::Agent,
    /// The active templates, in list order.
    pub templates: Vec<vigie_store::letter_templates::LetterTemplate>,
}

impl Context {
    pub async fn load(
        state: &AppState,
        u: &SessionUser,
        rec: &DossierRecord,
    ) -> Result<Context, WebError> {
        let cat = state.store.catalog().await?;
        let labels = Labels {
            params: cat.params.iter().map(|p| (p.id, p.label.clone())).collect(),
            territories: cat
                .territories
                .iter()
                .map(|t| (t.id, t.label.clone()))
                .collect(),
            services: HashMap::new(),
            status_label: None,
        };
        let directory = state
            .store
            .directory(true)
            .await?
            .into_iter()
            .map(|e| (e.id, e.kind, e.contact))
            .collect();
        let mut ctx = Context {
            labels,
            directory,
            letterhead: state.store.letterhead().await?,
            agent: state.store.user_contact(u.user_id).await?,
            templates: state
                .store
                .letter_templates()
                .await?
                .into_iter()
                // Offered when active and usable: a version published, or the built-in one.
                .filter(|t| t.active && (t.builtin || t.in_service.is_some()))
                .collect(),
        };
        ctx.set_dossier(state, rec).await?;
        Ok(ctx)
    }

    /// What depends on the dossier: its services' contacts and its status's label (the rest is
    /// the same for every dossier, as the template trial relies on).
    pub async fn set_dossier(
        &mut self,
        state: &AppState,
        rec: &DossierRecord,
    ) -> Result<(), WebError> {
        let cat = state.store.catalog().await?;
        let mut services = HashMap::new();
        for a in &rec.assignments {
            if let std::collections::hash_map::Entry::Vacant(e) = services.entry(a.data.service_id)
            {
                e.insert(state.store.service_contact(a.data.service_id).await?);
            }
        }
        self.labels.services = services;
        self.labels.status_label = Some(cat.status_label(rec.header.status));
        Ok(())
    }

    /// The letterhead's logo, where a template types `{{ logo }}`.
    pub fn images(&self) -> Vec<Image> {
        letterhead_images(&self.letterhead)
    }

    /// An active template by code.
    pub fn template(&self, code: &str) -> Option<&vigie_store::letter_templates::LetterTemplate> {
        self.templates.iter().find(|t| t.code == code)
    }

    fn directory_contacts(&self) -> Vec<(RecipientKind, Contact)> {
        self.directory
            .iter()
            .map(|(_, k, c)| (*k, c.clone()))
            .collect()
    }

    /// The recipients a letter may have, with their keys and labels.
    pub fn choices(
        &self,
        letter: &LetterDef,
        rec: &DossierRecord,
        children: &[i64],
    ) -> Vec<(String, String, Recipient)> {
        recipients(
            letter,
            rec,
            children,
            &self.labels,
            &self.directory_contacts(),
        )
        .into_iter()
        .map(|(r, label)| (recipient_key(&r, &self.directory), label, r))
        .collect()
    }
}

/// One letter filled (not yet stored).
#[derive(Debug)]
pub struct Filled {
    pub recipient_label: String,
    pub recipient_kind: RecipientKind,
    pub confidential: bool,
    pub names_source: bool,
    pub bytes: Vec<u8>,
    pub pdf: Option<Vec<u8>>,
    pub format: Format,
    /// The template's version the letter was made from.
    pub version_label: String,
}

/// A refusal in French, shown where the letter was asked for.
pub(crate) fn refuse(message: &str) -> WebError {
    WebError::Invalid(DomainError::Rule(message.to_owned()))
}

/// Fills the letters asked for (one per recipient), without storing them.
pub async fn fill(
    state: &AppState,
    u: &SessionUser,
    rec: &DossierRecord,
    ctx: &Context,
    req: &LetterRequest,
    today: NaiveDate,
) -> Result<Vec<Filled>, WebError> {
    let stored = ctx.template(&req.code).ok_or_else(|| {
        WebError::Invalid(DomainError::field(
            "modele",
            "Modèle",
            "code de modèle inconnu ou désactivé : choisissez un des modèles de courrier de la liste.",
        ))
    })?;
    let letter = stored.def();
    if !letter.may_generate(u.role) {
        // Traced like a route refused to the role.
        let detail = format!("courrier={} role={}", letter.code, u.role.code());
        let actor = Actor::user(u.user_id, None);
        state
            .store
            .audit(
                state.now(),
                &actor,
                vigie_store::audit::Event::new("acces.refuse").detail(detail),
            )
            .await?;
        return Err(WebError::Forbidden);
    }
    let choices = ctx.choices(&letter, rec, &req.children);
    let chosen: Vec<&(String, String, Recipient)> = if req.recipients.is_empty() {
        choices.iter().collect()
    } else {
        let mut out = Vec::new();
        for key in &req.recipients {
            match choices.iter().find(|(k, _, _)| k == key) {
                Some(c) => out.push(c),
                None => {
                    return Err(refuse(&format!(
                        "Ce destinataire ne peut pas recevoir ce courrier ({}).",
                        letter.recipient.label()
                    )));
                }
            }
        }
        out
    };
    if chosen.is_empty() {
        return Err(refuse(match letter.recipient {
            RecipientKind::Parent => {
                "Aucun titulaire de l'autorité parentale des enfants choisis : ce courrier n'a pas de destinataire."
            }
            RecipientKind::Source => {
                "Le signalant est anonyme ou non identifié : ce courrier n'a pas de destinataire."
            }
            RecipientKind::Service => "Aucun service n'est saisi de ce dossier.",
            _ => {
                "L'annuaire n'a pas de destinataire de ce type : l'administrateur peut l'ajouter (Administration, Courriers)."
            }
        }));
    }
    let src = super::source::source(state, stored, req.format).await?;
    let images = ctx.images();
    let received_on = rec
        .header
        .received_at
        .with_timezone(&state.config.timezone)
        .date_naive();
    let mut out = Vec::new();
    for (_, _, recipient) in chosen {
        let merge = build(&LetterInput {
            letter: &letter,
            dossier: rec,
            children: &req.children,
            recipient,
            letterhead: &ctx.letterhead.letterhead,
            agent: &ctx.agent,
            labels: &ctx.labels,
            today,
            received_on,
            can_see_source: u.role.has(Permission::SourceIdentityRead),
        })
        .map_err(WebError::Invalid)?;
        let bytes = src
            .template
            .render(&merge.value, &images)
            .map_err(|e| refuse(&e.to_string()))?;
        let pdf = if req.pdf {
            let pool = state.pdf.clone().ok_or_else(|| {
                refuse("La production de PDF n'est pas disponible sur ce serveur.")
            })?;
            let doc = bytes.clone();
            let format = src.format;
            let converted = tokio::task::spawn_blocking(move || pool.convert(&doc, format))
                .await
                .map_err(|_| refuse("La conversion en PDF a été interrompue."))?;
            Some(converted.map_err(|e| refuse(&e.to_string()))?)
        } else {
            None
        };
        out.push(Filled {
            recipient_label: merge.recipient_label,
            recipient_kind: letter.recipient,
            confidential: merge.reveals_source,
            names_source: merge.names_source,
            bytes,
            pdf,
            format: src.format,
            version_label: src.version_label.clone(),
        });
    }
    Ok(out)
}

/// A file name without the recipient's name (it lands in download folders and logs).
fn file_name(code: &str, rec: &DossierRecord, n: usize, ext: &str) -> String {
    format!("{}-{code}-{}.{ext}", rec.number, n + 1)
}

/// What a generation stored.
#[derive(Debug, Clone)]
pub struct Generated {
    pub ids: Vec<i64>,
    /// Whether the follow-up the letter completes was marked done (`None`: none asked;
    /// `Some(false)`: the dossier changed meanwhile, the letters are stored, the follow-up is
    /// left for the agent to tick).
    pub follow_up: Option<bool>,
}

/// Fills and stores the letters; completes the follow-up when asked.
pub async fn generate(
    state: &AppState,
    u: &SessionUser,
    actor: &Actor,
    scope: &Scope,
    rec: &DossierRecord,
    req: &LetterRequest,
) -> Result<Generated, WebError> {
    let now = state.now();
    let today = now.with_timezone(&state.config.timezone).date_naive();
    let ctx = Context::load(state, u, rec).await?;
    let filled = fill(state, u, rec, &ctx, req, today).await?;
    let letter = ctx
        .template(&req.code)
        .map(vigie_store::letter_templates::LetterTemplate::def)
        .ok_or(WebError::NotFound)?;
    let mut docs = Vec::new();
    for (n, f) in filled.iter().enumerate() {
        let base = NewDocument {
            dossier_id: rec.id,
            kind: "courrier",
            title: letter.title.clone(),
            template_code: Some(letter.code.clone()),
            template_version: Some(f.version_label.clone()),
            recipient_kind: Some(f.recipient_kind.code().to_owned()),
            recipient_label: Some(f.recipient_label.clone()),
            file_name: file_name(&letter.code, rec, n, f.format.extension()),
            media_type: f.format.mime().to_owned(),
            bytes: &f.bytes,
            confidential: f.confidential,
            names_source: f.names_source,
            category_id: None,
            version_of: None,
        };
        if let Some(pdf) = &f.pdf {
            docs.push(NewDocument {
                file_name: file_name(&letter.code, rec, n, "pdf"),
                media_type: "application/pdf".into(),
                bytes: pdf,
                ..base.clone()
            });
        }
        docs.push(base);
    }
    let ids = state.store.add_documents(now, actor, scope, &docs).await?;
    let mut follow_up = None;
    if req.complete_follow_up
        && let Some(kind) = letter.completes()
        && u.role.has(Permission::DossierWrite)
    {
        follow_up = Some(
            match complete_follow_up(state, actor, scope, rec, kind).await {
                Ok(()) => true,
                Err(WebError::Conflicts(_) | WebError::Invalid(_)) => false,
                Err(e) => return Err(e),
            },
        );
    }
    Ok(Generated { ids, follow_up })
}

/// Marks a follow-up done now (a save of the dossier's header part, with its revision), unless
/// it is already done.
async fn complete_follow_up(
    state: &AppState,
    actor: &Actor,
    scope: &Scope,
    rec: &DossierRecord,
    kind: vigie_domain::FollowUpKind,
) -> Result<(), WebError> {
    if rec
        .follow_ups
        .iter()
        .any(|f| f.kind == kind && f.done_at.is_some())
    {
        return Ok(());
    }
    let mut edit = DossierEdit::from_record(rec);
    for c in edit
        .children
        .iter_mut()
        .chain(edit.assignments.iter_mut())
        .flatten()
    {
        c.touched = false;
    }
    let now = state.now();
    match edit.input.follow_ups.iter_mut().find(|f| f.kind == kind) {
        Some(f) => {
            f.done_at = Some(now);
            f.not_done_reason = None;
        }
        None => edit.input.follow_ups.push(FollowUp {
            kind,
            due_on: None,
            done_at: Some(now),
            not_done_reason: None,
        }),
    }
    state.store.save_dossier(now, actor, scope, &edit).await?;
    Ok(())
}

/// The documents of a dossier the user may see.
pub async fn documents(
    state: &AppState,
    u: &SessionUser,
    scope: &Scope,
    dossier_id: i64,
) -> Result<Vec<DocumentInfo>, WebError> {
    Ok(state
        .store
        .documents(
            scope,
            u.role.has(Permission::SourceIdentityRead),
            dossier_id,
        )
        .await?)
}
