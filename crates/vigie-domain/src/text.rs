//! Limits per kind of text field, and the checks that apply them.

use crate::error::{DomainError, Errors};

/// Short fields: names, street, phone, 119 number…
pub const SHORT_MAX: usize = 200;
/// Comments.
pub const COMMENT_MAX: usize = 2_000;
/// Exposé de la situation, observation de la CRIP.
pub const LONG_MAX: usize = 50_000;

/// The kind of a text field, which decides its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Short,
    Comment,
    Long,
}

impl TextKind {
    pub const fn max_chars(self) -> usize {
        match self {
            Self::Short => SHORT_MAX,
            Self::Comment => COMMENT_MAX,
            Self::Long => LONG_MAX,
        }
    }
}

/// Trims a text and turns an empty one into `None`.
pub fn clean(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_owned())
    }
}

/// The first character a text of this kind may not hold: a control character (U+0000 to
/// U+001F, U+007F to U+009F), except tab and line breaks in multi-line kinds. The same rule
/// on every backend (PostgreSQL refuses U+0000, SQLite would store it) and at every
/// boundary: forms, API, CLI and imports.
pub fn forbidden_char(value: &str, multiline: bool) -> Option<char> {
    value
        .chars()
        .find(|&c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// The French message for a forbidden character, naming it by its code point.
pub fn forbidden_message(c: char) -> String {
    format!(
        "contient un caractère de contrôle non autorisé (U+{:04X}) : retirez-le et réessayez.",
        u32::from(c)
    )
}

impl TextKind {
    /// Whether the kind accepts tabs and line breaks.
    pub const fn multiline(self) -> bool {
        !matches!(self, Self::Short)
    }
}

/// Checks a text's length (in characters) and control characters; records a French error.
pub fn check(errors: &mut Errors, field: &str, label: &str, kind: TextKind, value: Option<&str>) {
    let Some(v) = value else { return };
    let n = v.chars().count();
    let max = kind.max_chars();
    if n > max {
        errors.push(
            field,
            label,
            format!("{n} caractères saisis, {max} au plus sont acceptés."),
        );
    }
    if let Some(c) = forbidden_char(v, true) {
        errors.push(field, label, forbidden_message(c));
    } else if !kind.multiline() && v.contains(['\n', '\r', '\t']) {
        errors.push(
            field,
            label,
            "doit tenir sur une seule ligne, sans tabulation.",
        );
    }
}

/// [`check`] for one field on its own: `Ok` or a [`DomainError`] naming it.
pub fn validate(field: &str, label: &str, kind: TextKind, value: &str) -> Result<(), DomainError> {
    let mut e = Errors::default();
    check(&mut e, field, label, kind, Some(value));
    e.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_counted_in_characters() {
        let mut e = Errors::default();
        let ok = "é".repeat(SHORT_MAX);
        check(&mut e, "f", "Nom", TextKind::Short, Some(&ok));
        assert!(e.is_empty());
        let too_long = "é".repeat(SHORT_MAX + 1);
        check(&mut e, "f", "Nom", TextKind::Short, Some(&too_long));
        let err = e.into_result().unwrap_err();
        assert_eq!(err.fields()[0].field, "f");
        assert!(err.fields()[0].message.contains("200 au plus"));
    }

    #[test]
    fn short_fields_refuse_newlines_and_controls() {
        let mut e = Errors::default();
        check(&mut e, "f", "Nom", TextKind::Short, Some("a\nb"));
        check(&mut e, "g", "Commentaire", TextKind::Comment, Some("a\nb"));
        check(
            &mut e,
            "h",
            "Commentaire",
            TextKind::Comment,
            Some("a\u{0}b"),
        );
        let err = e.into_result().unwrap_err();
        let fields: Vec<_> = err.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["f", "h"]);
    }

    #[test]
    fn tabs_and_line_breaks_only_in_multiline_texts() {
        assert_eq!(forbidden_char("a\tb\r\nc", true), None);
        assert_eq!(forbidden_char("a\tb", false), Some('\t'));
        assert_eq!(forbidden_char("Mar\u{0}tin", true), Some('\u{0}'));
        assert_eq!(forbidden_char("x\u{85}", true), Some('\u{85}'));
        assert_eq!(forbidden_char("Zoé d'Ar\u{e7}on", false), None);
        let err = validate("q", "Recherche", TextKind::Short, "Mar\u{0}tin").unwrap_err();
        assert_eq!(err.fields()[0].field, "q");
        assert!(err.fields()[0].message.contains("U+0000"), "{err}");
        assert!(validate("q", "Recherche", TextKind::Short, "a\tb").is_err());
        assert!(validate("c", "Commentaire", TextKind::Comment, "a\tb\nc").is_ok());
    }

    #[test]
    fn clean_trims() {
        assert_eq!(clean("  a b "), Some("a b".into()));
        assert_eq!(clean("   "), None);
    }
}
