//! The ten default templates shipped with Vigie, each as its ODT source (edited in LibreOffice)
//! and the DOCX LibreOffice produces from it (`scripts/courriers-docx.sh`). They are identified
//! by the domain's letter codes (`01-accuse-reception` …).

use crate::Format;

macro_rules! templates {
    ($($code:literal),* $(,)?) => {
        /// The codes of the default templates, in order.
        pub const CODES: &[&str] = &[$($code),*];

        /// A default template's bytes.
        pub fn template(code: &str, format: Format) -> Option<&'static [u8]> {
            match (code, format) {
                $(
                    ($code, Format::Odt) => Some(include_bytes!(concat!("../modeles/", $code, ".odt"))),
                    ($code, Format::Docx) => Some(include_bytes!(concat!("../modeles/", $code, ".docx"))),
                )*
                _ => None,
            }
        }
    };
}

templates!(
    "01-accuse-reception",
    "02-information-parents",
    "03-invitation-evaluation",
    "04-demande-evaluation",
    "05-relance-evaluation",
    "06-information-conclusion",
    "07-retour-signalant",
    "08-signalement-parquet",
    "09-transmission-departement",
    "10-retour-119",
);
