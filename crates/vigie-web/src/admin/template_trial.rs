//! Testing a template version on a fictional dossier (`POST /admin/modeles/{code}/versions/{id}/essai`,
//! `0` for the version built into Vigie): the demo generator builds dossiers in memory — never a
//! real one, never stored — and the first that has a recipient of the template's kind fills it.
//! The page shows the letter's text; the same form downloads the filled document, or its PDF
//! when LibreOffice is installed. Audited (`modele.essai`).

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use vigie_domain::letters::merge::{LetterInput, build};
use vigie_letters::Template;
use vigie_store::audit::Event;
use vigie_store::letter_templates::LetterTemplate;
use vigie_store::sessions::SessionUser;

use super::templates::{TrialView, template_page};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::letters::generate::Context;
use crate::shared::{actor, path_id};

/// How many fictional dossiers are drawn to find one with a recipient of the template's kind.
const DRAWN: usize = 40;

#[derive(Debug, Default, serde::Deserialize)]
pub struct TrialForm {
    /// Empty: show the text; `fichier`: the filled DOCX or ODT; `pdf`: its PDF.
    #[serde(default)]
    telecharger: String,
}

/// A filled trial letter.
struct Trial {
    view: TrialView,
    bytes: Vec<u8>,
    format: vigie_letters::Format,
}

fn refused(message: String) -> WebError {
    WebError::Invalid(vigie_domain::DomainError::Rule(message))
}

/// The version to test: an uploaded one, or (`0`) the one built into Vigie.
async fn version(
    state: &AppState,
    t: &LetterTemplate,
    id: i64,
) -> Result<(Template, String), WebError> {
    if id == 0 {
        let bytes = vigie_letters::defaults::template(&t.code, vigie_letters::Format::Odt)
            .filter(|_| t.builtin)
            .ok_or(WebError::NotFound)?;
        let template = Template::parse(bytes).map_err(|e| refused(e.to_string()))?;
        return Ok((template, "modèle par défaut de Vigie".to_owned()));
    }
    let (v, bytes) = state.store.template_version(id).await?;
    if v.template_id != t.id {
        return Err(WebError::NotFound);
    }
    let template = Template::parse(&bytes).map_err(|e| refused(e.to_string()))?;
    Ok((template, format!("version {}", v.number)))
}

/// Fills the version for the first fictional dossier that has a recipient of its kind.
async fn fill(
    state: &AppState,
    u: &SessionUser,
    t: &LetterTemplate,
    id: i64,
) -> Result<Trial, WebError> {
    let (template, label) = version(state, t, id).await?;
    let letter = t.def();
    let now = state.now();
    let today = now.with_timezone(&state.config.timezone).date_naive();
    let dossiers = match state.store.fictional_dossiers(now, DRAWN).await {
        Ok(d) => d,
        Err(vigie_store::StoreError::Config(m)) => {
            return Err(refused(format!("Essai impossible : {m}")));
        }
        Err(e) => return Err(e.into()),
    };
    let mut ctx: Option<Context> = None;
    for rec in dossiers {
        // Loaded once; only what depends on the dossier is read again.
        let ctx = match &mut ctx {
            Some(c) => {
                c.set_dossier(state, &rec).await?;
                c
            }
            None => ctx.insert(Context::load(state, u, &rec).await?),
        };
        let Some((_, recipient_label, recipient)) =
            ctx.choices(&letter, &rec, &[]).into_iter().next()
        else {
            continue;
        };
        let merge = build(&LetterInput {
            letter: &letter,
            dossier: &rec,
            children: &[],
            recipient: &recipient,
            letterhead: &ctx.letterhead.letterhead,
            agent: &ctx.agent,
            labels: &ctx.labels,
            today,
            received_on: rec
                .header
                .received_at
                .with_timezone(&state.config.timezone)
                .date_naive(),
            can_see_source: true,
        })
        .map_err(WebError::Invalid)?;
        let images = ctx.images();
        let bytes = template
            .render(&merge.value, &images)
            .map_err(|e| refused(e.to_string()))?;
        return Ok(Trial {
            view: TrialView {
                version: label,
                version_id: id,
                dossier: rec.number.to_string(),
                recipient: recipient_label,
                text: vigie_letters::document_text(&bytes).unwrap_or_default(),
                pdf: state.pdf.is_some(),
            },
            bytes,
            format: template.format(),
        });
    }
    Err(refused(format!(
        "Aucun des {DRAWN} dossiers fictifs n'a de destinataire de ce type ({}) : pour un destinataire de l'annuaire, l'administrateur en ajoute un (Administration, Courriers).",
        letter.recipient.label()
    )))
}

/// `POST /admin/modeles/{code}/versions/{id}/essai`.
pub async fn trial(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<TrialForm>,
) -> Response {
    let result = async {
        let id = path_id(&id)?;
        let t = state.store.letter_template(&code).await?;
        let trial = fill(&state, &u, &t, id).await?;
        let detail = format!("modèle {} ; {}", t.code, trial.view.version);
        state
            .store
            .audit(
                state.now(),
                &actor(&u, ip),
                Event::new("modele.essai")
                    .on("letter_template", t.id)
                    .detail(detail),
            )
            .await?;
        Ok::<_, WebError>(trial)
    }
    .await;
    let trial = match result {
        Ok(t) => t,
        Err(WebError::Invalid(e)) => {
            return template_page(&state, &u, &code, vec![e.to_string()], "", None).await;
        }
        Err(e) => return e.into_response(),
    };
    let name = format!("essai-{code}");
    match f.telecharger.as_str() {
        "fichier" => super::template_actions::attachment(
            trial.bytes,
            trial.format.mime(),
            &format!("{name}.{}", trial.format.extension()),
        ),
        "pdf" => {
            let Some(pool) = state.pdf.clone() else {
                return template_page(
                    &state,
                    &u,
                    &code,
                    vec!["La production de PDF n'est pas disponible sur ce serveur.".into()],
                    "",
                    Some(trial.view),
                )
                .await;
            };
            let (doc, format) = (trial.bytes.clone(), trial.format);
            match tokio::task::spawn_blocking(move || pool.convert(&doc, format)).await {
                Ok(Ok(pdf)) => super::template_actions::attachment(
                    pdf,
                    "application/pdf",
                    &format!("{name}.pdf"),
                ),
                Ok(Err(e)) => {
                    template_page(&state, &u, &code, vec![e.to_string()], "", Some(trial.view))
                        .await
                }
                Err(_) => {
                    template_page(
                        &state,
                        &u,
                        &code,
                        vec!["La conversion en PDF a été interrompue.".into()],
                        "",
                        Some(trial.view),
                    )
                    .await
                }
            }
        }
        _ => template_page(&state, &u, &code, Vec::new(), "", Some(trial.view)).await,
    }
}
