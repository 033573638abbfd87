//! Shared by the run use cases' unit tests: settings from a config text, a
//! run context at a given minute, wall-time series, and a judge that
//! evaluates against a fixed in-memory history.

use std::collections::BTreeMap;

use sloe_core::evaluate::{Baseline, evaluate};
use sloe_core::report::Report;
use sloe_core::{Direction, Run, RunContext, RunHeader, RunId, Series, SeriesKey, Unit};

use sloe_runner::{Invocation, Plan, Program};

use super::plan::{DEFAULT_SUSTAINED_WINDOW, Job, Mode};
use crate::Settings;

/// A job timing the program `name`, `runs` exact runs without warm-up.
pub fn timed_job(name: &str, runs: u32) -> Job {
    Job {
        name: name.to_owned(),
        invocation: Invocation::new(Program::Argv(vec![name.to_owned()])),
        prepare: None,
        cleanup: None,
        mode: Mode::Timed(Plan::exact(runs, 0)),
        sustained_window: DEFAULT_SUSTAINED_WINDOW,
    }
}

pub fn settings(config: &str) -> Settings {
    Settings::from_text(config, std::path::Path::new("sloe.toml"), None).expect("config resolves")
}

pub fn context(minutes: i64) -> RunContext {
    RunContext {
        commit: None,
        branch: Some("main".to_owned()),
        testbed: Some("tb".to_owned()),
        environment: None,
        timestamp: jiff::Timestamp::from_second(1_700_000_000 + 60 * minutes).expect("timestamp"),
        ci: Default::default(),
        fingerprint: None,
    }
}

pub fn wall_series(benchmark: &str, ms: &[f64]) -> Series {
    Series {
        benchmark: benchmark.to_owned(),
        measure: "wall_time".to_owned(),
        unit: Unit::parse("ms"),
        direction: Direction::LowerIsBetter,
        values: ms.iter().map(|v| v * 1e6).collect(),
        round_size: None,
    }
}

/// An unrecorded run of `series` at minute `minutes`.
pub fn provisional(series: Vec<Series>, minutes: i64) -> Run {
    let ctx = context(minutes);
    Run {
        header: RunHeader {
            id: RunId(-1),
            recorded_at: ctx.timestamp,
            context: ctx,
        },
        series,
    }
}

/// Ten baseline runs of the wall time of `benchmarks`, with 2 % run-to-run
/// noise around 100 ms (newest first, as the store gives them).
pub fn history(benchmarks: &[&str]) -> Baseline {
    let levels = [
        100.0, 104.0, 96.0, 102.0, 98.0, 101.0, 99.0, 103.0, 97.0, 100.0,
    ];
    let runs: Vec<Vec<f64>> = levels
        .iter()
        .rev()
        .map(|level| {
            [0.99, 0.995, 1.0, 1.005, 1.01]
                .iter()
                .map(|f| level * f * 1e6)
                .collect()
        })
        .collect();
    let runs: BTreeMap<SeriesKey, Vec<Vec<f64>>> = benchmarks
        .iter()
        .map(|b| (wall_series(b, &[]).key(), runs.clone()))
        .collect();
    Baseline::History {
        description: "ten runs".to_owned(),
        runs,
    }
}

pub fn judge(settings: &Settings, run: &Run, baseline: &Baseline) -> Report {
    evaluate(&settings.config, run, baseline, "test")
}

pub fn wall_verdict(report: &Report, benchmark: &str) -> sloe_core::regression::Regression {
    report
        .results
        .iter()
        .find(|r| r.benchmark == benchmark && r.measure == "wall_time")
        .map(|r| r.regression)
        .expect("a wall_time result")
}
