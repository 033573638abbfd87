use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use sloe_core::config::STARTER_CONFIG;

use crate::Outcome;
use crate::args::Global;
use sloe_app::settings::DEFAULT_CONFIG;

pub fn run(global: &Global, force: bool) -> Result<Outcome> {
    let path = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    if path.exists() && !force {
        bail!(
            "write {}: it already exists (pass --force to overwrite)",
            path.display()
        );
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    std::fs::create_dir_all(dir.join(".sloe"))
        .with_context(|| format!("create {}", dir.join(".sloe").display()))?;
    std::fs::write(dir.join(".sloe/.gitignore"), "*\n").context("write .sloe/.gitignore")?;
    std::fs::write(&path, STARTER_CONFIG).with_context(|| format!("write {}", path.display()))?;
    println!(
        "wrote {} and {}/",
        path.display(),
        dir.join(".sloe").display()
    );
    println!("next: record results with `sloe ingest FILE`, then `sloe check`");
    Ok(Outcome::Ok)
}
