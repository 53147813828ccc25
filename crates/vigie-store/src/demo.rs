//! Demo data: the reference data of the demo département, one account per role, and
//! dossiers from the one generator (`vigie-demo`) shared with tests and benchmarks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use tokio::sync::mpsc::Receiver;
use vigie_demo::{Catalog as DemoCatalog, CommuneRef, Generator, ParamRef, TerritoryRef};
use vigie_domain::text::TextKind;
use vigie_domain::{DossierInput, Role};

use crate::audit::{Actor, Event};
use crate::backend::BulkLoad;
use crate::bulk::{Links, Rows, prepare};
use crate::db::Store;
use crate::name_keys::Vocabulary;
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

/// The seed of the fictional dossiers templates are tested on (the same every time).
const FICTIONAL_SEED: u64 = 19;

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
                let sid = insert_service(&txn, tid, code, label).await?;
                crate::sql::exec(
                    &txn,
                    "INSERT INTO service_contact (service_id, address, email) VALUES ($1, $2, $3)",
                    crate::vals![
                        sid,
                        format!("{label}\n1 rue de la Démonstration\n18000 Bourges"),
                        format!("{}@demo.invalid", code.to_lowercase())
                    ],
                )
                .await?;
            }
        }
        seed_demo_letters(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Refuses, with `refusal`, anything but a demo database (fictitious data never goes
    /// into a real one).
    pub(crate) async fn demo_only(&self, refusal: &str) -> Result<()> {
        match self.instance().await? {
            Some(i) if i.demo => Ok(()),
            _ => Err(StoreError::Config(refusal.into())),
        }
    }

    /// Creates the demo accounts (only in a demo database); returns (login, role).
    /// `password_hash` is the Argon2id hash of [`DEMO_PASSWORD`].
    pub async fn seed_demo_accounts(
        &self,
        now: DateTime<Utc>,
        password_hash: &str,
    ) -> Result<Vec<(&'static str, Role)>> {
        self.demo_only(
            "les comptes de démonstration n'existent que dans une base de démonstration",
        )
        .await?;
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
        // « Affaire suivie par » on the demo letters: a fictional phone and e-mail each.
        crate::sql::exec(
            &self.db,
            "INSERT INTO user_contact (user_id, title, phone, email) \
             SELECT id, NULL, '02 00 00 00 01', login || '@demo.invalid' FROM app_user \
             WHERE demo = TRUE AND id NOT IN (SELECT user_id FROM user_contact)",
            vec![],
        )
        .await?;
        Ok(DEMO_ACCOUNTS.to_vec())
    }

    /// Generates `count` dossiers with the given seed, in batches of one transaction each
    /// (on PostgreSQL, a load of [`BULK_FROM`] dossiers or more is one transaction whose
    /// foreign keys and indexes are recreated at the end: [`BulkLoad`]).
    /// `progress` is called after each batch with the number done.
    pub async fn generate_demo(
        &self,
        now: DateTime<Utc>,
        seed: u64,
        count: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<usize> {
        let demo_cat = self.demo_catalog().await?;
        let mut batches = Batches {
            generator: drawn(Generator::new(seed, demo_cat, now, count)),
            persons: HashMap::new(),
            held: None,
            vocabulary: Vocabulary::default(),
            uncounted: Vec::new(),
        };
        let actor = Actor::system();
        let mut done = 0usize;
        let mut txn = self.write().await?;
        let bulk = if count >= BULK_FROM {
            BulkLoad::start(&txn, &BULK_TABLES, &["person_key", "adult_key"]).await?
        } else {
            None
        };
        loop {
            let in_txn = batches.insert(&txn, self.tz, now, &actor).await?;
            if in_txn == 0 {
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
            if bulk.is_none() {
                // The generator's dossiers come in order of reception and link only to
                // its own persons, written once: what earlier dossiers count stays.
                let ids = std::mem::take(&mut batches.uncounted);
                crate::stats::counter::add_new(&txn, self.tz, &ids).await?;
                txn.commit().await?;
                txn = self.write().await?;
            }
            progress(done);
        }
        if let Some(bulk) = bulk {
            bulk.finish(&txn).await?;
            // Counted once the indexes are back.
            crate::stats::counter::add_new(&txn, self.tz, &batches.uncounted).await?;
        }
        txn.commit().await?;
        Ok(done)
    }

    /// Fictional dossiers built in memory by the demo generator (never stored; numbered from
    /// 999001 in the year of their reception, far past any real year's count), to test a letter template on something that is
    /// not a real dossier. Refused when no territory has an active service (the generator
    /// assigns dossiers to them).
    pub async fn fictional_dossiers(
        &self,
        now: DateTime<Utc>,
        count: usize,
    ) -> Result<Vec<vigie_domain::dossier::DossierRecord>> {
        let demo_cat = self.demo_catalog().await?;
        if demo_cat.territories.is_empty() {
            return Err(StoreError::Config(
                "aucun territoire n'a de service actif : le dossier fictif d'essai ne peut pas être construit (Administration, Paramètres).".into(),
            ));
        }
        Ok(Generator::new(FICTIONAL_SEED, demo_cat, now, count)
            .zip(999_001u32..)
            .filter_map(|(d, seq)| {
                let year = chrono::Datelike::year(&d.input.header.received_at);
                let number = vigie_domain::DossierNumber::new(year, seq)?;
                Some(vigie_domain::dossier::DossierRecord::fictional(
                    &d.input, number,
                ))
            })
            .collect())
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

/// Loads of this many demo dossiers or more go through [`BulkLoad`] on PostgreSQL.
pub const BULK_FROM: usize = 5_000;

/// The tables a demo load writes to.
const BULK_TABLES: [&str; 14] = [
    "dossier",
    "dossier_source",
    "adult",
    "person",
    "person_key",
    "adult_key",
    "name_variant",
    "dossier_child",
    "child_adult",
    "child_author",
    "child_motif",
    "assignment",
    "assignment_evaluator",
    "follow_up",
];

/// The dossiers of `generator`, drawn on a thread of their own ahead of their insertion
/// (at most [`DRAWN_AHEAD`]); the thread stops when they are all drawn or no longer read.
fn drawn(mut generator: Generator) -> Receiver<vigie_demo::DemoDossier> {
    let (send, receive) = tokio::sync::mpsc::channel(DRAWN_AHEAD);
    std::thread::spawn(move || {
        while let Some(d) = generator.next_dossier() {
            if send.blocking_send(d).is_err() {
                break;
            }
        }
    });
    receive
}

/// Dossiers drawn ahead of their insertion.
const DRAWN_AHEAD: usize = 1_000;

/// The generator's dossiers and what is needed to link them to the persons inserted.
struct Batches {
    generator: Receiver<vigie_demo::DemoDossier>,
    /// The generator's person keys and the ids they were inserted with.
    persons: HashMap<usize, i64>,
    /// A dossier drawn but left for the next chunk.
    held: Option<vigie_demo::DemoDossier>,
    /// The words written to the vocabulary by this load.
    vocabulary: Vocabulary,
    /// The dossiers inserted and not yet counted (`crate::stats::counter`).
    uncounted: Vec<i64>,
}

impl Batches {
    /// Inserts up to 5,000 dossiers, 250 at a time; a chunk is cut early when a dossier
    /// names a person created in that very chunk. Returns how many were inserted.
    ///
    /// A pipeline on two cores: while the rows of a chunk are written (the database's
    /// work), those of the next are built on another thread (ours); the chunk's numbers
    /// and ids are reserved before, and its persons known to the next chunk from then on.
    async fn insert(
        &mut self,
        txn: &DatabaseTransaction,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<usize> {
        let mut in_txn = 0usize;
        let mut written: Option<Rows> = None;
        while in_txn < 5_000 {
            let mut chunk = self.chunk(5_000 - in_txn).await;
            if chunk.is_empty() {
                break;
            }
            for d in &mut chunk {
                for (i, r) in d.person_refs.iter().enumerate() {
                    if let Some(k) = r {
                        d.input.children[i].person_id = self.persons.get(k).copied();
                    }
                }
            }
            let inputs: Vec<&DossierInput> = chunk.iter().map(|d| &d.input).collect();
            let prepared = prepare(txn, tz, &inputs, Links::FromThisLoad).await?;
            in_txn += chunk.len();
            let actor = actor.clone();
            let building = tokio::task::spawn_blocking(move || {
                let inputs: Vec<&DossierInput> = chunk.iter().map(|d| &d.input).collect();
                prepared
                    .build(&inputs, &actor, now)
                    .map(|(rows, inserted)| (rows, inserted, chunk))
            });
            if let Some(rows) = written.take() {
                rows.insert(txn, &mut self.vocabulary).await?;
            }
            let (rows, inserted, chunk) = building
                .await
                .map_err(|e| StoreError::Config(format!("génération interrompue : {e}")))??;
            self.uncounted.extend(inserted.iter().map(|i| i.id));
            for (d, ins) in chunk.iter().zip(&inserted) {
                let new_children = d
                    .person_refs
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.is_none())
                    .map(|(i, _)| i);
                for (k, i) in d.new_persons.iter().zip(new_children) {
                    self.persons.insert(*k, ins.person_ids[i]);
                }
            }
            written = Some(rows);
        }
        if let Some(rows) = written {
            rows.insert(txn, &mut self.vocabulary).await?;
        }
        Ok(in_txn)
    }

    /// Up to 250 dossiers (and at most `room`) whose linked persons are all known: written
    /// already, or with their ids reserved.
    async fn chunk(&mut self, room: usize) -> Vec<vigie_demo::DemoDossier> {
        let mut chunk = Vec::new();
        while chunk.len() < 250 && chunk.len() < room {
            let d = match self.held.take() {
                Some(d) => Some(d),
                None => self.generator.recv().await,
            };
            let Some(d) = d else {
                break;
            };
            let unresolved = d
                .person_refs
                .iter()
                .flatten()
                .any(|k| !self.persons.contains_key(k));
            if unresolved && !chunk.is_empty() {
                self.held = Some(d);
                break;
            }
            chunk.push(d);
        }
        chunk
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

/// The demo letterhead and directory (fictional addresses), so that every letter can be tried.
async fn seed_demo_letters(txn: &impl sea_orm::ConnectionTrait) -> Result<()> {
    crate::sql::exec(
        txn,
        "UPDATE letterhead SET departement = $1, address = $2, city = $3, phone = $4, email = $5, \
         signatory = $6, signatory_title = $7 WHERE id = 1",
        crate::vals![
            "Conseil départemental (démonstration)",
            "Direction de l'enfance et de la famille\n1 place de la Démonstration\n18000 Bourges",
            "Bourges",
            "02 00 00 00 00",
            "crip@demo.invalid",
            "Claire DUMAS",
            "Directrice de l'enfance et de la famille"
        ],
    )
    .await?;
    let entries = [
        (
            "parquet",
            "Monsieur le Procureur de la République",
            "Tribunal judiciaire (démonstration)",
            "8 rue du Palais\n18000 Bourges",
        ),
        (
            "crip",
            "Cellule de recueil des informations préoccupantes",
            "Département voisin (démonstration)",
            "2 rue de la Préfecture\n45000 Orléans",
        ),
        (
            "119",
            "Service national d'accueil téléphonique de l'enfance en danger (119)",
            "Démonstration",
            "BP 1\n75000 Paris",
        ),
    ];
    for (kind, name, organisation, address) in entries {
        crate::sql::exec(
            txn,
            "INSERT INTO directory_entry (kind, name, organisation, address) VALUES ($1, $2, $3, $4)",
            crate::vals![kind, name, organisation, address],
        )
        .await?;
    }
    Ok(())
}
