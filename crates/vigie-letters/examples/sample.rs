//! Fills every default template for the sample dossier into a folder, to read them in Word or
//! LibreOffice: `cargo run -p vigie-letters --example sample -- FOLDER`.

use vigie_domain::letters::merge::{LetterInput, build, recipients};
use vigie_domain::letters::{LetterKind, sample};
use vigie_letters::{Format, Template, defaults};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "courriers-exemple".into());
    std::fs::create_dir_all(&dir)?;
    let dossier = sample::dossier();
    let (labels, letterhead, agent) = (sample::labels(), sample::letterhead(), sample::agent());
    for kind in LetterKind::ALL {
        for (i, (recipient, _)) in
            recipients(&kind.into(), &dossier, &[], &labels, &sample::directory())
                .into_iter()
                .enumerate()
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
                received_on: sample::today(),
                can_see_source: true,
            })?;
            for format in [Format::Odt, Format::Docx] {
                let template =
                    Template::parse(defaults::template(kind.code(), format).unwrap_or_default())?;
                let out = format!("{dir}/{}-{i}.{}", kind.code(), format.extension());
                std::fs::write(out, template.render(&merge.value, &[])?)?;
            }
        }
    }
    Ok(())
}
