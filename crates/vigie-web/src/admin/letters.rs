//! « Courriers » of the administration (`/admin/courriers`): what letters print besides the
//! dossier — the letterhead and its logo, the directory of external recipients (parquets,
//! other départements' CRIPs, the 119), each service's address and e-mail — and the list of
//! merge fields a template may use. The administrator edits them and sees no dossier; every
//! change is audited; a refused entry keeps what was typed, with the French message.

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::letters::RecipientKind;
use vigie_domain::letters::dictionary;
use vigie_domain::letters::merge::{Contact, Letterhead};
use vigie_store::letterhead::LogoChange;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::{Form, Query};
use crate::shared::{Chrome, actor, render};

/// A directory entry as the form shows it.
#[derive(Debug, Clone, Default)]
pub struct EntryForm {
    pub id: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub organisation: String,
    pub address: String,
    pub email: String,
    pub phone: String,
    pub active: bool,
    pub error: String,
}

/// A service's contact as the form shows it.
#[derive(Debug, Clone)]
pub struct ServiceForm {
    pub id: i64,
    pub label: String,
    pub address: String,
    pub email: String,
}

/// A field of the dictionary.
#[derive(Debug, Clone)]
pub struct FieldRow {
    pub path: &'static str,
    pub description: &'static str,
    pub example: String,
    pub family: bool,
}

#[derive(Template)]
#[template(path = "admin_letters.html")]
struct LettersAdminPage {
    demo: bool,
    chrome: Chrome,
    head: Letterhead,
    version: i64,
    head_error: String,
    has_logo: bool,
    logo_error: String,
    entries: Vec<EntryForm>,
    new_entry: EntryForm,
    kinds: Vec<(&'static str, &'static str)>,
    services: Vec<ServiceForm>,
    service_error: String,
    saved: bool,
}

#[derive(Template)]
#[template(path = "admin_letter_fields.html")]
struct FieldsPage {
    demo: bool,
    chrome: Chrome,
    groups: Vec<(&'static str, Vec<FieldRow>)>,
}

/// What failed, to show it again with what was typed.
#[derive(Debug, Default)]
struct Typed {
    head: Option<(Letterhead, String)>,
    logo_error: String,
    entry: Option<EntryForm>,
    service_error: String,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    [
        RecipientKind::Procureur,
        RecipientKind::OtherCrip,
        RecipientKind::Snated,
    ]
    .into_iter()
    .map(|k| (k.code(), k.label()))
    .collect()
}

async fn page(state: &AppState, u: &SessionUser, typed: Typed, saved: bool) -> Response {
    let result = async {
        let stored = state.store.letterhead().await?;
        let directory = state.store.directory(false).await?;
        let cat = state.store.catalog().await?;
        let mut services = Vec::new();
        for s in cat.services.iter().filter(|s| s.active) {
            let c = state.store.service_contact(s.id).await?;
            services.push(ServiceForm {
                id: s.id,
                label: s.label.clone(),
                address: c.address,
                email: c.email.unwrap_or_default(),
            });
        }
        Ok::<_, WebError>((stored, directory, services))
    }
    .await;
    let (stored, directory, services) = match result {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let mut entries: Vec<EntryForm> = directory
        .into_iter()
        .map(|e| EntryForm {
            id: e.id.to_string(),
            version: e.version.to_string(),
            kind: e.kind.code().to_owned(),
            name: e.contact.name,
            organisation: e.contact.organisation.unwrap_or_default(),
            address: e.contact.address,
            email: e.contact.email.unwrap_or_default(),
            phone: e.contact.phone.unwrap_or_default(),
            active: e.active,
            error: String::new(),
        })
        .collect();
    let mut new_entry = EntryForm {
        kind: RecipientKind::Procureur.code().to_owned(),
        active: true,
        ..EntryForm::default()
    };
    if let Some(t) = typed.entry {
        match entries
            .iter_mut()
            .find(|e| !t.id.is_empty() && e.id == t.id)
        {
            Some(e) => *e = t,
            None => new_entry = t,
        }
    }
    let (head, head_error) = typed.head.unwrap_or((stored.letterhead, String::new()));
    let status = if head_error.is_empty()
        && typed.logo_error.is_empty()
        && typed.service_error.is_empty()
        && entries
            .iter()
            .chain([&new_entry])
            .all(|e| e.error.is_empty())
    {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &LettersAdminPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            head,
            version: stored.version,
            head_error,
            has_logo: stored.logo.is_some(),
            logo_error: typed.logo_error,
            entries,
            new_entry,
            kinds: kinds(),
            services,
            service_error: typed.service_error,
            saved,
        },
    )
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Saved {
    #[serde(default)]
    enregistre: Option<String>,
}

/// `GET /admin/courriers`.
pub async fn index(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<Saved>,
) -> Response {
    page(&state, &u, Typed::default(), q.enregistre.is_some()).await
}

fn done() -> Response {
    Redirect::to("/admin/courriers?enregistre=1").into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct HeadForm {
    version: i64,
    #[serde(default)]
    departement: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    signatory: String,
    #[serde(default)]
    signatory_title: String,
    #[serde(default)]
    delegation: String,
}

/// A refusal shown on the page; a database failure stays an error page.
fn shown(e: vigie_store::StoreError) -> Result<String, WebError> {
    match WebError::from(e) {
        WebError::Invalid(d) => Ok(d.to_string()),
        WebError::Conflict(m) => Ok(m),
        other => Err(other),
    }
}

/// `POST /admin/courriers/entete`.
pub async fn save_head(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(f): Form<HeadForm>,
) -> Response {
    let head = Letterhead {
        departement: f.departement,
        service: f.service,
        address: f.address.replace("\r\n", "\n"),
        city: f.city,
        phone: f.phone,
        email: f.email,
        signatory: f.signatory,
        signatory_title: f.signatory_title,
        delegation: f.delegation,
    };
    let saved = state
        .store
        .set_letterhead(
            state.now(),
            &actor(&u, ip),
            f.version,
            &head,
            &LogoChange::Keep,
        )
        .await;
    match saved {
        Ok(_) => done(),
        Err(e) => match shown(e) {
            Ok(m) => {
                page(
                    &state,
                    &u,
                    Typed {
                        head: Some((head, m)),
                        ..Typed::default()
                    },
                    false,
                )
                .await
            }
            Err(r) => r.into_response(),
        },
    }
}

/// `POST /admin/courriers/logo` (multipart: `logo` file, or `retirer`).
pub async fn save_logo(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    mut multipart: Multipart,
) -> Response {
    let mut change = LogoChange::Keep;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let Ok(bytes) = field.bytes().await else {
                    let typed = Typed {
                        logo_error: "le fichier envoyé n'a pas pu être lu (512 Ko au plus).".into(),
                        ..Typed::default()
                    };
                    return page(&state, &u, typed, false).await;
                };
                match name.as_str() {
                    "logo" if !bytes.is_empty() => change = LogoChange::Replace(bytes.to_vec()),
                    "retirer" => change = LogoChange::Remove,
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                let typed = Typed {
                    logo_error: "le fichier envoyé n'a pas pu être lu (512 Ko au plus).".into(),
                    ..Typed::default()
                };
                return page(&state, &u, typed, false).await;
            }
        }
    }
    if change == LogoChange::Keep {
        let typed = Typed {
            logo_error: "choisissez un fichier PNG ou SVG.".into(),
            ..Typed::default()
        };
        return page(&state, &u, typed, false).await;
    }
    let result = async {
        let stored = state.store.letterhead().await?;
        state
            .store
            .set_letterhead(
                state.now(),
                &actor(&u, ip),
                stored.version,
                &stored.letterhead,
                &change,
            )
            .await
    }
    .await;
    match result {
        Ok(_) => done(),
        Err(e) => match shown(e) {
            Ok(m) => {
                page(
                    &state,
                    &u,
                    Typed {
                        logo_error: m,
                        ..Typed::default()
                    },
                    false,
                )
                .await
            }
            Err(r) => r.into_response(),
        },
    }
}

/// `GET /admin/courriers/logo`: the current logo (for the page's preview).
pub async fn logo(State(state): State<AppState>) -> Response {
    match state.store.letterhead().await {
        Ok(s) => match s.logo {
            Some((bytes, t)) => (
                [
                    (header::CONTENT_TYPE, t.media_type()),
                    (header::CACHE_CONTROL, "no-store"),
                    // An SVG served on its own must not run anything.
                    (
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'unsafe-inline'; sandbox",
                    ),
                ],
                bytes,
            )
                .into_response(),
            None => WebError::NotFound.into_response(),
        },
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct EntryPost {
    #[serde(default)]
    id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    active: Option<String>,
}

fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// `POST /admin/courriers/annuaire`: adds (no id) or updates an entry.
pub async fn save_entry(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(f): Form<EntryPost>,
) -> Response {
    let id = match (f.id.parse::<i64>(), f.version.parse::<i64>()) {
        (Ok(id), Ok(v)) => Some((id, v)),
        _ => None,
    };
    let kind = RecipientKind::parse(&f.kind).unwrap_or(RecipientKind::Parent);
    let contact = Contact {
        name: f.name.trim().to_owned(),
        organisation: some(&f.organisation),
        address: f.address.replace("\r\n", "\n"),
        email: some(&f.email),
        phone: some(&f.phone),
    };
    let active = f.active.is_some() || id.is_none();
    let saved = state
        .store
        .save_directory_entry(state.now(), &actor(&u, ip), id, kind, &contact, active)
        .await;
    match saved {
        Ok(_) => done(),
        Err(e) => match shown(e) {
            Ok(m) => {
                let entry = EntryForm {
                    id: f.id,
                    version: f.version,
                    kind: f.kind,
                    name: f.name,
                    organisation: f.organisation,
                    address: f.address,
                    email: f.email,
                    phone: f.phone,
                    active,
                    error: m,
                };
                page(
                    &state,
                    &u,
                    Typed {
                        entry: Some(entry),
                        ..Typed::default()
                    },
                    false,
                )
                .await
            }
            Err(r) => r.into_response(),
        },
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ServicePost {
    service: i64,
    #[serde(default)]
    address: String,
    #[serde(default)]
    email: String,
}

/// `POST /admin/courriers/service`: a service's address and e-mail.
pub async fn save_service(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(f): Form<ServicePost>,
) -> Response {
    let email = some(&f.email);
    let saved = state
        .store
        .set_service_contact(
            state.now(),
            &actor(&u, ip),
            f.service,
            &f.address.replace("\r\n", "\n"),
            email.as_deref(),
        )
        .await;
    match saved {
        Ok(()) => done(),
        Err(e) => match shown(e) {
            Ok(m) => {
                page(
                    &state,
                    &u,
                    Typed {
                        service_error: m,
                        ..Typed::default()
                    },
                    false,
                )
                .await
            }
            Err(r) => r.into_response(),
        },
    }
}

/// `GET /admin/courriers/champs`: the data dictionary of merge fields.
pub async fn fields(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
) -> Response {
    let groups = dictionary::GROUPS
        .iter()
        .map(|(title, fields)| {
            let rows = fields
                .iter()
                .map(|f| FieldRow {
                    path: f.path,
                    description: f.description,
                    example: f.example.replace('\n', " / "),
                    family: f.family,
                })
                .collect();
            (*title, rows)
        })
        .collect();
    render(
        StatusCode::OK,
        &FieldsPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            groups,
        },
    )
}
