//! The actions that are not a save (add a child, remove an author, move a child…), on the
//! typed values only.

use chrono::NaiveDate;
use vigie_domain::BirthDate;

use super::*;
use crate::shared::dates::local_to_utc;

impl DossierForm {
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
}
