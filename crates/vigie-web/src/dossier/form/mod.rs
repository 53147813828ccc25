//! The dossier form as typed: every field is kept as the string the browser sent, so
//! that nothing typed is ever lost when the form comes back with errors, a conflict or
//! after a no-JavaScript action (add a child, remove an author…).
//!
//! - [`DossierForm::parse`] reads the posted pairs (names mirror the domain's error keys:
//!   `received_at`, `children[0].birth_date`, `children[0].authors[1].link_id`,
//!   `follow_ups.parquet.done_at`…);
//! - [`DossierForm::from_record`] renders a stored dossier, with each part's fingerprint
//!   (`base`) so that a save only touches the parts the agent changed;
//! - [`DossierForm::apply`] performs an action that is not a save;
//! - [`DossierForm::to_edit`] converts to a [`DossierEdit`], with a French error naming the
//!   field for each unreadable value.
//!
//! The types are here; each step has its file: [`parse`], [`record`], [`apply`],
//! [`fingerprint`], [`convert`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use vigie_domain::dossier::DossierEdit;
use vigie_domain::text::clean;
use vigie_domain::{BirthDate, FieldError, FollowUpKind, Sex};

use crate::shared::dates::parse_date;

/// At most this many rows of each kind are read from a post; beyond, the form says which
/// limit was passed ([`DossierForm::over_limit`]). The limits are the domain's.
pub use vigie_domain::limits::{
    MAX_ADULTS, MAX_ASSIGNMENTS, MAX_AUTHORS_PER_CHILD as MAX_AUTHORS, MAX_CHILDREN,
    MAX_MOTIFS_PER_CHILD,
};

/// A postal address as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressForm {
    pub number: String,
    pub street: String,
    pub complement: String,
    pub postal_code: String,
    pub commune_insee: String,
    pub city: String,
}

/// INSEE code → (name, postal codes): the communes offered in the form.
pub type Communes = HashMap<String, (String, Vec<String>)>;

/// The source of the IP (« Signalant »).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceForm {
    pub category_id: String,
    pub confidentiality: String,
    pub name: String,
    pub organisation: String,
    pub address: AddressForm,
    pub email: String,
    pub phone: String,
}

/// A parent or holder of parental authority.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdultForm {
    /// Stored id (empty for a new adult).
    pub id: String,
    pub civility_id: String,
    pub birth_name: String,
    pub usage_name: String,
    pub first_names: String,
    pub address: AddressForm,
    pub phone: String,
    pub email: String,
}

impl AdultForm {
    /// « Marie DUPONT », or « Parent 2 » while nothing is typed.
    pub fn display(&self, index: usize) -> String {
        typed_name(&self.first_names, &self.birth_name, &self.usage_name)
            .unwrap_or_else(|| format!("Parent {}", index + 1))
    }
}

/// « Marie DUPONT » from the names as typed (the usage name when there is one); `None`
/// while nothing is typed.
fn typed_name(first_names: &str, birth_name: &str, usage_name: &str) -> Option<String> {
    let family = if usage_name.trim().is_empty() {
        birth_name.trim()
    } else {
        usage_name.trim()
    };
    let s = format!("{} {}", first_names.trim(), family.to_uppercase())
        .trim()
        .to_owned();
    (!s.is_empty()).then_some(s)
}

/// A child's link to one adult of the dossier (one per adult, by index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkForm {
    pub link_id: String,
    pub parental_authority: bool,
}

/// An alleged author: an adult of the dossier (`adult` = its index) or a named third party.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorForm {
    pub adult: String,
    pub third_party_name: String,
    pub link_id: String,
}

impl AuthorForm {
    fn is_blank(&self) -> bool {
        self.adult.trim().is_empty()
            && self.third_party_name.trim().is_empty()
            && self.link_id.trim().is_empty()
    }
}

/// Birth date precision codes (as stored: [`BirthDate::to_parts`]).
pub const BIRTH_KINDS: [(&str, &str); 4] = [
    ("exacte", "Date exacte"),
    ("approx", "Date approximative (année connue)"),
    ("a_naitre", "Enfant à naître (date du terme)"),
    ("inconnue", "Inconnue"),
];

/// A child of the fratrie in this dossier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildForm {
    pub id: String,
    pub version: String,
    pub base: String,
    pub person_id: String,
    pub sex: String,
    pub birth_name: String,
    pub usage_name: String,
    pub first_names: String,
    pub birth_precision: String,
    pub birth_date: String,
    pub address: AddressForm,
    pub csp_father_id: String,
    pub csp_mother_id: String,
    pub lieu_de_vie_id: String,
    pub comment: String,
    /// One per adult of the dossier, by index.
    pub adults: Vec<LinkForm>,
    pub authors: Vec<AuthorForm>,
    pub motifs: Vec<String>,
    pub evaluation_result_id: String,
    pub conclusion: String,
    pub conclusion_on: String,
    pub conclusion_comment: String,
    /// « Jeune majeur confirmé ».
    pub confirmed_adult: bool,
    /// The person's other dossiers, as shown when the page was opened (display only,
    /// carried by the page like the number).
    pub others: Vec<OtherForm>,
}

/// Another dossier of a child's person, as the page shows it: its text (« 2026-000123 du
/// 20/11/2026 (Bourges) ») and its id when it is within the agent's scope (for the link).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtherForm {
    pub id: String,
    pub text: String,
}

/// At most this many other dossiers of a person are carried by the page.
pub const MAX_OTHERS_PER_CHILD: usize = 200;

impl ChildForm {
    /// A new, empty child.
    pub fn blank(adults: usize, lieu_de_vie: &str) -> Self {
        Self {
            sex: Sex::Unknown.code().into(),
            birth_precision: "exacte".into(),
            lieu_de_vie_id: lieu_de_vie.into(),
            adults: vec![LinkForm::default(); adults],
            ..Self::default()
        }
    }

    /// « Léa MARTIN », or « Enfant 2 » while nothing is typed.
    pub fn display(&self, index: usize) -> String {
        typed_name(&self.first_names, &self.birth_name, &self.usage_name)
            .unwrap_or_else(|| format!("Enfant {}", index + 1))
    }

    /// The identity typed so far, when names are there to look for a known person.
    pub fn typed_person(&self) -> Option<vigie_domain::Person> {
        let clean = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        };
        Some(vigie_domain::Person {
            birth_name: clean(&self.birth_name)?,
            usage_name: clean(&self.usage_name),
            first_names: clean(&self.first_names)?,
            sex: Sex::parse(&self.sex).unwrap_or(Sex::Unknown),
            birth: self.birth().unwrap_or(BirthDate::Unknown),
        })
    }

    /// Takes the identity of a known person (the child is then linked to it).
    pub fn take_identity(&mut self, person_id: i64, p: &vigie_domain::Person) {
        let (precision, date) = p.birth.to_parts();
        self.person_id = person_id.to_string();
        self.sex = p.sex.code().into();
        self.birth_name = p.birth_name.clone();
        self.usage_name = p.usage_name.clone().unwrap_or_default();
        self.first_names = p.first_names.clone();
        self.birth_precision = precision.into();
        self.birth_date = date_value(date);
    }

    /// The birth date as far as it can be read (for deadlines and ages), `None` otherwise.
    pub fn birth(&self) -> Option<BirthDate> {
        let d = parse_date(&self.birth_date).or_else(|| parse_year(&self.birth_date));
        match self.birth_precision.as_str() {
            "inconnue" => Some(BirthDate::Unknown),
            p => BirthDate::from_parts(p, d),
        }
    }
}

/// One evaluation assignment (traitement de l'information).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentForm {
    pub id: String,
    pub version: String,
    pub base: String,
    pub service_id: String,
    pub asked_on: String,
    pub due_on: String,
    /// One evaluator per line.
    pub evaluators: String,
    pub returned_on: String,
    pub result_id: String,
    pub cancelled: bool,
    pub comment: String,
}

impl AssignmentForm {
    pub fn evaluator_names(&self) -> Vec<String> {
        self.evaluators
            .lines()
            .filter_map(clean)
            .collect::<Vec<_>>()
    }
}

/// One follow-up row (one per [`FollowUpKind`], always in [`FollowUpKind::ALL`] order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpForm {
    pub kind: FollowUpKind,
    pub done_at: String,
    pub due_on: String,
    pub not_done_reason: String,
}

impl FollowUpForm {
    /// The four follow-ups, none done, in [`FollowUpKind::ALL`] order.
    fn all_blank() -> Vec<Self> {
        FollowUpKind::ALL
            .iter()
            .map(|k| Self {
                kind: *k,
                done_at: String::new(),
                due_on: String::new(),
                not_done_reason: String::new(),
            })
            .collect()
    }
}

/// The whole form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierForm {
    /// The header part's version and fingerprint (empty for a new dossier).
    pub version: String,
    pub base: String,
    /// The dossier's number, for the page's title (empty for a new dossier): carried by
    /// the page so that a button other than « Enregistrer » re-renders without reading
    /// the dossier again.
    pub number: String,
    pub received_at: String,
    pub type_id: String,
    pub sip: bool,
    pub danger_grave: bool,
    pub violence_conjugale: bool,
    pub receiving_agent_id: String,
    pub channel_id: String,
    pub snated_number: String,
    pub territory_id: String,
    pub status: String,
    pub direct: String,
    pub status_reason: String,
    pub source: SourceForm,
    pub adults: Vec<AdultForm>,
    pub children: Vec<ChildForm>,
    pub expose: String,
    pub observation: String,
    pub assignments: Vec<AssignmentForm>,
    pub follow_ups: Vec<FollowUpForm>,
    /// Existing children to remove at the save, as `id:version`.
    pub removed_children: Vec<String>,
    /// Existing assignments to remove at the save, as `id:version`.
    pub removed_assignments: Vec<String>,
    /// Rows or values posted beyond the domain's limits (not read): one error per field.
    pub over_limit: Vec<FieldError>,
}

impl DossierForm {
    /// A form with nothing typed and the four follow-ups: what a post starts from.
    pub(super) fn empty() -> Self {
        Self {
            version: String::new(),
            base: String::new(),
            number: String::new(),
            received_at: String::new(),
            type_id: String::new(),
            sip: false,
            danger_grave: false,
            violence_conjugale: false,
            receiving_agent_id: String::new(),
            channel_id: String::new(),
            snated_number: String::new(),
            territory_id: String::new(),
            status: String::new(),
            direct: String::new(),
            status_reason: String::new(),
            source: SourceForm::default(),
            adults: vec![],
            children: vec![],
            expose: String::new(),
            observation: String::new(),
            assignments: vec![],
            follow_ups: FollowUpForm::all_blank(),
            removed_children: vec![],
            removed_assignments: vec![],
            over_limit: vec![],
        }
    }
}

fn parse_year(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        NaiveDate::from_ymd_opt(s.parse().ok()?, 1, 1)
    } else {
        None
    }
}

/// `2026-11-20T10:05` (`datetime-local`, seconds optional) or `20/11/2026 10:05`.
pub fn parse_local_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y à %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// An instant as a `datetime-local` value in the time zone (seconds only when not zero).
pub fn datetime_value(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    use chrono::Timelike;
    let l = t.with_timezone(&tz);
    if l.second() == 0 {
        l.format("%Y-%m-%dT%H:%M").to_string()
    } else {
        l.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

fn date_value(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}
/// Whether `list` (`id:version` entries) names `id`.
pub fn marked(list: &[String], id: &str) -> bool {
    !id.is_empty() && list.iter().any(|e| e.split(':').next() == Some(id))
}

/// What the agent asked for, besides the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Save,
    AddChild,
    RemoveChild(usize),
    CancelRemoveChild(usize),
    MoveChildUp(usize),
    MoveChildDown(usize),
    UnlinkPerson(usize),
    /// Look for known persons matching the child's typed identity.
    SuggestPersons(usize),
    /// Link the child to a known person (child index, person id).
    LinkPerson(usize, i64),
    AddAdult,
    RemoveAdult(usize),
    AddAuthor(usize),
    RemoveAuthor(usize, usize),
    AddAssignment,
    RemoveAssignment(usize),
    CancelRemoveAssignment(usize),
}

impl Action {
    /// `save`, `add_child`, `remove_child:2`, `remove_author:1:0`…; unknown → save is *not*
    /// assumed: `None` (the form is shown again).
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.trim().split(':');
        let name = it.next()?;
        let a: Option<usize> = it.next().and_then(|x| x.parse().ok());
        let b: Option<usize> = it.next().and_then(|x| x.parse().ok());
        Some(match name {
            "save" | "" => Self::Save,
            "add_child" => Self::AddChild,
            "remove_child" => Self::RemoveChild(a?),
            "cancel_remove_child" => Self::CancelRemoveChild(a?),
            "move_child_up" => Self::MoveChildUp(a?),
            "move_child_down" => Self::MoveChildDown(a?),
            "unlink_person" => Self::UnlinkPerson(a?),
            "suggest_persons" => Self::SuggestPersons(a?),
            "link_person" => Self::LinkPerson(a?, i64::try_from(b?).ok()?),
            "add_adult" => Self::AddAdult,
            "remove_adult" => Self::RemoveAdult(a?),
            "add_author" => Self::AddAuthor(a?),
            "remove_author" => Self::RemoveAuthor(a?, b?),
            "add_assignment" => Self::AddAssignment,
            "remove_assignment" => Self::RemoveAssignment(a?),
            "cancel_remove_assignment" => Self::CancelRemoveAssignment(a?),
            _ => return None,
        })
    }
}

/// Defaults the form needs from the catalog and the clock.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// Today in the store's time zone.
    pub today: NaiveDate,
    /// The « non renseigné » lieu de vie, for a new child.
    pub lieu_de_vie: String,
    /// The shorter deadline for children under two (months), if configured.
    pub under_two_months: Option<u32>,
}

/// The result of [`DossierForm::to_edit`].
#[derive(Debug, Clone)]
pub struct Converted {
    pub edit: DossierEdit,
    /// Unreadable values (and, when there are some, what the domain also finds), with
    /// field keys in **form** indexes.
    pub errors: Vec<FieldError>,
    /// Form index of each child of `edit.input.children`.
    pub child_rows: Vec<usize>,
    /// Form index of each assignment of `edit.input.assignments`.
    pub assignment_rows: Vec<usize>,
}

impl Converted {
    /// Rewrites a store error key (`children[1].motifs`, edit indexes) into form indexes.
    pub fn form_key(&self, key: &str) -> String {
        remap(key, "children[", &self.child_rows)
            .or_else(|| remap(key, "assignments[", &self.assignment_rows))
            .unwrap_or_else(|| key.to_owned())
    }
}

fn remap(key: &str, prefix: &str, rows: &[usize]) -> Option<String> {
    let rest = key.strip_prefix(prefix)?;
    let close = rest.find(']')?;
    let i: usize = rest[..close].parse().ok()?;
    let f = rows.get(i)?;
    Some(format!("{prefix}{f}{}", &rest[close..]))
}

mod apply;
mod convert;
pub mod fingerprint;
mod parse;
mod record;
