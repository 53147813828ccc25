//! User administration (`/admin/utilisateurs…`): the list, and the form that creates or
//! modifies an account (the actions on an account are in [`super::user_actions`], the
//! roles page in [`super::roles`]).
//!
//! Every user-administration handler, GET and POST, first asks for a recent
//! re-authentication ([`crate::shared::reauth::require_reauth`]). The store checks every field
//! (role, territories, service: a form field can be forged), writes each change and its
//! audit entry in one transaction, and audits a refused attempt on its own. A temporary
//! password is shown once, in the response to the POST that created it: never in a URL.
//! Each action on an account (disable, reset…) is a POST confirmed on a second page, so
//! that it works without JavaScript.

use crate::http::extract::Form;
use crate::http::extract::Query;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::catalog::Catalog;
use vigie_domain::{DomainError, Role};
use vigie_store::audit::Event;
use vigie_store::sessions::SessionUser;
use vigie_store::users::{UserInput, temporary_password};
use vigie_store::{Actor, StoreError};

use super::reach_text;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::shared::dates::datetime;
use crate::shared::reauth::require_reauth;
use crate::shared::{Choice, Chrome, actor, path_id, render};

const LIST: &str = "/admin/utilisateurs";

pub(super) fn user_href(id: i64) -> String {
    format!("{LIST}/{id}")
}

// ---------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
pub struct UserRow {
    pub href: String,
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub reach: String,
    pub active: bool,
    pub totp: bool,
    pub must_change: bool,
    /// Waits for a responsable's confirmation (two-person rule).
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct ListPage {
    demo: bool,
    chrome: Chrome,
    rows: Vec<UserRow>,
}

/// `GET /admin/utilisateurs`
pub async fn list(State(state): State<AppState>, Extension(u): Extension<SessionUser>) -> Response {
    if let Some(r) = require_reauth(&state, &u, LIST) {
        return r;
    }
    let (users, cat) = match tokio::try_join!(state.store.list_users(), state.store.catalog()) {
        Ok(x) => x,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows = users
        .iter()
        .map(|x| UserRow {
            href: user_href(x.id),
            login: x.login.clone(),
            name: x.display_name.clone(),
            role: x.role.label(),
            reach: reach_text(&x.territories, x.service_id, &cat),
            active: x.active,
            totp: x.totp_enabled,
            must_change: x.must_change_password,
            pending: x.pending_since.is_some(),
        })
        .collect();
    render(
        StatusCode::OK,
        &ListPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            rows,
        },
    )
}

// ---------------------------------------------------------------------------------------
// The form (creation and modification)
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
pub struct Check {
    pub id: String,
    pub value: i64,
    pub label: String,
    pub checked: bool,
}

/// An account as shown above its form, with its actions.
#[derive(Debug)]
pub struct AccountView {
    pub id: i64,
    pub login: String,
    pub active: bool,
    pub totp: bool,
    pub must_change: bool,
    pub last_login: String,
    pub sessions: i64,
    /// The administrator's own account: no « désactiver » offered.
    pub is_self: bool,
    /// Waits for a responsable's confirmation since then (two-person rule), in words.
    pub pending_since: Option<String>,
}

/// What the form shows: the values (as typed when refused), and the errors by field.
#[derive(Debug, Default)]
pub struct FormView {
    pub action: String,
    pub login: String,
    pub display_name: String,
    pub roles: Vec<Choice>,
    pub territories: Vec<Check>,
    pub services: Vec<Choice>,
    pub version: i64,
    pub err_login: String,
    pub err_display_name: String,
    pub err_role: String,
    pub err_territories: String,
    pub err_service: String,
    /// Errors not tied to one field (a rule, a conflict).
    pub general: Vec<String>,
    /// Every error, as links to its field, for the summary at the top.
    pub summary: Vec<(String, String)>,
}

impl FormView {
    fn new(cat: &Catalog, action: String, input: &UserInput, login: &str, version: i64) -> Self {
        let roles = Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.code().into(),
                label: r.label().into(),
                selected: input.role == r.code(),
            })
            .collect();
        // Active territories, and any the account has that were deactivated since.
        let territories = cat
            .territories
            .iter()
            .filter(|t| t.active || input.territories.contains(&t.id))
            .map(|t| Check {
                id: format!("territoire-{}", t.id),
                value: t.id,
                label: if t.active {
                    t.label.clone()
                } else {
                    format!("{} (désactivé)", t.label)
                },
                checked: input.territories.contains(&t.id),
            })
            .collect();
        let mut services = vec![Choice {
            value: String::new(),
            label: "Aucun".into(),
            selected: input.service_id.is_none(),
        }];
        services.extend(
            cat.services
                .iter()
                .filter(|s| s.active || input.service_id == Some(s.id))
                .map(|s| {
                    let territory = cat
                        .territory(s.territory_id)
                        .map(|t| t.label.clone())
                        .unwrap_or_default();
                    Choice {
                        value: s.id.to_string(),
                        label: format!(
                            "{} — {}{}",
                            territory,
                            s.label,
                            if s.active { "" } else { " (désactivé)" }
                        ),
                        selected: input.service_id == Some(s.id),
                    }
                }),
        );
        Self {
            action,
            login: login.into(),
            display_name: input.display_name.clone(),
            roles,
            territories,
            services,
            version,
            ..Self::default()
        }
    }

    fn with_error(mut self, e: &WebError) -> Self {
        match e {
            WebError::Invalid(DomainError::Invalid(fields)) => {
                for f in fields {
                    let (slot, anchor) = match f.field.as_str() {
                        "login" => (&mut self.err_login, "login"),
                        "display_name" => (&mut self.err_display_name, "display_name"),
                        "role" => (&mut self.err_role, "role"),
                        "territories" => (&mut self.err_territories, "territoires"),
                        "service" => (&mut self.err_service, "service"),
                        _ => {
                            self.general.push(f.to_string());
                            continue;
                        }
                    };
                    if !slot.is_empty() {
                        slot.push(' ');
                    }
                    slot.push_str(&f.message);
                    self.summary.push((format!("#{anchor}"), f.to_string()));
                }
            }
            WebError::Invalid(DomainError::Rule(m)) | WebError::Conflict(m) => {
                self.general.push(m.clone());
            }
            _ => self
                .general
                .push("L'opération n'a pas pu être effectuée.".into()),
        }
        self
    }
}

#[derive(Template)]
#[template(path = "admin_user_form.html")]
struct FormPage {
    demo: bool,
    chrome: Chrome,
    title: String,
    is_new: bool,
    account: Option<AccountView>,
    f: FormView,
    /// A confirmation after a change (`?fait=…`).
    notice: String,
}

/// The form's fields, from an urlencoded body (the territories are repeated).
#[derive(Debug, Default)]
struct Posted {
    login: String,
    input: UserInput,
    version: i64,
    /// Fields whose value is not even a number: forged, refused before the store.
    malformed: Vec<&'static str>,
}

fn posted(pairs: &[(String, String)]) -> Posted {
    let mut p = Posted::default();
    for (k, v) in pairs {
        match k.as_str() {
            "login" => p.login = v.trim().to_lowercase(),
            "display_name" => p.input.display_name = v.clone(),
            "role" => p.input.role = v.trim().to_owned(),
            "territories" => match v.trim().parse() {
                Ok(t) => p.input.territories.push(t),
                Err(_) => p.malformed.push("territories"),
            },
            "service" if v.trim().is_empty() => p.input.service_id = None,
            "service" => match v.trim().parse() {
                Ok(s) => p.input.service_id = Some(s),
                Err(_) => p.malformed.push("service"),
            },
            "version" => p.version = v.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    p.malformed.dedup();
    p
}

/// A value that is not even a number: refused with the same French message as the store
/// would give, and audited like any forged field.
async fn refuse_malformed(
    state: &AppState,
    actor: &Actor,
    action: &'static str,
    user: Option<i64>,
    fields: &[&'static str],
) -> WebError {
    let mut ev = Event::new(action).detail(format!("champs={}", fields.join(",")));
    if let Some(id) = user {
        ev = ev.on("app_user", id);
    }
    if let Err(e) = state.store.audit(state.now(), actor, ev).await {
        return e.into();
    }
    WebError::Invalid(DomainError::Invalid(
        fields
            .iter()
            .map(|f| match *f {
                "territories" => vigie_domain::FieldError::new(
                    "territories",
                    "Territoires",
                    "valeur inconnue : cochez des territoires de la liste.",
                ),
                _ => vigie_domain::FieldError::new(
                    "service",
                    "Service",
                    "valeur inconnue : choisissez un service de la liste.",
                ),
            })
            .collect(),
    ))
}

fn account_view(
    state: &AppState,
    u: &SessionUser,
    d: &vigie_store::users::UserDetail,
) -> AccountView {
    AccountView {
        id: d.user.id,
        login: d.user.login.clone(),
        active: d.user.active,
        totp: d.user.totp_enabled,
        must_change: d.user.must_change_password,
        last_login: d
            .last_login
            .map_or_else(|| "jamais".into(), |t| datetime(t, state.config.timezone)),
        sessions: d.active_sessions,
        is_self: d.user.id == u.user_id,
        pending_since: d
            .user
            .pending_since
            .map(|t| datetime(t, state.config.timezone)),
    }
}

fn notice_text(code: &str) -> &'static str {
    match code {
        "creation" => "Compte créé.",
        "modification" => {
            "Modifications enregistrées. Elles s'appliquent dès la prochaine page ouverte par l'utilisateur."
        }
        "attente" => {
            "Modifications enregistrées. Elles donnent accès à des dossiers : le compte attend la confirmation d'un responsable CRIP, ses sessions sont fermées."
        }
        "inchange" => "Aucune modification : rien n'a été enregistré.",
        "desactivation" => "Compte désactivé : ses sessions sont fermées.",
        "reactivation" => "Compte réactivé.",
        "second-facteur" => {
            "Second facteur réinitialisé : l'utilisateur l'enrôlera de nouveau à sa prochaine connexion."
        }
        "sessions" => "Toutes les sessions de l'utilisateur sont fermées.",
        _ => "",
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    fait: String,
}

/// `GET /admin/utilisateurs/nouveau`
pub async fn new_form(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
) -> Response {
    if let Some(r) = require_reauth(&state, &u, "/admin/utilisateurs/nouveau") {
        return r;
    }
    let cat = match state.store.catalog().await {
        Ok(c) => c,
        Err(e) => return WebError::from(e).into_response(),
    };
    let input = UserInput {
        role: Role::AgentCrip.code().into(),
        ..UserInput::default()
    };
    new_page(&state, &u, &cat, &input, "", StatusCode::OK, None)
}

fn new_page(
    state: &AppState,
    u: &SessionUser,
    cat: &Catalog,
    input: &UserInput,
    login: &str,
    status: StatusCode,
    err: Option<&WebError>,
) -> Response {
    let mut f = FormView::new(cat, format!("{LIST}/nouveau"), input, login, 0);
    if let Some(e) = err {
        f = f.with_error(e);
    }
    render(
        status,
        &FormPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            title: "Nouvel utilisateur".into(),
            is_new: true,
            account: None,
            f,
            notice: String::new(),
        },
    )
}

#[derive(Template)]
#[template(path = "admin_user_secret.html")]
struct SecretPage {
    demo: bool,
    chrome: Chrome,
    title: &'static str,
    login: String,
    password: String,
    href: String,
    /// The account waits for a responsable's confirmation (two-person rule).
    pending: bool,
}

pub(super) async fn secret_page(
    state: &AppState,
    u: &SessionUser,
    title: &'static str,
    id: i64,
    login: String,
    password: String,
) -> Response {
    let pending = match state.store.is_pending(id).await {
        Ok(p) => p,
        Err(e) => return WebError::from(e).into_response(),
    };
    render(
        StatusCode::OK,
        &SecretPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            title,
            login,
            password,
            href: user_href(id),
            pending,
        },
    )
}

/// Hashes a temporary password off the async threads (Argon2id takes 19 MiB and a CPU).
pub(super) async fn hash(password: &str) -> Result<String, WebError> {
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || vigie_store::password::hash(&pw))
        .await
        .map_err(|_| WebError::Internal("hachage".into()))
}

/// `POST /admin/utilisateurs/nouveau`: creates the account and shows its temporary
/// password, once.
pub async fn new_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = require_reauth(&state, &u, "/admin/utilisateurs/nouveau") {
        return r;
    }
    let cat = match state.store.catalog().await {
        Ok(c) => c,
        Err(e) => return WebError::from(e).into_response(),
    };
    let p = posted(&pairs);
    let a = actor(&u, ip);
    let refused = |e: WebError| {
        let status = e.status();
        new_page(&state, &u, &cat, &p.input, &p.login, status, Some(&e))
    };
    if !p.malformed.is_empty() {
        let e = refuse_malformed(
            &state,
            &a,
            "utilisateur.creation_refusee",
            None,
            &p.malformed,
        )
        .await;
        return refused(e);
    }
    let password = temporary_password();
    let phc = match hash(&password).await {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    match state
        .store
        .create_user(state.now(), &a, &p.login, &p.input, &phc)
        .await
    {
        Ok(id) => secret_page(&state, &u, "Compte créé", id, p.login.clone(), password).await,
        Err(e @ (StoreError::Invalid(_) | StoreError::Duplicate(..))) => refused(WebError::from(e)),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(super) async fn edit_page(
    state: &AppState,
    u: &SessionUser,
    id: i64,
    typed: Option<(&UserInput, i64)>,
    status: StatusCode,
    err: Option<&WebError>,
    notice: &str,
) -> Response {
    let (d, cat) = match tokio::try_join!(
        state.store.user_detail(state.now(), id),
        state.store.catalog()
    ) {
        Ok(x) => x,
        Err(e) => return WebError::from(e).into_response(),
    };
    let stored = UserInput {
        display_name: d.user.display_name.clone(),
        role: d.user.role.code().into(),
        territories: d.user.territories.clone(),
        service_id: d.user.service_id,
    };
    // A refused form shows what was typed, with the version it was based on.
    let (input, version) = typed.unwrap_or((&stored, d.version));
    let mut f = FormView::new(&cat, user_href(id), input, &d.user.login, version);
    if let Some(e) = err {
        f = f.with_error(e);
    }
    render(
        status,
        &FormPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            title: format!("Utilisateur {}", d.user.login),
            is_new: false,
            account: Some(account_view(state, u, &d)),
            f,
            notice: notice.into(),
        },
    )
}

/// `GET /admin/utilisateurs/{id}`
pub async fn edit_form(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if let Some(r) = require_reauth(&state, &u, &user_href(id)) {
        return r;
    }
    edit_page(
        &state,
        &u,
        id,
        None,
        StatusCode::OK,
        None,
        notice_text(&q.fait),
    )
    .await
}

/// `POST /admin/utilisateurs/{id}`: saves the name, role, territories and service.
pub async fn edit_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if let Some(r) = require_reauth(&state, &u, &user_href(id)) {
        return r;
    }
    let p = posted(&pairs);
    let a = actor(&u, ip);
    let e = if p.malformed.is_empty() {
        match state
            .store
            .update_user(state.now(), &a, id, p.version, &p.input)
            .await
        {
            Ok(changed) => {
                let pending = match state.store.is_pending(id).await {
                    Ok(p) => p,
                    Err(e) => return WebError::from(e).into_response(),
                };
                let done = if changed.is_empty() {
                    "inchange"
                } else if pending {
                    "attente"
                } else {
                    "modification"
                };
                return Redirect::to(&format!("{}?fait={done}", user_href(id))).into_response();
            }
            Err(StoreError::NotFound) => return WebError::NotFound.into_response(),
            Err(e @ (StoreError::Invalid(_) | StoreError::Stale(_))) => WebError::from(e),
            Err(e) => return WebError::from(e).into_response(),
        }
    } else {
        refuse_malformed(
            &state,
            &a,
            "utilisateur.modification_refusee",
            Some(id),
            &p.malformed,
        )
        .await
    };
    let status = e.status();
    edit_page(
        &state,
        &u,
        id,
        Some((&p.input, p.version)),
        status,
        Some(&e),
        "",
    )
    .await
}
