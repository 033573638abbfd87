//! Settings, loaded once: which config file, which environment, the config
//! it resolves to, where relative paths start, and how to open the store.

use std::path::{Path, PathBuf};

use sloe_core::config::{Config, Document, Syntax};
use sloe_store::Store;

use crate::{AppError, Result};

/// The config file read when none is named and `sloe.toml` exists.
pub const DEFAULT_CONFIG: &str = "sloe.toml";

/// Everything a use case needs to know about where it works.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    /// Directory the config's relative paths start from.
    pub base_dir: PathBuf,
    /// The environment selected with `--env`/`SLOE_ENV`.
    pub env: Option<String>,
    /// The config file read, if any (`None`: built-in defaults).
    pub path: Option<PathBuf>,
}

impl Settings {
    /// Loads the config at `path`, else `sloe.toml` when it exists, else
    /// the defaults, with the `[env.NAME]` overrides of `env` applied.
    pub fn load(path: Option<&Path>, env: Option<&str>) -> Result<Settings> {
        let env = env.filter(|e| !e.is_empty()).map(str::to_owned);
        let (path, explicit) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG), false),
        };
        if !explicit && !path.exists() {
            let doc = Document::parse("", DEFAULT_CONFIG, Syntax::Toml)?;
            return Ok(Settings {
                config: doc.resolve(env.as_deref())?,
                base_dir: PathBuf::from("."),
                env,
                path: None,
            });
        }
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| AppError::Input(format!("read config {shown}: {e}")))?;
        Settings::from_text(&text, &path, env)
    }

    /// Settings from a config's text, as if read from `path`.
    pub fn from_text(text: &str, path: &Path, env: Option<String>) -> Result<Settings> {
        let shown = path.display().to_string();
        let doc = Document::parse(text, &shown, Syntax::from_path(&shown))?;
        let config = doc.resolve(env.as_deref())?;
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Settings {
            config,
            base_dir,
            env,
            path: Some(path.to_path_buf()),
        })
    }

    /// Opens (creating when needed) the store the config names.
    pub fn open_store(&self) -> Result<Box<dyn Store>> {
        Ok(sloe_store::open(&self.config.store.url, &self.base_dir)?)
    }

    /// Where reports go: `flag` when given, else `report.out` beside the config.
    pub fn report_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map_or_else(
            || self.base_dir.join(&self.config.report.out),
            Path::to_path_buf,
        )
    }
}
