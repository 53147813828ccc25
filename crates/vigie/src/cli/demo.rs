//! `vigie demo`: a demo database filled with generated dossiers (also used by
//! `vigie serve --demo` on first start).

use std::process::ExitCode;

use vigie_store::Store;

use crate::config::Settings;
use crate::now;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Nombre de dossiers à générer.
    #[arg(long, default_value_t = 3000)]
    dossiers: usize,
    /// Graine du générateur : la même graine donne les mêmes dossiers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Reference data, demo accounts and, in a database without dossiers, `dossiers` generated ones.
pub async fn fill(store: &Store, dossiers: usize, seed: u64) -> anyhow::Result<()> {
    store.seed_demo_reference().await?;
    let hash = tokio::task::spawn_blocking(|| {
        vigie_store::password::hash(vigie_store::demo::DEMO_PASSWORD)
    })
    .await?;
    store.seed_demo_accounts(now(), &hash).await?;
    let counts = store.counts().await?;
    let existing = counts.iter().find(|c| c.0 == "dossier").map_or(0, |c| c.1);
    if existing == 0 && dossiers > 0 {
        eprintln!("Génération de {dossiers} dossiers de démonstration (graine {seed})…");
        let started = std::time::Instant::now();
        let n = store
            .generate_demo(now(), seed, dossiers, |done| {
                if done % 10_000 == 0 || done == dossiers {
                    eprintln!("  {done} / {dossiers}");
                }
            })
            .await?;
        eprintln!(
            "{n} dossiers générés en {:.1} s.",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `vigie demo`.
pub async fn run(args: Args, s: &Settings) -> anyhow::Result<ExitCode> {
    let Args { dossiers, seed } = args;
    let (store, _) = super::open(s, true).await?;
    let before = store
        .counts()
        .await?
        .iter()
        .find(|c| c.0 == "dossier")
        .map_or(0, |c| c.1);
    if before > 0 {
        store.seed_demo_reference().await?;
        eprintln!("Ajout de {dossiers} dossiers à une base qui en contient déjà {before}…");
        let started = std::time::Instant::now();
        let n = store.generate_demo(now(), seed, dossiers, |_| {}).await?;
        eprintln!(
            "{n} dossiers générés en {:.1} s.",
            started.elapsed().as_secs_f64()
        );
    } else {
        fill(&store, dossiers, seed).await?;
    }
    Ok(ExitCode::SUCCESS)
}
