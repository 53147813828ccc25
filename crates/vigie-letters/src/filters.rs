//! The template engine's environment: how values are written into the XML, and the French
//! filters a letter needs (« 2 décembre 2026 », « 8 ans », « Léa, Tom et Noé »).
//!
//! Every value printed by `{{ … }}` goes through one formatter: XML-escaped, characters XML
//! forbids removed, line breaks and tabs turned into the format's own break and tab, `none`
//! printed as nothing. Only the engine's own markup (the logo) is marked safe and written as is.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};

use crate::Format;

/// The name under which a render's date (`YYYY-MM-DD`) is found; `age` counts up to it.
pub const TODAY: &str = "aujourdhui";

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

pub(crate) fn environment(format: Format) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // Error spans (to name the tag) are kept; the source is not copied into errors.
    env.set_debug(false);
    env.set_formatter(move |out, _state, value| {
        if value.is_none() {
            return Ok(());
        }
        if value.is_safe() {
            return out.write_str(&value.to_string()).map_err(write_error);
        }
        let text = match value.as_str() {
            Some(s) => s.to_owned(),
            None => value.to_string(),
        };
        out.write_str(&escape(&text, format)).map_err(write_error)
    });
    env.add_filter("date_longue", date_longue);
    env.add_filter("date", date_courte);
    env.add_filter("age", age);
    env.add_filter("liste", liste);
    env
}

fn write_error(_: std::fmt::Error) -> Error {
    Error::new(ErrorKind::WriteFailure, "écriture impossible")
}

/// Text made safe for a text node of the format, breaks and tabs as the format writes them.
pub(crate) fn escape(text: &str, format: Format) -> String {
    let (br, tab) = match format {
        Format::Docx => (
            "</w:t><w:br/><w:t xml:space=\"preserve\">",
            "</w:t><w:tab/><w:t xml:space=\"preserve\">",
        ),
        Format::Odt => ("<text:line-break/>", "<text:tab/>"),
    };
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str(br),
            '\t' => out.push_str(tab),
            // Not allowed in XML 1.0 (C0 controls, the surrogate-free specials).
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A date (`YYYY-MM-DD`, or a timestamp starting with it) read from a value.
fn parse_date(value: &Value, filter: &str) -> Result<Option<NaiveDate>, Error> {
    if value.is_none() || value.is_undefined() {
        return Ok(None);
    }
    let text = value.as_str().unwrap_or_default();
    let head = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("le filtre « {filter} » attend une date (AAAA-MM-JJ), pas « {text} »"),
            )
        })
}

/// « 2 décembre 2026 », « 1er mars 2027 ».
pub fn long_date(date: NaiveDate) -> String {
    let day = match date.day() {
        1 => "1er".to_owned(),
        d => d.to_string(),
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

fn date_longue(value: &Value) -> Result<String, Error> {
    Ok(parse_date(value, "date_longue")?
        .map(long_date)
        .unwrap_or_default())
}

fn date_courte(value: &Value) -> Result<String, Error> {
    Ok(parse_date(value, "date")?
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default())
}

/// An age as a letter says it: « 3 mois », « 1 an », « 8 ans ».
pub fn age_at(birth: NaiveDate, today: NaiveDate) -> String {
    let mut months =
        (today.year() - birth.year()) * 12 + today.month() as i32 - birth.month() as i32;
    if today.day() < birth.day() {
        months -= 1;
    }
    let months = months.max(0);
    match months {
        0..=11 => format!("{months} mois"),
        12..=23 => "1 an".to_owned(),
        m => format!("{} ans", m / 12),
    }
}

fn age(state: &State, value: &Value) -> Result<String, Error> {
    let Some(birth) = parse_date(value, "age")? else {
        return Ok(String::new());
    };
    let today = state
        .lookup(TODAY)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("le filtre « age » a besoin de la date du jour (« {TODAY} »)"),
            )
        })
        .and_then(|v| parse_date(&v, "age"))?
        .unwrap_or(birth);
    Ok(age_at(birth, today))
}

/// « Léa », « Léa et Tom », « Léa, Tom et Noé »; `liste("ou")` for « ou ».
fn liste(value: &Value, conjunction: Option<&str>) -> Result<String, Error> {
    let items: Vec<String> = value
        .try_iter()?
        .filter(|v| !v.is_none() && !v.is_undefined())
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .filter(|s| !s.trim().is_empty())
        .collect();
    Ok(french_list(&items, conjunction.unwrap_or("et")))
}

pub fn french_list(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => {
            let mut out = head.join(", ");
            let _ = write!(out, " {conjunction} {last}");
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_and_ages_in_french() {
        assert_eq!(long_date(d("2026-12-02")), "2 décembre 2026");
        assert_eq!(long_date(d("2027-03-01")), "1er mars 2027");
        assert_eq!(age_at(d("2018-12-03"), d("2026-12-02")), "7 ans");
        assert_eq!(age_at(d("2018-12-02"), d("2026-12-02")), "8 ans");
        assert_eq!(age_at(d("2025-12-02"), d("2026-12-02")), "1 an");
        assert_eq!(age_at(d("2026-09-15"), d("2026-12-02")), "2 mois");
        assert_eq!(age_at(d("2026-12-01"), d("2026-12-02")), "0 mois");
    }

    #[test]
    fn lists_in_french() {
        let l =
            |v: &[&str]| french_list(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "et");
        assert_eq!(l(&[]), "");
        assert_eq!(l(&["Léa"]), "Léa");
        assert_eq!(l(&["Léa", "Tom"]), "Léa et Tom");
        assert_eq!(l(&["Léa", "Tom", "Noé"]), "Léa, Tom et Noé");
    }

    #[test]
    fn escaping_keeps_the_xml_whole() {
        assert_eq!(
            escape("A & B <c>\n\"d\"\u{1}", Format::Odt),
            "A &amp; B &lt;c&gt;<text:line-break/>&quot;d&quot;"
        );
        assert_eq!(
            escape("a\r\nb", Format::Docx),
            "a</w:t><w:br/><w:t xml:space=\"preserve\">b"
        );
    }
}
