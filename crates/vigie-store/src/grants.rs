//! Least privilege on PostgreSQL: two roles.
//!
//! - The **owner role** owns the schema: it runs `vigie migrate` (and `vigie audit
//!   purger`, the one run-time operation that deletes audit entries), connecting with
//!   `VIGIE_MIGRATE_DATABASE_URL`.
//! - The **application role** (the user of `VIGIE_DATABASE_URL`) gets only what each
//!   migration declares for its tables (`GRANTS` in each file of `migrations/`, listed
//!   by [`crate::migrate::Migration::grants`]): reading and writing ordinary tables, and on
//!   the audit trail only reading and appending — no UPDATE, DELETE or TRUNCATE on
//!   `audit_entry` and `audit_checkpoint`, so a compromised application cannot rewrite or
//!   empty the trail, nor disable its triggers (only an owner can).
//!
//! [`Store::grant_application_role`] applies every declaration, idempotently: for each
//! table `REVOKE ALL` then `GRANT` exactly its class, in one transaction, and the same for
//! the sequences of its identity columns. SQLite has no roles: nothing here applies to it.
//! A test checks that every table the migrations create has a declaration.

use sea_orm::ConnectionTrait;

use crate::db::{DbUrl, Store};
use crate::sql::{all, get, one};
use crate::{Result, StoreError, vals};

pub use crate::migrate::Privileges;

/// The migrator's own table: the application reads the schema version, never writes it.
pub const MIGRATOR_GRANTS: &[(&str, Privileges)] = &[("schema_migrations", Privileges::ReadOnly)];

/// Every declared table and its class: the migrator's table, then each migration's.
pub fn declared() -> Vec<(&'static str, Privileges)> {
    let mut v = MIGRATOR_GRANTS.to_vec();
    for m in crate::migrate::migrations() {
        v.extend_from_slice(m.grants);
    }
    v
}

/// What [`Store::grant_application_role`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub role: String,
    pub tables: usize,
    pub sequences: usize,
}

/// The application role's dangerous rights, as `vigie check` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivilegeReport {
    /// The role connected (`current_user`).
    pub role: String,
    /// French lines, one per problem; empty when the role has only what it needs.
    pub warnings: Vec<String>,
}

/// The PostgreSQL role a URL connects as (`None` on SQLite).
pub fn role_of(url: &DbUrl) -> Option<String> {
    url.postgres_role()
}

/// Whether two PostgreSQL URLs name the same server and database (a database left out
/// of a URL is the user's name, as for `psql`).
pub fn same_database(a: &DbUrl, b: &DbUrl) -> bool {
    a.same_postgres_database(b)
}

pub use crate::error::is_permission_denied;

/// An identifier quoted for PostgreSQL.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl Store {
    /// Grants the application's role `role` exactly what [`declared`] says, and nothing
    /// more, on every table (and the sequences of those it inserts into), in one
    /// transaction; idempotent. Run by the owner of the tables (or a superuser), after the
    /// migrations. PostgreSQL only.
    pub async fn grant_application_role(&self, role: &str) -> Result<Granted> {
        if !crate::backend::has_roles(self.backend()) {
            return Err(StoreError::Config(
                "SQLite n'a pas de rôles : aucun droit à accorder".into(),
            ));
        }
        let grants = declared();
        let txn = self.write().await?;
        if one(
            &txn,
            "SELECT 1 AS x FROM pg_roles WHERE rolname = $1",
            vals![role],
        )
        .await?
        .is_none()
        {
            return Err(StoreError::Config(format!(
                "le rôle de l'application « {role} » (VIGIE_DATABASE_URL) n'existe pas sur le serveur PostgreSQL : créez-le (createuser {role})"
            )));
        }
        // A GRANT by a role that owns nothing only warns: refuse plainly instead.
        let tables: Vec<&str> = grants.iter().map(|(t, _)| *t).collect();
        let foreign = all(
            &txn,
            "SELECT c.relname::text AS t, pg_get_userbyid(c.relowner)::text AS owner
             FROM unnest(string_to_array($1, ',')) AS d(name) JOIN pg_class c ON c.oid = to_regclass(d.name)
             WHERE c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
               AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
             ORDER BY c.relname LIMIT 1",
            vals![tables.join(",")],
        )
        .await?;
        if let Some(r) = foreign.first() {
            let (t, owner): (String, String) = (get(r, "t")?, get(r, "owner")?);
            return Err(StoreError::Config(format!(
                "le rôle qui migre n'est pas propriétaire des tables (la table {t} appartient à « {owner} ») : lancez « vigie migrate » avec le rôle propriétaire (VIGIE_MIGRATE_DATABASE_URL), ou transférez la base à ce rôle (en superutilisateur : REASSIGN OWNED BY {owner} TO <propriétaire>), voir le README, « PostgreSQL en production »"
            )));
        }
        let role_id = ident(role);
        let mut sequences = 0;
        for (table, p) in &grants {
            let t = ident(table);
            txn.execute_unprepared(&format!("REVOKE ALL ON TABLE {t} FROM {role_id}"))
                .await?;
            txn.execute_unprepared(&format!("GRANT {} ON TABLE {t} TO {role_id}", p.sql()))
                .await?;
            let seqs = all(
                &txn,
                "SELECT format('%I.%I', n.nspname, s.relname) AS seq
                 FROM pg_depend d
                 JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                 JOIN pg_namespace n ON n.oid = s.relnamespace
                 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                   AND d.refobjid = to_regclass($1)",
                vals![*table],
            )
            .await?;
            for r in &seqs {
                let seq: String = get(r, "seq")?;
                txn.execute_unprepared(&format!("REVOKE ALL ON SEQUENCE {seq} FROM {role_id}"))
                    .await?;
                if p.inserts() {
                    txn.execute_unprepared(&format!("GRANT USAGE ON SEQUENCE {seq} TO {role_id}"))
                        .await?;
                    sequences += 1;
                }
            }
        }
        txn.commit().await?;
        Ok(Granted {
            role: role.to_owned(),
            tables: grants.len(),
            sequences,
        })
    }

    /// What the connected role can do that the application must not: own the tables, be
    /// a superuser, UPDATE, DELETE or TRUNCATE the audit trail, create tables. `None` on
    /// SQLite.
    pub async fn privilege_report(&self) -> Result<Option<PrivilegeReport>> {
        if !crate::backend::has_roles(self.backend()) {
            return Ok(None);
        }
        let row = one(
            &self.db,
            "SELECT current_user::text AS me, r.rolsuper AS superuser,
                    COALESCE((SELECT pg_get_userbyid(c.relowner) = current_user FROM pg_class c
                              WHERE c.oid = to_regclass('audit_entry')), FALSE) AS owner,
                    has_schema_privilege(current_schema(), 'CREATE') AS can_create,
                    current_schema()::text AS schema
             FROM pg_roles r WHERE r.rolname = current_user",
            vec![],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let me: String = get(&row, "me")?;
        let mut warnings = Vec::new();
        let see = "voir le README, « PostgreSQL en production »";
        if get::<bool>(&row, "superuser")? {
            warnings.push(format!(
                "le rôle de l'application « {me} » est superutilisateur : il peut tout modifier, journal d'audit compris ; utilisez un rôle ordinaire ({see})"
            ));
        } else if get::<bool>(&row, "owner")? {
            warnings.push(format!(
                "le rôle de l'application « {me} » est propriétaire des tables : il peut vider le journal d'audit ou en désactiver les déclencheurs ; confiez les tables à un rôle propriétaire distinct, qui lance « vigie migrate » (VIGIE_MIGRATE_DATABASE_URL) ({see})"
            ));
        } else {
            let rows = all(
                &self.db,
                "SELECT d.name AS t,
                        has_table_privilege(c.oid, 'UPDATE') AS u,
                        has_table_privilege(c.oid, 'DELETE') AS d,
                        has_table_privilege(c.oid, 'TRUNCATE') AS tr
                 FROM unnest(ARRAY['audit_entry', 'audit_checkpoint']) AS d(name)
                 JOIN pg_class c ON c.oid = to_regclass(d.name) ORDER BY d.name",
                vec![],
            )
            .await?;
            for r in &rows {
                let t: String = get(r, "t")?;
                let can: Vec<&str> = [("u", "UPDATE"), ("d", "DELETE"), ("tr", "TRUNCATE")]
                    .into_iter()
                    .filter(|(c, _)| get::<bool>(r, c).unwrap_or(false))
                    .map(|(_, p)| p)
                    .collect();
                if !can.is_empty() {
                    warnings.push(format!(
                        "le rôle de l'application « {me} » peut {} sur {t} : relancez « vigie migrate » avec le rôle propriétaire (VIGIE_MIGRATE_DATABASE_URL), qui lui retire ces droits",
                        can.join(", ")
                    ));
                }
            }
            if get::<bool>(&row, "can_create")? {
                let schema: String = get(&row, "schema")?;
                warnings.push(format!(
                    "le rôle de l'application « {me} » peut créer des tables dans le schéma {schema} : en superutilisateur, REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC ({see})"
                ));
            }
        }
        Ok(Some(PrivilegeReport { role: me, warnings }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_databases_of_urls() {
        let u = |s: &str| s.parse::<DbUrl>().unwrap();
        assert_eq!(
            role_of(&u("postgres://vigie:x@db/vigie")).as_deref(),
            Some("vigie")
        );
        assert_eq!(role_of(&u("sqlite://data/vigie.db")), None);
        assert!(same_database(
            &u("postgres://vigie:x@db/vigie?sslmode=verify-full"),
            &u("postgres://proprietaire:y@db:5432/vigie")
        ));
        assert!(!same_database(
            &u("postgres://vigie@db/vigie"),
            &u("postgres://proprietaire@db/autre")
        ));
        assert!(!same_database(
            &u("postgres://vigie@db/vigie"),
            &u("postgres://proprietaire@db2/vigie")
        ));
        assert!(!same_database(&u("sqlite://a.db"), &u("sqlite://a.db")));
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn every_declared_table_once_and_the_audit_trail_append_only() {
        let d = declared();
        let mut names: Vec<_> = d.iter().map(|(t, _)| *t).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "a table declared twice");
        let class = |t: &str| d.iter().find(|(x, _)| *x == t).map(|(_, p)| *p);
        assert_eq!(class("audit_entry"), Some(Privileges::AppendOnly));
        assert_eq!(class("audit_checkpoint"), Some(Privileges::AppendOnly));
        assert_eq!(class("audit_head"), Some(Privileges::Head));
        for (_, p) in &d {
            if *p != Privileges::ReadWrite {
                assert!(!p.sql().contains("DELETE"));
            }
        }
    }
}
