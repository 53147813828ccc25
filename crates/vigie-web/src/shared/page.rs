//! The parts of every HTML page: the chrome (user, role, what the menu offers), the
//! options of a select, and the rendering of an askama template into a response.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use vigie_domain::Permission;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;

/// Common parts of every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub demo: bool,
    pub user: String,
    pub role: &'static str,
    pub can_read_dossiers: bool,
    /// May create and modify dossiers (« Nouveau dossier », « Modifier »).
    pub can_write_dossiers: bool,
    /// May administer the parameter tables (« Administration »).
    pub can_admin_params: bool,
    /// May administer the users (« Utilisateurs »).
    pub can_admin_users: bool,
    /// May see the accès exceptionnels (« Accès exceptionnels »: the responsable CRIP).
    pub can_list_break_glass: bool,
    /// May consult the audit trail (« Traçabilité »: the responsable CRIP).
    pub can_read_audit: bool,
    /// May confirm the accounts that read dossiers (« Comptes en attente »).
    pub can_confirm_users: bool,
    /// May generate at least one letter (« Courriers » on a dossier).
    pub can_generate_letters: bool,
    /// May read the dashboards (« Tableaux de bord »).
    pub can_read_stats: bool,
    /// May administer the letter templates (« Modèles de courrier »).
    pub can_admin_templates: bool,
}

impl Chrome {
    pub fn new(state: &AppState, u: &SessionUser) -> Self {
        Self {
            demo: state.config.demo,
            user: u.display_name.clone(),
            role: u.role.label(),
            can_read_dossiers: u.role.has(Permission::DossierRead),
            can_write_dossiers: u.role.has(Permission::DossierWrite),
            can_admin_params: u.role.has(Permission::ParamsAdmin),
            can_admin_users: u.role.has(Permission::UsersAdmin),
            can_list_break_glass: u.role.has(Permission::AuditRead),
            can_read_audit: u.role.has(Permission::AuditRead),
            can_generate_letters: vigie_domain::letters::may_generate_any(u.role),
            can_confirm_users: u.role.has(Permission::UsersConfirm),
            can_read_stats: u.role.has(Permission::StatsRead),
            can_admin_templates: u.role.has(Permission::TemplatesAdmin),
        }
    }
}

/// One option of a select (or a filter's choice).
#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The page, or the error page when it cannot be rendered.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendu de page impossible");
            WebError::Internal("rendu".into()).into_response()
        }
    }
}
