//! Test support (feature `testing`): a fresh, migrated database per test, on SQLite
//! (a file in a temporary directory) and on PostgreSQL (a clone of a migrated template
//! database on the server at 127.0.0.1:5432, dropped by [`TestDb::finish`]).
//!
//! On PostgreSQL, as in production (README, « PostgreSQL en production »), two roles: the
//! databases are owned and migrated by [`PG_OWNER_ROLE`], and the tests' store connects as
//! [`PG_APP_ROLE`], with only the grants the migrations declare ([`crate::grants`]): every
//! suite run on PostgreSQL shows that the application's role can do its work. A test that
//! needs the owner (a purge, a migration, tampering as someone with database access) uses
//! [`TestDb::owner`] or [`TestDb::raw`].
//!
//! PostgreSQL unreachable fails the test with a clear message; `VIGIE_TEST_SKIP_PG=1`
//! skips PostgreSQL explicitly (on a laptop), never silently. `VIGIE_TEST_PG_URL`
//! overrides the server URL (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::db::{DbUrl, Store};

/// The role that owns and migrates the PostgreSQL test databases (cluster-wide, created
/// once; not a superuser).
pub const PG_OWNER_ROLE: &str = "vigie_test_owner";
/// The application's role of the PostgreSQL test databases: [`TestDb::store`] connects as
/// it, with only the grants of [`crate::grants`].
pub const PG_APP_ROLE: &str = "vigie_test_app";

/// A test database.
#[derive(Debug)]
pub struct TestDb {
    /// The application's store (on PostgreSQL, connected as [`PG_APP_ROLE`]).
    pub store: Store,
    pub backend: &'static str,
    pg_name: Option<String>,
    /// The owner's store, opened at its first use (PostgreSQL).
    owner: tokio::sync::OnceCell<Store>,
    sqlite_file: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

/// A fixed "now" for tests.
pub fn now() -> DateTime<Utc> {
    #[allow(clippy::expect_used)]
    "2026-11-24T10:00:00Z".parse().expect("valid instant")
}

fn pg_admin_url() -> String {
    std::env::var("VIGIE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn skip_pg() -> bool {
    std::env::var("VIGIE_TEST_SKIP_PG").is_ok_and(|v| v == "1")
}

fn with_db(url: &str, db: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, tail)) => {
            let query = tail
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            format!("{base}/{db}{query}")
        }
        None => url.to_owned(),
    }
}

/// `url` connecting as `user` (password: the user's name; trust authentication ignores it).
fn with_user(url: &str, user: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = match rest.split_once('@') {
                Some((userinfo, host)) if !userinfo.contains('/') => host,
                _ => rest,
            };
            format!("{scheme}://{user}:{user}@{host}")
        }
        None => url.to_owned(),
    }
}

/// The URL of test database `db` for `role`.
fn pg_url(db: &str, role: &str) -> DbUrl {
    #[allow(clippy::expect_used)]
    with_user(&with_db(&pg_admin_url(), db), role)
        .parse()
        .expect("pg url")
}

/// Creates the two test roles unless they exist (several test processes may race: a
/// duplicate is caught).
async fn ensure_roles(admin: &mut PgConnection) {
    for role in [PG_OWNER_ROLE, PG_APP_ROLE] {
        #[allow(clippy::expect_used)]
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DO $$ BEGIN CREATE ROLE {role} LOGIN PASSWORD '{role}'; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )))
        .execute(&mut *admin)
        .await
        .expect("create test role");
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The instance key ring of every test database (fixed: PostgreSQL test databases are
/// clones of one template, keyed once). Tests that need another key make their own.
pub fn test_ring() -> crate::keys::KeyRing {
    #[allow(clippy::expect_used)]
    crate::keys::KeyRing::parse(&format!("vigie-cle 1 {}", "7e".repeat(32))).expect("test ring")
}

/// The instance key file of a test's (or a benchmark's) `vigie` commands in `dir`, as an
/// operator keeps it: `dir/cle-instance`, created at first use.
pub fn key_file(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("cle-instance");
    if !p.exists() {
        #[allow(clippy::expect_used)]
        crate::keys::KeyRing::generate()
            .write(&p, true)
            .expect("instance key file");
    }
    p
}

/// Gives a store the test ring, adopting it on a database not keyed yet (a database
/// without its instance row is left as it is).
#[allow(clippy::expect_used)]
pub async fn keyed(store: Store) -> Store {
    // An empty database (not migrated, or no instance yet) has nothing to key.
    if store.instance().await.ok().flatten().is_none() {
        return store;
    }
    store
        .open_with_key_ring(now(), test_ring(), None)
        .await
        .expect("instance key");
    store
}

#[allow(clippy::expect_used, clippy::panic)]
impl TestDb {
    /// A migrated SQLite database whose instance was created without the instance key, as
    /// before its introduction (the store has no ring: its chain is unkeyed, its secrets
    /// stored in clear until [`Store::open_with_key_ring`]).
    pub async fn sqlite_unkeyed() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("vigie.db");
        let url: DbUrl = format!("sqlite://{}", file.display())
            .parse()
            .expect("sqlite url");
        let store = Store::connect(&url, chrono_tz::Europe::Paris)
            .await
            .expect("sqlite connect");
        store.migrate(now()).await.expect("migrate sqlite");
        store
            .init_instance(now(), false, &["18".into()])
            .await
            .expect("instance");
        Self {
            store,
            backend: "sqlite",
            pg_name: None,
            owner: tokio::sync::OnceCell::new(),
            sqlite_file: Some(file),
            _dir: Some(dir),
        }
    }

    /// The same database through a new pool, without the instance key: what a stolen
    /// copy of the database gives.
    pub async fn without_key(&self) -> Store {
        let url = match &self.pg_name {
            Some(name) => with_db(&pg_admin_url(), name).parse().expect("pg url"),
            None => self.sqlite_url(),
        };
        Store::connect(&url, chrono_tz::Europe::Paris)
            .await
            .expect("reconnect")
    }

    /// A migrated SQLite database in a temporary directory, instance created (not demo).
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut db = Self::sqlite_in(dir.path()).await;
        db._dir = Some(dir);
        db
    }

    /// A migrated SQLite database `vigie.db` in `dir` (kept after the test: the caller's).
    pub async fn sqlite_in(dir: &std::path::Path) -> Self {
        let file = dir.join("vigie.db");
        let url: DbUrl = format!("sqlite://{}", file.display())
            .parse()
            .expect("sqlite url");
        let store = Store::connect(&url, chrono_tz::Europe::Paris)
            .await
            .expect("sqlite connect");
        store.migrate(now()).await.expect("migrate sqlite");
        store
            .init_instance(now(), false, &["18".into()])
            .await
            .expect("instance");
        let store = keyed(store).await;
        Self {
            store,
            backend: "sqlite",
            pg_name: None,
            owner: tokio::sync::OnceCell::new(),
            sqlite_file: Some(file),
            _dir: None,
        }
    }

    /// An empty SQLite database (not migrated, no instance) in a temporary directory, as a
    /// restore receives it.
    pub async fn sqlite_empty() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("vigie.db");
        let url: DbUrl = format!("sqlite://{}", file.display())
            .parse()
            .expect("sqlite url");
        let store = Store::connect(&url, chrono_tz::Europe::Paris)
            .await
            .expect("sqlite connect");
        Self {
            store,
            backend: "sqlite",
            pg_name: None,
            owner: tokio::sync::OnceCell::new(),
            sqlite_file: Some(file),
            _dir: Some(dir),
        }
    }

    /// An empty database of `backend` (`sqlite` or `postgres`); `None` only when PostgreSQL
    /// is skipped explicitly. A restore writes through [`TestDb::owner`].
    pub async fn empty(backend: &str) -> Option<Self> {
        if backend == "sqlite" {
            Some(Self::sqlite_empty().await)
        } else {
            Self::postgres_empty().await
        }
    }

    /// A migrated SQLite database whose size is capped at `limit` pages (`PRAGMA
    /// max_page_count`, read again at every acquisition): a "full disk" at a chosen size,
    /// and the space given back by raising it, without root.
    pub async fn sqlite_with_page_limit(limit: PageLimit) -> Self {
        let db = Self::sqlite().await;
        let url = db.sqlite_url();
        db.store.clone().close().await;
        let store = Store::connect_limited(&url, chrono_tz::Europe::Paris, Some(limit))
            .await
            .expect("sqlite connect");
        let store = keyed(store).await;
        Self { store, ..db }
    }

    fn sqlite_url(&self) -> DbUrl {
        let file = self.sqlite_file.as_ref().expect("a SQLite test database");
        format!("sqlite://{}", file.display())
            .parse()
            .expect("sqlite url")
    }

    /// Stops the store cleanly and opens the same database again, as a restart would.
    pub async fn restart(self) -> Self {
        let url = match &self.pg_name {
            Some(name) => pg_url(name, PG_APP_ROLE),
            None => self.sqlite_url(),
        };
        self.store.clone().close().await;
        let store = Store::connect(&url, chrono_tz::Europe::Paris)
            .await
            .expect("reconnect");
        let store = keyed(store).await;
        Self { store, ..self }
    }

    /// Terminates, on the server side, every connection to this PostgreSQL test database
    /// (`pg_terminate_backend`), as a crash or an administrator would; returns how many.
    pub async fn terminate_connections(&self) -> i64 {
        let Some(name) = &self.pg_name else {
            return 0;
        };
        let mut admin = PgConnection::connect(&pg_admin_url())
            .await
            .expect("PostgreSQL admin connection");
        let n: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .expect("pg_terminate_backend");
        let _ = admin.close().await;
        n.0
    }

    /// A migrated PostgreSQL database, cloned from a template; `None` only when skipped explicitly.
    pub async fn postgres() -> Option<Self> {
        if skip_pg() {
            eprintln!("VIGIE_TEST_SKIP_PG=1 : tests PostgreSQL ignorés");
            return None;
        }
        let mut admin = admin_connection().await;
        let template = template_name();
        // One process at a time creates the template, or clones it.
        sqlx::query("SELECT pg_advisory_lock(727274)")
            .execute(&mut admin)
            .await
            .expect("advisory lock");
        ensure_roles(&mut admin).await;
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(&template)
            .fetch_optional(&mut admin)
            .await
            .expect("pg_database");
        if exists.is_none() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {template} OWNER {PG_OWNER_ROLE}"
            )))
            .execute(&mut admin)
            .await
            .expect("create template");
            prepare_as_owner(&template).await;
        }
        let name = new_db_name();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE {template} OWNER {PG_OWNER_ROLE}"
        )))
        .execute(&mut admin)
        .await
        .expect("clone template");
        sqlx::query("SELECT pg_advisory_unlock(727274)")
            .execute(&mut admin)
            .await
            .expect("advisory unlock");
        let _ = admin.close().await;
        Some(Self::postgres_app(name).await)
    }

    /// The application role's keyed store on PostgreSQL database `name`.
    async fn postgres_app(name: String) -> Self {
        let store = Store::connect(&pg_url(&name, PG_APP_ROLE), chrono_tz::Europe::Paris)
            .await
            .expect("pg connect");
        Self {
            store: keyed(store).await,
            backend: "postgres",
            pg_name: Some(name),
            owner: tokio::sync::OnceCell::new(),
            sqlite_file: None,
            _dir: None,
        }
    }

    /// A PostgreSQL database kept between runs under `name` (a benchmark's large base):
    /// created and migrated the first time (or when `fresh`: dropped first), migrated and
    /// reconnected afterwards. Never dropped after use: drop the [`TestDb`] without
    /// [`TestDb::finish`]; `None` only when skipped.
    pub async fn postgres_kept(name: &str, fresh: bool) -> Option<Self> {
        if skip_pg() {
            eprintln!("VIGIE_TEST_SKIP_PG=1 : tests PostgreSQL ignorés");
            return None;
        }
        let mut admin = admin_connection().await;
        ensure_roles(&mut admin).await;
        if fresh {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            .expect("drop database");
        }
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut admin)
            .await
            .expect("pg_database");
        if exists.is_none() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {name} OWNER {PG_OWNER_ROLE}"
            )))
            .execute(&mut admin)
            .await
            .expect("create database");
        }
        let _ = admin.close().await;
        prepare_as_owner(name).await;
        Some(Self::postgres_app(name.to_owned()).await)
    }

    /// An empty PostgreSQL database (not migrated) owned by [`PG_OWNER_ROLE`], its store
    /// connected as the application's role; `None` only when skipped explicitly.
    pub async fn postgres_empty() -> Option<Self> {
        if skip_pg() {
            eprintln!("VIGIE_TEST_SKIP_PG=1 : tests PostgreSQL ignorés");
            return None;
        }
        let mut admin = admin_connection().await;
        ensure_roles(&mut admin).await;
        let name = new_db_name();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} OWNER {PG_OWNER_ROLE}"
        )))
        .execute(&mut admin)
        .await
        .expect("create database");
        let _ = admin.close().await;
        let store = Store::connect(&pg_url(&name, PG_APP_ROLE), chrono_tz::Europe::Paris)
            .await
            .expect("pg connect");
        Some(Self {
            store,
            backend: "postgres",
            pg_name: Some(name),
            owner: tokio::sync::OnceCell::new(),
            sqlite_file: None,
            _dir: None,
        })
    }

    /// Both backends (PostgreSQL unless skipped explicitly).
    pub async fn both() -> Vec<Self> {
        let mut v = vec![Self::sqlite().await];
        v.extend(Self::postgres().await);
        v
    }

    /// Closes and drops the database.
    pub async fn finish(self) {
        let TestDb {
            store,
            pg_name,
            _dir,
            owner,
            ..
        } = self;
        store.close().await;
        if let Some(o) = owner.into_inner() {
            o.close().await;
        }
        if let Some(name) = pg_name
            && let Ok(mut admin) = PgConnection::connect(&pg_admin_url()).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
        }
    }
}

/// Migrates PostgreSQL database `name` as its owner, grants the application's role and
/// creates the instance (each a no-op when done already).
#[allow(clippy::expect_used)]
async fn prepare_as_owner(name: &str) {
    let store = Store::connect(&pg_url(name, PG_OWNER_ROLE), chrono_tz::Europe::Paris)
        .await
        .expect("pg connect");
    store.migrate(now()).await.expect("migrate postgres");
    store
        .grant_application_role(PG_APP_ROLE)
        .await
        .expect("grants");
    store
        .init_instance(now(), false, &["18".into()])
        .await
        .expect("instance");
    keyed(store).await.close().await;
}

#[allow(clippy::panic)]
async fn admin_connection() -> PgConnection {
    let admin_url = pg_admin_url();
    match PgConnection::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL injoignable ({admin_url}) : {e}. Démarrez-le (pg_ctlcluster … main start) ou, sur un poste de développement seulement, VIGIE_TEST_SKIP_PG=1."
        ),
    }
}

fn new_db_name() -> String {
    format!(
        "vigie_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos()
    )
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000)
        .unwrap_or(0)
}

/// The template's name changes with the schema, so a stale template is never reused.
fn template_name() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for m in crate::migrate::migrations() {
        h.update(m.version.to_be_bytes());
        h.update(format!("{:?}", m.steps).as_bytes());
        h.update(format!("{:?}", m.grants).as_bytes());
    }
    h.update(format!("owner {PG_OWNER_ROLE}, application {PG_APP_ROLE}").as_bytes());
    // What a step does beyond its SQL (a backfill's code) changes the template too.
    h.update(b"steps' code: counters record their time zone");
    h.update(crate::communes::COMMUNES_TSV.len().to_be_bytes());
    h.update(format!("{:?}", vigie_domain::param::defaults()).as_bytes());
    format!("vigie_tpl_{}", &hex::encode(h.finalize())[..16])
}

impl TestDb {
    /// Runs raw SQL as the owner of the database (to tamper with data in tests, as someone
    /// with database access would; the application's role could not). [`raw_sql`] on
    /// [`TestDb::store`] runs it as the application's role.
    pub async fn raw(&self, sql: &str) -> Result<(), sea_orm::DbErr> {
        use sea_orm::ConnectionTrait;
        self.owner()
            .await
            .db
            .execute_unprepared(sql)
            .await
            .map(|_| ())
    }

    /// The store of the owner role, which migrates and purges (on SQLite, the same store).
    pub async fn owner(&self) -> &Store {
        match &self.pg_name {
            None => &self.store,
            Some(name) => {
                self.owner
                    .get_or_init(|| async {
                        #[allow(clippy::expect_used)]
                        keyed(
                            Store::connect(&pg_url(name, PG_OWNER_ROLE), chrono_tz::Europe::Paris)
                                .await
                                .expect("owner connect"),
                        )
                        .await
                    })
                    .await
            }
        }
    }

    /// The URL of this database for the application's role (`VIGIE_DATABASE_URL`).
    pub fn app_url(&self) -> DbUrl {
        match &self.pg_name {
            Some(name) => pg_url(name, PG_APP_ROLE),
            None => self.sqlite_url(),
        }
    }

    /// The URL of this database for the owner (`VIGIE_MIGRATE_DATABASE_URL`; on SQLite the same).
    pub fn owner_url(&self) -> DbUrl {
        match &self.pg_name {
            Some(name) => pg_url(name, PG_OWNER_ROLE),
            None => self.sqlite_url(),
        }
    }
}

/// The children matching a name search (the store's candidate query and the domain's
/// rule), best first, for tests.
pub async fn find_persons(store: &Store, text: &str) -> Vec<i64> {
    #[allow(clippy::expect_used)]
    store
        .children_matching(&vigie_domain::Scope::All, text, 50)
        .await
        .expect("find persons")
}

/// A SQLite page limit (see [`TestDb::sqlite_with_page_limit`]).
pub type PageLimit = crate::db::PageLimit;

/// The number of pages of a SQLite database (`PRAGMA page_count`), for tests.
pub async fn sqlite_page_count(store: &Store) -> u32 {
    use sea_orm::ConnectionTrait;
    let stmt = sea_orm::Statement::from_string(store.backend(), "PRAGMA page_count");
    #[allow(clippy::expect_used)]
    let r = store
        .db
        .query_one_raw(stmt)
        .await
        .expect("page_count")
        .expect("a row");
    #[allow(clippy::expect_used)]
    let n: i64 = r.try_get_by_index(0).expect("an integer");
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The first column of every row of a raw query, as text (to look at what is stored).
pub async fn raw_texts(store: &Store, sql: &str) -> Vec<Option<String>> {
    #[allow(clippy::expect_used)]
    crate::sql::all(&store.db, sql, vec![])
        .await
        .expect("raw query")
        .iter()
        .map(|r| r.try_get_by_index::<Option<String>>(0).ok().flatten())
        .collect()
}

/// Runs raw SQL on any store (to simulate a newer schema, tamper with rows…), for tests.
pub async fn raw_sql(store: &Store, sql: &str) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    store.db.execute_unprepared(sql).await.map(|_| ())
}

/// The tables of the store's database (PostgreSQL: of its current schema), sorted.
pub async fn table_names(store: &Store) -> Vec<String> {
    #[allow(clippy::expect_used)]
    crate::backend::table_names(&store.db)
        .await
        .expect("tables")
}

/// Whether the store's PostgreSQL connection is encrypted (`pg_stat_ssl`), for tests.
pub async fn is_tls(store: &Store) -> bool {
    use sea_orm::ConnectionTrait;
    let stmt = sea_orm::Statement::from_string(
        store.backend(),
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    match store.db.query_one_raw(stmt).await {
        Ok(Some(r)) => r.try_get::<bool>("", "ssl").unwrap_or(false),
        _ => false,
    }
}

/// Adds a territory as the administration screen does ([`Store::admin_add`]), for tests.
pub async fn add_territory(
    store: &Store,
    now: DateTime<Utc>,
    actor: &crate::Actor,
    code: &str,
    label: &str,
) -> i64 {
    add_value(
        store,
        now,
        actor,
        crate::params_admin::Table::Territories,
        code,
        label,
        None,
    )
    .await
}

/// Adds a service to a territory as the administration screen does, for tests.
pub async fn add_service(
    store: &Store,
    now: DateTime<Utc>,
    actor: &crate::Actor,
    territory_id: i64,
    code: &str,
    label: &str,
) -> i64 {
    let table = crate::params_admin::Table::Services;
    add_value(store, now, actor, table, code, label, Some(territory_id)).await
}

async fn add_value(
    store: &Store,
    now: DateTime<Utc>,
    actor: &crate::Actor,
    table: crate::params_admin::Table,
    code: &str,
    label: &str,
    territory_id: Option<i64>,
) -> i64 {
    let new = crate::params_admin::NewValue {
        code,
        label,
        territory_id,
        ..Default::default()
    };
    #[allow(clippy::expect_used)]
    store
        .admin_add(now, actor, table, &new)
        .await
        .expect("add a value")
}
