//! Administration screens: the parameter tables, territories and services ([`params`]),
//! the users ([`users`], [`user_actions`]) and the roles ([`roles`]), and the accounts waiting for a responsable CRIP's
//! confirmation (two-person rule: [`pending`]).

use vigie_domain::catalog::Catalog;

pub mod params;
pub mod pending;
pub mod roles;
pub mod user_actions;
pub mod users;

/// What an account reaches, in words: its territories and service.
pub fn reach_text(territories: &[i64], service_id: Option<i64>, cat: &Catalog) -> String {
    let mut parts: Vec<String> = territories
        .iter()
        .map(|t| {
            cat.territory(*t)
                .map_or_else(|| format!("territoire n° {t}"), |t| t.label.clone())
        })
        .collect();
    if let Some(s) = service_id {
        parts.push(cat.service(s).map_or_else(
            || format!("service n° {s}"),
            |s| format!("service {}", s.label),
        ));
    }
    parts.join(", ")
}
