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

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};
use vigie_domain::text::{TextKind, check, clean};
use vigie_domain::{
    Address, Adult, AdultLink, AssignmentInput, Author, BirthDate, ChildInput, Conclusion,
    DossierInput, DossierStatus, FieldError, FollowUp, FollowUpKind, Header, Person, Sex, Source,
    SourceConfidentiality,
};
use vigie_store::dossiers::DossierRecord;
use vigie_store::edit::{DirectConclusionCode, DossierEdit, PartRef};

use crate::shared::dates::{local_to_utc, parse_date};

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

impl AddressForm {
    fn from(a: &Address) -> Self {
        Self {
            number: o(&a.number),
            street: o(&a.street),
            complement: o(&a.complement),
            postal_code: o(&a.postal_code),
            commune_insee: o(&a.commune_insee),
            city: o(&a.city),
        }
    }

    fn set(&mut self, key: &str, v: &str) -> bool {
        let f = match key {
            "number" => &mut self.number,
            "street" => &mut self.street,
            "complement" => &mut self.complement,
            "postal_code" => &mut self.postal_code,
            "commune_insee" => &mut self.commune_insee,
            "city" => &mut self.city,
            _ => return false,
        };
        *f = v.to_owned();
        true
    }

    fn fp(&self, out: &mut Vec<String>) {
        for s in [
            &self.number,
            &self.street,
            &self.complement,
            &self.postal_code,
            &self.commune_insee,
            &self.city,
        ] {
            out.push(norm(s));
        }
    }

    /// The address, the commune's name and postal code filled from the INSEE code when blank.
    fn to_address(&self, communes: &Communes) -> Address {
        let mut a = Address {
            number: clean(&self.number),
            street: clean(&self.street),
            complement: clean(&self.complement),
            postal_code: clean(&self.postal_code),
            commune_insee: clean(&self.commune_insee).map(|c| c.to_uppercase()),
            city: clean(&self.city),
        };
        if let Some((name, postal_codes)) = a.commune_insee.as_ref().and_then(|c| communes.get(c)) {
            if a.city.is_none() {
                a.city = Some(name.clone());
            }
            if a.postal_code.is_none() && postal_codes.len() == 1 {
                a.postal_code = postal_codes.first().cloned();
            }
        }
        a
    }
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
}

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

/// The whole form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierForm {
    /// The header part's version and fingerprint (empty for a new dossier).
    pub version: String,
    pub base: String,
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

fn o(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn id_str(v: Option<i64>) -> String {
    v.map(|i| i.to_string()).unwrap_or_default()
}

fn flag(b: bool) -> String {
    if b { "1" } else { "" }.to_owned()
}

/// A value as compared for the fingerprint: line ends and surrounding spaces do not count.
fn norm(s: &str) -> String {
    s.replace("\r\n", "\n").trim().to_owned()
}

/// A date, or the string itself when it is not one (ISO and French forms compare equal).
fn norm_date(s: &str) -> String {
    parse_date(s).map_or_else(|| norm(s), |d| d.to_string())
}

fn norm_datetime(s: &str) -> String {
    parse_local_datetime(s).map_or_else(|| norm(s), |d| d.to_string())
}

fn fingerprint(values: &[String]) -> String {
    let json = serde_json::to_string(values).unwrap_or_default();
    let digest = Sha256::digest(json.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
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

/// One segment of a field name: `children[0]` → (`children`, Some(0)).
fn segments(name: &str) -> Option<Vec<(&str, Option<usize>)>> {
    name.split('.')
        .map(|s| match s.find('[') {
            Some(open) => {
                let inner = s.strip_suffix(']')?.get(open + 1..)?;
                Some((&s[..open], Some(inner.parse().ok()?)))
            }
            None => Some((s, None)),
        })
        .collect()
}

/// Row `i` of `v`, created when missing; `None` beyond `max` rows.
fn row<T: Default>(v: &mut Vec<T>, i: usize, max: usize) -> Option<&mut T> {
    if i >= max {
        return None;
    }
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    v.get_mut(i)
}

/// Adds `v` unless empty or already there; `false` when the list already holds `max`
/// values (the scan is bounded by `max`, so a post parses in linear time).
fn push_unique(list: &mut Vec<String>, v: &str, max: usize) -> bool {
    #[cfg(test)]
    tests::SCANNED.with(|c| c.set(c.get() + list.len() as u64));
    if v.is_empty() || list.iter().any(|x| x == v) {
        return true;
    }
    if list.len() >= max {
        return false;
    }
    list.push(v.to_owned());
    true
}

/// [`push_unique`] within the list's limit; beyond, the limit is noted for the field.
fn push_bounded(
    (list, max): (&mut Vec<String>, usize),
    v: &str,
    over: &mut Vec<FieldError>,
    field: impl FnOnce() -> String,
    part: Part,
) {
    if !push_unique(list, v, max) {
        note_over(over, field(), part, max);
    }
}

/// Records that `field` was posted beyond its limit (once per field).
fn note_over(over: &mut Vec<FieldError>, field: String, (label, what, per): Part, max: usize) {
    if over.iter().any(|e| e.field == field) {
        return;
    }
    let message = vigie_domain::limits::too_many(what, max, None, per);
    over.push(FieldError::new(field, label, message));
}

/// A repeated part as its limit message names it: label, plural noun, per what.
type Part = (&'static str, &'static str, &'static str);

fn checked(v: &str) -> bool {
    !v.is_empty() && v != "0"
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

impl DossierForm {
    /// A new dossier: received now, one child, the four follow-ups.
    pub fn new_dossier(
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
        d: &Defaults,
        type_id: String,
        receiving_agent_id: String,
    ) -> Self {
        Self {
            version: String::new(),
            base: String::new(),
            received_at: datetime_value(now, tz)
                .get(..16)
                .unwrap_or_default()
                .to_owned(),
            type_id,
            sip: false,
            danger_grave: false,
            violence_conjugale: false,
            receiving_agent_id,
            channel_id: String::new(),
            snated_number: String::new(),
            territory_id: String::new(),
            status: DossierStatus::Recue.code().into(),
            direct: String::new(),
            status_reason: String::new(),
            source: SourceForm {
                confidentiality: SourceConfidentiality::Known.code().into(),
                ..SourceForm::default()
            },
            adults: vec![],
            children: vec![ChildForm::blank(0, &d.lieu_de_vie)],
            expose: String::new(),
            observation: String::new(),
            assignments: vec![],
            follow_ups: FollowUpKind::ALL
                .iter()
                .map(|k| FollowUpForm {
                    kind: *k,
                    done_at: String::new(),
                    due_on: String::new(),
                    not_done_reason: String::new(),
                })
                .collect(),
            removed_children: vec![],
            removed_assignments: vec![],
            over_limit: vec![],
        }
    }

    /// The form of a stored dossier, each part with its version and fingerprint.
    pub fn from_record(rec: &DossierRecord, tz: chrono_tz::Tz) -> Self {
        let h = &rec.header;
        let s = &rec.source;
        let adult_index = |id: i64| rec.adults.iter().position(|a| a.id == id);
        let received = h.received_at.date_naive();
        let mut f = Self {
            version: rec.version.to_string(),
            base: String::new(),
            received_at: datetime_value(h.received_at, tz),
            type_id: h.type_id.to_string(),
            sip: h.sip,
            danger_grave: h.danger_grave,
            violence_conjugale: h.violence_conjugale,
            receiving_agent_id: id_str(h.receiving_agent_id),
            channel_id: h.channel_id.to_string(),
            snated_number: o(&h.snated_number),
            territory_id: h.territory_id.to_string(),
            status: h.status.code().into(),
            direct: rec.direct.map(|d| d.code().to_owned()).unwrap_or_default(),
            status_reason: String::new(),
            source: SourceForm {
                category_id: id_str(s.category_id),
                confidentiality: s.confidentiality.code().into(),
                name: o(&s.name),
                organisation: o(&s.organisation),
                address: AddressForm::from(&s.address),
                email: o(&s.email),
                phone: o(&s.phone),
            },
            adults: rec
                .adults
                .iter()
                .map(|a| AdultForm {
                    id: a.id.to_string(),
                    civility_id: id_str(a.data.civility_id),
                    birth_name: a.data.birth_name.clone(),
                    usage_name: o(&a.data.usage_name),
                    first_names: o(&a.data.first_names),
                    address: AddressForm::from(&a.data.address),
                    phone: o(&a.data.phone),
                    email: o(&a.data.email),
                })
                .collect(),
            children: rec
                .children
                .iter()
                .map(|c| {
                    let x = &c.data;
                    let p = &x.person;
                    let (precision, date) = p.birth.to_parts();
                    let mut links = vec![LinkForm::default(); rec.adults.len()];
                    for l in &x.adults {
                        if let Some(i) = adult_index(l.adult) {
                            links[i] = LinkForm {
                                link_id: l.link_id.to_string(),
                                parental_authority: l.parental_authority,
                            };
                        }
                    }
                    let age = match p.birth {
                        BirthDate::Exact(d) | BirthDate::Approximate(d) => {
                            Some(vigie_domain::deadline::age_on(d, received))
                        }
                        _ => None,
                    };
                    ChildForm {
                        id: c.id.to_string(),
                        version: c.version.to_string(),
                        base: String::new(),
                        person_id: c.person_id.to_string(),
                        sex: p.sex.code().into(),
                        birth_name: p.birth_name.clone(),
                        usage_name: o(&p.usage_name),
                        first_names: p.first_names.clone(),
                        birth_precision: precision.into(),
                        birth_date: date_value(date),
                        address: AddressForm::from(&x.address),
                        csp_father_id: id_str(x.csp_father_id),
                        csp_mother_id: id_str(x.csp_mother_id),
                        lieu_de_vie_id: id_str(x.lieu_de_vie_id),
                        comment: o(&x.comment),
                        adults: links,
                        authors: x
                            .authors
                            .iter()
                            .map(|a| AuthorForm {
                                adult: a
                                    .adult
                                    .and_then(adult_index)
                                    .map(|i| i.to_string())
                                    .unwrap_or_default(),
                                third_party_name: o(&a.third_party_name),
                                link_id: a.link_id.to_string(),
                            })
                            .collect(),
                        motifs: x.motif_ids.iter().map(ToString::to_string).collect(),
                        evaluation_result_id: id_str(x.evaluation_result_id),
                        conclusion: id_str(x.conclusion.as_ref().map(|k| k.conclusion_id)),
                        conclusion_on: date_value(x.conclusion.as_ref().map(|k| k.on)),
                        conclusion_comment: x
                            .conclusion
                            .as_ref()
                            .and_then(|k| k.comment.clone())
                            .unwrap_or_default(),
                        // Stored children of 18 to 20 were confirmed when they were saved.
                        confirmed_adult: age.is_some_and(|a| (18..21).contains(&a)),
                    }
                })
                .collect(),
            expose: o(&h.expose),
            observation: o(&h.observation),
            assignments: rec
                .assignments
                .iter()
                .map(|a| {
                    let x = &a.data;
                    AssignmentForm {
                        id: a.id.to_string(),
                        version: a.version.to_string(),
                        base: String::new(),
                        service_id: x.service_id.to_string(),
                        asked_on: date_value(Some(x.asked_on)),
                        due_on: date_value(Some(x.due_on)),
                        evaluators: x.evaluators.join("\n"),
                        returned_on: date_value(x.returned_on),
                        result_id: id_str(x.result_id),
                        cancelled: x.cancelled,
                        comment: o(&x.comment),
                    }
                })
                .collect(),
            follow_ups: FollowUpKind::ALL
                .iter()
                .map(|k| {
                    let stored = rec.follow_ups.iter().find(|f| f.kind == *k);
                    FollowUpForm {
                        kind: *k,
                        done_at: stored
                            .and_then(|f| f.done_at)
                            .map(|t| datetime_value(t, tz))
                            .unwrap_or_default(),
                        due_on: date_value(stored.and_then(|f| f.due_on)),
                        not_done_reason: stored
                            .and_then(|f| f.not_done_reason.clone())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
            removed_children: vec![],
            removed_assignments: vec![],
            over_limit: vec![],
        };
        f.base = f.header_fingerprint();
        for i in 0..f.children.len() {
            f.children[i].base = f.child_fingerprint(i);
        }
        for a in &mut f.assignments {
            a.base = assignment_fingerprint(a);
        }
        f
    }

    /// Reads the posted pairs, in order; returns the form and the requested action.
    pub fn parse(pairs: &[(String, String)]) -> (Self, Option<Action>) {
        let mut f = Self {
            version: String::new(),
            base: String::new(),
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
            follow_ups: FollowUpKind::ALL
                .iter()
                .map(|k| FollowUpForm {
                    kind: *k,
                    done_at: String::new(),
                    due_on: String::new(),
                    not_done_reason: String::new(),
                })
                .collect(),
            removed_children: vec![],
            removed_assignments: vec![],
            over_limit: vec![],
        };
        let mut action = None;
        for (k, v) in pairs {
            if k == "action" {
                action = Some(Action::parse(v));
                continue;
            }
            f.set(k, v);
        }
        let n = f.adults.len();
        for c in &mut f.children {
            c.adults.resize_with(n, LinkForm::default);
        }
        // No button (Enter in a field, or an old browser): a save.
        (f, action.unwrap_or(Some(Action::Save)))
    }

    fn set(&mut self, name: &str, v: &str) {
        let Some(segs) = segments(name) else { return };
        let s = |x: &mut String| *x = v.to_owned();
        match segs.as_slice() {
            [("version", None)] => s(&mut self.version),
            [("base", None)] => s(&mut self.base),
            [("received_at", None)] => s(&mut self.received_at),
            [("type_id", None)] => s(&mut self.type_id),
            [("sip", None)] => self.sip = checked(v),
            [("danger_grave", None)] => self.danger_grave = checked(v),
            [("violence_conjugale", None)] => self.violence_conjugale = checked(v),
            [("receiving_agent_id", None)] => s(&mut self.receiving_agent_id),
            [("channel_id", None)] => s(&mut self.channel_id),
            [("snated_number", None)] => s(&mut self.snated_number),
            [("territory_id", None)] => s(&mut self.territory_id),
            [("status", None)] => s(&mut self.status),
            [("direct", None)] => s(&mut self.direct),
            [("status_reason", None)] => s(&mut self.status_reason),
            [("expose", None)] => s(&mut self.expose),
            [("observation", None)] => s(&mut self.observation),
            [("removed_children", None)] => push_bounded(
                (&mut self.removed_children, MAX_CHILDREN),
                v,
                &mut self.over_limit,
                || "removed_children".into(),
                ("Enfants retirés", "enfants", "dossier"),
            ),
            [("removed_assignments", None)] => push_bounded(
                (&mut self.removed_assignments, MAX_ASSIGNMENTS),
                v,
                &mut self.over_limit,
                || "removed_assignments".into(),
                ("Affectations retirées", "affectations", "dossier"),
            ),
            [("source", None), rest @ ..] => {
                let src = &mut self.source;
                match rest {
                    [("category_id", None)] => s(&mut src.category_id),
                    [("confidentiality", None)] => s(&mut src.confidentiality),
                    [("name", None)] => s(&mut src.name),
                    [("organisation", None)] => s(&mut src.organisation),
                    [("email", None)] => s(&mut src.email),
                    [("phone", None)] => s(&mut src.phone),
                    [("address", None), (k, None)] => {
                        src.address.set(k, v);
                    }
                    _ => {}
                }
            }
            [("adults", Some(i)), rest @ ..] => {
                let Some(a) = row(&mut self.adults, *i, MAX_ADULTS) else {
                    let f = "adults".to_owned();
                    note_over(
                        &mut self.over_limit,
                        f,
                        ("Parents", "adultes", "dossier"),
                        MAX_ADULTS,
                    );
                    return;
                };
                match rest {
                    [("id", None)] => s(&mut a.id),
                    [("civility_id", None)] => s(&mut a.civility_id),
                    [("birth_name", None)] => s(&mut a.birth_name),
                    [("usage_name", None)] => s(&mut a.usage_name),
                    [("first_names", None)] => s(&mut a.first_names),
                    [("phone", None)] => s(&mut a.phone),
                    [("email", None)] => s(&mut a.email),
                    [("address", None), (k, None)] => {
                        a.address.set(k, v);
                    }
                    _ => {}
                }
            }
            [("children", Some(i)), rest @ ..] => {
                let Some(c) = row(&mut self.children, *i, MAX_CHILDREN) else {
                    let (f, l) = ("children".to_owned(), "Enfants concernés");
                    note_over(
                        &mut self.over_limit,
                        f,
                        (l, "enfants", "dossier"),
                        MAX_CHILDREN,
                    );
                    return;
                };
                match rest {
                    [("id", None)] => s(&mut c.id),
                    [("version", None)] => s(&mut c.version),
                    [("base", None)] => s(&mut c.base),
                    [("person_id", None)] => s(&mut c.person_id),
                    [("sex", None)] => s(&mut c.sex),
                    [("birth_name", None)] => s(&mut c.birth_name),
                    [("usage_name", None)] => s(&mut c.usage_name),
                    [("first_names", None)] => s(&mut c.first_names),
                    [("birth_precision", None)] => s(&mut c.birth_precision),
                    [("birth_date", None)] => s(&mut c.birth_date),
                    [("csp_father_id", None)] => s(&mut c.csp_father_id),
                    [("csp_mother_id", None)] => s(&mut c.csp_mother_id),
                    [("lieu_de_vie_id", None)] => s(&mut c.lieu_de_vie_id),
                    [("comment", None)] => s(&mut c.comment),
                    [("evaluation_result_id", None)] => s(&mut c.evaluation_result_id),
                    [("conclusion", None)] => s(&mut c.conclusion),
                    [("conclusion", None), ("on", None)] => s(&mut c.conclusion_on),
                    [("conclusion", None), ("comment", None)] => s(&mut c.conclusion_comment),
                    [("confirmed_adult", None)] => c.confirmed_adult = checked(v),
                    [("motifs", None)] => push_bounded(
                        (&mut c.motifs, MAX_MOTIFS_PER_CHILD),
                        v,
                        &mut self.over_limit,
                        || format!("children[{i}].motifs"),
                        ("Motifs", "motifs", "enfant"),
                    ),
                    [("address", None), (k, None)] => {
                        c.address.set(k, v);
                    }
                    [("adults", Some(k)), (field, None)] => {
                        let Some(l) = row(&mut c.adults, *k, MAX_ADULTS) else {
                            let f = format!("children[{i}].adults");
                            note_over(
                                &mut self.over_limit,
                                f,
                                ("Parents", "adultes", "enfant"),
                                MAX_ADULTS,
                            );
                            return;
                        };
                        match *field {
                            "link_id" => s(&mut l.link_id),
                            "parental_authority" => l.parental_authority = checked(v),
                            _ => {}
                        }
                    }
                    [("authors", Some(k)), (field, None)] => {
                        let Some(a) = row(&mut c.authors, *k, MAX_AUTHORS) else {
                            let f = format!("children[{i}].authors");
                            let l = "Auteur présumé";
                            note_over(
                                &mut self.over_limit,
                                f,
                                (l, "auteurs", "enfant"),
                                MAX_AUTHORS,
                            );
                            return;
                        };
                        match *field {
                            "adult" => s(&mut a.adult),
                            "third_party_name" => s(&mut a.third_party_name),
                            "link_id" => s(&mut a.link_id),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            [("assignments", Some(i)), (field, None)] => {
                let Some(a) = row(&mut self.assignments, *i, MAX_ASSIGNMENTS) else {
                    let (f, l) = ("assignments".to_owned(), "Affectations");
                    note_over(
                        &mut self.over_limit,
                        f,
                        (l, "affectations", "dossier"),
                        MAX_ASSIGNMENTS,
                    );
                    return;
                };
                match *field {
                    "id" => s(&mut a.id),
                    "version" => s(&mut a.version),
                    "base" => s(&mut a.base),
                    "service_id" => s(&mut a.service_id),
                    "asked_on" => s(&mut a.asked_on),
                    "due_on" => s(&mut a.due_on),
                    "evaluators" => s(&mut a.evaluators),
                    "returned_on" => s(&mut a.returned_on),
                    "result_id" => s(&mut a.result_id),
                    "cancelled" => a.cancelled = checked(v),
                    "comment" => s(&mut a.comment),
                    _ => {}
                }
            }
            [("follow_ups", None), (kind, None), (field, None)] => {
                let Some(fu) = self.follow_ups.iter_mut().find(|f| f.kind.code() == *kind) else {
                    return;
                };
                match *field {
                    "done_at" => s(&mut fu.done_at),
                    "due_on" => s(&mut fu.due_on),
                    "not_done_reason" => s(&mut fu.not_done_reason),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The identity of adult `i` for fingerprints: its stored id, or its place when new.
    fn adult_key(&self, i: &str) -> String {
        match i
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|i| self.adults.get(i))
        {
            Some(a) if !a.id.trim().is_empty() => format!("a{}", a.id.trim()),
            Some(_) => format!("n{}", i.trim()),
            None => norm(i),
        }
    }

    /// Fingerprint of the header part: header, source, parents, exposé, observation, follow-ups.
    pub fn header_fingerprint(&self) -> String {
        let mut v = vec![
            norm_datetime(&self.received_at),
            norm(&self.type_id),
            flag(self.sip),
            flag(self.danger_grave),
            flag(self.violence_conjugale),
            norm(&self.receiving_agent_id),
            norm(&self.channel_id),
            norm(&self.snated_number),
            norm(&self.territory_id),
            norm(&self.status),
            norm(&self.direct),
            norm(&self.status_reason),
            norm(&self.expose),
            norm(&self.observation),
        ];
        let s = &self.source;
        for x in [
            &s.category_id,
            &s.confidentiality,
            &s.name,
            &s.organisation,
            &s.email,
            &s.phone,
        ] {
            v.push(norm(x));
        }
        s.address.fp(&mut v);
        v.push(format!("adults:{}", self.adults.len()));
        for a in &self.adults {
            for x in [
                &a.id,
                &a.civility_id,
                &a.birth_name,
                &a.usage_name,
                &a.first_names,
                &a.phone,
                &a.email,
            ] {
                v.push(norm(x));
            }
            a.address.fp(&mut v);
        }
        for f in &self.follow_ups {
            v.push(f.kind.code().into());
            v.push(norm_datetime(&f.done_at));
            v.push(norm_date(&f.due_on));
            v.push(norm(&f.not_done_reason));
        }
        fingerprint(&v)
    }

    /// Fingerprint of child `i`: everything of that child, its links and authors by the
    /// adults' identity (adding a parent does not change a child).
    pub fn child_fingerprint(&self, i: usize) -> String {
        let Some(c) = self.children.get(i) else {
            return String::new();
        };
        let mut v = vec![
            norm(&c.person_id),
            norm(&c.sex),
            norm(&c.birth_name),
            norm(&c.usage_name),
            norm(&c.first_names),
            norm(&c.birth_precision),
            norm_date(&c.birth_date),
            norm(&c.csp_father_id),
            norm(&c.csp_mother_id),
            norm(&c.lieu_de_vie_id),
            norm(&c.comment),
            norm(&c.evaluation_result_id),
            norm(&c.conclusion),
            norm_date(&c.conclusion_on),
            norm(&c.conclusion_comment),
        ];
        c.address.fp(&mut v);
        let mut links: Vec<String> = c
            .adults
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.link_id.trim().is_empty() || l.parental_authority)
            .map(|(k, l)| {
                format!(
                    "{}={}/{}",
                    self.adult_key(&k.to_string()),
                    norm(&l.link_id),
                    flag(l.parental_authority)
                )
            })
            .collect();
        links.sort();
        v.push(format!("links:{}", links.join(";")));
        for a in c.authors.iter().filter(|a| !a.is_blank()) {
            let who = if a.adult.trim().is_empty() {
                String::new()
            } else {
                self.adult_key(&a.adult)
            };
            v.push(format!(
                "author:{who}|{}|{}",
                norm(&a.third_party_name),
                norm(&a.link_id)
            ));
        }
        let mut motifs: Vec<String> = c.motifs.iter().map(|m| norm(m)).collect();
        motifs.sort();
        motifs.dedup();
        v.push(format!("motifs:{}", motifs.join(",")));
        fingerprint(&v)
    }

    /// The evaluation due date for a new assignment: the legal deadline, shortened for a
    /// fratrie with a child under two when the département configured it.
    pub fn default_due(&self, tz: chrono_tz::Tz, d: &Defaults) -> Option<(NaiveDate, NaiveDate)> {
        let received = parse_local_datetime(&self.received_at)
            .and_then(|l| local_to_utc(l, tz))
            .map(|t| t.with_timezone(&tz).date_naive())?;
        let births: Vec<BirthDate> = self.children.iter().filter_map(ChildForm::birth).collect();
        Some((
            vigie_domain::deadline::evaluation_due(received),
            vigie_domain::deadline::evaluation_due_for(received, &births, d.under_two_months),
        ))
    }

    /// Performs an action other than a save, on the typed values only.
    pub fn apply(&mut self, action: &Action, tz: chrono_tz::Tz, d: &Defaults) {
        match *action {
            // Done by the handler, which asks the store.
            Action::Save | Action::SuggestPersons(_) | Action::LinkPerson(..) => {}
            Action::AddChild => {
                if self.children.len() < MAX_CHILDREN {
                    self.children
                        .push(ChildForm::blank(self.adults.len(), &d.lieu_de_vie));
                }
            }
            Action::RemoveChild(i) => {
                let Some(c) = self.children.get(i) else {
                    return;
                };
                if c.id.trim().is_empty() {
                    self.children.remove(i);
                } else if !marked(&self.removed_children, &c.id) {
                    self.removed_children
                        .push(format!("{}:{}", c.id.trim(), c.version.trim()));
                }
            }
            Action::CancelRemoveChild(i) => {
                if let Some(c) = self.children.get(i) {
                    let id = c.id.clone();
                    self.removed_children
                        .retain(|e| e.split(':').next() != Some(id.as_str()));
                }
            }
            Action::MoveChildUp(i) => {
                if i > 0 && i < self.children.len() {
                    self.children.swap(i - 1, i);
                }
            }
            Action::MoveChildDown(i) => {
                if i + 1 < self.children.len() {
                    self.children.swap(i, i + 1);
                }
            }
            Action::UnlinkPerson(i) => {
                if let Some(c) = self.children.get_mut(i) {
                    c.person_id.clear();
                }
            }
            Action::AddAdult => {
                if self.adults.len() < MAX_ADULTS {
                    self.adults.push(AdultForm::default());
                    for c in &mut self.children {
                        c.adults.push(LinkForm::default());
                    }
                }
            }
            Action::RemoveAdult(k) => {
                if k >= self.adults.len() {
                    return;
                }
                self.adults.remove(k);
                for c in &mut self.children {
                    if k < c.adults.len() {
                        c.adults.remove(k);
                    }
                    for a in &mut c.authors {
                        match a.adult.trim().parse::<usize>() {
                            Ok(x) if x == k => a.adult.clear(),
                            Ok(x) if x > k => a.adult = (x - 1).to_string(),
                            _ => {}
                        }
                    }
                }
            }
            Action::AddAuthor(i) => {
                if let Some(c) = self.children.get_mut(i)
                    && c.authors.len() < MAX_AUTHORS
                {
                    c.authors.push(AuthorForm::default());
                }
            }
            Action::RemoveAuthor(i, j) => {
                if let Some(c) = self.children.get_mut(i)
                    && j < c.authors.len()
                {
                    c.authors.remove(j);
                }
            }
            Action::AddAssignment => {
                if self.assignments.len() < MAX_ASSIGNMENTS {
                    let due = self.default_due(tz, d).map(|(_, due)| due);
                    self.assignments.push(AssignmentForm {
                        asked_on: date_value(Some(d.today)),
                        due_on: date_value(due),
                        ..AssignmentForm::default()
                    });
                }
            }
            Action::RemoveAssignment(j) => {
                let Some(a) = self.assignments.get(j) else {
                    return;
                };
                if a.id.trim().is_empty() {
                    self.assignments.remove(j);
                } else if !marked(&self.removed_assignments, &a.id) {
                    self.removed_assignments
                        .push(format!("{}:{}", a.id.trim(), a.version.trim()));
                }
            }
            Action::CancelRemoveAssignment(j) => {
                if let Some(a) = self.assignments.get(j) {
                    let id = a.id.clone();
                    self.removed_assignments
                        .retain(|e| e.split(':').next() != Some(id.as_str()));
                }
            }
        }
    }

    /// Converts to a [`DossierEdit`] (`dossier` = the dossier's id when editing).
    #[allow(clippy::too_many_lines)]
    pub fn to_edit(
        &self,
        dossier: Option<i64>,
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
        communes: &Communes,
    ) -> Converted {
        let mut e = Problems::default();
        for over in &self.over_limit {
            e.push(over.field.clone(), over.label.clone(), &over.message);
        }
        let editing = dossier.is_some();
        let received_at = match parse_local_datetime(&self.received_at) {
            Some(l) => local_to_utc(l, tz).unwrap_or(now),
            None => {
                if self.received_at.trim().is_empty() {
                    e.push("received_at", "Date de réception", "obligatoire.");
                } else {
                    e.push(
                        "received_at",
                        "Date de réception",
                        "date et heure attendues au format jj/mm/aaaa hh:mm.",
                    );
                }
                now
            }
        };
        let received_on = received_at.with_timezone(&tz).date_naive();
        let header = Header {
            received_at,
            type_id: e.required_id("type_id", "Type de dossier", &self.type_id),
            danger_grave: self.danger_grave,
            violence_conjugale: self.violence_conjugale,
            sip: self.sip,
            receiving_agent_id: e.id("receiving_agent_id", "Récepteur", &self.receiving_agent_id),
            channel_id: e.required_id("channel_id", "Support", &self.channel_id),
            snated_number: clean(&self.snated_number),
            territory_id: e.required_id("territory_id", "Territoire", &self.territory_id),
            status: match DossierStatus::parse(self.status.trim()) {
                Some(s) => s,
                None => {
                    e.push("status", "Statut", "valeur inconnue.");
                    DossierStatus::Recue
                }
            },
            expose: clean(&self.expose),
            observation: clean(&self.observation),
        };
        let direct = match self.direct.trim() {
            "" => None,
            c => {
                let d = DirectConclusionCode::parse(c);
                if d.is_none() {
                    e.push("direct", "Conclusion sans évaluation", "valeur inconnue.");
                }
                d
            }
        };
        let status_reason = clean(&self.status_reason);
        check(
            &mut e.0,
            "status_reason",
            "Motif de réouverture",
            TextKind::Comment,
            status_reason.as_deref(),
        );
        let s = &self.source;
        let source = Source {
            category_id: e.id(
                "source.category_id",
                "Catégorie du signalant",
                &s.category_id,
            ),
            confidentiality: match SourceConfidentiality::parse(s.confidentiality.trim()) {
                Some(c) => c,
                None => {
                    e.push(
                        "source.confidentiality",
                        "Confidentialité du signalant",
                        "valeur inconnue.",
                    );
                    SourceConfidentiality::Anonymous
                }
            },
            name: clean(&s.name),
            organisation: clean(&s.organisation),
            address: s.address.to_address(communes),
            email: clean(&s.email),
            phone: clean(&s.phone),
        };
        let mut adult_ids = Vec::with_capacity(self.adults.len());
        let adults: Vec<Adult> = self
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| {
                adult_ids.push(if editing {
                    e.id(&format!("adults[{i}]"), "Parent", &a.id)
                } else {
                    None
                });
                Adult {
                    civility_id: e.id(
                        &format!("adults[{i}].civility_id"),
                        "Civilité",
                        &a.civility_id,
                    ),
                    birth_name: a.birth_name.trim().to_owned(),
                    usage_name: clean(&a.usage_name),
                    first_names: clean(&a.first_names),
                    address: a.address.to_address(communes),
                    phone: clean(&a.phone),
                    email: clean(&a.email),
                }
            })
            .collect();
        let n_adults = self.adults.len();
        let mut children = Vec::new();
        let mut child_refs = Vec::new();
        let mut child_rows = Vec::new();
        let mut confirmed = Vec::new();
        for (i, c) in self.children.iter().enumerate() {
            if editing && marked(&self.removed_children, &c.id) {
                continue;
            }
            let f = format!("children[{i}]");
            let sex = Sex::parse(c.sex.trim()).unwrap_or_else(|| {
                e.push(format!("{f}.sex"), "Sexe", "valeur inconnue.");
                Sex::Unknown
            });
            let birth = match c.birth_precision.trim() {
                "inconnue" => BirthDate::Unknown,
                p @ ("exacte" | "approx" | "a_naitre") => {
                    let date = parse_date(&c.birth_date).or_else(|| {
                        if p == "approx" {
                            parse_year(&c.birth_date)
                        } else {
                            None
                        }
                    });
                    match date {
                        Some(d) => BirthDate::from_parts(p, Some(d)).unwrap_or(BirthDate::Unknown),
                        None if c.birth_date.trim().is_empty() => {
                            e.push(
                                format!("{f}.birth_date"),
                                "Date de naissance",
                                if p == "a_naitre" {
                                    "indiquez la date prévue du terme."
                                } else {
                                    "obligatoire pour cette précision (sinon choisissez « Inconnue »)."
                                },
                            );
                            BirthDate::Unknown
                        }
                        None => {
                            e.push(
                                format!("{f}.birth_date"),
                                "Date de naissance",
                                "date attendue au format jj/mm/aaaa.",
                            );
                            BirthDate::Unknown
                        }
                    }
                }
                _ => {
                    e.push(
                        format!("{f}.birth_precision"),
                        "Précision de la date de naissance",
                        "valeur inconnue.",
                    );
                    BirthDate::Unknown
                }
            };
            let mut links = Vec::new();
            for (k, l) in c.adults.iter().enumerate().take(n_adults) {
                let key = format!("{f}.adults[{k}].link_id");
                if l.link_id.trim().is_empty() {
                    if l.parental_authority {
                        e.push(
                            key,
                            "Lien avec l'enfant",
                            "choisissez le lien de ce parent avec l'enfant (autorité parentale cochée).",
                        );
                    }
                    continue;
                }
                if let Some(link_id) = e.id(&key, "Lien avec l'enfant", &l.link_id) {
                    links.push(AdultLink {
                        adult: k as i64,
                        link_id,
                        parental_authority: l.parental_authority,
                    });
                }
            }
            let mut authors = Vec::new();
            for (k, a) in c.authors.iter().enumerate() {
                if a.is_blank() {
                    continue;
                }
                let key = format!("{f}.authors[{k}]");
                let adult = match a.adult.trim() {
                    "" => None,
                    x => match x.parse::<usize>() {
                        Ok(ix) if ix < n_adults => Some(ix as i64),
                        _ => {
                            e.push(
                                format!("{key}.adult"),
                                "Auteur présumé",
                                "ce parent n'existe plus dans le dossier.",
                            );
                            None
                        }
                    },
                };
                let name = clean(&a.third_party_name);
                match (&adult, &name) {
                    (Some(_), Some(_)) => e.push(
                        format!("{key}.third_party_name"),
                        "Auteur présumé",
                        "un parent du dossier ou un tiers nommé, pas les deux.",
                    ),
                    (None, None) if a.adult.trim().is_empty() => e.push(
                        format!("{key}.adult"),
                        "Auteur présumé",
                        "choisissez un parent du dossier ou nommez le tiers.",
                    ),
                    _ => {}
                }
                let link = e.required_id(
                    &format!("{key}.link_id"),
                    "Lien de l'auteur présumé",
                    &a.link_id,
                );
                authors.push(Author {
                    adult,
                    third_party_name: if adult.is_some() { None } else { name },
                    link_id: link,
                });
            }
            let mut motif_ids = Vec::new();
            for m in &c.motifs {
                match m.trim().parse::<i64>() {
                    Ok(id) => motif_ids.push(id),
                    Err(_) => e.push(format!("{f}.motifs"), "Motifs", "valeur inconnue."),
                }
            }
            let conclusion_id = e.id(&format!("{f}.conclusion"), "Conclusion", &c.conclusion);
            let conclusion_comment = clean(&c.conclusion_comment);
            let conclusion = match conclusion_id {
                Some(conclusion_id) => match parse_date(&c.conclusion_on) {
                    Some(on) => Some(Conclusion {
                        conclusion_id,
                        on,
                        comment: conclusion_comment,
                    }),
                    None => {
                        e.push(
                            format!("{f}.conclusion.on"),
                            "Date de conclusion",
                            if c.conclusion_on.trim().is_empty() {
                                "obligatoire avec une conclusion."
                            } else {
                                "date attendue au format jj/mm/aaaa."
                            },
                        );
                        None
                    }
                },
                None => {
                    if c.conclusion.trim().is_empty()
                        && (!c.conclusion_on.trim().is_empty() || conclusion_comment.is_some())
                    {
                        e.push(
                            format!("{f}.conclusion"),
                            "Conclusion",
                            "choisissez la conclusion (ou effacez sa date et son commentaire).",
                        );
                    }
                    None
                }
            };
            let person_id = e.id(&format!("{f}.person_id"), "Ancien dossier", &c.person_id);
            let index = children.len();
            if c.confirmed_adult {
                confirmed.push(index);
            }
            children.push(ChildInput {
                person_id,
                person: Person {
                    birth_name: c.birth_name.trim().to_owned(),
                    usage_name: clean(&c.usage_name),
                    first_names: c.first_names.trim().to_owned(),
                    sex,
                    birth,
                },
                address: c.address.to_address(communes),
                csp_father_id: e.id(
                    &format!("{f}.csp_father_id"),
                    "CSP du père",
                    &c.csp_father_id,
                ),
                csp_mother_id: e.id(
                    &format!("{f}.csp_mother_id"),
                    "CSP de la mère",
                    &c.csp_mother_id,
                ),
                lieu_de_vie_id: e.id(
                    &format!("{f}.lieu_de_vie_id"),
                    "Lieu de vie",
                    &c.lieu_de_vie_id,
                ),
                comment: clean(&c.comment),
                adults: links,
                authors,
                motif_ids,
                evaluation_result_id: e.id(
                    &format!("{f}.evaluation_result_id"),
                    "Résultat de l'évaluation",
                    &c.evaluation_result_id,
                ),
                conclusion,
            });
            child_refs.push(if editing {
                e.part_ref(&f, &c.id, &c.version, || {
                    self.child_fingerprint(i) != c.base
                })
            } else {
                None
            });
            child_rows.push(i);
        }
        let mut assignments = Vec::new();
        let mut assignment_refs = Vec::new();
        let mut assignment_rows = Vec::new();
        for (i, a) in self.assignments.iter().enumerate() {
            if editing && marked(&self.removed_assignments, &a.id) {
                continue;
            }
            let f = format!("assignments[{i}]");
            let service_id = e.required_id(&format!("{f}.service_id"), "Service", &a.service_id);
            let asked = e.date(&format!("{f}.asked_on"), "Demandée le", &a.asked_on, true);
            let due = e.date(&format!("{f}.due_on"), "Échéance", &a.due_on, true);
            let returned_on = e.date(
                &format!("{f}.returned_on"),
                "Retour le",
                &a.returned_on,
                false,
            );
            let asked_on = asked.or(due).unwrap_or(received_on);
            assignments.push(AssignmentInput {
                service_id,
                asked_on,
                due_on: due.unwrap_or(asked_on),
                evaluators: a.evaluator_names(),
                returned_on,
                result_id: e.id(&format!("{f}.result_id"), "Résultat", &a.result_id),
                cancelled: a.cancelled,
                comment: clean(&a.comment),
            });
            assignment_refs.push(if editing {
                e.part_ref(&f, &a.id, &a.version, || {
                    assignment_fingerprint(a) != a.base
                })
            } else {
                None
            });
            assignment_rows.push(i);
        }
        let mut follow_ups = Vec::new();
        for fu in &self.follow_ups {
            let key = format!("follow_ups.{}", fu.kind.code());
            let done_at = match fu.done_at.trim() {
                "" => None,
                t => match parse_local_datetime(t)
                    .or_else(|| parse_date(t).and_then(|d| d.and_hms_opt(0, 0, 0)))
                {
                    Some(l) => local_to_utc(l, tz),
                    None => {
                        e.push(
                            format!("{key}.done_at"),
                            format!("{} : fait le", fu.kind.label()),
                            "date et heure attendues au format jj/mm/aaaa hh:mm.",
                        );
                        None
                    }
                },
            };
            let due_on = e.date(
                &format!("{key}.due_on"),
                &format!("{} : à faire pour le", fu.kind.label()),
                &fu.due_on,
                false,
            );
            let reason = clean(&fu.not_done_reason);
            if done_at.is_some() || due_on.is_some() || reason.is_some() {
                follow_ups.push(FollowUp {
                    kind: fu.kind,
                    due_on,
                    done_at,
                    not_done_reason: reason,
                });
            }
        }
        let removed = |list: &[String], what: &str, e: &mut Problems| {
            list.iter()
                .filter_map(|x| {
                    let (id, v) = x.split_once(':')?;
                    match (id.trim().parse(), v.trim().parse()) {
                        (Ok(id), Ok(version)) => Some(PartRef {
                            id,
                            version,
                            touched: true,
                        }),
                        _ => {
                            e.push(
                                what,
                                "Formulaire",
                                "élément à retirer illisible : rechargez le dossier.",
                            );
                            None
                        }
                    }
                })
                .collect::<Vec<_>>()
        };
        let (removed_children, removed_assignments) = if editing {
            (
                removed(&self.removed_children, "children", &mut e),
                removed(&self.removed_assignments, "assignments", &mut e),
            )
        } else {
            (vec![], vec![])
        };
        let head = dossier.map(|id| PartRef {
            id,
            version: self.version.trim().parse().unwrap_or_else(|_| {
                e.push(
                    "form",
                    "Formulaire",
                    "version du dossier illisible : rechargez le dossier.",
                );
                0
            }),
            touched: self.header_fingerprint() != self.base,
        });
        let input = DossierInput {
            header,
            source,
            adults,
            children,
            assignments,
            follow_ups,
        };
        let mut errors = into_vec(e.0);
        if !errors.is_empty() {
            // Every problem at once: what the domain finds too, except on the fields that
            // could not be read (their placeholder values would mislead).
            let rows = (child_rows.clone(), assignment_rows.clone());
            if let Err(d) = input.validate(now) {
                for fe in d.fields() {
                    let key = remap(&fe.field, "children[", &rows.0)
                        .or_else(|| remap(&fe.field, "assignments[", &rows.1))
                        .unwrap_or_else(|| fe.field.clone());
                    if !errors.iter().any(|x| x.field == key) {
                        errors.push(FieldError::new(key, fe.label.clone(), fe.message.clone()));
                    }
                }
            }
        }
        Converted {
            edit: DossierEdit {
                dossier: head,
                input,
                adult_ids,
                children: child_refs,
                assignments: assignment_refs,
                removed_children,
                removed_assignments,
                direct,
                status_reason,
                confirmed_adult_children: confirmed,
            },
            errors,
            child_rows,
            assignment_rows,
        }
    }
}

/// Fingerprint of an assignment.
pub fn assignment_fingerprint(a: &AssignmentForm) -> String {
    fingerprint(&[
        norm(&a.service_id),
        norm_date(&a.asked_on),
        norm_date(&a.due_on),
        a.evaluator_names().join("\n"),
        norm_date(&a.returned_on),
        norm(&a.result_id),
        flag(a.cancelled),
        norm(&a.comment),
    ])
}

/// Field errors collected while reading the form.
#[derive(Debug, Default)]
struct Problems(vigie_domain::error::Errors);

fn into_vec(e: vigie_domain::error::Errors) -> Vec<FieldError> {
    match e.into_result() {
        Ok(()) => vec![],
        Err(d) => d.fields().to_vec(),
    }
}

impl Problems {
    fn push(&mut self, key: impl Into<String>, label: impl Into<String>, message: &str) {
        self.0.push(key, label, message);
    }

    /// An optional id (a select): empty → `None`.
    fn id(&mut self, key: &str, label: &str, v: &str) -> Option<i64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        match v.parse() {
            Ok(i) => Some(i),
            Err(_) => {
                self.push(key, label, "valeur inconnue.");
                None
            }
        }
    }

    /// A required id: empty → « obligatoire ».
    fn required_id(&mut self, key: &str, label: &str, v: &str) -> i64 {
        if v.trim().is_empty() {
            self.push(key, label, "obligatoire.");
            return 0;
        }
        self.id(key, label, v).unwrap_or(0)
    }

    fn date(&mut self, key: &str, label: &str, v: &str, required: bool) -> Option<NaiveDate> {
        if v.trim().is_empty() {
            if required {
                self.push(key, label, "obligatoire.");
            }
            return None;
        }
        let d = parse_date(v);
        if d.is_none() {
            self.push(key, label, "date attendue au format jj/mm/aaaa.");
        }
        d
    }

    /// The stored part a row stands for (`None` for a new row).
    fn part_ref(
        &mut self,
        key: &str,
        id: &str,
        version: &str,
        touched: impl FnOnce() -> bool,
    ) -> Option<PartRef> {
        if id.trim().is_empty() {
            return None;
        }
        match (id.trim().parse(), version.trim().parse()) {
            (Ok(id), Ok(version)) => Some(PartRef {
                id,
                version,
                touched: touched(),
            }),
            _ => {
                self.push(
                    key,
                    "Formulaire",
                    "version illisible : rechargez le dossier.",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Values compared by [`push_unique`] (the parser's only scan).
        pub(super) static SCANNED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// A post with `n` motifs for one child and `n` removed children.
    fn post(n: usize) -> Vec<(String, String)> {
        let mut pairs = vec![("children[0].birth_name".to_owned(), "A".to_owned())];
        for i in 0..n {
            pairs.push(("children[0].motifs".into(), i.to_string()));
            pairs.push(("removed_children".into(), format!("{i}:1")));
        }
        pairs
    }

    fn scanned(n: usize) -> (u64, DossierForm) {
        SCANNED.with(|c| c.set(0));
        let (form, _) = DossierForm::parse(&post(n));
        (SCANNED.with(std::cell::Cell::get), form)
    }

    #[test]
    fn a_maximal_post_parses_in_linear_time() {
        // 80,000 values (about 1.9 MB) and twice as many: the work doubles, no more.
        let (small, form) = scanned(80_000);
        let (large, _) = scanned(160_000);
        assert!(small > 0);
        let ratio = large as f64 / small as f64;
        assert!(
            ratio < 2.1,
            "{small} then {large} comparisons: ratio {ratio:.2}"
        );
        assert_eq!(form.children[0].motifs.len(), MAX_MOTIFS_PER_CHILD);
        let over = |f: &str| form.over_limit.iter().find(|e| e.field == f).unwrap();
        assert_eq!(form.over_limit.len(), 2);
        assert!(over("children[0].motifs").message.contains("50 au plus"));
        assert!(over("removed_children").message.contains("30 au plus"));
    }
}
