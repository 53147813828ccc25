//! The grouped reminder to a service (`relance-groupee`): its ODT source and its DOCX read the
//! same fields, all of them the reminder's; filled with three overdue dossiers, each format lists
//! each dossier once in its table, with the service's name and no tag left; converted to PDF by
//! LibreOffice, each is A4 and shows the dossiers.

use std::process::Command;
use std::time::Duration;

use chrono::NaiveDate;
use vigie_domain::BirthDate;
use vigie_domain::letters::check::FieldRead;
use vigie_domain::letters::reminder::{self, ReminderChild, ReminderDossier, ReminderInput};
use vigie_domain::letters::sample;
use vigie_letters::{Format, PdfPool, PdfSettings, Template, defaults, document_text};

const NUMBERS: [&str; 3] = ["2026-000042", "2026-000057", "2026-000063"];
const SERVICE: &str = "Service territorial d'action sociale Nord";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn template(format: Format) -> Template {
    let bytes = defaults::template(defaults::GROUPED_REMINDER, format).expect("the template");
    Template::parse(bytes).unwrap_or_else(|e| panic!("{format:?}: {e}"))
}

fn child(first: &str, born: &str) -> ReminderChild {
    ReminderChild {
        first_names: first.into(),
        name: "MARTIN".into(),
        birth: BirthDate::Exact(d(born)),
    }
}

fn dossiers() -> Vec<ReminderDossier> {
    let dossier = |number: &str, received: &str, due: &str, children| ReminderDossier {
        number: number.into(),
        received_on: d(received),
        asked_on: d(received).succ_opt().unwrap(),
        due_on: d(due),
        children,
    };
    vec![
        dossier(
            NUMBERS[0],
            "2026-08-20",
            "2026-11-20",
            vec![child("Léa", "2018-03-01"), child("Tom", "2020-07-14")],
        ),
        dossier(
            NUMBERS[1],
            "2026-08-25",
            "2026-11-25",
            vec![child("Noé", "2024-01-05")],
        ),
        dossier(NUMBERS[2], "2026-08-31", "2026-11-30", vec![]),
    ]
}

fn data(dossiers: &[ReminderDossier]) -> serde_json::Value {
    let service = sample::labels().services[&5].clone();
    assert_eq!(service.name, SERVICE);
    reminder::build(&ReminderInput {
        service: &service,
        letterhead: &sample::letterhead(),
        agent: &sample::agent(),
        today: sample::today(),
        dossiers,
    })
}

fn filled(format: Format, dossiers: &[ReminderDossier]) -> Vec<u8> {
    template(format)
        .render(&data(dossiers), &[])
        .unwrap_or_else(|e| panic!("{format:?}: {e}"))
}

#[test]
fn the_template_is_registered_apart_from_the_dossier_letters() {
    assert_eq!(defaults::GROUPED_REMINDER, reminder::CODE);
    assert!(!defaults::CODES.contains(&defaults::GROUPED_REMINDER));
    assert_eq!(template(Format::Odt).format(), Format::Odt);
    assert_eq!(template(Format::Docx).format(), Format::Docx);
}

#[test]
fn the_odt_and_its_docx_read_the_same_fields_all_known_to_the_reminder() {
    let (odt, docx) = (template(Format::Odt), template(Format::Docx));
    let paths = |t: &Template| t.fields().into_iter().map(|f| f.path).collect::<Vec<_>>();
    assert_eq!(paths(&odt), paths(&docx));
    for t in [&odt, &docx] {
        let fields = t.fields();
        let reads = fields.iter().map(|f| FieldRead {
            path: &f.path,
            context: format!("balise « {} », {}", f.tag, f.location),
        });
        let errors = reminder::check_fields(reads);
        assert!(errors.is_empty(), "{errors:?}");
    }
    let read = paths(&odt);
    for path in ["dossiers[].numero", "dossiers[].enfants", "relance.nombre"] {
        assert!(read.iter().any(|p| p == path), "{path} not read: {read:?}");
    }
    let text = |format| {
        let bytes = defaults::template(defaults::GROUPED_REMINDER, format).unwrap();
        document_text(bytes)
            .unwrap()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(text(Format::Odt), text(Format::Docx));
}

#[test]
fn three_dossiers_fill_both_formats_once_each() {
    for format in [Format::Odt, Format::Docx] {
        let text = document_text(&filled(format, &dossiers())).unwrap();
        assert!(!text.contains("{{") && !text.contains("{%"), "{text}");
        for number in NUMBERS {
            assert_eq!(
                text.matches(number).count(),
                1,
                "{format:?} {number}: {text}"
            );
        }
        for expected in [
            SERVICE,
            "Bourges, le 2 décembre 2026",
            "3 évaluations en retard",
            "des situations suivantes",
            "Léa MARTIN (2018), Tom MARTIN (2020)",
            "Noé MARTIN (2024)",
            "21/08/2026",
            "20/11/2026",
            "Claire DUMAS",
        ] {
            assert!(
                text.contains(expected),
                "{format:?}: « {expected} » in {text}"
            );
        }
        // Days late at 2 December 2026: 12, 7 and 2, the most overdue first.
        let late: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| ["12", "7", "2"].contains(l))
            .collect();
        assert_eq!(late, ["12", "7", "2"], "{format:?}: {text}");
        let first = text.find(NUMBERS[0]).unwrap();
        assert!(first < text.find(NUMBERS[2]).unwrap());
    }
}

#[test]
fn one_dossier_reads_in_the_singular() {
    let one = &dossiers()[..1];
    for format in [Format::Odt, Format::Docx] {
        let text = document_text(&filled(format, one)).unwrap();
        assert!(text.contains("1 évaluation en retard"), "{text}");
        assert!(text.contains("de la situation suivante"), "{text}");
        assert!(text.contains("cette évaluation"), "{text}");
    }
}

#[test]
fn both_formats_print_on_a4_with_the_dossiers() {
    let dir = tempfile::tempdir().unwrap();
    let settings = PdfSettings {
        program: None,
        workers: 2,
        timeout: Duration::from_secs(120),
        work_dir: dir.path().to_path_buf(),
    };
    let pool = PdfPool::new(&settings)
        .expect("LibreOffice (soffice) is needed: scripts/test.sh installs it");
    for format in [Format::Odt, Format::Docx] {
        let pdf = pool.convert(&filled(format, &dossiers()), format).unwrap();
        let path = dir
            .path()
            .join(format!("relance.{}.pdf", format.extension()));
        std::fs::write(&path, pdf).unwrap();
        let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
        for expected in
            NUMBERS
                .iter()
                .copied()
                .chain([SERVICE, "Bourges, le 2 décembre 2026", "20/11/2026"])
        {
            assert!(
                text.contains(expected),
                "{format:?}: « {expected} » missing in {text}"
            );
        }
        assert!(!text.contains("{{") && !text.contains("{%"), "{text}");
        let info = run("pdfinfo", &[path.to_str().unwrap()]);
        assert!(info.contains("(A4)"), "{format:?}: {info}");
    }
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|_| panic!("{program} is needed (poppler-utils)"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
