//! The dossier form's assignments (traitement de l'information): service, dates,
//! evaluators, result, cancellation and comment of each.

use chrono::NaiveDate;
use vigie_domain::ParamKind;
use vigie_domain::catalog::Catalog;
use vigie_domain::labels as L;
use vigie_domain::text::COMMENT_MAX;

use super::model::*;
use super::render::Render;
use super::widgets::*;
use crate::dossier::form::{AssignmentForm, DossierForm, marked};
use crate::shared::Choice;
use crate::shared::dates::date;

impl Render<'_> {
    /// The assignments: their group, then each assignment (with the legal deadline as the
    /// due date's hint).
    pub(super) fn assignments(
        &self,
        f: &DossierForm,
        b: &mut B<'_>,
    ) -> (Group, Vec<AssignmentView>) {
        let group = b.group("assignments");
        let deadline = f.default_due(self.ctx.tz, &self.ctx.defaults);
        let assignments = f
            .assignments
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let removing = marked(&f.removed_assignments, &a.id);
                self.assignment(b, i, a, removing, deadline)
            })
            .collect();
        (group, assignments)
    }

    /// One assignment: service, asked on, due on, evaluators, returned on, result,
    /// cancelled, comment.
    fn assignment(
        &self,
        b: &mut B<'_>,
        i: usize,
        a: &AssignmentForm,
        removing: bool,
        deadline: Option<(NaiveDate, NaiveDate)>,
    ) -> AssignmentView {
        let cat = &self.ctx.cat;
        let p = format!("assignments[{i}]");
        let services = service_opts(cat, &a.service_id);
        let title = cat
            .service(a.service_id.trim().parse().unwrap_or_default())
            .map(|s| s.label.clone())
            .unwrap_or_else(|| format!("Affectation {}", i + 1));
        let mut due = b.w("date", &format!("{p}.due_on"), L::DUE_ON, &a.due_on);
        due.required = true;
        if let Some(deadline) = deadline {
            due.hint = due_hint(deadline);
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
                "Moins de deux évaluateurs : l'évaluation doit être pluridisciplinaire.".into();
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
                    ..b.select(&format!("{p}.service_id"), L::SERVICE, services)
                },
                W {
                    required: true,
                    ..b.w("date", &format!("{p}.asked_on"), L::ASKED_ON, &a.asked_on)
                },
                due,
                evaluators,
                b.w(
                    "date",
                    &format!("{p}.returned_on"),
                    L::RETURNED_ON_HISTORY,
                    &a.returned_on,
                ),
                b.select(
                    &format!("{p}.result_id"),
                    L::RESULT,
                    param_opts(cat, ParamKind::EvaluationResult, &a.result_id, Some("—")),
                ),
                b.check(&format!("{p}.cancelled"), L::CANCELLED, a.cancelled),
                b.area(
                    &format!("{p}.comment"),
                    L::COMMENT,
                    &a.comment,
                    COMMENT_MAX,
                    2,
                ),
            ],
            conflict: self.conflict_assignments.contains(&i),
        }
    }
}

/// The services (with their territory): the active ones, and the current one.
fn service_opts(cat: &Catalog, cur: &str) -> Vec<Choice> {
    let cur = cur.trim();
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
}

/// The due date's hint: the legal deadline, and the shorter one for a child under two.
fn due_hint((legal, short): (NaiveDate, NaiveDate)) -> String {
    if legal == short {
        format!("Délai légal : {} (3 mois après la réception).", date(legal))
    } else {
        format!(
            "Délai légal : {} ; délai réduit (enfant de moins de deux ans) : {}.",
            date(legal),
            date(short)
        )
    }
}
