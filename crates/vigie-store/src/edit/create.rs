//! Creating a dossier from the dossier screen or the API: the dossier is inserted as a whole,
//! then each part gets its first revision.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use vigie_domain::dossier::history::{
    Fields, adult_name, assignment_fields, child_fields, diff, header_fields, person_name,
};
use vigie_domain::{Adult, DossierStatus, Scope};

use super::revision::write_revision;
use super::{Ctx, DossierEdit, Part, Saved, check_status_change};
use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::dossiers::{insert_dossier, load_dossier};
use crate::sql::exec;
use crate::{Result, vals};

impl Store {
    pub(super) async fn create_in(
        &self,
        txn: DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        e: &DossierEdit,
        x: &Ctx<'_>,
    ) -> Result<Saved> {
        let input = &e.input;
        let (id, number, _) = insert_dossier(&txn, self.tz, now, actor, input).await?;
        if let Some(d) = e.direct {
            exec(
                &txn,
                "UPDATE dossier SET direct_conclusion = $1 WHERE id = $2",
                vals![d.code(), id],
            )
            .await?;
        }
        let rec = load_dossier(&txn, &Scope::All, id).await?;
        if input.header.status != DossierStatus::Recue {
            check_status_change(x, &rec, DossierStatus::Recue, e)?;
        }
        let adults: Vec<Adult> = input.adults.clone();
        let name = |ix: i64| {
            usize::try_from(ix)
                .ok()
                .and_then(|i| adults.get(i))
                .map(adult_name)
                .unwrap_or_default()
        };
        let mut revisions = vec![
            write_revision(
                &txn,
                now,
                actor,
                id,
                Part::Header,
                None,
                "Création du dossier",
                1,
                None,
                &diff(
                    &Fields::new(),
                    &header_fields(x, &input.header, &input.source, &adults, &input.follow_ups),
                ),
            )
            .await?,
        ];
        for (c, stored) in input.children.iter().zip(&rec.children) {
            revisions.push(
                write_revision(
                    &txn,
                    now,
                    actor,
                    id,
                    Part::Child,
                    Some(stored.id),
                    &format!("Enfant : {}", person_name(&c.person)),
                    1,
                    None,
                    &diff(&Fields::new(), &child_fields(x, c, &name)),
                )
                .await?,
            );
        }
        for (a, stored) in input.assignments.iter().zip(&rec.assignments) {
            revisions.push(
                write_revision(
                    &txn,
                    now,
                    actor,
                    id,
                    Part::Assignment,
                    Some(stored.id),
                    &format!(
                        "Affectation : {}",
                        x.cat
                            .service(a.service_id)
                            .map(|s| s.label.as_str())
                            .unwrap_or("")
                    ),
                    1,
                    None,
                    &diff(&Fields::new(), &assignment_fields(x, a)),
                )
                .await?,
            );
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.creation")
                .on("dossier", id)
                .detail(format!(
                    "revisions={}",
                    revisions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )),
        )
        .await?;
        for (c, stored) in input.children.iter().zip(&rec.children) {
            if let Some(pid) = c.person_id {
                self.append(
                    &txn,
                    now,
                    actor,
                    Event::new("personne.liaison")
                        .on("dossier", id)
                        .detail(format!("enfant={};personne={pid}", stored.id)),
                )
                .await?;
            }
        }
        txn.commit().await?;
        Ok(Saved {
            id,
            number,
            revisions,
        })
    }
}
