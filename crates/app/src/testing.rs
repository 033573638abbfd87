//! Test fixtures shared by the use cases' unit tests: a config, an
//! in-memory store and recorded runs at fixed times.

use jiff::Timestamp;
use sloe_core::{Direction, NewRun, RunContext, RunId, Series, Unit};
use sloe_store::{SqliteStore, Store};

use crate::Settings;

/// Settings from a config's text, as if read from `sloe.toml`.
pub fn settings(config: &str) -> Settings {
    Settings::from_text(config, std::path::Path::new("sloe.toml"), None).expect("config loads")
}

pub fn store() -> SqliteStore {
    SqliteStore::open_in_memory().expect("in-memory store")
}

/// 2026-11-01T00:00:00Z plus `minutes`.
pub fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_793_491_200 + minutes * 60).expect("a time")
}

/// Records a run of benchmark `parse`'s `wall_time` with `samples_ms`.
pub fn record(
    store: &dyn Store,
    branch: &str,
    commit: &str,
    minutes: i64,
    samples_ms: &[f64],
) -> RunId {
    store
        .insert_run(&NewRun {
            context: RunContext {
                commit: Some(commit.to_owned()),
                branch: Some(branch.to_owned()),
                testbed: Some("tb".to_owned()),
                environment: None,
                timestamp: at(minutes),
                ci: Default::default(),
                fingerprint: None,
            },
            series: vec![Series {
                benchmark: "parse".to_owned(),
                measure: "wall_time".to_owned(),
                unit: Unit::Milliseconds,
                direction: Direction::LowerIsBetter,
                values: samples_ms.iter().map(|ms| ms * 1e6).collect(),
                round_size: None,
            }],
        })
        .expect("records")
}

/// Five samples around `ms`, with a little within-run noise.
pub fn around(ms: f64) -> Vec<f64> {
    [0.99, 1.0, 1.01, 0.995, 1.005]
        .iter()
        .map(|f| ms * f)
        .collect()
}

/// Six runs of `main` at 100 ms ± 1 % run to run, commits `c0`..`c5`,
/// minutes 0..5.
pub fn main_history(store: &dyn Store) {
    for (i, level) in [100.0, 101.0, 99.0, 100.5, 99.5, 100.0].iter().enumerate() {
        record(store, "main", &format!("c{i}"), i as i64, &around(*level));
    }
}
