//! The five roles and their permission matrix, as data.

use serde::{Deserialize, Serialize};

/// What a user may do. Routes and store functions ask for one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// Read dossiers (within the scope).
    DossierRead,
    /// Create and edit dossiers (within the scope).
    DossierWrite,
    /// Fill in the assignments (traitement de l'information) within the scope.
    AssignmentWrite,
    /// See a confidential or anonymous source's identity.
    SourceIdentityRead,
    /// The dashboards and cross-tabs of one's scope (aggregates; small counts hidden
    /// without [`Permission::StatsDetail`]).
    StatsRead,
    /// Small counts shown and figures linked to the dossier lists: for roles that read the
    /// dossiers behind them anyway.
    StatsDetail,
    /// Save cross-tabs under a name, shared with the dashboards' readers.
    StatsShare,
    /// Consult the audit trail.
    AuditRead,
    /// Administer the parameter tables.
    ParamsAdmin,
    /// Administer the users.
    UsersAdmin,
    /// Confirm an account that reads dossiers, created or widened by an administrator
    /// (the two-person rule: see [`crate::two_person`]).
    UsersConfirm,
    /// Remove a document from a dossier (with a reason; the history keeps that it existed).
    DocumentRemove,
    /// Administer the letter templates: new versions, tests on a fictional dossier,
    /// publication (no dossier is shown).
    TemplatesAdmin,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Self::DossierRead,
        Self::DossierWrite,
        Self::AssignmentWrite,
        Self::SourceIdentityRead,
        Self::StatsRead,
        Self::StatsDetail,
        Self::StatsShare,
        Self::AuditRead,
        Self::ParamsAdmin,
        Self::UsersAdmin,
        Self::UsersConfirm,
        Self::DocumentRemove,
        Self::TemplatesAdmin,
    ];

    pub const fn label(self) -> &'static str {
        match self {
            Self::DossierRead => "Consulter les dossiers",
            Self::DossierWrite => "Saisir et modifier les dossiers",
            Self::AssignmentWrite => "Renseigner les traitements de l'information",
            Self::SourceIdentityRead => "Voir l'identité d'un signalant confidentiel",
            Self::StatsRead => "Consulter les tableaux de bord",
            Self::StatsDetail => "Voir les petits effectifs et les dossiers derrière les chiffres",
            Self::StatsShare => "Enregistrer des tableaux croisés partagés",
            Self::AuditRead => "Consulter la traçabilité",
            Self::ParamsAdmin => "Administrer les tables de paramètres",
            Self::UsersAdmin => "Administrer les utilisateurs",
            Self::UsersConfirm => "Confirmer les comptes qui consultent les dossiers",
            Self::DocumentRemove => "Supprimer un document d'un dossier",
            Self::TemplatesAdmin => "Administrer les modèles de courrier",
        }
    }
}

/// How far a role reaches into dossiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DossierReach {
    /// Every dossier of the département.
    All,
    /// The dossiers of the user's territories and those assigned to the user's service.
    Territorial,
    /// No dossier content at all.
    None,
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Parameters and users; no dossier content.
    Administrateur,
    /// All dossiers, statistics, audit consultation.
    ResponsableCrip,
    /// All dossiers: entry and follow-up.
    AgentCrip,
    /// The dossiers of their territories and those assigned to their service: read, and their assignments.
    EvaluateurTerritorial,
    /// Aggregates only.
    LecteurStatistiques,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Self::Administrateur,
        Self::ResponsableCrip,
        Self::AgentCrip,
        Self::EvaluateurTerritorial,
        Self::LecteurStatistiques,
    ];

    /// Stable code, stored in the database and typed on the command line.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Administrateur => "administrateur",
            Self::ResponsableCrip => "responsable",
            Self::AgentCrip => "agent",
            Self::EvaluateurTerritorial => "evaluateur",
            Self::LecteurStatistiques => "statistiques",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Administrateur => "Administrateur fonctionnel",
            Self::ResponsableCrip => "Responsable CRIP",
            Self::AgentCrip => "Agent CRIP",
            Self::EvaluateurTerritorial => "Évaluateur territorial",
            Self::LecteurStatistiques => "Lecteur statistiques",
        }
    }

    /// The permission matrix.
    pub const fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Administrateur => &[ParamsAdmin, UsersAdmin, TemplatesAdmin],
            Self::ResponsableCrip => &[
                DossierRead,
                DossierWrite,
                AssignmentWrite,
                SourceIdentityRead,
                StatsRead,
                StatsDetail,
                StatsShare,
                AuditRead,
                UsersConfirm,
                DocumentRemove,
                TemplatesAdmin,
            ],
            Self::AgentCrip => &[
                DossierRead,
                DossierWrite,
                AssignmentWrite,
                SourceIdentityRead,
                StatsRead,
                StatsDetail,
            ],
            Self::EvaluateurTerritorial => &[DossierRead, AssignmentWrite, StatsRead, StatsDetail],
            Self::LecteurStatistiques => &[StatsRead],
        }
    }

    pub fn has(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }

    pub const fn reach(self) -> DossierReach {
        match self {
            Self::ResponsableCrip | Self::AgentCrip => DossierReach::All,
            Self::EvaluateurTerritorial => DossierReach::Territorial,
            Self::Administrateur | Self::LecteurStatistiques => DossierReach::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn administrator_sees_no_dossier_content() {
        let a = Role::Administrateur;
        assert!(!a.has(Permission::DossierRead));
        assert!(!a.has(Permission::SourceIdentityRead));
        assert_eq!(a.reach(), DossierReach::None);
        assert!(a.has(Permission::ParamsAdmin) && a.has(Permission::UsersAdmin));
    }

    #[test]
    fn matrix_is_least_privilege() {
        // Who may do what, the whole matrix at once: a change here must be deliberate.
        let expected: [(Role, &[Permission]); 5] = [
            (
                Role::Administrateur,
                &[
                    Permission::ParamsAdmin,
                    Permission::UsersAdmin,
                    Permission::TemplatesAdmin,
                ],
            ),
            (
                Role::ResponsableCrip,
                &[
                    Permission::DossierRead,
                    Permission::DossierWrite,
                    Permission::AssignmentWrite,
                    Permission::SourceIdentityRead,
                    Permission::StatsRead,
                    Permission::StatsDetail,
                    Permission::StatsShare,
                    Permission::AuditRead,
                    Permission::UsersConfirm,
                    Permission::DocumentRemove,
                    Permission::TemplatesAdmin,
                ],
            ),
            (
                Role::AgentCrip,
                &[
                    Permission::DossierRead,
                    Permission::DossierWrite,
                    Permission::AssignmentWrite,
                    Permission::SourceIdentityRead,
                    Permission::StatsRead,
                    Permission::StatsDetail,
                ],
            ),
            (
                Role::EvaluateurTerritorial,
                &[
                    Permission::DossierRead,
                    Permission::AssignmentWrite,
                    Permission::StatsRead,
                    Permission::StatsDetail,
                ],
            ),
            (Role::LecteurStatistiques, &[Permission::StatsRead]),
        ];
        for (role, perms) in expected {
            for p in Permission::ALL {
                assert_eq!(role.has(p), perms.contains(&p), "{role:?} / {p:?}");
            }
        }
    }

    #[test]
    fn small_counts_only_for_those_who_read_the_dossiers() {
        // Seeing a count of 1 to 4 is seeing a dossier: the permission follows the reach.
        for r in Role::ALL {
            assert_eq!(
                r.has(Permission::StatsDetail),
                r.has(Permission::StatsRead) && r.has(Permission::DossierRead),
                "{r:?}"
            );
        }
    }

    #[test]
    fn only_dossier_roles_reach_dossiers() {
        for r in Role::ALL {
            assert_eq!(
                r.has(Permission::DossierRead),
                r.reach() != DossierReach::None,
                "{r:?}"
            );
        }
    }
}
