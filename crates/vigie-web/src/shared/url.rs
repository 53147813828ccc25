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

#[cfg(test)]
mod tests {
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
