//! The report model: what `sloe check` concluded, in the shape of the
//! report JSON contract (`sloe.report/v1`). Field names here are a contract
//! that users' CI scripts read: add fields, never rename them.

use serde::{Deserialize, Serialize};

use crate::budget::{Severity, Status};
use crate::regression::Regression;

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
    pub p_value: Option<f64>,
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
