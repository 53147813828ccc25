//! The name a file is stored under: the uploaded name, cleaned, with the extension of the type
//! read from the content.

use super::Kind;

/// The longest stored name, in characters, extension included.
const MAX_NAME_CHARS: usize = 120;

/// The base name given to a file uploaded without a usable name.
const DEFAULT_BASE: &str = "document";

/// Characters Windows forbids in a file name (the path separators are dealt with before).
const FORBIDDEN: [char; 9] = ['<', '>', ':', '"', '/', '\\', '|', '?', '*'];

/// Names Windows reserves for devices, whatever the extension.
const RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The stored file name: the uploaded name cleaned (path parts removed, control characters,
/// invisible formatting characters and characters forbidden on Windows replaced by `_`, spaces
/// collapsed and trimmed, at most 120 characters) with the extension of the DETECTED kind.
///
/// A "rapport.pdf.exe" whose content is PDF becomes "rapport.pdf"; a "script.bat" whose content
/// is plain text becomes "script.txt"; an empty name becomes "document.`<ext>`".
pub fn stored_name(uploaded: &str, kind: Kind) -> String {
    let cleaned = clean_chars(uploaded);
    let mut base = split_extension(&cleaned).0;
    // "rapport.pdf.exe" of a PDF: drop the ".exe", then the ".pdf" the kind puts back.
    if let (stem, Some(ext)) = split_extension(base)
        && aliases(kind)
            .iter()
            .any(|alias| ext.eq_ignore_ascii_case(alias))
    {
        base = stem;
    }
    with_extension(base, kind.extension())
}

/// An uploaded (or attached) name cleaned as in [`stored_name`], keeping its own extension;
/// `None` when nothing usable is left.
pub(crate) fn clean_name(uploaded: &str) -> Option<String> {
    let cleaned = clean_chars(uploaded);
    let (base, ext) = split_extension(&cleaned);
    let name = match ext {
        Some(ext) => with_extension(base, ext),
        None => bound(&guard_reserved(trim_base(base)), MAX_NAME_CHARS),
    };
    (!name.is_empty() && !trim_base(base).is_empty()).then_some(name)
}

/// `base.ext`, the base trimmed, guarded and shortened so that the whole fits the bound.
fn with_extension(base: &str, ext: &str) -> String {
    let base = trim_base(base);
    let base = if base.is_empty() { DEFAULT_BASE } else { base };
    let room = MAX_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    let base = bound(&guard_reserved(base), room);
    format!("{base}.{ext}")
}

/// The last path component, with every risky character replaced and runs of white space
/// collapsed into one space.
fn clean_chars(uploaded: &str) -> String {
    let last = uploaded.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out = String::with_capacity(last.len());
    for c in last.chars() {
        if c.is_whitespace() && !c.is_control() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if c.is_control() || FORBIDDEN.contains(&c) || is_invisible(c) {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// Zero-width and bidirectional formatting characters: they hide or reorder the real
/// extension: "facture", U+202E, "fdp.exe" shows as "factureexe.pdf".
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Splits "name.ext" when the part after the last dot looks like an extension: 1 to 10 ASCII
/// letters and digits, at least one letter (so "v1.2" keeps its "2").
fn split_extension(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((base, ext))
            if (1..=10).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric())
                && ext.bytes().any(|b| b.is_ascii_alphabetic()) =>
        {
            (base, Some(ext))
        }
        _ => (name, None),
    }
}

/// Leading dots would hide the file on Unix; Windows drops trailing dots and spaces.
fn trim_base(base: &str) -> &str {
    base.trim_matches(|c| c == '.' || c == ' ')
}

/// "CON", "nul.txt"…: prefixed with `_` so that Windows can save them.
fn guard_reserved(base: &str) -> String {
    let device = base.split('.').next().unwrap_or_default().trim_end();
    if RESERVED.iter().any(|r| device.eq_ignore_ascii_case(r)) {
        format!("_{base}")
    } else {
        base.to_owned()
    }
}

/// At most `max` characters, without a trailing dot or space left by the cut.
fn bound(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => trim_base(&text[..cut]).to_owned(),
        None => text.to_owned(),
    }
}

/// The extensions a kind is known under, its own first.
fn aliases(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Pdf => &["pdf"],
        Kind::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
        Kind::Png => &["png"],
        Kind::Tiff => &["tiff", "tif"],
        Kind::Gif => &["gif"],
        Kind::Webp => &["webp"],
        Kind::Heif => &["heic", "heif", "hif"],
        Kind::Docx => &["docx"],
        Kind::Odt => &["odt"],
        Kind::Text => &["txt", "text"],
        Kind::Eml => &["eml"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_name_keeps_its_own_extension() {
        assert_eq!(
            clean_name("C:\\x\\facture.exe").as_deref(),
            Some("facture.exe")
        );
        assert_eq!(clean_name("  ").as_deref(), None);
        assert_eq!(clean_name(".exe").as_deref(), None);
        assert_eq!(clean_name("a\u{202E}fdp.exe").as_deref(), Some("a_fdp.exe"));
    }

    #[test]
    fn reserved_device_names_are_guarded() {
        assert_eq!(stored_name("con.txt", Kind::Text), "_con.txt");
        assert_eq!(stored_name("LPT1", Kind::Pdf), "_LPT1.pdf");
    }

    #[test]
    fn every_kind_has_its_extension_first_among_its_aliases() {
        for kind in Kind::ALL {
            assert_eq!(aliases(kind)[0], kind.extension());
        }
    }
}
