//! Making a batch of reminders: the overdue evaluations of the filter not yet reminded today,
//! grouped by service; for each service, the grouped reminder (`relance-groupee`) filled with its
//! contact, the letterhead, the agent and its dossiers (with their children), and its PDF when
//! LibreOffice is installed (several letters per LibreOffice process, the pool's workers in
//! parallel); then everything recorded by the store in one transaction.

use chrono::NaiveDate;
use vigie_domain::Scope;
use vigie_domain::letters::reminder::{self, ReminderChild, ReminderDossier, ReminderInput};
use vigie_letters::{Format, Template, defaults};
use vigie_store::Actor;
use vigie_store::reminders::{NewBatch, NewReminderLetter, Overdue};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;
use crate::letters::generate::refuse;

/// Letters converted by one LibreOffice process at most.
const LETTERS_PER_PROCESS: usize = 25;

/// What a batch is asked for.
#[derive(Debug, Clone, Copy)]
pub struct BatchRequest {
    pub territory_id: Option<i64>,
    pub service_id: Option<i64>,
    pub format: Format,
    /// The day the reminders count for (the configured time zone's today).
    pub today: NaiveDate,
}

/// A service's letter, filled.
#[derive(Debug)]
struct Letter {
    service_id: i64,
    service_label: String,
    assignments: Vec<(i64, i64)>,
    bytes: Vec<u8>,
    pdf: Option<Vec<u8>>,
}

/// The message when nothing is left to remind.
pub const NOTHING: &str = "Aucune évaluation en retard à relancer aujourd'hui avec ces filtres : \
     rien n'a été envoyé (les évaluations déjà relancées aujourd'hui ne le sont pas deux fois).";

/// The overdue evaluations grouped by service (the store gives them by service name).
fn by_service(items: Vec<Overdue>) -> Vec<Vec<Overdue>> {
    let mut groups: Vec<Vec<Overdue>> = Vec::new();
    for o in items {
        match groups.last_mut() {
            Some(g) if g.first().is_some_and(|f| f.service_id == o.service_id) => g.push(o),
            _ => groups.push(vec![o]),
        }
    }
    groups
}

/// Makes and records a batch; its id, or [`NOTHING`] as a refusal.
pub async fn make(
    state: &AppState,
    u: &SessionUser,
    actor: &Actor,
    scope: &Scope,
    req: &BatchRequest,
) -> Result<i64, WebError> {
    let items = state
        .store
        .overdue_to_remind(scope, req.today, req.territory_id, req.service_id)
        .await?;
    if items.is_empty() {
        return Err(refuse(NOTHING));
    }
    let template = defaults::template(reminder::CODE, req.format)
        .ok_or_else(|| refuse("Le modèle de la relance groupée manque à ce programme."))?;
    let template = Template::parse(template).map_err(|e| refuse(&e.to_string()))?;
    let stored = state.store.letterhead().await?;
    let images = crate::letters::generate::letterhead_images(&stored);
    let agent = state.store.user_contact(u.user_id).await?;
    let tz = state.config.timezone;
    let mut letters = Vec::new();
    for group in by_service(items) {
        let Some(first) = group.first() else { continue };
        let service = state.store.service_contact(first.service_id).await?;
        let dossiers: Vec<ReminderDossier> = group
            .iter()
            .map(|o| ReminderDossier {
                number: o.dossier_number.to_string(),
                received_on: o.received_at.with_timezone(&tz).date_naive(),
                asked_on: o.asked_on,
                due_on: o.due_on,
                children: o.children.iter().map(ReminderChild::from).collect(),
            })
            .collect();
        let data = reminder::build(&ReminderInput {
            service: &service,
            letterhead: &stored.letterhead,
            agent: &agent,
            today: req.today,
            dossiers: &dossiers,
        });
        let bytes = template
            .render(&data, &images)
            .map_err(|e| refuse(&e.to_string()))?;
        letters.push(Letter {
            service_id: first.service_id,
            service_label: first.service_label.clone(),
            assignments: group
                .iter()
                .map(|o| (o.assignment_id, o.dossier_id))
                .collect(),
            bytes,
            pdf: None,
        });
    }
    convert(state, &mut letters, req.format).await?;
    let version = format!("modèle par défaut, Vigie {}", env!("CARGO_PKG_VERSION"));
    let new = NewBatch {
        reminded_on: req.today,
        territory_id: req.territory_id,
        service_id: req.service_id,
        format: req.format.extension(),
        letters: letters
            .iter()
            .map(|l| NewReminderLetter {
                service_id: l.service_id,
                service_label: l.service_label.clone(),
                assignments: l.assignments.clone(),
                template_version: version.clone(),
                file_name: format!(
                    "relance-groupee-{}-service-{}.{}",
                    req.today,
                    l.service_id,
                    req.format.extension()
                ),
                media_type: req.format.mime().to_owned(),
                bytes: &l.bytes,
                pdf: l.pdf.as_deref(),
            })
            .collect(),
    };
    Ok(state
        .store
        .record_reminder_batch(state.now(), actor, scope, &new)
        .await?)
}

/// Each letter's PDF, when LibreOffice is installed: the letters split into one batch per
/// worker (at most [`LETTERS_PER_PROCESS`] each), converted at once.
async fn convert(state: &AppState, letters: &mut [Letter], format: Format) -> Result<(), WebError> {
    let Some(pool) = state.pdf.clone() else {
        return Ok(());
    };
    let workers = state.config.pdf.workers.max(1);
    let per = letters
        .len()
        .div_ceil(workers)
        .clamp(1, LETTERS_PER_PROCESS);
    let mut tasks = Vec::new();
    for chunk in letters.chunks(per) {
        let docs: Vec<Vec<u8>> = chunk.iter().map(|l| l.bytes.clone()).collect();
        let services: Vec<String> = chunk.iter().map(|l| l.service_label.clone()).collect();
        let pool = pool.clone();
        let task = tokio::task::spawn_blocking(move || {
            let refs: Vec<&[u8]> = docs.iter().map(Vec::as_slice).collect();
            pool.convert_all(&refs, format)
        });
        tasks.push((services, task));
    }
    let mut pdfs = Vec::with_capacity(letters.len());
    for (services, t) in tasks {
        let converted = t.await.map_err(|_| {
            refuse("La conversion en PDF a été interrompue : rien n'a été envoyé ni enregistré.")
        })?;
        match converted {
            Ok(converted) => pdfs.extend(converted),
            Err(e) => {
                // The services' names only: no dossier, no child.
                tracing::warn!(error = %e, "relance des services : conversion en PDF impossible");
                return Err(refuse(&format!(
                    "{e} (courriers aux services {}) : rien n'a été envoyé ni enregistré ; \
                     réessayez, ou prévenez le service informatique si cela se répète.",
                    services.join(", ")
                )));
            }
        }
    }
    for (l, pdf) in letters.iter_mut().zip(pdfs) {
        l.pdf = Some(pdf);
    }
    Ok(())
}
