//! The health check and the static files, all embedded in the binary (nothing is
//! downloaded at run time).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// 200 when the database answers and accepts a write (a real write, at most once every
/// 10 seconds: see [`vigie_store::Store::can_write`]), 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    if !state.store.ping().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "base de données injoignable",
        )
            .into_response();
    }
    if !state.store.can_write(state.now()).await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "la base de données refuse l'écriture (disque plein ?)",
        )
            .into_response();
    }
    (StatusCode::OK, "ok").into_response()
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/vigie.css"),
    )
        .into_response()
}

/// The enhancement script (pages work without it).
pub async fn script() -> Response {
    static_js(include_str!("../../static/vigie.js"))
}

/// htmx 2.0.11 (BSD-0-Clause), vendored: nothing is downloaded at run time.
pub async fn htmx() -> Response {
    static_js(include_str!("../../static/htmx.min.js"))
}

fn static_js(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
