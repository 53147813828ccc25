//! Percent-encoding for the links Vigie writes: a query-string value, and a local path
//! carried in a query string (`?retour=/compte`).

/// Percent-encodes every byte of `s` but those `keep` accepts.
fn encode(s: &str, keep: impl Fn(u8) -> bool) -> String {
    s.bytes()
        .map(|b| {
            if keep(b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A query-string value: ASCII letters and digits and `*-._` stay (what a browser sends
/// for a GET form, the `application/x-www-form-urlencoded` set; `*` is allowed in a query
/// by RFC 3986), every other byte is `%XX`, a space included.
pub fn query_value(s: &str) -> String {
    encode(s, |b| b.is_ascii_alphanumeric() || b"-_.*".contains(&b))
}

/// A local path as a query-string value: the RFC 3986 unreserved characters and `/` stay,
/// every other byte is `%XX`.
pub fn local_path(p: &str) -> String {
    encode(p, |b| b.is_ascii_alphanumeric() || b"-_.~/".contains(&b))
}

/// A `Content-Disposition` for a download named `name` (RFC 6266): an ASCII fallback (accents
/// and characters that could end the header replaced by `_`) and the exact name in UTF-8
/// (`filename*`, RFC 5987).
pub fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = encode(name, |b| {
        b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
    });
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

#[cfg(test)]
mod tests {

    #[test]
    fn downloads_are_named_in_ascii_and_in_utf8() {
        assert_eq!(
            attachment("Rapport école \"v2\".pdf"),
            "attachment; filename=\"Rapport _cole _v2_.pdf\"; filename*=UTF-8''Rapport%20%C3%A9cole%20%22v2%22.pdf"
        );
        assert!(!attachment("a\r\nSet-Cookie: x").contains('\n'));
    }
    use super::*;

    #[test]
    fn values_and_paths_are_encoded() {
        assert_eq!(
            query_value("dossier.* a&b=c/é"),
            "dossier.*%20a%26b%3Dc%2F%C3%A9"
        );
        assert_eq!(query_value("x~y"), "x%7Ey");
        assert_eq!(
            local_path("/tracabilite/export.csv?du=1*~"),
            "/tracabilite/export.csv%3Fdu%3D1%2A~"
        );
    }
}
