//! Settings, loaded once: which config file (the nearest `sloe.toml`, as
//! git and cargo find theirs), which environment, the config it resolves
//! to, where relative paths start, and how to open the store, never
//! creating one silently outside a project.

use std::path::{Path, PathBuf};

use sloe_core::config::{Config, ConfigError, Document, Syntax, did_you_mean};
use sloe_formats::Format;
use sloe_store::{Store, StoreLocation};

use crate::init::{Initialized, init};
use crate::{AppError, Result};

/// The config file looked for in the current folder and its parents when
/// none is named.
pub const DEFAULT_CONFIG: &str = "sloe.toml";

/// Where settings come from: the global flags (or their variables).
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    /// The folder sloe runs in, where the search starts: the process's
    /// current folder, as relative paths are read from it.
    pub here: &'a Path,
    /// `--config`/`SLOE_CONFIG`: this file, no search.
    pub config: Option<&'a Path>,
    /// `--env`/`SLOE_ENV`.
    pub env: Option<&'a str>,
    /// `--store`/`SLOE_STORE`: this store instead of the config's; a
    /// relative path starts in the current folder, where it was typed.
    pub store: Option<&'a str>,
    /// `--init`: start a project in the current folder when none is found.
    pub init: bool,
}

/// What [`Settings::find`] found, and the project it started if asked to.
#[derive(Debug, Clone)]
pub struct Found {
    pub settings: Settings,
    /// The `sloe.toml` and `.sloe/` that `--init` wrote.
    pub started: Option<Initialized>,
}

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
    /// The folder searched from when no config was found and no store was
    /// named: sloe runs outside a project, where it creates no store.
    pub outside_project: Option<PathBuf>,
    /// Where a relative store path starts: the config's folder, or the
    /// current one outside a project and for `--store`.
    store_dir: PathBuf,
}

impl Settings {
    /// Loads the config at `path`, else the nearest `sloe.toml` from the
    /// current folder up, else the defaults (outside a project), with the
    /// `[env.NAME]` overrides of `env` applied.
    pub fn load(path: Option<&Path>, env: Option<&str>) -> Result<Settings> {
        let here = current_dir()?;
        let lookup = Lookup {
            here: &here,
            config: path,
            env,
            store: None,
            init: false,
        };
        Ok(Settings::find(&lookup)?.settings)
    }

    /// The settings `lookup` names: its config file, else the nearest
    /// `sloe.toml` from `here` up, else (with `init`) a new project here,
    /// else the defaults, outside a project.
    pub fn find(lookup: &Lookup<'_>) -> Result<Found> {
        let env = lookup.env.filter(|e| !e.is_empty()).map(str::to_owned);
        let here = lookup.here.to_path_buf();
        let path = match lookup.config {
            Some(p) => Some(p.to_path_buf()),
            None => nearest_config(&here),
        };
        let (mut settings, started) = match path {
            Some(path) => (Settings::read(&path, env)?, None),
            None if lookup.init => {
                let started = init(Path::new(DEFAULT_CONFIG), false)?;
                (Settings::read(&started.config, env)?, Some(started))
            }
            None => (Settings::outside(here.clone(), env)?, None),
        };
        if let Some(url) = lookup.store {
            settings.config.store.url = url.to_owned();
            settings.store_dir = here;
            settings.outside_project = None;
        }
        Ok(Found { settings, started })
    }

    /// The defaults, outside a project in folder `here`.
    fn outside(here: PathBuf, env: Option<String>) -> Result<Settings> {
        let doc = Document::parse("", DEFAULT_CONFIG, Syntax::Toml)?;
        Ok(Settings {
            config: doc.resolve(env.as_deref())?,
            base_dir: PathBuf::from("."),
            env,
            path: None,
            store_dir: here.clone(),
            outside_project: Some(here),
        })
    }

    fn read(path: &Path, env: Option<String>) -> Result<Settings> {
        let shown = path.display().to_string();
        let text = read_limited(path).map_err(|e| match e {
            Limited::Io(e) => AppError::Input(format!("read config {shown}: {e}")),
            Limited::Over(e) => AppError::Config(ConfigError {
                file: shown.clone(),
                line: e.line,
                column: e.column,
                key: None,
                message: e.message,
            }),
        })?;
        Settings::from_text(&text, path, env)
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
            store_dir: base_dir.clone(),
            base_dir,
            env,
            path: Some(path.to_path_buf()),
            outside_project: None,
        })
    }

    /// Opens the store to record into, creating it when needed; outside a
    /// project it refuses to create one, saying where it would have.
    pub fn open_store(&self) -> Result<Box<dyn Store>> {
        self.check_can_record()?;
        self.open()
    }

    /// Refuses, before anything is measured, to record outside a project
    /// where no store exists yet, saying where one would be created.
    pub fn check_can_record(&self) -> Result<()> {
        if let Some(here) = &self.outside_project
            && let Some(file) = self.missing_store_file()?
        {
            return Err(AppError::Usage(format!(
                "record outside a project: there is no {DEFAULT_CONFIG} in {} or a parent folder, \
                 and recording here would create a new store at {}; \
                 pass --init to start a project here ({DEFAULT_CONFIG} and .sloe/), \
                 or name one with --config PATH or --store URL",
                here.display(),
                file.display()
            )));
        }
        Ok(())
    }

    /// Opens the store to read from, read-only (a SQLite file in a folder
    /// sloe may not write can still be read; see
    /// `sloe_store::SqliteStore::open_read_only`); outside a project, where
    /// there is no store yet, it says that nothing is recorded rather than
    /// create one.
    pub fn open_store_to_read(&self) -> Result<Box<dyn Store>> {
        self.refuse_reading_outside()?;
        self.open_to_read()
    }

    /// Outside a project where no store exists: nothing is recorded here.
    fn refuse_reading_outside(&self) -> Result<()> {
        if let Some(here) = &self.outside_project
            && self.missing_store_file()?.is_some()
        {
            return Err(AppError::Usage(format!(
                "read recorded runs: nothing is recorded here, as there is no {DEFAULT_CONFIG} in {} \
                 or a parent folder; run sloe inside a project (`sloe init` starts one), \
                 or name one with --config PATH or --store URL",
                here.display()
            )));
        }
        Ok(())
    }

    /// Opens the store to change what is recorded in it (unpin a
    /// baseline): to write, but outside a project, where nothing is
    /// recorded, it says so as [`Settings::open_store_to_read`] does
    /// rather than create a store to change nothing in.
    pub fn open_store_to_change(&self) -> Result<Box<dyn Store>> {
        self.refuse_reading_outside()?;
        self.open_store()
    }

    /// Opens the store only when it exists, read-only: `None` for a SQLite
    /// file not created yet (nothing is recorded, and nothing is created).
    /// For judging what is never recorded (`sloe check FILE`).
    pub fn open_existing_store(&self) -> Result<Option<Box<dyn Store>>> {
        if self.missing_store_file()?.is_some() {
            return Ok(None);
        }
        self.open_to_read().map(Some)
    }

    fn open(&self) -> Result<Box<dyn Store>> {
        Ok(sloe_store::open_with(
            &self.config.store.url,
            &self.store_dir,
            &self.timeouts(),
        )?)
    }

    /// `[store]`'s timeouts, for every PostgreSQL connection.
    fn timeouts(&self) -> sloe_store::PostgresTimeouts {
        let store = &self.config.store;
        sloe_store::PostgresTimeouts {
            connect: store.connect_timeout.limit(),
            statement: store.statement_timeout.limit(),
            lock: store.lock_timeout.limit(),
            idle_in_transaction: store.idle_in_transaction_timeout.limit(),
            network: store.network_timeout.limit(),
        }
    }

    fn open_to_read(&self) -> Result<Box<dyn Store>> {
        // A store that does not exist yet (inside a project) is created as
        // before, so that reading an empty history is not an error.
        if self.missing_store_file()?.is_some() {
            return self.open();
        }
        Ok(sloe_store::open_to_read(
            &self.config.store.url,
            &self.store_dir,
            &self.timeouts(),
        )?)
    }

    /// The SQLite file the store would be created as, when it does not
    /// exist yet; a store that already exists is used wherever it is.
    fn missing_store_file(&self) -> Result<Option<PathBuf>> {
        let location = StoreLocation::parse(&self.config.store.url, &self.store_dir)?;
        let StoreLocation::Sqlite(file) = location else {
            return Ok(None);
        };
        Ok((!file.exists()).then_some(file))
    }

    /// Where reports go: `flag` when given, else `report.out` beside the config.
    pub fn report_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map_or_else(
            || self.base_dir.join(&self.config.report.out),
            Path::to_path_buf,
        )
    }
}

/// The process's current folder, where sloe runs.
pub fn current_dir() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| AppError::Input(format!("find the current folder: {e}")))
}

/// The nearest `sloe.toml` from `here` up, as a path from `here` (like
/// `../../sloe.toml`) so messages and relative paths read as before.
pub fn nearest_config(here: &Path) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for dir in here.ancestors() {
        if dir.join(DEFAULT_CONFIG).is_file() {
            return Some(rel.join(DEFAULT_CONFIG));
        }
        rel.push("..");
    }
    None
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

/// Why a config or spec file could not be read.
pub(crate) enum Limited {
    Io(std::io::Error),
    Over(sloe_core::limits::OverLimit),
}

/// Reads a config or SLO spec file as text, refusing one over
/// [`sloe_core::limits::MAX_TEXT_BYTES`] without reading past the limit.
pub(crate) fn read_limited(path: &Path) -> std::result::Result<String, Limited> {
    use std::io::Read;
    let limit = sloe_core::limits::MAX_TEXT_BYTES;
    let file = std::fs::File::open(path).map_err(Limited::Io)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(Limited::Io)?;
    sloe_core::limits::check_size(bytes.len()).map_err(Limited::Over)?;
    String::from_utf8(bytes)
        .map_err(|e| Limited::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
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

    /// A temporary folder no `sloe.toml` above it could make a project of.
    fn outside_any_project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            nearest_config(dir.path()),
            None,
            "a sloe.toml above the temp folder makes it a project"
        );
        dir
    }

    #[test]
    fn the_nearest_config_is_found_upward_as_a_path_from_here() {
        let root = outside_any_project();
        let deep = root.path().join("a/b/c");
        std::fs::create_dir_all(&deep).expect("folders");
        assert_eq!(nearest_config(&deep), None);
        std::fs::write(root.path().join("sloe.toml"), "").expect("outer config");
        assert_eq!(
            nearest_config(&deep),
            Some(PathBuf::from("../../../sloe.toml"))
        );
        std::fs::write(root.path().join("a/b/sloe.toml"), "").expect("inner config");
        assert_eq!(nearest_config(&deep), Some(PathBuf::from("../sloe.toml")));
        assert_eq!(
            nearest_config(&root.path().join("a/b")),
            Some(PathBuf::from("sloe.toml"))
        );
        // A folder named sloe.toml is not a config.
        std::fs::create_dir(deep.join("sloe.toml")).expect("folder");
        assert_eq!(nearest_config(&deep), Some(PathBuf::from("../sloe.toml")));
    }

    #[test]
    fn outside_a_project_no_store_is_created() {
        let dir = outside_any_project();
        let settings = Settings::outside(dir.path().to_path_buf(), None).expect("defaults");
        let err = match settings.open_store() {
            Ok(_) => panic!("recording outside a project must be refused"),
            Err(e) => e,
        };
        assert_eq!(err.exit_code(), 2);
        let shown = err.to_string();
        let store = dir.path().join(".sloe/history.db");
        assert!(
            shown.contains(&format!("would create a new store at {}", store.display())),
            "{shown}"
        );
        let err = match settings.open_store_to_read() {
            Ok(_) => panic!("reading outside a project must say nothing is recorded"),
            Err(e) => e,
        };
        assert!(
            err.to_string().contains("nothing is recorded here"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("list").count(),
            0,
            "nothing may be created"
        );
    }

    #[test]
    fn outside_a_project_an_existing_store_is_used() {
        let dir = outside_any_project();
        let store = dir.path().join(".sloe/history.db");
        std::fs::create_dir(dir.path().join(".sloe")).expect("state dir");
        drop(sloe_store::SqliteStore::open(&store).expect("create store"));
        let settings = Settings::outside(dir.path().to_path_buf(), None).expect("defaults");
        settings
            .open_store()
            .expect("records into the existing store");
        settings
            .open_store_to_read()
            .expect("reads the existing store");
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
