//! `vigie user …`: accounts created, listed, disabled and given a new password by the
//! operator (no application login: whoever runs the binary is trusted, README).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use vigie_domain::Role;
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};

use crate::config::Settings;
use crate::now;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Crée un compte. Le mot de passe est demandé (ou lu sur l'entrée standard).
    /// Un compte créé ici est confirmé (règle des deux personnes : l'exploitant).
    Add {
        /// Identifiant de connexion.
        #[arg(long)]
        login: String,
        /// Nom affiché dans l'application.
        #[arg(long)]
        name: String,
        /// administrateur, responsable, agent, evaluateur ou statistiques.
        #[arg(long)]
        role: String,
        /// Code d'un territoire (évaluateur territorial) ; à répéter pour plusieurs.
        #[arg(long = "territory", visible_alias = "territoire", value_name = "CODE")]
        territories: Vec<String>,
        /// Code du service (évaluateur territorial).
        #[arg(long, value_name = "CODE")]
        service: Option<String>,
    },
    /// Liste les comptes.
    List,
    /// Désactive un compte (ferme aussitôt ses sessions).
    Disable {
        /// Identifiant du compte.
        #[arg(long)]
        login: String,
    },
    /// Change le mot de passe (demandé, ou lu sur l'entrée standard).
    SetPassword {
        /// Identifiant du compte.
        #[arg(long)]
        login: String,
    },
}

/// Reads a new password: twice at a terminal (not echoed), else the first line of standard
/// input; checked by the same rule as « Mon compte » ([`vigie_domain::password::check`]).
fn read_password(ctx: &vigie_domain::password::Context) -> anyhow::Result<String> {
    let login = &ctx.login;
    let stdin = std::io::stdin();
    let pw = if stdin.is_terminal() {
        let a = rpassword::prompt_password(format!("Mot de passe pour {login} : "))?;
        let b = rpassword::prompt_password("Confirmez : ")?;
        if a != b {
            anyhow::bail!("les deux saisies diffèrent");
        }
        a
    } else {
        let mut a = String::new();
        stdin.lock().read_line(&mut a)?;
        a
    };
    let pw = pw.trim_end_matches(['\r', '\n']).to_owned();
    if let Err(e) = vigie_domain::password::check("password", &pw, ctx) {
        let msg = e
            .fields()
            .first()
            .map_or_else(|| e.to_string(), |f| f.message.clone());
        anyhow::bail!("mot de passe refusé : {msg}");
    }
    Ok(pw)
}

/// `vigie user …`.
pub async fn run(cmd: Command, s: &Settings) -> anyhow::Result<ExitCode> {
    let (store, _) = super::open(s, false).await?;
    let sys = Actor::system();
    match cmd {
        Command::Add {
            login,
            name,
            role,
            territories,
            service,
        } => add(&store, login, name, &role, &territories, service.as_deref()).await?,
        Command::List => {
            for u in store.list_users().await? {
                println!(
                    "{:<20} {:<28} {:<26} {}{}{}",
                    u.login,
                    u.display_name,
                    u.role.label(),
                    if u.active { "actif" } else { "désactivé" },
                    if u.pending_since.is_some() {
                        ", en attente de confirmation"
                    } else {
                        ""
                    },
                    if u.demo { " (démo)" } else { "" }
                );
            }
        }
        Command::Disable { login } => {
            store
                .disable_user(now(), &sys, &login)
                .await
                .map_err(|e| match e {
                    vigie_store::StoreError::NotFound => {
                        anyhow::anyhow!("--login : aucun compte « {login} »")
                    }
                    e => e.into(),
                })?;
            println!("Compte « {login} » désactivé ; ses sessions sont fermées.");
        }
        Command::SetPassword { login } => {
            let users = store.list_users().await?;
            let Some(u) = users.iter().find(|u| u.login == login) else {
                anyhow::bail!("--login : aucun compte « {login} »");
            };
            let ctx = store
                .password_context(&login, &u.display_name, now())
                .await?;
            let pw = read_password(&ctx)?;
            let hash =
                tokio::task::spawn_blocking(move || vigie_store::password::hash(&pw)).await?;
            store.set_password(now(), &sys, &login, &hash).await?;
            println!("Mot de passe de « {login} » changé ; ses sessions sont fermées.");
        }
    }
    // What the command wrote is anchored outside the database before it exits.
    store.anchor_now(now(), "commande").await?;
    Ok(ExitCode::SUCCESS)
}

/// `vigie user add`: role, territories and service checked against the catalog, then the
/// password read and the confirmed account written.
async fn add(
    store: &Store,
    login: String,
    name: String,
    role: &str,
    territories: &[String],
    service: Option<&str>,
) -> anyhow::Result<()> {
    let role = Role::parse(role).ok_or_else(|| {
        anyhow::anyhow!(
            "--role : rôle inconnu « {role} » ; rôles : {}",
            Role::ALL
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    vigie_store::users::check_login(&login)?;
    let cat = store.catalog().await?;
    let territory_ids = territories
        .iter()
        .map(|code| {
            cat.territories
                .iter()
                .find(|t| &t.code == code)
                .map(|t| t.id)
                .ok_or_else(|| anyhow::anyhow!("--territoire : code inconnu « {code} »"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let service_id = service
        .map(|code| {
            cat.services
                .iter()
                .find(|x| x.code == code)
                .map(|x| x.id)
                .ok_or_else(|| anyhow::anyhow!("--service : code inconnu « {code} »"))
        })
        .transpose()?;
    let ctx = store.password_context(&login, &name, now()).await?;
    let pw = read_password(&ctx)?;
    let hash = tokio::task::spawn_blocking(move || vigie_store::password::hash(&pw)).await?;
    let id = store
        .add_user(
            now(),
            &Actor::system(),
            &NewUser {
                login: login.clone(),
                display_name: name,
                password_hash: hash,
                role,
                territories: territory_ids,
                service_id,
                demo: false,
            },
        )
        .await?;
    println!("Compte « {login} » créé ({}, n° {id}).", role.label());
    Ok(())
}
