//! The dossier form's page: one form for the whole dossier (creation and modification),
//! which works fully without JavaScript.
//!
//! Every action is a submit button (`name="action"`): `save` writes; the others (add a
//! child, remove an author…) only show the form again from the posted values, without
//! reading the dossier again (its consultation is traced when the page opens; its number
//! and each child's other dossiers travel in the page). A save
//! sends each part's version and whether the agent changed it (its fingerprint differs
//! from the one rendered): two agents editing different children do not collide; a stale
//! part comes back with the other agent's values (409) and saving again applies the
//! typed ones.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use vigie_domain::dossier::{Part, PartConflict, Suggestion};
use vigie_domain::{DomainError, FieldError, ParamKind};
use vigie_store::StoreError;
use vigie_store::sessions::SessionUser;

use self::model::EditView;
use self::rebase::rebase;
use self::render::{Ctx, Render, commune_map};
use super::form::{Action, ChildForm, DossierForm};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::shared::{Chrome, actor, path_id, render};

mod assignment;
mod child;
pub mod model;
mod parts;
mod rebase;
mod render;
pub mod widgets;

#[derive(Template)]
#[template(path = "dossier_edit.html")]
struct EditPage {
    demo: bool,
    chrome: Chrome,
    v: EditView,
}

fn page(
    state: &AppState,
    u: &SessionUser,
    status: StatusCode,
    r: &Render<'_>,
    f: &DossierForm,
) -> Response {
    render(
        status,
        &EditPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            v: r.view(f),
        },
    )
}

/// `GET /dossiers/nouveau`
pub async fn new_form(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
) -> Response {
    let ctx = match Ctx::load(&state).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let type_id = ctx
        .cat
        .of_kind(ParamKind::DossierType)
        .find(|p| {
            p.active && p.meaning == Some(vigie_domain::param::Meaning::InformationPreoccupante)
        })
        .map(|p| p.id.to_string())
        .unwrap_or_default();
    let me = ctx
        .users
        .iter()
        .find(|x| x.id == u.user_id && x.active)
        .map(|x| x.id.to_string())
        .unwrap_or_default();
    let f = DossierForm::new_dossier(state.now(), ctx.tz, &ctx.defaults, type_id, me);
    let r = Render {
        ctx: &ctx,
        id: None,
        errors: &[],
        conflicts: &[],
        conflict_children: HashSet::new(),
        conflict_assignments: HashSet::new(),
        tab: None,
        suggestions: None,
    };
    page(&state, &u, StatusCode::OK, &r, &f)
}

/// `GET /dossiers/{id}/modifier`
pub async fn edit_form(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let rec = match state
        .store
        .read_dossier(state.now(), &actor(&u, ip), &u.scope(), id)
        .await
    {
        Ok(r) => r,
        Err(e) => return WebError::from(e).into_response(),
    };
    let ctx = match Ctx::load(&state).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let f = DossierForm::from_record(&rec, ctx.tz);
    let r = Render {
        ctx: &ctx,
        id: Some(id),
        errors: &[],
        conflicts: &[],
        conflict_children: HashSet::new(),
        conflict_assignments: HashSet::new(),
        tab: None,
        suggestions: None,
    };
    page(&state, &u, StatusCode::OK, &r, &f)
}

/// `POST /dossiers/nouveau`
pub async fn new_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    post(state, ip, u, None, pairs)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /dossiers/{id}/modifier`
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
    post(state, ip, u, Some(id), pairs)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// What a post led to, besides the form itself.
#[derive(Debug, Default)]
struct Outcome {
    status: Option<StatusCode>,
    errors: Vec<FieldError>,
    conflicts: Vec<PartConflict>,
    conflict_children: HashSet<usize>,
    conflict_assignments: HashSet<usize>,
    /// The section to show first (for the tabs made by vigie.js).
    tab: Option<usize>,
    suggestions: Option<(usize, Vec<Suggestion>)>,
}

/// The known persons like child `i` as typed; a name the domain refuses (a control
/// character, too long) is a field error shown in the form, which keeps what was typed.
async fn suggestions(
    state: &AppState,
    scope: &vigie_domain::Scope,
    form: &DossierForm,
    i: usize,
) -> Result<Result<Vec<vigie_domain::dossier::Suggestion>, Vec<FieldError>>, WebError> {
    let Some(p) = form.children.get(i).and_then(ChildForm::typed_person) else {
        return Ok(Ok(vec![]));
    };
    match state.store.suggest_persons(scope, &p, 10).await {
        Ok(list) => Ok(Ok(list)),
        // The store names the person's field; the form names the child's.
        Err(vigie_store::StoreError::Invalid(d)) => Ok(Err(d
            .fields()
            .iter()
            .map(|f| FieldError {
                field: format!("children[{i}].{}", f.field),
                ..f.clone()
            })
            .collect())),
        Err(e) => Err(e.into()),
    }
}

/// The section an action is about: 0 en-tête, 1 parents, 2 enfants, 4 traitement.
fn tab_of(a: &Action) -> Option<usize> {
    match a {
        Action::Save => None,
        Action::AddAdult | Action::RemoveAdult(_) => Some(1),
        Action::AddAssignment | Action::RemoveAssignment(_) | Action::CancelRemoveAssignment(_) => {
            Some(4)
        }
        _ => Some(2),
    }
}

async fn post(
    state: AppState,
    ip: Option<String>,
    u: SessionUser,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let (mut form, action) = DossierForm::parse(&pairs);
    let who = actor(&u, ip);
    let scope = u.scope();
    if matches!(action, Some(Action::Save)) {
        return save(&state, &u, (&who, &scope), id, form).await;
    }
    // Outside the scope (or unknown), 404 as when the page opens; nothing else is read.
    if let Some(did) = id {
        state
            .store
            .require_in_scope(state.now(), &who, &scope, did)
            .await?;
    }
    let ctx = Ctx::load(&state).await?;
    let mut out = Outcome::default();
    match action {
        Some(Action::SuggestPersons(i)) => {
            out.tab = Some(2);
            let list = match suggestions(&state, &scope, &form, i).await? {
                Ok(list) => list,
                Err(errors) => {
                    out.errors = errors;
                    vec![]
                }
            };
            out.suggestions = Some((i, list));
        }
        Some(Action::LinkPerson(i, pid)) => {
            out.tab = Some(2);
            let list = match suggestions(&state, &scope, &form, i).await? {
                Ok(list) => list,
                Err(errors) => {
                    out.errors = errors;
                    vec![]
                }
            };
            match (
                list.iter().find(|s| s.person_id == pid),
                form.children.get_mut(i),
            ) {
                (Some(s), Some(c)) => c.take_identity(pid, &s.person),
                _ => out.suggestions = Some((i, list)),
            }
        }
        Some(a) => {
            form.apply(&a, ctx.tz, &ctx.defaults);
            out.tab = tab_of(&a);
        }
        None => {}
    }
    // Re-rendered from the posted form: the dossier is not read again (its consultation
    // was traced when the page was opened) and nothing is written.
    Ok(respond(&state, &u, &ctx, id, &form, out))
}

/// « Enregistrer »: the form into a `DossierEdit`, saved. The reference data is read once
/// here (in memory unless it changed), for the addresses and, when the form comes back
/// (errors, a conflict), the page's context.
async fn save(
    state: &AppState,
    u: &SessionUser,
    (who, scope): (&vigie_store::audit::Actor, &vigie_domain::Scope),
    id: Option<i64>,
    mut form: DossierForm,
) -> Result<Response, WebError> {
    let reference = state.store.reference().await?;
    let conv = form.to_edit(
        id,
        state.now(),
        state.store.timezone(),
        &commune_map(&reference.communes),
    );
    let mut out = Outcome {
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        ..Outcome::default()
    };
    if conv.errors.is_empty() {
        match state
            .store
            .save_dossier(state.now(), who, scope, &conv.edit)
            .await
        {
            Ok(saved) => {
                return Ok((
                    StatusCode::SEE_OTHER,
                    [(
                        header::LOCATION,
                        format!("/dossiers/{}?enregistre=1#enregistre", saved.id),
                    )],
                )
                    .into_response());
            }
            Err(StoreError::Invalid(DomainError::Invalid(fields))) => {
                out.errors = fields
                    .into_iter()
                    .map(|e| FieldError {
                        field: conv.form_key(&e.field),
                        ..e
                    })
                    .collect();
            }
            Err(StoreError::Invalid(DomainError::Rule(m))) => {
                out.errors = vec![FieldError::new("form", "Enregistrement impossible", m)];
            }
            Err(StoreError::Conflicts(list)) => {
                out.status = Some(StatusCode::CONFLICT);
                out.conflicts = list;
            }
            // The form comes back with everything typed: nothing is lost.
            Err(e @ StoreError::Db(_)) => {
                let op = crate::http::error::log_db_failure(&e);
                out.status = Some(StatusCode::SERVICE_UNAVAILABLE);
                out.errors = vec![FieldError::new(
                    "form",
                    "Enregistrement impossible",
                    format!(
                        "{} Votre saisie est conservée ci-dessous : « Enregistrer » à nouveau l'enregistrera.",
                        crate::http::error::nothing_saved(&op)
                    ),
                )];
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        out.errors = conv.errors.clone();
    }
    let ctx = Ctx::of(state, reference);
    if !out.conflicts.is_empty()
        && let Some(did) = id
    {
        // The other agent's values are shown: that is a consultation of the dossier.
        let rec = state
            .store
            .read_dossier(state.now(), who, scope, did)
            .await?;
        rebase(&mut form, &conv, &out.conflicts, &rec, ctx.tz);
        form.number = rec.number.to_string();
        for c in &out.conflicts {
            match (c.part, c.index) {
                (Part::Child, Some(i)) => {
                    out.conflict_children
                        .insert(conv.child_rows.get(i).copied().unwrap_or(i));
                }
                (Part::Assignment, Some(i)) => {
                    out.conflict_assignments
                        .insert(conv.assignment_rows.get(i).copied().unwrap_or(i));
                }
                _ => {}
            }
        }
    }
    Ok(respond(state, u, &ctx, id, &form, out))
}

fn respond(
    state: &AppState,
    u: &SessionUser,
    ctx: &Ctx,
    id: Option<i64>,
    form: &DossierForm,
    out: Outcome,
) -> Response {
    let r = Render {
        ctx,
        id,
        errors: &out.errors,
        conflicts: &out.conflicts,
        conflict_children: out.conflict_children,
        conflict_assignments: out.conflict_assignments,
        tab: out.tab,
        suggestions: out.suggestions,
    };
    page(state, u, out.status.unwrap_or(StatusCode::OK), &r, form)
}
