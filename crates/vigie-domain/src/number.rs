//! The readable dossier number: `2026-000123` (year of reception, sequence in the year).

use std::fmt;
use std::str::FromStr;

/// A dossier number. Cannot be invalid once built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierNumber {
    year: i32,
    seq: u32,
}

impl DossierNumber {
    pub const MAX_SEQ: u32 = 999_999;

    pub fn new(year: i32, seq: u32) -> Option<Self> {
        ((1900..=9999).contains(&year) && (1..=Self::MAX_SEQ).contains(&seq))
            .then_some(Self { year, seq })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn seq(self) -> u32 {
        self.seq
    }
}

impl fmt::Display for DossierNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:06}", self.year, self.seq)
    }
}

impl FromStr for DossierNumber {
    type Err = String;

    /// Accepts `2026-000123`, and the short form `2026-123` an agent types.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let err = || "un numéro de dossier s'écrit AAAA-NNNNNN, par exemple 2026-000123".to_owned();
        let (y, n) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4
            || n.is_empty()
            || n.len() > 6
            || !y.bytes().chain(n.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let seq: u32 = n.parse().map_err(|_| err())?;
        Self::new(year, seq).ok_or_else(err)
    }
}

/// In the OpenAPI document: a string `AAAA-NNNNNN`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for DossierNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[0-9]{4}-[0-9]{6}$"))
            .description(Some(
                "Numéro de dossier : année de réception et rang dans l'année.",
            ))
            .examples(["2026-000123"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for DossierNumber {}

impl serde::Serialize for DossierNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DossierNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_padding() {
        assert_eq!(
            DossierNumber::new(2026, 123).unwrap().to_string(),
            "2026-000123"
        );
        assert_eq!(
            "2026-123".parse::<DossierNumber>().unwrap().to_string(),
            "2026-000123"
        );
    }

    #[test]
    fn refuses_garbage() {
        for s in [
            "",
            "2026",
            "2026-",
            "26-000001",
            "2026-0000001",
            "2026-00000a",
            "2026-000000",
            "x026-000001",
            "2026--1",
        ] {
            assert!(s.parse::<DossierNumber>().is_err(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(year in 1900i32..=9999, seq in 1u32..=999_999) {
            let n = DossierNumber::new(year, seq).unwrap();
            prop_assert_eq!(n.to_string().parse::<DossierNumber>().unwrap(), n);
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<DossierNumber>();
        }
    }
}
