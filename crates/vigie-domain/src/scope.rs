//! The access scope: which dossiers a user may see. Every store query that
//! returns dossiers takes one and filters in SQL.

use crate::role::{DossierReach, Role};

/// The dossiers a caller may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every dossier.
    All,
    /// Dossiers of these territories, and dossiers with an assignment to one of these services.
    Restricted {
        territories: Vec<i64>,
        services: Vec<i64>,
    },
    /// No dossier (administrators, statistics readers, disabled users).
    Nothing,
}

impl Scope {
    /// The scope of a user from their role, territories and service.
    pub fn for_user(role: Role, territories: &[i64], service: Option<i64>) -> Self {
        match role.reach() {
            DossierReach::All => Self::All,
            DossierReach::None => Self::Nothing,
            DossierReach::Territorial => {
                let mut territories = territories.to_vec();
                territories.sort_unstable();
                territories.dedup();
                let services: Vec<i64> = service.into_iter().collect();
                if territories.is_empty() && services.is_empty() {
                    Self::Nothing
                } else {
                    Self::Restricted {
                        territories,
                        services,
                    }
                }
            }
        }
    }

    /// Whether a dossier of `territory`, assigned to `assigned_services`, is within the scope.
    /// The store filters in SQL; this is the same rule for the domain's own checks and tests.
    pub fn covers(&self, territory: i64, assigned_services: &[i64]) -> bool {
        match self {
            Self::All => true,
            Self::Nothing => false,
            Self::Restricted {
                territories,
                services,
            } => {
                territories.contains(&territory)
                    || assigned_services.iter().any(|s| services.contains(s))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crip_roles_see_everything() {
        assert_eq!(Scope::for_user(Role::AgentCrip, &[], None), Scope::All);
        assert_eq!(
            Scope::for_user(Role::ResponsableCrip, &[3], None),
            Scope::All
        );
    }

    #[test]
    fn non_dossier_roles_see_nothing() {
        assert_eq!(
            Scope::for_user(Role::Administrateur, &[1], Some(2)),
            Scope::Nothing
        );
        assert_eq!(
            Scope::for_user(Role::LecteurStatistiques, &[1], None),
            Scope::Nothing
        );
        assert!(!Scope::Nothing.covers(1, &[1]));
    }

    #[test]
    fn evaluator_sees_territory_and_assigned_service() {
        let s = Scope::for_user(Role::EvaluateurTerritorial, &[2, 1, 2], Some(7));
        assert_eq!(
            s,
            Scope::Restricted {
                territories: vec![1, 2],
                services: vec![7]
            }
        );
        assert!(s.covers(1, &[]));
        assert!(!s.covers(3, &[]));
        assert!(s.covers(3, &[5, 7]));
        assert!(!s.covers(3, &[5]));
    }

    #[test]
    fn evaluator_without_territory_nor_service_sees_nothing() {
        assert_eq!(
            Scope::for_user(Role::EvaluateurTerritorial, &[], None),
            Scope::Nothing
        );
    }
}
