//! The ten default templates: each ODT source and its DOCX read the same fields and hold the same
//! text; each passes the domain's field check for its recipient; each is filled for every
//! recipient of the sample dossier (three children, parents apart, a confidential source,
//! violences conjugales) without a tag left, and no family letter holds what a family must not
//! learn; converted to PDF by LibreOffice, each is A4 and shows the dossier's values.

use std::process::Command;
use std::time::Duration;

use vigie_domain::letters::check::{FieldRead, check_fields};
use vigie_domain::letters::merge::{LetterInput, Recipient, build, recipients};
use vigie_domain::letters::{LetterKind, sample};
use vigie_letters::{Format, PdfPool, PdfSettings, Template, defaults, document_text};

fn template(kind: LetterKind, format: Format) -> Template {
    Template::parse(defaults::template(kind.code(), format).expect("a default template"))
        .unwrap_or_else(|e| panic!("{}: {e}", kind.code()))
}

/// Letters filled for every recipient of the sample: (kind, recipient, format, bytes).
fn letters(format: Format) -> Vec<(LetterKind, Recipient, Vec<u8>)> {
    let dossier = sample::dossier();
    let (labels, letterhead, agent) = (sample::labels(), sample::letterhead(), sample::agent());
    let mut out = Vec::new();
    for kind in LetterKind::ALL {
        let t = template(kind, format);
        for (recipient, _) in recipients(&kind.into(), &dossier, &[], &labels, &sample::directory())
        {
            let merge = build(&LetterInput {
                letter: &kind.into(),
                dossier: &dossier,
                children: &[],
                recipient: &recipient,
                letterhead: &letterhead,
                agent: &agent,
                labels: &labels,
                today: sample::today(),
                received_on: "2026-11-24".parse().unwrap(),
                can_see_source: true,
            })
            .unwrap();
            let bytes = t
                .render(&merge.value, &[])
                .unwrap_or_else(|e| panic!("{} to {recipient:?}: {e}", kind.code()));
            out.push((kind, recipient, bytes));
        }
    }
    out
}

#[test]
fn every_code_has_its_two_files_and_they_match() {
    assert_eq!(defaults::CODES.len(), 10);
    for kind in LetterKind::ALL {
        assert!(defaults::CODES.contains(&kind.code()));
        let (odt, docx) = (template(kind, Format::Odt), template(kind, Format::Docx));
        assert_eq!(odt.format(), Format::Odt);
        assert_eq!(docx.format(), Format::Docx);
        let paths = |t: &Template| t.fields().into_iter().map(|f| f.path).collect::<Vec<_>>();
        assert_eq!(paths(&odt), paths(&docx), "{}: fields differ", kind.code());
        let text = |format| {
            let bytes = defaults::template(kind.code(), format).unwrap();
            document_text(bytes)
                .unwrap()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            text(Format::Odt),
            text(Format::Docx),
            "{}: text differs",
            kind.code()
        );
    }
}

#[test]
fn every_template_reads_only_fields_its_recipient_may_read() {
    for kind in LetterKind::ALL {
        let t = template(kind, Format::Odt);
        let fields = t.fields();
        let reads = fields.iter().map(|f| FieldRead {
            path: &f.path,
            context: format!("balise « {} », {}", f.tag, f.location),
        });
        let errors = check_fields(kind.recipient(), reads);
        assert!(errors.is_empty(), "{}: {errors:?}", kind.code());
    }
}

#[test]
fn the_check_refuses_a_family_template_reading_the_source() {
    let body = "<text:p>Signalé par {{ signalant.nom }}</text:p>";
    let t = Template::parse(&common_odt(body)).unwrap();
    let fields = t.fields();
    let reads = fields.iter().map(|f| FieldRead {
        path: &f.path,
        context: format!("balise « {} », {}", f.tag, f.location),
    });
    assert_eq!(
        check_fields(LetterKind::InformationParents.recipient(), reads),
        vec![
            "Le champ « signalant.nom » ne peut pas figurer dans un courrier adressé à la famille — \
             balise « {{ signalant.nom }} », paragraphe 1 (corps du document) : « Signalé par {{ signalant.nom }} »"
        ]
    );
}

fn common_odt(body: &str) -> Vec<u8> {
    // The first template, its body replaced.
    let mut t = zip::ZipArchive::new(std::io::Cursor::new(
        defaults::template("01-accuse-reception", Format::Odt).unwrap(),
    ))
    .unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..t.len() {
        let mut f = t.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        if name == "content.xml" {
            let s = String::from_utf8(data).unwrap();
            let start = s.find("<office:text").unwrap();
            let start = start + s[start..].find('>').unwrap() + 1;
            let end = s.find("</office:text>").unwrap();
            data = format!("{}{body}{}", &s[..start], &s[end..]).into_bytes();
        }
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, &data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn other_parent_address(recipient: &Recipient) -> Option<&'static str> {
    match recipient {
        Recipient::Parent(1) => Some("Rue du Père Noël"),
        Recipient::Parent(2) => Some("rue des Lilas"),
        _ => None,
    }
}

#[test]
fn every_letter_fills_and_no_family_letter_tells_what_it_must_not() {
    for format in [Format::Odt, Format::Docx] {
        let letters = letters(format);
        assert_eq!(
            letters.len(),
            13,
            "10 templates, 3 of them to each of two parents"
        );
        for (kind, recipient, bytes) in &letters {
            let text = document_text(bytes).unwrap();
            assert!(
                !text.contains("{{") && !text.contains("{%"),
                "{}: {text}",
                kind.code()
            );
            assert!(text.contains("2026-000042"), "{}: {text}", kind.code());
            assert!(
                text.contains("Bourges, le 2 décembre 2026"),
                "{}: {text}",
                kind.code()
            );
            if kind.recipient().is_family() {
                let other = other_parent_address(recipient).unwrap();
                for forbidden in sample::FAMILY_FORBIDDEN.iter().chain([&other]) {
                    assert!(
                        !text.contains(forbidden),
                        "{} to {recipient:?} holds « {forbidden} »",
                        kind.code()
                    );
                }
            }
        }
    }
}

#[test]
fn every_letter_prints_on_a4_with_the_dossier_values() {
    let dir = tempfile::tempdir().unwrap();
    let settings = PdfSettings {
        program: None,
        workers: 2,
        timeout: Duration::from_secs(120),
        work_dir: dir.path().to_path_buf(),
    };
    let pool = PdfPool::new(&settings)
        .expect("LibreOffice (soffice) is needed: scripts/test.sh installs it");
    let letters = letters(Format::Odt);
    let pdfs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = letters
            .iter()
            .map(|(_, _, bytes)| {
                let pool = &pool;
                s.spawn(move || pool.convert(bytes, Format::Odt).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((kind, recipient, _), pdf) in letters.iter().zip(&pdfs) {
        let path = dir.path().join(format!("{}.pdf", kind.code()));
        std::fs::write(&path, pdf).unwrap();
        let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
        let code = kind.code();
        for expected in [
            "Bourges, le 2 décembre 2026",
            "2026-000042",
            "Léa",
            "Tom",
            "Noé",
        ] {
            assert!(
                text.contains(expected),
                "{code}: « {expected} » missing in {text}"
            );
        }
        if matches!(
            kind,
            LetterKind::DemandeEvaluation | LetterKind::RelanceEvaluation
        ) {
            assert!(
                text.contains("20 novembre 2026"),
                "{code}: due date missing: {text}"
            );
            assert!(
                text.contains("Service territorial d'action sociale Nord"),
                "{code}: {text}"
            );
        }
        if kind.recipient().is_family() {
            let other = other_parent_address(recipient).unwrap();
            for forbidden in sample::FAMILY_FORBIDDEN.iter().chain([&other]) {
                assert!(
                    !text.contains(forbidden),
                    "{code} to {recipient:?} holds « {forbidden} »"
                );
            }
        }
        assert!(
            !text.contains("{{") && !text.contains("{%"),
            "{code}: {text}"
        );
        let info = run("pdfinfo", &[path.to_str().unwrap()]);
        assert!(info.contains("(A4)"), "{code}: {info}");
    }
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|_| panic!("{program} is needed (poppler-utils)"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
