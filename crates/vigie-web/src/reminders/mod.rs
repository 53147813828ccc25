//! « Relancer les services », from the Échéances page: `POST /echeances/relances` makes a batch
//! (see [`batch`]) and shows it (`GET /echeances/relances/{id}`: per service its dossiers and
//! its letter), with every letter in one PDF to print (`GET /echeances/relances/{id}/pdf`).
//! A refusal (nothing left to remind, an evaluation changed meanwhile) comes back on the
//! Échéances page with its filters.

pub mod batch;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use vigie_letters::Format;
use vigie_store::audit::Event;
use vigie_store::reminders::Batch;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::echeances::{DueQuery, filter_id};
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::shared::access::dossier_scope;
use crate::shared::dates::{date, datetime};
use crate::shared::{Chrome, actor, path_id, render};

/// The form of the Échéances page's button.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RunForm {
    #[serde(default)]
    territoire: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    format: String,
}

/// `POST /echeances/relances`.
pub async fn run(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(f): Form<RunForm>,
) -> Response {
    let query = DueQuery {
        territoire: f.territoire.clone(),
        service: f.service.clone(),
    };
    let back = |message: String, status: StatusCode| {
        let state = state.clone();
        let u = u.clone();
        let ip = ip.clone();
        let query = &query;
        async move { crate::echeances::respond(&state, &u, ip, query, vec![message], status).await }
    };
    let (territory_id, service_id) = match (
        filter_id(&f.territoire, "Territoire"),
        filter_id(&f.service, "Service"),
    ) {
        (Ok(t), Ok(s)) => (t, s),
        (Err(e), _) | (_, Err(e)) => return back(e, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let format = match f.format.trim() {
        "" | "docx" => Format::Docx,
        "odt" => Format::Odt,
        _ => {
            return back(
                "Format des courriers : choisissez DOCX ou ODT.".into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let result = async {
        let scope = dossier_scope(&state, &u).await?;
        let req = batch::BatchRequest {
            territory_id,
            service_id,
            format,
            today: state
                .now()
                .with_timezone(&state.config.timezone)
                .date_naive(),
        };
        batch::make(&state, &u, &actor(&u, ip.clone()), &scope, &req).await
    }
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/echeances/relances/{id}")).into_response(),
        Err(WebError::Invalid(e)) => back(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(WebError::Conflict(m)) => back(m, StatusCode::CONFLICT).await,
        Err(e) => e.into_response(),
    }
}

/// A service's letter on the batch's page.
#[derive(Debug)]
struct LetterRow {
    service: String,
    dossiers: Vec<(String, String)>,
    document: Option<i64>,
    pdf: Option<i64>,
}

#[derive(Template)]
#[template(path = "reminder_batch.html")]
struct BatchPage {
    demo: bool,
    chrome: Chrome,
    id: i64,
    made_at: String,
    made_by: String,
    reminded_on: String,
    filter: String,
    format: String,
    letters: Vec<LetterRow>,
    evaluations: usize,
    printable: bool,
}

async fn batch_of(state: &AppState, u: &SessionUser, id: &str) -> Result<Batch, WebError> {
    let id = path_id(id)?;
    let scope = dossier_scope(state, u).await?;
    Ok(state.store.reminder_batch(&scope, id).await?)
}

/// `GET /echeances/relances/{id}`: the batch, its dossiers' consultation traced like a list's.
pub async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let b = batch_of(&state, &u, &id).await?;
        let ids: Vec<i64> = b
            .letters
            .iter()
            .flat_map(|l| l.dossiers.iter().map(|(id, _)| *id))
            .collect();
        state
            .store
            .record_listing(state.now(), &actor(&u, ip), "relance.consultation", &ids)
            .await?;
        Ok::<_, WebError>(b)
    }
    .await;
    let b = match result {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let filter = [b.territory_label.clone(), b.service_label.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    render(
        StatusCode::OK,
        &BatchPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            id: b.id,
            made_at: datetime(b.made_at, state.config.timezone),
            made_by: b.made_by_name.clone().unwrap_or_default(),
            reminded_on: date(b.reminded_on),
            filter: if filter.is_empty() {
                "tous les territoires et services".into()
            } else {
                filter
            },
            format: b.format.to_uppercase(),
            evaluations: b.letters.iter().map(|l| l.evaluations).sum(),
            printable: !b.letters.is_empty()
                && b.letters.iter().all(|l| l.pdf_document_id.is_some()),
            letters: b
                .letters
                .iter()
                .map(|l| LetterRow {
                    service: l.service_label.clone(),
                    dossiers: l
                        .dossiers
                        .iter()
                        .map(|(id, n)| (format!("/dossiers/{id}"), n.to_string()))
                        .collect(),
                    document: l.document_id,
                    pdf: l.pdf_document_id,
                })
                .collect(),
        },
    )
}

/// `GET /echeances/relances/{id}/pdf`: every letter of the batch in one PDF, audited.
pub async fn pdf(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let b = batch_of(&state, &u, &id).await?;
        let scope = dossier_scope(&state, &u).await?;
        let mut pdfs = Vec::with_capacity(b.letters.len());
        for l in &b.letters {
            let doc_id = l.pdf_document_id.ok_or(WebError::NotFound)?;
            let doc = state
                .store
                .document(
                    &scope,
                    u.role.has(vigie_domain::Permission::SourceIdentityRead),
                    doc_id,
                )
                .await?;
            pdfs.push(state.store.document_bytes(&doc).await?);
        }
        if pdfs.is_empty() {
            return Err(WebError::NotFound);
        }
        let merged = tokio::task::spawn_blocking(move || vigie_letters::merge_pdfs(&pdfs))
            .await
            .map_err(|_| WebError::Internal("fusion".into()))?
            .map_err(|e| WebError::Invalid(vigie_domain::DomainError::Rule(e.to_string())))?;
        // Like a list: the dossiers whose children the file names.
        let mut ids: Vec<i64> = b
            .letters
            .iter()
            .flat_map(|l| l.dossiers.iter().map(|(id, _)| *id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        state
            .store
            .audit(
                state.now(),
                &actor(&u, ip),
                Event::new("relance.impression")
                    .on("reminder_batch", b.id)
                    .detail(format!("n={} ids={}", ids.len(), list.join(","))),
            )
            .await?;
        Ok::<_, WebError>((b, merged))
    }
    .await;
    match result {
        Ok((b, merged)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    crate::shared::url::attachment(&format!(
                        "relances-{}-lot-{}.pdf",
                        b.reminded_on, b.id
                    )),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            merged,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
