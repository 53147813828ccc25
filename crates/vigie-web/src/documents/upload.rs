//! Uploading documents to a dossier, for the « Documents » page and the API alike: the
//! multipart body read with a bound per file, what the agent typed checked by the domain
//! (title, category, confidentiality; who may upload which category), every file's type read
//! from its content and refused with the reason when it must not enter a dossier
//! (`vigie_files::inspect`), then the optional antivirus (ClamAV: when it is set and does not
//! answer, nothing is stored). All the files or none, in one transaction with their audit
//! entries; a refusal is audited too (its reason's code, never the file).

use std::time::Duration;

use axum::Extension;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::documents::{Upload, check_upload, may_upload, title_of};
use vigie_domain::{DomainError, FieldError, Permission, Scope};
use vigie_files::clamav::{self, Address, Verdict};
use vigie_files::inspect::{self, Limits};
use vigie_store::Actor;
use vigie_store::audit::Event;
use vigie_store::documents::NewDocument;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::shared::access::dossier_scope;
use crate::shared::{actor, path_id};

/// Files in one upload at most.
pub const MAX_FILES: usize = 10;

/// The upload settings (`VIGIE_DOCUMENT_MAX_MO`, `VIGIE_CLAMAV`).
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// Largest file accepted, in bytes (default 20 MB).
    pub max_size: usize,
    /// The ClamAV daemon to ask, if any.
    pub clamav: Option<Address>,
    pub clamav_timeout: Duration,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            max_size: 20 * 1024 * 1024,
            clamav: None,
            clamav_timeout: Duration::from_secs(30),
        }
    }
}

impl UploadSettings {
    /// The largest request body an upload may have: its files and the form's fields.
    pub fn body_limit(&self) -> usize {
        self.max_size
            .saturating_mul(MAX_FILES / 2)
            .saturating_add(1024 * 1024)
    }

    pub fn max_megabytes(&self) -> usize {
        self.max_size / (1024 * 1024)
    }
}

/// One file as received.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Over the size limit: its bytes were read and dropped.
    pub too_large: bool,
}

/// The upload form as received: what was typed (shown again after a refusal) and the files.
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    pub title: String,
    pub category: String,
    pub confidentiality: String,
    /// The document this one is a version of (an edited or signed letter).
    pub version_of: String,
    pub files: Vec<Received>,
    /// The body could not be read whole (too large, cut): nothing is stored.
    pub unreadable: bool,
}

impl UploadForm {
    /// What was typed, without the files (shown again after a refusal).
    pub fn typed(&self) -> UploadForm {
        UploadForm {
            title: self.title.clone(),
            category: self.category.clone(),
            confidentiality: self.confidentiality.clone(),
            version_of: self.version_of.clone(),
            files: Vec::new(),
            unreadable: self.unreadable,
        }
    }
}

/// Longest text field of the form (a title is 200 characters).
const TEXT_FIELD_MAX: usize = 8 * 1024;

/// Reads the multipart body: the text fields, and every file of `fichiers` (or `fichier`)
/// up to `max_size` bytes each (a larger one is read through and marked).
pub async fn read_form(mut multipart: Multipart, max_size: usize) -> UploadForm {
    let mut form = UploadForm::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                form.unreadable = true;
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "fichiers" || name == "fichier" {
            let mut file = Received {
                name: field.file_name().unwrap_or_default().to_owned(),
                ..Received::default()
            };
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if !file.too_large => {
                        if file.bytes.len() + chunk.len() > max_size {
                            file.too_large = true;
                            file.bytes = Vec::new();
                        } else {
                            file.bytes.extend_from_slice(&chunk);
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => {
                        form.unreadable = true;
                        return form;
                    }
                }
            }
            // A file input left empty sends a part without name nor content.
            if !(file.name.is_empty() && file.bytes.is_empty() && !file.too_large) {
                form.files.push(file);
            }
            continue;
        }
        let mut text = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if text.len() + chunk.len() <= TEXT_FIELD_MAX {
                        text.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    form.unreadable = true;
                    return form;
                }
            }
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        match name.as_str() {
            "titre" => form.title = text,
            "categorie" => form.category = text,
            "confidentiel" => form.confidentiality = text,
            "version_de" => form.version_of = text,
            _ => {}
        }
    }
    form
}

/// Whether the dossier has a live (not cancelled) assignment to the user's service: where an
/// évaluateur may upload the evaluation report.
pub fn assigned_to_own_service(
    u: &SessionUser,
    dossier: &vigie_domain::dossier::DossierRecord,
) -> bool {
    u.service_id.is_some_and(|s| {
        dossier
            .assignments
            .iter()
            .any(|a| a.data.service_id == s && !a.data.cancelled)
    })
}

/// What an upload did.
#[derive(Debug)]
pub struct Stored {
    pub ids: Vec<i64>,
}

fn file_error(name: &str, message: String) -> FieldError {
    let shown = if name.is_empty() { "sans nom" } else { name };
    FieldError::new("fichiers", format!("Fichier « {shown} »"), message)
}

/// Checks and stores an upload to `dossier_id` (read by the caller within `scope`).
pub async fn store_upload(
    state: &AppState,
    u: &SessionUser,
    actor: &Actor,
    scope: &Scope,
    dossier: &vigie_domain::dossier::DossierRecord,
    form: UploadForm,
) -> Result<Stored, WebError> {
    let settings = &state.config.uploads;
    if form.unreadable {
        return Err(WebError::Invalid(DomainError::field(
            "fichiers",
            "Fichiers",
            format!(
                "l'envoi n'a pas pu être lu en entier (interrompu, ou plus de {} Mo en tout) : rien n'a été enregistré. Déposez les fichiers en plusieurs fois.",
                settings.body_limit() / (1024 * 1024)
            ),
        )));
    }
    let cat = state.store.catalog().await?;
    let checked = check_upload(&cat, &form.title, &form.category, &form.confidentiality);
    let mut errors: Vec<FieldError> = checked
        .as_ref()
        .err()
        .map(|e| e.fields().to_vec())
        .unwrap_or_default();
    if form.files.is_empty() {
        errors.push(FieldError::new(
            "fichiers",
            "Fichiers",
            "choisissez au moins un fichier.",
        ));
    } else if form.files.len() > MAX_FILES {
        errors.push(FieldError::new(
            "fichiers",
            "Fichiers",
            format!("{MAX_FILES} fichiers au plus par dépôt."),
        ));
    }
    let upload = match checked {
        Ok(up) if errors.is_empty() => up,
        _ => return Err(WebError::Invalid(DomainError::Invalid(errors))),
    };
    let own_service = assigned_to_own_service(u, dossier);
    if !may_upload(u.role, upload.category, own_service) {
        let detail = format!(
            "depot_document role={} dossier={}",
            u.role.code(),
            dossier.id
        );
        state
            .store
            .audit(
                state.now(),
                actor,
                Event::new("acces.refuse").detail(detail),
            )
            .await?;
        return Err(WebError::Forbidden);
    }
    let (version_of, inherited) = version_target(state, u, scope, dossier.id, &form).await?;
    let mut form = form;
    let kinds = inspect_files(state, actor, dossier.id, &mut form.files).await?;
    let place = Placement {
        dossier_id: dossier.id,
        upload: &upload,
        several: form.files.len() > 1,
        visible: u.role.has(Permission::SourceIdentityRead),
        version_of,
        inherited,
    };
    let docs: Vec<NewDocument<'_>> = form
        .files
        .iter()
        .zip(&kinds)
        .map(|(f, (kind, media_type))| place.document(f, *kind, media_type))
        .collect();
    let ids = state
        .store
        .add_documents(state.now(), actor, scope, &docs)
        .await?;
    Ok(Stored { ids })
}

/// Where the uploaded files go and how they are marked.
#[derive(Debug)]
struct Placement<'u> {
    dossier_id: i64,
    upload: &'u Upload,
    several: bool,
    /// The uploader may see confidential documents (else none they upload is confidential:
    /// they could not see it again).
    visible: bool,
    version_of: Option<i64>,
    /// The letter's confidentiality, inherited by its version: (confidential, names source).
    inherited: (bool, bool),
}

impl Placement<'_> {
    /// The document's row: its title from what was typed or the file's name.
    fn document<'a>(
        &self,
        f: &'a Received,
        kind: inspect::Kind,
        media_type: &str,
    ) -> NewDocument<'a> {
        let file_name = inspect::stored_name(&f.name, kind);
        NewDocument {
            dossier_id: self.dossier_id,
            kind: "piece",
            title: title_of(self.upload.title.as_deref(), &file_name, self.several),
            template_code: None,
            template_version: None,
            recipient_kind: None,
            recipient_label: None,
            media_type: media_type.to_owned(),
            file_name,
            bytes: &f.bytes,
            confidential: (self.upload.confidential && self.visible) || self.inherited.0,
            names_source: self.inherited.1,
            category_id: Some(self.upload.category_id),
            version_of: self.version_of,
        }
    }
}

/// The generated letter an upload is a version of (`version_de`), reached within the scope,
/// in this dossier; its confidentiality is inherited (a signed letter names whom it named).
async fn version_target(
    state: &AppState,
    u: &SessionUser,
    scope: &Scope,
    dossier_id: i64,
    form: &UploadForm,
) -> Result<(Option<i64>, (bool, bool)), WebError> {
    let raw = form.version_of.trim();
    if raw.is_empty() {
        return Ok((None, (false, false)));
    }
    let invalid = || {
        WebError::Invalid(DomainError::field(
            "version_de",
            "Version du courrier",
            "ce courrier n'existe plus dans ce dossier : déposez le document sans le lier.",
        ))
    };
    let id: i64 = raw.parse().map_err(|_| invalid())?;
    let doc = match state
        .store
        .document(scope, u.role.has(Permission::SourceIdentityRead), id)
        .await
    {
        Ok(d) => d,
        Err(vigie_store::StoreError::NotFound) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    if doc.dossier_id != dossier_id || doc.kind != "courrier" {
        return Err(invalid());
    }
    Ok((Some(doc.id), (doc.confidential, doc.names_source)))
}

/// Each file's type from its content, then the antivirus: every refusal at once, each
/// audited (`document.refus`, the reason's code); nothing stored if one file is refused.
async fn inspect_files(
    state: &AppState,
    actor: &Actor,
    dossier_id: i64,
    files: &mut [Received],
) -> Result<Vec<(inspect::Kind, String)>, WebError> {
    let settings = state.config.uploads.clone();
    let limits = Limits {
        max_size: settings.max_size,
        ..Limits::default()
    };
    let mut kinds = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    let mut codes = Vec::new();
    for f in files.iter_mut() {
        if f.too_large {
            errors.push(file_error(
                &f.name,
                format!(
                    "trop volumineux : {} Mo au plus par fichier.",
                    settings.max_megabytes()
                ),
            ));
            codes.push("trop_volumineux".to_owned());
            continue;
        }
        // The bytes go to the blocking thread and come back (no copy of a 20 MB file).
        let bytes = std::mem::take(&mut f.bytes);
        let limits = limits.clone();
        let (bytes, checked) = tokio::task::spawn_blocking(move || {
            let checked = inspect::inspect(&bytes, &limits);
            (bytes, checked)
        })
        .await
        .map_err(|e| WebError::Internal(format!("inspection : {e}")))?;
        f.bytes = bytes;
        match checked {
            // The media type says a text's character set (`text/plain; charset=windows-1252`).
            Ok(found) => kinds.push((found.kind, found.content_type())),
            Err(refusal) => {
                codes.push(refusal.code().to_owned());
                errors.push(file_error(&f.name, refusal.to_string()));
            }
        }
    }
    if errors.is_empty()
        && let Some(address) = &settings.clamav
    {
        for f in files {
            match clamav::scan(address, &f.bytes, settings.clamav_timeout).await {
                Ok(Verdict::Clean) => {}
                Ok(Verdict::Infected { signature }) => {
                    codes.push("virus".to_owned());
                    errors.push(file_error(
                        &f.name,
                        format!("l'antivirus y a trouvé un virus ({signature}) : il n'a pas été enregistré."),
                    ));
                }
                Err(e) => {
                    tracing::error!(detail = %e.detail(), "antivirus injoignable : dépôt refusé");
                    codes.push("antivirus_injoignable".to_owned());
                    errors.push(file_error(&f.name, e.to_string()));
                }
            }
        }
    }
    if errors.is_empty() {
        return Ok(kinds);
    }
    // One write for all the refusals of this upload.
    let entries = codes
        .into_iter()
        .map(|code| {
            let detail = format!("dossier {dossier_id} ; {code}");
            (actor.clone(), Event::new("document.refus").detail(detail))
        })
        .collect();
    state.store.audit_batch(state.now(), entries).await?;
    Err(WebError::Invalid(DomainError::Invalid(errors)))
}

/// `POST /dossiers/{id}/documents` (multipart): stored, back to the list; refused, the page
/// again with what was typed and every reason (nothing stored).
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let id = match path_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let form = read_form(multipart, state.config.uploads.max_size).await;
    let typed = form.typed();
    let actor = actor(&u, ip.clone());
    let result = async {
        let scope = dossier_scope(&state, &u).await?;
        let rec = state
            .store
            .read_dossier(state.now(), &actor, &scope, id)
            .await?;
        store_upload(&state, &u, &actor, &scope, &rec, form).await
    }
    .await;
    match result {
        Ok(stored) => Redirect::to(&format!(
            "/dossiers/{id}/documents?deposes={}",
            stored.ids.len()
        ))
        .into_response(),
        Err(WebError::Invalid(e)) => {
            let messages = e
                .fields()
                .iter()
                .map(|f| format!("{} : {}", f.label, f.message))
                .collect();
            let messages = if e.fields().is_empty() {
                vec![e.to_string()]
            } else {
                messages
            };
            super::page::show(
                &state,
                &u,
                ip,
                id,
                &Default::default(),
                Some((&typed, messages)),
            )
            .await
        }
        Err(e) => e.into_response(),
    }
}
