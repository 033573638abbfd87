//! From flags to resolved settings: which config file, which environment,
//! which store.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use sloe_core::config::{Config, Document, Syntax};
use sloe_store::Store;

use crate::args::Global;

pub const DEFAULT_CONFIG: &str = "sloe.toml";

/// Everything a command needs to know about where it works.
#[derive(Debug)]
pub struct Settings {
    pub config: Config,
    /// Directory the config's relative paths start from.
    pub base_dir: PathBuf,
    /// The environment selected with `--env`/`SLOE_ENV`.
    pub env: Option<String>,
}

impl Settings {
    /// Loads the config named by `--config`, else `sloe.toml` when it
    /// exists, else the defaults.
    pub fn load(global: &Global) -> Result<Settings> {
        let env = global.env.clone().filter(|e| !e.is_empty());
        let (path, explicit) = match &global.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_CONFIG), false),
        };
        if !explicit && !path.exists() {
            let doc = Document::parse("", DEFAULT_CONFIG, Syntax::Toml)?;
            return Ok(Settings {
                config: doc.resolve(env.as_deref())?,
                base_dir: PathBuf::from("."),
                env,
            });
        }
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(&path).map_err(|e| anyhow!("read config {shown}: {e}"))?;
        let doc = Document::parse(&text, &shown, Syntax::from_path(&shown))?;
        let config = doc.resolve(env.as_deref())?;
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Settings {
            config,
            base_dir,
            env,
        })
    }

    pub fn open_store(&self) -> Result<Box<dyn Store>> {
        Ok(sloe_store::open(&self.config.store.url, &self.base_dir)?)
    }

    pub fn report_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map_or_else(
            || self.base_dir.join(&self.config.report.out),
            Path::to_path_buf,
        )
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a
/// reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("create directory {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("sloe"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("write {}", path.display()))?;
    Ok(())
}
