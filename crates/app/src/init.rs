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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_starter_config_once_unless_forced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("sloe.toml");
        let written = init(&config, false).expect("writes");
        assert_eq!(written.state_dir, dir.path().join(".sloe"));
        assert_eq!(
            std::fs::read_to_string(&config).expect("config"),
            STARTER_CONFIG
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".sloe/.gitignore")).expect("gitignore"),
            "*\n"
        );
        std::fs::write(&config, "# mine\n").expect("edits");
        let e = init(&config, false).expect_err("exists");
        assert!(matches!(e, AppError::ConfigExists { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&config).expect("kept"), "# mine\n");
        init(&config, true).expect("forced");
        assert_eq!(
            std::fs::read_to_string(&config).expect("config"),
            STARTER_CONFIG
        );
    }
}
