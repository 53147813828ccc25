//! « Courriers » of a dossier (`/dossiers/{id}/courriers`): the letters the user may generate,
//! and for the chosen one its recipients (one letter each), the children concerned, the format
//! (ODT or DOCX, and PDF when LibreOffice is installed, disabled with the reason otherwise), the
//! follow-up it completes; « Aperçu » shows the filled text, « Générer » stores the letters with
//! the dossier and opens its documents. Works without JavaScript: the template is chosen by a
//! link, the rest is one form.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::dossier::DossierRecord;
use vigie_domain::letters::LetterDef;
use vigie_store::sessions::SessionUser;

use super::generate::{Context, LetterRequest, fill, generate};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::{Form, Query};
use crate::shared::access::dossier_scope;
use crate::shared::{Chrome, actor, path_id, render};

/// A choice of the form (value, label, checked).
#[derive(Debug, Clone)]
pub struct Check {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// A template the user may generate.
#[derive(Debug, Clone)]
pub struct Offer {
    pub code: String,
    pub number: usize,
    pub title: String,
    pub recipient: &'static str,
    pub legal_basis: String,
    pub href: String,
    pub current: bool,
}

/// A previewed letter.
#[derive(Debug, Clone)]
pub struct Preview {
    pub recipient: String,
    pub text: String,
    pub confidential: bool,
}

#[derive(Template)]
#[template(path = "courriers.html")]
struct LettersPage {
    demo: bool,
    chrome: Chrome,
    dossier_id: i64,
    number: String,
    offers: Vec<Offer>,
    chosen: Option<Offer>,
    recipients: Vec<Check>,
    children: Vec<Check>,
    docx: bool,
    /// The published version's format, when the CRIP published one (no choice then).
    fixed_format: String,
    pdf: bool,
    pdf_unavailable: String,
    follow_up: Option<&'static str>,
    complete: bool,
    error: String,
    previews: Vec<Preview>,
}

#[derive(Debug, serde::Deserialize)]
pub struct Chosen {
    #[serde(default)]
    modele: String,
}

/// What the form sends (repeated checkboxes: read as pairs).
fn request_of(pairs: &[(String, String)]) -> Result<LetterRequest, WebError> {
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let code = value("modele")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            WebError::Invalid(vigie_domain::DomainError::field(
                "modele",
                "Modèle",
                "choisissez un des modèles de courrier de la liste.",
            ))
        })?
        .to_owned();
    let children = pairs
        .iter()
        .filter(|(k, _)| k == "enfant")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    Ok(LetterRequest {
        code,
        recipients: pairs
            .iter()
            .filter(|(k, _)| k == "destinataire")
            .map(|(_, v)| v.clone())
            .collect(),
        children,
        format: if value("format") == Some("docx") {
            vigie_letters::Format::Docx
        } else {
            vigie_letters::Format::Odt
        },
        pdf: value("pdf").is_some(),
        complete_follow_up: value("suivi").is_some(),
    })
}

/// From the page (« formulaire »), nothing ticked is an error, never « everyone ».
fn selection_problem(pairs: &[(String, String)]) -> Option<String> {
    let has = |k: &str| pairs.iter().any(|(key, _)| key == k);
    if !has("formulaire") {
        return None;
    }
    if !has("destinataire") {
        return Some("Destinataires : cochez au moins un destinataire.".into());
    }
    if !has("enfant") {
        return Some("Enfants concernés : cochez au moins un enfant.".into());
    }
    None
}

async fn load(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    id: &str,
) -> Result<(DossierRecord, vigie_domain::Scope), WebError> {
    let id = path_id(id)?;
    let scope = dossier_scope(state, u).await?;
    let rec = state
        .store
        .read_dossier(state.now(), &actor(u, ip), &scope, id)
        .await?;
    Ok((rec, scope))
}

fn offers(u: &SessionUser, ctx: &Context, id: i64, current: Option<&LetterDef>) -> Vec<Offer> {
    ctx.templates
        .iter()
        .enumerate()
        .map(|(n, t)| (n + 1, t.def()))
        .filter(|(_, k)| k.may_generate(u.role))
        .map(|(number, k)| Offer {
            href: format!("/dossiers/{id}/courriers?modele={}", k.code),
            current: current.is_some_and(|c| c.code == k.code),
            number,
            recipient: k.recipient.label(),
            code: k.code,
            title: k.title,
            legal_basis: k.legal_basis,
        })
        .collect()
}

/// What the page shows besides the dossier: the template chosen, what was ticked (or the
/// defaults), an error, previews.
struct Shown<'a> {
    req: &'a LetterRequest,
    chosen: Option<LetterDef>,
    error: String,
    previews: Vec<Preview>,
    defaults: bool,
}

/// The page for a dossier.
fn page(
    state: &AppState,
    u: &SessionUser,
    rec: &DossierRecord,
    ctx: &Context,
    shown: Shown<'_>,
) -> Response {
    let Shown {
        req,
        chosen,
        error,
        previews,
        defaults,
    } = shown;
    let offers = offers(u, ctx, rec.id, chosen.as_ref());
    let chosen_offer = offers.iter().find(|o| o.current).cloned();
    let recipients = chosen
        .as_ref()
        .map(|k| {
            ctx.choices(k, rec, &[])
                .into_iter()
                .map(|(value, label, _)| Check {
                    checked: defaults || req.recipients.contains(&value),
                    value,
                    label,
                })
                .collect()
        })
        .unwrap_or_default();
    let children = rec
        .children
        .iter()
        .map(|c| Check {
            value: c.id.to_string(),
            label: format!(
                "{} {}",
                c.data.person.first_names,
                c.data.person.usage_name.clone().unwrap_or_else(|| c
                    .data
                    .person
                    .birth_name
                    .clone())
            ),
            checked: defaults || req.children.contains(&c.id),
        })
        .collect();
    let pdf_unavailable = if state.pdf.is_some() {
        String::new()
    } else {
        vigie_letters::unavailable_reason(&state.config.pdf).unwrap_or_default()
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &LettersPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            dossier_id: rec.id,
            number: rec.number.to_string(),
            offers,
            chosen: chosen_offer,
            recipients,
            children,
            docx: req.format == vigie_letters::Format::Docx,
            fixed_format: chosen
                .as_ref()
                .and_then(|k| ctx.template(&k.code))
                .and_then(|t| t.in_service.as_ref())
                .map(|v| v.format.to_uppercase())
                .unwrap_or_default(),
            pdf: !defaults && req.pdf && state.pdf.is_some(),
            pdf_unavailable,
            follow_up: chosen
                .as_ref()
                .and_then(LetterDef::completes)
                .map(|f| f.label()),
            complete: defaults || req.complete_follow_up,
            error,
            previews,
        },
    )
}

/// `GET /dossiers/{id}/courriers[?modele=…]`.
pub async fn letters_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Query(q): Query<Chosen>,
) -> Response {
    if !vigie_domain::letters::may_generate_any(u.role) {
        return WebError::Forbidden.into_response();
    }
    let (rec, _) = match load(&state, &u, ip, &id).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let ctx = match Context::load(&state, &u, &rec).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let chosen = ctx
        .template(&q.modele)
        .map(vigie_store::letter_templates::LetterTemplate::def)
        .filter(|k| k.may_generate(u.role));
    let req = LetterRequest {
        code: q.modele.clone(),
        recipients: vec![],
        children: vec![],
        format: vigie_letters::Format::Odt,
        pdf: false,
        complete_follow_up: true,
    };
    page(
        &state,
        &u,
        &rec,
        &ctx,
        Shown {
            req: &req,
            chosen,
            error: String::new(),
            previews: vec![],
            defaults: true,
        },
    )
}

/// `POST /dossiers/{id}/courriers/apercu`: the filled text of each letter, nothing stored.
pub async fn preview(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (rec, _) = match load(&state, &u, ip, &id).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let req = match request_of(&pairs) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let ctx = match Context::load(&state, &u, &rec).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let today = state
        .now()
        .with_timezone(&state.config.timezone)
        .date_naive();
    if let Some(problem) = selection_problem(&pairs) {
        let shown = Shown {
            req: &req,
            chosen: ctx
                .template(&req.code)
                .map(vigie_store::letter_templates::LetterTemplate::def),
            error: problem,
            previews: vec![],
            defaults: false,
        };
        return page(&state, &u, &rec, &ctx, shown);
    }
    let text_only = LetterRequest {
        pdf: false,
        ..req.clone()
    };
    match fill(&state, &u, &rec, &ctx, &text_only, today).await {
        Ok(filled) => {
            let previews = filled
                .into_iter()
                .map(|f| Preview {
                    recipient: f.recipient_label,
                    text: vigie_letters::document_text(&f.bytes).unwrap_or_default(),
                    confidential: f.confidential,
                })
                .collect();
            page(
                &state,
                &u,
                &rec,
                &ctx,
                Shown {
                    req: &req,
                    chosen: ctx
                        .template(&req.code)
                        .map(vigie_store::letter_templates::LetterTemplate::def),
                    error: String::new(),
                    previews,
                    defaults: false,
                },
            )
        }
        Err(WebError::Invalid(e)) => page(
            &state,
            &u,
            &rec,
            &ctx,
            Shown {
                req: &req,
                chosen: ctx
                    .template(&req.code)
                    .map(vigie_store::letter_templates::LetterTemplate::def),
                error: e.to_string(),
                previews: vec![],
                defaults: false,
            },
        ),
        Err(e) => e.into_response(),
    }
}

/// `POST /dossiers/{id}/courriers`: generates and stores the letters, then shows the documents.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (rec, scope) = match load(&state, &u, ip.clone(), &id).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let req = match request_of(&pairs) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let result = match selection_problem(&pairs) {
        Some(problem) => Err(WebError::Invalid(vigie_domain::DomainError::Rule(problem))),
        None => generate(&state, &u, &actor(&u, ip), &scope, &rec, &req).await,
    };
    match result {
        Ok(done) => {
            let follow_up = match done.follow_up {
                Some(false) => "&suivi=non",
                _ => "",
            };
            Redirect::to(&format!(
                "/dossiers/{}/documents?generes={}{follow_up}",
                rec.id,
                done.ids.len()
            ))
            .into_response()
        }
        Err(WebError::Invalid(e)) => {
            let ctx = match Context::load(&state, &u, &rec).await {
                Ok(c) => c,
                Err(e) => return e.into_response(),
            };
            page(
                &state,
                &u,
                &rec,
                &ctx,
                Shown {
                    req: &req,
                    chosen: ctx
                        .template(&req.code)
                        .map(vigie_store::letter_templates::LetterTemplate::def),
                    error: format!("Aucun courrier n'a été enregistré : {e}"),
                    previews: vec![],
                    defaults: false,
                },
            )
        }
        Err(e) => e.into_response(),
    }
}
