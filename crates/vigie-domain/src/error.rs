//! Domain errors: a list of field errors, each naming the field in French.

use std::fmt;

/// One refused value: which field (technical key and French label) and why, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Stable key of the field, e.g. `children[0].birth_date`.
    pub field: String,
    /// French label of the field, e.g. « Date de naissance ».
    pub label: String,
    /// French message saying what is expected.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            label: label.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} : {}", self.label, self.message)
    }
}

/// A refusal by the domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or several fields are invalid.
    #[error("saisie invalide : {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ; "))]
    Invalid(Vec<FieldError>),
    /// A rule refuses the operation (e.g. a status transition).
    #[error("{0}")]
    Rule(String),
}

impl DomainError {
    pub fn field(field: &str, label: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, label, message)])
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            Self::Invalid(v) => v,
            Self::Rule(_) => &[],
        }
    }
}

/// Collects field errors while validating a whole input.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn push(
        &mut self,
        field: impl Into<String>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError::new(field, label, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}
