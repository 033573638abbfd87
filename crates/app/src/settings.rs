//! Settings, loaded once: which config file, which environment, the config
//! it resolves to, where relative paths start, and how to open the store.

use std::path::{Path, PathBuf};

use sloe_core::config::{Config, ConfigError, Document, Syntax, did_you_mean};
use sloe_formats::Format;
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
        check_parse_formats(&doc, &shown)?;
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

/// Checks that every `[[benchmark]] parse` names a format sloe reads, in
/// the file and in each environment, as core checks the rest of
/// `[[benchmark]]`: core cannot, as it does not know the formats.
fn check_parse_formats(doc: &Document, file: &str) -> Result<(), ConfigError> {
    // The file's own benchmarks first, so an error an environment only
    // inherits is reported once, where it was written.
    let configs = std::iter::once(None).chain(doc.environments().map(Some));
    for env in configs {
        let config = doc.resolve(env)?;
        for (i, b) in config.benchmarks.iter().enumerate() {
            let Some(name) = &b.parse else {
                continue;
            };
            let Err(expected) = name.parse::<Format>() else {
                continue;
            };
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            let hint = did_you_mean(name, &names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            let key = match env {
                Some(env) => format!("env.{env}.benchmark[{i}].parse"),
                None => format!("benchmark[{i}].parse"),
            };
            return Err(ConfigError {
                file: file.to_owned(),
                line: None,
                column: None,
                key: Some(key),
                message: format!("benchmark `{}`: {expected}{hint}", b.name),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sloe_core::config::BenchmarkConfig;

    fn load(text: &str) -> Result<Settings> {
        Settings::from_text(text, Path::new("conf/sloe.toml"), None)
    }

    #[test]
    fn an_unknown_parse_format_is_refused_at_load() {
        let text = "[[benchmark]]\nname = \"ok\"\ncommand = \"true\"\nparse = \"criterion\"\n\n[[benchmark]]\nname = \"b\"\ncommand = \"true\"\nparse = \"critrion\"\n";
        let err = match load(text) {
            Ok(s) => panic!("expected an error, got {:?}", s.config.benchmarks),
            Err(e) => e,
        };
        assert!(matches!(err, AppError::Config(_)), "{err:?}");
        assert_eq!(err.exit_code(), 2);
        let shown = err.to_string();
        assert!(
            shown.starts_with("read config conf/sloe.toml: key `benchmark[1].parse`: benchmark `b`: unknown format \"critrion\"; expected one of ")
                && shown.contains("criterion, ")
                && shown.ends_with("(did you mean `criterion`?)"),
            "{shown}"
        );
    }

    #[test]
    fn an_environment_is_checked_too() {
        let text = "[[benchmark]]\nname = \"a\"\ncommand = \"true\"\nparse = \"gbench\"\n\n[env.ci]\nbenchmark = [{ name = \"a\", command = \"true\", parse = \"nope\" }]\n";
        let err = match load(text) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        };
        assert!(
            err.to_string().contains("key `env.ci.benchmark[0].parse`"),
            "{err}"
        );
    }

    #[test]
    fn every_known_format_is_accepted() {
        for format in Format::ALL {
            let text = format!(
                "[[benchmark]]\nname = \"a\"\ncommand = \"true\"\nparse = \"{}\"\n",
                format.name()
            );
            let settings = load(&text).unwrap_or_else(|e| panic!("{}: {e}", format.name()));
            assert_eq!(
                settings.config.benchmarks[0].parse.as_deref(),
                Some(format.name())
            );
        }
    }

    #[test]
    fn core_knows_the_runners_default_plan() {
        // Core checks min_runs against max_runs with the runner's defaults
        // for the one not set; they must be the runner's real defaults.
        let plan = sloe_runner::Plan::DEFAULT;
        assert_eq!(BenchmarkConfig::DEFAULT_MIN_RUNS, plan.min_runs);
        assert_eq!(BenchmarkConfig::DEFAULT_MAX_RUNS, plan.max_runs);
    }
}
