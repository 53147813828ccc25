//! The route registry: every route is added with its method, path and required access.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, on};
use axum::{Router, handler::Handler};
use vigie_domain::Permission;
use vigie_store::audit::Event;

use crate::AppState;
use crate::http::client::client_actor;
use crate::http::error::{ApiError, WebError};
use crate::http::session::session_from_headers;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session needed (login page, health check, static files).
    Public,
    /// A session at any stage, including one that passed only the password: the second
    /// factor's check and enrolment, logout.
    SecondFactorStep,
    /// Any logged-in user (password and second factor passed).
    Authenticated,
    /// A logged-in user whose role has this permission.
    Perm(Permission),
}

/// One registered route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Builds the router and the list of what it serves.
#[derive(Debug)]
pub struct Routes {
    state: AppState,
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    /// Registers a route: the only way to add one.
    pub fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        #[allow(clippy::expect_used)]
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        let guarded = on(filter, handler)
            .route_layer(from_fn_with_state((self.state.clone(), access), guard));
        self.router = self.router.route(path, guarded);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }

    /// Registers an upload route: as [`Routes::add`], with a body as large as the upload
    /// settings allow (`VIGIE_DOCUMENT_MAX_MO`) instead of axum's 2 MB.
    pub fn add_upload<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        #[allow(clippy::expect_used)]
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        let limit = self.state.config.uploads.body_limit();
        let guarded = on(filter, handler)
            .layer(axum::extract::DefaultBodyLimit::max(limit))
            .route_layer(from_fn_with_state((self.state.clone(), access), guard));
        self.router = self.router.route(path, guarded);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }

    pub fn finish(self) -> (Router, Vec<RouteSpec>) {
        (
            self.router.fallback(not_found).with_state(self.state),
            self.specs,
        )
    }
}

async fn not_found() -> Response {
    WebError::NotFound.into_response()
}

/// Enforces a route's access before its handler runs; a denial is audited.
async fn guard(
    State((state, access)): State<(AppState, Access)>,
    mut req: Request,
    next: Next,
) -> Response {
    if access == Access::Public {
        return next.run(req).await;
    }
    let is_api = req.uri().path().starts_with("/api/");
    let user = match session_from_headers(&state, req.headers()).await {
        Ok(Some(u)) => u,
        // A cookie that names no open session (expired, idle, closed, disabled user, forged):
        // traced, then the usual answer.
        Ok(None) if crate::http::session::has_session_cookie(req.headers()) => {
            let owner = match crate::http::session::end_stale_session(&state, req.headers()).await {
                Ok(o) => o,
                Err(e) => return WebError::from(e).into_response(),
            };
            let actor = client_actor(&state, &req, owner);
            let detail = format!("route={} {}", req.method(), matched_path(&req));
            let now = state.now();
            if owner.is_some() {
                // An expired or idle session: one entry, naming its user; the session is
                // ended, so the same cookie again names nobody (counted).
                let ev = Event::new("session.invalide").detail(detail);
                if let Err(e) = state.store.audit(now, &actor, ev).await {
                    return WebError::from(e).into_response();
                }
            } else {
                // A cookie that names no session (closed, or forged): nobody is named,
                // counted per address and minute, one entry per count.
                let done = state
                    .refusals
                    .count(now, "session.invalide", actor.ip, detail);
                crate::http::refusals::write(&state.store, now, done).await;
            }
            if is_api {
                return ApiError(WebError::Unauthenticated).into_response();
            }
            return Redirect::to("/connexion").into_response();
        }
        Ok(None) if is_api => return ApiError(WebError::Unauthenticated).into_response(),
        Ok(None) => return Redirect::to("/connexion").into_response(),
        Err(e) => return WebError::from(e).into_response(),
    };
    tracing::Span::current().record("user_id", user.user_id);
    if access != Access::SecondFactorStep {
        // Only the second factor's pages are open to a session that passed the password alone.
        if !user.fully_authenticated() {
            if is_api {
                return ApiError(WebError::Unauthenticated).into_response();
            }
            return Redirect::to(crate::account::next_step(&user)).into_response();
        }
        // A password reset by an administrator must be replaced before anything else.
        let path = matched_path(&req);
        if user.must_change_password && path != "/compte" && path != "/compte/mot-de-passe" {
            if is_api {
                return ApiError(WebError::Forbidden).into_response();
            }
            return Redirect::to("/compte").into_response();
        }
    }
    if let Access::Perm(p) = access
        && !user.role.has(p)
    {
        let actor = client_actor(&state, &req, Some(user.user_id));
        let detail = format!(
            "permission={p:?} route={} {}",
            req.method(),
            matched_path(&req)
        );
        if let Err(e) = state
            .store
            .audit(
                state.now(),
                &actor,
                Event::new("acces.refuse").detail(detail),
            )
            .await
        {
            return WebError::from(e).into_response();
        }
        if is_api {
            return ApiError(WebError::Forbidden).into_response();
        }
        return WebError::Forbidden.into_response();
    }
    req.extensions_mut().insert(user);
    next.run(req).await
}

fn matched_path(req: &Request) -> String {
    req.extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "?".to_owned(), |m| m.as_str().to_owned())
}

/// Every route of the application, screen by screen.
pub fn build(state: AppState) -> (Router, Vec<RouteSpec>) {
    let r = Routes::new(state);
    let r = asset_and_account_routes(r);
    let r = dossier_routes(r);
    let r = crate::letters::routes(r);
    let r = crate::documents::routes(r);
    let r = crate::admin::letter_routes(r);
    let r = crate::admin::template_routes(r);
    let r = audit_and_params_routes(r);
    let r = stats_routes(r);
    let r = api_write_routes(r);
    let r = user_routes(r);
    let r = access_routes(r);
    r.finish()
}

/// The static assets, the health check, sign-in, the second factor, the account pages and the home page.
fn asset_and_account_routes(r: Routes) -> Routes {
    use Access::*;
    r.add(
        Method::GET,
        "/healthz",
        Public,
        crate::http::assets::healthz,
    )
    .add(
        Method::GET,
        "/static/vigie.css",
        Public,
        crate::http::assets::stylesheet,
    )
    .add(
        Method::GET,
        "/static/vigie.js",
        Public,
        crate::http::assets::script,
    )
    .add(
        Method::GET,
        "/static/htmx.min.js",
        Public,
        crate::http::assets::htmx,
    )
    .add(
        Method::GET,
        "/connexion",
        Public,
        crate::account::login::login_page,
    )
    .add(
        Method::POST,
        "/connexion",
        Public,
        crate::account::login::login,
    )
    .add(
        Method::POST,
        "/deconnexion",
        SecondFactorStep,
        crate::account::login::logout,
    )
    .add(
        Method::GET,
        "/connexion/second-facteur",
        SecondFactorStep,
        crate::account::second_factor::second_factor_page,
    )
    .add(
        Method::POST,
        "/connexion/second-facteur",
        SecondFactorStep,
        crate::account::second_factor::second_factor_post,
    )
    .add(
        Method::GET,
        "/compte/second-facteur",
        SecondFactorStep,
        crate::account::second_factor::enrol_page,
    )
    .add(
        Method::POST,
        "/compte/second-facteur",
        SecondFactorStep,
        crate::account::second_factor::enrol_post,
    )
    .add(
        Method::GET,
        "/compte/second-facteur/qr.svg",
        SecondFactorStep,
        crate::account::second_factor::enrol_qr,
    )
    .add(
        Method::GET,
        "/reauthentification",
        Authenticated,
        crate::account::reauth::reauth_page,
    )
    .add(
        Method::POST,
        "/reauthentification",
        Authenticated,
        crate::account::reauth::reauth_post,
    )
    .add(
        Method::GET,
        "/compte",
        Authenticated,
        crate::account::settings::account_page,
    )
    .add(
        Method::POST,
        "/compte/mot-de-passe",
        Authenticated,
        crate::account::settings::password_post,
    )
    .add(
        Method::POST,
        "/compte/coordonnees",
        Authenticated,
        crate::account::settings::contact_post,
    )
    .add(
        Method::POST,
        "/compte/codes-de-secours",
        Authenticated,
        crate::account::settings::recovery_codes_post,
    )
    .add(
        Method::POST,
        "/compte/deconnexion-partout",
        Authenticated,
        crate::account::settings::logout_everywhere,
    )
    .add(Method::GET, "/", Authenticated, crate::home::home)
}

/// The dossiers: list, search, read, new, edit, history, the API's reads and the deadlines.
fn dossier_routes(r: Routes) -> Routes {
    use Access::*;
    use Permission::*;
    r.add(
        Method::GET,
        "/dossiers",
        Perm(DossierRead),
        crate::dossier::list::dossier_list,
    )
    .add(
        Method::POST,
        "/dossiers/recherche",
        Perm(DossierRead),
        crate::dossier::list::dossier_search,
    )
    .add(
        Method::GET,
        "/dossiers/{id}",
        Perm(DossierRead),
        crate::dossier::read::dossier_view,
    )
    .add(
        Method::GET,
        "/dossiers/nouveau",
        Perm(DossierWrite),
        crate::dossier::edit::new_form,
    )
    .add(
        Method::POST,
        "/dossiers/nouveau",
        Perm(DossierWrite),
        crate::dossier::edit::new_post,
    )
    .add(
        Method::GET,
        "/dossiers/{id}/modifier",
        Perm(DossierWrite),
        crate::dossier::edit::edit_form,
    )
    .add(
        Method::POST,
        "/dossiers/{id}/modifier",
        Perm(DossierWrite),
        crate::dossier::edit::edit_post,
    )
    .add(
        Method::GET,
        "/dossiers/{id}/historique",
        Perm(DossierRead),
        crate::dossier::history::history,
    )
    .add(
        Method::GET,
        "/api/v1/dossiers",
        Perm(DossierRead),
        crate::api::dossiers::list,
    )
    .add(
        Method::POST,
        "/api/v1/dossiers/recherche",
        Perm(DossierRead),
        crate::api::dossiers::search,
    )
    .add(
        Method::GET,
        "/api/v1/dossiers/{id}",
        Perm(DossierRead),
        crate::api::dossiers::read,
    )
    .add(
        Method::GET,
        "/echeances",
        Perm(DossierRead),
        crate::echeances::page,
    )
    .add(
        Method::POST,
        "/echeances/relances",
        Perm(DossierWrite),
        crate::reminders::run,
    )
    .add(
        Method::GET,
        "/echeances/relances/{id}",
        Perm(DossierWrite),
        crate::reminders::page,
    )
    .add(
        Method::GET,
        "/echeances/relances/{id}/pdf",
        Perm(DossierWrite),
        crate::reminders::pdf,
    )
}

/// Tableaux de bord: aggregates within the scope (small counts hidden without
/// StatsDetail), their exports, the cross-tab, the API's figures.
fn stats_routes(r: Routes) -> Routes {
    use Access::*;
    use Permission::*;
    r.add(
        Method::GET,
        "/tableaux-de-bord",
        Perm(StatsRead),
        crate::dashboard::page::page,
    )
    .add(
        Method::GET,
        "/tableaux-de-bord/export.csv",
        Perm(StatsRead),
        crate::dashboard::export::dashboard_csv,
    )
    .add(
        Method::GET,
        "/tableaux-de-bord/export.xlsx",
        Perm(StatsRead),
        crate::dashboard::export::dashboard_xlsx,
    )
    .add(
        Method::GET,
        "/tableaux-de-bord/croise",
        Perm(StatsRead),
        crate::dashboard::crosstab::page,
    )
    .add(
        Method::GET,
        "/tableaux-de-bord/croise/export.csv",
        Perm(StatsRead),
        crate::dashboard::crosstab::export_csv,
    )
    .add(
        Method::GET,
        "/tableaux-de-bord/croise/export.xlsx",
        Perm(StatsRead),
        crate::dashboard::crosstab::export_xlsx,
    )
    .add(
        Method::POST,
        "/tableaux-de-bord/croise/enregistrer",
        Perm(StatsShare),
        crate::dashboard::saved::save,
    )
    .add(
        Method::POST,
        "/tableaux-de-bord/croise/{id}/supprimer",
        Perm(StatsShare),
        crate::dashboard::saved::delete,
    )
    .add(
        Method::GET,
        "/api/v1/statistiques/tableau-de-bord",
        Perm(StatsRead),
        crate::api::stats::dashboard,
    )
    .add(
        Method::GET,
        "/api/v1/statistiques/tableau-croise",
        Perm(StatsRead),
        crate::api::stats::crosstab,
    )
}

/// The audit trail and the administration of the drop-down lists.
fn audit_and_params_routes(r: Routes) -> Routes {
    use Access::*;
    use Permission::*;
    r
        // Traçabilité: the audit trail, for the responsable CRIP.
        .add(
            Method::GET,
            "/tracabilite",
            Perm(AuditRead),
            crate::audit::trail::page,
        )
        .add(
            Method::POST,
            "/tracabilite/enfant",
            Perm(AuditRead),
            crate::audit::trail::child_search,
        )
        .add(
            Method::GET,
            "/tracabilite/export.csv",
            Perm(AuditRead),
            crate::audit::export::export,
        )
        // Administration of the drop-down lists (parameter tables, territories, services).
        .add(
            Method::GET,
            "/admin/parametres",
            Perm(ParamsAdmin),
            crate::admin::params::index,
        )
        .add(
            Method::GET,
            "/admin/parametres/population",
            Perm(ParamsAdmin),
            crate::admin::population::page,
        )
        .add(
            Method::POST,
            "/admin/parametres/population/{id}",
            Perm(ParamsAdmin),
            crate::admin::population::save,
        )
        .add(
            Method::GET,
            "/admin/parametres/{table}",
            Perm(ParamsAdmin),
            crate::admin::params::table_page,
        )
        .add(
            Method::POST,
            "/admin/parametres/{table}/ajout",
            Perm(ParamsAdmin),
            crate::admin::params::add,
        )
        .add(
            Method::POST,
            "/admin/parametres/{table}/{id}/modification",
            Perm(ParamsAdmin),
            crate::admin::params::update,
        )
        .add(
            Method::POST,
            "/admin/parametres/{table}/{id}/deplacement",
            Perm(ParamsAdmin),
            crate::admin::params::move_value,
        )
        .add(
            Method::POST,
            "/admin/parametres/{table}/{id}/desactivation",
            Perm(ParamsAdmin),
            crate::admin::params::deactivate,
        )
        .add(
            Method::POST,
            "/admin/parametres/{table}/{id}/reactivation",
            Perm(ParamsAdmin),
            crate::admin::params::reactivate,
        )
        .add(
            Method::POST,
            "/admin/parametres/{table}/{id}/suppression",
            Perm(ParamsAdmin),
            crate::admin::params::delete,
        )
}

/// The API's writes, the person suggestions and the catalog.
fn api_write_routes(r: Routes) -> Routes {
    use Access::*;
    use Permission::*;
    r.add(
        Method::POST,
        "/api/v1/dossiers",
        Perm(DossierWrite),
        crate::api::dossiers::create,
    )
    .add(
        Method::PUT,
        "/api/v1/dossiers/{id}",
        Perm(DossierWrite),
        crate::api::dossiers::update,
    )
    .add(
        Method::GET,
        "/api/v1/dossiers/{id}/edition",
        Perm(DossierWrite),
        crate::api::dossiers::edition,
    )
    .add(
        Method::POST,
        "/api/v1/personnes/suggestions",
        Perm(DossierRead),
        crate::api::persons::suggestions,
    )
    .add(
        Method::GET,
        "/api/v1/parametres",
        Authenticated,
        crate::api::catalog::parametres,
    )
}

/// User administration and the roles.
fn user_routes(r: Routes) -> Routes {
    use Access::*;
    use Permission::*;
    r
        // User administration (re-authentication checked by each handler) and the roles.
        .add(
            Method::GET,
            "/admin/utilisateurs",
            Perm(UsersAdmin),
            crate::admin::users::list,
        )
        .add(
            Method::GET,
            "/admin/utilisateurs/nouveau",
            Perm(UsersAdmin),
            crate::admin::users::new_form,
        )
        .add(
            Method::POST,
            "/admin/utilisateurs/nouveau",
            Perm(UsersAdmin),
            crate::admin::users::new_post,
        )
        .add(
            Method::GET,
            "/admin/utilisateurs/{id}",
            Perm(UsersAdmin),
            crate::admin::users::edit_form,
        )
        .add(
            Method::POST,
            "/admin/utilisateurs/{id}",
            Perm(UsersAdmin),
            crate::admin::users::edit_post,
        )
        .add(
            Method::POST,
            "/admin/utilisateurs/{id}/desactiver",
            Perm(UsersAdmin),
            crate::admin::user_actions::disable,
        )
        .add(
            Method::POST,
            "/admin/utilisateurs/{id}/reactiver",
            Perm(UsersAdmin),
            crate::admin::user_actions::enable,
        )
        .add(
            Method::POST,
            "/admin/utilisateurs/{id}/mot-de-passe",
            Perm(UsersAdmin),
            crate::admin::user_actions::reset_password,
        )
        .add(
            Method::POST,
            "/admin/utilisateurs/{id}/second-facteur",
            Perm(UsersAdmin),
            crate::admin::user_actions::reset_second_factor,
        )
        .add(
            Method::POST,
            "/admin/utilisateurs/{id}/sessions",
            Perm(UsersAdmin),
            crate::admin::user_actions::end_sessions,
        )
        .add(
            Method::GET,
            "/admin/roles",
            Perm(UsersAdmin),
            crate::admin::roles::roles,
        )
}

/// Exceptional access, the accounts awaiting confirmation and the OpenAPI document.
fn access_routes(r: Routes) -> Routes {
    use Access::*;
    use Permission::*;
    r
        // Accès exceptionnel (break-glass): asked by a territorial role, listed for the responsable.
        .add(
            Method::GET,
            "/dossiers/{id}/acces-exceptionnel",
            Perm(DossierRead),
            crate::dossier::break_glass::form,
        )
        .add(
            Method::POST,
            "/dossiers/{id}/acces-exceptionnel",
            Perm(DossierRead),
            crate::dossier::break_glass::grant,
        )
        .add(
            Method::GET,
            "/acces-exceptionnels",
            Perm(AuditRead),
            crate::audit::break_glass::list,
        )
        // The two-person rule: the responsable CRIP confirms the accounts that read dossiers.
        .add(
            Method::GET,
            "/comptes-en-attente",
            Perm(UsersConfirm),
            crate::admin::pending::list,
        )
        .add(
            Method::POST,
            "/comptes-en-attente/{id}/confirmer",
            Perm(UsersConfirm),
            crate::admin::pending::confirm,
        )
        // Authenticated, not public: see `openapi`.
        .add(
            Method::GET,
            "/api/v1/openapi.json",
            Authenticated,
            crate::api::openapi::openapi_json,
        )
}
