//! One module per command; each parses its flags, calls sloe-app, prints.

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

use std::io::IsTerminal;

use sloe_app::{AppError, Result};

use crate::Outcome;
use crate::args::{Cli, Command};
use crate::settings;

pub fn dispatch(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Init { force } => init::run(&cli.global, force),
        Command::Config { action } => config::run(action),
        Command::Monitor(args) => legacy(monitor::run(&args)),
        Command::Slo { action } => legacy(slo::run(&cli.global, action)),
        Command::Run(args) => legacy(run::run(&settings::load(&cli.global)?, &args)),
        Command::Ingest(args) => ingest::run(&settings::load(&cli.global)?, &args),
        Command::Check(args) => check::run(&settings::load(&cli.global)?, &args),
        Command::Report(args) => report::run(&settings::load(&cli.global)?, &args),
        Command::History(args) => history::run(&settings::load(&cli.global)?, &args),
        Command::Baseline { action } => baseline::run(&settings::load(&cli.global)?, action),
        Command::Budget { action } => budget::run(&settings::load(&cli.global)?, action),
    }
}

/// `run`, `monitor` and the `slo` commands, not yet moved onto sloe-app,
/// still fail with `anyhow` errors; until they are, this is the one place
/// that looks inside them.
fn legacy(result: anyhow::Result<Outcome>) -> Result<Outcome> {
    result.map_err(|e| match e.downcast::<AppError>() {
        Ok(app) => app,
        Err(e) if e.downcast_ref::<run::Interrupted>().is_some() => AppError::Interrupted,
        Err(e) => AppError::Usage(format!("{e:#}")),
    })
}

/// Emoji and colors only on a terminal, and never with NO_COLOR set.
pub fn fancy_output() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
