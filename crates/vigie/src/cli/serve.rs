//! `vigie serve`: the web server, on a database created and migrated if needed (with `--demo`,
//! a demo database filled on first start).

use std::process::ExitCode;

use crate::config::{self, Settings};
use crate::now;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base de démonstration : données fictives et un compte par rôle (seulement dans une base créée avec --demo).
    #[arg(long)]
    demo: bool,
    /// Nombre de dossiers de démonstration à générer dans une nouvelle base de démonstration.
    #[arg(long, default_value_t = 3000)]
    dossiers: usize,
}

/// `vigie serve`.
pub async fn run(args: Args, s: &Settings) -> anyhow::Result<ExitCode> {
    let Args { demo, dossiers } = args;
    let (store, instance) = super::open(s, demo).await?;
    if demo {
        super::demo::fill(&store, dossiers, 1).await?;
    }
    store.anchor_now(now(), "demarrage").await?;
    let users = store.list_users().await?;
    let web = vigie_web::WebConfig {
        demo: instance.demo,
        behind_tls: s.behind_tls,
        timezone: s.timezone,
        sessions: vigie_store::sessions::SessionPolicy {
            idle: chrono::Duration::minutes(s.session_idle_minutes),
            absolute: chrono::Duration::hours(s.session_max_hours),
        },
        max_concurrent_hashes: 4,
        trusted_proxies: s.trusted_proxies.clone(),
        public_url: s.public_url.clone(),
        pdf: s.pdf.clone(),
        uploads: s.uploads.clone(),
    };
    config::announce_public_url(s, false);
    announce_antivirus(s).await;
    let state = vigie_web::AppState::new(store, web, vigie_web::Clock::system());
    let url = format!("http://{}", s.listen);
    let demo_db = instance.demo;
    let result = vigie_web::serve(s.listen, state, move |addr| {
        println!("Vigie écoute sur http://{addr}");
        if demo_db {
            println!("Base de démonstration (données fictives). Comptes, mot de passe « {} » :", vigie_store::demo::DEMO_PASSWORD);
            for (login, role) in vigie_store::demo::DEMO_ACCOUNTS {
                println!("  {login:<13} {}", role.label());
            }
        } else if users.is_empty() {
            println!(
                "Aucun compte : créez le premier administrateur avec\n  vigie user add --login <identifiant> --name \"<nom>\" --role administrateur"
            );
        }
        println!("Ouvrez {url} dans un navigateur. Ctrl-C pour arrêter.");
    })
    .await;
    result.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

/// Says whether the ClamAV daemon answers (`VIGIE_CLAMAV`): when it does not, uploads are
/// refused until it does — said now rather than at the first upload.
pub async fn announce_antivirus(s: &Settings) {
    let Some(address) = &s.uploads.clamav else {
        return;
    };
    match vigie_files::clamav::ping(address, std::time::Duration::from_secs(5)).await {
        Ok(()) => {
            println!("Antivirus (ClamAV) : {address} répond ; chaque document déposé est analysé.")
        }
        Err(e) => eprintln!(
            "Attention : l'antivirus (ClamAV, {address}) ne répond pas ({}) : les dépôts de documents sont refusés tant qu'il ne répond pas.",
            e.detail()
        ),
    }
}
