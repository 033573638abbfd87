//! The one user-facing error type at the app boundary. Every case names the
//! exit code the CLI ends with and the HTTP status the server answers with,
//! so no front end inspects messages or downcasts.
//!
//! Messages are lowercase fragments that read after "failed to".

use sloe_core::config::ConfigError;
use sloe_core::slo::spec::SpecError;
use sloe_store::StoreError;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// What went wrong, from the user's side of the boundary.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Flags, query parameters or arguments that make no sense together.
    #[error("{0}")]
    Usage(String),
    /// The config file could not be read or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An SLO spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// Input (a results file, an events file, a request body) is unreadable
    /// or invalid; the message names the file, line and field.
    #[error("{0}")]
    Input(String),
    /// The store holds no run with this id.
    #[error("find run {id} in {store}: there is no such run (see `sloe history`)")]
    NoSuchRun { id: i64, store: String },
    /// The store holds no runs at all.
    #[error(
        "find a run to check: the store {store} has no runs yet; record one with `sloe ingest FILE`"
    )]
    NoRuns { store: String },
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A measured command failed or could not start.
    #[error("{0}")]
    Measurement(String),
    /// A file the use case writes (a report) could not be written.
    #[error("write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A remote dependency (Prometheus) could not be asked.
    #[error("{0}")]
    Upstream(String),
    /// The user pressed Ctrl-C (or the process got SIGTERM) mid-work.
    #[error("finish: interrupted")]
    Interrupted,
}

impl AppError {
    /// The exit code of the `sloe` binary for this error: 130 after Ctrl-C
    /// (like a shell), 2 for everything else (bad usage, config or input, a
    /// failed command, a store that cannot be used).
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Interrupted => 130,
            _ => 2,
        }
    }

    /// The HTTP status `sloe serve` answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Usage(_) => 400,
            AppError::Config(_) | AppError::Spec(_) | AppError::Input(_) => 422,
            AppError::NoSuchRun { .. } | AppError::NoRuns { .. } => 404,
            AppError::Upstream(_) => 502,
            AppError::Interrupted => 503,
            AppError::Store(_)
            | AppError::Measurement(_)
            | AppError::Write { .. } => 500,
        }
    }

    /// A stable machine-readable name for the case (the `code` of a problem
    /// document).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Usage(_) => "bad_request",
            AppError::Config(_) => "invalid_config",
            AppError::Spec(_) => "invalid_slo_spec",
            AppError::Input(_) => "invalid_input",
            AppError::NoSuchRun { .. } => "run_not_found",
            AppError::NoRuns { .. } => "no_runs",
            AppError::Store(_) => "store_error",
            AppError::Measurement(_) => "measurement_failed",
            AppError::Write { .. } => "write_failed",
            AppError::Upstream(_) => "upstream_error",
            AppError::Interrupted => "interrupted",
        }
    }
}
