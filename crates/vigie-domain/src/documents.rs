//! Documents uploaded to a dossier (« pièces jointes »): who may upload which, what is
//! confidential by default, and the checks of what the agent types (title, category, the
//! reason of a removal). The file itself is checked by `vigie-files` (its type read from the
//! content); storing it is `vigie-store`'s.

use crate::catalog::Catalog;
use crate::error::Errors;
use crate::param::{Meaning, ParamKind};
use crate::text::{self, TextKind};
use crate::{DomainError, Permission, Role};

/// Fewest characters of a removal's reason: a word, not a keystroke.
pub const REASON_MIN: usize = 5;

/// Whether `role` may upload a document of a category with this meaning to a dossier in its
/// scope: whoever edits dossiers, any document; an évaluateur, the evaluation report, and only
/// to a dossier assigned to their service (`assigned_to_own_service`).
pub fn may_upload(role: Role, category: Option<Meaning>, assigned_to_own_service: bool) -> bool {
    role.has(Permission::DossierWrite)
        || (role.has(Permission::AssignmentWrite)
            && category == Some(Meaning::RapportEvaluation)
            && assigned_to_own_service)
}

/// Whether some document may be uploaded by `role` (shows the upload form).
pub fn may_upload_any(role: Role) -> bool {
    role.has(Permission::DossierWrite) || role.has(Permission::AssignmentWrite)
}

/// The confidentiality an agent chooses at upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Confidentiality {
    /// As the category says: a received IP names its source, so it is confidential.
    #[default]
    ByCategory,
    Yes,
    No,
}

impl Confidentiality {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "" | "categorie" => Some(Self::ByCategory),
            "oui" => Some(Self::Yes),
            "non" => Some(Self::No),
            _ => None,
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Self::ByCategory => "categorie",
            Self::Yes => "oui",
            Self::No => "non",
        }
    }

    /// Whether the document is confidential (hidden from roles that may not see a
    /// confidential source's identity).
    pub fn resolve(self, category: Option<Meaning>) -> bool {
        match self {
            Self::ByCategory => category == Some(Meaning::IpRecue),
            Self::Yes => true,
            Self::No => false,
        }
    }
}

/// What an agent typed to upload documents, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub title: Option<String>,
    pub category_id: i64,
    pub category: Option<Meaning>,
    pub confidential: bool,
}

/// Checks the upload form: the title (optional, one line), the category (an active value of
/// the documents' categories), the confidentiality. Every error at once, in French.
pub fn check_upload(
    cat: &Catalog,
    title: &str,
    category: &str,
    confidentiality: &str,
) -> Result<Upload, DomainError> {
    let mut errors = Errors::default();
    let title = text::clean(title);
    text::check(
        &mut errors,
        "titre",
        "Titre",
        TextKind::Short,
        title.as_deref(),
    );
    let value = category
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| cat.param(id))
        .filter(|p| p.kind == ParamKind::DocumentCategory && p.active);
    if value.is_none() {
        errors.push(
            "categorie",
            "Catégorie",
            "choisissez une catégorie dans la liste.",
        );
    }
    let choice = Confidentiality::parse(confidentiality.trim());
    if choice.is_none() {
        errors.push(
            "confidentiel",
            "Confidentialité",
            "choisissez « selon la catégorie », « oui » ou « non ».",
        );
    }
    errors.into_result()?;
    let (Some(value), Some(choice)) = (value, choice) else {
        return Err(DomainError::Rule("saisie invalide".into()));
    };
    Ok(Upload {
        title,
        category_id: value.id,
        category: value.meaning,
        confidential: choice.resolve(value.meaning),
    })
}

/// A stored document's title: the one typed, else the file's name without its extension;
/// with several files and one title typed, each keeps its file name after the title.
pub fn title_of(typed: Option<&str>, file_name: &str, several: bool) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(s, _)| s)
        .trim();
    let stem = if stem.is_empty() { file_name } else { stem };
    match typed {
        Some(t) if several => format!("{t} ({stem})"),
        Some(t) => t.to_owned(),
        None => stem.to_owned(),
    }
}

/// Checks the reason a responsable gives to remove a document.
pub fn check_reason(reason: &str) -> Result<String, DomainError> {
    let r = text::clean(reason).unwrap_or_default();
    if r.chars().count() < REASON_MIN {
        return Err(DomainError::field(
            "motif",
            "Motif de la suppression",
            format!(
                "obligatoire : {REASON_MIN} caractères au moins (il reste dans l'historique du dossier)."
            ),
        ));
    }
    text::validate("motif", "Motif de la suppression", TextKind::Comment, &r)?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_upload_what() {
        let report = Some(Meaning::RapportEvaluation);
        for role in [Role::AgentCrip, Role::ResponsableCrip] {
            assert!(may_upload(role, None, false));
            assert!(may_upload(role, Some(Meaning::IpRecue), false));
        }
        let e = Role::EvaluateurTerritorial;
        assert!(may_upload(e, report, true));
        assert!(
            !may_upload(e, report, false),
            "not assigned to their service"
        );
        assert!(!may_upload(e, Some(Meaning::IpRecue), true));
        assert!(!may_upload(e, None, true));
        for role in [Role::Administrateur, Role::LecteurStatistiques] {
            assert!(!may_upload(role, report, true));
            assert!(!may_upload_any(role));
        }
    }

    #[test]
    fn a_received_ip_is_confidential_unless_said_otherwise() {
        let ip = Some(Meaning::IpRecue);
        assert!(Confidentiality::ByCategory.resolve(ip));
        assert!(!Confidentiality::ByCategory.resolve(None));
        assert!(!Confidentiality::No.resolve(ip));
        assert!(Confidentiality::Yes.resolve(None));
        assert_eq!(
            Confidentiality::parse(""),
            Some(Confidentiality::ByCategory)
        );
        assert_eq!(Confidentiality::parse("peut-être"), None);
    }

    #[test]
    fn titles_and_reasons() {
        assert_eq!(title_of(None, "Rapport école.pdf", false), "Rapport école");
        assert_eq!(
            title_of(Some("IP du collège"), "scan.pdf", false),
            "IP du collège"
        );
        assert_eq!(title_of(Some("IP"), "p1.jpg", true), "IP (p1)");
        assert_eq!(title_of(None, ".pdf", false), ".pdf");
        assert!(check_reason("  ab ").is_err());
        assert_eq!(
            check_reason(" Erreur de dossier ").ok().as_deref(),
            Some("Erreur de dossier")
        );
        let e = check_reason("a\u{0}bcdef").unwrap_err();
        assert_eq!(e.fields()[0].field, "motif");
    }
}
