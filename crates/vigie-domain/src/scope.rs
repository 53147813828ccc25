//! The access scope: which dossiers a user may see. Every store query that
//! returns dossiers takes one and filters in SQL.

use crate::role::{DossierReach, Role};

/// The dossiers a caller may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every dossier.
    All,
    /// Dossiers of these territories, dossiers with an assignment to one of these services,
    /// and the dossiers of an active accès exceptionnel (break-glass grant).
    Restricted {
        territories: Vec<i64>,
        services: Vec<i64>,
        /// Dossiers opened by an active accès exceptionnel (see [`Scope::with_grants`]).
        dossiers: Vec<i64>,
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
                        dossiers: vec![],
                    }
                }
            }
        }
    }

    /// The scope widened by the user's active accès exceptionnels (break-glass grants).
    /// Only a territorial role gains anything: a role that reaches every dossier needs no
    /// grant, and a role without dossier access (administrator, statistics reader) can
    /// never get one, whatever `dossiers` holds.
    pub fn with_grants(self, role: Role, dossiers: &[i64]) -> Self {
        if role.reach() != DossierReach::Territorial || dossiers.is_empty() {
            return self;
        }
        let add = |mut v: Vec<i64>| {
            v.extend_from_slice(dossiers);
            v.sort_unstable();
            v.dedup();
            v
        };
        match self {
            Self::All => Self::All,
            Self::Nothing => Self::Restricted {
                territories: vec![],
                services: vec![],
                dossiers: add(vec![]),
            },
            Self::Restricted {
                territories,
                services,
                dossiers: d,
            } => Self::Restricted {
                territories,
                services,
                dossiers: add(d),
            },
        }
    }

    /// Whether a dossier of `territory`, assigned to `assigned_services`, is within the scope
    /// by territory or service (an accès exceptionnel opens one dossier, not a territory:
    /// see [`Scope::covers_dossier`]). The store filters in SQL; this is the same rule for
    /// the domain's own checks and tests.
    pub fn covers(&self, territory: i64, assigned_services: &[i64]) -> bool {
        match self {
            Self::All => true,
            Self::Nothing => false,
            Self::Restricted {
                territories,
                services,
                ..
            } => {
                territories.contains(&territory)
                    || assigned_services.iter().any(|s| services.contains(s))
            }
        }
    }

    /// Whether dossier `id`, of `territory`, assigned to `assigned_services`, is within the
    /// scope, accès exceptionnels included.
    pub fn covers_dossier(&self, id: i64, territory: i64, assigned_services: &[i64]) -> bool {
        match self {
            Self::Restricted { dossiers, .. } if dossiers.contains(&id) => true,
            _ => self.covers(territory, assigned_services),
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
                services: vec![7],
                dossiers: vec![]
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

    #[test]
    fn grants_open_single_dossiers_for_territorial_roles_only() {
        let base = Scope::for_user(Role::EvaluateurTerritorial, &[1], None);
        let s = base
            .clone()
            .with_grants(Role::EvaluateurTerritorial, &[42, 42]);
        assert!(s.covers_dossier(42, 3, &[]));
        assert!(
            !s.covers_dossier(43, 3, &[]),
            "one dossier, not its territory"
        );
        assert!(!s.covers(3, &[]));
        assert!(s.covers_dossier(43, 1, &[]));
        assert_eq!(
            base.clone().with_grants(Role::EvaluateurTerritorial, &[]),
            base
        );
        // An evaluator without territory nor service reaches only the granted dossier.
        let none = Scope::for_user(Role::EvaluateurTerritorial, &[], None)
            .with_grants(Role::EvaluateurTerritorial, &[5]);
        assert!(none.covers_dossier(5, 1, &[]) && !none.covers_dossier(6, 1, &[]));
        // Roles without dossier access never gain any; roles reaching all need none.
        for r in [Role::Administrateur, Role::LecteurStatistiques] {
            assert_eq!(
                Scope::for_user(r, &[1], None).with_grants(r, &[5]),
                Scope::Nothing
            );
        }
        assert_eq!(
            Scope::for_user(Role::AgentCrip, &[], None).with_grants(Role::AgentCrip, &[5]),
            Scope::All
        );
    }
}
