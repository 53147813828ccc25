//! Vigie's figures out: a [`vigie_domain::stats::Table`] (or several, a whole dashboard)
//! written as
//! - CSV for French spreadsheets ([`csv`]): UTF-8 with BOM, `;` separators;
//! - XLSX ([`xlsx`]): one sheet per table, a native chart where the screen shows one;
//! - an SVG chart ([`svg`]) drawn by the server, readable without JavaScript, with its
//!   data table beside it on the page.
//!
//! Formula injection is neutralised in both files: a label starting with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is written as text, never as a formula.
//!
//! Both files carry the same figures as the screen: decimals rounded to one place, a
//! count from 1 to 4 already replaced by [`Value::Suppressed`](vigie_domain::stats::Value)
//! and written « < 5 ». A column whose figures are all percents has « (%) » after its
//! heading, one whose figures are all days « (jours) ».

mod cells;
pub mod csv;
mod error;
pub mod svg;
pub mod xlsx;

pub use self::csv::tables_csv;
pub use error::ExportError;
pub use xlsx::tables_xlsx;

/// What a dashboard export says above its tables: given by the caller, which knows the
/// filters, the user's time zone and the clock (an export never reads the clock itself).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The export's title (« Tableau de bord — Informations préoccupantes »).
    pub title: &'a str,
    /// The filters in force, as (name, value): (« Période », « janvier 2026 »).
    pub filters: &'a [(String, String)],
    /// When the figures were computed, in French: « 4 décembre 2026 à 14:05 ».
    pub generated: &'a str,
    /// A note for the whole export (what « < 5 » means, the source), if any.
    pub note: Option<&'a str>,
}
