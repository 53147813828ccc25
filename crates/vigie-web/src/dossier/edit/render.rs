//! The dossier form as a page: the context the form needs ([`Ctx`]), and [`Render`],
//! which builds the view model from the typed values, the errors and the conflicts (the
//! parts in [`super::parts`], the children in [`super::child`], the assignments in
//! [`super::assignment`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use vigie_domain::catalog::Catalog;
use vigie_domain::dossier::{Part, PartConflict, Suggestion};
use vigie_domain::{FieldError, ParamKind};
use vigie_store::users::User;

use super::model::*;
use super::parts::{expose, flags, follow_ups};
use super::widgets::*;
use crate::AppState;
use crate::dossier::form::{Communes, Defaults, DossierForm};
use crate::http::error::WebError;
use crate::shared::Choice;
use crate::shared::dates::datetime;

/// What the form needs besides the typed values.
#[derive(Debug)]
pub struct Ctx {
    pub cat: Arc<Catalog>,
    pub users: Arc<Vec<User>>,
    pub communes: Arc<Vec<vigie_store::communes::Commune>>,
    pub defaults: Defaults,
    pub tz: chrono_tz::Tz,
}

/// Each commune's name and postal codes, by INSEE code, for reading a typed address.
pub(super) fn commune_map(communes: &[vigie_store::communes::Commune]) -> Communes {
    let mut m: Communes = HashMap::new();
    for c in communes {
        let e = m
            .entry(c.insee.clone())
            .or_insert_with(|| (c.name.clone(), Vec::new()));
        if !e.1.contains(&c.postal_code) {
            e.1.push(c.postal_code.clone());
        }
    }
    m
}

impl Ctx {
    /// From the reference data (in memory unless it changed: `vigie_store::reference`).
    pub(super) async fn load(state: &AppState) -> Result<Self, WebError> {
        Ok(Self::of(state, state.store.reference().await?))
    }

    /// From reference data already read.
    pub(super) fn of(state: &AppState, r: vigie_store::reference::Reference) -> Self {
        let tz = state.store.timezone();
        let lieu_de_vie = r
            .catalog
            .of_kind(ParamKind::LieuDeVie)
            .find(|p| p.active && p.meaning == Some(vigie_domain::param::Meaning::NonRenseigne))
            .map(|p| p.id.to_string())
            .unwrap_or_default();
        Self {
            defaults: Defaults {
                today: state.now().with_timezone(&tz).date_naive(),
                lieu_de_vie,
                under_two_months: r.under_two_months,
            },
            cat: r.catalog,
            users: r.users,
            communes: r.communes,
            tz,
        }
    }
}

pub(super) struct Render<'a> {
    pub(super) ctx: &'a Ctx,
    /// The dossier being edited (`None`: a new one); its number is the form's.
    pub(super) id: Option<i64>,
    pub(super) errors: &'a [FieldError],
    pub(super) conflicts: &'a [PartConflict],
    /// Form indexes of the conflicting children and assignments.
    pub(super) conflict_children: HashSet<usize>,
    pub(super) conflict_assignments: HashSet<usize>,
    pub(super) tab: Option<usize>,
    /// Known persons found for a child (form index).
    pub(super) suggestions: Option<(usize, Vec<Suggestion>)>,
}

impl Render<'_> {
    pub(super) fn view(&self, f: &DossierForm) -> EditView {
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

    /// The page's view model: each part in page order, its widgets built with `b` (which
    /// records the keys that can hold an error), then the page's links and lists.
    pub(super) fn build(&self, f: &DossierForm, b: &mut B<'_>, summary: Vec<ErrLink>) -> EditView {
        let header = self.header(f, b);
        let flags = flags(f, b);
        let status = self.status(f, b);
        let (source, source_address) = self.source(f, b);
        let (adults_group, adults) = self.adults(f, b);
        let (children_group, grid, children) = self.children(f, b);
        let expose = expose(f, b);
        let (assignments_group, assignments) = self.assignments(f, b);
        let follow_ups = follow_ups(f, b);
        let (title, action, back, history) = self.links(f);
        EditView {
            title,
            is_new: self.id.is_none(),
            number: f.number.clone(),
            action,
            back,
            history,
            version: f.version.clone(),
            base: f.base.clone(),
            summary,
            conflicts: self.conflict_views(),
            header,
            flags,
            status,
            source,
            source_address,
            adults_group,
            adults,
            children_group,
            grid,
            next_child_anchor: format!("enfant-{}", f.children.len() + 1),
            children,
            expose,
            assignments_group,
            next_assignment_anchor: format!("affectation-{}", f.assignments.len() + 1),
            assignments,
            follow_ups,
            removed_children: f.removed_children.clone(),
            removed_assignments: f.removed_assignments.clone(),
            communes: self.commune_choices(),
            current_tab: self.tab.map(|t| t.to_string()).unwrap_or_default(),
        }
    }

    /// The page's title, form action, back link and history link (for a stored dossier).
    fn links(&self, f: &DossierForm) -> (String, String, String, Option<String>) {
        match self.id {
            Some(id) => (
                format!("Modifier le dossier {}", f.number),
                format!("/dossiers/{id}/modifier"),
                format!("/dossiers/{id}"),
                Some(format!("/dossiers/{id}/historique")),
            ),
            None => (
                "Nouveau dossier".to_owned(),
                "/dossiers/nouveau".to_owned(),
                "/dossiers".to_owned(),
                None,
            ),
        }
    }

    /// The conflicts found on saving, one view each.
    fn conflict_views(&self) -> Vec<ConflictView> {
        self.conflicts
            .iter()
            .map(|c| self.conflict_view(c))
            .collect()
    }

    /// The communes offered for addresses: « name (postal code) » by INSEE code.
    fn commune_choices(&self) -> Vec<Choice> {
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
        communes
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
