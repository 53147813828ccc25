//! What the administrator types for letters: the letterhead and its logo, the entries of the
//! directory of external recipients, a service's or a user's contact details. French messages
//! naming each field.

use super::merge::{Contact, Letterhead};
use crate::error::{DomainError, Errors};
use crate::text::{TextKind, check};

/// Largest logo accepted.
pub const LOGO_MAX_BYTES: usize = 512 * 1024;

/// The logo's type: PNG or SVG, read from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoType {
    Png,
    Svg,
}

impl LogoType {
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }

    pub fn parse(media_type: &str) -> Option<Self> {
        [Self::Png, Self::Svg]
            .into_iter()
            .find(|t| t.media_type() == media_type)
    }
}

/// Checks a logo's content: PNG or SVG (no script, no external reference), size.
pub fn check_logo(bytes: &[u8]) -> Result<LogoType, DomainError> {
    let refuse = |m: &str| DomainError::field("logo", "Logo", m);
    if bytes.len() > LOGO_MAX_BYTES {
        return Err(refuse("fichier trop volumineux : 512 Ko au plus."));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(LogoType::Png);
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| refuse("une image PNG ou SVG est attendue."))?;
    let lower = text.to_lowercase();
    if !lower.contains("<svg") {
        return Err(refuse("une image PNG ou SVG est attendue."));
    }
    if !svg_is_self_contained(&lower) {
        return Err(refuse(
            "une image SVG sans script ni référence externe est attendue.",
        ));
    }
    Ok(LogoType::Svg)
}

/// An SVG (lower-cased) with no script, event handler, entity, embedded HTML, nor any
/// reference other than to itself (`href="#…"`, `url(#…)`): LibreOffice and Word would
/// otherwise fetch or run it when printing a letter.
fn svg_is_self_contained(svg: &str) -> bool {
    const FORBIDDEN: &[&str] = &[
        "<script",
        "<!entity",
        "<!doctype",
        "<foreignobject",
        "javascript:",
        "file:",
        "data:text",
    ];
    if FORBIDDEN.iter().any(|f| svg.contains(f)) {
        return false;
    }
    // Event handlers: ` onload=`, ` onclick =`…
    let handler = svg.match_indices(" on").any(|(i, _)| {
        let rest = &svg[i + 3..];
        let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name_len > 0 && rest[name_len..].trim_start().starts_with('=')
    });
    if handler {
        return false;
    }
    let internal = |after: &str| {
        let after = after.trim_start();
        let after = after.strip_prefix(['"', '\'']).unwrap_or(after);
        after.starts_with('#')
    };
    let hrefs_ok = svg.match_indices("href").all(|(i, _)| {
        let rest = svg[i + 4..].trim_start();
        rest.strip_prefix('=').is_none_or(internal)
    });
    let urls_ok = svg
        .match_indices("url(")
        .all(|(i, _)| internal(&svg[i + 4..]));
    hrefs_ok && urls_ok
}

fn short(e: &mut Errors, field: &str, label: &str, value: &str) {
    check(e, field, label, TextKind::Short, Some(value));
}

fn lines(e: &mut Errors, field: &str, label: &str, value: &str) {
    check(e, field, label, TextKind::Comment, Some(value));
    if value.lines().count() > 6 {
        e.push(field, label, "6 lignes au plus (une adresse postale).");
    }
}

fn email(e: &mut Errors, field: &str, label: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        short(e, field, label, v);
        let valid = v
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !v.contains(' '));
        if !valid {
            e.push(
                field,
                label,
                "adresse électronique attendue, par exemple crip@departement.fr.",
            );
        }
    }
}

/// Checks the letterhead.
pub fn check_letterhead(l: &Letterhead) -> Result<(), DomainError> {
    let mut e = Errors::default();
    if l.departement.trim().is_empty() {
        e.push(
            "departement",
            "Collectivité",
            "obligatoire (par exemple « Conseil départemental du Cher »).",
        );
    }
    short(&mut e, "departement", "Collectivité", &l.departement);
    short(&mut e, "service", "Service émetteur", &l.service);
    lines(&mut e, "address", "Adresse", &l.address);
    short(&mut e, "city", "Ville avant la date", &l.city);
    short(&mut e, "phone", "Téléphone", &l.phone);
    email(&mut e, "email", "Courriel", Some(&l.email));
    short(&mut e, "signatory", "Signataire", &l.signatory);
    short(
        &mut e,
        "signatory_title",
        "Qualité du signataire",
        &l.signatory_title,
    );
    check(
        &mut e,
        "delegation",
        "Mention de délégation",
        TextKind::Comment,
        Some(&l.delegation),
    );
    e.into_result()
}

/// Checks a contact (a directory entry, a service's address).
pub fn check_contact(c: &Contact, name_required: bool) -> Result<(), DomainError> {
    let mut e = Errors::default();
    if name_required && c.name.trim().is_empty() {
        e.push("name", "Nom", "obligatoire.");
    }
    short(&mut e, "name", "Nom", &c.name);
    if let Some(o) = &c.organisation {
        short(&mut e, "organisation", "Organisme", o);
    }
    lines(&mut e, "address", "Adresse", &c.address);
    email(&mut e, "email", "Courriel", c.email.as_deref());
    if let Some(p) = &c.phone {
        short(&mut e, "phone", "Téléphone", p);
    }
    e.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_png_or_safe_svg() {
        assert_eq!(check_logo(b"\x89PNG\r\n\x1a\n0000").unwrap(), LogoType::Png);
        assert_eq!(
            check_logo(b"<svg viewBox='0 0 1 1'/>").unwrap(),
            LogoType::Svg
        );
        let err = check_logo(b"<svg><script>alert(1)</script></svg>").unwrap_err();
        assert!(err.to_string().contains("sans script"), "{err}");
        assert!(check_logo(b"GIF89a").is_err());
        for evil in [
            &b"<svg onload='x'/>"[..],
            b"<svg><image href='http://example.org/x.png'/></svg>",
            b"<svg><image xlink:href=\"file:///etc/passwd\"/></svg>",
            b"<svg><rect style='fill:url(http://x/y)'/></svg>",
            b"<svg><foreignObject/></svg>",
        ] {
            assert!(
                check_logo(evil).is_err(),
                "{}",
                String::from_utf8_lossy(evil)
            );
        }
        let internal = b"<svg xmlns='http://www.w3.org/2000/svg'><defs><linearGradient id='g'/></defs><rect fill='url(#g)'/><use href='#g'/></svg>";
        assert_eq!(check_logo(internal).unwrap(), LogoType::Svg);
        assert!(
            check_logo(&vec![0; LOGO_MAX_BYTES + 1])
                .unwrap_err()
                .to_string()
                .contains("512 Ko")
        );
    }

    #[test]
    fn the_letterhead_and_contacts_are_checked_field_by_field() {
        let mut l = super::super::sample::letterhead();
        assert_eq!(check_letterhead(&l), Ok(()));
        l.departement = " ".into();
        l.email = "pas un courriel".into();
        l.city = "Bourges\nCedex".into();
        let err = check_letterhead(&l).unwrap_err();
        let fields: Vec<&str> = err.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["departement", "city", "email"]);
        let c = Contact {
            name: String::new(),
            ..Contact::default()
        };
        assert_eq!(
            check_contact(&c, true).unwrap_err().fields()[0].message,
            "obligatoire."
        );
    }
}
