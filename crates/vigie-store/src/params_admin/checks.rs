//! The checks of a typed value (code, label, national code, uniqueness) and the refusal
//! of an operation the value's state forbids.

use super::*;

pub(super) fn rule(msg: String) -> StoreError {
    StoreError::Invalid(DomainError::Rule(msg))
}

/// Checks a code: required, short, letters without accents, digits, `_` and `-`.
pub(super) fn check_code(errors: &mut Errors, code: &str) {
    if code.is_empty() {
        errors.push("code", "Code", "obligatoire.");
    } else if code.chars().count() > CODE_MAX {
        errors.push(
            "code",
            "Code",
            format!(
                "{} caractères saisis, {CODE_MAX} au plus sont acceptés.",
                code.chars().count()
            ),
        );
    } else if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.push(
            "code",
            "Code",
            "lettres sans accents, chiffres, « _ » ou « - » seulement, sans espace.",
        );
    }
}

pub(super) fn check_label(errors: &mut Errors, label: &str) {
    if label.is_empty() {
        errors.push("label", "Libellé", "obligatoire.");
    } else if label.chars().count() > LABEL_MAX {
        errors.push(
            "label",
            "Libellé",
            format!(
                "{} caractères saisis, {LABEL_MAX} au plus sont acceptés.",
                label.chars().count()
            ),
        );
    } else {
        // One line, no control character: the domain's rule and message.
        let short = vigie_domain::text::TextKind::Short;
        vigie_domain::text::check(errors, "label", "Libellé", short, Some(label));
    }
}

pub(super) fn check_national_code(errors: &mut Errors, nc: &str) {
    if nc.chars().count() > NATIONAL_CODE_MAX {
        errors.push(
            "national_code",
            "Code national",
            format!("{NATIONAL_CODE_MAX} caractères au plus."),
        );
    } else if !nc
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        errors.push(
            "national_code",
            "Code national",
            "lettres sans accents, chiffres, « _ », « - » ou « . » seulement, sans espace.",
        );
    }
}

/// Duplicates among the other values of the table: codes ignoring case (across the whole
/// table), labels ignoring case (among the values offered together: a service's territory).
pub(super) fn check_unique(
    errors: &mut Errors,
    others: &[AdminValue],
    code: Option<&str>,
    label: Option<(&str, Option<i64>)>,
) {
    if let Some(code) = code
        && let Some(o) = others.iter().find(|o| o.code.eq_ignore_ascii_case(code))
    {
        errors.push(
            "code",
            "Code",
            format!(
                "le code « {} » existe déjà dans cette table (« {} »).",
                o.code, o.label
            ),
        );
    }
    let Some((label, territory)) = label else {
        return;
    };
    let lower = label.to_lowercase();
    if !label.is_empty()
        && others
            .iter()
            .any(|o| o.territory_id == territory && o.label.to_lowercase() == lower)
    {
        errors.push(
            "label",
            "Libellé",
            "une autre valeur de cette table porte déjà ce libellé.",
        );
    }
}

pub(super) fn detail(table: Table, code: &str) -> String {
    format!("table={} code={code}", table.code())
}
