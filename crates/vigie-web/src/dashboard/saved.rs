//! Saved cross-tabs: the responsable saves the cross-tab on screen under a name (its choices
//! only, a query string of codes and ids); every dashboard reader finds it on the dashboard
//! and opens it within their own scope, small counts hidden for them as needed.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::sessions::SessionUser;

use super::crosstab::{CrossQuery, render_page};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::shared::{actor, path_id};

/// `POST /tableaux-de-bord/croise/enregistrer`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    pub nom: String,
    /// The cross-tab's query string, as shown.
    #[serde(default)]
    pub tableau: String,
}

/// A saved cross-tab as the dashboard lists it.
#[derive(Debug, Clone)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub by: String,
    pub date: String,
}

/// The saved cross-tabs, for the dashboard.
pub async fn list(state: &AppState) -> Result<Vec<SavedView>, WebError> {
    Ok(state
        .store
        .saved_crosstabs()
        .await?
        .into_iter()
        .map(|c| SavedView {
            id: c.id,
            href: format!("/tableaux-de-bord/croise?{}", c.spec),
            name: c.name,
            by: c.created_by_name.unwrap_or_default(),
            date: crate::shared::dates::datetime(c.updated_at, state.config.timezone),
        })
        .collect())
}

/// The choices of a cross-tab in their canonical form (what was typed is never stored).
fn canonical(q: &CrossQuery) -> Result<String, String> {
    let mut errors = Vec::new();
    let (m, r, c) = q.choices(&mut errors);
    // Only the typed values are checked: an empty year stays empty (the current year when
    // the table is opened).
    let today = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let resolved = q.dash().resolve(today);
    errors.extend(resolved.errors);
    if let Some(e) = errors.first() {
        return Err(e.clone());
    }
    let keep = CrossQuery {
        mesure: m.code().to_owned(),
        lignes: r.code().to_owned(),
        colonnes: c.map(|d| d.code().to_owned()).unwrap_or_default(),
        ..q.clone()
    };
    Ok(serde_urlencoded::to_string(&keep).unwrap_or_default())
}

pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(f): Form<SaveForm>,
) -> Response {
    let q: CrossQuery = serde_urlencoded::from_str(&f.tableau).unwrap_or_default();
    let spec = match canonical(&q) {
        Ok(s) => s,
        Err(e) => return render_page(&state, &u, ip, q, Some((f.nom, e))).await,
    };
    match state
        .store
        .save_crosstab(state.now(), &actor(&u, ip.clone()), &f.nom, &spec)
        .await
    {
        Ok(_) => Redirect::to("/tableaux-de-bord?enregistre=1#enregistres").into_response(),
        Err(vigie_store::StoreError::Invalid(d)) => {
            let msg = d
                .fields()
                .iter()
                .map(|x| format!("{} : {}", x.label, x.message))
                .collect::<Vec<_>>()
                .join(" ");
            render_page(&state, &u, ip, q, Some((f.nom, msg))).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// `POST /tableaux-de-bord/croise/{id}/supprimer`.
pub async fn delete(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match state
        .store
        .delete_crosstab(state.now(), &actor(&u, ip), id)
        .await
    {
        Ok(()) => Redirect::to("/tableaux-de-bord#enregistres").into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}
