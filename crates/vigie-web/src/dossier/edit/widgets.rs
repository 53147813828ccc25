//! The form's widgets: every input with its label, id, value and error ([`W`]), built by
//! [`B`], which records every key an error can attach to; the options of selects.

use std::collections::{HashMap, HashSet};

use vigie_domain::ParamKind;
use vigie_domain::catalog::Catalog;
use vigie_domain::labels as L;
use vigie_domain::text::SHORT_MAX;

use crate::dossier::form::{AddressForm, parse_local_datetime};
use crate::shared::Choice;
use crate::shared::dates::parse_date;

/// One input with its label (askama escapes every value).
#[derive(Debug, Clone, Default)]
pub struct W {
    /// `text`, `email`, `tel`, `date`, `datetime-local`, `textarea`, `select`, `checkbox`.
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    pub label: String,
    pub value: String,
    pub checked: bool,
    pub options: Vec<Choice>,
    /// `maxlength` (0: none).
    pub max: usize,
    pub rows: u32,
    pub error: String,
    pub hint: String,
    pub warn: String,
    /// A `datalist` id.
    pub list: &'static str,
    pub accesskey: &'static str,
    pub class: &'static str,
    pub placeholder: &'static str,
    pub required: bool,
}

impl W {
    /// The `aria-describedby` ids: hint, warning, error.
    pub fn described(&self) -> String {
        let mut v = Vec::new();
        if !self.hint.is_empty() {
            v.push(format!("{}-aide", self.id));
        }
        if !self.warn.is_empty() {
            v.push(format!("{}-alerte", self.id));
        }
        if !self.error.is_empty() {
            v.push(format!("{}-erreur", self.id));
        }
        v.join(" ")
    }
}

/// A fieldset or section an error may attach to.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub id: String,
    pub error: String,
}

#[derive(Debug, Clone)]
pub struct Hidden {
    pub name: String,
    pub value: String,
}

pub(super) fn hidden(name: impl Into<String>, value: impl Into<String>) -> Hidden {
    Hidden {
        name: name.into(),
        value: value.into(),
    }
}

#[derive(Debug, Clone)]
pub struct ErrLink {
    pub href: String,
    pub text: String,
}

/// `children[0].authors[1].link_id` → `f-children-0-authors-1-link_id`.
pub fn fid(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push_str("f-");
    for ch in name.chars() {
        match ch {
            '[' | '.' => s.push('-'),
            ']' => {}
            c => s.push(c),
        }
    }
    s
}

/// The key one level up: `children[0].motifs` → `children[0]` → `children`.
pub(super) fn parent_key(key: &str) -> Option<&str> {
    if let Some(stripped) = key.strip_suffix(']') {
        return stripped.rfind('[').map(|i| &key[..i]);
    }
    key.rfind('.').map(|i| &key[..i])
}

/// Errors by the key of the widget or group they attach to.
#[derive(Debug, Default)]
pub(super) struct Errs {
    /// anchor key → messages shown next to it.
    pub(super) at: HashMap<String, Vec<String>>,
}

/// Builds widgets, recording every key that can hold an error.
pub(super) struct B<'a> {
    pub(super) errs: &'a Errs,
    pub(super) keys: HashSet<String>,
}

impl B<'_> {
    pub(super) fn error(&mut self, key: &str) -> String {
        self.keys.insert(key.to_owned());
        self.errs
            .at
            .get(key)
            .map(|v| v.join(" "))
            .unwrap_or_default()
    }

    pub(super) fn group(&mut self, key: &str) -> Group {
        Group {
            id: fid(key),
            error: self.error(key),
        }
    }

    pub(super) fn w(&mut self, kind: &'static str, name: &str, label: &str, value: &str) -> W {
        // Dates typed as jj/mm/aaaa (a browser without date inputs) are shown as the
        // browser's date inputs expect them; anything unreadable stays as typed.
        let value = match kind {
            "date" => parse_date(value).map_or_else(|| value.to_owned(), |d| d.to_string()),
            "datetime-local" => parse_local_datetime(value).map_or_else(
                || value.to_owned(),
                |d| {
                    use chrono::Timelike;
                    if d.second() == 0 {
                        d.format("%Y-%m-%dT%H:%M").to_string()
                    } else {
                        d.format("%Y-%m-%dT%H:%M:%S").to_string()
                    }
                },
            ),
            _ => value.to_owned(),
        };
        W {
            kind,
            name: name.to_owned(),
            id: fid(name),
            label: label.to_owned(),
            value,
            error: self.error(name),
            ..W::default()
        }
    }

    pub(super) fn text(&mut self, name: &str, label: &str, value: &str, max: usize) -> W {
        W {
            max,
            ..self.w("text", name, label, value)
        }
    }

    pub(super) fn area(
        &mut self,
        name: &str,
        label: &str,
        value: &str,
        max: usize,
        rows: u32,
    ) -> W {
        W {
            max,
            rows,
            ..self.w("textarea", name, label, value)
        }
    }

    pub(super) fn select(&mut self, name: &str, label: &str, options: Vec<Choice>) -> W {
        W {
            options,
            ..self.w("select", name, label, "")
        }
    }

    pub(super) fn check(&mut self, name: &str, label: &str, checked: bool) -> W {
        W {
            checked,
            ..self.w("checkbox", name, label, "1")
        }
    }
}

/// Options of a parameter table: the active values, and a deactivated or unknown value
/// already chosen (so that nothing typed or stored disappears).
pub(super) fn param_opts(
    cat: &Catalog,
    kind: ParamKind,
    current: &str,
    blank: Option<&str>,
) -> Vec<Choice> {
    let cur = current.trim();
    let mut v = Vec::new();
    if let Some(b) = blank {
        v.push(Choice {
            value: String::new(),
            label: b.to_owned(),
            selected: cur.is_empty(),
        });
    }
    let mut found = false;
    for p in cat.of_kind(kind) {
        let selected = p.id.to_string() == cur;
        found |= selected;
        if p.active || selected {
            v.push(Choice {
                value: p.id.to_string(),
                label: if p.active {
                    p.label.clone()
                } else {
                    format!("{} (désactivé)", p.label)
                },
                selected,
            });
        }
    }
    unknown_opt(&mut v, cur, found);
    v
}

pub(super) fn unknown_opt(v: &mut Vec<Choice>, cur: &str, found: bool) {
    if !found && !cur.is_empty() {
        v.push(Choice {
            value: cur.to_owned(),
            label: format!("Valeur inconnue ({cur})"),
            selected: true,
        });
    }
}

pub(super) fn fixed_opts<'a>(
    items: impl IntoIterator<Item = (&'a str, String)>,
    current: &str,
) -> Vec<Choice> {
    let cur = current.trim();
    let mut found = false;
    let mut v: Vec<Choice> = items
        .into_iter()
        .map(|(value, label)| {
            let selected = value == cur;
            found |= selected;
            Choice {
                value: value.to_owned(),
                label,
                selected,
            }
        })
        .collect();
    unknown_opt(&mut v, cur, found);
    v
}

pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn address(b: &mut B<'_>, p: &str, a: &AddressForm) -> Vec<W> {
    vec![
        W {
            class: "narrow",
            ..b.text(&format!("{p}.number"), "N°", &a.number, SHORT_MAX)
        },
        b.text(
            &format!("{p}.street"),
            L::ADDRESS_STREET,
            &a.street,
            SHORT_MAX,
        ),
        b.text(
            &format!("{p}.complement"),
            "Complément",
            &a.complement,
            SHORT_MAX,
        ),
        W {
            class: "narrow",
            placeholder: "18000",
            ..b.text(
                &format!("{p}.postal_code"),
                L::ADDRESS_POSTAL_CODE,
                &a.postal_code,
                5,
            )
        },
        W {
            list: "communes",
            class: "narrow",
            hint: "Choisir dans la liste (communes du département) ou saisir le code.".into(),
            ..b.text(
                &format!("{p}.commune_insee"),
                L::ADDRESS_INSEE,
                &a.commune_insee,
                5,
            )
        },
        b.text(&format!("{p}.city"), L::ADDRESS_CITY, &a.city, SHORT_MAX),
    ]
}
