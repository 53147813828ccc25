//! The store's error type. Database errors are logged (without parameters) and
//! surfaced as a generic message: no SQL, no personal data reaches a page.

use vigie_domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing found, or outside the caller's scope (the two are not distinguished).
    #[error("introuvable")]
    NotFound,
    /// The input was refused by the domain or by a reference check.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// Parts of a dossier changed by someone else since the editor read them: nothing
    /// was written; each conflict says what the other agent changed.
    #[error("le dossier a été modifié entre-temps par un autre utilisateur")]
    Conflicts(Vec<vigie_domain::dossier::PartConflict>),
    /// A row (other than a dossier) changed since the caller read it (optimistic lock):
    /// nothing was written; the French message says what to do.
    #[error("{0}")]
    Stale(String),
    /// A value still used elsewhere cannot be deleted.
    #[error("cette valeur est utilisée : elle peut seulement être désactivée")]
    InUse,
    /// A value must be unique (field, French message).
    #[error("{1}")]
    Duplicate(&'static str, String),
    /// The database schema is newer than this program.
    #[error(
        "le schéma de la base (version {db}) est plus récent que ce programme (version {binary}) : mettez Vigie à jour"
    )]
    SchemaTooNew { db: i64, binary: i64 },
    /// Configuration or usage problem, in French.
    #[error("{0}")]
    Config(String),
    /// The database failed.
    #[error("erreur de base de données")]
    Db(#[source] sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(e: sea_orm::DbErr) -> Self {
        crate::health::note(&e);
        StoreError::Db(e)
    }
}

impl StoreError {
    /// Whether the database could not write (disk full, I/O error): nothing was saved.
    pub fn is_storage_failure(&self) -> bool {
        matches!(self, StoreError::Db(e) if crate::health::is_storage_failure(e))
    }

    /// Whether the underlying database error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(e) => matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ),
            _ => false,
        }
    }
}

/// Whether the database refused an operation for lack of privilege (SQLSTATE 42501).
pub fn is_permission_denied(e: &StoreError) -> bool {
    let StoreError::Db(e) = e else {
        return false;
    };
    let x = match e {
        sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(x))
        | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(x))
        | sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(x)) => x,
        _ => return false,
    };
    matches!(&**x, sqlx::Error::Database(d) if d.code().as_deref() == Some("42501"))
}
