//! The config model (`sloe.toml`, or the same schema as YAML or JSON) and
//! its validation.
//!
//! Parsing is two steps, as in ripgrep: text → typed structs (serde, with
//! `deny_unknown_fields` so typos are caught, and validation inside
//! `try_from` so an error points at the table it came from), then the
//! selected `[env.NAME]` overrides are merged over the document and the
//! result is parsed again. Every error carries file, line, column, key and
//! what was expected.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::stats::Statistic;
use crate::units::{Dimension, Quantity, Unit, format_number};

/// A whole config file, with the selected environment's overrides applied.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "sloe config",
    description = "sloe.toml: performance budgets and regression policy"
)]
pub struct Config {
    #[serde(default)]
    pub project: ProjectConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub regression: RegressionConfig,
    #[serde(default)]
    pub report: ReportConfig,
    /// Budgets: limits on (benchmark pattern, measure, statistic).
    #[serde(default, rename = "budget")]
    pub budgets: Vec<Budget>,
    /// Benchmarks that `sloe run` executes.
    #[serde(default, rename = "benchmark")]
    pub benchmarks: Vec<BenchmarkConfig>,
    /// Service level objectives (`sloe slo status`, `sloe slo rules`).
    #[serde(default, rename = "slo")]
    pub slos: Vec<crate::slo::spec::Slo>,
    /// Overrides merged over the rest of the file when `--env NAME` or
    /// `SLOE_ENV` selects them. Tables merge key by key; arrays replace.
    #[serde(default)]
    #[schemars(schema_with = "env_schema")]
    pub env: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// The project's name, shown in reports.
    #[serde(default)]
    pub name: Option<String>,
    /// The branch whose runs are the baseline for every other branch.
    #[serde(default = "default_base_branch")]
    pub base_branch: String,
    /// The testbed (machine or runner class) runs are recorded on when
    /// neither `--testbed` nor CI variables say otherwise.
    #[serde(default)]
    pub testbed: Option<String>,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        ProjectConfig {
            name: None,
            base_branch: default_base_branch(),
            testbed: None,
        }
    }
}

fn default_base_branch() -> String {
    "main".to_owned()
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` (relative to the config file) or
    /// `postgres://user@host/db` (also libpq's `key=value` form). PostgreSQL
    /// takes libpq's `sslmode` (`disable`, `prefer` (default), `require`,
    /// `verify-ca`, `verify-full`) with `sslrootcert`, and `pool_size`
    /// (connections kept for one process, default 10).
    #[serde(default = "default_store_url")]
    pub url: String,
    /// PostgreSQL: how long opening a connection may take, from the TCP
    /// connect to the end of authentication ("0s": no limit).
    #[serde(default = "StoreTimeout::connect")]
    #[schemars(schema_with = "store_timeout_schema::<10>")]
    pub connect_timeout: StoreTimeout,
    /// PostgreSQL: the longest one statement may run on the server
    /// (`statement_timeout`). sloe waits this long plus a short margin for
    /// any reply before it gives up on a stalled connection ("0s": no limit).
    #[serde(default = "StoreTimeout::statement")]
    #[schemars(schema_with = "store_timeout_schema::<60>")]
    pub statement_timeout: StoreTimeout,
    /// PostgreSQL: the longest a statement waits for a lock another writer
    /// holds (`lock_timeout`; "0s": no limit).
    #[serde(default = "StoreTimeout::lock")]
    #[schemars(schema_with = "store_timeout_schema::<30>")]
    pub lock_timeout: StoreTimeout,
    /// PostgreSQL: the server ends a session left idle inside a transaction
    /// this long, releasing its locks (`idle_in_transaction_session_timeout`;
    /// "0s": no limit).
    #[serde(default = "StoreTimeout::idle_in_transaction")]
    #[schemars(schema_with = "store_timeout_schema::<30>")]
    pub idle_in_transaction_timeout: StoreTimeout,
    /// PostgreSQL: how long data sent may go unacknowledged by the network
    /// before the connection is dropped (`tcp_user_timeout`; keepalives
    /// probe an idle connection on the same scale; "0s": the system's default).
    #[serde(default = "StoreTimeout::network")]
    #[schemars(schema_with = "store_timeout_schema::<30>")]
    pub network_timeout: StoreTimeout,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: default_store_url(),
            connect_timeout: StoreTimeout::connect(),
            statement_timeout: StoreTimeout::statement(),
            lock_timeout: StoreTimeout::lock(),
            idle_in_transaction_timeout: StoreTimeout::idle_in_transaction(),
            network_timeout: StoreTimeout::network(),
        }
    }
}

/// A `[store]` timeout, written as a time ("500ms", "30s", "2min"); zero
/// turns it off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreTimeout {
    pub duration: std::time::Duration,
    /// As written in the config, for messages that name the setting.
    pub written: String,
}

impl StoreTimeout {
    /// The longest timeout sloe accepts: PostgreSQL keeps them in
    /// milliseconds in a 32-bit integer (about 24.8 days).
    pub const MAX: std::time::Duration = std::time::Duration::from_millis(i32::MAX as u64);

    fn secs(secs: u64, written: &str) -> StoreTimeout {
        StoreTimeout {
            duration: std::time::Duration::from_secs(secs),
            written: written.to_owned(),
        }
    }
    fn connect() -> StoreTimeout {
        StoreTimeout::secs(10, "10s")
    }
    fn statement() -> StoreTimeout {
        StoreTimeout::secs(60, "60s")
    }
    fn lock() -> StoreTimeout {
        StoreTimeout::secs(30, "30s")
    }
    fn idle_in_transaction() -> StoreTimeout {
        StoreTimeout::secs(30, "30s")
    }
    fn network() -> StoreTimeout {
        StoreTimeout::secs(30, "30s")
    }

    /// `None` when turned off ("0s").
    pub fn limit(&self) -> Option<std::time::Duration> {
        (!self.duration.is_zero()).then_some(self.duration)
    }
}

impl fmt::Display for StoreTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl<'de> Deserialize<'de> for StoreTimeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let expected = |found: &str| {
            serde::de::Error::custom(format!(
                "expected a time like 500ms, 30s or 2min (0s for no limit), found {found:?}"
            ))
        };
        let q: Quantity = text.parse().map_err(|_| expected(&text))?;
        if q.dimension() != Some(Dimension::Time) || !q.value.is_finite() || q.value < 0.0 {
            return Err(expected(&text));
        }
        // Canonical time is nanoseconds; PostgreSQL counts milliseconds.
        let nanos = q.canonical();
        if nanos > StoreTimeout::MAX.as_nanos() as f64 {
            return Err(serde::de::Error::custom(format!(
                "expected a time of at most 24 days (PostgreSQL keeps timeouts in milliseconds), found {text:?}"
            )));
        }
        if nanos > 0.0 && nanos < 1e6 {
            return Err(serde::de::Error::custom(format!(
                "expected a time of at least 1ms (or 0s for no limit), found {text:?}"
            )));
        }
        Ok(StoreTimeout {
            duration: std::time::Duration::from_nanos(nanos as u64),
            written: text.trim().to_owned(),
        })
    }
}

fn store_timeout_schema<const DEFAULT_SECS: u64>(
    _: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    schemars::json_schema!({
        "description": "A time like \"500ms\", \"30s\" or \"2min\"; \"0s\" for no limit.",
        "type": "string",
        "default": format!("{DEFAULT_SECS}s")
    })
}

pub const DEFAULT_STORE_URL: &str = "sqlite://.sloe/history.db";

fn default_store_url() -> String {
    DEFAULT_STORE_URL.to_owned()
}

/// A verdict word that `policy.fail_on` can name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// A budget between its limit and its tolerance.
    Drift,
    /// A budget beyond its tolerance (or at its critical level).
    Violation,
    /// A significant change for the worse against the baseline.
    Regression,
    /// A regression verdict the test could not reach at this noise.
    Inconclusive,
    /// A run that lacks what its budgets name: a budget that matched no
    /// series of the run (finding `unmatched_budget`), or a run with no
    /// series at all (finding `empty_run`).
    Missing,
    /// Any finding of at least this severity.
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Verdicts that fail CI (exit code 1).
    #[serde(default = "default_fail_on")]
    pub fail_on: Vec<FailOn>,
    /// Whether a budget already broken on the baseline (status `known`)
    /// blocks like a new violation. A known violation that the run makes
    /// significantly worse is a regression either way.
    #[serde(default)]
    pub block_known_violations: bool,
    /// SLO states that make `sloe slo status` exit 1.
    #[serde(default = "default_slo_fail_on")]
    pub slo_fail_on: Vec<SloFailOn>,
    /// How long an SLO may go without an event before its status is
    /// `stale` ("10m" by default); an `[[slo]]` table's `stale_after`
    /// overrides it for that SLO.
    #[serde(default)]
    pub slo_stale_after: StaleAfter,
    /// What a budget that matches no series of the run is: a warning
    /// finding in every report (`warn`), or a config error that stops the
    /// check with exit 2 (`error`).
    #[serde(default)]
    pub unmatched_budgets: UnmatchedBudgets,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            fail_on: default_fail_on(),
            block_known_violations: false,
            slo_fail_on: default_slo_fail_on(),
            slo_stale_after: StaleAfter::default(),
            unmatched_budgets: UnmatchedBudgets::default(),
        }
    }
}

/// What `policy.unmatched_budgets` makes of a budget that matches nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnmatchedBudgets {
    /// A finding (kind `unmatched_budget`) in every report; the status is
    /// at least `warning`.
    #[default]
    Warn,
    /// A config error: the check stops with exit 2, naming the budget.
    Error,
}

/// An SLO state that `policy.slo_fail_on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SloFailOn {
    /// A page alert fires.
    Page,
    /// Any alert fires, page or ticket.
    Ticket,
    /// The error budget is spent.
    Exhausted,
    /// No event in the SLO's window: the status rests on nothing.
    NoData,
    /// No event for longer than `stale_after` (an SLO without data is stale too).
    Stale,
}

/// How long an SLO may go without an event before it is stale, written
/// like an SLO window length ("10m", "1h", "2d").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleAfter(pub jiff::SignedDuration);

impl Default for StaleAfter {
    fn default() -> Self {
        StaleAfter(jiff::SignedDuration::from_mins(10))
    }
}

impl<'de> Deserialize<'de> for StaleAfter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        crate::slo::spec::parse_duration(&text)
            .map(StaleAfter)
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for StaleAfter {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StaleAfter".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A length of time like an SLO window's: \"10m\", \"1h\", \"2d\" (m is minutes).",
            "type": "string",
            "default": "10m"
        })
    }
}

fn default_slo_fail_on() -> Vec<SloFailOn> {
    vec![SloFailOn::Page, SloFailOn::Exhausted]
}

fn default_fail_on() -> Vec<FailOn> {
    vec![
        FailOn::Violation,
        FailOn::Critical,
        FailOn::Regression,
        FailOn::Missing,
    ]
}

/// A percentage written as `"10%"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percent(pub f64);

impl Percent {
    pub fn fraction(self) -> f64 {
        self.0 / 100.0
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let q = Quantity::deserialize(d)?;
        if q.unit != Unit::Percent {
            return Err(serde::de::Error::custom(format!(
                "expected a percentage like \"10%\", found {q}"
            )));
        }
        if q.value < 0.0 {
            return Err(serde::de::Error::custom(format!(
                "expected a percentage of at least 0%, found {q}"
            )));
        }
        Ok(Percent(q.value))
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A percentage such as \"10%\".",
            "type": "string",
            "pattern": "^\\s*[0-9_]*\\.?[0-9_]+\\s*%\\s*$"
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegressionConfig {
    /// A significant change at least this large is a regression of severity warning.
    #[serde(default = "default_warning")]
    pub warning: Percent,
    /// A significant change at least this large is a regression of severity critical.
    #[serde(default = "default_critical")]
    pub critical: Percent,
    /// How many recent baseline runs are considered (at least 1).
    #[serde(default = "default_history", deserialize_with = "at_least_one_run")]
    #[schemars(range(min = 1))]
    pub history: usize,
    /// Fewer baseline runs than this gives `insufficient_data`.
    #[serde(default = "default_min_baseline_runs")]
    pub min_baseline_runs: usize,
    /// The probability of calling unchanged code a change, per benchmark and measure.
    #[serde(default = "default_false_alarm_rate")]
    pub false_alarm_rate: Percent,
    /// Slow creep: a series whose recent level is at least `warning` worse
    /// than its level this many runs ago (significantly, while each step is
    /// inside the noise) is reported as `drift`. 0 turns the check off.
    #[serde(default = "default_creep_window")]
    pub creep_window: usize,
    /// When `sloe run`'s first measurement of a benchmark leans towards
    /// worse (one-sided p ≤ 0.2), it measures that benchmark this many more
    /// rounds and decides on all of them, each round a run of its own
    /// (`regression::against_history_runs`). 0 turns it off.
    #[serde(default = "default_confirm_runs")]
    pub confirm_runs: usize,
    /// Compare a run only with baseline runs measured on the same
    /// environment (CPU model, logical cores, memory, OS, kernel, the
    /// toolchains a harness reports); runs that differ are left out and the
    /// report says how many and what differed. Runs recorded without a
    /// fingerprint are kept. `false` keeps every run.
    #[serde(default = "default_same_environment")]
    pub same_environment: bool,
}

impl Default for RegressionConfig {
    fn default() -> Self {
        RegressionConfig {
            warning: default_warning(),
            critical: default_critical(),
            history: default_history(),
            min_baseline_runs: default_min_baseline_runs(),
            false_alarm_rate: default_false_alarm_rate(),
            creep_window: default_creep_window(),
            confirm_runs: default_confirm_runs(),
            same_environment: default_same_environment(),
        }
    }
}

fn default_warning() -> Percent {
    Percent(10.0)
}
fn default_critical() -> Percent {
    Percent(15.0)
}
fn default_history() -> usize {
    10
}

/// A count of runs that 0 would not mean: refused, never read as 1.
fn at_least_one_run<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    match usize::deserialize(d)? {
        0 => Err(serde::de::Error::custom("expected at least 1 run, found 0")),
        n => Ok(n),
    }
}
fn default_min_baseline_runs() -> usize {
    3
}
fn default_confirm_runs() -> usize {
    2
}
fn default_same_environment() -> bool {
    true
}
fn default_creep_window() -> usize {
    30
}
fn default_false_alarm_rate() -> Percent {
    Percent(1.0)
}

/// A report format `sloe report` and `sloe check` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// The report JSON (`sloe.report/v1`).
    Json,
    /// Markdown for a pull-request comment.
    Md,
    /// The self-contained HTML dashboard.
    Html,
    /// JUnit XML.
    Junit,
}

/// Which reports `sloe check` and `sloe run` write besides
/// `reports/sloe-report-latest.json`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Extra formats written on every check (the JSON report always is).
    #[serde(default)]
    pub formats: Vec<ReportFormat>,
    /// Directory reports go to, relative to the config file.
    #[serde(default = "default_report_dir")]
    pub out: String,
    /// How much history the dashboard plots (its toggle offers 7, 30 and 90 days).
    #[serde(default = "default_report_since")]
    pub since: TimeSpan,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            formats: Vec::new(),
            out: default_report_dir(),
            since: default_report_since(),
        }
    }
}

fn default_report_dir() -> String {
    "reports".to_owned()
}

fn default_report_since() -> TimeSpan {
    TimeSpan(Quantity::new(90.0, Unit::Days))
}

/// A length of time written with a unit: `90d`, `12h`, `30min`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSpan(pub Quantity);

impl TimeSpan {
    pub fn nanoseconds(&self) -> f64 {
        self.0.canonical()
    }
}

impl<'de> Deserialize<'de> for TimeSpan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let q = Quantity::deserialize(d)?;
        if q.dimension() != Some(Dimension::Time) || q.value <= 0.0 {
            return Err(serde::de::Error::custom(format!(
                "expected a positive length of time like \"90d\", \"12h\" or \"30min\", found {q}"
            )));
        }
        Ok(TimeSpan(q))
    }
}

impl JsonSchema for TimeSpan {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeSpan".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A length of time such as \"90d\", \"12h\" or \"30min\".",
            "type": "string",
            "pattern": "^\\s*[0-9_]*\\.?[0-9_]+\\s*(ns|us|µs|μs|ms|s|min|h|d)\\s*$"
        })
    }
}

/// Ratios of the limit at which a budget reaches each severity.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    pub info: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

/// A budget as written; validated into [`Budget`].
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct BudgetSpec {
    /// Benchmark name or glob pattern (`build:*`).
    benchmark: String,
    /// The measure judged (default `wall_time`).
    #[serde(default = "default_measure")]
    measure: String,
    /// How the run's samples are reduced (default `median`).
    #[serde(default = "default_statistic")]
    statistic: Statistic,
    /// Upper limit: lower is better.
    #[serde(default)]
    max: Option<Quantity>,
    /// Lower limit: higher is better (throughput).
    #[serde(default)]
    min: Option<Quantity>,
    /// Band past the limit that is `drift` rather than `violation` (default 0%).
    #[serde(default)]
    tolerance: Option<Percent>,
    /// Ratios of the limit giving severities; replaces `tolerance`.
    #[serde(default)]
    levels: Option<Levels>,
    /// Benchmark names or globs this budget skips although `benchmark`
    /// matches them (`["suite:*", "test:*"]` keeps JUnit reports out of a
    /// catch-all).
    #[serde(default)]
    exclude: Vec<String>,
}

fn default_measure() -> String {
    "wall_time".to_owned()
}
fn default_statistic() -> Statistic {
    Statistic::Median
}

/// Which side of the limit is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The value must stay at or below the limit.
    Max,
    /// The value must stay at or above the limit.
    Min,
}

/// How a budget grades a value past (or near) its limit.
#[derive(Debug, Clone, PartialEq)]
pub enum Grading {
    Tolerance(Percent),
    Levels(Levels),
}

/// A validated budget.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(try_from = "BudgetSpec")]
#[schemars(with = "BudgetSpec")]
pub struct Budget {
    pub benchmark: String,
    pub pattern: GlobPattern,
    /// Benchmarks the pattern matches that the budget skips.
    pub exclude: Vec<GlobPattern>,
    pub measure: String,
    pub statistic: Statistic,
    pub kind: LimitKind,
    pub limit: Quantity,
    pub grading: Grading,
}

/// A compiled benchmark glob.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobPattern(glob::Pattern);

impl GlobPattern {
    pub fn matches(&self, name: &str) -> bool {
        self.0.matches(name)
    }
}

/// The dimension a well-known measure has, if any.
pub fn measure_dimension(measure: &str) -> Option<Dimension> {
    Some(match measure {
        "wall_time" | "user_time" | "sys_time" | "cpu_time" => Dimension::Time,
        "peak_rss" | "size" | "io_read" | "io_write" | "memory" => Dimension::Bytes,
        "cpu_percent" => Dimension::Percent,
        "throughput" => Dimension::Rate,
        "instructions" => Dimension::Count,
        _ => return None,
    })
}

/// The unit a bare limit `value` on a measure of `dimension` most likely
/// meant, for the suggestion of a unitless limit (a large byte count is
/// bytes, a small one mebibytes).
fn usual_unit(dimension: Dimension, value: f64) -> &'static str {
    match dimension {
        Dimension::Time => "s",
        Dimension::Bytes if value >= 1e5 => "B",
        Dimension::Bytes => "MiB",
        Dimension::Percent => "%",
        Dimension::Rate => "/s",
        Dimension::Count => "",
    }
}

impl TryFrom<BudgetSpec> for Budget {
    type Error = String;

    fn try_from(s: BudgetSpec) -> Result<Self, Self::Error> {
        let pattern = glob::Pattern::new(&s.benchmark).map_err(|e| {
            format!(
                "benchmark pattern {:?} is not a valid glob: {e}",
                s.benchmark
            )
        })?;
        let exclude = s
            .exclude
            .iter()
            .map(|e| {
                glob::Pattern::new(e).map(GlobPattern).map_err(|err| {
                    format!(
                        "budget for {:?}: exclude pattern {e:?} is not a valid glob: {err}",
                        s.benchmark
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (kind, limit) = match (s.max, s.min) {
            (Some(q), None) => (LimitKind::Max, q),
            (None, Some(q)) => (LimitKind::Min, q),
            (Some(_), Some(_)) => {
                return Err(format!(
                    "budget for {:?} sets both `max` and `min`; expected exactly one",
                    s.benchmark
                ));
            }
            (None, None) => {
                return Err(format!(
                    "budget for {:?} sets no limit; expected `max` (lower is better) or `min` (higher is better)",
                    s.benchmark
                ));
            }
        };
        if let (Some(want), Some(got)) = (measure_dimension(&s.measure), limit.dimension())
            && want != got
        {
            let expected = match want {
                Dimension::Time => "time (ns, us, ms, s, min, h)",
                Dimension::Bytes => "size (B, KB, KiB, MB, MiB, GB, GiB, ...)",
                Dimension::Percent => "percentage (%)",
                Dimension::Rate => "rate (/s)",
                Dimension::Count => "plain number",
            };
            // A bare number on a measure with a unit used to load and then
            // judge nothing (issue 13): say which unit the measure uses.
            if got == Dimension::Count {
                let key = if kind == LimitKind::Max { "max" } else { "min" };
                return Err(format!(
                    "budget for {:?} (measure `{}`): limit `{}` has no unit, but `{}` is measured in {expected}; write `{key} = \"{} {}\"` or the unit you meant",
                    s.benchmark,
                    s.measure,
                    format_number(limit.value),
                    s.measure,
                    format_number(limit.value),
                    usual_unit(want, limit.value),
                ));
            }
            return Err(format!(
                "budget for {:?}: limit {limit} does not fit measure `{}`; expected a {expected} quantity",
                s.benchmark, s.measure,
            ));
        }
        if kind == LimitKind::Min && limit.value <= 0.0 {
            return Err(format!(
                "budget for {:?}: `min` must be above zero, found {limit}",
                s.benchmark
            ));
        }
        if kind == LimitKind::Max && limit.value <= 0.0 {
            return Err(format!(
                "budget for {:?}: `max` must be above zero, found {limit}",
                s.benchmark
            ));
        }
        let grading = match (s.tolerance, s.levels) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "budget for {:?} sets both `tolerance` and `levels`; expected one of them",
                    s.benchmark
                ));
            }
            (None, Some(levels)) => {
                let named = [
                    ("info", levels.info),
                    ("warning", levels.warning),
                    ("critical", levels.critical),
                ];
                let set: Vec<(&str, f64)> = named
                    .iter()
                    .filter_map(|(n, v)| v.map(|v| (*n, v)))
                    .collect();
                if set.is_empty() {
                    return Err(format!(
                        "budget for {:?}: `levels` sets no level; expected at least one of info, warning, critical",
                        s.benchmark
                    ));
                }
                for (name, v) in &set {
                    if !(v.is_finite() && *v > 0.0) {
                        return Err(format!(
                            "budget for {:?}: levels.{name} must be a ratio above 0, found {v}",
                            s.benchmark
                        ));
                    }
                }
                for pair in set.windows(2) {
                    if pair[0].1 >= pair[1].1 {
                        return Err(format!(
                            "budget for {:?}: levels must increase (info < warning < critical), but {} = {} is not below {} = {}",
                            s.benchmark, pair[0].0, pair[0].1, pair[1].0, pair[1].1
                        ));
                    }
                }
                Grading::Levels(levels)
            }
            (t, None) => Grading::Tolerance(t.unwrap_or(Percent(0.0))),
        };
        Ok(Budget {
            benchmark: s.benchmark,
            pattern: GlobPattern(pattern),
            exclude,
            measure: s.measure,
            statistic: s.statistic,
            kind,
            limit,
            grading,
        })
    }
}

impl Budget {
    pub fn applies_to(&self, benchmark: &str, measure: &str) -> bool {
        self.measure == measure
            && self.pattern.matches(benchmark)
            && !self.exclude.iter().any(|p| p.matches(benchmark))
    }
}

/// A command: an argv list, or a string run through the shell.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum CommandSpec {
    /// Run through `sh -c`.
    Shell(String),
    /// Run directly, without a shell.
    Argv(Vec<String>),
}

impl<'de> Deserialize<'de> for CommandSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CommandSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command: a shell string, or an array of program and arguments")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CommandSpec, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("expected a non-empty command"));
                }
                Ok(CommandSpec::Shell(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<CommandSpec, A::Error> {
                let mut argv = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    argv.push(s);
                }
                if argv.is_empty() {
                    return Err(serde::de::Error::custom(
                        "expected a non-empty argument list",
                    ));
                }
                Ok(CommandSpec::Argv(argv))
            }
        }
        d.deserialize_any(V)
    }
}

/// A `[[benchmark]]` as written; validated into [`BenchmarkConfig`].
// Named like the validated type so the published JSON Schema keeps its
// definition name.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "BenchmarkConfig")]
struct BenchmarkSpec {
    name: String,
    command: CommandSpec,
    /// A/B mode (`sloe run --ab`): the baseline's command, in the same forms
    /// as `command`. Both run interleaved on this machine (A B A B ...) and
    /// the verdict comes from the paired differences instead of history.
    #[serde(default)]
    baseline_command: Option<CommandSpec>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    runs: Option<u32>,
    #[serde(default)]
    min_runs: Option<u32>,
    #[serde(default)]
    max_runs: Option<u32>,
    #[serde(default)]
    min_time: Option<Quantity>,
    #[serde(default)]
    warmup: Option<u32>,
    #[serde(default)]
    prepare: Option<CommandSpec>,
    #[serde(default)]
    cleanup: Option<CommandSpec>,
    #[serde(default)]
    timeout: Option<Quantity>,
    /// Read the harness's own output in this format instead of timing the process.
    #[serde(default)]
    parse: Option<String>,
    /// Sample CPU % and memory of the process tree this often (e.g. "100ms"):
    /// adds the measures cpu_burst and cpu_sustained and keeps the timeline.
    #[serde(default)]
    sample_interval: Option<Quantity>,
    /// The window of cpu_sustained: the highest mean CPU % over any window
    /// this long (default 5min; a shorter execution is averaged whole).
    #[serde(default)]
    sustained_window: Option<Quantity>,
}

/// A benchmark that `sloe run` executes.
// Validated when the config is read, so that `sloe run` never meets a
// benchmark it cannot execute: durations are times, `sample_interval` is
// above zero, `min_runs` is at most `max_runs`, and A/B mode is not
// combined with `parse`. Whether `parse` names a known format is checked
// by sloe-app, which knows the formats.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(try_from = "BenchmarkSpec")]
#[schemars(with = "BenchmarkSpec")]
pub struct BenchmarkConfig {
    pub name: String,
    pub command: CommandSpec,
    /// A/B mode (`sloe run --ab`): the baseline's command, in the same forms
    /// as `command`. Both run interleaved on this machine (A B A B ...) and
    /// the verdict comes from the paired differences instead of history.
    pub baseline_command: Option<CommandSpec>,
    pub cwd: Option<String>,
    pub env: BTreeMap<String, String>,
    pub runs: Option<u32>,
    pub min_runs: Option<u32>,
    pub max_runs: Option<u32>,
    pub min_time: Option<Quantity>,
    pub warmup: Option<u32>,
    pub prepare: Option<CommandSpec>,
    pub cleanup: Option<CommandSpec>,
    pub timeout: Option<Quantity>,
    /// Read the harness's own output in this format instead of timing the process.
    pub parse: Option<String>,
    /// Sample CPU % and memory of the process tree this often (e.g. "100ms"):
    /// adds the measures cpu_burst and cpu_sustained and keeps the timeline.
    pub sample_interval: Option<Quantity>,
    /// The window of cpu_sustained: the highest mean CPU % over any window
    /// this long (default 5min; a shorter execution is averaged whole).
    pub sustained_window: Option<Quantity>,
}

impl BenchmarkConfig {
    /// The fewest timed runs when `min_runs` is not set (the runner's
    /// default plan).
    pub const DEFAULT_MIN_RUNS: u32 = 10;
    /// The most timed runs when `max_runs` is not set (the runner's
    /// default plan).
    pub const DEFAULT_MAX_RUNS: u32 = 10_000;
}

impl TryFrom<BenchmarkSpec> for BenchmarkConfig {
    type Error = String;

    fn try_from(s: BenchmarkSpec) -> Result<Self, Self::Error> {
        let what = |field: &str| format!("benchmark `{}`.{field}", s.name);
        if s.name.contains('\0') {
            return Err(format!(
                "benchmark name {:?} holds a NUL character; expected text without NUL",
                s.name
            ));
        }
        for (field, q) in [
            ("timeout", &s.timeout),
            ("min_time", &s.min_time),
            ("sample_interval", &s.sample_interval),
            ("sustained_window", &s.sustained_window),
        ] {
            if let Some(q) = q
                && (q.dimension() != Some(Dimension::Time) || q.value < 0.0)
            {
                return Err(format!(
                    "{}: expected a time like 500ms, 3s or 10min, found {q}",
                    what(field)
                ));
            }
        }
        // Below half a nanosecond rounds to no interval at all.
        if s.sample_interval
            .as_ref()
            .is_some_and(|q| q.canonical() < 0.5)
        {
            return Err(format!(
                "{}: expected a time above zero, like 100ms",
                what("sample_interval")
            ));
        }
        // `runs` says exactly how many: 0 would silently be one (issue 14).
        if s.runs == Some(0) {
            return Err(format!(
                "{}: expected at least 1 run, found 0",
                what("runs")
            ));
        }
        // A value of 0 means one run, as the runner reads it.
        let min_runs = s.min_runs.unwrap_or(Self::DEFAULT_MIN_RUNS).max(1);
        let max_runs = s.max_runs.unwrap_or(Self::DEFAULT_MAX_RUNS).max(1);
        if min_runs > max_runs {
            let default = |set: Option<u32>| if set.is_some() { "" } else { " (the default)" };
            return Err(format!(
                "{}: min_runs = {min_runs}{} is above max_runs = {max_runs}{}; expected min_runs <= max_runs",
                what("min_runs"),
                default(s.min_runs),
                default(s.max_runs),
            ));
        }
        if let (Some(_), Some(format)) = (&s.baseline_command, &s.parse) {
            return Err(format!(
                "{}: A/B mode times two commands, but the benchmark reads its output with parse = \"{format}\"; remove one of them",
                what("baseline_command")
            ));
        }
        Ok(BenchmarkConfig {
            name: s.name,
            command: s.command,
            baseline_command: s.baseline_command,
            cwd: s.cwd,
            env: s.env,
            runs: s.runs,
            min_runs: s.min_runs,
            max_runs: s.max_runs,
            min_time: s.min_time,
            warmup: s.warmup,
            prepare: s.prepare,
            cleanup: s.cleanup,
            timeout: s.timeout,
            parse: s.parse,
            sample_interval: s.sample_interval,
            sustained_window: s.sustained_window,
        })
    }
}

fn env_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let project = generator.subschema_for::<ProjectConfig>();
    let store = generator.subschema_for::<StoreConfig>();
    let policy = generator.subschema_for::<PolicyConfig>();
    let regression = generator.subschema_for::<RegressionConfig>();
    let report = generator.subschema_for::<ReportConfig>();
    let budget = generator.subschema_for::<Vec<Budget>>();
    let benchmark = generator.subschema_for::<Vec<BenchmarkConfig>>();
    schemars::json_schema!({
        "description": "Overrides per environment, selected by --env NAME or SLOE_ENV; merged over the rest of the file (tables key by key, arrays replaced).",
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "project": project, "store": store, "policy": policy,
                "regression": regression, "report": report, "budget": budget, "benchmark": benchmark
            }
        }
    })
}

/// The syntax a config file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Yaml,
    Json,
}

impl Syntax {
    /// Chosen by file extension; TOML when unknown.
    pub fn from_path(path: &str) -> Syntax {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Syntax::Yaml
        } else if lower.ends_with(".json") {
            Syntax::Json
        } else {
            Syntax::Toml
        }
    }
}

/// Whether `text`, which TOML could not read, is a YAML mapping: the
/// mistake of a YAML config under a `.toml` name, which TOML's own message
/// (about a missing `=`) does not explain.
fn looks_like_yaml(text: &str) -> bool {
    crate::limits::check_yaml(text).is_ok()
        && matches!(
            serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text),
            Ok(serde_yaml_ng::Value::Mapping(m)) if !m.is_empty()
        )
}

/// A config that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted key path (`budget[1].max`), when known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(
            f,
            &format!("read config {}", self.file),
            (self.line, self.column),
            self.key.as_deref().map(|k| ("key", k)),
            &self.message,
        )
    }
}

/// `<what>[:line[:column]]: [<word> `<path>`: ]<message>`, the shape of every
/// located error (config, SLO specs); an empty path or `.` is left out.
pub(crate) fn write_located(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    (line, column): (Option<usize>, Option<usize>),
    path: Option<(&str, &str)>,
    message: &str,
) -> fmt::Result {
    f.write_str(what)?;
    if let Some(line) = line {
        write!(f, ":{line}")?;
        if let Some(col) = column {
            write!(f, ":{col}")?;
        }
    }
    f.write_str(": ")?;
    if let Some((word, path)) = path.filter(|(_, p)| !p.is_empty() && *p != ".") {
        write!(f, "{word} `{path}`: ")?;
    }
    f.write_str(message)
}

/// A parsed config document: the typed config plus the raw document the
/// environment overrides are merged into.
#[derive(Debug, Clone)]
pub struct Document {
    file: String,
    text: String,
    syntax: Syntax,
    base: Config,
    raw: serde_json::Value,
}

impl Document {
    /// Parses and validates `text`, read from `file` (used in messages).
    /// A UTF-8 byte-order mark at the start is dropped; text over
    /// [`crate::limits::MAX_TEXT_BYTES`], or YAML nested deeper than
    /// [`crate::limits::MAX_NESTING`], is refused before it is parsed.
    pub fn parse(text: &str, file: &str, syntax: Syntax) -> Result<Document, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let limited = match syntax {
            Syntax::Yaml => crate::limits::check_yaml(text),
            Syntax::Toml | Syntax::Json => crate::limits::check_size(text.len()),
        };
        limited.map_err(|e| ConfigError {
            file: file.to_owned(),
            line: e.line,
            column: e.column,
            key: None,
            message: e.message,
        })?;
        let base: Config = deserialize_text(text, file, syntax)?;
        let raw: serde_json::Value = deserialize_text(text, file, syntax)?;
        let doc = Document {
            file: file.to_owned(),
            text: text.to_owned(),
            syntax,
            base,
            raw,
        };
        doc.check_unique_names(&doc.base, None)?;
        // Validate every environment now, so a typo in one that is not
        // selected today does not wait for the day it is.
        for name in doc.base.env.keys() {
            doc.resolve(Some(name))?;
        }
        Ok(doc)
    }

    /// The environments the file defines.
    pub fn environments(&self) -> impl Iterator<Item = &str> {
        self.base.env.keys().map(String::as_str)
    }

    /// The config with environment `env`'s overrides applied.
    pub fn resolve(&self, env: Option<&str>) -> Result<Config, ConfigError> {
        let Some(name) = env else {
            return Ok(self.base.clone());
        };
        let Some(overrides) = self.base.env.get(name) else {
            if self.base.env.is_empty() {
                return Ok(self.base.clone());
            }
            let known: Vec<&str> = self.environments().collect();
            let hint = did_you_mean(name, &known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ConfigError {
                file: self.file.clone(),
                line: None,
                column: None,
                key: Some("env".to_owned()),
                message: format!(
                    "unknown environment `{name}`{hint}; expected one of {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        };
        let mut merged = self.raw.clone();
        if let Some(obj) = merged.as_object_mut() {
            obj.remove("env");
        }
        if !overrides.is_object() {
            return Err(self.env_error(
                name,
                String::new(),
                "expected a table of overrides".to_owned(),
            ));
        }
        deep_merge(&mut merged, overrides);
        let mut config: Config = serde_path_to_error::deserialize(&merged).map_err(|e| {
            let path = e.path().to_string();
            let message = improve_message(&e.inner().to_string());
            self.env_error(name, path, message)
        })?;
        config.env = self.base.env.clone();
        self.check_unique_names(&config, Some(name))?;
        Ok(config)
    }

    /// Refuses two `[[benchmark]]` or two `[[slo]]` tables of one name:
    /// `sloe run NAME` and `sloe slo status NAME` could not tell them
    /// apart, and the second would silently shadow or double the first.
    /// Names both places (the tables' lines in TOML, else their positions).
    fn check_unique_names(&self, config: &Config, env: Option<&str>) -> Result<(), ConfigError> {
        // Names that reach the store: no store keeps a NUL in text.
        for (key, value) in [
            ("project.base_branch", Some(&config.project.base_branch)),
            ("project.testbed", config.project.testbed.as_ref()),
        ] {
            if let Some(v) = value.filter(|v| v.contains('\0')) {
                let (line, column) = find_line(&self.text, &[key.split('.').nth(1).unwrap_or(key)])
                    .map_or((None, None), |(l, c)| (Some(l), Some(c)));
                return Err(ConfigError {
                    file: self.file.clone(),
                    line,
                    column,
                    key: Some(key.to_owned()),
                    message: format!("{v:?} holds a NUL character; expected text without NUL"),
                });
            }
        }
        let benchmarks = config.benchmarks.iter().map(|b| b.name.as_str());
        let slos = config.slos.iter().map(|s| s.name.as_str());
        for (table, names) in [
            ("benchmark", benchmarks.collect::<Vec<_>>()),
            ("slo", slos.collect()),
        ] {
            let Some((first, second)) = first_duplicate(&names) else {
                continue;
            };
            // An environment's arrays replace the file's: its entries' lines are not the headers'.
            let headers = match env {
                None => self.table_lines(table),
                Some(_) => Vec::new(),
            };
            let place = |i: usize| match headers.get(i) {
                Some(line) => format!("line {line}"),
                None => format!("{table}[{i}]"),
            };
            return Err(ConfigError {
                file: self.file.clone(),
                line: headers.get(second).copied(),
                column: None,
                key: Some(match env {
                    None => format!("{table}[{second}].name"),
                    Some(env) => format!("env.{env}.{table}[{second}].name"),
                }),
                message: format!(
                    "the {table} name `{}` is used twice, at {} and {}; expected each \
                     [[{table}]] to have a name of its own",
                    names[second],
                    place(first),
                    place(second)
                ),
            });
        }
        Ok(())
    }

    /// The lines of the `[[table]]` headers of a TOML document, in order
    /// (empty for YAML and JSON, whose entries have no header).
    fn table_lines(&self, table: &str) -> Vec<usize> {
        if self.syntax != Syntax::Toml {
            return Vec::new();
        }
        let header = format!("[[{table}]]");
        self.text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with(&header))
            .map(|(i, _)| i + 1)
            .collect()
    }

    fn env_error(&self, name: &str, path: String, message: String) -> ConfigError {
        // JSON values carry no positions: point at the `[env.NAME]` table.
        let (line, column) = match self.syntax {
            Syntax::Toml => find_line(
                &self.text,
                &[&format!("[env.{name}"), &format!("env.{name}")],
            ),
            Syntax::Yaml | Syntax::Json => {
                find_line(&self.text, &[&format!("\"{name}\""), &format!("{name}:")])
            }
        }
        .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        let key = if path.is_empty() || path == "." {
            format!("env.{name}")
        } else {
            format!("env.{name}.{path}")
        };
        ConfigError {
            file: self.file.clone(),
            line,
            column,
            key: Some(key),
            message,
        }
    }
}

/// The positions of the first name that occurs twice in `names`.
fn first_duplicate(names: &[&str]) -> Option<(usize, usize)> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(first) = seen.insert(name, i) {
            return Some((first, i));
        }
    }
    None
}

fn find_line(text: &str, needles: &[&str]) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        needles
            .iter()
            .find_map(|n| l.find(n))
            .map(|c| (i + 1, l[..c].chars().count() + 1))
    })
}

fn deep_merge(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => deep_merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn deserialize_text<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    syntax: Syntax,
) -> Result<T, ConfigError> {
    let err =
        |line: Option<usize>, column: Option<usize>, key: String, message: String| ConfigError {
            file: file.to_owned(),
            line,
            column,
            key: (!key.is_empty() && key != ".").then_some(key),
            message: improve_message(&message),
        };
    match syntax {
        Syntax::Toml => {
            let de = toml::Deserializer::parse(text).map_err(|e| {
                let (l, c) = e.span().map(|s| line_col(text, s.start)).unzip();
                let mut e = err(l, c, String::new(), e.message().to_owned());
                if looks_like_yaml(text) {
                    e.message.push_str(
                        " (the file looks like YAML: sloe reads YAML from a .yaml or .yml file, \
                         so rename it, or write it as TOML)",
                    );
                }
                e
            })?;
            serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let (l, c) = inner.span().map(|s| line_col(text, s.start)).unzip();
                err(l, c, path, inner.message().to_owned())
            })
        }
        Syntax::Yaml => {
            let de = serde_yaml_ng::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let (l, c) = inner
                    .location()
                    .map(|loc| (loc.line(), loc.column()))
                    .unzip();
                // serde_yaml_ng appends " at line L column C" to messages; positions are reported separately.
                let msg = inner.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                err(l, c, path, msg)
            })
        }
        Syntax::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let msg = inner.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                err(Some(inner.line()), Some(inner.column()), path, msg)
            })?;
            de.end().map_err(|e| {
                err(
                    Some(e.line()),
                    Some(e.column()),
                    String::new(),
                    e.to_string(),
                )
            })?;
            Ok(value)
        }
    }
}

/// Adds a did-you-mean to serde's "unknown field" messages.
fn improve_message(message: &str) -> String {
    // Some deserializers put the path before serde's text; the path is reported separately.
    if let Some(start) = message.find("unknown variant `") {
        return improve_variant(message, start);
    }
    let Some(start) = message.find("unknown field `") else {
        return message.to_owned();
    };
    let rest = &message[start + "unknown field `".len()..];
    let Some((field, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match did_you_mean(field, &candidates) {
        Some(s) => format!("unknown key `{field}` (did you mean `{s}`?){expected}"),
        None => format!("unknown key `{field}`{expected}"),
    }
}

/// Adds a did-you-mean to serde's "unknown variant `x`, expected ..." (a
/// misspelt word such as `rate = "pas"`).
fn improve_variant(message: &str, start: usize) -> String {
    let rest = &message[start + "unknown variant `".len()..];
    let Some((word, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match did_you_mean(word, &candidates) {
        Some(s) => format!(
            "{}unknown value `{word}` (did you mean `{s}`?){expected}",
            &message[..start]
        ),
        None => message.to_owned(),
    }
}

/// The closest candidate to `word`, if one is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The commented starter config `sloe init` writes.
pub const STARTER_CONFIG: &str = include_str!("starter.toml");

/// The JSON Schema of the config, generated from the types.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Config);
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Document::parse(text, "sloe.toml", Syntax::Toml)?.resolve(None)
    }

    fn parse_err(text: &str) -> ConfigError {
        match parse(text) {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse("").expect("empty config is valid");
        assert_eq!(c.store.url, DEFAULT_STORE_URL);
        assert_eq!(c.project.base_branch, "main");
        assert_eq!(c.regression.min_baseline_runs, 3);
        assert_eq!(
            c.policy.fail_on,
            vec![
                FailOn::Violation,
                FailOn::Critical,
                FailOn::Regression,
                FailOn::Missing
            ]
        );
    }

    #[test]
    fn slo_stale_after_defaults_to_ten_minutes_and_reads_slo_lengths() {
        let c = parse("").expect("defaults");
        assert_eq!(
            c.policy.slo_stale_after.0,
            jiff::SignedDuration::from_mins(10)
        );
        let c =
            parse("[policy]\nslo_stale_after = \"2d\"\nslo_fail_on = [\"no_data\", \"stale\"]\n")
                .expect("valid");
        assert_eq!(
            c.policy.slo_stale_after.0,
            jiff::SignedDuration::from_hours(48)
        );
        assert_eq!(c.policy.slo_fail_on, [SloFailOn::NoData, SloFailOn::Stale]);
        let e = parse_err("[policy]\nslo_stale_after = \"soon\"\n");
        assert!(e.to_string().contains("expected a length of time"), "{e}");
    }

    #[test]
    fn starter_config_parses() {
        let c = parse(STARTER_CONFIG).expect("starter config is valid");
        assert!(!c.budgets.is_empty());
        // Issue 14: an example to run beside the budgets, and a catch-all
        // that leaves JUnit reports (suites and their tests) alone.
        assert!(!c.benchmarks.is_empty());
        let catch_all = &c.budgets[0];
        assert!(catch_all.applies_to("parse-json", "wall_time"));
        assert!(!catch_all.applies_to("suite:integration", "wall_time"));
        assert!(!catch_all.applies_to("test:integration::login", "wall_time"));
    }

    #[test]
    fn a_budget_skips_what_it_excludes() {
        let c = parse(
            "[[budget]]\nbenchmark = \"parse-*\"\nexclude = [\"parse-slow*\"]\nmax = \"1s\"\n",
        )
        .expect("valid");
        let b = &c.budgets[0];
        assert!(b.applies_to("parse-json", "wall_time"));
        assert!(!b.applies_to("parse-slow-xml", "wall_time"));
        let e = parse_err("[[budget]]\nbenchmark = \"*\"\nexclude = [\"[\"]\nmax = \"1s\"\n");
        assert!(
            e.to_string()
                .contains("exclude pattern \"[\" is not a valid glob"),
            "{e}"
        );
    }

    #[test]
    fn design_example_parses() {
        let text = r#"
[project]
name = "luascript"
base_branch = "main"

[store]
url = "sqlite://.sloe/history.db"

[policy]
fail_on = ["violation", "critical", "regression"]

[regression]
warning = "10%"
critical = "15%"
history = 10
min_baseline_runs = 3

[[budget]]
benchmark = "transpile-simple"
measure = "wall_time"
statistic = "median"
max = "0.85ms"
tolerance = "10%"

[[budget]]
benchmark = "build:*"
measure = "peak_rss"
max = "4GiB"
levels = { info = 0.7, warning = 0.8, critical = 0.9 }

[[benchmark]]
name = "sort-1m"
command = ["sort", "-n", "data.txt"]
runs = 10
warmup = 1

[env.production]
policy = { fail_on = ["warning", "violation", "critical", "regression"] }
"#;
        let doc = Document::parse(text, "sloe.toml", Syntax::Toml).expect("valid");
        let c = doc.resolve(None).expect("valid");
        assert_eq!(c.budgets.len(), 2);
        assert_eq!(c.budgets[0].limit.canonical(), 850_000.0);
        assert_eq!(c.budgets[0].grading, Grading::Tolerance(Percent(10.0)));
        assert!(c.budgets[1].applies_to("build:full", "peak_rss"));
        assert!(!c.budgets[1].applies_to("build:full", "wall_time"));
        assert_eq!(
            c.benchmarks[0].command,
            CommandSpec::Argv(vec!["sort".into(), "-n".into(), "data.txt".into()])
        );
        let prod = doc.resolve(Some("production")).expect("valid");
        assert_eq!(prod.policy.fail_on.len(), 4);
        // everything else is kept
        assert_eq!(prod.budgets, c.budgets);
        assert_eq!(prod.regression, c.regression);
    }

    #[test]
    fn unknown_key_has_position_and_suggestion() {
        let e = parse_err("[[budget]]\nbenchmark = \"a\"\nmax = \"1ms\"\ntolerence = \"5%\"\n");
        let msg = e.to_string();
        assert!(msg.contains("sloe.toml:"), "{msg}");
        assert_eq!(e.line, Some(4), "{msg}");
        assert!(msg.contains("did you mean `tolerance`"), "{msg}");
    }

    #[test]
    fn unknown_top_level_key() {
        let e = parse_err("[polcy]\nfail_on = []\n");
        assert!(e.to_string().contains("did you mean `policy`"), "{e}");
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn bad_quantity_names_key_and_expectation() {
        let e = parse_err("[[budget]]\nbenchmark = \"a\"\nmax = \"12 parsecs\"\n");
        let msg = e.to_string();
        assert_eq!(e.line, Some(3), "{msg}");
        assert!(msg.contains("budget[0].max"), "{msg}");
        assert!(msg.contains("parsecs") && msg.contains("expected"), "{msg}");
    }

    /// A `[[benchmark]]` named `t` with `extra` lines, after a budget so
    /// that the error's line is not simply the first.
    fn benchmark(extra: &str) -> String {
        format!(
            "[[budget]]\nbenchmark = \"a\"\nmax = \"1ms\"\n\n[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\n{extra}\n"
        )
    }

    #[test]
    fn benchmark_runs_zero_is_refused_at_load() {
        let e = parse_err(&benchmark("runs = 0"));
        assert_eq!(e.key.as_deref(), Some("benchmark[0]"), "{e}");
        assert!(
            e.message
                .contains("benchmark `t`.runs: expected at least 1 run, found 0"),
            "{e}"
        );
    }

    #[test]
    fn benchmark_min_runs_above_max_runs_is_refused_at_load() {
        let e = parse_err(&benchmark("min_runs = 20\nmax_runs = 5"));
        assert_eq!(e.file, "sloe.toml");
        assert_eq!(e.line, Some(5), "{e}");
        assert_eq!(e.key.as_deref(), Some("benchmark[0]"), "{e}");
        assert!(
            e.message
                .contains("benchmark `t`.min_runs: min_runs = 20 is above max_runs = 5")
                && e.message.contains("expected min_runs <= max_runs"),
            "{e}"
        );
        // Against the default of the one not given.
        let e = parse_err(&benchmark("max_runs = 5"));
        assert!(
            e.message
                .contains("min_runs = 10 (the default) is above max_runs = 5"),
            "{e}"
        );
        let e = parse_err(&benchmark("min_runs = 10001"));
        assert!(
            e.message.contains("above max_runs = 10000 (the default)"),
            "{e}"
        );
        // Equal bounds, and 0 read as one run, are fine.
        for ok in [
            "min_runs = 5\nmax_runs = 5",
            "min_runs = 0\nmax_runs = 1",
            "runs = 3",
        ] {
            let c = parse(&benchmark(ok)).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(c.benchmarks[0].name, "t");
        }
    }

    #[test]
    fn benchmark_sample_interval_must_be_above_zero() {
        for zero in ["0ms", "0s", "0.1ns"] {
            let e = parse_err(&benchmark(&format!("sample_interval = \"{zero}\"")));
            assert_eq!(e.key.as_deref(), Some("benchmark[0]"), "{e}");
            assert!(
                e.message
                    .contains("benchmark `t`.sample_interval: expected a time above zero"),
                "{zero}: {e}"
            );
        }
        let c = parse(&benchmark("sample_interval = \"100ms\"")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.benchmarks[0]
                .sample_interval
                .as_ref()
                .map(Quantity::canonical),
            Some(1e8)
        );
    }

    #[test]
    fn store_timeouts_are_times_and_zero_turns_one_off() {
        let c = parse("[store]\nstatement_timeout = \"500ms\"\nlock_timeout = \"0s\"")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.store.statement_timeout.limit(),
            Some(std::time::Duration::from_millis(500))
        );
        assert_eq!(c.store.statement_timeout.to_string(), "500ms");
        assert_eq!(c.store.lock_timeout.limit(), None);
        assert_eq!(
            c.store.connect_timeout.limit(),
            Some(std::time::Duration::from_secs(10))
        );
        for bad in ["3GiB", "-1s", "soon", "30"] {
            let e = parse_err(&format!("[store]\nconnect_timeout = \"{bad}\""));
            assert!(
                e.message
                    .contains("expected a time like 500ms, 30s or 2min (0s for no limit)"),
                "{bad}: {e}"
            );
        }
        let e = parse_err("[store]\nidle_in_transaction_timeout = \"30d\"");
        assert!(e.message.contains("at most 24 days"), "{e}");
    }

    #[test]
    fn benchmark_durations_must_be_times() {
        for field in ["timeout", "min_time", "sample_interval", "sustained_window"] {
            let e = parse_err(&benchmark(&format!("{field} = \"3GiB\"")));
            assert!(
                e.message.contains(&format!(
                    "benchmark `t`.{field}: expected a time like 500ms, 3s or 10min, found 3 GiB"
                )),
                "{field}: {e}"
            );
            let e = parse_err(&benchmark(&format!("{field} = \"-1s\"")));
            assert!(e.message.contains(&format!("benchmark `t`.{field}")), "{e}");
        }
        let c = parse(&benchmark(
            "timeout = \"1min\"\nmin_time = \"2s\"\nsustained_window = \"30s\"",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.benchmarks[0].timeout.is_some());
    }

    #[test]
    fn benchmark_ab_mode_and_parse_exclude_each_other() {
        let e = parse_err(&benchmark(
            "baseline_command = [\"false\"]\nparse = \"criterion\"",
        ));
        assert!(
            e.message
                .contains("benchmark `t`.baseline_command: A/B mode times two commands")
                && e.message
                    .contains("parse = \"criterion\"; remove one of them"),
            "{e}"
        );
    }

    #[test]
    fn benchmark_validation_applies_to_env_overrides_and_other_syntaxes() {
        let text = format!(
            "{}[env.ci]\nbenchmark = [{{ name = \"t\", command = \"true\", min_runs = 9, max_runs = 2 }}]\n",
            benchmark("")
        );
        let e = match Document::parse(&text, "sloe.toml", Syntax::Toml) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        };
        assert_eq!(e.key.as_deref(), Some("env.ci.benchmark[0]"), "{e}");
        assert!(
            e.message.contains("min_runs = 9 is above max_runs = 2"),
            "{e}"
        );
        let yaml = "benchmark:\n  - name: t\n    command: \"true\"\n    sample_interval: 0ms\n";
        let e = match Document::parse(yaml, "sloe.yaml", Syntax::Yaml) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        };
        assert_eq!(e.key.as_deref(), Some("benchmark[0]"), "{e}");
        assert!(e.message.contains("expected a time above zero"), "{e}");
    }

    #[test]
    fn budget_validation_errors() {
        let both = parse_err("[[budget]]\nbenchmark = \"a\"\nmax = \"1ms\"\nmin = \"1ms\"\n");
        assert!(both.to_string().contains("both `max` and `min`"), "{both}");
        assert_eq!(both.line, Some(1), "{both}");
        let none = parse_err("[[budget]]\nbenchmark = \"a\"\n");
        assert!(none.to_string().contains("sets no limit"), "{none}");
        let dim =
            parse_err("[[budget]]\nbenchmark = \"a\"\nmeasure = \"wall_time\"\nmax = \"4GiB\"\n");
        assert!(
            dim.to_string().contains("does not fit measure `wall_time`"),
            "{dim}"
        );
        let lv = parse_err(
            "[[budget]]\nbenchmark = \"a\"\nmax = \"1ms\"\nlevels = { info = 0.9, warning = 0.8 }\n",
        );
        assert!(lv.to_string().contains("levels must increase"), "{lv}");
        let pct = parse_err("[regression]\nwarning = \"10ms\"\n");
        assert!(pct.to_string().contains("percentage"), "{pct}");
        assert!(pct.to_string().contains("regression.warning"), "{pct}");
    }

    #[test]
    fn a_unitless_limit_on_a_measure_with_a_unit_names_the_unit() {
        // Issue 13: `max = 1` on wall_time loaded and then judged nothing.
        let e = parse_err("[[budget]]\nbenchmark = \"*\"\nmeasure = \"wall_time\"\nmax = 1\n");
        assert_eq!(
            e.to_string(),
            "read config sloe.toml:1:1: key `budget[0]`: budget for \"*\" (measure `wall_time`): limit `1` has no unit, but `wall_time` is measured in time (ns, us, ms, s, min, h); write `max = \"1 s\"` or the unit you meant"
        );
        let e =
            parse_err("[[budget]]\nbenchmark = \"*\"\nmeasure = \"peak_rss\"\nmin = 500000000\n");
        assert!(e.message.contains("write `min = \"500000000 B\"`"), "{e}");
        // The default measure is wall_time too; a count measure and one
        // sloe does not know take plain numbers.
        assert!(
            parse_err("[[budget]]\nbenchmark = \"a\"\nmax = 2\n")
                .message
                .contains("has no unit")
        );
        let c = parse(
            "[[budget]]\nbenchmark = \"a\"\nmeasure = \"instructions\"\nmax = 2\n[[budget]]\nbenchmark = \"a\"\nmeasure = \"allocs\"\nmax = 2\n",
        )
        .expect("plain numbers fit");
        assert_eq!(c.budgets.len(), 2);
    }

    #[test]
    fn unmatched_budgets_policy_is_warn_or_error() {
        let c = parse("").expect("defaults");
        assert_eq!(c.policy.unmatched_budgets, UnmatchedBudgets::Warn);
        let c = parse("[policy]\nunmatched_budgets = \"error\"\n").expect("error");
        assert_eq!(c.policy.unmatched_budgets, UnmatchedBudgets::Error);
        let e = parse_err("[policy]\nunmatched_budgets = \"eror\"\n");
        assert!(e.to_string().contains("did you mean `error`"), "{e}");
    }

    #[test]
    fn bad_syntax_has_position() {
        let e = parse_err("[project\nname = 1\n");
        assert_eq!(e.line, Some(1), "{e}");
    }

    #[test]
    fn yaml_and_json_use_the_same_schema() {
        let yaml = "project:\n  name: x\nbudget:\n  - benchmark: \"a*\"\n    max: 2ms\n";
        let c = Document::parse(yaml, "sloe.yaml", Syntax::Yaml)
            .expect("valid yaml")
            .resolve(None)
            .expect("valid");
        assert_eq!(c.budgets[0].limit.canonical(), 2e6);
        let json = r#"{"budget": [{"benchmark": "a*", "min": "1000/s", "measure": "throughput"}]}"#;
        let c = Document::parse(json, "sloe.json", Syntax::Json)
            .expect("valid json")
            .resolve(None)
            .expect("valid");
        assert_eq!(c.budgets[0].kind, LimitKind::Min);

        let e = Document::parse(
            "budget:\n  - benchmark: a\n    maxx: 2ms\n",
            "sloe.yaml",
            Syntax::Yaml,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("did you mean `max`"), "{e}");
        let e = Document::parse(
            "{\n \"store\": {\"urll\": \"x\"}\n}",
            "sloe.json",
            Syntax::Json,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().contains("did you mean `url`"), "{e}");
    }

    #[test]
    fn env_overrides_merge_and_are_validated() {
        let text = "[regression]\nwarning = \"10%\"\nhistory = 5\n\n[env.ci]\nregression = { warning = \"20%\" }\n";
        let doc = Document::parse(text, "sloe.toml", Syntax::Toml).expect("valid");
        let ci = doc.resolve(Some("ci")).expect("valid");
        assert_eq!(ci.regression.warning, Percent(20.0));
        assert_eq!(ci.regression.history, 5);
        let e = doc.resolve(Some("cl")).unwrap_err();
        assert!(e.to_string().contains("did you mean `ci`"), "{e}");

        let bad = "[env.ci]\nregression = { warnin = \"20%\" }\n";
        let e = Document::parse(bad, "sloe.toml", Syntax::Toml).unwrap_err();
        assert!(!e.message.contains("YAML"), "{e}");
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.to_string().contains("env.ci.regression"), "{e}");
        assert!(e.to_string().contains("did you mean `warning`"), "{e}");
    }

    #[test]
    fn yaml_under_a_toml_name_gets_a_hint() {
        let yaml = "project:\n  testbed: ci\nbudget:\n  - benchmark: \"*\"\n    max: 1s\n";
        let e = Document::parse(yaml, "sloe.toml", Syntax::Toml).unwrap_err();
        assert!(e.message.contains("looks like YAML"), "{e}");
        // The same text under a YAML name is read.
        Document::parse(yaml, "sloe.yaml", Syntax::Yaml).expect("yaml");
        // A broken TOML file is not called YAML.
        for toml in [
            "[project\ntestbed = \"ci\"\n",
            "testbed = \n",
            "a = 1\nb c\n",
        ] {
            let e = Document::parse(toml, "sloe.toml", Syntax::Toml).unwrap_err();
            assert!(!e.message.contains("YAML"), "{toml:?}: {e}");
        }
    }

    #[test]
    fn report_section() {
        let c = parse("[report]\nformats = [\"md\", \"html\"]\nsince = \"30d\"\n").expect("valid");
        assert_eq!(c.report.formats, vec![ReportFormat::Md, ReportFormat::Html]);
        assert_eq!(c.report.since.nanoseconds(), 30.0 * 86_400e9);
        let e = parse_err("[report]\nsince = \"4GiB\"\n");
        assert!(e.to_string().contains("length of time"), "{e}");
        let e = parse_err("[report]\nformats = [\"pdf\"]\n");
        assert!(e.to_string().contains("report.formats"), "{e}");
    }

    #[test]
    fn env_name_without_sections_is_allowed_when_none_defined() {
        let doc = Document::parse("", "sloe.toml", Syntax::Toml).expect("valid");
        assert!(doc.resolve(Some("ci")).is_ok());
    }

    proptest::proptest! {
        // Untrusted input never panics, in any syntax.
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            for syntax in [Syntax::Toml, Syntax::Yaml, Syntax::Json] {
                let _ = Document::parse(&text, "f", syntax);
            }
        }

        #[test]
        fn arbitrary_budget_values_never_panic(max in "\\PC{0,20}", tol in "\\PC{0,10}", stat in "\\PC{0,8}") {
            let text = format!("[[budget]]\nbenchmark = \"a\"\nmax = {max:?}\ntolerance = {tol:?}\nstatistic = {stat:?}\n");
            let _ = Document::parse(&text, "f", Syntax::Toml);
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("tolerence", &["tolerance", "levels"]),
            Some("tolerance")
        );
        assert_eq!(did_you_mean("zzz", &["tolerance", "levels"]), None);
    }
}
