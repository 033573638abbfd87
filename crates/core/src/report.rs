//! The report model: what `sloe check` concluded, in the shape of the
//! report JSON contract (`sloe.report/v1`). Field names here are a contract
//! that users' CI scripts read: add fields, never rename them.

use serde::{Deserialize, Serialize};

use crate::budget::{Severity, Status};
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
