//! `vigie restore FILE`: into an empty database of either backend, with the owner's role.

use std::path::PathBuf;
use std::process::ExitCode;

use vigie_store::Store;

use super::backup::{Bar, KeyArgs};
use crate::config::Settings;
use crate::{keys, now, pg_roles};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// L'archive à restaurer (écrite par « vigie backup »).
    #[arg(value_name = "FICHIER")]
    file: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
}

/// `vigie restore`.
pub async fn run(args: Args, s: &Settings) -> anyhow::Result<ExitCode> {
    let dec = args.keys.decryption()?;
    let Some((ring, key_file)) = keys::configured(s)? else {
        anyhow::bail!(
            "la restauration vérifie le journal d'audit avec la clé d'instance de la base sauvegardée, gardée à part de l'archive : indiquez-la (VIGIE_INSTANCE_KEY_FILE=/etc/vigie/cle-instance) ; rien n'a été écrit"
        );
    };
    let url = s.migrate_database_url.as_ref().unwrap_or(&s.database_url);
    let store = Store::connect(url, s.timezone).await?;
    let started = std::time::Instant::now();
    let bar = Bar::new();
    let result = vigie_backup::restore(&store, &args.file, &dec, &ring, now(), &bar).await;
    bar.done();
    let report = match result {
        Ok(r) => r,
        Err(e @ vigie_backup::Error::AfterCommit(_)) => {
            // The data is in: the application's role still gets its rights.
            pg_roles::grant(&store, s).await?;
            eprintln!("vigie : {e}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => {
            eprintln!("vigie : restauration refusée ou échouée : {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    store.use_key_ring(ring, key_file);
    pg_roles::grant(&store, s).await?;
    let m = &report.manifest;
    let rows: u64 = report.rows.values().sum();
    println!(
        "Restauration terminée en {:.1} s : archive du {} (Vigie {}, base {}, schéma {}) dans une base {}.",
        started.elapsed().as_secs_f64(),
        m.created_at,
        m.vigie_version,
        m.source_backend,
        m.schema_version,
        if store.has_roles() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!(
        "  {rows} lignes dans {} tables (comptes conformes au manifeste), {} documents (sommes SHA-256 conformes).",
        m.tables.len(),
        report.documents
    );
    if !report.migrated.is_empty() {
        println!("  Schéma migré ensuite : versions {:?}.", report.migrated);
    }
    println!(
        "  Journal d'audit : {} entrées vérifiées avec la clé d'instance, tête {} conforme ; restauration inscrite (entrée {}).",
        report.audit_entries, m.audit_head_seq, report.audit_head_seq
    );
    say_configuration(&report.configuration, s);
    for (table, why) in &m.left_out {
        println!("  Non sauvegardé : {table} ({why}).");
    }
    anchors(store, s).await?;
    Ok(ExitCode::SUCCESS)
}

/// The saved settings an operator reports in the new server's configuration, and those that
/// differ from the current ones.
fn say_configuration(saved: &serde_json::Value, s: &Settings) {
    let now = crate::config::saved(s);
    let keys = [
        "timezone",
        "departements",
        "public_url",
        "behind_tls",
        "session_idle_minutes",
        "session_max_hours",
        "trusted_proxies",
    ];
    let text = |v: Option<&serde_json::Value>| v.map_or("—".to_owned(), ToString::to_string);
    println!("  Configuration sauvegardée (sans secret) :");
    for k in keys {
        let (was, is) = (saved.get(k), now.get(k));
        if was == is {
            println!("    {k} = {}", text(was));
        } else {
            println!("    {k} = {}   ← ici : {}", text(was), text(is));
        }
    }
}

/// Anchors the restored head; says when the anchor directory holds anchors of entries the
/// archive does not have (written after the backup: what the restore lost).
async fn anchors(store: Store, s: &Settings) -> anyhow::Result<()> {
    let head = store.audit_head().await?;
    let later = vigie_store::audit::anchors::read_dir(&s.audit_anchor_dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, a)| a.seq > head.seq)
        .count();
    if later > 0 {
        println!(
            "  Attention : {later} ancre(s) de {} désignent des entrées postérieures à l'archive (écrites après la sauvegarde, donc perdues) ; « vigie audit verify » les signalera : déplacez ces fichiers d'ancres dans un dossier d'archives après les avoir consignés.",
            s.audit_anchor_dir.display()
        );
    }
    let store = store.with_anchors(vigie_store::audit::anchors::AnchorLog::new(Some(
        s.audit_anchor_dir.clone(),
    )));
    store.anchor_now(now(), "restauration").await?;
    Ok(())
}
