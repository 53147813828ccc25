//! Limits per kind of text field, and the checks that apply them.

use crate::error::Errors;

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
    let bad_control = v
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if bad_control {
        errors.push(
            field,
            label,
            "contient des caractères de contrôle non autorisés.",
        );
    }
    if kind == TextKind::Short && v.contains(['\n', '\r']) {
        errors.push(field, label, "doit tenir sur une seule ligne.");
    }
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
    fn clean_trims() {
        assert_eq!(clean("  a b "), Some("a b".into()));
        assert_eq!(clean("   "), None);
    }
}
