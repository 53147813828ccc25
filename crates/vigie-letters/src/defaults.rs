//! The default templates shipped with Vigie, each as its ODT source (edited in LibreOffice) and
//! the DOCX LibreOffice produces from it (`scripts/courriers-docx.sh`): the ten letters of a
//! dossier, identified by the domain's letter codes (`01-accuse-reception` …, listed in
//! [`CODES`]), and the grouped reminder to a service ([`GROUPED_REMINDER`], not a dossier's
//! letter).

use crate::Format;

/// The grouped reminder to a service of its overdue evaluations (« Relancer les services »).
pub const GROUPED_REMINDER: &str = "relance-groupee";

macro_rules! templates {
    ($($code:literal),* $(,)?; $($other:literal),* $(,)?) => {
        /// The codes of the ten default letters of a dossier, in order.
        pub const CODES: &[&str] = &[$($code),*];

        /// A default template's bytes: one of [`CODES`], or [`GROUPED_REMINDER`].
        pub fn template(code: &str, format: Format) -> Option<&'static [u8]> {
            match (code, format) {
                $(
                    ($code, Format::Odt) => Some(include_bytes!(concat!("../modeles/", $code, ".odt"))),
                    ($code, Format::Docx) => Some(include_bytes!(concat!("../modeles/", $code, ".docx"))),
                )*
                $(
                    ($other, Format::Odt) => Some(include_bytes!(concat!("../modeles/", $other, ".odt"))),
                    ($other, Format::Docx) => Some(include_bytes!(concat!("../modeles/", $other, ".docx"))),
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
    "10-retour-119";
    "relance-groupee",
);
