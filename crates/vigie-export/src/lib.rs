//! Vigie's figures out: a [`vigie_domain::stats::Table`] (or several, a whole dashboard)
//! written as
//! - CSV for French spreadsheets ([`csv`]): UTF-8 with BOM, `;` separators;
//! - XLSX ([`xlsx`]): one sheet per table, a native chart where the screen shows one;
//! - an SVG chart ([`svg`]) drawn by the server, readable without JavaScript, with its
//!   data table beside it on the page.
//!
//! Formula injection is neutralised in both files: a label starting with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is written as text, never as a formula.

pub mod csv;
pub mod svg;
pub mod xlsx;
