//! `vigie audit …`: verification (with the key, the anchors recorded outside the
//! database, and a head noted by hand), head, retention, purge.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use vigie_store::audit::{Anchor, AnchorCheck, Checkpoint, Verification};
use vigie_store::{Actor, Store};

use crate::config::Settings;
use crate::{keys, now};

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Parcourt la chaîne (depuis le dernier point de contrôle) et signale le premier maillon
    /// rompu (code de sortie 1).
    Verify {
        /// Une tête notée auparavant (comme l'affiche `vigie audit head`), à vérifier.
        #[arg(long, visible_alias = "ancre", value_name = "NUMÉRO:EMPREINTE")]
        anchor: Option<String>,
    },
    /// Affiche la tête de la chaîne (numéro et empreinte), à noter hors de la base.
    #[command(visible_alias = "tete")]
    Head,
    /// Durée de conservation du journal en mois (6 à 36 ; 12 par défaut). Sans valeur : l'affiche.
    #[command(visible_alias = "conservation")]
    Retention {
        /// 6 à 36.
        #[arg(value_name = "MOIS")]
        months: Option<String>,
    },
    /// Supprime les entrées plus anciennes que la durée de conservation (ou que --before), en
    /// laissant un point de contrôle.
    #[command(visible_alias = "purger")]
    Purge {
        /// Les entrées enregistrées avant ce jour (heure locale) sont supprimées.
        #[arg(long, visible_alias = "avant", value_name = "AAAA-MM-JJ")]
        before: Option<String>,
    },
}

/// What the verification could and could not prove about the keyed chain.
pub fn say_key(v: &Verification) {
    let Some(first) = v.segments.first() else {
        println!(
            "Clé d'instance : la chaîne n'est pas encore signée (chaînage SHA-256 seul : recalculable par qui peut écrire dans la base ; seules les ancres hors de la base le protègent)."
        );
        return;
    };
    let keys: Vec<String> = v
        .segments
        .iter()
        .map(|k| {
            format!(
                "clé n° {} ({}) depuis l'entrée {}",
                k.id, k.fingerprint, k.from_seq
            )
        })
        .collect();
    println!("Segments signés : {}.", keys.join(", "));
    if first.from_seq > 1 {
        println!(
            "Les entrées antérieures à l'entrée {} (écrites avant l'adoption de la clé) sont chaînées par SHA-256 : vérifiées, mais recalculables par qui peut écrire dans la base ; seules les ancres hors de la base les protègent.",
            first.from_seq
        );
    }
    if v.with_key {
        println!("Vérifié avec la clé d'instance : chaque entrée signée l'a été avec la clé.");
    } else {
        println!(
            "ATTENTION — vérifié SANS la clé d'instance : {} entrées signées ont été suivies de lien en lien sans que leur signature puisse être contrôlée ; une chaîne réécrite par quelqu'un ayant accès à la base ne serait pas détectée. Indiquez VIGIE_INSTANCE_KEY_FILE pour une vérification complète.",
            v.unverified
        );
    }
}

/// An instant as the operator reads it (local time).
fn when(s: &Settings, t: DateTime<Utc>) -> String {
    t.with_timezone(&s.timezone)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// A checkpoint, with the line to keep outside the database.
fn checkpoint_lines(s: &Settings, cp: &Checkpoint) -> String {
    format!(
        "Point de contrôle n° {} du {} : {} entrées antérieures au {} purgées ; première entrée conservée : {}.\n  À conserver hors de la base : {}",
        cp.id,
        when(s, cp.at),
        cp.entries_purged,
        when(s, cp.purged_before),
        cp.first_seq,
        cp.anchor()
    )
}

/// `vigie audit …`: verification, head, retention, purge.
pub async fn run(cmd: Command, s: &Settings) -> anyhow::Result<ExitCode> {
    // The purge deletes entries: on PostgreSQL, only the owner role may.
    let url = match &cmd {
        Command::Purge { .. } => crate::pg_roles::purge_url(s),
        _ => &s.database_url,
    };
    let store = Store::connect(url, s.timezone).await?;
    store.require_current_schema().await?;
    // Reading commands use the key when there is one; writing ones need it.
    let store = match &cmd {
        Command::Verify { .. } | Command::Head => {
            if let Some((ring, file)) = keys::configured(s)? {
                store.use_key_ring(ring, file);
            }
            store
        }
        Command::Retention { months: None } => store,
        _ => {
            let demo = store.instance().await?.is_some_and(|i| i.demo);
            keys::attach(store, s, false, demo).await?
        }
    };
    match cmd {
        Command::Verify { anchor } => verify(&store, s, anchor).await,
        Command::Head => head(&store, s).await,
        Command::Retention { months } => retention(&store, months).await,
        Command::Purge { before } => purge(&store, s, before).await,
    }
}

/// `vigie audit verify`: the chain, the recorded anchors and the one given (exit 1 when
/// broken, 3 when a keyed chain was walked without its key).
async fn verify(store: &Store, s: &Settings, anchor: Option<String>) -> anyhow::Result<ExitCode> {
    let anchor = anchor
        .as_deref()
        .map(|a| {
            a.parse::<Anchor>()
                .map_err(|e| anyhow::anyhow!("--ancre : {e}"))
        })
        .transpose()?;
    let recorded = vigie_store::audit::anchors::read_dir(&s.audit_anchor_dir)
        .map_err(|e| anyhow::anyhow!("VIGIE_AUDIT_ANCHOR_DIR : {e}"))?;
    let mut all: Vec<Anchor> = recorded.iter().map(|(_, a)| a.clone()).collect();
    all.extend(anchor.clone());
    let started = std::time::Instant::now();
    let v = store.verify_audit_anchored(&all).await?;
    let took = started.elapsed().as_secs_f64();
    if let Some(cp) = &v.checkpoint {
        println!("{}", checkpoint_lines(s, cp));
    }
    match &v.broken {
        None => {
            println!(
                "Journal d'audit : chaîne intacte ; {} entrées vérifiées en {took:.1} s.",
                v.entries
            );
            println!("Tête : {}:{}", v.head_seq, v.head_hash);
            say_key(&v);
            if let Some(a) = &anchor {
                match v.anchors.iter().find(|(x, _)| x == a).map(|(_, c)| c) {
                    Some(AnchorCheck::Matches) => println!("Ancre {} : conforme.", a.seq),
                    _ => println!(
                        "Ancre {} : l'entrée a été purgée par un point de contrôle signé ; comparez ce point de contrôle à celui enregistré lors de la purge.",
                        a.seq
                    ),
                }
            }
            // Without the key, a keyed chain is not proved: a distinct exit code
            // (3), so that supervision does not read it as a success.
            let incomplete = !v.with_key && !v.segments.is_empty();
            if recorded.is_empty() {
                println!(
                    "Aucune ancre enregistrée dans {} : une troncature de la fin du journal ne serait pas détectée.",
                    s.audit_anchor_dir.display()
                );
            } else {
                let purged = v
                    .anchors
                    .iter()
                    .filter(|(_, c)| *c == AnchorCheck::Purged)
                    .count();
                println!(
                    "Ancres enregistrées hors de la base ({}) : {} vérifiées, conformes{}.",
                    s.audit_anchor_dir.display(),
                    recorded.len(),
                    if purged > 0 {
                        format!(
                            " ({purged} dans des entrées purgées par un point de contrôle signé)"
                        )
                    } else {
                        String::new()
                    }
                );
            }
            Ok(if incomplete {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Some((seq, why)) => {
            println!("Journal d'audit : CHAÎNE ROMPUE à l'entrée {seq} : {why}.");
            println!(
                "{} entrées vérifiées avant la rupture, en {took:.1} s ; tête enregistrée : {}:{}",
                v.entries, v.head_seq, v.head_hash
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `vigie audit head`: the head to record outside the database.
async fn head(store: &Store, s: &Settings) -> anyhow::Result<ExitCode> {
    let head = store.audit_head().await?;
    println!("{head}");
    eprintln!(
        "Tête du journal d'audit au {} : entrée {}. Conservez cette ligne hors de la base ; pour la vérifier : vigie audit verify --ancre {head}",
        when(s, now()),
        head.seq
    );
    Ok(ExitCode::SUCCESS)
}

/// `vigie audit retention`: sets the retention when a value is given, then shows it.
async fn retention(store: &Store, months: Option<String>) -> anyhow::Result<ExitCode> {
    if let Some(m) = months {
        let months = m
            .trim()
            .parse::<u32>()
            .map_err(|_| anyhow::anyhow!("conservation : un nombre de mois (6 à 36) attendu"))?;
        store
            .set_audit_retention_months(now(), &Actor::system(), months)
            .await?;
    }
    println!(
        "Conservation du journal d'audit : {} mois (CNIL : 6 mois à 1 an par défaut, 3 ans au plus).",
        store.audit_retention_months().await?
    );
    Ok(ExitCode::SUCCESS)
}

/// `vigie audit purge`: the entries older than the retention (or than the day given).
async fn purge(store: &Store, s: &Settings, before: Option<String>) -> anyhow::Result<ExitCode> {
    let t = now();
    let before = match before {
        Some(d) => {
            let day = chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("--avant : date attendue au format AAAA-MM-JJ"))?;
            use chrono::TimeZone;
            s.timezone
                .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .ok_or_else(|| anyhow::anyhow!("--avant : date invalide"))?
                .with_timezone(&Utc)
        }
        None => store.audit_purge_limit(t).await?,
    };
    match store
        .purge_audit(t, &Actor::system(), before)
        .await
        .map_err(crate::pg_roles::purge_error)?
    {
        Some(cp) => {
            println!("{}", checkpoint_lines(s, &cp));
            println!("Tête après la purge : {}", store.audit_head().await?);
        }
        None => println!(
            "Aucune entrée antérieure au {} : rien à purger.",
            when(s, before)
        ),
    }
    Ok(ExitCode::SUCCESS)
}
