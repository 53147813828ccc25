//! `vigie`: the one binary. Wires configuration to the store and the web layer: parses the
//! command line and hands each command to its module under [`cli`].

// Functions stay short (clippy.toml: `too-many-lines-threshold`); the few allowed
// longer ones say why. Tests read as one scenario each and are not held to it.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

mod cli;
mod config;
mod keys;
mod pg_roles;

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "vigie",
    version,
    about = "Vigie — recueil et suivi des informations préoccupantes (CRIP)"
)]
struct Cli {
    /// Fichier de configuration (facultatif ; les variables VIGIE_* le remplacent).
    #[arg(long, global = true, default_value = "vigie.toml")]
    config: String,
    #[command(subcommand)]
    command: Command,
}

/// One variant per command group; its module under [`cli`] owns the arguments and `run`.
/// Names in English, former French names as aliases, help in French (see [`cli`]): the
/// `///` lines on these variants are the help `vigie --help` prints.
#[derive(Subcommand, Debug)]
enum Command {
    /// Démarre le serveur web (crée et migre la base si besoin).
    Serve(cli::serve::Args),
    /// Applique les migrations de la base (PostgreSQL : avec le rôle propriétaire,
    /// VIGIE_MIGRATE_DATABASE_URL, qui n'accorde ensuite au rôle de l'application que ce dont il a besoin).
    Migrate(cli::migrate::Args),
    /// Remplit une base de démonstration de dossiers générés (sur PostgreSQL, à partir de
    /// 5 000 dossiers avec le rôle propriétaire : une transaction, contrôles recréés à la fin)
    /// et, avec --documents, de documents joints.
    Demo(cli::demo::Args),
    /// Gère les comptes des utilisateurs.
    #[command(subcommand)]
    User(cli::user::Command),
    /// Vérifie la base : version du schéma, intégrité, chaîne d'audit, volumes.
    Check(cli::check::Args),
    /// Le journal d'audit : vérifier la chaîne, afficher sa tête, conservation, purge.
    #[command(subcommand)]
    Audit(cli::audit::Command),
    /// La clé d'instance, gardée hors de la base : création, adoption, rotation, empreintes.
    #[command(subcommand)]
    Key(cli::key::Command),
    /// Sauvegarde chiffrée (données, documents, configuration), base en service ; ou
    /// vérification d'une archive (--verify).
    Backup(cli::backup::Args),
    /// Restaure une archive dans une base vide, SQLite ou PostgreSQL (rôle propriétaire) :
    /// aussi le passage de SQLite à PostgreSQL.
    Restore(cli::restore::Args),
    /// Réglages de l'instance enregistrés dans la base (délai pour un enfant de moins de deux ans).
    #[command(subcommand)]
    Settings(cli::settings::Command),
    /// Former spelling of `vigie settings under-two-deadline`, kept for existing runbooks.
    #[command(name = "delai-moins-de-deux-ans", hide = true)]
    DelaiMoinsDeDeuxAns(cli::settings::UnderTwoDeadlineArgs),
}

/// The clock, read at the edge only.
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
    match rt.block_on(run(cli.command, &settings)) {
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

/// The dispatch: one arm per command group.
async fn run(cmd: Command, s: &config::Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Serve(a) => cli::serve::run(a, s).await,
        Command::Migrate(a) => cli::migrate::run(a, s).await,
        Command::Demo(a) => cli::demo::run(a, s).await,
        Command::User(c) => cli::user::run(c, s).await,
        Command::Check(a) => cli::check::run(a, s).await,
        Command::Audit(c) => cli::audit::run(c, s).await,
        Command::Key(c) => cli::key::run(c, s).await,
        Command::Backup(a) => cli::backup::run(a, s).await,
        Command::Restore(a) => cli::restore::run(a, s).await,
        Command::Settings(c) => cli::settings::run(c, s).await,
        Command::DelaiMoinsDeDeuxAns(a) => cli::settings::under_two_deadline(a, s).await,
    }
}
