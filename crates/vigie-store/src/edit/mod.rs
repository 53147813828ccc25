//! Saving a whole dossier from the dossier screen or the API: creation, or an update with
//! **one version per part** (the header with the source, the parents and the follow-ups;
//! each child; each assignment). Two agents editing different children do not collide; a
//! stale save of the same part is refused with what the other agent changed. Each saved
//! change of a part becomes a revision (who, when, old and new values), and the audit entry
//! names the revisions and the fields — never the content.
//!
//! Where each step lives: [`save_dossier`](crate::Store::save_dossier) here (bounds, domain
//! rules, references, the fratrie, the communes, then create or update); `create` (a new
//! dossier and its first revisions); `update` (the orchestration of an update); one module per
//! part — `header` (with the source, the adults and the follow-ups), `child`, `person`,
//! `assignment` — each planning its changes and conflicts and writing its rows; `revision`
//! (revisions, who last changed a part, the history). The types and the pure rules are the
//! domain's ([`vigie_domain::dossier`]).

mod assignment;
mod child;
mod create;
mod header;
mod person;
mod revision;
mod update;

pub use crate::settings::UNDER_TWO_SETTING;
use vigie_domain::dossier::{
    DirectConclusionCode, DossierEdit, FieldChange, Part, PartConflict, PartRef, Revision, Saved,
};

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use vigie_domain::dossier::check_edit_bounds;
use vigie_domain::dossier::checks::{
    addresses, check_communes, check_duplicate_child, check_references_keeping,
    check_territory_in_scope, facts_of, insee_codes, kept_of, status_error,
};
use vigie_domain::dossier::history::Resolver;
use vigie_domain::rules::{Transition, check_transition};
use vigie_domain::{DomainError, DossierStatus, FieldError, Scope};

use crate::audit::Actor;
use crate::db::Store;
use crate::dossiers::load_dossier;
use crate::sql::get;
use crate::{Result, StoreError};
use vigie_domain::dossier::{AdultRecord, ChildRecord, DossierRecord};

/// Display values resolved with the store's time zone.
type Ctx<'a> = Resolver<'a, chrono_tz::Tz>;

/// The status rules for a change of status from `from` to the edit's, on the dossier `rec`
/// as it is with the edit written.
fn check_status_change(
    x: &Ctx<'_>,
    rec: &DossierRecord,
    from: DossierStatus,
    e: &DossierEdit,
) -> Result<()> {
    let mut facts = facts_of(x.cat, rec);
    facts.status = from;
    check_transition(
        &facts,
        &Transition {
            to: e.input.header.status,
            direct: e.direct.map(DirectConclusionCode::domain),
            reason: e.status_reason.clone(),
        },
    )
    .map_err(|m| StoreError::from(status_error(m)))
}

impl Store {
    /// Creates or updates a whole dossier in one transaction (see the module docs).
    ///
    /// Every text is checked by the domain's rules and every repeated part against
    /// [`vigie_domain::limits`] before anything is read or written.
    pub async fn save_dossier(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        e: &DossierEdit,
    ) -> Result<Saved> {
        let input = &e.input;
        if e.adult_ids.len() != input.adults.len()
            || e.children.len() != input.children.len()
            || e.assignments.len() != input.assignments.len()
        {
            return Err(StoreError::Config(
                "formulaire incohérent : rechargez le dossier.".into(),
            ));
        }
        check_edit_bounds(e)?;
        // Every problem at once: domain, ages, then references (after the transaction starts).
        let mut problems: Vec<FieldError> = Vec::new();
        if let Err(err) = input.validate(now) {
            problems.extend(err.fields().iter().cloned());
        }
        if let Err(err) = input.check_ages(&e.confirmed_adult_children) {
            problems.extend(err.fields().iter().cloned());
        }
        // The reference data is read before the write transaction, which stays short (on
        // SQLite it holds the database's write lock): from memory unless it changed.
        let reference = self.reference().await?;
        let cat = reference.catalog;
        let users = revision::user_names(&reference.users);
        let txn = self.write().await?;
        let x = Ctx {
            cat: &cat,
            tz: self.tz,
            users: &users,
        };
        let current = match e.dossier {
            Some(r) => {
                // Saves of one dossier are serialised: the versions read below stay current
                // until commit. (SQLite's write transaction already holds the database lock.)
                crate::backend::lock_row(&txn, "dossier", r.id).await?;
                Some(load_dossier(&txn, scope, r.id).await?)
            }
            None => None,
        };
        let kept = current.as_ref().map(kept_of).unwrap_or_default();
        if let Err(err) = check_references_keeping(&cat, input, &kept) {
            problems.extend(err.fields().iter().cloned());
        }
        problems.extend(check_territory_in_scope(
            scope,
            current.as_ref().map(|c| c.header.territory_id),
            input,
        ));
        problems.extend(check_duplicate_child(input));
        let addresses = addresses(input);
        let codes = insee_codes(&addresses);
        if !codes.is_empty() {
            let mut q = crate::sql::Sql::new("SELECT DISTINCT insee FROM commune WHERE insee IN ");
            q.bind_list(&codes);
            let known: HashSet<String> = crate::sql::all_sql(&txn, &q)
                .await?
                .iter()
                .map(|r| get::<String>(r, "insee"))
                .collect::<Result<_>>()?;
            problems.extend(check_communes(&addresses, &known));
        }
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        match current {
            None => self.create_in(txn, now, actor, e, &x).await,
            Some(rec) => self.update_in(txn, now, actor, e, &x, rec).await,
        }
    }
}
