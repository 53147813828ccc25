//! The CRIP's letter templates and their versions (migration 16): listed with the version in
//! service, a new version stored as a draft (the caller has checked its tags against the data
//! dictionary), published, a template added or deactivated — each change audited, a template's
//! row versioned against two administrators overwriting each other. The shipped templates are
//! seeded from the domain's list; without a published version they use the one built into
//! Vigie.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
use vigie_domain::letters::{LetterKind, RecipientKind};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

/// Largest template accepted (a template with a logo is a few hundred kB).
pub const MAX_TEMPLATE_SIZE: usize = 10 * 1024 * 1024;

/// A template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterTemplate {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub recipient: RecipientKind,
    pub legal_basis: String,
    /// Shipped with Vigie: a built-in version serves until one is published.
    pub builtin: bool,
    pub active: bool,
    /// Row version (optimistic lock).
    pub version: i64,
    /// The version in service (the last published), if any.
    pub in_service: Option<TemplateVersion>,
}

/// A version of a template (without its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVersion {
    pub id: i64,
    pub template_id: i64,
    pub number: i64,
    /// `odt` or `docx`.
    pub format: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub comment: Option<String>,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    pub published_by_name: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A version to store (its tags already checked by the caller).
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    pub template_id: i64,
    /// `odt` or `docx`.
    pub format: &'a str,
    pub file_name: &'a str,
    pub content: &'a [u8],
    pub comment: Option<&'a str>,
}

/// A template to add.
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub title: String,
    pub recipient: RecipientKind,
    pub legal_basis: String,
}

const VERSION_COLUMNS: &str = "v.id, v.template_id, v.number, v.format, v.file_name, v.size, \
    v.sha256, v.comment, v.uploaded_at, p.published_at, up.display_name AS uploaded_by_name, \
    pub.display_name AS published_by_name";

/// A version with its last publication, if any.
const VERSION_FROM: &str = "FROM letter_template_version v \
    LEFT JOIN app_user up ON up.id = v.uploaded_by \
    LEFT JOIN letter_template_publication p ON p.id = \
        (SELECT MAX(p2.id) FROM letter_template_publication p2 WHERE p2.version_id = v.id) \
    LEFT JOIN app_user pub ON pub.id = p.published_by";

fn version_from(r: &sea_orm::QueryResult) -> Result<TemplateVersion> {
    Ok(TemplateVersion {
        id: get(r, "id")?,
        template_id: get(r, "template_id")?,
        number: get(r, "number")?,
        format: get(r, "format")?,
        file_name: get(r, "file_name")?,
        size: get(r, "size")?,
        sha256: get(r, "sha256")?,
        comment: get(r, "comment")?,
        uploaded_by_name: get(r, "uploaded_by_name")?,
        uploaded_at: get(r, "uploaded_at")?,
        published_by_name: get(r, "published_by_name")?,
        published_at: get(r, "published_at")?,
    })
}

fn template_from(r: &sea_orm::QueryResult) -> Result<LetterTemplate> {
    let kind: String = get(r, "recipient_kind")?;
    Ok(LetterTemplate {
        id: get(r, "id")?,
        code: get(r, "code")?,
        title: get(r, "title")?,
        recipient: RecipientKind::parse(&kind)
            .ok_or_else(|| StoreError::Config(format!("type de destinataire inconnu : {kind}")))?,
        legal_basis: get(r, "legal_basis")?,
        builtin: get(r, "builtin")?,
        active: get(r, "active")?,
        version: get(r, "version")?,
        in_service: None,
    })
}

/// Seeds the shipped templates that are missing (migration step; idempotent).
pub(crate) async fn seed(c: &impl ConnectionTrait) -> Result<()> {
    for (n, k) in LetterKind::ALL.into_iter().enumerate() {
        exec(
            c,
            "INSERT INTO letter_template (code, title, recipient_kind, legal_basis, builtin, \
             active, sort_order) SELECT $1, $2, $3, $4, TRUE, TRUE, $5 \
             WHERE NOT EXISTS (SELECT 1 FROM letter_template WHERE code = $1)",
            vals![
                k.code(),
                k.title(),
                k.recipient().code(),
                k.legal_basis(),
                i64::try_from(n + 1).unwrap_or(0) * 10
            ],
        )
        .await?;
    }
    Ok(())
}

/// The code of a new template: its number in the list and its title in lower case ASCII
/// (« 11-convocation-audition »).
pub fn code_for(number: i64, title: &str) -> String {
    let slug: String = vigie_domain::names::normalize(title)
        .split(' ')
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(40).collect();
    format!("{number:02}-{}", slug.trim_end_matches('-'))
}

fn stale() -> StoreError {
    StoreError::Stale(
        "modèle modifié entre-temps par quelqu'un d'autre : rechargez la page.".into(),
    )
}

impl Store {
    /// Every template, in list order, each with its version in service.
    pub async fn letter_templates(&self) -> Result<Vec<LetterTemplate>> {
        let rows = all(
            &self.db,
            "SELECT * FROM letter_template ORDER BY sort_order, id",
            vec![],
        )
        .await?;
        // Every template's version in service in one query (this list is read by each
        // « Courriers » page, preview and generation).
        let sql = format!(
            "SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.id IN \
             (SELECT (SELECT p3.version_id FROM letter_template_publication p3 \
               JOIN letter_template_version v3 ON v3.id = p3.version_id \
               WHERE v3.template_id = t.id ORDER BY p3.id DESC LIMIT 1) \
              FROM letter_template t)"
        );
        let mut in_service: std::collections::HashMap<i64, TemplateVersion> =
            std::collections::HashMap::new();
        for r in all(&self.db, &sql, vec![]).await? {
            let v = version_from(&r)?;
            in_service.insert(v.template_id, v);
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut t = template_from(r)?;
            t.in_service = in_service.remove(&t.id);
            out.push(t);
        }
        Ok(out)
    }

    /// One template by code, with its version in service.
    pub async fn letter_template(&self, code: &str) -> Result<LetterTemplate> {
        let r = one(
            &self.db,
            "SELECT * FROM letter_template WHERE code = $1",
            vals![code],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut t = template_from(&r)?;
        t.in_service = self.in_service_version(t.id).await?;
        Ok(t)
    }

    async fn in_service_version(&self, template_id: i64) -> Result<Option<TemplateVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.id = \
             (SELECT p3.version_id FROM letter_template_publication p3 \
              JOIN letter_template_version v3 ON v3.id = p3.version_id \
              WHERE v3.template_id = $1 ORDER BY p3.id DESC LIMIT 1)"
        );
        one(&self.db, &sql, vals![template_id])
            .await?
            .map(|r| version_from(&r))
            .transpose()
    }

    /// Every version of a template, newest first.
    pub async fn template_versions(&self, template_id: i64) -> Result<Vec<TemplateVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.template_id = $1 ORDER BY v.number DESC"
        );
        all(&self.db, &sql, vals![template_id])
            .await?
            .iter()
            .map(version_from)
            .collect()
    }

    /// A version and its content.
    pub async fn template_version(&self, id: i64) -> Result<(TemplateVersion, Vec<u8>)> {
        let sql = format!("SELECT {VERSION_COLUMNS}, v.content {VERSION_FROM} WHERE v.id = $1");
        let r = one(&self.db, &sql, vals![id])
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((version_from(&r)?, get(&r, "content")?))
    }

    /// Adds a template and, when given, its first version (a draft), in one transaction: it
    /// is offered once a version is published; its code follows the list's numbering.
    /// Audited (`modele.creation`, `modele.version`).
    pub async fn add_letter_template(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        t: &NewTemplate,
        first: Option<&NewVersion<'_>>,
    ) -> Result<LetterTemplate> {
        let txn = self.write().await?;
        let count: i64 = get(
            &one(&txn, "SELECT COUNT(*) AS n FROM letter_template", vec![])
                .await?
                .ok_or(StoreError::NotFound)?,
            "n",
        )?;
        let code = code_for(count + 1, &t.title);
        if one(
            &txn,
            "SELECT id FROM letter_template WHERE code = $1",
            vals![code.clone()],
        )
        .await?
        .is_some()
        {
            return Err(StoreError::Duplicate(
                "titre",
                "un modèle porte déjà ce titre : choisissez-en un autre.".into(),
            ));
        }
        let r = one(
            &txn,
            "INSERT INTO letter_template (code, title, recipient_kind, legal_basis, builtin, \
             active, sort_order) VALUES ($1, $2, $3, $4, FALSE, TRUE, $5) RETURNING id",
            vals![
                code.clone(),
                t.title.clone(),
                t.recipient.code(),
                t.legal_basis.clone(),
                (count + 1) * 10
            ],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let id: i64 = get(&r, "id")?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("modele.creation")
                .on("letter_template", id)
                .detail(code.clone()),
        )
        .await?;
        if let Some(v) = first {
            self.insert_version(
                &txn,
                now,
                actor,
                &NewVersion {
                    template_id: id,
                    ..*v
                },
            )
            .await?;
        }
        txn.commit().await?;
        self.letter_template(&code).await
    }

    /// Stores a new version of a template, as a draft (not in service until published).
    /// Audited (`modele.version`, its number and SHA-256).
    pub async fn add_template_version(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        v: &NewVersion<'_>,
    ) -> Result<TemplateVersion> {
        let txn = self.write().await?;
        let id = self.insert_version(&txn, now, actor, v).await?;
        txn.commit().await?;
        Ok(self.template_version(id).await?.0)
    }

    /// Inserts a version in the caller's transaction: numbered after the template's last,
    /// the template's row moved first (on PostgreSQL its lock orders two uploads at once).
    async fn insert_version(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        v: &NewVersion<'_>,
    ) -> Result<i64> {
        let NewVersion {
            template_id,
            format,
            file_name,
            content,
            comment,
        } = *v;
        if content.len() > MAX_TEMPLATE_SIZE {
            return Err(vigie_domain::DomainError::field(
                "modele",
                "Modèle",
                format!(
                    "trop volumineux : {} Mo au plus.",
                    MAX_TEMPLATE_SIZE / (1024 * 1024)
                ),
            )
            .into());
        }
        let moved = exec(
            txn,
            "UPDATE letter_template SET version = version + 1 WHERE id = $1",
            vals![template_id],
        )
        .await?;
        if moved == 0 {
            return Err(StoreError::NotFound);
        }
        let next: i64 = get(
            &one(
                txn,
                "SELECT COALESCE(MAX(number), 0) + 1 AS n FROM letter_template_version WHERE template_id = $1",
                vals![template_id],
            )
            .await?
            .ok_or(StoreError::NotFound)?,
            "n",
        )?;
        let sha = hex::encode(Sha256::digest(content));
        let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        let r = one(
            txn,
            "INSERT INTO letter_template_version (template_id, number, format, file_name, content, \
             size, sha256, comment, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            vals![
                template_id,
                next,
                format,
                file_name,
                content.to_vec(),
                size,
                sha.clone(),
                comment.map(str::to_owned),
                actor.user_id,
                now
            ],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let id: i64 = get(&r, "id")?;
        self.append(
            txn,
            now,
            actor,
            Event::new("modele.version")
                .on("letter_template_version", id)
                .detail(format!(
                    "modèle {template_id} ; version {next} ; sha256 {sha}"
                )),
        )
        .await?;
        Ok(id)
    }

    /// Puts a version in service (the letters generated from now on use it): a publication
    /// row, the template's row version checked and moved (two administrators never overwrite
    /// each other). Publishing an older version again brings it back. Audited
    /// (`modele.publication`).
    pub async fn publish_template_version(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        version_id: i64,
        expected_version: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let template_id: i64 = get(
            &one(
                &txn,
                "SELECT template_id FROM letter_template_version WHERE id = $1",
                vals![version_id],
            )
            .await?
            .ok_or(StoreError::NotFound)?,
            "template_id",
        )?;
        let moved = exec(
            &txn,
            "UPDATE letter_template SET version = version + 1 WHERE id = $1 AND version = $2",
            vals![template_id, expected_version],
        )
        .await?;
        if moved == 0 {
            return Err(stale());
        }
        exec(
            &txn,
            "INSERT INTO letter_template_publication (version_id, published_by, published_at) \
             VALUES ($1, $2, $3)",
            vals![version_id, actor.user_id, now],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("modele.publication").on("letter_template_version", version_id),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }

    /// Offers a template in the « Courriers » page, or no longer (its versions are kept).
    /// Audited (`modele.activation` / `modele.desactivation`).
    pub async fn set_template_active(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        template_id: i64,
        expected_version: i64,
        active: bool,
    ) -> Result<()> {
        let txn = self.write().await?;
        let done = exec(
            &txn,
            "UPDATE letter_template SET active = $1, version = version + 1 WHERE id = $2 AND version = $3",
            vals![active, template_id, expected_version],
        )
        .await?;
        if done == 0 {
            return Err(stale());
        }
        let action = if active {
            "modele.activation"
        } else {
            "modele.desactivation"
        };
        self.append(
            &txn,
            now,
            actor,
            Event::new(action).on("letter_template", template_id),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }
}

impl LetterTemplate {
    /// The template as generation sees it (a shipped one keeps its rules: follow-up, roles).
    pub fn def(&self) -> vigie_domain::letters::LetterDef {
        vigie_domain::letters::LetterDef {
            code: self.code.clone(),
            title: self.title.clone(),
            recipient: self.recipient,
            legal_basis: self.legal_basis.clone(),
            builtin: if self.builtin {
                LetterKind::parse(&self.code)
            } else {
                None
            },
        }
    }
}
