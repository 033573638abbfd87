//! sloe-core: the pure domain of sloe.
//!
//! Owns quantities with units, the config model and its validation, run and
//! sample types, statistics, budget evaluation, regression verdicts and the
//! report model. It performs no I/O: no files, processes, network, SQL or
//! clock (the current time is always passed in). Everything else in the
//! workspace depends on this crate; it depends on none of them.

pub mod budget;
pub mod changepoint;
pub mod config;
pub mod context;
pub mod evaluate;
pub mod fingerprint;
pub mod limits;
pub mod model;
pub mod moderation;
pub mod power;
pub mod regression;
pub mod report;
pub mod slo;
pub mod stats;
pub mod suggest;
pub mod units;

pub use fingerprint::Fingerprint;
pub use model::{
    Direction, NewRun, ResourcePoint, Run, RunContext, RunHeader, RunId, Series, SeriesKey,
    Timeline,
};
pub use units::{Dimension, Quantity, Unit};
