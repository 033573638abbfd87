//! The `sloe` binary: parse flags, resolve settings, run one command, exit
//! with the code the contract names (0 pass, 1 blocked by policy; on an
//! error, the code `sloe_app::AppError` names: 2 for bad usage, config or
//! input, or a measured command that failed; 128 plus the signal's number
//! after a stop signal: 130 after Ctrl-C, 143 after SIGTERM, 129 after
//! SIGHUP; a closed output pipe ends it by SIGPIPE, which shells report as
//! 141). Commands are thin: the work lives in sloe-app and the library
//! crates.

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
    // First of all: started as the intermediary between sloe and a measured
    // command, serve and exit before anything else touches memory (the
    // command inherits whatever this process has resident; see
    // `sloe_runner::spawn`).
    sloe_runner::spawn::serve_if_requested();
    // Rust ignores SIGPIPE, so a write to a closed pipe (`sloe history |
    // head -1`) fails and `println!` panics. Like other Unix tools, sloe
    // ends quietly instead, by the signal, for every command and every
    // stream at once. The status is 141, not 0, so a pipeline under
    // `set -o pipefail` never turns a blocked check into a pass; and
    // nothing is stored half, because a store writes in transactions.
    sigpipe::reset();
    // A write past the file size limit (`ulimit -f`) raises SIGXFSZ, whose
    // default action ends the process on the spot, leaving a report's
    // temporary file behind. With a handler the write fails with EFBIG
    // instead, like a full disk: the error is reported and the temporary
    // file removed. A handler, unlike ignoring the signal, is reset for
    // the commands sloe runs.
    #[cfg(unix)]
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    let cli = args::Cli::parse();
    output::configure(&cli.global);
    match commands::dispatch(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Blocked) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: failed to {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
