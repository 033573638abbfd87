//! `sloe completions SHELL` and `sloe man`: sloe's flags as a shell
//! completion script and as a man page, both made from the clap definition
//! so they cannot drift from it.

use clap::CommandFactory;
use clap_complete::Shell;
use sloe_app::{AppError, Result};

use crate::Outcome;
use crate::args::Cli;
use crate::output::print_stdout;

pub fn completions(shell: Shell) -> Result<Outcome> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "sloe", &mut script);
    print_stdout(&script)?;
    Ok(Outcome::Ok)
}

pub fn man() -> Result<Outcome> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| AppError::Input(format!("render the man page: {e}")))?;
    print_stdout(&page)?;
    Ok(Outcome::Ok)
}
