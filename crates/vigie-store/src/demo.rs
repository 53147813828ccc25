//! Demo data: the reference data of the demo département, one account per role, and
//! dossiers from the one generator (`vigie-demo`) shared with tests and benchmarks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use vigie_demo::{Catalog as DemoCatalog, CommuneRef, Generator, ParamRef, TerritoryRef};
use vigie_domain::Role;
use vigie_domain::text::TextKind;

use crate::audit::{Actor, Event};
use crate::bulk::insert_dossiers;
use crate::db::Store;
use crate::params::load_catalog;
use crate::sql::{all, get, one};
use crate::users::NewUser;
use crate::{Result, StoreError, vals};

/// The password of every demo account (they exist only in a demo database).
pub const DEMO_PASSWORD: &str = "demonstration";

/// One demo account per role: (login, role).
pub const DEMO_ACCOUNTS: [(&str, Role); 5] = [
    ("admin", Role::Administrateur),
    ("responsable", Role::ResponsableCrip),
    ("agent", Role::AgentCrip),
    ("evaluateur", Role::EvaluateurTerritorial),
    ("statistiques", Role::LecteurStatistiques),
];

impl Store {
    /// Territories and services of the demo département, when there are none yet.
    pub async fn seed_demo_reference(&self) -> Result<()> {
        let txn = self.write().await?;
        if !all(&txn, "SELECT id FROM territory LIMIT 1", vec![])
            .await?
            .is_empty()
        {
            return Ok(());
        }
        for t in vigie_demo::demo_territories() {
            let tid = insert_territory(&txn, t.code, t.label).await?;
            for (code, label) in &t.services {
                insert_service(&txn, tid, code, label).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Creates the demo accounts (only in a demo database); returns (login, role).
    /// `password_hash` is the Argon2id hash of [`DEMO_PASSWORD`].
    pub async fn seed_demo_accounts(
        &self,
        now: DateTime<Utc>,
        password_hash: &str,
    ) -> Result<Vec<(&'static str, Role)>> {
        match self.instance().await? {
            Some(i) if i.demo => {}
            _ => {
                return Err(StoreError::Config(
                    "les comptes de démonstration n'existent que dans une base de démonstration"
                        .into(),
                ));
            }
        }
        let existing: Vec<String> = self
            .list_users()
            .await?
            .into_iter()
            .map(|u| u.login)
            .collect();
        let cat = self.catalog().await?;
        let first_territory = cat.territories.first().map(|t| t.id);
        let first_service = cat
            .services
            .iter()
            .find(|s| Some(s.territory_id) != first_territory)
            .map(|s| s.id);
        for (login, role) in DEMO_ACCOUNTS {
            if existing.iter().any(|l| l == login) {
                continue;
            }
            let (territories, service_id) = if role == Role::EvaluateurTerritorial {
                (first_territory.into_iter().collect(), first_service)
            } else {
                (vec![], None)
            };
            let display_name = format!("{} (démo)", role.label());
            self.add_user(
                now,
                &Actor::system(),
                &NewUser {
                    login: login.into(),
                    display_name,
                    password_hash: password_hash.into(),
                    role,
                    territories,
                    service_id,
                    demo: true,
                },
            )
            .await?;
        }
        Ok(DEMO_ACCOUNTS.to_vec())
    }

    /// Generates `count` dossiers with the given seed, in batches of one transaction each.
    /// `progress` is called after each batch with the number done.
    pub async fn generate_demo(
        &self,
        now: DateTime<Utc>,
        seed: u64,
        count: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<usize> {
        let demo_cat = self.demo_catalog().await?;
        let mut generator = Generator::new(seed, demo_cat, now, count);
        let mut persons: HashMap<usize, i64> = HashMap::new();
        let actor = Actor::system();
        let mut done = 0usize;
        let mut held: Option<vigie_demo::DemoDossier> = None;
        // Transactions of up to 5,000 dossiers, inserted 250 at a time; a chunk is cut
        // early when a dossier names a person created in that very chunk.
        loop {
            let txn = self.write().await?;
            let mut in_txn = 0usize;
            while in_txn < 5_000 {
                let mut chunk: Vec<vigie_demo::DemoDossier> = Vec::new();
                while chunk.len() < 250 && in_txn + chunk.len() < 5_000 {
                    let Some(d) = held.take().or_else(|| generator.next_dossier()) else {
                        break;
                    };
                    let unresolved = d
                        .person_refs
                        .iter()
                        .flatten()
                        .any(|k| !persons.contains_key(k));
                    if unresolved && !chunk.is_empty() {
                        held = Some(d);
                        break;
                    }
                    chunk.push(d);
                }
                if chunk.is_empty() {
                    break;
                }
                for d in &mut chunk {
                    for (i, r) in d.person_refs.iter().enumerate() {
                        if let Some(k) = r {
                            d.input.children[i].person_id = persons.get(k).copied();
                        }
                    }
                }
                let inputs: Vec<&vigie_domain::DossierInput> =
                    chunk.iter().map(|d| &d.input).collect();
                let inserted = insert_dossiers(&txn, self.tz, now, &actor, &inputs).await?;
                for (d, ins) in chunk.iter().zip(&inserted) {
                    let new_children = d
                        .person_refs
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.is_none())
                        .map(|(i, _)| i);
                    for (k, i) in d.new_persons.iter().zip(new_children) {
                        persons.insert(*k, ins.person_ids[i]);
                    }
                }
                in_txn += chunk.len();
            }
            if in_txn == 0 {
                txn.rollback().await?;
                break;
            }
            done += in_txn;
            self.append(
                &txn,
                now,
                &actor,
                Event::new("demo.generation").detail(format!("dossiers={in_txn}")),
            )
            .await?;
            txn.commit().await?;
            progress(done);
        }
        Ok(done)
    }

    /// What the generator draws from: the active parameters, the territories with an
    /// active service, the communes of the instance's départements, the agents.
    async fn demo_catalog(&self) -> Result<DemoCatalog> {
        let cat = load_catalog(&self.db).await?;
        let departements = self
            .instance()
            .await?
            .map(|i| i.departements)
            .unwrap_or_else(|| vec!["18".into()]);
        let communes = self.communes_of(&departements).await?;
        let agents = all(&self.db, "SELECT id FROM app_user WHERE role IN ('agent', 'responsable') AND active = TRUE ORDER BY id", vec![])
            .await?
            .iter()
            .map(|r| get::<i64>(r, "id"))
            .collect::<Result<Vec<_>>>()?;
        let demo_cat = DemoCatalog {
            params: cat
                .params
                .iter()
                .filter(|p| p.active)
                .map(|p| ParamRef {
                    id: p.id,
                    kind: p.kind,
                    code: p.code.clone(),
                    meaning: p.meaning,
                })
                .collect(),
            territories: cat
                .territories
                .iter()
                .filter(|t| t.active)
                .map(|t| TerritoryRef {
                    id: t.id,
                    services: cat
                        .services
                        .iter()
                        .filter(|s| s.territory_id == t.id && s.active)
                        .map(|s| s.id)
                        .collect(),
                })
                .filter(|t| !t.services.is_empty())
                .collect(),
            communes: communes
                .into_iter()
                .map(|c| CommuneRef {
                    insee: c.insee,
                    postal_code: c.postal_code,
                    name: c.name,
                })
                .collect(),
            agents,
        };
        if demo_cat.territories.is_empty() {
            return Err(StoreError::Config(
                "aucun territoire avec un service : impossible de générer des dossiers".into(),
            ));
        }
        Ok(demo_cat)
    }
}

/// Inserts a demo territory (no audit entry of its own: the demo load is traced as one).
async fn insert_territory(c: &impl ConnectionTrait, code: &str, label: &str) -> Result<i64> {
    crate::text_in("code", "Code", TextKind::Short, code)?;
    crate::text_in("label", "Libellé", TextKind::Short, label)?;
    let r = one(
        c,
        "INSERT INTO territory (code, label, sort_order) VALUES ($1, $2, (SELECT COALESCE(MAX(sort_order), 0) + 10 FROM territory)) RETURNING id",
        vals![code, label],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    get(&r, "id")
}

/// Inserts a demo service of a territory.
async fn insert_service(
    c: &impl ConnectionTrait,
    territory_id: i64,
    code: &str,
    label: &str,
) -> Result<i64> {
    crate::text_in("code", "Code", TextKind::Short, code)?;
    crate::text_in("label", "Libellé", TextKind::Short, label)?;
    let r = one(
        c,
        "INSERT INTO service (territory_id, code, label, sort_order) VALUES ($1, $2, $3, (SELECT COALESCE(MAX(sort_order), 0) + 10 FROM service)) RETURNING id",
        vals![territory_id, code, label],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    get(&r, "id")
}
