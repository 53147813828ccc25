//! Errors of the web layer, shown as French pages ([`WebError`]) or RFC 9457 problems
//! ([`ApiError`]). A database failure shows an operation number, logged with the cause
//! (never SQL nor personal data on the page).

use askama::Template;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use vigie_domain::{DomainError, FieldError};
use vigie_store::StoreError;

#[derive(Debug)]
pub enum WebError {
    NotFound,
    /// A request Vigie does not serve (another `Host` than the public URL): the French reason.
    BadRequest(String),
    Forbidden,
    /// A request refused for what it is, not for the user's role (403): the French reason.
    Refused(String),
    Unauthenticated,
    Invalid(DomainError),
    Conflict(String),
    /// Parts of a dossier changed by someone else since they were read: what changed.
    Conflicts(Vec<vigie_domain::dossier::PartConflict>),
    /// The database failed (full disk, I/O error, server gone): nothing was saved. The
    /// operation number is logged with the cause.
    Unavailable(String),
    Internal(String),
}

/// Seconds a client is asked to wait after [`WebError::Unavailable`] (`Retry-After`).
pub const RETRY_AFTER_SECONDS: u32 = 60;

/// What the user reads when the database refused to save: the same words on pages,
/// in the dossier form and in API problems.
pub fn nothing_saved(op: &str) -> String {
    format!(
        "Le serveur ne peut pas enregistrer pour le moment : rien n'a été enregistré. Réessayez dans quelques minutes ; si le problème persiste, prévenez le service informatique en donnant ce numéro d'opération : {op}."
    )
}

/// Logs a database failure under a new operation number, returned for the user.
pub fn log_db_failure(e: &StoreError) -> String {
    let op = operation_id();
    if e.is_storage_failure() {
        tracing::error!(operation = %op, error = ?e, "la base refuse l'écriture (disque plein ou erreur d'entrée-sortie) : rien n'a été enregistré");
    } else {
        tracing::error!(operation = %op, error = ?e, "erreur de base de données : rien n'a été enregistré");
    }
    op
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WebError::NotFound,
            StoreError::Invalid(d) => WebError::Invalid(d),
            StoreError::Conflicts(parts) => WebError::Conflicts(parts),
            StoreError::InUse | StoreError::Duplicate(..) | StoreError::Stale(_) => {
                WebError::Conflict(e.to_string())
            }
            StoreError::Db(_) => WebError::Unavailable(log_db_failure(&e)),
            other => {
                let op = operation_id();
                tracing::error!(operation = %op, error = ?other, "erreur interne");
                WebError::Internal(op)
            }
        }
    }
}

fn operation_id() -> String {
    let mut b = [0u8; 6];
    vigie_store::password::fill_random(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
    login_link: bool,
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden | WebError::Refused(_) => StatusCode::FORBIDDEN,
            WebError::Unauthenticated => StatusCode::UNAUTHORIZED,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict(_) | WebError::Conflicts(_) => StatusCode::CONFLICT,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn texts(&self) -> (&'static str, String) {
        match self {
            WebError::NotFound => (
                "Page introuvable",
                "Cette page n'existe pas, ou vous n'y avez pas accès.".into(),
            ),
            WebError::BadRequest(m) | WebError::Refused(m) => ("Requête refusée", m.clone()),
            WebError::Forbidden => (
                "Accès refusé",
                "Votre rôle ne permet pas cette action. Ce refus a été enregistré.".into(),
            ),
            WebError::Unauthenticated => (
                "Connexion requise",
                "Votre session a expiré ou vous n'êtes pas connecté.".into(),
            ),
            WebError::Invalid(d) => ("Saisie invalide", d.to_string()),
            WebError::Conflict(m) => ("Conflit", m.clone()),
            WebError::Conflicts(_) => (
                "Conflit",
                "Le dossier a été modifié entre-temps par un autre utilisateur : rien n'a été enregistré. Rechargez-le et reportez vos modifications.".into(),
            ),
            WebError::Unavailable(op) => ("Enregistrement impossible pour le moment", nothing_saved(op)),
            WebError::Internal(op) => (
                "Erreur interne",
                format!(
                    "Une erreur est survenue. Communiquez ce numéro d'opération au support : {op}."
                ),
            ),
        }
    }
}

impl WebError {
    /// `Retry-After` on a 503.
    fn retry_after(&self, resp: &mut Response) {
        if matches!(self, WebError::Unavailable(_)) {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(RETRY_AFTER_SECONDS),
            );
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (title, message) = self.texts();
        let page = ErrorPage {
            title,
            message,
            login_link: matches!(self, WebError::Unauthenticated),
        };
        let body = page.render().unwrap_or_else(|_| title.to_owned());
        let mut resp = (self.status(), Html(body)).into_response();
        self.retry_after(&mut resp);
        resp
    }
}

/// The same errors as RFC 9457 `application/problem+json`, naming the fields.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// An RFC 9457 problem (`application/problem+json`), in French.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// 422: every refused field at once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// 409: each part of the dossier saved by someone else since it was read (nothing was
    /// written): the other user's values (`old`, now stored) against the request's (`new`),
    /// who and when, and the version now stored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<vigie_domain::dossier::PartConflict>,
}

/// A refused field.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    /// Stable key of the field in the dossier (`DossierInput`), e.g. `children[0].birth_date`.
    pub field: String,
    /// French label of the field.
    pub label: String,
    /// French message saying what is expected.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let (title, detail) = self.0.texts();
        let errors = match &self.0 {
            WebError::Invalid(d) => d
                .fields()
                .iter()
                .map(|f: &FieldError| ProblemField {
                    field: f.field.clone(),
                    label: f.label.clone(),
                    message: f.message.clone(),
                })
                .collect(),
            _ => vec![],
        };
        let conflicts = match &self.0 {
            WebError::Conflicts(parts) => parts.clone(),
            _ => vec![],
        };
        let p = Problem {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail,
            errors,
            conflicts,
        };
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(p),
        )
            .into_response();
        self.0.retry_after(&mut resp);
        resp
    }
}
