//! The CSV and XLSX exports read back: by the csv crate, by calamine, and as a zip.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use vigie_domain::stats::{Axis, ChartKind, Label, Table, Value};
use vigie_export::{Context, tables_csv, tables_xlsx};

const FORMULA: &str = "=HYPERLINK(\"http://x\")";
const PHONE: &str = "+33 6 12 34 56 78";
const LONG_TITLE: &str = "Informations préoccupantes / mois et territoire";

fn axis(code: &str, label: &str, items: &[&str]) -> Axis {
    Axis {
        code: code.to_owned(),
        label: label.to_owned(),
        items: items
            .iter()
            .enumerate()
            .map(|(i, l)| Label::new(format!("{code}{i}"), *l))
            .collect(),
    }
}

/// Counts with both margins, a hidden cell and formula-like labels.
fn counts(title: &str, chart: ChartKind) -> Table {
    use Value::{Count, Suppressed};
    Table {
        key: "ip_par_mois".to_owned(),
        title: title.to_owned(),
        measure: "Informations préoccupantes".to_owned(),
        rows: axis("mois", "Mois", &["janvier", FORMULA, PHONE]),
        columns: axis("territoire", "Territoire", &["Nord", "-1", "@SUM(A1)"]),
        cells: vec![
            vec![Count(12), Suppressed, Count(12345)],
            vec![Count(7), Count(20), Count(0)],
            vec![Count(30), Count(5), Count(6)],
        ],
        row_totals: Some(vec![Suppressed, Count(27), Count(41)]),
        column_totals: Some(vec![Count(49), Suppressed, Count(12351)]),
        total: Some(Suppressed),
        chart,
        note: Some("Les effectifs de 1 à 4 sont masqués (« < 5 »).".to_owned()),
    }
}

/// Delays in days, a percent column, no margins, no chart.
fn delays() -> Table {
    Table {
        key: "delais".to_owned(),
        title: "Délais de traitement".to_owned(),
        measure: "Délai".to_owned(),
        rows: axis("territoire", "Territoire", &["Nord", "Sud"]),
        columns: axis("mesure", "Mesure", &["Délai médian", "Part traitée"]),
        cells: vec![
            vec![Value::Days(12.5), Value::Percent(80.0)],
            vec![Value::Empty, Value::Percent(33.333)],
        ],
        row_totals: None,
        column_totals: None,
        total: None,
        chart: ChartKind::None,
        note: None,
    }
}

fn filters() -> Vec<(String, String)> {
    vec![
        ("Période".to_owned(), "janvier 2026".to_owned()),
        ("Territoire".to_owned(), "=1+1".to_owned()),
    ]
}

fn context(filters: &[(String, String)]) -> Context<'_> {
    Context {
        title: "Tableau de bord — IP",
        filters,
        generated: "4 décembre 2026 à 14:05",
        note: Some("Source : Vigie"),
    }
}

fn dashboard() -> Vec<Table> {
    vec![
        counts(LONG_TITLE, ChartKind::Columns),
        counts(LONG_TITLE, ChartKind::Bars),
        delays(),
    ]
}

// ---------------------------------------------------------------------------------------
// CSV

fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn row<'a>(records: &'a [Vec<String>], first: &str) -> &'a [String] {
    records
        .iter()
        .find(|r| r.first().map(String::as_str) == Some(first))
        .unwrap_or_else(|| panic!("no line starting with {first:?}"))
}

#[test]
fn csv_is_for_french_spreadsheets() {
    let filters = filters();
    let bytes = tables_csv(&context(&filters), &dashboard());
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.ends_with("\r\n"));
    for (i, line) in text.split('\n').enumerate() {
        if i + 1 < text.split('\n').count() {
            assert!(line.ends_with('\r'), "line {i} without CRLF: {line:?}");
        }
    }
    assert!(!text.contains('\u{202f}'), "a thousands separator");

    let records = csv_records(&bytes);
    assert_eq!(records[0], ["Tableau de bord — IP"]);
    assert_eq!(records[1], ["Période", "janvier 2026"]);
    assert_eq!(records[2], ["Territoire", "'=1+1"]);
    assert_eq!(records[3], ["Généré le", "4 décembre 2026 à 14:05"]);
    assert_eq!(records[4], ["Note", "Source : Vigie"]);
    assert_eq!(records[5], [LONG_TITLE]);
    // The blank line after the context.
    assert!(text.contains("Source : Vigie\r\n\r\nInformations"));

    // Heading: row axis, the columns (neutralised), Total.
    assert_eq!(records[6], ["Mois", "Nord", "'-1", "'@SUM(A1)", "Total"]);
    assert_eq!(
        row(&records, "janvier"),
        ["janvier", "12", "< 5", "12345", "< 5"]
    );
    let formula = format!("'{FORMULA}");
    assert_eq!(
        row(&records, &formula),
        [formula.as_str(), "7", "20", "0", "27"]
    );
    let phone = format!("'{PHONE}");
    assert_eq!(row(&records, &phone)[1..], ["30", "5", "6", "41"]);
    assert_eq!(
        row(&records, "Total"),
        ["Total", "49", "< 5", "12351", "< 5"]
    );
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "quoted as needed"
    );
    // Counts are plain integers.
    assert_eq!(row(&records, "janvier")[3].parse::<u64>().unwrap(), 12345);
    // The note after the table.
    assert_eq!(
        records[11],
        ["Les effectifs de 1 à 4 sont masqués (« < 5 »)."]
    );

    // Days and percents: a decimal comma, the unit in the heading, empty for nothing.
    let at = records
        .iter()
        .position(|r| r == &["Délais de traitement"])
        .unwrap();
    assert_eq!(
        records[at + 1],
        ["Territoire", "Délai médian (jours)", "Part traitée (%)"]
    );
    assert_eq!(records[at + 2], ["Nord", "12,5", "80"]);
    assert_eq!(records[at + 3], ["Sud", "", "33,3"]);
    assert_eq!(records.len(), at + 4, "no totals, no note");
    // No text cell starts with a formula character.
    for record in &records {
        for cell in record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// XLSX

fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
}

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect()
}

fn zip_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn xlsx_bytes() -> Vec<u8> {
    let filters = filters();
    tables_xlsx(&context(&filters), &dashboard()).unwrap()
}

#[test]
fn xlsx_sheets_are_named_by_excel_rules() {
    let names = workbook(&xlsx_bytes()).sheet_names();
    assert_eq!(
        names,
        [
            "Filtres",
            "Informations préoccupantes - mo",
            "Informations préoccupantes (2)",
            "Délais de traitement",
        ]
    );
}

#[test]
fn xlsx_context_sheet() {
    let mut book = workbook(&xlsx_bytes());
    let range = book.worksheet_range("Filtres").unwrap();
    let text = |r, c| range.get_value((r, c)).cloned();
    assert_eq!(
        text(0, 0),
        Some(Data::String("Tableau de bord — IP".into()))
    );
    assert_eq!(text(2, 0), Some(Data::String("Période".into())));
    assert_eq!(text(2, 1), Some(Data::String("janvier 2026".into())));
    assert_eq!(text(3, 1), Some(Data::String("=1+1".into())));
    assert_eq!(
        text(4, 1),
        Some(Data::String("4 décembre 2026 à 14:05".into()))
    );
    assert_eq!(text(5, 1), Some(Data::String("Source : Vigie".into())));
    assert!(book.worksheet_formula("Filtres").unwrap().is_empty());
}

fn number(data: Option<&Data>) -> f64 {
    match data {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn xlsx_cells_are_numbers_and_texts() {
    let mut book = workbook(&xlsx_bytes());
    let sheet = "Informations préoccupantes - mo";
    let range = book.worksheet_range(sheet).unwrap();
    let cell = |r, c| range.get_value((r, c));
    assert_eq!(cell(0, 0), Some(&Data::String(LONG_TITLE.into())));
    let heading: Vec<_> = (0..5).map(|c| cell(1, c).cloned()).collect();
    let strings = ["Mois", "Nord", "-1", "@SUM(A1)", "Total"].map(|s| Some(Data::String(s.into())));
    assert_eq!(heading, strings);
    assert_eq!(number(cell(2, 1)), 12.0);
    assert_eq!(cell(2, 2), Some(&Data::String("< 5".into())));
    assert_eq!(number(cell(2, 3)), 12345.0);
    assert_eq!(cell(3, 0), Some(&Data::String(FORMULA.into())));
    assert_eq!(cell(4, 0), Some(&Data::String(PHONE.into())));
    assert_eq!(number(cell(4, 4)), 41.0);
    assert_eq!(cell(5, 0), Some(&Data::String("Total".into())));
    assert_eq!(number(cell(5, 3)), 12351.0);
    assert_eq!(cell(5, 4), Some(&Data::String("< 5".into())));
    // No cell of the workbook is a formula.
    for name in book.sheet_names() {
        let formulas = book.worksheet_formula(&name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name}"
        );
    }

    let range = book.worksheet_range("Délais de traitement").unwrap();
    let cell = |r, c| range.get_value((r, c));
    assert_eq!(
        cell(1, 1),
        Some(&Data::String("Délai médian (jours)".into()))
    );
    assert_eq!(number(cell(2, 1)), 12.5);
    assert_eq!(number(cell(2, 2)), 80.0);
    assert_eq!(number(cell(3, 2)), 33.3);
    assert!(matches!(cell(3, 1), None | Some(Data::Empty)));
}

/// The control of the test above: a formula written on purpose is seen as one.
#[test]
fn calamine_sees_a_real_formula() {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_formula(0, 0, FORMULA).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let formulas = workbook(&bytes).worksheet_formula("Sheet1").unwrap();
    assert!(formulas.used_cells().any(|(_, _, f)| !f.is_empty()));
}

#[test]
fn xlsx_formats_and_quote_prefix() {
    let bytes = xlsx_bytes();
    let styles = zip_part(&bytes, "xl/styles.xml");
    assert!(styles.contains("formatCode=\"0.0\""), "{styles}");
    assert!(
        styles.contains("formatCode=\"0.0&quot; %&quot;\""),
        "{styles}"
    );
    assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
    let sheet = zip_part(&bytes, "xl/worksheets/sheet2.xml");
    assert!(sheet.contains("<pane xSplit=\"1\" ySplit=\"2\""), "{sheet}");
}

#[test]
fn xlsx_native_charts() {
    let bytes = xlsx_bytes();
    let names = zip_names(&bytes);
    let charts: Vec<_> = names
        .iter()
        .filter(|n| n.starts_with("xl/charts/"))
        .collect();
    assert_eq!(charts, ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]);
    let columns = zip_part(&bytes, "xl/charts/chart1.xml");
    assert!(columns.contains("<c:barDir val=\"col\"/>"));
    assert_eq!(columns.matches("<c:ser>").count(), 3);
    assert!(columns.contains("'Informations préoccupantes - mo'!$A$1"));
    assert!(columns.contains("'Informations préoccupantes - mo'!$A$3:$A$5"));
    let bars = zip_part(&bytes, "xl/charts/chart2.xml");
    assert!(bars.contains("<c:barDir val=\"bar\"/>"));
    // The sheets with a chart have a drawing, the others none.
    assert!(names.contains(&"xl/drawings/drawing2.xml".to_owned()));
    assert!(!names.contains(&"xl/drawings/drawing3.xml".to_owned()));

    // A table without a chart: no chart at all.
    let filters = filters();
    let bytes = tables_xlsx(&context(&filters), &[delays()]).unwrap();
    assert!(
        !zip_names(&bytes)
            .iter()
            .any(|n| n.starts_with("xl/charts/"))
    );
}

#[test]
fn xlsx_is_deterministic() {
    let first = xlsx_bytes();
    let second = xlsx_bytes();
    assert!(first == second, "two exports of the same input differ");
    let core = zip_part(&first, "docProps/core.xml");
    assert!(core.contains("1980-01-01T00:00:00Z"), "{core}");
    assert!(
        core.contains("<dc:title>Tableau de bord — IP</dc:title>"),
        "{core}"
    );
}

#[test]
fn empty_dashboard() {
    let filters = Vec::new();
    let ctx = Context {
        title: "Vide",
        filters: &filters,
        generated: "aujourd'hui",
        note: None,
    };
    let csv = tables_csv(&ctx, &[]);
    assert_eq!(
        csv,
        b"\xEF\xBB\xBFVide\r\nG\xC3\xA9n\xC3\xA9r\xC3\xA9 le;aujourd'hui\r\n\r\n"
    );
    let bytes = tables_xlsx(&ctx, &[]).unwrap();
    assert_eq!(workbook(&bytes).sheet_names(), ["Filtres"]);
}
