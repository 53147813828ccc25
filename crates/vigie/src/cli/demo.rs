//! `vigie demo`: a demo database filled with generated dossiers (also used by
//! `vigie serve --demo` on first start) and, with `--documents N`, generated documents.

use std::process::ExitCode;

use vigie_store::Store;

use crate::config::Settings;
use crate::now;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Nombre de dossiers à générer.
    #[arg(long, default_value_t = 3000)]
    dossiers: usize,
    /// Graine du générateur : la même graine donne les mêmes dossiers et les mêmes documents.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Nombre de documents à joindre aux dossiers de la base (pièces scannées fictives : PDF de
    /// 200 à 800 ko, pour mesurer sauvegardes et restaurations). Ils s'ajoutent à ceux que la base
    /// contient déjà, chaque fois différents ; avec `--dossiers 0`, une base déjà remplie ne
    /// reçoit que des documents.
    #[arg(long, default_value_t = 0)]
    documents: usize,
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
    let Args {
        dossiers,
        seed,
        documents,
    } = args;
    let (store, _) = super::open(s, true).await?;
    let before = store
        .counts()
        .await?
        .iter()
        .find(|c| c.0 == "dossier")
        .map_or(0, |c| c.1);
    if before > 0 && dossiers > 0 {
        store.seed_demo_reference().await?;
        eprintln!("Ajout de {dossiers} dossiers à une base qui en contient déjà {before}…");
        let started = std::time::Instant::now();
        let n = store.generate_demo(now(), seed, dossiers, |_| {}).await?;
        eprintln!(
            "{n} dossiers générés en {:.1} s.",
            started.elapsed().as_secs_f64()
        );
    } else if before == 0 {
        fill(&store, dossiers, seed).await?;
    }
    if documents > 0 {
        add_documents(&store, documents, seed).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Joins `count` generated documents to the dossiers of the base, with progress on stderr.
async fn add_documents(store: &Store, count: usize, seed: u64) -> anyhow::Result<()> {
    eprintln!("Génération de {count} documents de démonstration (graine {seed})…");
    let started = std::time::Instant::now();
    let mut shown = 0;
    let done = store
        .generate_demo_documents(now(), seed, count, |done| {
            if done / 100 > shown / 100 || done == count {
                eprintln!("  {done} / {count}");
                shown = done;
            }
        })
        .await?;
    #[allow(clippy::cast_precision_loss)]
    let megabytes = done.bytes as f64 / 1_000_000.0;
    eprintln!(
        "{} documents générés ({megabytes:.1} Mo) en {:.1} s.",
        done.documents,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
