//! The crate's one error type. Every message is in French and names what a template author can
//! find in their word processor: the tag as typed and the paragraph it sits in.

use std::fmt;

/// Where a tag sits in a template: the part of the document and the paragraph, with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// « corps du document », « en-tête », « pied de page »…
    pub part: String,
    /// 1-based, in document order within the part.
    pub paragraph: usize,
    /// The paragraph's text as typed, shortened.
    pub excerpt: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "paragraphe {} ({})", self.paragraph, self.part)?;
        if !self.excerpt.is_empty() {
            write!(f, " : « {} »", self.excerpt)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// Not a zip, not a DOCX or ODT, a part missing or not well-formed XML.
    #[error("Le modèle n'est pas un document DOCX ou ODT lisible : {0}.")]
    Package(String),
    /// A tag that cannot be used: unclosed, unknown field, loop over a non-list…
    #[error("{message} — balise « {tag} », {location}.")]
    Tag {
        message: String,
        tag: String,
        location: Location,
    },
    /// The template is readable but filling it failed where no tag can be named.
    #[error("Le courrier n'a pas pu être produit : {0}.")]
    Render(String),
    /// PDF conversion (LibreOffice) failed or is not available.
    #[error("La conversion en PDF a échoué : {0}.")]
    Pdf(String),
    /// Concatenating PDF letters ([`crate::merge_pdfs`]): one of them cannot be read. `number`
    /// is its 1-based place in the batch.
    #[error("Le PDF n° {number} est illisible : {reason}.")]
    UnreadablePdf { number: usize, reason: String },
    /// Concatenating PDF letters failed otherwise (nothing to concatenate…).
    #[error("L'assemblage des PDF a échoué : {0}.")]
    PdfMerge(String),
}

impl LetterError {
    pub(crate) fn tag(message: impl Into<String>, tag: &str, location: &Location) -> Self {
        LetterError::Tag {
            message: message.into(),
            tag: tag.to_owned(),
            location: location.clone(),
        }
    }
}

/// A text shortened to `max` characters, with an ellipsis.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}
