//! Starting a project: a commented config and the `.sloe/` directory the
//! store lives in, kept out of git.

use std::path::{Path, PathBuf};

use sloe_core::config::STARTER_CONFIG;

use crate::files::write_atomic;
use crate::{AppError, Result};

/// What [`init`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialized {
    pub config: PathBuf,
    pub state_dir: PathBuf,
}

/// Writes the starter config to `config` (refusing to overwrite one unless
/// `force`) and `.sloe/` with a `.gitignore` beside it.
pub fn init(config: &Path, force: bool) -> Result<Initialized> {
    if config.exists() && !force {
        return Err(AppError::ConfigExists {
            path: config.display().to_string(),
        });
    }
    let dir = config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let state_dir = dir.join(".sloe");
    write_atomic(&state_dir.join(".gitignore"), b"*\n")?;
    write_atomic(config, STARTER_CONFIG.as_bytes())?;
    Ok(Initialized {
        config: config.to_path_buf(),
        state_dir,
    })
}
