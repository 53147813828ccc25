//! Vigie's mail merge. A template is a DOCX or ODT document in which the author typed tags, in
//! Word or LibreOffice: fields `{{ enfant.prenom }}`, loops `{% for enfant in enfants %}` over
//! paragraphs and table rows, conditions `{% if … %}`, French filters (`|date_longue`, `|age`,
//! `|liste`) and images (`{{ logo }}`). [`Template::parse`] reads and checks it; its fields are
//! listed for the caller's data dictionary ([`Template::fields`]); [`Template::render`] fills it
//! from a serde value and returns the document's bytes, in the template's format.
//!
//! This crate knows neither HTTP nor the database, nor what a dossier is: which fields exist and
//! which a family must not read is decided by the domain, from [`Template::fields`].
//!
//! Errors: [`LetterError`], in French, naming the tag as typed and its paragraph.

pub mod defaults;
mod error;
mod expr;
mod filters;
mod package;
mod pdf;
mod pdf_merge;
mod text;
mod xml;

use std::collections::BTreeMap;

use minijinja::value::Value;

pub use error::{LetterError, Location};
pub use expr::FieldUse;
pub use filters::{TODAY, age_at, french_list, long_date};
pub use package::Image;
pub use pdf::{PdfPool, PdfSettings, unavailable_reason};
pub use pdf_merge::merge_pdfs;
pub use text::document_text;

use package::Package;
use xml::Prepared;

/// The two formats a template and its letters come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Office Open XML (Word).
    Docx,
    /// OpenDocument Text (LibreOffice), the format French administrations are asked to use.
    Odt,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Odt => "odt",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Odt => "application/vnd.oasis.opendocument.text",
        }
    }
}

#[derive(Debug, Clone)]
struct Part {
    name: String,
    prepared: Prepared,
}

/// A checked template, ready to fill any number of times.
#[derive(Debug, Clone)]
pub struct Template {
    format: Format,
    package: Package,
    parts: Vec<Part>,
}

impl Template {
    /// Reads a DOCX or ODT template and checks its tags: each closed, blocks opened and closed
    /// in the same place, the syntax the engine reads.
    pub fn parse(bytes: &[u8]) -> Result<Template, LetterError> {
        let (package, format) = Package::read(bytes)?;
        let env = filters::environment(format);
        let mut parts = Vec::new();
        for (name, label) in package::text_parts(&package, format) {
            let data = package.get(&name).unwrap_or_default();
            let xml = std::str::from_utf8(data)
                .map_err(|_| LetterError::Package(format!("« {name} » n'est pas en UTF-8")))?;
            let prepared = xml::prepare(xml, format, label)?;
            if let Err(e) = env.template_from_named_str(&name, &prepared.source) {
                return Err(tag_error(
                    &prepared,
                    &e,
                    "La syntaxe de cette balise est incorrecte",
                ));
            }
            parts.push(Part { name, prepared });
        }
        Ok(Template {
            format,
            package,
            parts,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Every data field the template reads, with the tag and paragraph reading it.
    pub fn fields(&self) -> Vec<FieldUse> {
        self.parts
            .iter()
            .flat_map(|p| expr::field_uses(&p.prepared.tags))
            .collect()
    }

    /// Fills the template. `data` is an object; [`TODAY`] in it (`YYYY-MM-DD`) is the date ages
    /// are counted to. Each image is shown where `{{ key }}` is typed.
    pub fn render(
        &self,
        data: &serde_json::Value,
        images: &[Image],
    ) -> Result<Vec<u8>, LetterError> {
        let serde_json::Value::Object(fields) = data else {
            return Err(LetterError::Render(
                "les données ne sont pas un objet".into(),
            ));
        };
        let mut context: BTreeMap<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(minijinja::value::Serde(v))))
            .collect();
        let mut files = Vec::new();
        for (index, image) in images.iter().enumerate() {
            if let Some((markup, file)) = package::image_markup(image, index, self.format) {
                context.insert(image.key.clone(), Value::from_safe_string(markup));
                files.push((index, image, file));
            }
        }
        let context = Value::from(context);
        let env = filters::environment(self.format);
        let mut package = self.package.clone();
        for part in &self.parts {
            let template = env
                .template_from_named_str(&part.name, &part.prepared.source)
                .map_err(|e| {
                    tag_error(
                        &part.prepared,
                        &e,
                        "La syntaxe de cette balise est incorrecte",
                    )
                })?;
            let mut filled = template
                .render(&context)
                .map_err(|e| tag_error(&part.prepared, &e, &render_message(&e)))?;
            if self.format == Format::Docx {
                filled = text::fill_empty_cells(&filled);
            }
            xml::check_well_formed(&filled).map_err(|e| {
                LetterError::Render(format!("le document produit n'est pas valide ({e})"))
            })?;
            for (index, image, file) in &files {
                let used = match self.format {
                    Format::Docx => filled.contains(&package::docx_rel_id(*index)),
                    Format::Odt => filled.contains(file.as_str()),
                };
                if used {
                    package::attach_image(
                        &mut package,
                        self.format,
                        &part.name,
                        *index,
                        image,
                        file,
                    );
                }
            }
            package.set(&part.name, filled.into_bytes());
        }
        package.write()
    }
}

/// A French message for an engine error met while filling.
fn render_message(e: &minijinja::Error) -> String {
    use minijinja::ErrorKind as K;
    match e.kind() {
        K::UndefinedError => "Ce champ n'existe pas dans les données du courrier".into(),
        K::InvalidOperation if e.detail().is_some_and(|d| d.contains("le filtre")) => {
            let detail = e.detail().unwrap_or_default();
            let mut chars = detail.chars();
            chars
                .next()
                .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        }
        K::InvalidOperation if e.detail().is_some_and(|d| d.contains("iterable")) => {
            "Cette boucle ne porte pas sur une liste".into()
        }
        K::InvalidOperation => "Cette opération est impossible sur ces données".into(),
        K::UnknownFilter => "Ce filtre n'existe pas (date_longue, date, age, liste, upper…)".into(),
        K::UnknownTest => "Ce test n'existe pas".into(),
        K::UnknownFunction => "Cette fonction n'existe pas".into(),
        K::MissingArgument | K::TooManyArguments => {
            "Le nombre d'arguments de ce filtre est incorrect".into()
        }
        _ => "Cette balise n'a pas pu être remplie".into(),
    }
}

fn tag_error(prepared: &Prepared, e: &minijinja::Error, message: &str) -> LetterError {
    let offset = e.range().map(|r| r.start);
    match offset.and_then(|o| prepared.tag_at(o)) {
        Some(tag) => LetterError::tag(message, &tag.text, &tag.location),
        None => LetterError::Render(message.to_owned()),
    }
}
