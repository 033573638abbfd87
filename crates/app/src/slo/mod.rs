//! The SLO use cases: load specs (files, folders or the config's `[[slo]]`),
//! generate Prometheus rules, assemble the status of every SLO whatever
//! its SLI, and ingest SLI events.

pub mod ingest;
pub mod specs;
pub mod status;

pub use ingest::{EventInput, IngestOptions, IngestSummary, ingest_events};
pub use specs::{Loaded, RulesOutput, load, load_or_config, rules};
pub use status::{Skipped, StatusOptions, StatusOutcome, status};
