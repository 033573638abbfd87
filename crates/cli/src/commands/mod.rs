//! One module per command; each is a thin wiring of the library crates.

mod baseline;
mod budget;
mod check;
mod config;
mod history;
mod ingest;
mod init;
mod monitor;
mod report;
pub mod run;
mod slo;
mod slo_ingest;

use anyhow::Result;

use crate::Outcome;
use crate::args::{Cli, Command};
use crate::settings::Settings;

pub fn dispatch(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Init { force } => init::run(&cli.global, force),
        Command::Config { action } => config::run(action),
        Command::Monitor(args) => monitor::run(&args),
        Command::Slo { action } => slo::run(&cli.global, action),
        Command::Run(args) => run::run(&Settings::load(&cli.global)?, &args),
        Command::Ingest(args) => ingest::run(&Settings::load(&cli.global)?, &args),
        Command::Check(args) => check::run(&Settings::load(&cli.global)?, &args),
        Command::Report(args) => report::run(&Settings::load(&cli.global)?, &args),
        Command::History(args) => history::run(&Settings::load(&cli.global)?, &args),
        Command::Baseline { action } => baseline::run(&Settings::load(&cli.global)?, action),
        Command::Budget { action } => budget::run(&Settings::load(&cli.global)?, action),
    }
}

pub use crate::output::fancy_output;
