//! The home page: the menu, and for the roles that read dossiers the count of échéances
//! overdue or due soon in their scope.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigie_domain::Permission;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;
use crate::shared::{Chrome, render};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    demo: bool,
    chrome: Chrome,
    /// For the roles that read dossiers: (overdue, due within 15 days) échéances in their scope.
    due: Option<(i64, i64)>,
}

pub async fn home(State(state): State<AppState>, Extension(u): Extension<SessionUser>) -> Response {
    let due = if u.role.has(Permission::DossierRead) {
        let today = state
            .now()
            .with_timezone(&state.config.timezone)
            .date_naive();
        match state.store.due_counts(&u.scope(), today).await {
            Ok(c) => Some(c),
            Err(e) => return WebError::from(e).into_response(),
        }
    } else {
        None
    };
    render(
        StatusCode::OK,
        &HomePage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            due,
        },
    )
}
