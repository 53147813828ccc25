//! `vigie settings …`: settings of the instance kept in its database. Today the evaluation
//! deadline for a fratrie with a child under two (`vigie settings under-two-deadline`, formerly
//! `vigie delai-moins-de-deux-ans`, still accepted).

use std::process::ExitCode;

use vigie_store::{Actor, Store};

use crate::config::Settings;
use crate::{keys, now};

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Délai d'évaluation d'une fratrie avec un enfant de moins de deux ans (ou à naître), en
    /// mois (1 à 3) ; « aucun » garde le délai légal de 3 mois pour chaque enfant. Sans valeur : l'affiche.
    UnderTwoDeadline(UnderTwoDeadlineArgs),
}

#[derive(clap::Args, Debug)]
pub struct UnderTwoDeadlineArgs {
    /// 1, 2, 3 ou « aucun ».
    #[arg(value_name = "MOIS")]
    months: Option<String>,
}

/// `vigie settings …`.
pub async fn run(cmd: Command, s: &Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::UnderTwoDeadline(a) => under_two_deadline(a, s).await,
    }
}

/// Sets the under-two deadline when a value is given, then shows it.
pub async fn under_two_deadline(
    args: UnderTwoDeadlineArgs,
    s: &Settings,
) -> anyhow::Result<ExitCode> {
    let UnderTwoDeadlineArgs { months } = args;
    let store = Store::connect(&s.database_url, s.timezone).await?;
    store.require_current_schema().await?;
    let demo = store.instance().await?.is_some_and(|i| i.demo);
    let store = keys::attach(store, s, false, demo).await?;
    if let Some(m) = months {
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
