//! Which data fields a template reads: `{{ enfant.prenom }}` inside `{% for enfant in enfants %}`
//! reads `enfants[].prenom`. The caller checks them against its data dictionary (unknown field,
//! a field a family must not read) before anything is generated, naming the tag.

use crate::xml::TagInfo;

/// A field read by a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldUse {
    /// Dotted path from the data's root; `[]` marks the items of a list (`enfants[].prenom`).
    pub path: String,
    /// The tag as typed.
    pub tag: String,
    pub location: crate::Location,
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "elif",
    "endif",
    "for",
    "endfor",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "loop",
    "recursive",
    "set",
    "endset",
    "with",
    "endwith",
    "macro",
    "endmacro",
    "call",
    "endcall",
    "filter",
    "endfilter",
    "caller",
    "self",
    "range",
    "dict",
    "namespace",
    "debug",
    "autoescape",
    "endautoescape",
    "as",
    "import",
    "from",
    "include",
    "extends",
    "block",
    "endblock",
    "raw",
    "endraw",
    "super",
    "varargs",
    "kwargs",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Dot,
    Pipe,
    Other(char),
    Str(String),
}

fn lex(expr: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
            continue;
        }
        if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Tok::Other('0'));
            continue;
        }
        if c == '"' || c == '\'' {
            i += 1;
            let start = i;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            let end = i.min(chars.len());
            i += 1;
            out.push(Tok::Str(chars[start..end].iter().collect()));
            continue;
        }
        match c {
            '.' => out.push(Tok::Dot),
            '|' => out.push(Tok::Pipe),
            c if c.is_whitespace() => {}
            c => out.push(Tok::Other(c)),
        }
        i += 1;
    }
    out
}

/// Dotted paths in an expression, with what each root resolves to.
fn paths(tokens: &[Tok], aliases: &[(String, Option<String>)]) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Tok::Ident(name) = &tokens[i] else {
            i += 1;
            continue;
        };
        let after_pipe_or_is = i > 0
            && (tokens[i - 1] == Tok::Pipe
                || tokens[i - 1] == Tok::Ident("is".into())
                || (tokens[i - 1] == Tok::Ident("not".into())
                    && i > 1
                    && tokens[i - 2] == Tok::Ident("is".into())));
        let after_dot = i > 0 && tokens[i - 1] == Tok::Dot;
        let keyword_arg = tokens.get(i + 1) == Some(&Tok::Other('='));
        let mut path = name.clone();
        let mut j = i + 1;
        loop {
            match (tokens.get(j), tokens.get(j + 1), tokens.get(j + 2)) {
                (Some(Tok::Dot), Some(Tok::Ident(member)), _) => {
                    path.push('.');
                    path.push_str(member);
                    j += 2;
                }
                (Some(Tok::Other('[')), Some(Tok::Str(member)), Some(Tok::Other(']'))) => {
                    path.push('.');
                    path.push_str(member);
                    j += 3;
                }
                (Some(Tok::Other('[')), Some(Tok::Other('0')), Some(Tok::Other(']'))) => {
                    path.push_str("[]");
                    j += 3;
                }
                _ => break,
            }
        }
        let called = tokens.get(j) == Some(&Tok::Other('('));
        i = j;
        if after_pipe_or_is || after_dot || keyword_arg || KEYWORDS.contains(&name.as_str()) {
            continue;
        }
        if called && !path.contains('.') {
            continue;
        }
        let resolved = match aliases.iter().rev().find(|(a, _)| a == name) {
            Some((_, Some(base))) => format!("{base}{}", &path[name.len()..]),
            Some((_, None)) => continue,
            None => path,
        };
        let attributes = attributes_read(&tokens[j..]);
        found.push(resolved.clone());
        found.extend(attributes.into_iter().map(|a| format!("{resolved}[].{a}")));
    }
    found
}

/// Filters that read an attribute of each item: `|map(attribute="adresse")`,
/// `|selectattr("autorite_parentale")`, `|sort(attribute="nom")`…
fn attributes_read(tokens: &[Tok]) -> Vec<String> {
    const BY_ATTRIBUTE: &[&str] = &[
        "map",
        "selectattr",
        "rejectattr",
        "groupby",
        "sort",
        "sum",
        "unique",
        "min",
        "max",
    ];
    const FIRST_IS_ATTRIBUTE: &[&str] = &["selectattr", "rejectattr", "groupby"];
    let mut found = Vec::new();
    let mut j = 0;
    while tokens.get(j) == Some(&Tok::Pipe) {
        let Some(Tok::Ident(filter)) = tokens.get(j + 1) else {
            break;
        };
        j += 2;
        if tokens.get(j) != Some(&Tok::Other('(')) {
            continue;
        }
        let mut depth = 0;
        let mut first = true;
        while let Some(t) = tokens.get(j) {
            match t {
                Tok::Other('(') => depth += 1,
                Tok::Other(')') => {
                    depth -= 1;
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                Tok::Str(value) if BY_ATTRIBUTE.contains(&filter.as_str()) => {
                    let named = j >= 2
                        && tokens[j - 1] == Tok::Other('=')
                        && tokens[j - 2] == Tok::Ident("attribute".into());
                    if named || (first && FIRST_IS_ATTRIBUTE.contains(&filter.as_str())) {
                        found.push(value.clone());
                    }
                    first = false;
                }
                Tok::Other(',') => {}
                _ if depth == 1 => first = false,
                _ => {}
            }
            j += 1;
        }
    }
    found
}

/// The fields read by a part's tags, in order.
pub(crate) fn field_uses(tags: &[TagInfo]) -> Vec<FieldUse> {
    // Loop variables and local names: alias -> the path its items come from (None: local).
    let mut aliases: Vec<(String, Option<String>)> = Vec::new();
    let mut scopes: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for tag in tags {
        let inner =
            tag.text[2..tag.text.len() - 2].trim_matches(|c: char| c == '-' || c.is_whitespace());
        let tokens = lex(inner);
        let mut push = |path: String| {
            out.push(FieldUse {
                path,
                tag: tag.text.clone(),
                location: tag.location.clone(),
            })
        };
        if !tag.text.starts_with("{%") {
            paths(&tokens, &aliases).into_iter().for_each(&mut push);
            continue;
        }
        let kw = match tokens.first() {
            Some(Tok::Ident(k)) => k.as_str(),
            _ => "",
        };
        match kw {
            "for" => {
                let split = tokens
                    .iter()
                    .position(|t| *t == Tok::Ident("in".into()))
                    .unwrap_or(tokens.len());
                let iterable = paths(&tokens[split.min(tokens.len())..], &aliases);
                let base = iterable.first().map(|p| format!("{p}[]"));
                iterable.into_iter().for_each(&mut push);
                scopes.push(aliases.len());
                for t in &tokens[1..split] {
                    if let Tok::Ident(name) = t {
                        aliases.push((name.clone(), base.clone()));
                    }
                }
            }
            "set" | "with" => {
                let eq = tokens.iter().position(|t| *t == Tok::Other('='));
                if let Some(eq) = eq {
                    paths(&tokens[eq + 1..], &aliases)
                        .into_iter()
                        .for_each(&mut push);
                }
                if kw == "with" {
                    scopes.push(aliases.len());
                }
                if let Some(Tok::Ident(name)) = tokens.get(1) {
                    aliases.push((name.clone(), None));
                }
            }
            "macro" => {
                scopes.push(aliases.len());
                for t in &tokens[1..] {
                    if let Tok::Ident(name) = t {
                        aliases.push((name.clone(), None));
                    }
                }
            }
            "endfor" | "endwith" | "endmacro" => {
                if let Some(len) = scopes.pop() {
                    aliases.truncate(len);
                }
            }
            _ => paths(&tokens[1.min(tokens.len())..], &aliases)
                .into_iter()
                .for_each(&mut push),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> TagInfo {
        crate::xml::test_tag(text)
    }

    fn uses(tags: &[&str]) -> Vec<String> {
        let tags: Vec<TagInfo> = tags.iter().map(|t| tag(t)).collect();
        field_uses(&tags).into_iter().map(|u| u.path).collect()
    }

    #[test]
    fn loop_variables_resolve_to_list_items() {
        assert_eq!(
            uses(&[
                "{% for enfant in enfants %}",
                "{{ enfant.prenom }} {{ enfant.naissance|date_longue }}",
                "{% if enfant.age is defined and loop.first %}",
                "{% endif %}",
                "{% endfor %}",
                "{{ enfant.prenom }}",
            ]),
            vec![
                "enfants",
                "enfants[].prenom",
                "enfants[].naissance",
                "enfants[].age",
                "enfant.prenom",
            ]
        );
    }

    #[test]
    fn filters_strings_and_keyword_arguments_are_not_fields() {
        assert_eq!(
            uses(&[
                "{{ enfants|map(attribute=\"prenom\")|liste(\"ou\") }}",
                "{{ signalant.nom if signalant.nom else 'x' }}",
                "{{ range(3) }}",
            ]),
            vec![
                "enfants",
                "enfants[].prenom",
                "signalant.nom",
                "signalant.nom"
            ]
        );
        assert_eq!(
            uses(&[
                "{{ parents|selectattr(\"autorite\")|map(attribute='adresse')|liste }}",
                "{{ parent[\"telephone\"] }} {{ enfants[0].nom }}",
            ]),
            vec![
                "parents",
                "parents[].autorite",
                "parents[].adresse",
                "parent.telephone",
                "enfants[].nom"
            ]
        );
    }
}
