//! The roles page (`/admin/roles`): the permission matrix, as data from the domain.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigie_domain::role::DossierReach;
use vigie_domain::{Permission, Role};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;
use crate::shared::{Chrome, render};

#[derive(Debug)]
pub struct MatrixRow {
    pub label: &'static str,
    /// One cell per role, in [`Role::ALL`] order.
    pub cells: Vec<bool>,
}

#[derive(Debug)]
pub struct RoleView {
    pub label: &'static str,
    pub code: &'static str,
    pub reach: &'static str,
    pub users: usize,
}

#[derive(Template)]
#[template(path = "admin_roles.html")]
struct RolesPage {
    demo: bool,
    chrome: Chrome,
    roles: Vec<RoleView>,
    rows: Vec<MatrixRow>,
}

fn reach_label(r: Role) -> &'static str {
    match r.reach() {
        DossierReach::All => "Tous les dossiers du département",
        DossierReach::Territorial => {
            "Les dossiers de ses territoires et ceux confiés à son service ; un autre dossier seulement par accès exceptionnel motivé, limité dans le temps et tracé"
        }
        DossierReach::None => "Aucun contenu de dossier",
    }
}

/// `GET /admin/roles`: the permission matrix, as data from the domain.
pub async fn roles(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
) -> Response {
    let users = match state.store.list_users().await {
        Ok(x) => x,
        Err(e) => return WebError::from(e).into_response(),
    };
    let roles = Role::ALL
        .iter()
        .map(|r| RoleView {
            label: r.label(),
            code: r.code(),
            reach: reach_label(*r),
            users: users.iter().filter(|x| x.active && x.role == *r).count(),
        })
        .collect();
    let rows = Permission::ALL
        .iter()
        .map(|p| MatrixRow {
            label: p.label(),
            cells: Role::ALL.iter().map(|r| r.has(*p)).collect(),
        })
        .collect();
    render(
        StatusCode::OK,
        &RolesPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            roles,
            rows,
        },
    )
}
