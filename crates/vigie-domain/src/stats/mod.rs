//! Statistics: the tables a dashboard or a cross-tab shows, their periods in the
//! configured time zone, and the small-count suppression that protects them when an
//! aggregates-only reader sees them (`suppress`).
//!
//! A [`Table`] is what every layer above shares: the store fills it, the web layer draws
//! it as an SVG chart with its data table, the export crate writes it as CSV or XLSX, the
//! API returns it as JSON. It knows no database and no HTTP.

pub mod build;
pub mod delays;
pub mod dimension;
pub mod period;
pub mod suppress;
mod table;

pub use dimension::{Dimension, Measure};
pub use period::{Bucket, Period, PeriodKind};
pub use suppress::suppress;
pub use table::{Axis, ChartKind, Label, Table, Value};
pub use table::{french_decimal, group_thousands};
