//! What every screen uses, written once: the page chrome and rendering ([`page`]), who is
//! acting and the id in a path ([`request`]), dates ([`dates`]), URL encoding ([`url`]),
//! the dossier list's query, shared by the HTML list and the API ([`list`]), the
//! caller's dossier scope widened by their accès exceptionnels ([`access`]), and the
//! re-authentication before a sensitive operation ([`reauth`]).
//!
//! This module depends on the crate root ([`crate::AppState`]) and the HTTP
//! infrastructure, never on a screen: screens import from here, not from each other.

pub mod access;
pub mod dates;
pub mod list;
pub mod page;
pub mod reauth;
pub mod request;
pub mod url;

pub use page::{Choice, Chrome, render};
pub use request::{actor, path_id};
