//! The public URL (`VIGIE_PUBLIC_URL`, e.g. `https://vigie.cd18.fr`): the address users
//! type. When it is set, a request for another `Host` is refused (400, French page), and a
//! state-changing request whose `Origin` is not exactly that origin (scheme, host and
//! port) is refused as cross-site (403, audited like the CSRF layer's refusals) — the CSRF
//! check no longer trusts the request's own `Host`. `/healthz` answers whatever the `Host`
//! (supervision probes use the node's own address). When it is unset, Vigie behaves as
//! before and says so at start and in `vigie check`.
//!
//! Links written for outside use (the coming letters and e-mails) are to start with
//! [`PublicUrl::origin`].

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::http::error::WebError;

/// The validated public URL: its origin (`https://vigie.cd18.fr`, default port omitted)
/// and its authority as a `Host` header carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    origin: String,
    authority: String,
}

impl PublicUrl {
    /// Parses `https://host[:port]` (or `http://`), without path, query or user; a trailing
    /// `/` is accepted. The French error names the setting.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "VIGIE_PUBLIC_URL : « {raw} » refusée ({why}) ; attendu : l'adresse que tapent les utilisateurs, ex. https://vigie.cd18.fr"
            )
        };
        let raw_trimmed = raw.trim().trim_end_matches('/');
        let uri: Uri = raw_trimmed.parse().map_err(|_| bad("adresse illisible"))?;
        let scheme = match uri.scheme_str() {
            Some("https") => "https",
            Some("http") => "http",
            _ => return Err(bad("elle doit commencer par https:// ou http://")),
        };
        let auth = uri.authority().ok_or_else(|| bad("nom d'hôte manquant"))?;
        if auth.as_str().contains('@') {
            return Err(bad("pas d'identifiant dans l'adresse"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad("sans chemin ni paramètres"));
        }
        let host = auth.host().to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad("nom d'hôte manquant"));
        }
        let default_port = if scheme == "https" { 443 } else { 80 };
        let authority = match auth.port_u16() {
            Some(p) if p != default_port => format!("{host}:{p}"),
            _ => host,
        };
        Ok(Self {
            origin: format!("{scheme}://{authority}"),
            authority,
        })
    }

    /// `https://vigie.cd18.fr`: the start of every link Vigie writes for outside use.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether a `Host` (or request-target authority) names this address.
    fn is_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let default = if self.origin.starts_with("https:") {
            ":443"
        } else {
            ":80"
        };
        host == self.authority || host.strip_suffix(default) == Some(self.authority.as_str())
    }
}

fn effective_host(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    uri.authority().map(|a| a.as_str().to_owned()).or_else(|| {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    })
}

/// A page, or a problem under `/api/`.
fn refuse(path: &str, e: WebError) -> Response {
    if path.starts_with("/api/") {
        crate::http::error::ApiError(e).into_response()
    } else {
        e.into_response()
    }
}

/// Refuses a request for another `Host`, and a state-changing request from another origin.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(public) = state.config.public_url.clone() else {
        return next.run(req).await;
    };
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    let host_ok = effective_host(req.uri(), req.headers()).is_some_and(|h| public.is_host(&h));
    if !host_ok {
        let why = format!(
            "Cette adresse ne sert pas Vigie : utilisez {}.",
            public.origin()
        );
        return refuse(req.uri().path(), WebError::BadRequest(why));
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let origin = req.headers().get(header::ORIGIN).map(|o| {
        o.to_str()
            .unwrap_or("?")
            .trim_end_matches('/')
            .to_ascii_lowercase()
    });
    if unsafe_method && origin.as_deref().is_some_and(|o| o != public.origin()) {
        let (headers, ip, route) = crate::http::security::refusal_context(&state, &req);
        crate::http::security::record_csrf_refusal(&state, &headers, ip, "ForeignOrigin", &route)
            .await;
        let why = format!(
            "Cette requête ne vient pas de {} : elle est refusée et tracée. Rechargez la page depuis cette adresse.",
            public.origin()
        );
        return refuse(req.uri().path(), WebError::Refused(why));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_is_an_origin() {
        let p = PublicUrl::parse("https://Vigie.CD18.fr/").unwrap();
        assert_eq!(p.origin(), "https://vigie.cd18.fr");
        assert!(p.is_host("vigie.cd18.fr"));
        assert!(p.is_host("vigie.cd18.fr:443"));
        assert!(!p.is_host("evil.example"));
        assert!(!p.is_host("vigie.cd18.fr:8443"));
        let p = PublicUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(p.origin(), "http://127.0.0.1:8080");
        assert!(p.is_host("127.0.0.1:8080"));
        for bad in [
            "vigie.cd18.fr",
            "ftp://vigie.cd18.fr",
            "https://vigie.cd18.fr/ip",
            "https://vigie.cd18.fr?x=1",
            "https://u@vigie.cd18.fr",
        ] {
            let e = PublicUrl::parse(bad).unwrap_err();
            assert!(e.starts_with("VIGIE_PUBLIC_URL"), "{bad}: {e}");
        }
    }
}
