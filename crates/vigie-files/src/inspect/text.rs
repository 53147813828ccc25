//! Plain text: which encoding it is in, and whether it is in fact markup (HTML, XML, SVG) or a
//! document format written in text (RTF).

use super::Refusal;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How far into a text the markup checks look.
const SNIFF_WINDOW: usize = 4096;

/// The encoding of a text file, as served back (`charset=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Charset {
    Utf8,
    Windows1252,
}

impl Charset {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Windows1252 => "windows-1252",
        }
    }
}

/// The encoding of `bytes` when they are text: valid UTF-8 (with or without a byte-order mark),
/// else Windows-1252 (old Windows text files); `None` when a control character other than tab,
/// line feed, form feed and carriage return appears (a NUL byte in particular), or a byte
/// Windows-1252 leaves undefined.
pub(super) fn charset(bytes: &[u8]) -> Option<Charset> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(body) {
        return text
            .chars()
            .all(|c| !is_forbidden_control(c))
            .then_some(Charset::Utf8);
    }
    body.iter()
        .all(|&b| is_windows_1252_text(b))
        .then_some(Charset::Windows1252)
}

/// C0 controls (except tab, LF, FF, CR), DEL and the C1 controls.
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\u{0C}' | '\r')
}

/// A byte that decodes in Windows-1252 to a printable character or allowed white space.
fn is_windows_1252_text(b: u8) -> bool {
    match b {
        b'\t' | b'\n' | 0x0C | b'\r' => true,
        0x00..=0x1F | 0x7F => false,
        // Undefined in Windows-1252.
        0x81 | 0x8D | 0x8F | 0x90 | 0x9D => false,
        _ => true,
    }
}

/// Refuses a text that is markup (a web page, XML, SVG) or RTF; `Ok` for plain text.
pub(super) fn check_plain(bytes: &[u8]) -> Result<(), Refusal> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let head = &body[..body.len().min(SNIFF_WINDOW)];
    let start = head.trim_ascii_start();
    if start.starts_with(b"{\\rtf") {
        return Err(Refusal::NotAccepted {
            detected: Some("document RTF"),
        });
    }
    let lower = start.to_ascii_lowercase();
    if contains(&lower, b"<svg") {
        return Err(Refusal::Svg);
    }
    let tag_first = matches!(start, [b'<', next, ..] if next.is_ascii_alphabetic() || matches!(next, b'!' | b'?'));
    let strong_tag = [
        b"<html".as_slice(),
        b"<script",
        b"<!doctype html",
        b"<iframe",
        b"<body",
    ]
    .iter()
    .any(|tag| contains(&lower, tag));
    if tag_first || strong_tag {
        return Err(Refusal::Markup);
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(
            charset(b"\xEF\xBB\xBFd\xC3\xA9j\xC3\xA0"),
            Some(Charset::Utf8)
        );
        assert_eq!(charset(b"d\xE9j\xE0 \x80 \x9C"), Some(Charset::Windows1252));
        assert_eq!(charset(b"texte\0binaire"), None);
        assert_eq!(charset(b"\x1B[31m"), None);
        assert_eq!(charset(b"\xE9\x81"), None);
    }

    #[test]
    fn markup_and_rtf() {
        assert_eq!(
            check_plain(b"  <?xml version=\"1.0\"?><a/>"),
            Err(Refusal::Markup)
        );
        assert_eq!(
            check_plain(b"<!-- x --><svg onload=\"\">"),
            Err(Refusal::Svg)
        );
        assert_eq!(
            check_plain(b"Bonjour <script>alert(1)</script>"),
            Err(Refusal::Markup)
        );
        assert!(matches!(
            check_plain(b"{\\rtf1\\ansi"),
            Err(Refusal::NotAccepted { .. })
        ));
        assert_eq!(check_plain(b"Note : 3 < 4 et 5 > 2."), Ok(()));
    }
}
