//! A template uploaded by the CRIP, checked before it is stored: a DOCX or ODT (its type read
//! from its content, macros refused like any upload), its tags readable (each closed, blocks
//! opened and closed in one place), its fields those of the data dictionary and, for a letter
//! to a family, none a family must not read. Every problem in French, naming the tag and its
//! paragraph.

use vigie_domain::letters::RecipientKind;
use vigie_domain::letters::check::{FieldRead, check_fields};
use vigie_files::inspect::{self, Kind, Limits};
use vigie_letters::{Format, Template};

/// A template that passed every check.
#[derive(Debug)]
pub struct Checked {
    pub template: Template,
    pub format: Format,
}

/// Checks a template's bytes for a recipient kind; the French messages otherwise.
pub fn check_template(bytes: &[u8], recipient: RecipientKind) -> Result<Checked, Vec<String>> {
    let limits = Limits {
        max_size: vigie_store::letter_templates::MAX_TEMPLATE_SIZE,
        ..Limits::default()
    };
    let format = match inspect::inspect(bytes, &limits) {
        Ok(found) if found.kind == Kind::Docx => Format::Docx,
        Ok(found) if found.kind == Kind::Odt => Format::Odt,
        Ok(found) => {
            return Err(vec![format!(
                "Un modèle est un document Word (DOCX) ou LibreOffice (ODT) ; ce fichier est : {}.",
                found.kind.label()
            )]);
        }
        Err(refusal) => return Err(vec![refusal.to_string()]),
    };
    let template = Template::parse(bytes).map_err(|e| vec![e.to_string()])?;
    let fields = template.fields();
    let reads = fields.iter().map(|f| FieldRead {
        path: &f.path,
        context: format!("balise « {} », {}", f.tag, f.location),
    });
    let errors = check_fields(recipient, reads);
    if errors.is_empty() {
        Ok(Checked { template, format })
    } else {
        Err(errors)
    }
}
