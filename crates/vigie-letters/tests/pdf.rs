//! PDF through the LibreOffice pool (installed by the test command): a filled letter converts to
//! an A4 PDF showing its values; conversions beyond the pool's size wait their turn; a conversion
//! past the timeout is killed and the worker is reused.

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use vigie_letters::{Format, PdfPool, PdfSettings, Template};

fn pool(dir: &std::path::Path, timeout: Duration) -> PdfPool {
    let settings = PdfSettings {
        program: None,
        workers: 2,
        timeout,
        work_dir: dir.to_path_buf(),
    };
    assert_eq!(
        vigie_letters::unavailable_reason(&settings),
        None,
        "LibreOffice (soffice) is needed: scripts/test.sh installs it"
    );
    PdfPool::new(&settings).unwrap()
}

fn letter(format: Format, numero: &str) -> Vec<u8> {
    let file: &[u8] = match format {
        Format::Odt => include_bytes!("fixtures/split-tags.odt"),
        Format::Docx => include_bytes!("fixtures/split-tags.docx"),
    };
    let data = json!({
        "aujourdhui": "2026-12-02",
        "dossier": { "numero": numero, "danger_grave": false },
        "enfants": [ { "prenom": "Léa", "nom": "MARTIN", "naissance": "2018-03-01" } ],
        "parent": { "adresse": "Bourges" }
    });
    Template::parse(file).unwrap().render(&data, &[]).unwrap()
}

fn tool(name: &str, pdf: &[u8], dir: &std::path::Path) -> String {
    let path = dir.join(format!("{}.pdf", pdf.len()));
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new(name);
    if name == "pdftotext" {
        cmd.args(["-layout"]).arg(&path).arg("-");
    } else {
        cmd.arg(&path);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|_| panic!("{name} is needed (poppler-utils)"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn letters_convert_to_a4_pdf_in_a_bounded_pool() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(dir.path(), Duration::from_secs(120));
    let jobs: Vec<(Format, String)> = (0..4)
        .map(|i| {
            (
                if i % 2 == 0 {
                    Format::Odt
                } else {
                    Format::Docx
                },
                format!("2026-0000{i}"),
            )
        })
        .collect();
    let pdfs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(format, numero)| {
                let pool = &pool;
                s.spawn(move || pool.convert(&letter(*format, numero), *format).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((_, numero), pdf) in jobs.iter().zip(&pdfs) {
        let text = tool("pdftotext", pdf, dir.path());
        assert!(
            text.contains(&format!("Dossier n° {numero}, le 2 décembre 2026")),
            "{text}"
        );
        assert!(text.contains("Léa MARTIN"), "{text}");
        assert!(!text.contains("{{") && !text.contains("{%"), "{text}");
        let info = tool("pdfinfo", pdf, dir.path());
        assert!(info.contains("(A4)"), "{info}");
    }
}

#[test]
fn a_conversion_past_the_timeout_is_killed_and_the_worker_reused() {
    let dir = tempfile::tempdir().unwrap();
    let short = pool(dir.path(), Duration::from_millis(1));
    let err = short
        .convert(&letter(Format::Odt, "1"), Format::Odt)
        .unwrap_err();
    assert!(
        err.to_string().contains("n'a pas répondu en 0 secondes"),
        "{err}"
    );
    let err = short.convert(b"not a document", Format::Odt).unwrap_err();
    assert!(
        err.to_string().starts_with("La conversion en PDF a échoué"),
        "{err}"
    );
    let long = pool(dir.path(), Duration::from_secs(120));
    let pdf = long
        .convert(&letter(Format::Odt, "2"), Format::Odt)
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
}

#[test]
fn several_letters_convert_with_one_process_in_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(dir.path(), Duration::from_secs(120));
    let letters: Vec<Vec<u8>> = (1..=3)
        .map(|i| letter(Format::Docx, &format!("2026-00010{i}")))
        .collect();
    let refs: Vec<&[u8]> = letters.iter().map(Vec::as_slice).collect();
    let pdfs = pool.convert_all(&refs, Format::Docx).unwrap();
    assert_eq!(pdfs.len(), 3);
    for (i, pdf) in (1..=3).zip(&pdfs) {
        let text = tool("pdftotext", pdf, dir.path());
        assert!(
            text.contains(&format!("Dossier n° 2026-00010{i},")),
            "{text}"
        );
    }
    assert!(pool.convert_all(&[], Format::Odt).unwrap().is_empty());
}
