//! The `sloe` binary: parse flags, resolve settings, run one command, exit
//! with the code the contract names (0 pass, 1 blocked by policy; on an
//! error, the code `sloe_app::AppError` names: 2 for bad usage, config or
//! input, or a measured command that failed; 130 after Ctrl-C). Commands
//! are thin: the work lives in sloe-app and the library crates.

mod args;
mod commands;
mod output;
mod settings;

use std::process::ExitCode;

use clap::Parser;

/// What a command concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing policy blocks on.
    Ok,
    /// A verdict that `policy.fail_on` names.
    Blocked,
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::dispatch(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Blocked) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: failed to {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
