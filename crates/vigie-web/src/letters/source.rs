//! Which template fills a letter: the CRIP's version in service (the last published), or, for a
//! template shipped with Vigie that has none, the one built into Vigie. The letter records
//! which (« version 3 du 2 décembre 2026 », « modèle par défaut, Vigie 0.1.0 »).

use vigie_domain::DomainError;
use vigie_letters::{Format, Template, defaults};
use vigie_store::letter_templates::LetterTemplate;

use crate::AppState;
use crate::http::error::WebError;
use crate::shared::dates::date;

/// A template ready to fill, with what the letter records of it.
#[derive(Debug)]
pub struct Source {
    pub template: Template,
    /// The letter's format: the published version's own, or the one asked for.
    pub format: Format,
    pub version_label: String,
}

fn refuse(message: String) -> WebError {
    WebError::Invalid(DomainError::Rule(message))
}

/// `odt` or `docx`, as stored.
pub fn format_of(code: &str) -> Option<Format> {
    match code {
        "odt" => Some(Format::Odt),
        "docx" => Some(Format::Docx),
        _ => None,
    }
}

/// The template `t` fills with: its version in service, else the built-in one in `wanted`.
pub async fn source(
    state: &AppState,
    t: &LetterTemplate,
    wanted: Format,
) -> Result<Source, WebError> {
    if let Some(v) = &t.in_service {
        let (_, bytes) = state.store.template_version(v.id).await?;
        let template = Template::parse(&bytes).map_err(|e| {
            refuse(format!(
                "Le modèle « {} » publié est illisible : {e}",
                t.title
            ))
        })?;
        return Ok(Source {
            format: template.format(),
            template,
            version_label: format!(
                "version {} du {}",
                v.number,
                v.published_at
                    .map(|at| date(at.with_timezone(&state.config.timezone).date_naive()))
                    .unwrap_or_default()
            ),
        });
    }
    let builtin = if t.builtin {
        defaults::template(&t.code, wanted)
    } else {
        None
    };
    let bytes = builtin.ok_or_else(|| {
        refuse(format!(
            "Le modèle « {} » n'a pas encore de version publiée : un responsable ou l'administrateur la dépose et la publie (Administration, Modèles de courrier).",
            t.title
        ))
    })?;
    let template = Template::parse(bytes).map_err(|e| refuse(e.to_string()))?;
    Ok(Source {
        template,
        format: wanted,
        version_label: format!("modèle par défaut, Vigie {}", env!("CARGO_PKG_VERSION")),
    })
}
