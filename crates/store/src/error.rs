//! What can go wrong with a store, in words a user can act on.

use std::fmt;
use std::path::PathBuf;

use jiff::Timestamp;
use sloe_core::model::RunId;

/// The error of a database driver, kept as the cause of a [`StoreError`].
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed. Messages are lowercase fragments that read
/// after "failed to", and name the store, the run or the series involved.
///
/// The driver's error is part of the message rather than a `source()`, so a
/// report that prints the whole chain does not repeat it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("read store URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },

    #[error("open SQLite store at {}: {cause}", path.display())]
    OpenSqlite { path: PathBuf, cause: Cause },

    #[error("connect to PostgreSQL store {store}: {cause}{hint}", hint = connect_hint(cause))]
    ConnectPostgres { store: String, cause: Cause },

    #[error(
        "migrate {store} to schema version {version} (migration {name}): {cause}; \
         the database's schema conflicts with this migration: was it changed by hand \
         or by another program?"
    )]
    Migrate {
        store: String,
        version: u32,
        /// The migration's file name without `.sql` (`0004_rounds`).
        name: String,
        /// The database's own words, without the migration's SQL text.
        cause: Cause,
    },

    #[error(
        "add sloe's tables to {store}: it already holds other tables ({tables}), so it is \
         not a sloe store; point `[store] url` (or --store) at a new file or database"
    )]
    ForeignTables {
        store: String,
        /// A few of the tables found, comma-separated (`…` when more).
        tables: String,
    },

    #[error(
        "write to {store}: the database file is damaged ({detail}); nothing more is written \
         to it. Restore it from a backup, or recover what can be read with \
         `sqlite3 {path} .recover | sqlite3 recovered.db` and point `[store] url` at the \
         recovered file", path = path.display()
    )]
    Damaged {
        store: String,
        path: PathBuf,
        detail: String,
    },

    #[error(
        "use {store}: its schema version {found} is newer than this sloe knows ({known}); upgrade sloe"
    )]
    SchemaTooNew {
        store: String,
        found: i64,
        known: u32,
    },

    #[error("{action} in {store}: {cause}")]
    Query {
        action: String,
        store: String,
        cause: Cause,
    },

    #[error("{action} in {store}: the stored data is not valid: {detail}")]
    Corrupt {
        action: String,
        store: String,
        detail: String,
    },

    #[error(
        "record run: series {benchmark}/{measure} has a non-finite sample ({value}) at index {index}"
    )]
    NonFiniteSample {
        benchmark: String,
        measure: String,
        index: usize,
        value: f64,
    },

    #[error(
        "record run: series {benchmark}/{measure} has {samples} samples, which rounds of {round_size} cannot hold; expected a round size above zero that divides the samples"
    )]
    BadRounds {
        benchmark: String,
        measure: String,
        samples: usize,
        round_size: u32,
    },

    #[error("record run: series {benchmark}/{measure} appears more than once in the run")]
    DuplicateSeries { benchmark: String, measure: String },

    #[error(
        "record run: timestamp {0} is outside the range the store keeps (1677-09-21 to 2262-04-11 UTC)"
    )]
    TimestampOutOfRange(Timestamp),

    #[error("record run: the {field} {value:?} holds a NUL character; expected text without NUL")]
    NulInText { field: String, value: String },

    #[error("record SLI events: {0}")]
    BadEvents(String),

    #[error("pin baseline: run {0} does not exist")]
    RunNotFound(RunId),

    #[error("record run: the resource timeline of {benchmark} {problem}")]
    BadTimeline { benchmark: String, problem: String },

    #[error("use {store}: the runtime shut down before the call ran")]
    ShutDown { store: String },

    /// The connection failed after COMMIT was sent: the server may have
    /// committed or not.
    #[error(
        "{action} in {store}: the connection failed after COMMIT was sent ({cause}), so whether it was recorded is unknown; {retry}"
    )]
    OutcomeUnknown {
        action: String,
        store: String,
        cause: Cause,
        retry: Retry,
    },

    /// No reply came in time: the network or the server stalled. The
    /// connection was closed, so the server rolls back what was not
    /// committed.
    #[error(
        "{action} in {store}: no reply within {}; the connection stalled and was closed, so nothing this call had not committed is kept; retry once the network or server is back{}",
        crate::postgres_store::written(*waited),
        stall_setting(statement_timeout.as_deref())
    )]
    Stalled {
        action: String,
        store: String,
        waited: std::time::Duration,
        statement_timeout: Option<String>,
    },

    /// The server ended a statement or the session at a `[store]` timeout.
    #[error(
        "{action} in {store}: {cause} ({setting} in [store]; raise it if the store is this slow or this busy)"
    )]
    ServerTimeout {
        action: String,
        store: String,
        setting: String,
        cause: Cause,
    },
}

fn stall_setting(statement_timeout: Option<&str>) -> String {
    match statement_timeout {
        Some(value) => format!(
            " (sloe waits statement_timeout = \"{value}\" in [store] plus {} for a reply; raise it if statements take this long)",
            crate::postgres_store::written(crate::postgres_store::REPLY_MARGIN)
        ),
        None => String::new(),
    }
}

/// What the message of [`StoreError::OutcomeUnknown`] advises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The run was recorded under its digest: running the same command
    /// again finds it if it was recorded, and records it once if not.
    Safe,
    /// Nothing tells a retry the run is there: look first.
    CheckFirst,
    /// SLI events, de-duplicated by their content: a retry skips those
    /// already recorded.
    Events,
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Retry::Safe => {
                "run the same command again: the retry is safe, it says so if the run was recorded and records it once if not"
            }
            Retry::CheckFirst => {
                "check `sloe history` for the run before recording it again"
            }
            Retry::Events => {
                "run the same command again: the retry is safe, events already recorded are skipped, so each counts once"
            }
        })
    }
}

/// A reply that never came, as the cause of an unknown outcome.
#[derive(Debug)]
pub(crate) struct Stall {
    pub waited: std::time::Duration,
    pub statement_timeout: Option<String>,
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no reply within {}{}",
            crate::postgres_store::written(self.waited),
            stall_setting(self.statement_timeout.as_deref())
        )
    }
}

impl std::error::Error for Stall {}

/// Up to three names, comma-separated, and `…` when `names` holds more.
pub(crate) fn few(names: Vec<String>) -> String {
    let more = names.len() > 3;
    let mut out = names.into_iter().take(3).collect::<Vec<_>>().join(", ");
    if more {
        out.push_str(", …");
    }
    out
}

fn connect_hint(cause: &Cause) -> &'static str {
    let text = cause.to_string();
    if text.contains("onnection refused") || text.contains("No such file or directory") {
        "; is the PostgreSQL server running and listening there?"
    } else {
        ""
    }
}

/// A failure inside a backend method, before it knows which action to name.
pub(crate) enum Fail<E> {
    Db(E),
    Corrupt(String),
    Store(StoreError),
    /// The connection failed after COMMIT was sent.
    Unknown(Cause),
    /// No reply within `waited`.
    Stalled {
        waited: std::time::Duration,
        statement_timeout: Option<String>,
    },
    /// The server enforced the `[store]` timeout `setting` (`key = "value"`).
    ServerTimeout {
        setting: String,
        cause: Cause,
    },
}

impl<E> Fail<E>
where
    E: IntoCause,
{
    pub(crate) fn into_store(self, action: impl fmt::Display, store: &str) -> StoreError {
        match self {
            Fail::Db(e) => StoreError::Query {
                action: action.to_string(),
                store: store.to_owned(),
                cause: e.into_cause(),
            },
            Fail::Corrupt(detail) => StoreError::Corrupt {
                action: action.to_string(),
                store: store.to_owned(),
                detail,
            },
            Fail::Store(e) => e,
            Fail::Unknown(cause) => StoreError::OutcomeUnknown {
                action: action.to_string(),
                store: store.to_owned(),
                cause,
                retry: Retry::CheckFirst,
            },
            Fail::Stalled {
                waited,
                statement_timeout,
            } => StoreError::Stalled {
                action: action.to_string(),
                store: store.to_owned(),
                waited,
                statement_timeout,
            },
            Fail::ServerTimeout { setting, cause } => StoreError::ServerTimeout {
                action: action.to_string(),
                store: store.to_owned(),
                setting,
                cause,
            },
        }
    }
}

impl From<rusqlite::Error> for Fail<rusqlite::Error> {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Db(e)
    }
}

/// A PostgreSQL error that says what went wrong: the driver's own message is
/// only its category ("db error", "error connecting to server"), the
/// server's message and the I/O error are its sources.
#[derive(Debug)]
pub(crate) struct PostgresCause(pub postgres::Error);

impl fmt::Display for PostgresCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(db) = self.0.as_db_error() {
            f.write_str(db.message())?;
            if let Some(detail) = db.detail() {
                write!(f, " ({detail})")?;
            }
            if let Some(hint) = db.hint() {
                write!(f, "; hint: {hint}")?;
            }
            return Ok(());
        }
        write!(f, "{}", self.0)?;
        let mut source = std::error::Error::source(&self.0);
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

impl std::error::Error for PostgresCause {}

/// A driver error as the cause of a [`StoreError`].
pub(crate) trait IntoCause {
    fn into_cause(self) -> Cause;
}

impl IntoCause for postgres::Error {
    fn into_cause(self) -> Cause {
        Box::new(PostgresCause(self))
    }
}

impl IntoCause for rusqlite::Error {
    fn into_cause(self) -> Cause {
        Box::new(self)
    }
}

impl From<postgres::Error> for Fail<postgres::Error> {
    fn from(e: postgres::Error) -> Self {
        Fail::Db(e)
    }
}

impl<E> From<StoreError> for Fail<E> {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}
