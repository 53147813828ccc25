//! Templates really saved by LibreOffice (ODT, and the DOCX it exports): tags cut by formatting
//! spans, runs and bookmarks are filled, the loop repeats table rows, values are escaped.

mod common;

use serde_json::json;
use vigie_letters::{Format, Template, document_text};

fn data() -> serde_json::Value {
    json!({
        "aujourdhui": "2026-12-02",
        "dossier": { "numero": "2026-00042", "danger_grave": true },
        "enfants": [
            { "prenom": "Léa", "nom": "MARTIN", "naissance": "2018-03-01" },
            { "prenom": "Tom", "nom": "MARTIN", "naissance": "2021-11-20" },
            { "prenom": "Noé", "nom": "MARTIN", "naissance": "2025-06-10" }
        ],
        "parent": { "adresse": "3 rue des Lilas & cie\n18000 Bourges" }
    })
}

const EXPECTED: &str = "Dossier n° 2026-00042, le 2 décembre 2026
Enfants : Léa, Tom et Noé.
Danger grave et immédiat.
Prénom
Âge
Léa MARTIN
8 ans
Tom MARTIN
5 ans
Noé MARTIN
1 an
Adresse : 3 rue des Lilas & cie
18000 Bourges
";

fn filled_text(file: &[u8], format: Format) -> String {
    let template = Template::parse(file).unwrap();
    assert_eq!(template.format(), format);
    let out = template.render(&data(), &[]).unwrap();
    // The filled document is itself a valid package of the same format, with no tag left.
    let again = Template::parse(&out).unwrap();
    assert!(again.fields().is_empty());
    document_text(&out).unwrap()
}

fn lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn an_odt_saved_by_libreoffice() {
    let text = filled_text(include_bytes!("fixtures/split-tags.odt"), Format::Odt);
    assert_eq!(lines(&text), EXPECTED);
}

#[test]
fn the_docx_libreoffice_exports() {
    let text = filled_text(include_bytes!("fixtures/split-tags.docx"), Format::Docx);
    assert_eq!(lines(&text), EXPECTED);
}
