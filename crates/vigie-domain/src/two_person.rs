//! The two-person rule for accounts that read dossiers.
//!
//! An administrator sees no dossier content, but creates the accounts and hands out their
//! temporary passwords. So that one administrator alone cannot open an account that reads
//! dossiers, an account created in the web administration with a role that reads dossiers,
//! or a change that grants such an account a role, a territory or a service, leaves the
//! account *pending*: it cannot log in until a responsable CRIP (a role with
//! [`Permission::UsersConfirm`]) other than the person who made the change confirms it.
//!
//! Whether a role reads dossiers is derived from its permissions
//! ([`Permission::DossierRead`]), never from a list of roles.

use crate::role::DossierReach;
use crate::{Permission, Role};

/// What an account reaches: its role, territories and service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach<'a> {
    pub role: Role,
    pub territories: &'a [i64],
    pub service_id: Option<i64>,
}

/// The field name of a creation, in [`to_confirm`]'s answer and the audit trail.
pub const CREATION: &str = "creation";

/// Whether a role reads dossiers.
pub fn reads_dossiers(role: Role) -> bool {
    role.has(Permission::DossierRead)
}

/// What must be confirmed by a second person when an account goes from `before` (`None`: a
/// creation) to `after`: the names of the fields that grant something (`creation`, `role`,
/// `territories`, `service`), or nothing. Nothing when the resulting role reads no dossier;
/// a role change grants something when the new role has a permission the old one had not;
/// a territory or a service grants something when it is new (removing one grants nothing)
/// and the account did not already reach every dossier.
pub fn to_confirm(before: Option<Reach<'_>>, after: Reach<'_>) -> Vec<&'static str> {
    if !reads_dossiers(after.role) {
        return Vec::new();
    }
    let Some(before) = before else {
        return vec![CREATION];
    };
    let mut fields = Vec::new();
    // What an account that reaches every dossier already had covers any territory.
    let covered = before.role.reach() == DossierReach::All;
    if after
        .role
        .permissions()
        .iter()
        .any(|p| !before.role.has(*p))
    {
        fields.push("role");
    }
    if !covered
        && after
            .territories
            .iter()
            .any(|t| !before.territories.contains(t))
    {
        fields.push("territories");
    }
    if !covered && after.service_id.is_some() && after.service_id != before.service_id {
        fields.push("service");
    }
    fields
}

/// An administrator who resets the password or the second factor of an account that reads
/// dossiers, or re-enables it, could log in with it: the account waits for a confirmation
/// too (these are the fields recorded).
pub const RESET_PASSWORD: &str = "mot_de_passe";
pub const RESET_SECOND_FACTOR: &str = "second_facteur";
pub const REACTIVATION: &str = "reactivation";

/// The French label of a field name of [`to_confirm`], for the pages.
pub fn field_label(field: &str) -> &'static str {
    match field {
        CREATION => "création du compte",
        "role" => "rôle",
        "territories" => "territoires",
        "service" => "service",
        RESET_PASSWORD => "mot de passe réinitialisé",
        RESET_SECOND_FACTOR => "second facteur réinitialisé",
        REACTIVATION => "compte réactivé",
        _ => "autre changement",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(role: Role, territories: &[i64], service_id: Option<i64>) -> Reach<'_> {
        Reach {
            role,
            territories,
            service_id,
        }
    }

    #[test]
    fn a_creation_is_confirmed_when_the_role_reads_dossiers() {
        for role in Role::ALL {
            let fields = to_confirm(None, r(role, &[], None));
            assert_eq!(
                fields.is_empty(),
                !role.has(Permission::DossierRead),
                "{role:?}"
            );
        }
        assert_eq!(
            to_confirm(None, r(Role::AgentCrip, &[], None)),
            vec![CREATION]
        );
    }

    #[test]
    fn a_change_is_confirmed_when_it_grants_something() {
        use Role::*;
        // Statistics to evaluator, administrator to agent: a role that reads dossiers.
        assert_eq!(
            to_confirm(
                Some(r(LecteurStatistiques, &[], None)),
                r(EvaluateurTerritorial, &[1], None)
            ),
            vec!["role", "territories"]
        );
        assert_eq!(
            to_confirm(Some(r(Administrateur, &[], None)), r(AgentCrip, &[], None)),
            vec!["role"]
        );
        // Agent to responsable: the audit trail and the confirmation of accounts.
        assert_eq!(
            to_confirm(Some(r(AgentCrip, &[], None)), r(ResponsableCrip, &[], None)),
            vec!["role"]
        );
        // A new territory or service of an evaluator.
        assert_eq!(
            to_confirm(
                Some(r(EvaluateurTerritorial, &[1], None)),
                r(EvaluateurTerritorial, &[1, 2], Some(5))
            ),
            vec!["territories", "service"]
        );
        // An agent, who reaches every dossier, made evaluator of a territory: nothing new.
        assert!(
            to_confirm(
                Some(r(AgentCrip, &[], None)),
                r(EvaluateurTerritorial, &[1], Some(5))
            )
            .is_empty()
        );
        // Taking away grants nothing.
        assert!(
            to_confirm(Some(r(ResponsableCrip, &[], None)), r(AgentCrip, &[], None)).is_empty()
        );
        assert!(
            to_confirm(
                Some(r(EvaluateurTerritorial, &[1, 2], Some(5))),
                r(EvaluateurTerritorial, &[2], None)
            )
            .is_empty()
        );
        assert!(
            to_confirm(
                Some(r(AgentCrip, &[], None)),
                r(LecteurStatistiques, &[], None)
            )
            .is_empty()
        );
        // A role that reads no dossier never waits, whatever it is given.
        assert!(
            to_confirm(
                Some(r(LecteurStatistiques, &[], None)),
                r(Administrateur, &[1], Some(2))
            )
            .is_empty()
        );
    }
}
