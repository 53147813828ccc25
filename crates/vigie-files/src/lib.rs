//! Checks of the files agents upload to a dossier, before anything is stored: [`inspect`] reads
//! the type from the content (never from the extension) and refuses what must not enter the
//! dossier, with a French message saying why; [`clamav`] asks an optional ClamAV daemon.
//!
//! This crate knows neither HTTP nor the database.

pub mod clamav;
pub mod inspect;
#[cfg(feature = "testing")]
pub mod testing;
