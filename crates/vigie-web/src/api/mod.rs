//! JSON API `/api/v1`: the same store functions and the same scope as the pages.
//! Errors are RFC 9457 problems ([`ApiError`]). Every handler carries its
//! `#[utoipa::path]`: the OpenAPI document ([`openapi`]) is generated from them, and
//! a test checks that every `/api/v1` route of the registry is in it.
//!
//! Names never go into a URL: the name search and the person suggestions are POSTs.
//! [`dossiers`]: list, search, read, create, update; [`catalog`]: the parameter tables;
//! [`persons`]: the known persons like a child being typed.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use vigie_domain::DomainError;

use crate::http::error::{ApiError, WebError};

pub mod catalog;
pub mod documents;
pub mod dossiers;
pub mod openapi;
pub mod persons;
pub mod stats;
pub mod templates;

/// A JSON body whose rejection (malformed JSON, missing field, wrong type) is a problem too.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let refused = |m: String| ApiError(WebError::Invalid(DomainError::Rule(m)));
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        if !json_type {
            return Err(refused(
                "corps JSON refusé : l'en-tête Content-Type doit être application/json.".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| refused(format!("corps JSON refusé : {}", r.body_text())))?;
        // A control character can only come as a `\u00XX` escape (JSON forbids them raw):
        // without one, the typed body is built directly; with one, the body is read as a
        // value first, so that the refused field is named by its path.
        if crate::http::extract::may_escape_a_control(&bytes) {
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| refused(format!("corps JSON refusé : {e}")))?;
            crate::http::extract::check_json(&value).map_err(|e| ApiError(WebError::Invalid(e)))?;
            return serde_json::from_value(value)
                .map(ApiJson)
                .map_err(|e| refused(format!("corps JSON refusé : {e}")));
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| refused(format!("corps JSON refusé : {e}")))
    }
}
