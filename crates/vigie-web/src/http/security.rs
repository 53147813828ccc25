//! Security headers, CSRF protection and request logs, on every response.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use tower::ServiceBuilder;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::WebConfig;

/// The Content Security Policy: no inline script or style, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the router with the layers every response gets.
pub fn wrap(router: Router, config: &WebConfig) -> Router {
    let mut router = router
        .layer(CsrfLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ));
    if config.behind_tls {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
            .layer(
                // One line per request: method, path without the query string, status,
                // latency, request id and user id. Never names nor form content.
                TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
                    tracing::info_span!("requete", method = %req.method(), path = %req.uri().path(), request_id = %id, user_id = tracing::field::Empty)
                }),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone())),
    )
}

/// A request refused by the CSRF layer (cross-site `Sec-Fetch-Site`, or a foreign `Origin`)
/// is audited ([`record_csrf_refusal`]) and answered with the French 403 page instead of an
/// empty body.
pub async fn audit_csrf_refusals(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (headers, ip, route) = refusal_context(&state, &req);
    let mut res = next.run(req).await;
    let Some(kind) = res
        .extensions()
        .get::<tower_http::csrf::ProtectionError>()
        .map(|e| format!("{:?}", e.kind()))
    else {
        return res;
    };
    record_csrf_refusal(&state, &headers, ip, &kind, &route).await;
    let (parts, body) = crate::http::error::WebError::Forbidden
        .into_response()
        .into_parts();
    *res.body_mut() = body;
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        res.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    res
}

/// What a refusal's entry needs from the request: its headers (for the cookie), the
/// client's address, and the method with the path cut to [`crate::http::refusals::PATH_MAX`].
pub fn refusal_context(
    state: &crate::AppState,
    req: &axum::extract::Request,
) -> (axum::http::HeaderMap, Option<String>, String) {
    let headers = req.headers().clone();
    let ip = crate::http::client::client_ip(&state.config, req.extensions(), &headers);
    let route = format!(
        "{} {}",
        req.method(),
        crate::http::refusals::bounded_path(req.uri().path())
    );
    (headers, ip, route)
}

/// Audits a cross-site refusal (`csrf.refuse`: the kind, the method and the path cut to
/// [`crate::http::refusals::PATH_MAX`] characters, never the query). When the cookie names a
/// user, one entry naming them; otherwise counted per address and minute
/// ([`crate::refusals`]).
pub async fn record_csrf_refusal(
    state: &crate::AppState,
    headers: &axum::http::HeaderMap,
    ip: Option<String>,
    kind: &str,
    route: &str,
) {
    let user_id = crate::http::session::session_from_headers(state, headers)
        .await
        .ok()
        .flatten()
        .map(|u| u.user_id);
    let detail = format!("{kind} route={route}");
    let now = state.now();
    if user_id.is_some() {
        if let Err(e) = state
            .store
            .audit(
                now,
                &vigie_store::Actor { user_id, ip },
                vigie_store::audit::Event::new("csrf.refuse").detail(detail),
            )
            .await
        {
            tracing::error!(error = %e, "refus CSRF non tracé");
        }
    } else {
        let done = state.refusals.count(now, "csrf.refuse", ip, detail);
        crate::http::refusals::write(&state.store, now, done).await;
    }
}
