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
    /// The user pressed Ctrl-C, or the process got SIGTERM or SIGHUP,
    /// mid-run: the runner killed the benchmark's processes before anything
    /// was recorded.
    #[error(
        "finish the run: interrupted by {by}; the benchmark's processes were killed and nothing was recorded"
    )]
    Interrupted { by: sloe_runner::interrupt::Caught },
    /// A results file (or standard input) could not be read.
    #[error("read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A results file is not in the format it claims or was detected as.
    #[error(transparent)]
    Format(#[from] sloe_formats::FormatError),
    /// A directory a use case writes into could not be created.
    #[error("create directory {path}: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// GitHub's step summary file could not be appended to.
    #[error("append to $GITHUB_STEP_SUMMARY {path}: {source}")]
    StepSummary {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The pinned baseline names a run the store no longer holds.
    #[error("read pinned baseline run {id}: it is missing from the store")]
    PinnedRunMissing { id: i64 },
    /// A baseline cannot be pinned: the store holds no runs.
    #[error("pin a baseline: the store {store} has no runs yet")]
    NothingToPin { store: String },
    /// A baseline cannot be pinned: the store holds no run with this id.
    #[error("pin run {id} as the baseline: there is no such run (see `sloe history`)")]
    NoSuchRunToPin { id: i64 },
    /// `sloe init` would overwrite a config.
    #[error("write {path}: it already exists (pass --force to overwrite)")]
    ConfigExists { path: String },
    /// SLO specs are invalid: every error found, in the order read (never
    /// empty). The message is the first; a front end lists the others.
    #[error("{}", specs_message(.0))]
    Specs(Vec<SpecError>),
}

fn specs_message(errors: &[SpecError]) -> String {
    match errors {
        [] => "read SLO specs: no error recorded".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more spec errors)", rest.len()),
    }
}

/// The exit code when a write's outcome is unknown (the connection failed
/// after COMMIT was sent): `EX_TEMPFAIL` of sysexits.h, "try again later".
pub const OUTCOME_UNKNOWN_EXIT: u8 = 75;

impl AppError {
    /// The exit code of the `sloe` binary for this error: 128 plus the
    /// signal's number after a stop signal (like a shell: 130 after Ctrl-C,
    /// 143 after SIGTERM, 129 after SIGHUP), 75 when a write's outcome is
    /// unknown (retry), 2 for everything else (bad usage, config or input, a
    /// failed command, a store that cannot be used).
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Interrupted { by } => u8::try_from(128 + by.number()).unwrap_or(130),
            AppError::Store(StoreError::OutcomeUnknown { .. }) => OUTCOME_UNKNOWN_EXIT,
            AppError::Usage(_)
            | AppError::Config(_)
            | AppError::Spec(_)
            | AppError::Specs(_)
            | AppError::Input(_)
            | AppError::Format(_)
            | AppError::Read { .. }
            | AppError::NoSuchRun { .. }
            | AppError::NoRuns { .. }
            | AppError::NothingToPin { .. }
            | AppError::NoSuchRunToPin { .. }
            | AppError::PinnedRunMissing { .. }
            | AppError::ConfigExists { .. }
            | AppError::Store(_)
            | AppError::Measurement(_)
            | AppError::Write { .. }
            | AppError::CreateDir { .. }
            | AppError::StepSummary { .. }
            | AppError::Upstream(_) => 2,
        }
    }

    /// The HTTP status `sloe serve` answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Usage(_) => 400,
            AppError::Config(_)
            | AppError::Spec(_)
            | AppError::Specs(_)
            | AppError::Input(_)
            | AppError::Format(_) => 422,
            AppError::NoSuchRun { .. }
            | AppError::NoRuns { .. }
            | AppError::NothingToPin { .. }
            | AppError::NoSuchRunToPin { .. } => 404,
            AppError::ConfigExists { .. } => 409,
            AppError::Upstream(_) => 502,
            AppError::Interrupted { .. } | AppError::Store(StoreError::OutcomeUnknown { .. }) => {
                503
            }
            AppError::Store(_)
            | AppError::Measurement(_)
            | AppError::Write { .. }
            | AppError::Read { .. }
            | AppError::CreateDir { .. }
            | AppError::StepSummary { .. }
            | AppError::PinnedRunMissing { .. } => 500,
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
            AppError::Store(StoreError::OutcomeUnknown { .. }) => "outcome_unknown",
            AppError::Store(_) => "store_error",
            AppError::Measurement(_) => "measurement_failed",
            AppError::Write { .. } => "write_failed",
            AppError::Upstream(_) => "upstream_error",
            AppError::Interrupted { .. } => "interrupted",
            AppError::Read { .. } => "read_failed",
            AppError::Format(_) => "invalid_results",
            AppError::CreateDir { .. } => "create_dir_failed",
            AppError::StepSummary { .. } => "step_summary_failed",
            AppError::PinnedRunMissing { .. } => "pinned_run_missing",
            AppError::NothingToPin { .. } => "no_runs",
            AppError::NoSuchRunToPin { .. } => "run_not_found",
            AppError::ConfigExists { .. } => "config_exists",
            AppError::Specs(_) => "invalid_slo_spec",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_case_names_its_exit_code_and_status() {
        let cases = [
            (
                AppError::Interrupted {
                    by: sloe_runner::interrupt::Caught::Interrupt,
                },
                130,
                503,
                "interrupted",
            ),
            (
                AppError::Interrupted {
                    by: sloe_runner::interrupt::Caught::Terminate,
                },
                143,
                503,
                "interrupted",
            ),
            (
                AppError::Interrupted {
                    by: sloe_runner::interrupt::Caught::HangUp,
                },
                129,
                503,
                "interrupted",
            ),
            (AppError::Usage("x".into()), 2, 400, "bad_request"),
            (AppError::Input("x".into()), 2, 422, "invalid_input"),
            (
                AppError::NoSuchRun {
                    id: 7,
                    store: "s".into(),
                },
                2,
                404,
                "run_not_found",
            ),
            (AppError::Upstream("x".into()), 2, 502, "upstream_error"),
            (
                AppError::Store(StoreError::OutcomeUnknown {
                    action: "record run".into(),
                    store: "s".into(),
                    cause: "connection closed".into(),
                    retry: sloe_store::Retry::Safe,
                }),
                75,
                503,
                "outcome_unknown",
            ),
            (
                AppError::ConfigExists { path: "p".into() },
                2,
                409,
                "config_exists",
            ),
        ];
        for (e, exit, status, code) in cases {
            assert_eq!(
                (e.exit_code(), e.http_status(), e.code()),
                (exit, status, code),
                "{e}"
            );
        }
    }

    #[test]
    fn messages_read_after_failed_to() {
        let e = AppError::NoSuchRun {
            id: 7,
            store: "sqlite .sloe/history.db".into(),
        };
        assert_eq!(
            format!("failed to {e}"),
            "failed to find run 7 in sqlite .sloe/history.db: there is no such run (see `sloe history`)"
        );
    }
}
