//! One module per command; each parses its flags, calls sloe-app, prints.

mod baseline;
mod budget;
mod check;
mod config;
mod docs;
mod history;
mod ingest;
mod init;
mod monitor;
mod report;
mod run;
mod slo;
mod slo_ingest;

use sloe_app::Result;

use crate::Outcome;
use crate::args::{Cli, Command};
use crate::settings;

pub fn dispatch(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Init { force } => init::run(&cli.global, force),
        Command::Config { action } => config::run(action),
        Command::Monitor(args) => monitor::run(&args),
        Command::Slo { action } => slo::run(&cli.global, action),
        Command::Run(args) => run::run(&settings::load(&cli.global)?, &args),
        Command::Ingest(args) => ingest::run(&settings::load(&cli.global)?, &args),
        Command::Check(args) => check::run(&settings::load(&cli.global)?, &args),
        Command::Report(args) => report::run(&settings::load(&cli.global)?, &args),
        Command::History(args) => history::run(&settings::load(&cli.global)?, &args),
        Command::Baseline { action } => baseline::run(&settings::load(&cli.global)?, action),
        Command::Budget { action } => budget::run(&settings::load(&cli.global)?, action),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
    }
}

pub use crate::output::fancy_output;
