//! Administration screens: the parameter tables, territories and services ([`params`]),
//! the population of each territory for the dashboards' rates ([`population`]),
//! what letters print (letterhead, directory, services' addresses: [`letters`]), the letter
//! templates and their versions ([`templates`], [`template_actions`], [`template_check`],
//! [`template_trial`]),
//! the users ([`users`], [`user_actions`]) and the roles ([`roles`]), and the accounts waiting for a responsable CRIP's
//! confirmation (two-person rule: [`pending`]).

use vigie_domain::catalog::Catalog;

pub mod letters;
pub mod params;
pub mod pending;
pub mod population;
pub mod roles;
pub mod template_actions;
pub mod template_check;
pub mod template_trial;
pub mod templates;
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

/// The routes of the letters' administration (the administrator: parameter data, no dossier).
pub fn letter_routes(r: crate::routes::Routes) -> crate::routes::Routes {
    use axum::http::Method;
    use vigie_domain::Permission::ParamsAdmin;

    use crate::routes::Access::Perm;
    r.add(
        Method::GET,
        "/admin/courriers",
        Perm(ParamsAdmin),
        letters::index,
    )
    .add(
        Method::POST,
        "/admin/courriers/entete",
        Perm(ParamsAdmin),
        letters::save_head,
    )
    .add(
        Method::GET,
        "/admin/courriers/logo",
        Perm(ParamsAdmin),
        letters::logo,
    )
    .add(
        Method::POST,
        "/admin/courriers/logo",
        Perm(ParamsAdmin),
        letters::save_logo,
    )
    .add(
        Method::POST,
        "/admin/courriers/annuaire",
        Perm(ParamsAdmin),
        letters::save_entry,
    )
    .add(
        Method::POST,
        "/admin/courriers/service",
        Perm(ParamsAdmin),
        letters::save_service,
    )
    .add(
        Method::GET,
        "/admin/courriers/champs",
        Perm(ParamsAdmin),
        letters::fields,
    )
}

/// The routes of the letter templates (responsable CRIP and administrator: no real dossier
/// is shown, a test runs on a fictional one).
pub fn template_routes(r: crate::routes::Routes) -> crate::routes::Routes {
    use axum::http::Method;
    use vigie_domain::Permission::TemplatesAdmin;

    use crate::routes::Access::Perm;
    r.add(
        Method::GET,
        "/admin/modeles",
        Perm(TemplatesAdmin),
        templates::index,
    )
    .add_upload(
        Method::POST,
        "/admin/modeles",
        Perm(TemplatesAdmin),
        templates::create,
    )
    // The data dictionary, for those who write templates (as under « Courriers »).
    .add(
        Method::GET,
        "/admin/modeles/champs",
        Perm(TemplatesAdmin),
        letters::fields,
    )
    .add(
        Method::GET,
        "/admin/modeles/{code}",
        Perm(TemplatesAdmin),
        templates::show,
    )
    .add_upload(
        Method::POST,
        "/admin/modeles/{code}/versions",
        Perm(TemplatesAdmin),
        templates::upload,
    )
    .add(
        Method::GET,
        "/admin/modeles/{code}/versions/{id}",
        Perm(TemplatesAdmin),
        template_actions::download,
    )
    .add(
        Method::GET,
        "/admin/modeles/{code}/defaut",
        Perm(TemplatesAdmin),
        template_actions::download_default,
    )
    .add(
        Method::POST,
        "/admin/modeles/{code}/versions/{id}/essai",
        Perm(TemplatesAdmin),
        template_trial::trial,
    )
    .add(
        Method::POST,
        "/admin/modeles/{code}/versions/{id}/publication",
        Perm(TemplatesAdmin),
        template_actions::publish,
    )
    .add(
        Method::POST,
        "/admin/modeles/{code}/activation",
        Perm(TemplatesAdmin),
        template_actions::activation,
    )
    .add(
        Method::GET,
        "/api/v1/modeles",
        Perm(TemplatesAdmin),
        crate::api::templates::list,
    )
}
