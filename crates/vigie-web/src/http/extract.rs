//! The boundary: form bodies, query strings and JSON bodies are read as raw text first, and
//! every value (and every key) must pass the domain's character rule
//! ([`vigie_domain::text::forbidden_char`]) before a handler sees it. A refused value is a
//! French 422 naming the field — the same on SQLite and PostgreSQL, which refuses U+0000.
//!
//! Tabs and line breaks pass here (long texts accept them); each field's own kind (a name
//! holds no line break) is checked by the domain where the value is used. The dossier form
//! reads its pairs with `axum::Form` on purpose: every value it keeps goes through
//! [`vigie_domain::DossierInput::validate`], which shows the form again with everything typed.

use axum::extract::{FromRequest, FromRequestParts, RawForm, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use vigie_domain::DomainError;
use vigie_domain::text::{forbidden_char, forbidden_message};

use crate::http::error::{ApiError, WebError};

/// The French label of a field posted outside the dossier form.
fn label(key: &str) -> String {
    let known = match key {
        "q" => "Recherche",
        "login" => "Identifiant",
        "password" | "current" => "Mot de passe",
        "new" => "Nouveau mot de passe",
        "confirm" => "Confirmation du mot de passe",
        "code" => "Code",
        "motif" => "Motif",
        "label" => "Libellé",
        "national_code" => "Code national",
        "display_name" => "Nom affiché",
        "retour" | "apres" => "Adresse de retour",
        "du" => "Du",
        "au" => "Au",
        _ => "",
    };
    if known.is_empty() {
        format!("Champ « {} »", key.chars().take(60).collect::<String>())
    } else {
        known.to_owned()
    }
}

/// A refusal naming the field whose value (or name) holds a forbidden character.
fn refuse(key: &str, c: char) -> DomainError {
    let shown: String = key.chars().filter(|c| !c.is_control()).take(60).collect();
    DomainError::field(&shown, &label(&shown), forbidden_message(c))
}

/// Checks every pair of a `application/x-www-form-urlencoded` text (body or query).
pub fn check_pairs(raw: &[u8]) -> Result<(), DomainError> {
    for (k, v) in form_urlencoded::parse(raw) {
        if let Some(c) = forbidden_char(&k, false).or_else(|| forbidden_char(&v, true)) {
            return Err(refuse(&k, c));
        }
    }
    Ok(())
}

/// Checks every string (and key) of a JSON value; the field is named by its path
/// (`children[0].person.first_names`).
pub fn check_json(v: &serde_json::Value) -> Result<(), DomainError> {
    fn walk(v: &serde_json::Value, path: &mut String) -> Result<(), DomainError> {
        match v {
            serde_json::Value::String(s) => match forbidden_char(s, true) {
                Some(c) => Err(refuse(path, c)),
                None => Ok(()),
            },
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            serde_json::Value::Object(map) => {
                for (k, item) in map {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    if let Some(c) = forbidden_char(k, false) {
                        return Err(refuse(path, c));
                    }
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(v, &mut String::new())
}

/// Whether a JSON text may hold an escaped control character (`\u0000` to `\u001f`,
/// `\u007f` to `\u009f`): a cheap scan of the bytes; a false alarm only costs the slow,
/// naming path of [`check_json`].
pub fn may_escape_a_control(json: &[u8]) -> bool {
    json.windows(6).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2] == b'0'
            && w[3] == b'0'
            && matches!(
                (w[4].to_ascii_lowercase(), w[5].to_ascii_lowercase()),
                (b'0' | b'1' | b'8' | b'9', _) | (b'7', b'f')
            )
    })
}

/// What a page shows when a form cannot be read as its handler expects (a forged post).
fn unreadable() -> DomainError {
    DomainError::Rule(
        "le formulaire envoyé est incomplet ou illisible : rechargez la page et recommencez."
            .into(),
    )
}

/// A form body (or, for GET, the query string) whose every value passed the text rule.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawForm(bytes) = RawForm::from_request(req, state).await.map_err(|r| {
            // The same status (413 too large, 415 not a form), a French page.
            let why = if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                "le formulaire envoyé est trop volumineux : rien n'a été enregistré."
            } else {
                "le formulaire envoyé n'a pas pu être lu : rien n'a été enregistré. Rechargez la page et recommencez."
            };
            let mut resp = WebError::BadRequest(why.to_owned()).into_response();
            *resp.status_mut() = r.status();
            resp
        })?;
        check_pairs(&bytes).map_err(|e| WebError::Invalid(e).into_response())?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|_| WebError::Invalid(unreadable()).into_response())
    }
}

/// A query string whose every value passed the text rule; pages answer a French page.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts)
            .map(Query)
            .map_err(|e| WebError::Invalid(e).into_response())
    }
}

/// The same for the API: refusals are RFC 9457 problems.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts)
            .map(ApiQuery)
            .map_err(|e| ApiError(WebError::Invalid(e)))
    }
}

fn parse_query<T: DeserializeOwned>(parts: &Parts) -> Result<T, DomainError> {
    let raw = parts.uri.query().unwrap_or_default();
    check_pairs(raw.as_bytes())?;
    serde_urlencoded::from_str(raw)
        .map_err(|_| DomainError::Rule("l'adresse de la page est incomplète ou illisible.".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_anywhere_is_refused_with_the_field_named() {
        let e = check_pairs(b"login=ag%00ent&password=x").unwrap_err();
        assert_eq!(e.fields()[0].field, "login");
        assert_eq!(e.fields()[0].label, "Identifiant");
        assert!(e.fields()[0].message.contains("U+0000"));
        let e = check_pairs(b"a%01b=1").unwrap_err();
        assert_eq!(e.fields()[0].field, "ab");
        assert!(check_pairs(b"expose=l1%0D%0Al2%09x&q=Zo%C3%A9").is_ok());

        let v = serde_json::json!({"children": [{"person": {"first_names": "A\u{0}"}}]});
        let e = check_json(&v).unwrap_err();
        assert_eq!(e.fields()[0].field, "children[0].person.first_names");
        assert!(check_json(&serde_json::json!({"q": "a\tb\nc", "n": [1, 2]})).is_ok());
        assert!(may_escape_a_control(br#"{"q":"Mar\u0000tin"}"#));
        assert!(may_escape_a_control(br#"{"q":"\u009F"}"#));
        assert!(!may_escape_a_control(br#"{"q":"Zo\u00e9 \u00C9"}"#));
    }
}
