//! A dashboard as CSV for French spreadsheets: UTF-8 with a byte-order mark (so Excel
//! reads the accents), `;` between cells (the comma is the decimal separator), CRLF line
//! ends, a cell quoted only when it must be (a `;`, a quote or a line break inside).
//!
//! The layout, one record a line:
//!
//! ```text
//! Tableau de bord                  ← the export's title
//! Période;janvier 2026             ← one line per filter
//! Généré le;4 décembre 2026 à 14:05
//! Note;…                           ← when the export has a note
//!                                  ← a blank line
//! IP par mois                      ← then, per table, its title,
//! Mois;Nord;Sud;Total              ← the heading (« Total » when rows have totals),
//! janvier;12;< 5;15                ← one line per row,
//! Total;20;7;27                    ← the column totals and the grand total,
//! Les effectifs de 1 à 4…          ← the table's note, if any,
//!                                  ← and a blank line.
//! ```
//!
//! Figures are numbers a French spreadsheet parses as such: a count as a plain integer
//! (`12345`, no thousands separator), days, rates and percents with one decimal and a
//! decimal comma (`12,5`). A percent is written as its number 0–100 (`12,5`, not `0,125`
//! nor `12,5 %`): its column heading then ends in « (%) », and a column of days in
//! « (jours) ». A hidden count is `< 5`; no value is an empty cell.
//!
//! Formula injection: every text cell (title, filters, labels, notes) starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, OWASP's advice, so that
//! no spreadsheet evaluates it. The figures written here are never prefixed: they are
//! numbers, and all of them are ≥ 0.

use ::csv::{QuoteStyle, Terminator, WriterBuilder};
use vigie_domain::stats::Table;

use crate::Context;
use crate::cells::{
    Cell, SUPPRESSED, TOTAL, column_heading, column_total, french_number, neutralised, row_total,
    total_heading,
};

/// The UTF-8 byte-order mark: Excel reads a CSV file without it as Windows-1252.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The dashboard `tables`, with its context above them, as one CSV file (see the module
/// documentation for the layout).
pub fn tables_csv(ctx: &Context, tables: &[Table]) -> Vec<u8> {
    let mut records = context_records(ctx);
    for table in tables {
        records.extend(table_records(table));
    }
    // Writing into a `Vec<u8>` cannot fail (its `io::Write` never errors, and a record of
    // strings has nothing else that could), so the empty fallback is never taken.
    encode(&records).unwrap_or_default()
}

/// One line of the file: its cells, already as text (an empty line has no cell).
type Record = Vec<String>;

/// A text cell, neutralised against formula injection.
fn text(s: &str) -> String {
    neutralised(s).into_owned()
}

/// A figure as written in a cell (never neutralised: it is a number or `< 5`).
fn figure(cell: Cell) -> String {
    match cell {
        Cell::Integer(n) => n.to_string(),
        Cell::Decimal(v) | Cell::Percent(v) => french_number(v),
        Cell::Suppressed => SUPPRESSED.to_owned(),
        Cell::Empty => String::new(),
    }
}

/// The export's title, its filters, when it was generated, its note and a blank line.
fn context_records(ctx: &Context) -> Vec<Record> {
    let mut records = vec![vec![text(ctx.title)]];
    for (name, value) in ctx.filters {
        records.push(vec![text(name), text(value)]);
    }
    records.push(vec![text("Généré le"), text(ctx.generated)]);
    if let Some(note) = ctx.note {
        records.push(vec![text("Note"), text(note)]);
    }
    records.push(Vec::new());
    records
}

/// One table: its title, heading, rows, totals, note and a blank line.
fn table_records(table: &Table) -> Vec<Record> {
    let columns = table.columns.items.len();
    let has_row_totals = table.row_totals.is_some();

    let mut heading = vec![text(&table.rows.label)];
    heading.extend((0..columns).map(|c| text(&column_heading(table, c))));
    if has_row_totals {
        heading.push(text(&total_heading(table)));
    }
    let mut records = vec![vec![text(&table.title)], heading];

    for (r, row) in table.rows.items.iter().enumerate() {
        let mut record = vec![text(&row.label)];
        record.extend((0..columns).map(|c| figure(Cell::of(table.get(r, c)))));
        if has_row_totals {
            record.push(figure(Cell::of(row_total(table, r))));
        }
        records.push(record);
    }

    if table.column_totals.is_some() {
        let mut record = vec![text(TOTAL)];
        record.extend((0..columns).map(|c| figure(Cell::of(column_total(table, c)))));
        if has_row_totals {
            let grand = table.total.unwrap_or(vigie_domain::stats::Value::Empty);
            record.push(figure(Cell::of(grand)));
        }
        records.push(record);
    }
    if let Some(note) = &table.note {
        records.push(vec![text(note)]);
    }
    records.push(Vec::new());
    records
}

/// The records as CSV bytes: BOM, `;`, CRLF, quotes only where needed. An empty record
/// is an empty line (the csv crate would write it `""`), so each record gets a writer of
/// its own, appending to the same bytes.
fn encode(records: &[Record]) -> Result<Vec<u8>, ::csv::Error> {
    let mut builder = WriterBuilder::new();
    builder
        .delimiter(b';')
        .terminator(Terminator::CRLF)
        .quote_style(QuoteStyle::Necessary);
    let mut out = BOM.to_vec();
    for record in records {
        if record.is_empty() {
            out.extend_from_slice(b"\r\n");
            continue;
        }
        let mut writer = builder.from_writer(&mut out);
        writer.write_record(record)?;
        writer.flush()?;
    }
    Ok(out)
}
