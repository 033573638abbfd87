//! The report model: what `sloe check` concluded, in the shape of the
//! report JSON contract (`sloe.report/v1`). Field names here are a contract
//! that users' CI scripts read: add fields, never rename them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::budget::{Severity, Status};
use crate::fingerprint::Fingerprint;
use crate::regression::{Noise, Regression};

pub const REPORT_SCHEMA: &str = "sloe.report/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub metadata: Metadata,
    pub summary: Summary,
    pub results: Vec<ResultEntry>,
    pub violations: Vec<Finding>,
    pub recommendations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub timestamp: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub environment: Option<String>,
    pub sloe_version: String,
    /// The run judged.
    pub run_id: i64,
    /// What the run was compared with, in words.
    pub baseline: String,
    /// The verdicts that fail CI.
    pub fail_on: Vec<String>,
    /// How the run-level false-alarm rate is controlled across its tests.
    #[serde(default)]
    pub false_alarm_control: String,
    /// The environment the judged run was measured in; absent for a run
    /// recorded without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    /// Baseline runs left out, by reason: `different_environment` (under
    /// `regression.same_environment`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub baseline_excluded: BTreeMap<String, usize>,
    /// What differed in the runs left out, one entry per difference
    /// (`kernel 6.1.0 → 6.8.0`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline_differences: Vec<String>,
    /// Baseline runs kept although their environment is unknown (recorded
    /// before sloe kept fingerprints).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub baseline_unknown_environment: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Overall outcome. `failed` exactly when the exit code is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverallStatus {
    Passed,
    Warning,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub status: OverallStatus,
    pub total: usize,
    pub passed: usize,
    pub drift: usize,
    pub violations: usize,
    pub regressions: usize,
    pub improvements: usize,
    /// Budgets broken already on the baseline and not made worse (status `known`).
    #[serde(default)]
    pub known: usize,
    /// Results whose regression test could not tell at this noise
    /// (`regression` `inconclusive`): never counted as passed.
    #[serde(default)]
    pub inconclusive: usize,
    /// Percent of results that passed.
    pub compliance: f64,
}

/// One (benchmark, measure, budget) judged; series without a budget get one
/// entry with `limit` null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultEntry {
    pub benchmark: String,
    pub measure: String,
    pub unit: String,
    pub statistic: String,
    pub value: f64,
    pub limit: Option<f64>,
    pub percent_of_budget: Option<f64>,
    pub status: Status,
    pub severity: Severity,
    pub baseline: Option<f64>,
    pub change: Option<f64>,
    pub change_interval: Option<[f64; 2]>,
    /// One-sided p-value of the change in its observed direction.
    pub p_value: Option<f64>,
    /// `p_value` after Benjamini–Hochberg over the run's tests; the verdict
    /// is decided on this one.
    #[serde(default)]
    pub adjusted_p_value: Option<f64>,
    /// The smallest worsening (fraction) the test could have called
    /// significant at this noise: changes below it are invisible here.
    #[serde(default)]
    pub min_detectable_change: Option<f64>,
    /// Slow creep: the recent level's change against `creep_window` runs
    /// ago, when it passed `warning` while each step was inside the noise
    /// (the entry's status is then `drift`).
    #[serde(default)]
    pub creep: Option<f64>,
    /// Whether this run starts a new level of the series: a change point
    /// over the baseline history plus this run (PELT; `sloe history
    /// --changes` lists the older ones).
    #[serde(default)]
    pub change_point: bool,
    pub regression: Regression,
    pub message: String,
    /// `max` or `min` when a budget applies.
    pub limit_kind: Option<String>,
    /// Where `violation` starts, in `unit`: the limit widened by the
    /// tolerance, or the critical level (null without a budget).
    pub violation_at: Option<f64>,
    /// Samples in this run.
    pub samples: usize,
    /// Baseline runs (or pinned-run samples) the regression verdict used.
    pub baseline_runs: usize,
    /// What the regression test's noise estimate was based on (the
    /// series' own runs, a pool of the run's series, A/B pairs or a pinned
    /// run's samples) and how many degrees of freedom it had; null when
    /// untested.
    #[serde(default)]
    pub noise: Option<Noise>,
    /// Whether this entry is one of the verdicts policy blocks on.
    pub blocking: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Budget,
    Regression,
    /// A budget whose benchmark pattern or measure matches no series of
    /// the run: it judged nothing. `benchmark` and `measure` are the
    /// budget's pattern and measure as written.
    UnmatchedBudget,
    /// The run holds no series at all: nothing was measured, so nothing
    /// passed (a harness that failed before writing its results).
    /// `benchmark` and `measure` are empty.
    EmptyRun,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub benchmark: String,
    pub measure: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub message: String,
    pub blocking: bool,
}
