//! `sloe init`: write a commented sloe.toml and the .sloe/ directory.

use std::path::PathBuf;

use sloe_app::settings::DEFAULT_CONFIG;
use sloe_app::{Result, init};

use crate::Outcome;
use crate::args::Global;

pub fn run(global: &Global, force: bool) -> Result<Outcome> {
    let path = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let written = init::init(&path, force)?;
    println!(
        "wrote {} and {}/",
        written.config.display(),
        written.state_dir.display()
    );
    println!(
        "next: measure its [[benchmark]] with `sloe run`, or record results with `sloe ingest FILE`; then `sloe check`"
    );
    Ok(Outcome::Ok)
}
