//! The dossier form's page: one form for the whole dossier (creation and modification),
//! which works fully without JavaScript.
//!
//! Every action is a submit button (`name="action"`): `save` writes; the others (add a
//! child, remove an author…) only show the form again from the posted values. A save
//! sends each part's version and whether the agent changed it (its fingerprint differs
//! from the one rendered): two agents editing different children do not collide; a stale
//! part comes back with the other agent's values (409) and saving again applies the
//! typed ones.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use vigie_domain::text::{COMMENT_MAX, LONG_MAX, SHORT_MAX};
use vigie_domain::{
    DomainError, DossierStatus, FieldError, ParamKind, Permission, Sex, SourceConfidentiality,
};
use vigie_store::StoreError;
use vigie_store::dossiers::DossierRecord;
use vigie_store::edit::{DirectConclusionCode, Part, PartConflict};
use vigie_store::params::Catalog;
use vigie_store::sessions::SessionUser;
use vigie_store::suggest::Suggestion;
use vigie_store::users::User;

use super::form::{
    Action, BIRTH_KINDS, ChildForm, Communes, Converted, Defaults, DossierForm, marked,
    parse_local_datetime,
};
use super::view::OtherView;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::shared::dates::{date, datetime, parse_date};
use crate::shared::{Choice, Chrome, actor, path_id, render};

// ---------------------------------------------------------------------------------------
// View model: every input is a widget with its label, id, value and error.

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

fn hidden(name: impl Into<String>, value: impl Into<String>) -> Hidden {
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

#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub label: String,
    pub current: String,
    pub typed: String,
}

#[derive(Debug, Clone)]
pub struct ConflictView {
    pub title: String,
    pub who: String,
    pub removed: bool,
    pub rows: Vec<ChangeRow>,
    pub href: String,
}

#[derive(Debug, Clone)]
pub struct AdultView {
    pub index: usize,
    pub title: String,
    /// Whether a name is typed (the legend then shows it).
    pub named: bool,
    pub group: Group,
    pub hidden: Vec<Hidden>,
    pub identity: Vec<W>,
    pub address: Vec<W>,
    pub contact: Vec<W>,
}

#[derive(Debug, Clone)]
pub struct LinkView {
    pub adult: String,
    pub link: W,
    pub authority: W,
}

#[derive(Debug, Clone)]
pub struct AuthorView {
    pub index: usize,
    pub n: usize,
    pub group: Group,
    pub widgets: Vec<W>,
}

#[derive(Debug, Clone)]
pub struct GridRow {
    pub anchor: String,
    pub n: usize,
    pub name: String,
    pub sex: String,
    pub birth: String,
    pub motifs: usize,
    pub conclusion: String,
    pub removing: bool,
    pub invalid: bool,
}

#[derive(Debug, Clone)]
pub struct ChildView {
    pub index: usize,
    pub n: usize,
    pub anchor: String,
    pub title: String,
    /// Whether a name is typed (the legend then shows it).
    pub named: bool,
    pub group: Group,
    pub removing: bool,
    pub is_new: bool,
    pub hidden: Vec<Hidden>,
    pub person: Option<String>,
    pub identity: Vec<W>,
    pub adult_confirm: Option<W>,
    pub address: Vec<W>,
    pub facts: Vec<W>,
    pub links: Vec<LinkView>,
    pub links_group: Group,
    pub authors: Vec<AuthorView>,
    pub authors_group: Group,
    pub motifs: Vec<W>,
    pub motifs_group: Group,
    pub conclusion: Vec<W>,
    pub others: Vec<OtherView>,
    pub first: bool,
    pub last: bool,
    pub conflict: bool,
    /// Whether known persons were looked for (the result list is then shown).
    pub searched: bool,
    pub suggestions: Vec<SuggestionView>,
}

/// A known person who may be this child, with their earlier dossiers.
#[derive(Debug, Clone)]
pub struct SuggestionView {
    pub person_id: i64,
    pub text: String,
    pub dossiers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub index: usize,
    pub n: usize,
    pub anchor: String,
    pub title: String,
    pub group: Group,
    pub removing: bool,
    pub is_new: bool,
    pub hidden: Vec<Hidden>,
    pub widgets: Vec<W>,
    pub conflict: bool,
}

#[derive(Debug, Clone)]
pub struct FollowUpView {
    pub legend: String,
    pub group: Group,
    pub widgets: Vec<W>,
}

/// Everything the form page shows.
#[derive(Debug, Clone)]
pub struct EditView {
    pub title: String,
    pub is_new: bool,
    pub action: String,
    pub back: String,
    pub history: Option<String>,
    pub version: String,
    pub base: String,
    pub summary: Vec<ErrLink>,
    pub conflicts: Vec<ConflictView>,
    pub header: Vec<W>,
    pub flags: Vec<W>,
    pub status: Vec<W>,
    pub source: Vec<W>,
    pub source_address: Vec<W>,
    pub adults_group: Group,
    pub adults: Vec<AdultView>,
    pub children_group: Group,
    pub grid: Vec<GridRow>,
    pub children: Vec<ChildView>,
    pub next_child_anchor: String,
    pub expose: Vec<W>,
    pub assignments_group: Group,
    pub assignments: Vec<AssignmentView>,
    pub next_assignment_anchor: String,
    pub follow_ups: Vec<FollowUpView>,
    pub removed_children: Vec<String>,
    pub removed_assignments: Vec<String>,
    pub communes: Vec<Choice>,
    /// The section to show first (`data-current-tab`), empty for the first.
    pub current_tab: String,
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
fn parent_key(key: &str) -> Option<&str> {
    if let Some(stripped) = key.strip_suffix(']') {
        return stripped.rfind('[').map(|i| &key[..i]);
    }
    key.rfind('.').map(|i| &key[..i])
}

/// Errors by the key of the widget or group they attach to.
#[derive(Debug, Default)]
struct Errs {
    /// anchor key → messages shown next to it.
    at: HashMap<String, Vec<String>>,
}

/// Builds widgets, recording every key that can hold an error.
struct B<'a> {
    errs: &'a Errs,
    keys: HashSet<String>,
}

impl B<'_> {
    fn error(&mut self, key: &str) -> String {
        self.keys.insert(key.to_owned());
        self.errs
            .at
            .get(key)
            .map(|v| v.join(" "))
            .unwrap_or_default()
    }

    fn group(&mut self, key: &str) -> Group {
        Group {
            id: fid(key),
            error: self.error(key),
        }
    }

    fn w(&mut self, kind: &'static str, name: &str, label: &str, value: &str) -> W {
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

    fn text(&mut self, name: &str, label: &str, value: &str, max: usize) -> W {
        W {
            max,
            ..self.w("text", name, label, value)
        }
    }

    fn area(&mut self, name: &str, label: &str, value: &str, max: usize, rows: u32) -> W {
        W {
            max,
            rows,
            ..self.w("textarea", name, label, value)
        }
    }

    fn select(&mut self, name: &str, label: &str, options: Vec<Choice>) -> W {
        W {
            options,
            ..self.w("select", name, label, "")
        }
    }

    fn check(&mut self, name: &str, label: &str, checked: bool) -> W {
        W {
            checked,
            ..self.w("checkbox", name, label, "1")
        }
    }
}

/// Options of a parameter table: the active values, and a deactivated or unknown value
/// already chosen (so that nothing typed or stored disappears).
fn param_opts(cat: &Catalog, kind: ParamKind, current: &str, blank: Option<&str>) -> Vec<Choice> {
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

fn unknown_opt(v: &mut Vec<Choice>, cur: &str, found: bool) {
    if !found && !cur.is_empty() {
        v.push(Choice {
            value: cur.to_owned(),
            label: format!("Valeur inconnue ({cur})"),
            selected: true,
        });
    }
}

fn fixed_opts<'a>(
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

/// What the form needs besides the typed values.
#[derive(Debug)]
pub struct Ctx {
    pub cat: Catalog,
    pub users: Vec<User>,
    pub communes: Vec<vigie_store::communes::Commune>,
    pub defaults: Defaults,
    pub tz: chrono_tz::Tz,
}

impl Ctx {
    async fn load(state: &AppState) -> Result<Self, WebError> {
        let s = &state.store;
        let tz = s.timezone();
        let cat = s.catalog().await?;
        let users = s.list_users().await?;
        let departements = s
            .instance()
            .await?
            .map(|i| i.departements)
            .unwrap_or_default();
        let communes = s.communes_of(&departements).await?;
        let under_two_months = s.under_two_months().await?;
        let lieu_de_vie = cat
            .of_kind(ParamKind::LieuDeVie)
            .find(|p| p.active && p.meaning == Some(vigie_domain::param::Meaning::NonRenseigne))
            .map(|p| p.id.to_string())
            .unwrap_or_default();
        Ok(Self {
            defaults: Defaults {
                today: state.now().with_timezone(&tz).date_naive(),
                lieu_de_vie,
                under_two_months,
            },
            cat,
            users,
            communes,
            tz,
        })
    }

    fn commune_map(&self) -> Communes {
        let mut m: Communes = HashMap::new();
        for c in &self.communes {
            let e = m
                .entry(c.insee.clone())
                .or_insert_with(|| (c.name.clone(), Vec::new()));
            if !e.1.contains(&c.postal_code) {
                e.1.push(c.postal_code.clone());
            }
        }
        m
    }
}

/// The dossier being edited, as far as the page needs it.
struct Stored<'a> {
    id: i64,
    number: String,
    rec: &'a DossierRecord,
}

struct Render<'a> {
    ctx: &'a Ctx,
    stored: Option<Stored<'a>>,
    errors: &'a [FieldError],
    conflicts: &'a [PartConflict],
    /// Form indexes of the conflicting children and assignments.
    conflict_children: HashSet<usize>,
    conflict_assignments: HashSet<usize>,
    tab: Option<usize>,
    /// Known persons found for a child (form index).
    suggestions: Option<(usize, Vec<Suggestion>)>,
}

impl Render<'_> {
    fn view(&self, f: &DossierForm) -> EditView {
        // First pass: which keys can hold an error; then each error goes to its field, or
        // to the closest enclosing group.
        let empty = Errs::default();
        let mut b = B {
            errs: &empty,
            keys: HashSet::new(),
        };
        self.build(f, &mut b, vec![]);
        let keys = b.keys;
        let mut errs = Errs::default();
        let mut summary = Vec::new();
        for e in self.errors {
            let mut anchor = Some(e.field.as_str());
            while let Some(k) = anchor {
                if keys.contains(k) {
                    break;
                }
                anchor = parent_key(k);
            }
            let text = format!("{} : {}", e.label, e.message);
            match anchor {
                Some(k) => {
                    let shown = if k == e.field {
                        e.message.clone()
                    } else {
                        text.clone()
                    };
                    errs.at.entry(k.to_owned()).or_default().push(shown);
                    summary.push(ErrLink {
                        href: format!("#{}", fid(k)),
                        text,
                    });
                }
                None => summary.push(ErrLink {
                    href: "#formulaire".into(),
                    text,
                }),
            }
        }
        let mut b = B {
            errs: &errs,
            keys: HashSet::new(),
        };
        self.build(f, &mut b, summary)
    }

    #[allow(clippy::too_many_lines)]
    fn build(&self, f: &DossierForm, b: &mut B<'_>, summary: Vec<ErrLink>) -> EditView {
        let cat = &self.ctx.cat;
        let tz = self.ctx.tz;
        // En-tête.
        let mut received = b.w(
            "datetime-local",
            "received_at",
            "Reçue le (date et heure)",
            &f.received_at,
        );
        received.required = true;
        received.hint = format!("Heure locale ({}).", tz.name());
        let mut type_id = b.select(
            "type_id",
            "Type de dossier",
            param_opts(cat, ParamKind::DossierType, &f.type_id, Some("— choisir —")),
        );
        type_id.required = true;
        let agents = {
            let cur = f.receiving_agent_id.trim();
            let mut v = vec![Choice {
                value: String::new(),
                label: "— non renseigné —".into(),
                selected: cur.is_empty(),
            }];
            let mut found = false;
            for u in &self.ctx.users {
                let selected = u.id.to_string() == cur;
                found |= selected;
                if selected || (u.active && u.role.has(Permission::DossierWrite)) {
                    v.push(Choice {
                        value: u.id.to_string(),
                        label: if u.active {
                            u.display_name.clone()
                        } else {
                            format!("{} (compte désactivé)", u.display_name)
                        },
                        selected,
                    });
                }
            }
            unknown_opt(&mut v, cur, found);
            v
        };
        let receiving = b.select("receiving_agent_id", "Récepteur", agents);
        let mut channel = b.select(
            "channel_id",
            "Support",
            param_opts(cat, ParamKind::Channel, &f.channel_id, Some("— choisir —")),
        );
        channel.required = true;
        let snated = b.text(
            "snated_number",
            "N° 119 (SNATED)",
            &f.snated_number,
            SHORT_MAX,
        );
        let territories = {
            let cur = f.territory_id.trim();
            let mut v = vec![Choice {
                value: String::new(),
                label: "— choisir —".into(),
                selected: cur.is_empty(),
            }];
            let mut found = false;
            for t in &cat.territories {
                let selected = t.id.to_string() == cur;
                found |= selected;
                if t.active || selected {
                    v.push(Choice {
                        value: t.id.to_string(),
                        label: if t.active {
                            t.label.clone()
                        } else {
                            format!("{} (désactivé)", t.label)
                        },
                        selected,
                    });
                }
            }
            unknown_opt(&mut v, cur, found);
            v
        };
        let mut territory = b.select("territory_id", "Territoire", territories);
        territory.required = true;
        let header = vec![received, type_id, receiving, channel, snated, territory];
        let flags = vec![
            b.check("sip", "S.I.P.", f.sip),
            b.check("danger_grave", "Danger grave et immédiat", f.danger_grave),
            b.check(
                "violence_conjugale",
                "Violence conjugale",
                f.violence_conjugale,
            ),
        ];
        let status = vec![
            b.select(
                "status",
                "Statut",
                fixed_opts(
                    DossierStatus::ALL
                        .iter()
                        .map(|s| (s.code(), cat.status_label(*s))),
                    &f.status,
                ),
            ),
            W {
                hint: "Pour passer à « Conclue » depuis « Reçue » ou « Qualifiée ».".into(),
                ..b.select("direct", "Conclusion sans évaluation : raison", {
                    let mut v = vec![Choice {
                        value: String::new(),
                        label: "— sans objet —".into(),
                        selected: f.direct.trim().is_empty(),
                    }];
                    v.extend(fixed_opts(
                        DirectConclusionCode::ALL
                            .iter()
                            .map(|d| (d.code(), capitalize(d.label()))),
                        &f.direct,
                    ));
                    v
                })
            },
            W {
                hint: "Quand un dossier conclu ou clôturé est rouvert.".into(),
                ..b.text(
                    "status_reason",
                    "Motif de réouverture",
                    &f.status_reason,
                    COMMENT_MAX,
                )
            },
        ];
        // Signalant.
        let s = &f.source;
        let source = vec![
            b.select(
                "source.category_id",
                "Catégorie",
                param_opts(
                    cat,
                    ParamKind::SourceCategory,
                    &s.category_id,
                    Some("— non renseignée —"),
                ),
            ),
            b.select(
                "source.confidentiality",
                "Identité",
                fixed_opts(
                    [
                        SourceConfidentiality::Known,
                        SourceConfidentiality::Confidential,
                        SourceConfidentiality::Anonymous,
                    ]
                    .iter()
                    .map(|c| (c.code(), c.label().to_owned())),
                    &s.confidentiality,
                ),
            ),
            b.text("source.name", "Nom", &s.name, SHORT_MAX),
            b.text(
                "source.organisation",
                "Organisme",
                &s.organisation,
                SHORT_MAX,
            ),
            W {
                kind: "email",
                ..b.text("source.email", "Courriel", &s.email, SHORT_MAX)
            },
            W {
                kind: "tel",
                ..b.text("source.phone", "Téléphone", &s.phone, SHORT_MAX)
            },
        ];
        let source_address = address(b, "source.address", &s.address);
        // Parents.
        let adults_group = b.group("adults");
        let adults = f
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let p = format!("adults[{i}]");
                AdultView {
                    index: i,
                    title: a.display(i),
                    named: a.display(i) != format!("Parent {}", i + 1),
                    group: b.group(&p),
                    hidden: vec![hidden(format!("{p}.id"), a.id.clone())],
                    identity: vec![
                        b.select(
                            &format!("{p}.civility_id"),
                            "Civilité",
                            param_opts(cat, ParamKind::Civility, &a.civility_id, Some("—")),
                        ),
                        W {
                            required: true,
                            ..b.text(
                                &format!("{p}.birth_name"),
                                "Nom de naissance",
                                &a.birth_name,
                                SHORT_MAX,
                            )
                        },
                        b.text(
                            &format!("{p}.usage_name"),
                            "Nom d'usage",
                            &a.usage_name,
                            SHORT_MAX,
                        ),
                        b.text(
                            &format!("{p}.first_names"),
                            "Prénoms",
                            &a.first_names,
                            SHORT_MAX,
                        ),
                    ],
                    address: address(b, &format!("{p}.address"), &a.address),
                    contact: vec![
                        W {
                            kind: "tel",
                            ..b.text(&format!("{p}.phone"), "Téléphone", &a.phone, SHORT_MAX)
                        },
                        W {
                            kind: "email",
                            ..b.text(&format!("{p}.email"), "Courriel", &a.email, SHORT_MAX)
                        },
                    ],
                }
            })
            .collect();
        // Enfants.
        let children_group = b.group("children");
        let adult_names: Vec<String> = f
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| a.display(i))
            .collect();
        let received_on = parse_local_datetime(&f.received_at).map(|d| d.date());
        let n_children = f.children.len();
        let mut grid = Vec::new();
        let mut children = Vec::new();
        for (i, c) in f.children.iter().enumerate() {
            let p = format!("children[{i}]");
            let removing = marked(&f.removed_children, &c.id);
            let view = self.child(b, c, i, n_children, &p, &adult_names, received_on, removing);
            grid.push(GridRow {
                anchor: view.anchor.clone(),
                n: i + 1,
                name: c.display(i),
                sex: Sex::parse(c.sex.trim())
                    .map(|s| s.label().to_owned())
                    .unwrap_or_default(),
                birth: c.birth().map(|b| b.display()).unwrap_or_default(),
                motifs: c.motifs.len(),
                conclusion: c
                    .conclusion
                    .trim()
                    .parse()
                    .ok()
                    .map(|id| cat.label(Some(id)))
                    .unwrap_or_default(),
                removing,
                invalid: self
                    .errors
                    .iter()
                    .any(|e| e.field.starts_with(&format!("{p}."))),
            });
            children.push(view);
        }
        // Exposé.
        let expose = vec![
            b.area(
                "expose",
                "Synthèse de la situation",
                &f.expose,
                LONG_MAX,
                10,
            ),
            b.area(
                "observation",
                "Observation de la CRIP",
                &f.observation,
                LONG_MAX,
                6,
            ),
        ];
        // Traitement de l'information.
        let assignments_group = b.group("assignments");
        let deadline = f.default_due(tz, &self.ctx.defaults);
        let assignments = f
            .assignments
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let p = format!("assignments[{i}]");
                let removing = marked(&f.removed_assignments, &a.id);
                let services = {
                    let cur = a.service_id.trim();
                    let mut v = vec![Choice {
                        value: String::new(),
                        label: "— choisir —".into(),
                        selected: cur.is_empty(),
                    }];
                    let mut found = false;
                    for s in &cat.services {
                        let selected = s.id.to_string() == cur;
                        found |= selected;
                        if s.active || selected {
                            let t = cat
                                .territory(s.territory_id)
                                .map(|t| t.label.as_str())
                                .unwrap_or("");
                            v.push(Choice {
                                value: s.id.to_string(),
                                label: format!(
                                    "{} — {t}{}",
                                    s.label,
                                    if s.active { "" } else { " (désactivé)" }
                                ),
                                selected,
                            });
                        }
                    }
                    unknown_opt(&mut v, cur, found);
                    v
                };
                let title = cat
                    .service(a.service_id.trim().parse().unwrap_or_default())
                    .map(|s| s.label.clone())
                    .unwrap_or_else(|| format!("Affectation {}", i + 1));
                let mut due = b.w("date", &format!("{p}.due_on"), "Échéance", &a.due_on);
                due.required = true;
                if let Some((legal, short)) = deadline {
                    due.hint = if legal == short {
                        format!("Délai légal : {} (3 mois après la réception).", date(legal))
                    } else {
                        format!(
                            "Délai légal : {} ; délai réduit (enfant de moins de deux ans) : {}.",
                            date(legal),
                            date(short)
                        )
                    };
                }
                let mut evaluators = b.area(
                    &format!("{p}.evaluators"),
                    "Évaluateurs (un par ligne)",
                    &a.evaluators,
                    COMMENT_MAX,
                    3,
                );
                if !a.cancelled && a.evaluator_names().len() < 2 {
                    evaluators.warn =
                        "Moins de deux évaluateurs : l'évaluation doit être pluridisciplinaire."
                            .into();
                }
                AssignmentView {
                    index: i,
                    n: i + 1,
                    anchor: format!("affectation-{}", i + 1),
                    title,
                    group: b.group(&p),
                    removing,
                    is_new: a.id.trim().is_empty(),
                    hidden: vec![
                        hidden(format!("{p}.id"), a.id.clone()),
                        hidden(format!("{p}.version"), a.version.clone()),
                        hidden(format!("{p}.base"), a.base.clone()),
                    ],
                    widgets: vec![
                        W {
                            required: true,
                            ..b.select(&format!("{p}.service_id"), "Service", services)
                        },
                        W {
                            required: true,
                            ..b.w("date", &format!("{p}.asked_on"), "Demandée le", &a.asked_on)
                        },
                        due,
                        evaluators,
                        b.w(
                            "date",
                            &format!("{p}.returned_on"),
                            "Retour le",
                            &a.returned_on,
                        ),
                        b.select(
                            &format!("{p}.result_id"),
                            "Résultat",
                            param_opts(cat, ParamKind::EvaluationResult, &a.result_id, Some("—")),
                        ),
                        b.check(&format!("{p}.cancelled"), "Annulée", a.cancelled),
                        b.area(
                            &format!("{p}.comment"),
                            "Commentaire",
                            &a.comment,
                            COMMENT_MAX,
                            2,
                        ),
                    ],
                    conflict: self.conflict_assignments.contains(&i),
                }
            })
            .collect();
        // Suites.
        let follow_ups = f
            .follow_ups
            .iter()
            .map(|fu| {
                let p = format!("follow_ups.{}", fu.kind.code());
                FollowUpView {
                    legend: fu.kind.label().to_owned(),
                    group: b.group(&p),
                    widgets: vec![
                        b.w(
                            "datetime-local",
                            &format!("{p}.done_at"),
                            "Fait le",
                            &fu.done_at,
                        ),
                        b.w(
                            "date",
                            &format!("{p}.due_on"),
                            "À faire pour le",
                            &fu.due_on,
                        ),
                        b.text(
                            &format!("{p}.not_done_reason"),
                            "Non fait : raison",
                            &fu.not_done_reason,
                            COMMENT_MAX,
                        ),
                    ],
                }
            })
            .collect();
        let (title, action, back, history) = match &self.stored {
            Some(s) => (
                format!("Modifier le dossier {}", s.number),
                format!("/dossiers/{}/modifier", s.id),
                format!("/dossiers/{}", s.id),
                Some(format!("/dossiers/{}/historique", s.id)),
            ),
            None => (
                "Nouveau dossier".to_owned(),
                "/dossiers/nouveau".to_owned(),
                "/dossiers".to_owned(),
                None,
            ),
        };
        let conflicts = self
            .conflicts
            .iter()
            .map(|c| self.conflict_view(c))
            .collect();
        let mut communes: Vec<Choice> = self
            .ctx
            .communes
            .iter()
            .map(|c| Choice {
                value: c.insee.clone(),
                label: format!("{} ({})", c.name, c.postal_code),
                selected: false,
            })
            .collect();
        communes.dedup_by(|a, b| a.value == b.value && a.label == b.label);
        EditView {
            title,
            is_new: self.stored.is_none(),
            action,
            back,
            history,
            version: f.version.clone(),
            base: f.base.clone(),
            summary,
            conflicts,
            header,
            flags,
            status,
            source,
            source_address,
            adults_group,
            adults,
            children_group,
            grid,
            next_child_anchor: format!("enfant-{}", n_children + 1),
            children,
            expose,
            assignments_group,
            next_assignment_anchor: format!("affectation-{}", f.assignments.len() + 1),
            assignments,
            follow_ups,
            removed_children: f.removed_children.clone(),
            removed_assignments: f.removed_assignments.clone(),
            communes,
            current_tab: self.tab.map(|t| t.to_string()).unwrap_or_default(),
        }
    }

    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    fn child(
        &self,
        b: &mut B<'_>,
        c: &ChildForm,
        i: usize,
        n_children: usize,
        p: &str,
        adult_names: &[String],
        received_on: Option<chrono::NaiveDate>,
        removing: bool,
    ) -> ChildView {
        let cat = &self.ctx.cat;
        let group = b.group(p);
        let sexes = fixed_opts(
            [Sex::Unknown, Sex::Male, Sex::Female]
                .iter()
                .map(|s| (s.code(), s.label().to_owned())),
            &c.sex,
        );
        let identity = vec![
            b.select(&format!("{p}.sex"), "Sexe", sexes),
            W {
                required: true,
                hint: "« INCONNU » si le nom n'est pas connu.".into(),
                ..b.text(
                    &format!("{p}.birth_name"),
                    "Nom de naissance",
                    &c.birth_name,
                    SHORT_MAX,
                )
            },
            b.text(
                &format!("{p}.usage_name"),
                "Nom d'usage",
                &c.usage_name,
                SHORT_MAX,
            ),
            b.text(
                &format!("{p}.first_names"),
                "Prénoms",
                &c.first_names,
                SHORT_MAX,
            ),
            b.select(
                &format!("{p}.birth_precision"),
                "Date de naissance : précision",
                fixed_opts(
                    BIRTH_KINDS.iter().map(|(k, l)| (*k, (*l).to_owned())),
                    &c.birth_precision,
                ),
            ),
            W {
                hint: "jj/mm/aaaa ; pour une date approximative, l'année suffit.".into(),
                ..b.w(
                    "date",
                    &format!("{p}.birth_date"),
                    "Date de naissance",
                    &c.birth_date,
                )
            },
        ];
        let age = match (c.birth(), received_on) {
            (
                Some(vigie_domain::BirthDate::Exact(d) | vigie_domain::BirthDate::Approximate(d)),
                Some(r),
            ) => Some(vigie_domain::deadline::age_on(d, r)),
            _ => None,
        };
        let confirm_key = format!("{p}.confirmed_adult");
        let adult_confirm = if c.confirmed_adult || age.is_some_and(|a| a >= 18) {
            Some(W {
                hint: "Jeune majeur : 18 à 20 ans à la réception de l'information.".into(),
                ..b.check(
                    &confirm_key,
                    "Jeune majeur confirmé (âge vérifié)",
                    c.confirmed_adult,
                )
            })
        } else {
            None
        };
        let mut address = address(b, &format!("{p}.address"), &c.address);
        if let Some(first) = address.first_mut() {
            first.label = "Numéro".into();
        }
        let facts = vec![
            b.select(
                &format!("{p}.csp_father_id"),
                "CSP du père",
                param_opts(cat, ParamKind::Csp, &c.csp_father_id, Some("—")),
            ),
            b.select(
                &format!("{p}.csp_mother_id"),
                "CSP de la mère",
                param_opts(cat, ParamKind::Csp, &c.csp_mother_id, Some("—")),
            ),
            b.select(
                &format!("{p}.lieu_de_vie_id"),
                "Lieu de vie",
                param_opts(cat, ParamKind::LieuDeVie, &c.lieu_de_vie_id, Some("—")),
            ),
            b.area(
                &format!("{p}.comment"),
                "Commentaire",
                &c.comment,
                COMMENT_MAX,
                2,
            ),
        ];
        let links_group = b.group(&format!("{p}.adults"));
        let links = c
            .adults
            .iter()
            .enumerate()
            .take(adult_names.len())
            .map(|(k, l)| {
                let q = format!("{p}.adults[{k}]");
                let name = &adult_names[k];
                LinkView {
                    adult: name.clone(),
                    link: b.select(
                        &format!("{q}.link_id"),
                        &format!("Lien de {name} avec l'enfant"),
                        param_opts(cat, ParamKind::Link, &l.link_id, Some("— aucun lien —")),
                    ),
                    authority: b.check(
                        &format!("{q}.parental_authority"),
                        &format!("{name} : titulaire de l'autorité parentale"),
                        l.parental_authority,
                    ),
                }
            })
            .collect();
        let authors_group = b.group(&format!("{p}.authors"));
        let authors = c
            .authors
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let q = format!("{p}.authors[{k}]");
                let cur = a.adult.trim();
                let mut who = vec![Choice {
                    value: String::new(),
                    label: "Un tiers (à nommer)".into(),
                    selected: cur.is_empty(),
                }];
                let mut found = false;
                for (ix, name) in adult_names.iter().enumerate() {
                    let selected = ix.to_string() == cur;
                    found |= selected;
                    who.push(Choice {
                        value: ix.to_string(),
                        label: name.clone(),
                        selected,
                    });
                }
                unknown_opt(&mut who, cur, found);
                AuthorView {
                    index: k,
                    n: k + 1,
                    group: b.group(&q),
                    widgets: vec![
                        b.select(
                            &format!("{q}.adult"),
                            &format!("Auteur présumé {} : qui", k + 1),
                            who,
                        ),
                        b.text(
                            &format!("{q}.third_party_name"),
                            "Tiers : nom",
                            &a.third_party_name,
                            SHORT_MAX,
                        ),
                        b.select(
                            &format!("{q}.link_id"),
                            "Lien avec l'enfant",
                            param_opts(cat, ParamKind::Link, &a.link_id, Some("— choisir —")),
                        ),
                    ],
                }
            })
            .collect();
        let motifs_group = b.group(&format!("{p}.motifs"));
        let motifs = {
            let name = format!("{p}.motifs");
            let mut v = Vec::new();
            let mut seen = Vec::new();
            for m in cat.of_kind(ParamKind::Motif) {
                let id = m.id.to_string();
                let on = c.motifs.iter().any(|x| x.trim() == id);
                if on {
                    seen.push(id.clone());
                }
                if m.active || on {
                    v.push(W {
                        kind: "checkbox",
                        name: name.clone(),
                        id: format!("{}-{}", fid(&name), m.id),
                        label: if m.active {
                            m.label.clone()
                        } else {
                            format!("{} (désactivé)", m.label)
                        },
                        value: id,
                        checked: on,
                        ..W::default()
                    });
                }
            }
            for x in c
                .motifs
                .iter()
                .filter(|x| !seen.contains(&x.trim().to_owned()))
            {
                v.push(W {
                    kind: "checkbox",
                    name: name.clone(),
                    id: format!("{}-x{}", fid(&name), v.len()),
                    label: format!("Valeur inconnue ({x})"),
                    value: x.clone(),
                    checked: true,
                    ..W::default()
                });
            }
            v
        };
        let conclusion = vec![
            b.select(
                &format!("{p}.evaluation_result_id"),
                "Résultat de l'évaluation",
                param_opts(
                    cat,
                    ParamKind::EvaluationResult,
                    &c.evaluation_result_id,
                    Some("— non renseigné —"),
                ),
            ),
            b.select(
                &format!("{p}.conclusion"),
                "Conclusion",
                param_opts(
                    cat,
                    ParamKind::Conclusion,
                    &c.conclusion,
                    Some("— aucune —"),
                ),
            ),
            b.w(
                "date",
                &format!("{p}.conclusion.on"),
                "Date de conclusion",
                &c.conclusion_on,
            ),
            b.area(
                &format!("{p}.conclusion.comment"),
                "Commentaire de conclusion",
                &c.conclusion_comment,
                COMMENT_MAX,
                2,
            ),
        ];
        let others: Vec<OtherView> = self
            .stored
            .as_ref()
            .and_then(|s| {
                let id: i64 = c.id.trim().parse().ok()?;
                s.rec.children.iter().find(|x| x.id == id)
            })
            .map(|x| {
                x.other_dossiers
                    .iter()
                    .map(|o| OtherView::new(o, self.ctx.tz))
                    .collect()
            })
            .unwrap_or_default();
        let is_new = c.id.trim().is_empty();
        let person = (!c.person_id.trim().is_empty()).then(|| {
            if is_new {
                format!(
                    "Enfant lié à une personne déjà connue (n° {}).",
                    c.person_id.trim()
                )
            } else if others.is_empty() {
                format!("Personne n° {}.", c.person_id.trim())
            } else {
                let list: Vec<&str> = others.iter().map(|o: &OtherView| o.text.as_str()).collect();
                format!(
                    "Personne n° {} : son identité est partagée avec {} autre{} dossier{} ({}). Modifier son nom, ses prénoms, son sexe ou sa date de naissance les modifie aussi dans {}.",
                    c.person_id.trim(),
                    others.len(),
                    if others.len() > 1 { "s" } else { "" },
                    if others.len() > 1 { "s" } else { "" },
                    list.join(" ; "),
                    if others.len() > 1 { "ces dossiers" } else { "ce dossier" }
                )
            }
        });
        ChildView {
            index: i,
            n: i + 1,
            anchor: format!("enfant-{}", i + 1),
            title: c.display(i),
            named: c.display(i) != format!("Enfant {}", i + 1),
            group,
            removing,
            is_new,
            hidden: vec![
                hidden(format!("{p}.id"), c.id.clone()),
                hidden(format!("{p}.version"), c.version.clone()),
                hidden(format!("{p}.base"), c.base.clone()),
                hidden(format!("{p}.person_id"), c.person_id.clone()),
            ],
            person,
            identity,
            adult_confirm,
            address,
            facts,
            links,
            links_group,
            authors,
            authors_group,
            motifs,
            motifs_group,
            conclusion,
            others,
            first: i == 0,
            last: i + 1 == n_children,
            conflict: self.conflict_children.contains(&i),
            searched: self.suggestions.as_ref().is_some_and(|(k, _)| *k == i),
            suggestions: self
                .suggestions
                .iter()
                .filter(|(k, _)| *k == i)
                .flat_map(|(_, list)| list)
                .map(|sg| suggestion_view(sg, self.ctx.tz))
                .collect(),
        }
    }

    fn conflict_view(&self, c: &PartConflict) -> ConflictView {
        let who = match (&c.by, c.at) {
            (Some(by), Some(at)) => format!("Modifié par {by} le {}", datetime(at, self.ctx.tz)),
            (Some(by), None) => format!("Modifié par {by}"),
            (None, Some(at)) => format!("Modifié le {}", datetime(at, self.ctx.tz)),
            (None, None) => "Modifié entre-temps".into(),
        };
        let who = if c.removed {
            format!(
                "{} : retiré du dossier entre-temps. Enregistrer à nouveau le recréera avec votre saisie.",
                who.replace("Modifié", "Retiré")
            )
        } else {
            who
        };
        let href = match c.part {
            Part::Header => "#entete",
            Part::Child => "#enfants",
            Part::Assignment => "#traitement",
        }
        .to_owned();
        ConflictView {
            title: c.part_label.clone(),
            who,
            removed: c.removed,
            rows: c
                .changes
                .iter()
                .map(|ch| ChangeRow {
                    label: ch.label.clone(),
                    current: ch.old.clone(),
                    typed: ch.new.clone(),
                })
                .collect(),
            href,
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn address(b: &mut B<'_>, p: &str, a: &super::form::AddressForm) -> Vec<W> {
    vec![
        W {
            class: "narrow",
            ..b.text(&format!("{p}.number"), "N°", &a.number, SHORT_MAX)
        },
        b.text(&format!("{p}.street"), "Voie", &a.street, SHORT_MAX),
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
                "Code postal",
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
                "Commune (code INSEE)",
                &a.commune_insee,
                5,
            )
        },
        b.text(&format!("{p}.city"), "Commune", &a.city, SHORT_MAX),
    ]
}

// ---------------------------------------------------------------------------------------
// Pages.

#[derive(Template)]
#[template(path = "dossier_edit.html")]
struct EditPage {
    demo: bool,
    chrome: Chrome,
    v: EditView,
}

fn page(
    state: &AppState,
    u: &SessionUser,
    status: StatusCode,
    r: &Render<'_>,
    f: &DossierForm,
) -> Response {
    render(
        status,
        &EditPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            v: r.view(f),
        },
    )
}

/// `GET /dossiers/nouveau`
pub async fn new_form(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
) -> Response {
    let ctx = match Ctx::load(&state).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let type_id = ctx
        .cat
        .of_kind(ParamKind::DossierType)
        .find(|p| {
            p.active && p.meaning == Some(vigie_domain::param::Meaning::InformationPreoccupante)
        })
        .map(|p| p.id.to_string())
        .unwrap_or_default();
    let me = ctx
        .users
        .iter()
        .find(|x| x.id == u.user_id && x.active)
        .map(|x| x.id.to_string())
        .unwrap_or_default();
    let f = DossierForm::new_dossier(state.now(), ctx.tz, &ctx.defaults, type_id, me);
    let r = Render {
        ctx: &ctx,
        stored: None,
        errors: &[],
        conflicts: &[],
        conflict_children: HashSet::new(),
        conflict_assignments: HashSet::new(),
        tab: None,
        suggestions: None,
    };
    page(&state, &u, StatusCode::OK, &r, &f)
}

/// `GET /dossiers/{id}/modifier`
pub async fn edit_form(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let rec = match state
        .store
        .read_dossier(state.now(), &actor(&u, ip), &u.scope(), id)
        .await
    {
        Ok(r) => r,
        Err(e) => return WebError::from(e).into_response(),
    };
    let ctx = match Ctx::load(&state).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let f = DossierForm::from_record(&rec, ctx.tz);
    let r = Render {
        ctx: &ctx,
        stored: Some(Stored {
            id,
            number: rec.number.to_string(),
            rec: &rec,
        }),
        errors: &[],
        conflicts: &[],
        conflict_children: HashSet::new(),
        conflict_assignments: HashSet::new(),
        tab: None,
        suggestions: None,
    };
    page(&state, &u, StatusCode::OK, &r, &f)
}

/// `POST /dossiers/nouveau`
pub async fn new_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    post(state, ip, u, None, pairs)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /dossiers/{id}/modifier`
pub async fn edit_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    post(state, ip, u, Some(id), pairs)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// What a post led to, besides the form itself.
#[derive(Debug, Default)]
struct Outcome {
    status: Option<StatusCode>,
    errors: Vec<FieldError>,
    conflicts: Vec<PartConflict>,
    conflict_children: HashSet<usize>,
    conflict_assignments: HashSet<usize>,
    /// The section to show first (for the tabs made by vigie.js).
    tab: Option<usize>,
    suggestions: Option<(usize, Vec<Suggestion>)>,
}

fn suggestion_view(sg: &Suggestion, tz: chrono_tz::Tz) -> SuggestionView {
    let p = &sg.person;
    let family = p.usage_name.clone().unwrap_or_else(|| p.birth_name.clone());
    let mut text = format!("{} {}", p.first_names, family.to_uppercase());
    if p.usage_name.is_some() {
        text.push_str(&format!(" (né·e {})", p.birth_name.to_uppercase()));
    }
    text.push_str(&format!(", {}", p.sex.label().to_lowercase()));
    match p.birth {
        vigie_domain::BirthDate::Unknown => text.push_str(", naissance inconnue"),
        b => text.push_str(&format!(", naissance : {}", b.display())),
    }
    SuggestionView {
        person_id: sg.person_id,
        text,
        dossiers: sg
            .dossiers
            .iter()
            .map(|d| {
                format!(
                    "dossier {} du {} ({}){}",
                    d.number,
                    d.received_at.with_timezone(&tz).format("%d/%m/%Y"),
                    d.territory_label,
                    if d.in_scope {
                        ""
                    } else {
                        " — hors de votre périmètre"
                    }
                )
            })
            .collect(),
    }
}

/// The known persons like child `i` as typed; a name the domain refuses (a control
/// character, too long) is a field error shown in the form, which keeps what was typed.
async fn suggestions(
    state: &AppState,
    scope: &vigie_domain::Scope,
    form: &DossierForm,
    i: usize,
) -> Result<Result<Vec<vigie_store::suggest::Suggestion>, Vec<FieldError>>, WebError> {
    let Some(p) = form.children.get(i).and_then(ChildForm::typed_person) else {
        return Ok(Ok(vec![]));
    };
    match state.store.suggest_persons(scope, &p, 10).await {
        Ok(list) => Ok(Ok(list)),
        // The store names the person's field; the form names the child's.
        Err(vigie_store::StoreError::Invalid(d)) => Ok(Err(d
            .fields()
            .iter()
            .map(|f| FieldError {
                field: format!("children[{i}].{}", f.field),
                ..f.clone()
            })
            .collect())),
        Err(e) => Err(e.into()),
    }
}

/// The section an action is about: 0 en-tête, 1 parents, 2 enfants, 4 traitement.
fn tab_of(a: &Action) -> Option<usize> {
    match a {
        Action::Save => None,
        Action::AddAdult | Action::RemoveAdult(_) => Some(1),
        Action::AddAssignment | Action::RemoveAssignment(_) | Action::CancelRemoveAssignment(_) => {
            Some(4)
        }
        _ => Some(2),
    }
}

async fn post(
    state: AppState,
    ip: Option<String>,
    u: SessionUser,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let (mut form, action) = DossierForm::parse(&pairs);
    let ctx = Ctx::load(&state).await?;
    let who = actor(&u, ip);
    let scope = u.scope();
    let mut out = Outcome::default();
    match action {
        Some(Action::Save) => {
            let conv = form.to_edit(id, state.now(), ctx.tz, &ctx.commune_map());
            out.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
            if conv.errors.is_empty() {
                match state
                    .store
                    .save_dossier(state.now(), &who, &scope, &conv.edit)
                    .await
                {
                    Ok(saved) => {
                        return Ok((
                            StatusCode::SEE_OTHER,
                            [(
                                header::LOCATION,
                                format!("/dossiers/{}?enregistre=1#enregistre", saved.id),
                            )],
                        )
                            .into_response());
                    }
                    Err(StoreError::Invalid(DomainError::Invalid(fields))) => {
                        out.errors = fields
                            .into_iter()
                            .map(|e| FieldError {
                                field: conv.form_key(&e.field),
                                ..e
                            })
                            .collect();
                    }
                    Err(StoreError::Invalid(DomainError::Rule(m))) => {
                        out.errors = vec![FieldError::new("form", "Enregistrement impossible", m)];
                    }
                    Err(StoreError::Conflicts(list)) => {
                        out.status = Some(StatusCode::CONFLICT);
                        out.conflicts = list;
                    }
                    // The form comes back with everything typed: nothing is lost.
                    Err(e @ StoreError::Db(_)) => {
                        let op = crate::http::error::log_db_failure(&e);
                        out.status = Some(StatusCode::SERVICE_UNAVAILABLE);
                        out.errors = vec![FieldError::new(
                            "form",
                            "Enregistrement impossible",
                            format!(
                                "{} Votre saisie est conservée ci-dessous : « Enregistrer » à nouveau l'enregistrera.",
                                crate::http::error::nothing_saved(&op)
                            ),
                        )];
                    }
                    Err(e) => return Err(e.into()),
                }
            } else {
                out.errors = conv.errors.clone();
            }
            if !out.conflicts.is_empty()
                && let Some(did) = id
            {
                let rec = state
                    .store
                    .read_dossier(state.now(), &who, &scope, did)
                    .await?;
                rebase(&mut form, &conv, &out.conflicts, &rec, ctx.tz);
                for c in &out.conflicts {
                    match (c.part, c.index) {
                        (Part::Child, Some(i)) => {
                            out.conflict_children
                                .insert(conv.child_rows.get(i).copied().unwrap_or(i));
                        }
                        (Part::Assignment, Some(i)) => {
                            out.conflict_assignments
                                .insert(conv.assignment_rows.get(i).copied().unwrap_or(i));
                        }
                        _ => {}
                    }
                }
                return Ok(respond(&state, &u, &ctx, Some(&rec), &form, out));
            }
        }
        Some(Action::SuggestPersons(i)) => {
            out.tab = Some(2);
            let list = match suggestions(&state, &scope, &form, i).await? {
                Ok(list) => list,
                Err(errors) => {
                    out.errors = errors;
                    vec![]
                }
            };
            out.suggestions = Some((i, list));
        }
        Some(Action::LinkPerson(i, pid)) => {
            out.tab = Some(2);
            let list = match suggestions(&state, &scope, &form, i).await? {
                Ok(list) => list,
                Err(errors) => {
                    out.errors = errors;
                    vec![]
                }
            };
            match (
                list.iter().find(|s| s.person_id == pid),
                form.children.get_mut(i),
            ) {
                (Some(s), Some(c)) => c.take_identity(pid, &s.person),
                _ => out.suggestions = Some((i, list)),
            }
        }
        Some(a) => {
            form.apply(&a, ctx.tz, &ctx.defaults);
            out.tab = tab_of(&a);
        }
        None => {}
    }
    let rec = match id {
        Some(did) => Some(
            state
                .store
                .read_dossier(state.now(), &who, &scope, did)
                .await?,
        ),
        None => None,
    };
    Ok(respond(&state, &u, &ctx, rec.as_ref(), &form, out))
}

fn respond(
    state: &AppState,
    u: &SessionUser,
    ctx: &Ctx,
    rec: Option<&DossierRecord>,
    form: &DossierForm,
    out: Outcome,
) -> Response {
    let r = Render {
        ctx,
        stored: rec.map(|rec| Stored {
            id: rec.id,
            number: rec.number.to_string(),
            rec,
        }),
        errors: &out.errors,
        conflicts: &out.conflicts,
        conflict_children: out.conflict_children,
        conflict_assignments: out.conflict_assignments,
        tab: out.tab,
        suggestions: out.suggestions,
    };
    page(state, u, out.status.unwrap_or(StatusCode::OK), &r, form)
}

/// After a conflict: each conflicting part now starts from what is stored (its current
/// version and fingerprint), so that saving again deliberately applies the typed values.
fn rebase(
    form: &mut DossierForm,
    conv: &Converted,
    conflicts: &[PartConflict],
    rec: &DossierRecord,
    tz: chrono_tz::Tz,
) {
    let stored = DossierForm::from_record(rec, tz);
    for c in conflicts {
        match (c.part, c.index) {
            (Part::Header, _) => {
                form.version = stored.version.clone();
                form.base = stored.base.clone();
            }
            (Part::Child, Some(i)) => {
                let Some(row) = conv
                    .child_rows
                    .get(i)
                    .and_then(|r| form.children.get_mut(*r))
                else {
                    continue;
                };
                let now = stored
                    .children
                    .iter()
                    .find(|s| s.id == row.id)
                    .map(|s| (&s.version, &s.base));
                rebase_row(&mut row.id, &mut row.version, &mut row.base, now, c.removed);
            }
            (Part::Assignment, Some(i)) => {
                let Some(row) = conv
                    .assignment_rows
                    .get(i)
                    .and_then(|r| form.assignments.get_mut(*r))
                else {
                    continue;
                };
                let now = stored
                    .assignments
                    .iter()
                    .find(|s| s.id == row.id)
                    .map(|s| (&s.version, &s.base));
                rebase_row(&mut row.id, &mut row.version, &mut row.base, now, c.removed);
            }
            // A part to remove that changed meanwhile: removing it again is deliberate.
            (Part::Child, None) => {
                form.removed_children = rebase_removed(&form.removed_children, |id| {
                    stored
                        .children
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.version.clone())
                });
            }
            (Part::Assignment, None) => {
                form.removed_assignments = rebase_removed(&form.removed_assignments, |id| {
                    stored
                        .assignments
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.version.clone())
                });
            }
        }
    }
}

/// One conflicting child or assignment row: it now starts from the stored version and
/// fingerprint (`now`), or, when the other agent removed it, becomes new again so that
/// saving again recreates it.
fn rebase_row(
    id: &mut String,
    version: &mut String,
    base: &mut String,
    now: Option<(&String, &String)>,
    removed: bool,
) {
    match now {
        Some((v, b)) if !removed => {
            version.clone_from(v);
            base.clone_from(b);
        }
        _ => {
            id.clear();
            version.clear();
            base.clear();
        }
    }
}

fn rebase_removed(list: &[String], current: impl Fn(&str) -> Option<String>) -> Vec<String> {
    list.iter()
        .filter_map(|e| {
            let id = e.split(':').next().unwrap_or_default();
            current(id).map(|v| format!("{id}:{v}"))
        })
        .collect()
}
