//! Runs and samples: what gets recorded.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;
use crate::units::{Dimension, Unit};

/// Which way is better for a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Lower is better (times, memory, sizes).
    LowerIsBetter,
    /// Higher is better (throughput).
    HigherIsBetter,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::LowerIsBetter => "lower_is_better",
            Direction::HigherIsBetter => "higher_is_better",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "lower_is_better" | "lower" => Some(Direction::LowerIsBetter),
            "higher_is_better" | "higher" => Some(Direction::HigherIsBetter),
            _ => None,
        }
    }

    /// The direction a measure has when nothing says otherwise: rates and
    /// throughput are higher-is-better, everything else lower-is-better.
    pub fn default_for(measure: &str, unit: &Unit) -> Direction {
        if unit.dimension() == Some(Dimension::Rate)
            || measure == "throughput"
            || measure.ends_with("_per_second")
            || measure.ends_with("/s")
        {
            Direction::HigherIsBetter
        } else {
            Direction::LowerIsBetter
        }
    }
}

/// A run's database identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where and when a run happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub environment: Option<String>,
    pub timestamp: Timestamp,
    /// CI metadata (provider, pipeline and job ids, repository, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ci: BTreeMap<String, String>,
    /// The machine, OS and toolchains the run was measured with; `None`
    /// for runs recorded before sloe kept it. Boxed: most code moves
    /// contexts around without looking at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Box<Fingerprint>>,
}

/// The samples of one (benchmark, measure) in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub benchmark: String,
    pub measure: String,
    /// The unit the values were reported in; values themselves are canonical.
    pub unit: Unit,
    pub direction: Direction,
    /// Samples in the canonical unit of `unit`'s dimension.
    pub values: Vec<f64>,
    /// When the samples come from several measurement rounds of the same
    /// size (`sloe run`'s confirmation), the samples per round: `values` is
    /// then round 1's samples, then round 2's, and so on. `None` is one
    /// round. The regression test judges each round as its own run
    /// (`regression::against_history_runs`).
    pub round_size: Option<u32>,
}

/// The suffix of the benchmark under which A/B mode records the baseline
/// side (A) of benchmark `x`: `x@baseline`. A run that holds both `x` and
/// `x@baseline` for a measure is judged on their paired executions
/// (`regression::against_paired`), and `x@baseline` gets no verdict of its
/// own.
pub const AB_BASELINE_SUFFIX: &str = "@baseline";

impl Series {
    /// The samples split into their measurement rounds; one round unless
    /// `round_size` divides the samples into several.
    pub fn rounds(&self) -> Vec<&[f64]> {
        match self.round_size.map(|k| k as usize) {
            Some(k) if k > 0 && self.values.len() > k && self.values.len().is_multiple_of(k) => {
                self.values.chunks(k).collect()
            }
            _ => vec![self.values.as_slice()],
        }
    }

    /// The key that identifies this series across runs.
    pub fn key(&self) -> SeriesKey {
        SeriesKey {
            benchmark: self.benchmark.clone(),
            measure: self.measure.clone(),
        }
    }
}

/// (benchmark, measure): a series' identity across runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    pub benchmark: String,
    pub measure: String,
}

/// A run to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub context: RunContext,
    pub series: Vec<Series>,
}

/// CPU and memory of a benchmark's process tree over one execution, as
/// `sloe run` samples them (`sample_interval`); kept with the run for
/// reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub benchmark: String,
    pub points: Vec<ResourcePoint>,
}

/// One sample of a [`Timeline`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResourcePoint {
    /// Milliseconds since the execution started.
    pub at_ms: f64,
    /// CPU use over the interval ending here; 100 = one core busy.
    pub cpu_percent: f64,
    /// Resident memory of the process tree, bytes.
    pub rss: u64,
}

/// A recorded run without its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct RunHeader {
    pub id: RunId,
    pub context: RunContext,
    pub recorded_at: Timestamp,
}

/// A recorded run with its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub header: RunHeader,
    pub series: Vec<Series>,
}
