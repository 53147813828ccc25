//! The view model of the dossier form: what the template shows, part by part.

use super::widgets::{ErrLink, Group, Hidden, W};
use crate::dossier::view::OtherView;
use crate::shared::Choice;

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
    /// The dossier's number (empty for a new dossier), carried by the page.
    pub number: String,
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
