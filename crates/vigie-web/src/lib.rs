//! Vigie's web layer. A request goes: handler (extract, authenticate) → authorise
//! (role + scope) → store (one transaction: change or read + audit entry) → HTML or JSON.
//!
//! Every route is registered through [`routes::Routes::add`], which records its method,
//! path and required [`Access`]; the guard middleware enforces it. A test walks that list.
//!
//! # Map of the crate
//! One folder per screen, one shared module, the HTTP infrastructure below them:
//! - [`routes`]: every route, its access and its handler: start here to find a page's code.
//! - Screens, named after what the user sees:
//!   - [`dossier`]: the list and search, the read-only view, the form (creation and
//!     modification), the history, the request for an accès exceptionnel;
//!   - [`echeances`]: the deadlines page; [`home`]: the home page;
//!   - [`account`]: login, second factor, re-authentication, « Mon compte »;
//!   - [`admin`]: parameter tables, users and roles, accounts waiting for confirmation;
//!   - [`audit`]: the audit trail (traçabilité) and the accès exceptionnels granted;
//!   - [`api`]: the JSON API `/api/v1` and its OpenAPI document.
//! - [`shared`]: what several screens use, written once: page chrome and rendering, the
//!   actor, path ids, dates, URL encoding, the dossier list query, the break-glass scope,
//!   the re-authentication redirect.
//! - [`http`]: errors, extractors, session cookie, client address, security headers and
//!   CSRF, public URL, refusals, clock, password hashing, static files.
//!
//! Dependencies go one way: screens → [`shared`] → [`http`]; a screen never imports
//! another screen's folder (the dossier read page and the API share the scope and the
//! list through [`shared`]). Templates stay in `templates/`, named after their screen.
//! A new screen (a dashboard, letters) gets its own folder and its routes in [`routes`].
//!
//! Errors: [`http::error::WebError`] maps store and domain errors to French pages or
//! RFC 9457 problems; never SQL, stack traces or personal data.

// Functions stay short (clippy.toml: `too-many-lines-threshold`); the few allowed
// longer ones say why. Tests read as one scenario each and are not held to it.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

pub mod account;
pub mod admin;
pub mod api;
pub mod audit;
pub mod dashboard;
pub mod documents;
pub mod dossier;
pub mod echeances;
pub mod home;
pub mod http;
pub mod letters;
pub mod reminders;
pub mod routes;
pub mod shared;

/// The binary's configuration reads `VIGIE_PUBLIC_URL` as a `vigie_web::public_url::PublicUrl`.
pub use http::public_url;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use vigie_store::Store;

pub use http::clock::{Clock, ManualClock};
use vigie_store::sessions::SessionPolicy;

pub use routes::{Access, RouteSpec};

/// Web configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The database was created with `--demo`: every page says « données fictives ».
    pub demo: bool,
    /// Served behind TLS (a reverse proxy): `Secure` cookies and HSTS.
    pub behind_tls: bool,
    /// Time zone for display (Europe/Paris by default; overseas départements differ).
    pub timezone: chrono_tz::Tz,
    pub sessions: SessionPolicy,
    /// At most this many Argon2id computations at once (each takes 19 MiB).
    pub max_concurrent_hashes: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed (empty: the peer is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address users type (`VIGIE_PUBLIC_URL`); `None`: any `Host`, and the CSRF check
    /// compares `Origin` with the request's own `Host` ([`public_url`]).
    pub public_url: Option<public_url::PublicUrl>,
    /// LibreOffice for letters in PDF: a bounded pool; when `soffice` is not found, PDF is
    /// offered disabled with the reason.
    pub pdf: vigie_letters::PdfSettings,
    /// Uploaded documents: the size limit and the optional antivirus.
    pub uploads: documents::upload::UploadSettings,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            demo: false,
            behind_tls: false,
            timezone: chrono_tz::Europe::Paris,
            sessions: SessionPolicy::default(),
            max_concurrent_hashes: 4,
            trusted_proxies: Vec::new(),
            public_url: None,
            pdf: vigie_letters::PdfSettings {
                program: None,
                workers: 2,
                timeout: std::time::Duration::from_secs(60),
                work_dir: std::env::temp_dir().join("vigie-pdf"),
            },
            uploads: documents::upload::UploadSettings::default(),
        }
    }
}

/// Shared state of the application (no process state beyond this: sessions live in the database).
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    /// Password checks, on `max_concurrent_hashes` threads.
    pub hashing: http::hashing::Hasher,
    /// Anonymous refusals counted per address and minute ([`refusals`]).
    pub refusals: Arc<http::refusals::Refusals>,
    /// LibreOffice's PDF pool (`None`: not installed).
    pub pdf: Option<Arc<vigie_letters::PdfPool>>,
    clock: Clock,
}

impl AppState {
    /// The state of the application; `clock` is [`Clock::system`] in production and a
    /// [`Clock::manual`] in tests.
    pub fn new(store: Store, config: WebConfig, clock: Clock) -> Self {
        let permits = config.max_concurrent_hashes.max(1);
        let pdf = vigie_letters::PdfPool::new(&config.pdf).map(Arc::new);
        Self {
            store,
            config: Arc::new(config),
            hashing: http::hashing::Hasher::new(permits),
            refusals: Arc::default(),
            pdf,
            clock,
        }
    }

    /// Every handler reads the time here, and only here.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Writes the anonymous refusals of the minutes already over (the server calls it every
    /// minute; tests call it after moving the clock).
    pub async fn flush_refusals(&self) {
        let now = self.now();
        http::refusals::write(&self.store, now, self.refusals.ended(now)).await;
    }

    /// Writes every anonymous refusal counted, the current minute's included (when the
    /// server stops).
    pub async fn flush_all_refusals(&self) {
        http::refusals::write(&self.store, self.now(), self.refusals.all()).await;
    }
}

/// The application: every route, the guard, security headers, CSRF protection, request logs.
pub fn app(state: AppState) -> axum::Router {
    let (router, _) = routes::build(state.clone());
    let router = router.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        http::public_url::guard,
    ));
    http::security::wrap(router, &state.config).layer(axum::middleware::from_fn_with_state(
        state,
        http::security::audit_csrf_refusals,
    ))
}

/// Why the server could not start.
#[derive(Debug)]
pub enum ServeError {
    /// The address is taken (one clear line for the operator).
    AddrInUse(String),
    Other(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::AddrInUse(a) => write!(
                f,
                "VIGIE_LISTEN : l'adresse {a} est déjà utilisée (un autre Vigie tourne-t-il ?)"
            ),
            ServeError::Other(m) => f.write_str(m),
        }
    }
}

/// Binds `addr` and serves until Ctrl-C or SIGTERM.
pub async fn serve(
    addr: std::net::SocketAddr,
    state: AppState,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => ServeError::AddrInUse(addr.to_string()),
            _ => ServeError::Other(format!(
                "VIGIE_LISTEN : impossible d'écouter sur {addr} : {e}"
            )),
        })?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Other(e.to_string()))?;
    on_ready(local);
    // Anonymous refusals are written once their minute is over; the ticker stops between
    // two writes (never in the middle of one), then every count left is written.
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let ticker = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            // The audit chain's head is anchored outside the database when due (every
            // 1,000 entries or 10 minutes): checked every 10 seconds.
            let mut anchor_tick = tokio::time::interval(std::time::Duration::from_secs(10));
            loop {
                tokio::select! {
                    _ = tick.tick() => state.flush_refusals().await,
                    _ = anchor_tick.tick() => {
                        if let Err(e) = state.store.anchor_if_due(state.now()).await {
                            tracing::warn!(erreur = %e, "ancre de la chaîne d'audit non écrite");
                        }
                    }
                    _ = stopped.changed() => break,
                }
            }
        })
    };
    let served = axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| ServeError::Other(e.to_string()));
    let _ = stop.send(true);
    let _ = ticker.await;
    state.flush_all_refusals().await;
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
