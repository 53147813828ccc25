//! « Modèles de courrier » (`/admin/modeles`), for the responsable CRIP and the administrator:
//! the CRIP's templates with the version in service; a new template (title, recipient kind,
//! legal basis, its first version); for each template its versions — upload one edited in Word
//! or LibreOffice (checked against the data dictionary at once: [`super::template_check`]),
//! download it, test it on a fictional dossier ([`super::template_trial`]), publish it —, the
//! built-in version to start from, and deactivation. No real dossier is ever shown here; every
//! change is audited by the store.

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::letters::RecipientKind;
use vigie_store::letter_templates::{LetterTemplate, NewTemplate, NewVersion, TemplateVersion};
use vigie_store::sessions::SessionUser;

use super::template_check::check_template;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::dates::datetime;
use crate::shared::{Choice, Chrome, actor, render};

/// A template in the list.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub code: String,
    pub title: String,
    pub recipient: &'static str,
    pub in_service: String,
    pub active: bool,
}

/// A version in a template's page.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: i64,
    pub number: i64,
    pub format: String,
    pub file_name: String,
    pub uploaded: String,
    pub comment: String,
    /// « En service », « Brouillon », « Publiée le … (remplacée) ».
    pub status: String,
    pub in_service: bool,
}

#[derive(Template)]
#[template(path = "admin_templates.html")]
struct ListPage {
    demo: bool,
    chrome: Chrome,
    rows: Vec<TemplateRow>,
    kinds: Vec<Choice>,
    title: String,
    legal_basis: String,
    errors: Vec<String>,
}

/// What the trial produced, shown on the template's page.
#[derive(Debug, Clone, Default)]
pub struct TrialView {
    pub version: String,
    pub version_id: i64,
    pub dossier: String,
    pub recipient: String,
    pub text: String,
    pub pdf: bool,
}

#[derive(Template)]
#[template(path = "admin_template.html")]
struct TemplatePage {
    demo: bool,
    chrome: Chrome,
    t: LetterTemplate,
    recipient: &'static str,
    in_service: String,
    versions: Vec<VersionRow>,
    errors: Vec<String>,
    saved: String,
    trial: Option<TrialView>,
}

fn kinds(selected: &str) -> Vec<Choice> {
    [
        RecipientKind::Parent,
        RecipientKind::Source,
        RecipientKind::Service,
        RecipientKind::Procureur,
        RecipientKind::OtherCrip,
        RecipientKind::Snated,
    ]
    .into_iter()
    .map(|k| Choice {
        value: k.code().to_owned(),
        label: k.label().to_owned(),
        selected: k.code() == selected,
    })
    .collect()
}

/// « version 3, publiée le … par … » or the built-in one, in words.
pub fn in_service_text(state: &AppState, t: &LetterTemplate) -> String {
    let tz = state.config.timezone;
    match &t.in_service {
        Some(v) => format!(
            "version {} ({}), publiée le {}{}",
            v.number,
            v.format.to_uppercase(),
            v.published_at
                .map(|at| datetime(at, tz))
                .unwrap_or_default(),
            v.published_by_name
                .as_ref()
                .map(|n| format!(" par {n}"))
                .unwrap_or_default()
        ),
        None if t.builtin => "modèle par défaut de Vigie".to_owned(),
        None => "aucune version publiée : le modèle n'est pas encore proposé".to_owned(),
    }
}

fn version_rows(
    state: &AppState,
    t: &LetterTemplate,
    versions: &[TemplateVersion],
) -> Vec<VersionRow> {
    let tz = state.config.timezone;
    versions
        .iter()
        .map(|v| {
            let in_service = t.in_service.as_ref().is_some_and(|s| s.id == v.id);
            let status = match (in_service, v.published_at) {
                (true, _) => "En service".to_owned(),
                (false, Some(at)) => format!("Publiée le {} (remplacée)", datetime(at, tz)),
                (false, None) => "Brouillon (pas encore publiée)".to_owned(),
            };
            VersionRow {
                id: v.id,
                number: v.number,
                format: v.format.to_uppercase(),
                file_name: v.file_name.clone(),
                uploaded: format!(
                    "{}{}",
                    datetime(v.uploaded_at, tz),
                    v.uploaded_by_name
                        .as_ref()
                        .map(|n| format!(" par {n}"))
                        .unwrap_or_default()
                ),
                comment: v.comment.clone().unwrap_or_default(),
                status,
                in_service,
            }
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    u: &SessionUser,
    typed: (&str, &str, &str),
    errors: Vec<String>,
) -> Response {
    let templates = match state.store.letter_templates().await {
        Ok(t) => t,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows = templates
        .iter()
        .map(|t| TemplateRow {
            code: t.code.clone(),
            title: t.title.clone(),
            recipient: t.recipient.label(),
            in_service: in_service_text(state, t),
            active: t.active,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ListPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            rows,
            kinds: kinds(typed.1),
            title: typed.0.to_owned(),
            legal_basis: typed.2.to_owned(),
            errors,
        },
    )
}

/// The template's page; `trial` and `errors` after an action.
pub async fn template_page(
    state: &AppState,
    u: &SessionUser,
    code: &str,
    errors: Vec<String>,
    saved: &str,
    trial: Option<TrialView>,
) -> Response {
    let result = async {
        let t = state.store.letter_template(code).await?;
        let versions = state.store.template_versions(t.id).await?;
        Ok::<_, WebError>((t, versions))
    }
    .await;
    let (t, versions) = match result {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &TemplatePage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            recipient: t.recipient.label(),
            in_service: in_service_text(state, &t),
            versions: version_rows(state, &t, &versions),
            t,
            errors,
            saved: saved.to_owned(),
            trial,
        },
    )
}

/// `GET /admin/modeles`.
pub async fn index(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
) -> Response {
    list_page(&state, &u, ("", "", ""), Vec::new()).await
}

/// A multipart form's text fields and its one file (`fichier`).
#[derive(Debug, Default)]
struct Upload {
    fields: Vec<(String, String)>,
    file_name: String,
    bytes: Vec<u8>,
    unreadable: bool,
}

impl Upload {
    fn get(&self, k: &str) -> &str {
        self.fields
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    }
}

async fn read_upload(mut multipart: Multipart) -> Upload {
    let mut up = Upload::default();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) if name == "fichier" => {
                        up.file_name = file_name.unwrap_or_default();
                        up.bytes = bytes.to_vec();
                    }
                    Ok(bytes) => up
                        .fields
                        .push((name, String::from_utf8_lossy(&bytes).into_owned())),
                    Err(_) => up.unreadable = true,
                }
            }
            Ok(None) => break,
            Err(_) => {
                up.unreadable = true;
                break;
            }
        }
    }
    up
}

fn unreadable() -> Vec<String> {
    vec![format!(
        "Le fichier envoyé n'a pas pu être lu ({} Mo au plus).",
        vigie_store::letter_templates::MAX_TEMPLATE_SIZE / (1024 * 1024)
    )]
}

/// `POST /admin/modeles` (multipart: `titre`, `destinataire`, `base_legale`, `fichier`):
/// a new template and its first version (a draft), or the form again with every problem.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    multipart: Multipart,
) -> Response {
    let up = read_upload(multipart).await;
    let typed = (
        up.get("titre"),
        up.get("destinataire"),
        up.get("base_legale"),
    );
    let mut errors = if up.unreadable {
        unreadable()
    } else {
        Vec::new()
    };
    let title = vigie_domain::text::clean(typed.0).unwrap_or_default();
    if title.chars().count() < 3 {
        errors.push("Titre : obligatoire (3 caractères au moins).".into());
    }
    if let Err(e) = vigie_domain::text::validate(
        "titre",
        "Titre",
        vigie_domain::text::TextKind::Short,
        &title,
    ) {
        errors.push(e.to_string());
    }
    let recipient = RecipientKind::parse(typed.1.trim());
    if recipient.is_none() {
        errors.push("Destinataire : choisissez un type de destinataire dans la liste.".into());
    }
    let legal = vigie_domain::text::clean(typed.2).unwrap_or_default();
    if let Err(e) = vigie_domain::text::validate(
        "base_legale",
        "Base légale",
        vigie_domain::text::TextKind::Short,
        &legal,
    ) {
        errors.push(e.to_string());
    }
    let checked = match recipient {
        Some(r) if !up.bytes.is_empty() => match check_template(&up.bytes, r) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.extend(e);
                None
            }
        },
        _ => {
            if up.bytes.is_empty() {
                errors.push("Fichier : choisissez le modèle (DOCX ou ODT) à déposer.".into());
            }
            None
        }
    };
    let (Some(recipient), Some(checked), true) = (recipient, checked, errors.is_empty()) else {
        return list_page(&state, &u, typed, errors).await;
    };
    let actor = actor(&u, ip);
    let result = async {
        let t = state
            .store
            .add_letter_template(
                state.now(),
                &actor,
                &NewTemplate {
                    title,
                    recipient,
                    legal_basis: legal,
                },
                Some(&NewVersion {
                    template_id: 0,
                    format: checked.format.extension(),
                    file_name: &file_name(&up.file_name, "modele", checked.format),
                    content: &up.bytes,
                    comment: None,
                }),
            )
            .await?;
        Ok::<_, WebError>(t)
    }
    .await;
    match result {
        Ok(t) => {
            Redirect::to(&format!("/admin/modeles/{}?enregistre=version", t.code)).into_response()
        }
        Err(WebError::Conflict(m)) => list_page(&state, &u, typed, vec![m]).await,
        Err(WebError::Invalid(e)) => list_page(&state, &u, typed, vec![e.to_string()]).await,
        Err(e) => e.into_response(),
    }
}

/// The stored name of a template version: the uploaded one cleaned, else the code.
fn file_name(uploaded: &str, code: &str, format: vigie_letters::Format) -> String {
    let kind = match format {
        vigie_letters::Format::Docx => vigie_files::inspect::Kind::Docx,
        vigie_letters::Format::Odt => vigie_files::inspect::Kind::Odt,
    };
    let name = if uploaded.trim().is_empty() {
        code
    } else {
        uploaded
    };
    vigie_files::inspect::stored_name(name, kind)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Saved {
    #[serde(default)]
    enregistre: String,
}

/// `GET /admin/modeles/{code}`.
pub async fn show(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Path(code): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let saved = match q.enregistre.as_str() {
        "version" => {
            "Version déposée : ses champs sont reconnus. Essayez-la sur un dossier fictif, puis publiez-la."
        }
        "publication" => "Version publiée : les courriers produits désormais l'utilisent.",
        "activation" => "Enregistré.",
        _ => "",
    };
    template_page(&state, &u, &code, Vec::new(), saved, None).await
}

/// `POST /admin/modeles/{code}/versions` (multipart: `fichier`, `commentaire`).
pub async fn upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Response {
    let up = read_upload(multipart).await;
    let t = match state.store.letter_template(&code).await {
        Ok(t) => t,
        Err(e) => return WebError::from(e).into_response(),
    };
    if up.unreadable || up.bytes.is_empty() {
        let errors = if up.unreadable {
            unreadable()
        } else {
            vec!["Fichier : choisissez le modèle (DOCX ou ODT) à déposer.".into()]
        };
        return template_page(&state, &u, &code, errors, "", None).await;
    }
    let checked = match check_template(&up.bytes, t.recipient) {
        Ok(c) => c,
        Err(errors) => return template_page(&state, &u, &code, errors, "", None).await,
    };
    let comment = vigie_domain::text::clean(up.get("commentaire"));
    if let Some(c) = &comment
        && let Err(e) = vigie_domain::text::validate(
            "commentaire",
            "Commentaire",
            vigie_domain::text::TextKind::Comment,
            c,
        )
    {
        return template_page(&state, &u, &code, vec![e.to_string()], "", None).await;
    }
    let name = file_name(&up.file_name, &t.code, checked.format);
    match state
        .store
        .add_template_version(
            state.now(),
            &actor(&u, ip),
            &NewVersion {
                template_id: t.id,
                format: checked.format.extension(),
                file_name: &name,
                content: &up.bytes,
                comment: comment.as_deref(),
            },
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/admin/modeles/{code}?enregistre=version")).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}
