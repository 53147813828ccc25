//! Administration of the drop-down lists: the parameter tables, the territories and the
//! services (`/admin/parametres`). Plain forms, no JavaScript needed: one form per row
//! (its fields sit in the row's cells, tied to it by `form=`), ↑/↓ buttons, deactivate,
//! reactivate, delete when unused, and an add form. A success answers 303 to the table
//! with a short code in the query (`?fait=ajout&valeur=12`, ids only); a refusal
//! re-renders the table with the typed values and the French message beside the field
//! (422), or beside the row for an operation the value's state forbids (409).
//!
//! The rules live in [`vigie_store::params_admin`]; this module only shows and posts.

use crate::http::extract::Form;
use crate::http::extract::Query;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::catalog::Catalog;
use vigie_domain::{DomainError, FieldError, Meaning};
use vigie_store::StoreError;
use vigie_store::params_admin::{
    AdminValue, Direction, NewValue, ReadValue, Table, ValueChange, meaning_label,
};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::shared::{Choice, Chrome, actor, path_id, render};

/// One table on the index page.
#[derive(Debug)]
pub struct TableLine {
    pub href: String,
    pub label: &'static str,
    pub total: i64,
    pub active: i64,
}

#[derive(Template)]
#[template(path = "admin_params.html")]
struct IndexPage {
    demo: bool,
    chrome: Chrome,
    params: Vec<TableLine>,
    places: Vec<TableLine>,
}

/// `GET /admin/parametres`: the tables and their counts.
pub async fn index(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
) -> Response {
    let tables = match state.store.admin_tables().await {
        Ok(t) => t,
        Err(e) => return WebError::from(e).into_response(),
    };
    let (params, places): (Vec<_>, Vec<_>) = tables
        .into_iter()
        .partition(|t| matches!(t.table, Table::Param(_)));
    let line = |t: vigie_store::params_admin::TableSummary| TableLine {
        href: format!("/admin/parametres/{}", t.table.code()),
        label: t.table.label(),
        total: t.total,
        active: t.active,
    };
    render(
        StatusCode::OK,
        &IndexPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            params: params.into_iter().map(line).collect(),
            places: places.into_iter().map(line).collect(),
        },
    )
}

/// One row of the table, ready to show.
#[derive(Debug, Default)]
pub struct Row {
    pub id: i64,
    /// `f-12`: the row's form, and the prefix of its fields' ids.
    pub form: String,
    pub position: usize,
    /// The stored label, to name the row's controls (« Libellé de « … » »).
    pub name: String,
    pub code: String,
    pub code_editable: bool,
    /// The stored code, label and national code (hidden: the optimistic check).
    pub stored_code: String,
    pub stored_label: String,
    pub stored_national_code: String,
    pub label: String,
    pub national_code: String,
    pub meaning: String,
    pub territory: String,
    pub active: bool,
    pub usage: String,
    pub can_up: bool,
    pub can_down: bool,
    pub can_toggle: bool,
    pub can_delete: bool,
    pub code_error: String,
    pub label_error: String,
    pub national_error: String,
    /// A refused operation on this row.
    pub row_error: String,
}

/// The add form, typed values and errors.
#[derive(Debug, Default)]
pub struct AddView {
    pub code: String,
    pub label: String,
    pub national_code: String,
    pub meanings: Vec<Choice>,
    pub territories: Vec<Choice>,
    pub code_error: String,
    pub label_error: String,
    pub national_error: String,
    pub meaning_error: String,
    pub territory_error: String,
}

/// An error of the summary: a link to the field and the message.
#[derive(Debug)]
pub struct SummaryItem {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "admin_params_table.html")]
struct TablePage {
    demo: bool,
    chrome: Chrome,
    code: &'static str,
    title: &'static str,
    closed: bool,
    has_national: bool,
    has_meanings: bool,
    is_services: bool,
    rows: Vec<Row>,
    add: AddView,
    /// The confirmation after a change.
    done: String,
    errors: Vec<SummaryItem>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub fait: String,
    #[serde(default)]
    pub valeur: String,
}

/// What was typed in a refused form.
#[derive(Debug)]
enum Typed {
    Add(AddForm),
    Row(i64, EditForm),
    /// A refused operation on a row (move, deactivate, delete).
    Op(i64),
}

/// A refused post: what was typed, and why.
#[derive(Debug)]
struct Refusal {
    typed: Typed,
    fields: Vec<FieldError>,
    rule: String,
}

fn table_of(code: &str) -> Result<Table, WebError> {
    Table::parse(code).ok_or(WebError::NotFound)
}

fn confirmation(q: &DoneQuery, values: &[AdminValue]) -> String {
    let name = q
        .valeur
        .parse::<i64>()
        .ok()
        .and_then(|id| values.iter().find(|v| v.id == id))
        .map(|v| format!("« {} »", v.label))
        .unwrap_or_else(|| "La valeur".to_owned());
    match q.fait.as_str() {
        "ajout" => format!("Valeur {name} ajoutée."),
        "modification" => format!("Valeur {name} enregistrée."),
        "inchange" => format!("Valeur {name} : aucune modification à enregistrer."),
        "deplacement" => format!("Valeur {name} déplacée."),
        "desactivation" => format!(
            "Valeur {name} désactivée : elle n'est plus proposée dans les nouvelles saisies, les dossiers existants la conservent."
        ),
        "reactivation" => format!("Valeur {name} réactivée."),
        "suppression" => "Valeur supprimée.".to_owned(),
        _ => String::new(),
    }
}

async fn build(
    state: &AppState,
    u: &SessionUser,
    table: Table,
    done: &DoneQuery,
    refusal: Option<&Refusal>,
) -> Result<TablePage, WebError> {
    let values = state.store.admin_values(table).await?;
    let cat = state.store.catalog().await?;
    let n = values.len();
    let mut errors = Vec::new();
    let rows = values
        .iter()
        .enumerate()
        .map(|(i, v)| row_view(v, i, n, table, &cat, refusal, &mut errors))
        .collect();
    let add = add_view(table, &cat, refusal, &mut errors);
    Ok(TablePage {
        demo: state.config.demo,
        chrome: Chrome::new(state, u),
        code: table.code(),
        title: table.label(),
        closed: table.closed(),
        has_national: table.has_national_code(),
        has_meanings: !table.meanings().is_empty(),
        is_services: table == Table::Services,
        rows,
        add,
        done: if refusal.is_none() {
            confirmation(done, &values)
        } else {
            String::new()
        },
        errors,
    })
}

/// The refusal's messages for the field `key`, joined (empty without a refusal).
fn field_error(refusal: Option<&Refusal>, key: &str) -> String {
    refusal
        .map(|r| {
            r.fields
                .iter()
                .filter(|f| f.field == key)
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The `i`-th row of `n`: the stored value, or what was typed in it when its post was
/// refused (the messages are added to `errors`, the page's summary).
fn row_view(
    v: &AdminValue,
    i: usize,
    n: usize,
    table: Table,
    cat: &Catalog,
    refusal: Option<&Refusal>,
    errors: &mut Vec<SummaryItem>,
) -> Row {
    let form = format!("f-{}", v.id);
    let mut row = Row {
        id: v.id,
        position: i + 1,
        name: v.label.clone(),
        code: v.code.clone(),
        // A used value, a value with a meaning, a status: the code shows as text.
        code_editable: v.code_locked(table).is_none(),
        stored_code: v.code.clone(),
        stored_label: v.label.clone(),
        stored_national_code: v.national_code.clone().unwrap_or_default(),
        label: v.label.clone(),
        national_code: v.national_code.clone().unwrap_or_default(),
        meaning: v.meaning.map(meaning_label).unwrap_or_default().to_owned(),
        territory: v
            .territory_id
            .and_then(|t| cat.territory(t))
            .map(|t| t.label.clone())
            .unwrap_or_default(),
        active: v.active,
        usage: v.usage.describe(),
        can_up: !table.closed() && i > 0,
        can_down: !table.closed() && i + 1 < n,
        can_toggle: !table.closed(),
        can_delete: v.undeletable(table).is_none(),
        ..Row::default()
    };
    if let Some(r) = refusal {
        let here = match &r.typed {
            Typed::Row(id, typed) if *id == v.id => {
                // A locked code is shown as stored (it is not an input).
                if row.code_editable {
                    row.code = typed.code.clone();
                }
                row.label = typed.label.clone();
                row.national_code = typed.national_code.clone();
                row.code_error = field_error(refusal, "code");
                row.label_error = field_error(refusal, "label");
                row.national_error = field_error(refusal, "national_code");
                for (key, msg) in [
                    ("code", &row.code_error),
                    ("label", &row.label_error),
                    ("national_code", &row.national_error),
                ] {
                    if !msg.is_empty() {
                        errors.push(SummaryItem {
                            href: format!("#{form}-{key}"),
                            text: format!("{} de « {} » : {msg}", field_name(key), v.label),
                        });
                    }
                }
                true
            }
            Typed::Op(id) => *id == v.id,
            _ => false,
        };
        if here && !r.rule.is_empty() {
            row.row_error = r.rule.clone();
            errors.push(SummaryItem {
                href: format!("#v-{}", v.id),
                text: r.rule.clone(),
            });
        }
    }
    row.form = form;
    row
}

/// The add form: empty, or what was typed when the add was refused (the messages are
/// added to `errors`, the page's summary).
fn add_view(
    table: Table,
    cat: &Catalog,
    refusal: Option<&Refusal>,
    errors: &mut Vec<SummaryItem>,
) -> AddView {
    let typed_add = match refusal {
        Some(Refusal {
            typed: Typed::Add(a),
            ..
        }) => Some(a),
        _ => None,
    };
    let cur_meaning = typed_add.map(|a| a.meaning.as_str()).unwrap_or_default();
    let cur_territory = typed_add
        .map(|a| a.territory_id.as_str())
        .unwrap_or_default();
    let mut add = AddView {
        code: typed_add.map(|a| a.code.clone()).unwrap_or_default(),
        label: typed_add.map(|a| a.label.clone()).unwrap_or_default(),
        national_code: typed_add
            .map(|a| a.national_code.clone())
            .unwrap_or_default(),
        meanings: std::iter::once(Choice {
            value: String::new(),
            label: "Aucune".into(),
            selected: cur_meaning.is_empty(),
        })
        .chain(table.meanings().iter().map(|m| Choice {
            value: m.code().to_owned(),
            label: meaning_label(*m).to_owned(),
            selected: m.code() == cur_meaning,
        }))
        .collect(),
        territories: std::iter::once(Choice {
            value: String::new(),
            label: "— Choisir —".into(),
            selected: cur_territory.is_empty(),
        })
        .chain(cat.territories.iter().filter(|t| t.active).map(|t| Choice {
            value: t.id.to_string(),
            label: t.label.clone(),
            selected: t.id.to_string() == cur_territory,
        }))
        .collect(),
        ..AddView::default()
    };
    if typed_add.is_some() {
        add.code_error = field_error(refusal, "code");
        add.label_error = field_error(refusal, "label");
        add.national_error = field_error(refusal, "national_code");
        add.meaning_error = field_error(refusal, "meaning");
        add.territory_error = field_error(refusal, "territory_id");
        for (key, msg) in [
            ("code", &add.code_error),
            ("label", &add.label_error),
            ("national_code", &add.national_error),
            ("meaning", &add.meaning_error),
            ("territory_id", &add.territory_error),
        ] {
            if !msg.is_empty() {
                errors.push(SummaryItem {
                    href: format!("#ajout-{key}"),
                    text: format!("{} (nouvelle valeur) : {msg}", field_name(key)),
                });
            }
        }
        if let Some(r) = refusal
            && !r.rule.is_empty()
        {
            errors.push(SummaryItem {
                href: "#ajout".into(),
                text: r.rule.clone(),
            });
        }
    }
    add
}

fn field_name(key: &str) -> &'static str {
    match key {
        "code" => "Code",
        "label" => "Libellé",
        "national_code" => "Code national",
        "meaning" => "Signification",
        "territory_id" => "Territoire",
        _ => "Valeur",
    }
}

/// `GET /admin/parametres/{table}`
pub async fn table_page(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let page = async {
        let table = table_of(&code)?;
        build(&state, &u, table, &q, None).await
    };
    match page.await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub national_code: String,
    #[serde(default)]
    pub meaning: String,
    #[serde(default)]
    pub territory_id: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub national_code: String,
    /// The stored values the row was shown with (optimistic check); absent: no check.
    pub avant_code: Option<String>,
    #[serde(default)]
    pub avant_label: String,
    #[serde(default)]
    pub avant_national_code: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub sens: String,
}

/// After a success: back to the table (POST-redirect-GET), ids only in the URL.
fn done(table: Table, what: &str, id: Option<i64>, anchor: &str) -> Response {
    let valeur = id.map(|i| format!("&valeur={i}")).unwrap_or_default();
    Redirect::to(&format!(
        "/admin/parametres/{}?fait={what}{valeur}#{anchor}",
        table.code()
    ))
    .into_response()
}

/// After a refusal: the table again, with the typed values and the messages.
async fn refused(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    table: Table,
    typed: Typed,
    e: StoreError,
) -> Response {
    // Every refused change is traced: the table and the refused fields, never the values.
    let what = match &e {
        StoreError::Invalid(DomainError::Invalid(fields)) => format!(
            "champs={}",
            fields
                .iter()
                .map(|f| f.field.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ),
        _ => "regle".to_owned(),
    };
    if let Err(err) = state
        .store
        .audit(
            state.now(),
            &actor(u, ip),
            vigie_store::audit::Event::new("parametre.refus")
                .detail(format!("table={} {what}", table.code())),
        )
        .await
    {
        return WebError::from(err).into_response();
    }
    let (status, refusal) = match e {
        StoreError::Invalid(DomainError::Invalid(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal {
                typed,
                fields,
                rule: String::new(),
            },
        ),
        StoreError::Invalid(DomainError::Rule(rule)) => (
            StatusCode::CONFLICT,
            Refusal {
                typed,
                fields: vec![],
                rule,
            },
        ),
        other => return WebError::from(other).into_response(),
    };
    match build(state, u, table, &DoneQuery::default(), Some(&refusal)).await {
        Ok(p) => render(status, &p),
        Err(e) => e.into_response(),
    }
}

/// `POST /admin/parametres/{table}/ajout`
pub async fn add(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(code): Path<String>,
    Form(f): Form<AddForm>,
) -> Response {
    let table = match table_of(&code) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let meaning = match f.meaning.trim() {
        "" => None,
        m => match Meaning::parse(m) {
            Some(m) => Some(m),
            None => {
                let e = DomainError::field(
                    "meaning",
                    "Signification",
                    "valeur inconnue : choisissez dans la liste.",
                );
                return refused(&state, &u, ip.clone(), table, Typed::Add(f), e.into()).await;
            }
        },
    };
    let new = NewValue {
        code: &f.code,
        label: &f.label,
        national_code: &f.national_code,
        meaning,
        territory_id: f.territory_id.trim().parse().ok(),
    };
    match state
        .store
        .admin_add(state.now(), &actor(&u, ip.clone()), table, &new)
        .await
    {
        Ok(id) => done(table, "ajout", Some(id), &format!("v-{id}")),
        Err(e) => refused(&state, &u, ip.clone(), table, Typed::Add(f), e).await,
    }
}

/// `POST /admin/parametres/{table}/{id}/modification`
pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<EditForm>,
) -> Response {
    let (table, id) = match table_of(&code).and_then(|t| Ok((t, path_id(&id)?))) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let change = ValueChange {
        code: &f.code,
        label: &f.label,
        national_code: &f.national_code,
        read: f.avant_code.as_deref().map(|code| ReadValue {
            code,
            label: &f.avant_label,
            national_code: &f.avant_national_code,
        }),
    };
    match state
        .store
        .admin_update(state.now(), &actor(&u, ip.clone()), table, id, &change)
        .await
    {
        Ok(true) => done(table, "modification", Some(id), &format!("v-{id}")),
        Ok(false) => done(table, "inchange", Some(id), &format!("v-{id}")),
        Err(e) => refused(&state, &u, ip.clone(), table, Typed::Row(id, f), e).await,
    }
}

/// `POST /admin/parametres/{table}/{id}/deplacement` (`sens=haut` or `sens=bas`)
pub async fn move_value(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<MoveForm>,
) -> Response {
    let (table, id) = match table_of(&code).and_then(|t| Ok((t, path_id(&id)?))) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let dir = match f.sens.as_str() {
        "haut" => Direction::Up,
        "bas" => Direction::Down,
        _ => {
            let e = DomainError::Rule(
                "Sens du déplacement inconnu : « haut » ou « bas » attendu.".into(),
            );
            return refused(&state, &u, ip.clone(), table, Typed::Op(id), e.into()).await;
        }
    };
    match state
        .store
        .admin_move(state.now(), &actor(&u, ip.clone()), table, id, dir)
        .await
    {
        Ok(()) => done(table, "deplacement", Some(id), &format!("v-{id}")),
        Err(e) => refused(&state, &u, ip.clone(), table, Typed::Op(id), e).await,
    }
}

async fn set_active(
    state: AppState,
    ip: Option<String>,
    u: SessionUser,
    code: String,
    id: String,
    active: bool,
) -> Response {
    let (table, id) = match table_of(&code).and_then(|t| Ok((t, path_id(&id)?))) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    match state
        .store
        .admin_set_active(state.now(), &actor(&u, ip.clone()), table, id, active)
        .await
    {
        Ok(()) => done(
            table,
            if active {
                "reactivation"
            } else {
                "desactivation"
            },
            Some(id),
            &format!("v-{id}"),
        ),
        Err(e) => refused(&state, &u, ip.clone(), table, Typed::Op(id), e).await,
    }
}

/// `POST /admin/parametres/{table}/{id}/desactivation`
pub async fn deactivate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
) -> Response {
    set_active(state, ip, u, code, id, false).await
}

/// `POST /admin/parametres/{table}/{id}/reactivation`
pub async fn reactivate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
) -> Response {
    set_active(state, ip, u, code, id, true).await
}

/// `POST /admin/parametres/{table}/{id}/suppression`
pub async fn delete(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
) -> Response {
    let (table, id) = match table_of(&code).and_then(|t| Ok((t, path_id(&id)?))) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    match state
        .store
        .admin_delete(state.now(), &actor(&u, ip.clone()), table, id)
        .await
    {
        Ok(()) => done(table, "suppression", None, "message"),
        Err(e) => refused(&state, &u, ip.clone(), table, Typed::Op(id), e).await,
    }
}
