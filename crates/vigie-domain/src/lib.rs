//! Vigie's domain: the model of a CRIP dossier and the rules that apply to it.
//!
//! Pure Rust: no I/O, no async, no SQL or HTTP. Time is always a parameter
//! (`now`, `today`); only the edges of the application read the clock.
//!
//! Errors: [`DomainError`] for a refused value or rule, always with the French
//! name of the field and what is expected, ready to be shown to an agent.

// Functions stay short (clippy.toml: `too-many-lines-threshold`); the few allowed
// longer ones say why. Tests read as one scenario each and are not held to it.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

pub mod catalog;
pub mod deadline;
pub mod departements;
pub mod documents;
pub mod dossier;
pub mod error;
pub mod labels;
pub mod letters;
pub use model::limits;
pub mod matching;
pub mod model;
pub mod names;
pub mod number;
pub mod param;
pub mod password;
pub mod role;
pub mod rules;
pub mod scope;
pub mod search;
pub mod stats;
pub mod text;
pub mod two_person;

pub use error::{DomainError, FieldError};
pub use model::*;
pub use number::DossierNumber;
pub use param::{Meaning, ParamKind};
pub use role::{Permission, Role};
pub use scope::Scope;
