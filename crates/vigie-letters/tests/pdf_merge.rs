//! Concatenating PDF letters for printing: pages in the order given, each letter's pages in
//! order, page size and fonts kept; an unreadable letter is named by its place in the batch.
//! Inputs are built here with lopdf (one with its page attributes inherited from the page tree,
//! as LibreOffice writes them) and, when LibreOffice is installed, converted by it.

use std::process::Command;
use std::time::Duration;

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use serde_json::json;
use vigie_letters::{Format, LetterError, PdfPool, PdfSettings, Template, merge_pdfs};

const A4: [i64; 4] = [0, 0, 595, 842];
const US_LETTER: [i64; 4] = [0, 0, 612, 792];

/// A PDF of `pages` pages, page n showing « Lettre {letter} page {n} » in Helvetica. With
/// `inherited`, the page size and resources sit on the page tree's root, not on each page.
fn letter_pdf(letter: &str, pages: usize, media_box: [i64; 4], inherited: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let media_box: Vec<Object> = media_box.into_iter().map(Object::from).collect();
    let mut kids = Vec::new();
    for n in 1..=pages {
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 14.into()]),
                Operation::new("Td", vec![72.into(), 700.into()]),
                Operation::new(
                    "Tj",
                    vec![Object::string_literal(format!("Lettre {letter} page {n}"))],
                ),
                Operation::new("ET", vec![]),
            ],
        };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let mut page =
            dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content_id };
        if !inherited {
            page.set("Resources", resources_id);
            page.set("MediaBox", media_box.clone());
        }
        kids.push(Object::Reference(doc.add_object(page)));
    }
    let mut root = dictionary! { "Type" => "Pages", "Count" => pages as i64, "Kids" => kids };
    if inherited {
        root.set("Resources", resources_id);
        root.set("MediaBox", media_box);
    }
    doc.objects.insert(pages_id, Object::Dictionary(root));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn page_texts(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).unwrap();
    let count = doc.get_pages().len() as u32;
    (1..=count)
        .map(|n| doc.extract_text(&[n]).unwrap().trim().to_owned())
        .collect()
}

/// Each page's own MediaBox, rounded to whole points.
fn media_boxes(pdf: &[u8]) -> Vec<[i64; 4]> {
    let doc = Document::load_mem(pdf).unwrap();
    doc.page_iter()
        .map(|id| {
            let page = doc.get_dictionary(id).unwrap();
            let values = page.get(b"MediaBox").unwrap().as_array().unwrap();
            let round = |o: &Object| o.as_float().unwrap().round() as i64;
            <[i64; 4]>::try_from(values.iter().map(round).collect::<Vec<_>>()).unwrap()
        })
        .collect()
}

/// The program's path on the PATH, if any.
fn on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The text pdftotext reads in `pdf`, or `None` (with a line saying so) when it is not installed.
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let Some(program) = on_path("pdftotext") else {
        println!(
            "pdftotext (poppler-utils) is not installed: the check through poppler is skipped"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merged.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(program).arg(&path).arg("-").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Positions of `needles` in `haystack`, asserting each is found after the one before it.
fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        let at = haystack[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("« {needle} » missing or out of order in:\n{haystack}"));
        from += at + needle.len();
    }
}

#[test]
fn pages_come_in_the_order_given_with_their_own_size_and_fonts() {
    let documents = vec![
        letter_pdf("A", 1, A4, true),
        letter_pdf("B", 2, A4, false),
        letter_pdf("C", 1, US_LETTER, true),
    ];
    let merged = merge_pdfs(&documents).unwrap();
    assert!(merged.starts_with(b"%PDF-1.5"));
    let expected = [
        "Lettre A page 1",
        "Lettre B page 1",
        "Lettre B page 2",
        "Lettre C page 1",
    ];
    assert_eq!(page_texts(&merged), expected);
    assert_eq!(media_boxes(&merged), [A4, A4, A4, US_LETTER]);
    // One page tree, no leftover catalog or page tree of the inputs.
    let doc = Document::load_mem(&merged).unwrap();
    let count = |kind: &[u8]| {
        doc.objects
            .values()
            .filter(|o| o.type_name().is_ok_and(|t| t == kind))
            .count()
    };
    assert_eq!(
        (count(b"Catalog"), count(b"Pages"), count(b"Page")),
        (1, 1, 4)
    );
    if let Some(text) = pdftotext(&merged) {
        assert_in_order(&text, &expected);
        assert_eq!(text.matches('\u{c}').count(), 4, "one form feed per page");
    }
}

#[test]
fn a_single_document_comes_back_whole() {
    let merged = merge_pdfs(&[letter_pdf("A", 3, A4, true)]).unwrap();
    assert_eq!(
        page_texts(&merged),
        ["Lettre A page 1", "Lettre A page 2", "Lettre A page 3"]
    );
}

#[test]
fn an_unreadable_document_is_named_by_its_place() {
    let documents = vec![
        letter_pdf("A", 1, A4, false),
        b"not a pdf".to_vec(),
        letter_pdf("C", 1, A4, false),
    ];
    let err = merge_pdfs(&documents).unwrap_err();
    assert!(
        matches!(err, LetterError::UnreadablePdf { number: 2, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Le PDF n° 2 est illisible : ce n'est pas un document PDF valide."
    );

    for bad in [Vec::new(), b"%PDF-1.7\n%%EOF".to_vec()] {
        let err = merge_pdfs(&[letter_pdf("A", 1, A4, false), bad]).unwrap_err();
        assert!(
            err.to_string().starts_with("Le PDF n° 2 est illisible : "),
            "{err}"
        );
    }
    // Cut short: lopdf 0.47 refuses it; a reader may recover some damage, and then what it
    // keeps must still be a PDF.
    let mut truncated = letter_pdf("B", 1, A4, false);
    truncated.truncate(truncated.len() / 3);
    match merge_pdfs(&[letter_pdf("A", 1, A4, false), truncated]) {
        Err(err) => assert!(
            err.to_string().starts_with("Le PDF n° 2 est illisible : "),
            "{err}"
        ),
        Ok(merged) => assert!(Document::load_mem(&merged).is_ok()),
    }
}

#[test]
fn a_document_without_pages_is_an_error() {
    let mut doc = Document::with_version("1.5");
    let pages_id =
        doc.add_object(dictionary! { "Type" => "Pages", "Count" => 0, "Kids" => vec![] });
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut empty = Vec::new();
    doc.save_to(&mut empty).unwrap();
    let err = merge_pdfs(&[letter_pdf("A", 1, A4, false), empty]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Le PDF n° 2 est illisible : il ne contient aucune page."
    );
}

#[test]
fn an_empty_batch_is_an_error() {
    let err = merge_pdfs(&[]).unwrap_err();
    assert!(matches!(err, LetterError::PdfMerge(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "L'assemblage des PDF a échoué : aucun document à assembler."
    );
}

/// Letters as LibreOffice writes them (fonts embedded as subsets, attributes inherited from the
/// page tree), through the crate's own pool. Skipped without LibreOffice, except in CI.
#[test]
fn letters_converted_by_libreoffice_merge_in_order() {
    if on_path("soffice").is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "LibreOffice (soffice) is needed in CI: scripts/test.sh installs it"
        );
        println!("LibreOffice (soffice) is not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let settings = PdfSettings {
        program: None,
        workers: 1,
        timeout: Duration::from_secs(120),
        work_dir: dir.path().to_path_buf(),
    };
    let pool = PdfPool::new(&settings).unwrap();
    let template = Template::parse(include_bytes!("fixtures/split-tags.odt")).unwrap();
    let numbers = ["2026-00101", "2026-00102"];
    let pdfs: Vec<Vec<u8>> = numbers
        .iter()
        .map(|numero| {
            let data = json!({
                "aujourdhui": "2026-12-02",
                "dossier": { "numero": numero, "danger_grave": false },
                "enfants": [ { "prenom": "Léa", "nom": "MARTIN", "naissance": "2018-03-01" } ],
                "parent": { "adresse": "Bourges" }
            });
            let odt = template.render(&data, &[]).unwrap();
            pool.convert(&odt, Format::Odt).unwrap()
        })
        .collect();
    let pages: Vec<usize> = pdfs
        .iter()
        .map(|pdf| Document::load_mem(pdf).unwrap().get_pages().len())
        .collect();
    let merged = merge_pdfs(&pdfs).unwrap();
    let doc = Document::load_mem(&merged).unwrap();
    assert_eq!(doc.get_pages().len(), pages.iter().sum::<usize>());
    assert!(media_boxes(&merged).iter().all(|b| *b == A4));
    let first_of_second = u32::try_from(pages[0] + 1).unwrap();
    let first = doc.extract_text(&[1]).unwrap();
    let second = doc.extract_text(&[first_of_second]).unwrap();
    assert!(first.contains(numbers[0]), "{first}");
    assert!(second.contains(numbers[1]), "{second}");
    if let Some(text) = pdftotext(&merged) {
        assert_in_order(
            &text,
            &[
                &format!("Dossier n° {}", numbers[0]),
                &format!("Dossier n° {}", numbers[1]),
            ],
        );
    }
}
