//! sloe's use cases, shared by the `sloe` CLI and `sloe serve`: load
//! settings, resolve a run's context, ingest results and SLI events, judge
//! a run, produce the outputs of a check, SLO specs and status, history,
//! budget suggestions.
//!
//! Synchronous and free of flags, terminals and HTTP: a front end parses
//! what it was given, calls one function here, and renders what comes
//! back. Time comes from a [`Clock`] passed in; errors are [`AppError`],
//! whose every case names its exit code and HTTP status. Depends on the
//! library crates (core, formats, store, runner, report, promql), never on
//! a front end.

pub mod baseline;
pub mod check;
pub mod clock;
pub mod context;
pub mod error;
pub mod files;
pub mod history;
pub mod ingest;
pub mod init;
pub mod outputs;
pub mod run;
pub mod settings;
pub mod slo;
pub mod suggest;
#[cfg(test)]
mod testing;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{AppError, Result};

pub use settings::Settings;
