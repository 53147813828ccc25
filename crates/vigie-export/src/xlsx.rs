//! A dashboard as an XLSX workbook: a first sheet « Filtres » with the export's context,
//! then one sheet per table, named after its title, with a native chart beside the
//! figures where the screen draws one.
//!
//! A table's sheet: its title in A1, the heading on row 2 (bold, the panes frozen under
//! it and right of the row labels), one row per row label, the column totals on a
//! « Total » row, the table's note two rows below. The headings are the CSV's (a unit
//! « (%) » or « (jours) » after a heading whose figures all have it).
//!
//! Figures are numeric cells: a count with the format `0`, days and rates `0.0`, a
//! percent (a number 0–100, not a fraction) `0.0" %"`, all rounded to one decimal as
//! on the screen. A hidden count is the text `< 5`, no value a blank cell. In a chart,
//! Excel plots a `< 5` as zero.
//!
//! Formula injection: every text (title, filters, labels, notes) is written with
//! [`Worksheet::write_string_with_format`], never with the generic `Worksheet::write`
//! (which stores a `&str` as a string today, but whose choice of cell type is the
//! library's), so it is a string cell and no formula, whatever it starts with; a text
//! that looks like a formula
//! (`=`, `+`, `-`, `@`, tab, carriage return) also gets Excel's quote prefix, so that
//! editing the cell in Excel keeps it a text. A chart's title and series names are
//! references to those cells, never texts that rust_xlsxwriter would parse.
//!
//! The output is deterministic: the document's creation date is a fixed 1 January 1980
//! (the date of the zip entries inside), never today's; when the figures were computed is
//! said on the « Filtres » sheet, from the caller's context.

use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartType, ColNum, DocProperties, ExcelDateTime, Format, FormatAlign,
    RowNum, Workbook, Worksheet, XlsxError,
};
use vigie_domain::stats::{ChartKind, Table, Value};

use crate::cells::{
    Cell, SUPPRESSED, TOTAL, column_heading, column_total, is_formula_like, row_total,
    total_heading,
};
use crate::{Context, ExportError};

/// The first sheet's name.
const FILTERS_SHEET: &str = "Filtres";
/// Excel's longest sheet name, in UTF-16 code units.
const MAX_SHEET_NAME: usize = 31;
/// Characters Excel refuses in a sheet name.
const FORBIDDEN: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];

/// On a table's sheet: the title's row, the heading's row, the first row of figures.
const TITLE_ROW: RowNum = 0;
const HEADING_ROW: RowNum = 1;
const FIRST_ROW: RowNum = 2;

/// The dashboard `tables`, with its context on a first sheet, as one XLSX workbook (see
/// the module documentation for the layout).
pub fn tables_xlsx(ctx: &Context, tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    // A fixed creation date: the same input gives the same bytes, whatever the day.
    let created = ExcelDateTime::from_ymd(1980, 1, 1)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(ctx.title)
            .set_creation_datetime(&created),
    );
    let styles = Styles::new();
    let mut names = SheetNames::default();
    workbook.push_worksheet(context_sheet(ctx, &names.unique(FILTERS_SHEET), &styles)?);
    for table in tables {
        let name = names.unique(&table.title);
        workbook.push_worksheet(table_sheet(table, &name, &styles)?);
    }
    Ok(workbook.save_to_buffer()?)
}

/// The cell formats of the workbook.
struct Styles {
    title: Format,
    bold: Format,
    heading: Format,
    text: Format,
    note: Format,
    count: Format,
    decimal: Format,
    percent: Format,
    suppressed: Format,
}

impl Styles {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(13),
            bold: Format::new().set_bold(),
            heading: Format::new().set_bold().set_text_wrap(),
            text: Format::new(),
            note: Format::new().set_italic(),
            count: Format::new().set_num_format("0"),
            decimal: Format::new().set_num_format("0.0"),
            percent: Format::new().set_num_format("0.0\" %\""),
            suppressed: Format::new().set_align(FormatAlign::Right),
        }
    }
}

/// Writes a text as a string cell. Every text of the workbook goes through here, never
/// through `Worksheet::write` (which would take `=…` for a formula): `write_string…`
/// stores it as a string, and a formula-like text also gets the quote prefix.
fn write_text(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if is_formula_like(text) {
        let quoted = format.clone().set_quote_prefix();
        sheet.write_string_with_format(row, col, text, &quoted)?;
    } else {
        sheet.write_string_with_format(row, col, text, format)?;
    }
    Ok(())
}

/// Writes a value as a numeric cell (`< 5` as a text, nothing as a blank).
fn write_value(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: Value,
    styles: &Styles,
) -> Result<(), XlsxError> {
    match Cell::of(value) {
        // Counts stay below 2^53: exact as an f64.
        Cell::Integer(n) => sheet.write_number_with_format(row, col, n as f64, &styles.count)?,
        Cell::Decimal(v) => sheet.write_number_with_format(row, col, v, &styles.decimal)?,
        Cell::Percent(v) => sheet.write_number_with_format(row, col, v, &styles.percent)?,
        Cell::Suppressed => {
            sheet.write_string_with_format(row, col, SUPPRESSED, &styles.suppressed)?
        }
        Cell::Empty => return Ok(()),
    };
    Ok(())
}

/// A row or column index as rust_xlsxwriter's, or an error when the workbook cannot
/// hold it.
fn row_num(i: usize) -> Result<RowNum, XlsxError> {
    RowNum::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)
}

fn col_num(i: usize) -> Result<ColNum, XlsxError> {
    ColNum::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)
}

/// A column width for texts of `chars` characters, between `min` and `max`.
fn width(chars: usize, min: usize, max: usize) -> f64 {
    (chars + 2).clamp(min, max) as f64
}

/// The « Filtres » sheet: the export's title, its filters, when it was generated, its note.
fn context_sheet(ctx: &Context, name: &str, styles: &Styles) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    write_text(&mut sheet, 0, 0, ctx.title, &styles.title)?;
    let mut lines: Vec<(&str, &str)> = ctx
        .filters
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    lines.push(("Généré le", ctx.generated));
    if let Some(note) = ctx.note {
        lines.push(("Note", note));
    }
    for (i, (label, value)) in lines.iter().enumerate() {
        let row = row_num(i + 2)?;
        write_text(&mut sheet, row, 0, label, &styles.bold)?;
        write_text(&mut sheet, row, 1, value, &styles.text)?;
    }
    let labels = lines.iter().map(|l| l.0.chars().count()).max();
    let values = lines.iter().map(|l| l.1.chars().count()).max();
    sheet.set_column_width(0, width(labels.unwrap_or(0), 12, 40))?;
    sheet.set_column_width(1, width(values.unwrap_or(0), 20, 80))?;
    Ok(sheet)
}

/// A table's sheet: title, heading, rows, totals, note, and its chart.
fn table_sheet(table: &Table, name: &str, styles: &Styles) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    write_text(&mut sheet, TITLE_ROW, 0, &table.title, &styles.title)?;
    let columns = table.columns.items.len();
    let rows = table.rows.items.len();
    let total_col = col_num(columns + 1)?;

    write_text(
        &mut sheet,
        HEADING_ROW,
        0,
        &table.rows.label,
        &styles.heading,
    )?;
    for c in 0..columns {
        let heading = column_heading(table, c);
        write_text(
            &mut sheet,
            HEADING_ROW,
            col_num(c + 1)?,
            &heading,
            &styles.heading,
        )?;
    }
    if table.row_totals.is_some() {
        let heading = total_heading(table);
        write_text(
            &mut sheet,
            HEADING_ROW,
            total_col,
            &heading,
            &styles.heading,
        )?;
    }

    for (r, label) in table.rows.items.iter().enumerate() {
        let row = FIRST_ROW + row_num(r)?;
        write_text(&mut sheet, row, 0, &label.label, &styles.text)?;
        for c in 0..columns {
            write_value(&mut sheet, row, col_num(c + 1)?, table.get(r, c), styles)?;
        }
        if table.row_totals.is_some() {
            write_value(&mut sheet, row, total_col, row_total(table, r), styles)?;
        }
    }

    let mut next_row = FIRST_ROW + row_num(rows)?;
    if table.column_totals.is_some() {
        write_text(&mut sheet, next_row, 0, TOTAL, &styles.bold)?;
        for c in 0..columns {
            write_value(
                &mut sheet,
                next_row,
                col_num(c + 1)?,
                column_total(table, c),
                styles,
            )?;
        }
        if table.row_totals.is_some() {
            let grand = table.total.unwrap_or(Value::Empty);
            write_value(&mut sheet, next_row, total_col, grand, styles)?;
        }
        next_row += 1;
    }
    if let Some(note) = &table.note {
        write_text(&mut sheet, next_row + 1, 0, note, &styles.note)?;
    }

    set_widths(&mut sheet, table)?;
    sheet.set_freeze_panes(FIRST_ROW, 1)?;
    if let Some(chart) = chart(table, name)? {
        // To the right of the figures, one empty column between.
        let right = col_num(columns + usize::from(table.row_totals.is_some()) + 2)?;
        sheet.insert_chart(HEADING_ROW, right, &chart)?;
    }
    Ok(sheet)
}

/// Column A as wide as the row labels, the figures' columns as their headings.
fn set_widths(sheet: &mut Worksheet, table: &Table) -> Result<(), XlsxError> {
    let labels = table.rows.items.iter().map(|l| l.label.chars().count());
    let first = labels
        .chain([table.rows.label.chars().count(), TOTAL.len()])
        .max()
        .unwrap_or(0);
    sheet.set_column_width(0, width(first, 12, 50))?;
    let mut headings: Vec<String> = (0..table.columns.items.len())
        .map(|c| column_heading(table, c))
        .collect();
    if table.row_totals.is_some() {
        headings.push(total_heading(table));
    }
    for (c, heading) in headings.iter().enumerate() {
        sheet.set_column_width(col_num(c + 1)?, width(heading.chars().count(), 10, 30))?;
    }
    Ok(())
}

/// The table's native chart (none for `ChartKind::None` or a table without figures):
/// one series per column, the row labels as categories, the totals left out.
fn chart(table: &Table, sheet: &str) -> Result<Option<Chart>, XlsxError> {
    let kind = match table.chart {
        ChartKind::Columns => ChartType::Column,
        ChartKind::Bars => ChartType::Bar,
        ChartKind::None => return Ok(None),
    };
    let (rows, columns) = (table.rows.items.len(), table.columns.items.len());
    if rows == 0 || columns == 0 {
        return Ok(None);
    }
    let last_row = FIRST_ROW + row_num(rows - 1)?;
    let mut chart = Chart::new(kind);
    // The title cell, not the title as a text (which could be parsed as a reference).
    chart.title().set_name((sheet, TITLE_ROW, 0));
    for c in 1..=col_num(columns)? {
        chart
            .add_series()
            .set_name((sheet, HEADING_ROW, c))
            .set_categories((sheet, FIRST_ROW, 0, last_row, 0))
            .set_values((sheet, FIRST_ROW, c, last_row, c));
    }
    if columns == 1 {
        chart.legend().set_hidden();
    }
    chart.set_width(600);
    if kind == ChartType::Bar {
        // The first row on top, as on the screen, the values' axis still at the bottom.
        chart
            .y_axis()
            .set_reverse()
            .set_crossing(ChartAxisCrossing::Max);
        let height = (rows * 24 + 120).clamp(288, 1200);
        chart.set_height(u32::try_from(height).unwrap_or(1200));
    }
    Ok(Some(chart))
}

/// The sheet names given so far, to keep each one unique (Excel compares them without
/// regard to case).
#[derive(Debug, Default)]
struct SheetNames {
    taken: Vec<String>,
}

impl SheetNames {
    /// A sheet name for `title` under Excel's rules: none of `[]:*?/\` (replaced by `-`),
    /// no control character, no apostrophe at either end, at most 31 UTF-16 units, not
    /// the reserved « History », and unique: a second « Délais » becomes « Délais (2) ».
    fn unique(&mut self, title: &str) -> String {
        let base = sheet_base(title);
        let mut n = 1_usize;
        loop {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!(" ({n})")
            };
            let room = MAX_SHEET_NAME - suffix.encode_utf16().count();
            let candidate = format!("{}{suffix}", trim_name(truncate_utf16(&base, room)));
            let key = candidate.to_lowercase();
            if key != "history" && !self.taken.contains(&key) {
                self.taken.push(key);
                return candidate;
            }
            n += 1;
        }
    }
}

/// The title with the forbidden characters replaced, spaces collapsed, trimmed; « Tableau »
/// when nothing is left.
fn sheet_base(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| match c {
            c if FORBIDDEN.contains(&c) => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    match trim_name(&collapsed) {
        "" => "Tableau".to_owned(),
        name => name.to_owned(),
    }
}

/// Without spaces or apostrophes at either end (Excel refuses a name that starts or ends
/// with an apostrophe).
fn trim_name(name: &str) -> &str {
    name.trim_matches(|c: char| c == '\'' || c.is_whitespace())
}

/// The longest start of `s` that holds in `max` UTF-16 code units.
fn truncate_utf16(s: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..i];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_follow_excel_rules() {
        let mut names = SheetNames::default();
        assert_eq!(names.unique(FILTERS_SHEET), "Filtres");
        assert_eq!(names.unique("filtres"), "filtres (2)");
        assert_eq!(names.unique("a/b [c]: *?\\"), "a-b -c-- ---");
        assert_eq!(names.unique("'Délais'"), "Délais");
        assert_eq!(names.unique("  \t "), "Tableau");
        assert_eq!(names.unique("History"), "History (2)");
        let long = "Informations préoccupantes par mois et par territoire";
        let first = names.unique(long);
        let second = names.unique(long);
        assert_eq!(first, "Informations préoccupantes par");
        assert_eq!(second, "Informations préoccupantes (2)");
        for name in [&first, &second] {
            assert!(name.encode_utf16().count() <= MAX_SHEET_NAME, "{name}");
        }
        // An emoji counts twice.
        assert_eq!(truncate_utf16("ab😀c", 3), "ab");
    }
}
