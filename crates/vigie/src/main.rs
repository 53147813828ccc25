//! `vigie`: the one binary. Wires configuration to the store and the web layer.

mod audit_cmd;
mod config;
mod keys;
mod pg_roles;

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use vigie_domain::Role;
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};

#[derive(Parser, Debug)]
#[command(
    name = "vigie",
    version,
    about = "Vigie — recueil et suivi des informations préoccupantes (CRIP)"
)]
struct Cli {
    /// Configuration file (optional; VIGIE_* variables override it).
    #[arg(long, global = true, default_value = "vigie.toml")]
    config: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the web server (creates and migrates the database if needed).
    Serve {
        /// Demo database: fictional data and one account per role (only in a database created with --demo).
        #[arg(long)]
        demo: bool,
        /// Number of demo dossiers to generate in a new demo database.
        #[arg(long, default_value_t = 3000)]
        dossiers: usize,
    },
    /// Apply the database migrations (PostgreSQL: as the owner role, VIGIE_MIGRATE_DATABASE_URL,
    /// which then grants the application's role only what it needs).
    Migrate,
    /// Fill a demo database with generated dossiers.
    Demo {
        #[arg(long, default_value_t = 3000)]
        dossiers: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the database: schema version, integrity, audit chain, counts.
    Check,
    /// The audit trail: verify the chain, print its head, retention, purge.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// The instance key, kept outside the database: create, rotate, fingerprints.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Evaluation deadline for a fratrie with a child under two (or unborn), in months
    /// (1 to 3); `aucun` keeps the legal 3 months for every child. Without a value: shows it.
    DelaiMoinsDeDeuxAns {
        /// 1, 2, 3 or « aucun ».
        mois: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create an account. The password is asked for (or read from standard input).
    /// An account created here is confirmed (two-person rule: the operator).
    Add {
        #[arg(long)]
        login: String,
        /// Name shown in the application.
        #[arg(long)]
        name: String,
        /// administrateur, responsable, agent, evaluateur or statistiques.
        #[arg(long)]
        role: String,
        /// Territory code (évaluateur territorial); repeat for several.
        #[arg(long = "territoire")]
        territories: Vec<String>,
        /// Service code (évaluateur territorial).
        #[arg(long)]
        service: Option<String>,
    },
    /// List the accounts.
    List,
    /// Disable an account (ends its sessions at once).
    Disable {
        #[arg(long)]
        login: String,
    },
    /// Set a new password (asked for, or read from standard input).
    SetPassword {
        #[arg(long)]
        login: String,
    },
}

#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match config::load(&cli.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vigie : {e}");
            return ExitCode::from(2);
        }
    };
    init_logs(settings.json_logs);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vigie : {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigie : {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VIGIE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

/// Opens the database, migrates it, and makes sure the instance row exists.
async fn open(
    s: &config::Settings,
    demo: bool,
) -> anyhow::Result<(Store, vigie_store::users::Instance)> {
    let store = Store::connect(&s.database_url, s.timezone).await?;
    pg_roles::migrate_on_start(&store, s, now()).await?;
    let existing = store.instance().await?;
    if demo && existing.as_ref().is_some_and(|i| !i.demo) {
        anyhow::bail!(
            "cette base ({}) n'a pas été créée avec --demo : les données et comptes de démonstration n'y sont pas ajoutés. Choisissez une autre base (VIGIE_DATABASE_URL).",
            s.database_url
        );
    }
    // A real database is never written to without its key (checked before creating it):
    // a new database is keyed from its first entry.
    let db_demo = existing.as_ref().is_some_and(|i| i.demo);
    let (ring, file) = keys::required(s, demo, db_demo)?;
    store.use_key_ring(ring, file);
    let instance = store.init_instance(now(), demo, &s.departements).await?;
    let store = keys::attach(store, s, demo, instance.demo).await?;
    Ok((store, instance))
}

async fn fill_demo(store: &Store, dossiers: usize, seed: u64) -> anyhow::Result<()> {
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

async fn run(cmd: Command, s: config::Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Serve { demo, dossiers } => {
            let (store, instance) = open(&s, demo).await?;
            if demo {
                fill_demo(&store, dossiers, 1).await?;
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
            };
            config::announce_public_url(&s, false);
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
        Command::DelaiMoinsDeDeuxAns { mois } => {
            let store = Store::connect(&s.database_url, s.timezone).await?;
            store.require_current_schema().await?;
            let demo = store.instance().await?.is_some_and(|i| i.demo);
            let store = keys::attach(store, &s, false, demo).await?;
            if let Some(m) = mois {
                let months = match m.trim() {
                    "aucun" => None,
                    x => Some(x.parse::<u32>().map_err(|_| {
                        anyhow::anyhow!("délai : un nombre de mois (1 à 3) ou « aucun » attendu")
                    })?),
                };
                store
                    .set_under_two_months(now(), &Actor::system(), months)
                    .await?;
            }
            match store.under_two_months().await? {
                Some(m) => println!(
                    "Délai d'évaluation quand un enfant a moins de deux ans : {m} mois (délai légal : 3 mois)."
                ),
                None => println!(
                    "Délai d'évaluation quand un enfant a moins de deux ans : le délai légal (3 mois)."
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            pg_roles::migrate(&s, now()).await?;
            // A database written before the key adopts it explicitly (`vigie key adopter`).
            if let Some((ring, _)) = keys::configured(&s)? {
                let store = Store::connect(&s.database_url, s.timezone).await?;
                if store.instance().await?.is_some()
                    && store.key_status(&ring).await? == vigie_store::audit::KeyStatus::NotAdopted
                {
                    println!(
                        "Cette base n'a pas encore adopté la clé d'instance : lancez une fois « vigie key adopter »."
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { dossiers, seed } => {
            let (store, _) = open(&s, true).await?;
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
                fill_demo(&store, dossiers, seed).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User(u) => user(u, &s).await,
        Command::Audit(a) => audit_cmd::run(a, &s).await,
        Command::Key(k) => keys::command(k, &s).await,
        Command::Check => {
            let store = Store::connect(&s.database_url, s.timezone).await?;
            if let Some((ring, file)) = keys::configured(&s)? {
                store.use_key_ring(ring, file);
            }
            let r = store.check().await?;
            println!(
                "Schéma : version {} (programme : {})",
                r.schema_version, r.binary_version
            );
            config::announce_public_url(&s, true);
            pg_roles::report(&store).await?;
            match &r.integrity {
                Ok(()) => println!("Intégrité : OK"),
                Err(e) => println!("Intégrité : ÉCHEC — {e}"),
            }
            match &r.audit.broken {
                None => {
                    println!(
                        "Journal d'audit : {} entrées, chaîne intacte ; tête {} = {}",
                        r.audit.entries, r.audit.head_seq, r.audit.head_hash
                    );
                    audit_cmd::say_key(&r.audit);
                }
                Some((seq, why)) => {
                    println!("Journal d'audit : CHAÎNE ROMPUE à l'entrée {seq} : {why}")
                }
            }
            for (t, n) in &r.counts {
                println!("  {t:<14} {n}");
            }
            Ok(if r.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
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

async fn user(cmd: UserCommand, s: &config::Settings) -> anyhow::Result<ExitCode> {
    let (store, _) = open(s, false).await?;
    let sys = Actor::system();
    match cmd {
        UserCommand::Add {
            login,
            name,
            role,
            territories,
            service,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
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
                .as_ref()
                .map(|code| {
                    cat.services
                        .iter()
                        .find(|x| &x.code == code)
                        .map(|x| x.id)
                        .ok_or_else(|| anyhow::anyhow!("--service : code inconnu « {code} »"))
                })
                .transpose()?;
            let ctx = store.password_context(&login, &name, now()).await?;
            let pw = read_password(&ctx)?;
            let hash =
                tokio::task::spawn_blocking(move || vigie_store::password::hash(&pw)).await?;
            let id = store
                .add_user(
                    now(),
                    &sys,
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
        }
        UserCommand::List => {
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
        UserCommand::Disable { login } => {
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
        UserCommand::SetPassword { login } => {
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
