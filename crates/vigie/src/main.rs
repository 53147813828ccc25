//! `vigie`: the one binary. Wires configuration to the store and the web layer: parses the
//! command line and hands each command to its module under [`cli`].

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
    /// Configuration file (optional; VIGIE_* variables override it).
    #[arg(long, global = true, default_value = "vigie.toml")]
    config: String,
    #[command(subcommand)]
    command: Command,
}

/// One variant per command group; its module under [`cli`] owns the arguments and `run`.
#[derive(Subcommand, Debug)]
enum Command {
    /// Start the web server (creates and migrates the database if needed).
    Serve(cli::serve::Args),
    /// Apply the database migrations (PostgreSQL: as the owner role, VIGIE_MIGRATE_DATABASE_URL,
    /// which then grants the application's role only what it needs).
    Migrate(cli::migrate::Args),
    /// Fill a demo database with generated dossiers.
    Demo(cli::demo::Args),
    /// Manage user accounts.
    #[command(subcommand)]
    User(cli::user::Command),
    /// Check the database: schema version, integrity, audit chain, counts.
    Check(cli::check::Args),
    /// The audit trail: verify the chain, print its head, retention, purge.
    #[command(subcommand)]
    Audit(cli::audit::Command),
    /// The instance key, kept outside the database: create, rotate, fingerprints.
    #[command(subcommand)]
    Key(cli::key::Command),
    /// Evaluation deadline for a fratrie with a child under two (or unborn), in months
    /// (1 to 3); `aucun` keeps the legal 3 months for every child. Without a value: shows it.
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
        Command::DelaiMoinsDeDeuxAns(a) => cli::settings::under_two_deadline(a, s).await,
    }
}
