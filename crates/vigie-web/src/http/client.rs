//! Who is asking, from where: the client's address behind the configured reverse proxies,
//! as an extractor ([`ClientIp`]) and as the audit trail's actor ([`client_actor`]).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use vigie_store::Actor;

use crate::AppState;

/// The client's address: the peer's, or, when the peer is one of the configured reverse
/// proxies (`VIGIE_TRUSTED_PROXIES`), the last address of `X-Forwarded-For` that is not one
/// of them. Throttling by address and the audit trail use it.
pub fn client_ip(
    config: &crate::WebConfig,
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
) -> Option<String> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !config.trusted_proxies.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    let client = forwarded
        .iter()
        .rev()
        .find(|a| !config.trusted_proxies.contains(a))
        .copied()
        .unwrap_or(peer);
    Some(client.to_string())
}

/// Who is acting, from where (see [`client_ip`]).
pub fn client_actor(state: &AppState, req: &Request, user_id: Option<i64>) -> Actor {
    Actor {
        user_id,
        ip: client_ip(&state.config, req.extensions(), req.headers()),
    }
}

/// The client's address (see [`client_ip`]), when known.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(
            &state.config,
            &parts.extensions,
            &parts.headers,
        )))
    }
}
