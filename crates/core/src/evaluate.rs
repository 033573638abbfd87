//! From a run, its budgets and its baseline to a [`Report`].
//!
//! Every series in the run is judged against each budget that matches it
//! and against its baseline; a series no budget covers still gets a
//! regression verdict. Which verdicts block is policy (`fail_on`), applied
//! here so that the report's `summary.status` and the exit code can never
//! disagree.
//!
//! [`evaluate`] reads as its phases, each a function: schedule the tests,
//! control the run's false alarms, grade budgets, mark known debt and
//! creep, apply policy, advise. The report keeps full precision; rounding
//! for display belongs to the renderers (`sloe_report::display`).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::budget::{self, Severity, Status};
use crate::changepoint;
use crate::config::{Budget, Config, FailOn, Grading, LimitKind, PolicyConfig};
use crate::model::{AB_BASELINE_SUFFIX, Run, Series, SeriesKey};
use crate::moderation::{self, NoisePrior};
use crate::power;
use crate::regression::{self, Regression, Thresholds, Verdict};
use crate::report::{
    Finding, FindingKind, Metadata, OverallStatus, REPORT_SCHEMA, Report, ResultEntry, Summary,
};
use crate::stats::Statistic;
use crate::units::{Scale, Unit, format_number};

/// What a run is compared with.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// Per series, the samples of each recent baseline run (newest first).
    /// The first `regression.history` runs are the baseline; runs from
    /// `regression.creep_window` on, when present, are the anchor for the
    /// slow-creep check.
    History {
        description: String,
        runs: BTreeMap<SeriesKey, Vec<Vec<f64>>>,
    },
    /// A pinned run.
    Pinned { description: String, run: Run },
}

impl Baseline {
    pub fn description(&self) -> &str {
        match self {
            Baseline::History { description, .. } | Baseline::Pinned { description, .. } => {
                description
            }
        }
    }
}

/// Judges `run` against the budgets in `config` and against `baseline`.
///
/// In phases: schedule every regression test of the run, control the
/// run's false alarms over all of them, grade each series against its
/// budgets, mark known debt and slow creep, apply policy, then advise.
/// Numbers keep full precision; rounding them for people is the
/// renderers' job (sloe-report).
pub fn evaluate(config: &Config, run: &Run, baseline: &Baseline, sloe_version: &str) -> Report {
    evaluate_with_names(config, run, baseline, &[], sloe_version)
}

/// [`evaluate`], with the series names earlier runs recorded (`recorded`),
/// which the did-you-mean of a budget that matches nothing also reads.
pub fn evaluate_with_names(
    config: &Config,
    run: &Run,
    baseline: &Baseline,
    recorded: &[SeriesKey],
    sloe_version: &str,
) -> Report {
    let thresholds = thresholds(config);
    let ab = AbPairs::of(run);
    let mut tests = schedule_tests(config, run, &ab, baseline, &thresholds);
    let tests_run = control_false_alarms(&mut tests, &thresholds);
    let graded = grade_budgets(config, run, &ab);
    let mut judged = known_debt_and_creep(config, run, graded, &tests, baseline, &thresholds);
    let mut violations = apply_policy(&config.policy, &mut judged);
    let mut recommendations = advise(config, run, &ab, baseline, &judged);
    let unmatched = unmatched_findings(config, run, recorded);
    violations.extend(empty_run_finding(config, run));
    violations.extend(unmatched.iter().cloned());
    // Budgets that match nothing anywhere make the status a warning; those
    // whose series this run left out are only said (both block under
    // `missing`).
    let unmatched: Vec<Finding> = unmatched
        .into_iter()
        .filter(|f| f.severity == Severity::Warning)
        .collect();
    if !unmatched.is_empty() {
        recommendations.push(format!(
            "{} matched nothing in this run and judged nothing: fix the `benchmark` pattern or `measure` named in the finding, or remove the budget (`policy.unmatched_budgets = \"error\"` makes this a config error).",
            if unmatched.len() == 1 {
                "1 budget".to_owned()
            } else {
                format!("{} budgets", unmatched.len())
            }
        ));
    }
    let results: Vec<ResultEntry> = judged
        .iter()
        .filter_map(|j| match j {
            Judged::Entry(e) => Some(result_entry(e)),
            Judged::UnitMismatch { .. } => None,
        })
        .collect();

    let mut summary = summarize(&results, unmatched.len());
    // What the run lacks is judged apart from its series: an empty run or
    // a budget that judged nothing is never a clean pass, and fails when
    // policy blocks on it.
    if violations.iter().any(|f| f.blocking) {
        summary.status = OverallStatus::Failed;
    } else if run.series.is_empty() && summary.status == OverallStatus::Passed {
        summary.status = OverallStatus::Warning;
    }
    let ctx = &run.header.context;
    Report {
        schema: REPORT_SCHEMA.to_owned(),
        metadata: Metadata {
            timestamp: ctx.timestamp.to_string(),
            commit: ctx.commit.clone(),
            branch: ctx.branch.clone(),
            testbed: ctx.testbed.clone(),
            environment: ctx.environment.clone(),
            sloe_version: sloe_version.to_owned(),
            run_id: run.header.id.0,
            baseline: describe_baseline(&ab, baseline),
            fail_on: config
                .policy
                .fail_on
                .iter()
                .map(|f| fail_on_word(*f).to_owned())
                .collect(),
            false_alarm_control: false_alarm_control(tests_run, thresholds.false_alarm_rate),
            fingerprint: ctx.fingerprint.as_deref().cloned(),
            baseline_excluded: Default::default(),
            baseline_differences: Vec::new(),
            baseline_unknown_environment: 0,
        },
        summary,
        results,
        violations,
        recommendations,
    }
}

/// The budgets of `config` that match no series `run` judges (the A sides
/// of A/B pairs are judged with their candidates, so they do not count),
/// with a did-you-mean against the run's names and `recorded`.
pub fn unmatched_budgets<'a>(
    config: &'a Config,
    run: &Run,
    recorded: &[SeriesKey],
) -> Vec<budget::Unmatched<'a>> {
    let ab = AbPairs::of(run);
    let keys: Vec<SeriesKey> = run
        .series
        .iter()
        .filter(|s| !ab.is_baseline(s))
        .map(Series::key)
        .collect();
    budget::unmatched(&config.budgets, &keys, recorded)
}

/// The findings (kind `unmatched_budget`) for [`unmatched_budgets`]. A
/// budget whose series earlier runs recorded but this run lacks is a
/// benchmark that went missing (a harness that crashed half-way): a warning
/// that blocks when `policy.fail_on` names `missing` (the default), so half
/// a run never passes on what it kept; information when policy leaves
/// `missing` out (as `sloe run NAME` and `--stage` do, which leave
/// benchmarks out on purpose). A budget that matches nothing
/// anywhere is a mistake in the config, not a missing benchmark: a warning
/// (a config error under `policy.unmatched_budgets = "error"`).
fn unmatched_findings(config: &Config, run: &Run, recorded: &[SeriesKey]) -> Vec<Finding> {
    unmatched_budgets(config, run, recorded)
        .into_iter()
        .map(|u| {
            let fail_on = &config.policy.fail_on;
            let (severity, blocking) = if !u.seen_before {
                let severity = Severity::Warning;
                (
                    severity,
                    blocks(fail_on, Status::Pass, Regression::None, severity),
                )
            } else if fail_on.contains(&FailOn::Missing) {
                (Severity::Warning, true)
            } else {
                // Left out on purpose (`sloe run NAME`, a `--stage`, which
                // drop `missing`) or by a policy that allows it: said, as
                // information.
                let severity = Severity::Info;
                (
                    severity,
                    blocks(fail_on, Status::Pass, Regression::None, severity),
                )
            };
            Finding {
                benchmark: u.budget.benchmark.clone(),
                measure: u.budget.measure.clone(),
                kind: FindingKind::UnmatchedBudget,
                severity,
                message: u.message(),
                blocking,
            }
        })
        .collect()
}

/// The finding (kind `empty_run`) for a run with no series: nothing was
/// measured, so it never passes; critical, and blocking under `missing`
/// (the default) or `critical`.
fn empty_run_finding(config: &Config, run: &Run) -> Option<Finding> {
    if !run.series.is_empty() {
        return None;
    }
    Some(Finding {
        benchmark: String::new(),
        measure: String::new(),
        kind: FindingKind::EmptyRun,
        severity: Severity::Critical,
        message: "the run holds no results (0 series): nothing was measured, so nothing passed; \
                  did the harness fail before writing its results?"
            .to_owned(),
        blocking: blocks_missing(&config.policy.fail_on, Severity::Critical),
    })
}

/// Whether policy blocks on something the run lacks: `missing`, or a
/// severity word at or below the finding's.
fn blocks_missing(fail_on: &[FailOn], severity: Severity) -> bool {
    fail_on.contains(&FailOn::Missing) || blocks(fail_on, Status::Pass, Regression::None, severity)
}

/// The regression thresholds `[regression]` sets.
fn thresholds(config: &Config) -> Thresholds {
    Thresholds {
        warning: config.regression.warning.fraction(),
        critical: config.regression.critical.fraction(),
        false_alarm_rate: config.regression.false_alarm_rate.fraction(),
        min_baseline_runs: config.regression.min_baseline_runs,
    }
}

/// The run's regression tests, one per (series, statistic) however many
/// budgets share it, keyed by series and statistic name.
type Tests = BTreeMap<(SeriesKey, String), Verdict>;

/// Schedules the tests: every regression test of the run, before any
/// verdict is reported, so that the run-level false-alarm control sees
/// all of them. Against history, the run's series first lend each other
/// their run-to-run noise ([`noise_priors`]), then each is tested with
/// its pool's prior.
fn schedule_tests(
    config: &Config,
    run: &Run,
    ab: &AbPairs<'_>,
    baseline: &Baseline,
    thresholds: &Thresholds,
) -> Tests {
    let history = config.regression.history;
    let mut scheduled: Vec<(&Series, Option<&Series>, Statistic)> = Vec::new();
    let mut seen = HashSet::new();
    for series in run.series.iter().filter(|s| !ab.is_baseline(s)) {
        let paired = ab.baseline_of(series);
        for statistic in judged_statistics(config, series) {
            if seen.insert((series.key(), statistic.to_string())) {
                scheduled.push((series, paired, statistic));
            }
        }
    }
    let priors = noise_priors(&scheduled, baseline, history, thresholds);
    scheduled
        .into_iter()
        .map(|(series, paired, statistic)| {
            let prior = pool_of(series, paired, statistic, baseline, history, thresholds)
                .and_then(|pool| priors.get(&pool));
            let verdict = match (paired, baseline, prior) {
                (None, Baseline::History { runs, .. }, Some(prior)) => {
                    regression::against_history_pooled(
                        &series.rounds(),
                        recent_runs(runs, &series.key(), history),
                        statistic,
                        series.direction,
                        thresholds,
                        Some(prior),
                    )
                }
                _ => test_series(series, paired, statistic, baseline, history, thresholds),
            };
            ((series.key(), statistic.to_string()), verdict)
        })
        .collect()
}

/// A pool of series that share a noise prior: one measure, one statistic,
/// one test scale (log or linear).
type Pool = (String, String, bool);

/// The pool a history test belongs to, with its own variance and degrees
/// of freedom; `None` for A/B and pinned tests and untestable series.
fn pool_entry(
    series: &Series,
    paired: Option<&Series>,
    statistic: Statistic,
    baseline: &Baseline,
    history: usize,
    thresholds: &Thresholds,
) -> Option<(Pool, regression::HistoryVariance)> {
    let Baseline::History { runs, .. } = baseline else {
        return None;
    };
    if paired.is_some() {
        return None;
    }
    let v = regression::history_variance(
        &series.rounds(),
        recent_runs(runs, &series.key(), history),
        statistic,
        thresholds,
    )?;
    Some((
        (series.measure.clone(), statistic.to_string(), v.log_scale),
        v,
    ))
}

fn pool_of(
    series: &Series,
    paired: Option<&Series>,
    statistic: Statistic,
    baseline: &Baseline,
    history: usize,
    thresholds: &Thresholds,
) -> Option<Pool> {
    pool_entry(series, paired, statistic, baseline, history, thresholds).map(|(pool, _)| pool)
}

/// The noise prior of each pool of the run's history tests, estimated from
/// the baseline runs of all its series ([`moderation::estimate_noise_prior`]:
/// one prior, or two noise groups when the series clearly fall into two);
/// pools with too few usable series have none, and their series keep their
/// own estimate.
fn noise_priors(
    scheduled: &[(&Series, Option<&Series>, Statistic)],
    baseline: &Baseline,
    history: usize,
    thresholds: &Thresholds,
) -> HashMap<Pool, NoisePrior> {
    let mut pools: HashMap<Pool, Vec<(f64, f64)>> = HashMap::new();
    for (series, paired, statistic) in scheduled {
        if let Some((pool, v)) =
            pool_entry(series, *paired, *statistic, baseline, history, thresholds)
        {
            pools.entry(pool).or_default().push((v.variance, v.df));
        }
    }
    pools
        .into_iter()
        .filter_map(|(pool, variances)| Some((pool, moderation::estimate_noise_prior(&variances)?)))
        .collect()
}

/// Run-level false-alarm control: Benjamini–Hochberg over all the run's
/// tests ([`regression::control_run_false_alarms`]). Returns how many
/// tests it counted.
fn control_false_alarms(tests: &mut Tests, thresholds: &Thresholds) -> usize {
    let mut verdicts: Vec<&mut Verdict> = tests.values_mut().collect();
    regression::control_run_false_alarms(&mut verdicts, thresholds)
}

/// One series against one matching budget (or against none when no budget
/// covers it), in the order the report lists them.
enum Judged<'a, E> {
    /// The budget's unit does not fit the series: reported, not judged.
    UnitMismatch {
        series: &'a Series,
        budget: &'a Budget,
    },
    Entry(E),
}

/// A series' statistic graded against a budget.
struct Graded<'a> {
    /// Where the series sits in the run (several entries can share one).
    series_index: usize,
    series: &'a Series,
    /// The A side of an A/B pair, when the run holds one.
    paired: Option<&'a Series>,
    budget: Option<&'a Budget>,
    statistic: Statistic,
    /// The statistic, in canonical units.
    value: f64,
    /// The unit values are shown in: the budget's, else the series'.
    display: Unit,
    grade: Option<budget::BudgetVerdict>,
}

/// Grades budgets: each series (but the A sides of A/B pairs) against
/// each budget that matches it; a series no budget covers gets one entry
/// without a grade.
fn grade_budgets<'a>(
    config: &'a Config,
    run: &'a Run,
    ab: &AbPairs<'a>,
) -> Vec<Judged<'a, Graded<'a>>> {
    let mut graded = Vec::new();
    for (series_index, series) in run.series.iter().enumerate() {
        if ab.is_baseline(series) {
            continue;
        }
        let budgets: Vec<&Budget> = config
            .budgets
            .iter()
            .filter(|b| b.applies_to(&series.benchmark, &series.measure))
            .collect();
        let mut judged: Vec<(Option<&Budget>, Statistic)> =
            budgets.iter().map(|b| (Some(*b), b.statistic)).collect();
        if judged.is_empty() {
            judged.push((None, Statistic::Median));
        }
        for (budget, statistic) in judged {
            if let Some(b) = budget
                && !unit_fits(&b.limit.unit, &series.unit)
            {
                graded.push(Judged::UnitMismatch { series, budget: b });
                continue;
            }
            let Some(value) = statistic.compute(&series.values) else {
                continue;
            };
            graded.push(Judged::Entry(Graded {
                series_index,
                series,
                paired: ab.baseline_of(series),
                budget,
                statistic,
                value,
                // Values read in the unit the budget was written in, else as reported.
                display: budget.map_or_else(|| series.unit.clone(), |b| b.limit.unit.clone()),
                grade: budget.map(|b| budget::grade(b, value)),
            }));
        }
    }
    graded
}

/// A graded entry with its regression verdict, known debt and creep
/// marked, and what policy made of it.
struct Judgement<'a> {
    graded: Graded<'a>,
    verdict: Verdict,
    creep: Option<regression::Creep>,
    /// Whether this run starts a new level of the series.
    change_point: bool,
    /// The budget status after known debt and creep.
    status: Status,
    /// The worse of the budget's severity and the regression's.
    severity: Severity,
    message: String,
    /// Decided by [`apply_policy`].
    blocking: bool,
}

impl Judgement<'_> {
    /// The grade before creep could turn a pass into drift.
    fn budget_status(&self) -> Status {
        self.graded.grade.map_or(Status::Pass, |g| g.status)
    }
}

/// Known debt and creep: attaches each entry's regression verdict, marks a
/// violation the baseline already had, and not made significantly worse,
/// as `known`, and a pass that crept past `warning` over `creep_window`
/// runs in steps inside the noise as `drift`.
fn known_debt_and_creep<'a>(
    config: &Config,
    run: &Run,
    graded: Vec<Judged<'a, Graded<'a>>>,
    tests: &Tests,
    baseline: &Baseline,
    thresholds: &Thresholds,
) -> Vec<Judged<'a, Judgement<'a>>> {
    let history = config.regression.history;
    let creep_window = config.regression.creep_window;
    let block_known = config.policy.block_known_violations;
    let on_base = on_base_branch(config, run);
    graded
        .into_iter()
        .map(|g| match g {
            Judged::UnitMismatch { series, budget } => Judged::UnitMismatch { series, budget },
            Judged::Entry(mut g) => {
                let series = g.series;
                // Every graded entry's test was scheduled; testing here is
                // only a safety net should the two selections ever differ.
                let verdict = tests
                    .get(&(series.key(), g.statistic.to_string()))
                    .cloned()
                    .unwrap_or_else(|| {
                        test_series(series, g.paired, g.statistic, baseline, history, thresholds)
                    });
                let known = match (g.budget, g.grade, verdict.baseline) {
                    (Some(b), Some(grade), Some(base)) => {
                        grade.status == Status::Violation
                            && budget::grade(b, base).status == Status::Violation
                            && verdict.regression != Regression::Regression
                    }
                    _ => false,
                };
                if known && let Some(grade) = g.grade.as_mut() {
                    grade.status = Status::Known;
                    if !block_known {
                        grade.severity = Severity::Info;
                    }
                }
                // An inconclusive series is one the step test cannot read; its
                // slow creep is checked all the same.
                let creep = if on_base
                    && matches!(
                        verdict.regression,
                        Regression::None | Regression::Inconclusive
                    ) {
                    creep_of(
                        series,
                        g.statistic,
                        baseline,
                        history,
                        creep_window,
                        thresholds,
                    )
                } else {
                    None
                };
                let mut status = g.grade.map_or(Status::Pass, |grade| grade.status);
                if creep.is_some() && status == Status::Pass {
                    status = Status::Drift;
                }
                let budget_severity = g.grade.map_or(Severity::None, |grade| grade.severity);
                let mut message = message(
                    g.budget,
                    g.value,
                    &g.display,
                    g.grade.as_ref(),
                    &verdict,
                    thresholds.warning,
                );
                if let Some(c) = creep {
                    message.push_str(&format!(
                        "; drift: {:+.1} % against {creep_window} runs ago",
                        c.change * 100.0
                    ));
                }
                Judged::Entry(Judgement {
                    change_point: on_base && starts_change_point(series, g.statistic, baseline),
                    severity: budget_severity.max(verdict.severity),
                    graded: g,
                    verdict,
                    creep,
                    status,
                    message,
                    blocking: false,
                })
            }
        })
        .collect()
}

/// Policy: which entries block (`policy.fail_on`), and the findings the
/// report lists, each with whether it blocks.
fn apply_policy(policy: &PolicyConfig, judged: &mut [Judged<'_, Judgement<'_>>]) -> Vec<Finding> {
    let fail_on = &policy.fail_on;
    // Policy sees a known violation as a violation only when told to.
    let policy_status = |s: Status| {
        if s == Status::Known && policy.block_known_violations {
            Status::Violation
        } else {
            s
        }
    };
    let mut findings: Vec<Finding> = Vec::new();
    for j in judged.iter_mut() {
        let Judged::Entry(j) = j else {
            continue;
        };
        let series = j.graded.series;
        j.blocking = blocks(
            fail_on,
            policy_status(j.status),
            j.verdict.regression,
            j.severity,
        );
        if let (Some(_), Some(grade)) = (j.graded.budget, j.graded.grade)
            && grade.status != Status::Pass
        {
            findings.push(Finding {
                benchmark: series.benchmark.clone(),
                measure: series.measure.clone(),
                kind: FindingKind::Budget,
                severity: grade.severity,
                message: j.message.clone(),
                blocking: blocks(
                    fail_on,
                    policy_status(grade.status),
                    Regression::None,
                    grade.severity,
                ),
            });
        }
        // One regression finding per (benchmark, measure), however many
        // budgets judged it.
        if j.verdict.regression == Regression::Regression
            && !findings.iter().any(|f| {
                f.kind == FindingKind::Regression
                    && f.benchmark == series.benchmark
                    && f.measure == series.measure
            })
        {
            findings.push(Finding {
                benchmark: series.benchmark.clone(),
                measure: series.measure.clone(),
                kind: FindingKind::Regression,
                severity: j.verdict.severity,
                message: j.message.clone(),
                blocking: blocks(
                    fail_on,
                    Status::Pass,
                    Regression::Regression,
                    j.verdict.severity,
                ),
            });
        }
    }
    findings
}

/// Advice: what to do about each entry, in the order of the entries, then
/// about the run as a whole (too little history, unbudgeted series).
fn advise(
    config: &Config,
    run: &Run,
    ab: &AbPairs<'_>,
    baseline: &Baseline,
    judged: &[Judged<'_, Judgement<'_>>],
) -> Vec<String> {
    let mut recommendations = Vec::new();
    let mut regressions_advised: HashSet<(&str, &str)> = HashSet::new();
    let mut inconclusive_advised: HashSet<(&str, &str)> = HashSet::new();
    let mut insufficient: HashSet<usize> = HashSet::new();
    for j in judged {
        match j {
            Judged::UnitMismatch { series, budget: b } => {
                recommendations.push(format!(
                    "Budget `{}` on {} {} has limit {} but the results are in {}: fix the unit of `{}` in the config.",
                    b.benchmark,
                    series.benchmark,
                    series.measure,
                    b.limit,
                    series.unit,
                    if b.kind == LimitKind::Max { "max" } else { "min" }
                ));
            }
            Judged::Entry(j) => {
                let series = j.graded.series;
                if j.verdict.regression == Regression::InsufficientData {
                    insufficient.insert(j.graded.series_index);
                }
                // One regression advice per (benchmark, measure), as one finding.
                let first_regression = j.verdict.regression == Regression::Regression
                    && regressions_advised.insert((&series.benchmark, &series.measure));
                entry_advice(
                    j,
                    baseline,
                    config.regression.creep_window,
                    first_regression,
                    &mut recommendations,
                );
                if j.verdict.regression == Regression::Inconclusive
                    && inconclusive_advised.insert((&series.benchmark, &series.measure))
                {
                    recommendations.push(inconclusive_advice(j, baseline, config));
                }
            }
        }
    }
    run_advice(
        config,
        run,
        ab,
        baseline,
        insufficient.len(),
        &mut recommendations,
    );
    recommendations.dedup();
    recommendations
}

/// What to do about one entry: its creep, its budget, its regression
/// (`first_regression`: the first entry of its series to report it), its
/// improvement.
fn entry_advice(
    j: &Judgement<'_>,
    baseline: &Baseline,
    creep_window: usize,
    first_regression: bool,
    out: &mut Vec<String>,
) {
    let series = j.graded.series;
    if let Some(c) = j.creep
        && j.budget_status() == Status::Pass
    {
        out.push(format!(
            "{} {} crept {:+.1} % over the last {creep_window} runs in steps each inside the noise (p {}): look at its trend (`sloe history {}`).",
            series.benchmark,
            series.measure,
            c.change * 100.0,
            format_p(c.p_value),
            series.benchmark
        ));
    }
    if let (Some(b), Some(grade)) = (j.graded.budget, j.graded.grade)
        && grade.status != Status::Pass
    {
        out.push(budget_advice(
            b,
            &series.benchmark,
            &series.measure,
            grade.status,
        ));
    }
    if first_regression {
        out.push(if j.graded.paired.is_some() {
            format!(
                "{} {}: a real change against its baseline command (A/B, paired executions on this machine); if it is intended, update the baseline_command.",
                series.benchmark, series.measure
            )
        } else {
            format!(
                "{} {}: a real change against {}; compare this commit with the baseline's commits (`sloe history {}`) to find its cause, or, if it is intended, merge it and let the base branch's new runs become the baseline.",
                series.benchmark,
                series.measure,
                baseline.description(),
                series.benchmark
            )
        });
    }
    if j.verdict.regression == Regression::Improvement
        && let Some(b) = j.graded.budget
    {
        out.push(format!(
            "{} {} improved by {:.1} %: consider tightening budget `{}` ({} {}) to lock the gain in.",
            series.benchmark,
            series.measure,
            j.verdict.change.unwrap_or(0.0).abs() * 100.0,
            b.benchmark,
            if b.kind == LimitKind::Max { "max" } else { "min" },
            b.limit
        ));
    }
}

/// What to do about an inconclusive entry: the change the test could see,
/// and what would let it see `regression.warning` (more baseline runs,
/// confirmation rounds, A/B mode, a quieter testbed), with counts from
/// [`power`] where the test's standard error says how they would help.
fn inconclusive_advice(j: &Judgement<'_>, baseline: &Baseline, config: &Config) -> String {
    let series = j.graded.series;
    let v = &j.verdict;
    let warning = config.regression.warning.fraction();
    let w = format_number(warning * 100.0);
    let name = format!("{} {}", series.benchmark, series.measure);
    let Some(mdc) = v.min_detectable_change.filter(|m| *m > warning) else {
        // The estimate reached the warning but was not significant.
        return format!(
            "{name}: inconclusive, the change reaches {w} % but is not significant at this noise: measure again (`sloe run` re-measures suspects in `regression.confirm_runs` rounds), or compare against the old build side by side (A/B mode: `sloe run --ab` with a `baseline_command`)."
        );
    };
    let seen = format!(
        "{name}: inconclusive, this noise only shows changes from {:.1} %; to see {w} %:",
        mdc * 100.0
    );
    if j.graded.paired.is_some() {
        let pairs = power::pairs_to_detect(warning, mdc, v.direction, v.baseline_runs)
            .map(|n| format!("about {n} A/B pairs (now {})", v.baseline_runs))
            .unwrap_or_else(|| "many more A/B pairs".to_owned());
        return format!("{seen} {pairs} (the benchmark's `runs`), or a quieter testbed.");
    }
    let mut ways = Vec::new();
    if let Baseline::History { .. } = baseline {
        let rounds = series.rounds().len();
        let shape = power::shape_of(v, config.regression.false_alarm_rate.fraction());
        let reach = power::to_detect(warning, mdc, v.direction, v.baseline_runs, rounds, shape);
        match reach.and_then(|r| r.baseline_runs) {
            Some(n) => {
                let more = n.saturating_sub(v.baseline_runs);
                let mut way = format!(
                    "about {more} more baseline run{} on the base branch `{}`",
                    if more == 1 { "" } else { "s" },
                    config.project.base_branch
                );
                if n > config.regression.history {
                    way.push_str(&format!(" (and `regression.history` of at least {n})"));
                }
                ways.push(way);
            }
            None => ways.push(format!(
                "more baseline runs alone cannot get there ({} now)",
                v.baseline_runs
            )),
        }
        let confirm = match reach.and_then(|r| r.rounds) {
            Some(k) => format!(
                "`sloe run` with about {} confirmation round{} (`regression.confirm_runs`)",
                k - 1,
                if k == 2 { "" } else { "s" }
            ),
            None => "`sloe run` with confirmation rounds (`regression.confirm_runs`)".to_owned(),
        };
        ways.push(confirm);
    } else {
        ways.push("more samples in this run and the pinned one".to_owned());
    }
    ways.push("A/B mode (`sloe run --ab` with a `baseline_command`)".to_owned());
    ways.push("a quieter testbed".to_owned());
    let last = ways.pop().unwrap_or_default();
    format!("{seen} {}, or {last}.", ways.join(", "))
}

/// What to do about the run as a whole: series with too few baseline runs
/// (`insufficient`), series no budget covers.
fn run_advice(
    config: &Config,
    run: &Run,
    ab: &AbPairs<'_>,
    baseline: &Baseline,
    insufficient: usize,
    out: &mut Vec<String>,
) {
    if insufficient > 0 {
        out.push(format!(
            "{insufficient} series had too few baseline runs for a regression verdict (need {}; baseline: {}): record more runs on the base branch `{}` with the same testbed.",
            config.regression.min_baseline_runs,
            baseline.description(),
            config.project.base_branch
        ));
    }
    let unbudgeted = run
        .series
        .iter()
        .filter(|s| !ab.is_baseline(s))
        .filter(|s| {
            !config
                .budgets
                .iter()
                .any(|b| b.applies_to(&s.benchmark, &s.measure))
        })
        .count();
    if unbudgeted > 0 {
        let (has, is, their) = if unbudgeted == 1 {
            ("has", "is", "its")
        } else {
            ("have", "are", "their")
        };
        out.push(format!(
            "{unbudgeted} series {has} no budget and {is} only compared with {their} baseline: add `[[budget]]` entries for the ones that matter."
        ));
    }
}

/// The report's line for a judged entry, in the unit it is shown in and
/// at full precision.
fn result_entry(j: &Judgement<'_>) -> ResultEntry {
    let g = &j.graded;
    let show = |v: f64| g.display.from_canonical(v);
    ResultEntry {
        benchmark: g.series.benchmark.clone(),
        measure: g.series.measure.clone(),
        unit: g.display.symbol().to_owned(),
        statistic: g.statistic.to_string(),
        value: show(g.value),
        limit: g.budget.map(|b| b.limit.value),
        percent_of_budget: g.grade.map(|grade| grade.percent_of_budget),
        status: j.status,
        severity: j.severity,
        baseline: j.verdict.baseline.map(show),
        change: j.verdict.change,
        change_interval: j.verdict.change_interval,
        p_value: j.verdict.p_value,
        adjusted_p_value: j.verdict.adjusted_p_value,
        min_detectable_change: j.verdict.min_detectable_change,
        creep: j.creep.map(|c| c.change),
        change_point: j.change_point,
        regression: j.verdict.regression,
        message: j.message.clone(),
        violation_at: g.budget.and_then(violation_at),
        limit_kind: g.budget.map(|b| {
            if b.kind == LimitKind::Max {
                "max".into()
            } else {
                "min".into()
            }
        }),
        samples: g.series.values.len(),
        baseline_runs: j.verdict.baseline_runs,
        noise: j.verdict.noise,
        blocking: j.blocking,
    }
}

/// The statistics a series is judged on: one per matching budget whose
/// unit fits, or the median when no budget covers the series.
fn judged_statistics(config: &Config, series: &Series) -> Vec<Statistic> {
    let budgets: Vec<&Budget> = config
        .budgets
        .iter()
        .filter(|b| b.applies_to(&series.benchmark, &series.measure))
        .collect();
    if budgets.is_empty() {
        return vec![Statistic::Median];
    }
    budgets
        .iter()
        .filter(|b| unit_fits(&b.limit.unit, &series.unit))
        .map(|b| b.statistic)
        .collect()
}

/// What the run was compared with: the baseline, and the A/B pairs when
/// the run holds any.
fn describe_baseline(ab: &AbPairs<'_>, baseline: &Baseline) -> String {
    let mut names: Vec<&str> = ab.0.keys().map(|(benchmark, _)| *benchmark).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return baseline.description().to_owned();
    }
    format!(
        "{}; A/B: {} against {} (paired executions)",
        baseline.description(),
        names
            .iter()
            .map(|b| format!("`{b}`"))
            .collect::<Vec<_>>()
            .join(", "),
        names
            .iter()
            .map(|b| format!("`{b}{AB_BASELINE_SUFFIX}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The A/B pairs A/B mode recorded in a run: each candidate series
/// (benchmark, measure) with its A side, `<benchmark>@baseline`. Built
/// once per run, so that finding a series' pair is a lookup, not a scan.
struct AbPairs<'a>(HashMap<(&'a str, &'a str), &'a Series>);

impl<'a> AbPairs<'a> {
    fn of(run: &'a Run) -> AbPairs<'a> {
        let names: HashSet<(&str, &str)> = run
            .series
            .iter()
            .map(|s| (s.benchmark.as_str(), s.measure.as_str()))
            .collect();
        AbPairs(
            run.series
                .iter()
                .filter_map(|s| {
                    let candidate = (
                        s.benchmark.strip_suffix(AB_BASELINE_SUFFIX)?,
                        s.measure.as_str(),
                    );
                    names.contains(&candidate).then_some((candidate, s))
                })
                .collect(),
        )
    }

    /// The A side recorded with `series`.
    fn baseline_of(&self, series: &Series) -> Option<&'a Series> {
        self.0
            .get(&(series.benchmark.as_str(), series.measure.as_str()))
            .copied()
    }

    /// Whether `series` is the A side of a pair (judged with its
    /// candidate, not on its own).
    fn is_baseline(&self, series: &Series) -> bool {
        series
            .benchmark
            .strip_suffix(AB_BASELINE_SUFFIX)
            .is_some_and(|b| self.0.contains_key(&(b, series.measure.as_str())))
    }
}

/// One regression test of a series: against its A/B baseline side when the
/// run holds one (paired executions, [`regression::against_paired`]), else
/// against the baseline.
fn test_series(
    series: &Series,
    paired: Option<&Series>,
    statistic: Statistic,
    baseline: &Baseline,
    history: usize,
    thresholds: &Thresholds,
) -> Verdict {
    if let Some(a) = paired {
        return regression::against_paired(&a.values, &series.values, series.direction, thresholds);
    }
    match baseline {
        Baseline::History { runs, .. } => regression::against_history_runs(
            &series.rounds(),
            recent_runs(runs, &series.key(), history),
            statistic,
            series.direction,
            thresholds,
        ),
        Baseline::Pinned { run: pinned, .. } => {
            let samples = pinned
                .series
                .iter()
                .find(|s| s.benchmark == series.benchmark && s.measure == series.measure)
                .map(|s| s.values.as_slice())
                .unwrap_or(&[]);
            regression::against_pinned(&series.values, samples, series.direction, thresholds)
        }
    }
}

/// The newest `history` baseline runs of a series.
fn recent_runs<'a>(
    runs: &'a BTreeMap<SeriesKey, Vec<Vec<f64>>>,
    key: &SeriesKey,
    history: usize,
) -> &'a [Vec<f64>] {
    runs.get(key)
        .map(|r| &r[..r.len().min(history)])
        .unwrap_or(&[])
}

/// Whether `run` belongs to the base branch's series: the only runs whose
/// level shifts and slow creep are judged.
///
/// The baseline is the base branch's history; a run of another branch (or
/// of no known branch) is judged against it for regressions and budgets,
/// but it is no point of that history. So it never starts a new level of
/// the base branch (`change_point = false`: the shift, if it lands, shows
/// on the base branch's own run after the merge) and carries no creep
/// (creep is the base branch drifting across its own runs, which its own
/// runs report; a branch would otherwise be blamed for it).
fn on_base_branch(config: &Config, run: &Run) -> bool {
    run.header.context.branch.as_deref() == Some(config.project.base_branch.as_str())
}

/// Whether this run starts a new level of the series (a change point over
/// the baseline history plus this run; see [`crate::changepoint`]). Only
/// asked for runs of the base branch ([`on_base_branch`]).
fn starts_change_point(series: &Series, statistic: Statistic, baseline: &Baseline) -> bool {
    let Baseline::History { runs, .. } = baseline else {
        return false;
    };
    let Some(runs) = runs.get(&series.key()) else {
        return false;
    };
    // Oldest first, this run last.
    let values: Option<Vec<f64>> = runs
        .iter()
        .rev()
        .map(|r| statistic.compute(r))
        .chain(std::iter::once(statistic.compute(&series.values)))
        .collect();
    values.is_some_and(|v| changepoint::starts_new_segment(&v).is_some())
}

/// Slow creep of a series against the runs `creep_window` ago.
fn creep_of(
    series: &Series,
    statistic: Statistic,
    baseline: &Baseline,
    history: usize,
    creep_window: usize,
    thresholds: &Thresholds,
) -> Option<regression::Creep> {
    let Baseline::History { runs, .. } = baseline else {
        // Against a pinned run the step test is already the long-term one.
        return None;
    };
    let all = runs.get(&series.key())?;
    if creep_window == 0 || all.len() <= creep_window {
        return None;
    }
    let anchor = &all[creep_window..all.len().min(creep_window + history.max(1))];
    regression::creep(
        &series.values,
        recent_runs(runs, &series.key(), history),
        anchor,
        statistic,
        series.direction,
        thresholds,
    )
}

/// The value, in the budget's unit, past which a result is a violation.
fn violation_at(b: &Budget) -> Option<f64> {
    let ratio = match &b.grading {
        Grading::Tolerance(t) => 1.0 + t.fraction(),
        Grading::Levels(l) => l.critical?,
    };
    Some(match b.kind {
        LimitKind::Max => b.limit.value * ratio,
        LimitKind::Min => b.limit.value / ratio,
    })
}

/// How the run's false alarms are bounded, in words for the report.
fn false_alarm_control(tests: usize, rate: f64) -> String {
    format!(
        "benjamini-hochberg over {tests} regression test{} at {} % (one-sided per test; unchanged code fails a run with probability at most {} %)",
        if tests == 1 { "" } else { "s" },
        format_number(rate * 100.0),
        format_number(rate * 100.0)
    )
}

fn fail_on_word(f: FailOn) -> &'static str {
    match f {
        FailOn::Drift => "drift",
        FailOn::Violation => "violation",
        FailOn::Regression => "regression",
        FailOn::Inconclusive => "inconclusive",
        FailOn::Missing => "missing",
        FailOn::Info => "info",
        FailOn::Warning => "warning",
        FailOn::Critical => "critical",
    }
}

/// Whether policy blocks on a result. Severities in `fail_on` block at
/// that severity or above.
pub fn blocks(
    fail_on: &[FailOn],
    status: Status,
    regression: Regression,
    severity: Severity,
) -> bool {
    fail_on.iter().any(|f| match f {
        FailOn::Drift => status == Status::Drift,
        FailOn::Violation => status == Status::Violation,
        FailOn::Regression => regression == Regression::Regression,
        FailOn::Inconclusive => regression == Regression::Inconclusive,
        // Said of findings about what the run lacks, never of a result.
        FailOn::Missing => false,
        FailOn::Info => severity >= Severity::Info,
        FailOn::Warning => severity >= Severity::Warning,
        FailOn::Critical => severity >= Severity::Critical,
    })
}

/// The counts over `results` and the overall status; `unmatched_budgets`
/// (budgets that judged nothing) make it at least `warning`.
fn summarize(results: &[ResultEntry], unmatched_budgets: usize) -> Summary {
    let count = |f: &dyn Fn(&ResultEntry) -> bool| results.iter().filter(|r| f(r)).count();
    let total = results.len();
    let passed = count(&|r| {
        r.status == Status::Pass
            && !matches!(
                r.regression,
                Regression::Regression | Regression::Inconclusive
            )
    });
    let drift = count(&|r| r.status == Status::Drift);
    let violations = count(&|r| r.status == Status::Violation);
    let known = count(&|r| r.status == Status::Known);
    let regressions = count(&|r| r.regression == Regression::Regression);
    let improvements = count(&|r| r.regression == Regression::Improvement);
    let inconclusive = count(&|r| r.regression == Regression::Inconclusive);
    let status = if results.iter().any(|r| r.blocking) {
        OverallStatus::Failed
    } else if drift + violations + regressions + known + inconclusive + unmatched_budgets > 0 {
        // A test that could not tell, or a budget that judged nothing, is
        // never a clean pass.
        OverallStatus::Warning
    } else {
        OverallStatus::Passed
    };
    Summary {
        status,
        total,
        passed,
        drift,
        violations,
        regressions,
        improvements,
        known,
        inconclusive,
        compliance: if total == 0 {
            100.0
        } else {
            passed as f64 * 100.0 / total as f64
        },
    }
}

fn unit_fits(limit: &Unit, series: &Unit) -> bool {
    budget::unit_fits(limit, series)
}

fn message(
    budget: Option<&Budget>,
    value: f64,
    display: &Unit,
    graded: Option<&budget::BudgetVerdict>,
    verdict: &Verdict,
    warning: f64,
) -> String {
    // The value and the baseline share one unit, the one the value reads
    // best in (a nanosecond series at 1777000 ns reads `1.777 ms`).
    let scale = Scale::for_values(display, &[value]);
    let shown = scale.show(value);
    let mut msg = match (budget, graded) {
        (Some(b), Some(g)) => {
            let limit =
                Scale::for_values(&b.limit.unit, &[b.limit.canonical()]).show(b.limit.canonical());
            let over = (g.ratio - 1.0) * 100.0;
            match (b.kind, g.status) {
                (LimitKind::Max, Status::Violation) => {
                    format!("{shown} exceeds budget {limit} by {over:.1} %")
                }
                (LimitKind::Min, Status::Violation) => format!(
                    "{shown} is below minimum {limit} ({:.1} % of budget)",
                    g.percent_of_budget
                ),
                (_, Status::Drift) => {
                    let band = match &b.grading {
                        Grading::Tolerance(t) => {
                            format!("within the {} % tolerance", format_number(t.0))
                        }
                        Grading::Levels(_) => format!("severity {}", severity_word(g.severity)),
                    };
                    format!(
                        "{shown} is {:.1} % of budget {limit} ({band})",
                        g.percent_of_budget
                    )
                }
                (_, Status::Pass) => {
                    format!("{shown} is {:.1} % of budget {limit}", g.percent_of_budget)
                }
                (_, Status::Known) => format!(
                    "{shown} is {:.1} % of budget {limit}: known, the baseline already broke it",
                    g.percent_of_budget
                ),
            }
        }
        _ => format!("{shown} (no budget)"),
    };
    match verdict.regression {
        Regression::InsufficientData => msg.push_str(&format!(
            "; no regression verdict: {} baseline run{}",
            verdict.baseline_runs,
            if verdict.baseline_runs == 1 { "" } else { "s" }
        )),
        r => {
            if let (Some(base), Some(change), Some([lo, hi]), Some(p)) = (
                verdict.baseline,
                verdict.change,
                verdict.change_interval,
                verdict.p_value,
            ) {
                let word = match r {
                    Regression::Regression => "regression: ",
                    Regression::Improvement => "improvement: ",
                    Regression::Inconclusive => "inconclusive: ",
                    _ => "",
                };
                let dir = if change >= 0.0 { "higher" } else { "lower" };
                msg.push_str(&format!(
                    "; {word}{:.1} % {dir} than baseline {} (interval {:+.1} % to {:+.1} %, p {}",
                    change.abs() * 100.0,
                    scale.show(base),
                    lo * 100.0,
                    hi * 100.0,
                    format_p(p)
                ));
                if let Some(mdc) = verdict.min_detectable_change
                    && mdc > 0.0
                {
                    msg.push_str(&format!(", detectable from {:.1} %", mdc * 100.0));
                }
                msg.push(')');
                if r == Regression::Inconclusive {
                    msg.push_str(&inconclusive_reason(verdict, warning));
                }
            }
        }
    }
    msg
}

/// Why a verdict is inconclusive, after its evidence: the test cannot see
/// a change of `warning` at this noise, or the estimate reaches `warning`
/// without being significant.
fn inconclusive_reason(verdict: &Verdict, warning: f64) -> String {
    let w = format_number(warning * 100.0);
    match verdict.min_detectable_change {
        Some(mdc) if mdc > warning => format!(": a {w} % change cannot be told from this noise"),
        _ => format!(": the change reaches the {w} % warning but is not significant"),
    }
}

fn format_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_owned()
    } else {
        format!("= {p:.3}")
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::None => "none",
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

fn budget_advice(b: &Budget, benchmark: &str, measure: &str, status: Status) -> String {
    let bound = if b.kind == LimitKind::Max {
        "max"
    } else {
        "min"
    };
    match status {
        Status::Known => format!(
            "{benchmark} {measure} was already over budget `{}` on the baseline (known debt, not blocking unless `policy.block_known_violations`): pay it down, or change `{bound}` to the accepted cost.",
            b.benchmark
        ),
        Status::Violation => format!(
            "{benchmark} {measure} breaks its budget: find the change that made it worse (`sloe history {benchmark}`), or, if the new cost is accepted, change `{bound}` of budget `{}` in the config.",
            b.benchmark
        ),
        _ => format!(
            "{benchmark} {measure} is at its budget's edge: look at the trend (`sloe history {benchmark}`) before it becomes a violation."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Document, Syntax};
    use crate::model::{Direction, RunContext, RunHeader, RunId, Series};
    use jiff::Timestamp;

    fn config(text: &str) -> Config {
        Document::parse(text, "t.toml", Syntax::Toml)
            .and_then(|d| d.resolve(None))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn run(series: Vec<Series>) -> Run {
        Run {
            header: RunHeader {
                id: RunId(7),
                context: RunContext {
                    commit: Some("c".into()),
                    branch: Some("main".into()),
                    testbed: Some("t".into()),
                    environment: None,
                    timestamp: Timestamp::UNIX_EPOCH,
                    ci: BTreeMap::new(),
                    fingerprint: None,
                },
                recorded_at: Timestamp::UNIX_EPOCH,
            },
            series,
        }
    }

    fn wall(bench: &str, ms: &[f64]) -> Series {
        Series {
            benchmark: bench.into(),
            measure: "wall_time".into(),
            unit: Unit::Milliseconds,
            direction: Direction::LowerIsBetter,
            values: ms.iter().map(|v| v * 1e6).collect(),
            round_size: None,
        }
    }

    fn no_baseline() -> Baseline {
        Baseline::History {
            description: "none".into(),
            runs: BTreeMap::new(),
        }
    }

    #[test]
    fn violation_fails_and_matches_design_message() {
        let c = config("[[budget]]\nbenchmark = \"t*\"\nmax = \"1.15ms\"\ntolerance = \"5%\"\n");
        let r = evaluate(
            &c,
            &run(vec![wall("transpile", &[1.26, 1.27, 1.28])]),
            &no_baseline(),
            "0",
        );
        assert_eq!(r.summary.status, OverallStatus::Failed);
        let e = &r.results[0];
        assert_eq!(e.unit, "ms");
        // Full precision: rounding is the renderers' (sloe-report's
        // `display` shows 1.27 and 110.43).
        assert!((e.value - 1.27).abs() < 1e-12, "{}", e.value);
        assert_eq!(e.limit, Some(1.15));
        let percent = e.percent_of_budget.expect("graded");
        assert!((percent - 127.0 / 1.15).abs() < 1e-9, "{percent}");
        assert_eq!(e.status, Status::Violation);
        assert!(
            e.message
                .starts_with("1.27 ms exceeds budget 1.15 ms by 10.4 %"),
            "{}",
            e.message
        );
        assert_eq!(e.regression, Regression::InsufficientData);
        assert_eq!(r.violations.len(), 1);
        assert!(!r.recommendations.is_empty());
    }

    #[test]
    fn unbudgeted_series_get_a_regression_verdict() {
        let c = config("");
        let mut runs = BTreeMap::new();
        let key = SeriesKey {
            benchmark: "x".into(),
            measure: "wall_time".into(),
        };
        runs.insert(
            key,
            vec![
                vec![1e6, 1.01e6],
                vec![1e6, 1.0e6],
                vec![0.99e6, 1e6],
                vec![1e6, 1e6],
            ],
        );
        let base = Baseline::History {
            description: "main".into(),
            runs,
        };
        let r = evaluate(&c, &run(vec![wall("x", &[1.5, 1.5])]), &base, "0");
        assert_eq!(r.results[0].limit, None);
        assert_eq!(r.results[0].regression, Regression::Regression);
        assert_eq!(r.summary.status, OverallStatus::Failed);
        assert_eq!(r.summary.regressions, 1);
        assert_eq!(r.summary.compliance, 0.0);
    }

    #[test]
    fn drift_warns_but_passes_by_default() {
        let c = config("[[budget]]\nbenchmark = \"*\"\nmax = \"1ms\"\ntolerance = \"10%\"\n");
        let r = evaluate(
            &c,
            &run(vec![wall("a", &[1.05]), wall("b", &[0.5])]),
            &no_baseline(),
            "0",
        );
        assert_eq!(r.summary.status, OverallStatus::Warning);
        assert_eq!(
            (r.summary.total, r.summary.passed, r.summary.drift),
            (2, 1, 1)
        );
        assert_eq!(r.summary.compliance, 50.0);
        let strict = config(
            "[policy]\nfail_on = [\"drift\"]\n[[budget]]\nbenchmark = \"*\"\nmax = \"1ms\"\ntolerance = \"10%\"\n",
        );
        let r = evaluate(&strict, &run(vec![wall("a", &[1.05])]), &no_baseline(), "0");
        assert_eq!(r.summary.status, OverallStatus::Failed);
    }

    #[test]
    fn severity_policy_is_at_least() {
        assert!(blocks(
            &[FailOn::Warning],
            Status::Violation,
            Regression::None,
            Severity::Critical
        ));
        assert!(!blocks(
            &[FailOn::Critical],
            Status::Drift,
            Regression::None,
            Severity::Warning
        ));
        assert!(!blocks(
            &[FailOn::Regression],
            Status::Pass,
            Regression::InsufficientData,
            Severity::None
        ));
    }

    #[test]
    fn mismatched_units_are_reported_not_judged() {
        let c = config("[[budget]]\nbenchmark = \"*\"\nmeasure = \"latency\"\nmax = \"1ms\"\n");
        let s = Series {
            benchmark: "a".into(),
            measure: "latency".into(),
            unit: Unit::Bytes,
            direction: Direction::LowerIsBetter,
            values: vec![5.0],
            round_size: None,
        };
        let r = evaluate(&c, &run(vec![s]), &no_baseline(), "0");
        assert!(r.results.is_empty());
        assert!(
            r.recommendations[0].contains("fix the unit"),
            "{:?}",
            r.recommendations
        );
    }

    fn history(levels_ms: &[f64]) -> Baseline {
        let mut runs = BTreeMap::new();
        runs.insert(
            SeriesKey {
                benchmark: "x".into(),
                measure: "wall_time".into(),
            },
            levels_ms
                .iter()
                .map(|l| vec![l * 0.999e6, l * 1e6, l * 1.001e6])
                .collect(),
        );
        Baseline::History {
            description: "main".into(),
            runs,
        }
    }

    #[test]
    fn known_debt_does_not_block_unless_made_worse() {
        let budget = "[[budget]]\nbenchmark = \"x\"\nmax = \"1ms\"\ntolerance = \"5%\"\n";
        let base = history(&[1.2, 1.21, 1.19, 1.2, 1.2]);
        // Over budget, as the baseline was: known, not blocking.
        let r = evaluate(
            &config(budget),
            &run(vec![wall("x", &[1.2, 1.21])]),
            &base,
            "0",
        );
        assert_eq!(r.results[0].status, Status::Known);
        assert!(!r.results[0].blocking, "{:?}", r.results[0]);
        assert_eq!(r.summary.status, OverallStatus::Warning);
        assert_eq!(r.summary.known, 1);
        assert!(
            r.results[0].message.contains("known"),
            "{}",
            r.results[0].message
        );
        // Made significantly worse: a blocking violation and regression.
        let r = evaluate(
            &config(budget),
            &run(vec![wall("x", &[1.5, 1.5])]),
            &base,
            "0",
        );
        assert_eq!(r.results[0].status, Status::Violation);
        assert_eq!(r.results[0].regression, Regression::Regression);
        assert_eq!(r.summary.status, OverallStatus::Failed);
        // Policy may still block on known debt.
        let strict = format!("[policy]\nblock_known_violations = true\n{budget}");
        let r = evaluate(
            &config(&strict),
            &run(vec![wall("x", &[1.2, 1.21])]),
            &base,
            "0",
        );
        assert_eq!(r.results[0].status, Status::Known);
        assert_eq!(r.summary.status, OverallStatus::Failed);
    }

    #[test]
    fn slow_creep_is_drift() {
        // Newest first: 0.4 % per run over 40 runs, each step inside the noise.
        let levels: Vec<f64> = (0..40).map(|i| 1.16 - 0.004 * f64::from(i)).collect();
        let base = history(&levels);
        let c = config("[regression]\ncreep_window = 30\n");
        let r = evaluate(&c, &run(vec![wall("x", &[1.164])]), &base, "0");
        let e = &r.results[0];
        assert_eq!(e.regression, Regression::None, "{e:?}");
        assert_eq!(e.status, Status::Drift, "{e:?}");
        assert!(e.creep.expect("creep") > 0.10, "{e:?}");
        assert_eq!(r.summary.drift, 1);
        // A warning finer than this noise can show makes the step test
        // inconclusive; the creep is still found.
        let fine = config("[regression]\ncreep_window = 30\nwarning = \"0.1%\"\n");
        let r = evaluate(&fine, &run(vec![wall("x", &[1.164])]), &base, "0");
        let e = &r.results[0];
        assert_eq!(e.regression, Regression::Inconclusive, "{e:?}");
        assert_eq!(e.status, Status::Drift, "{e:?}");
        // Off when the window is 0, and nothing on a flat history.
        let off = config("[regression]\ncreep_window = 0\n");
        let r = evaluate(&off, &run(vec![wall("x", &[1.164])]), &base, "0");
        assert_eq!(r.results[0].status, Status::Pass);
        let flat = history(&[1.0; 40]);
        let r = evaluate(&c, &run(vec![wall("x", &[1.0])]), &flat, "0");
        assert_eq!(r.results[0].creep, None);
    }

    #[test]
    fn a_branch_run_starts_no_level_and_carries_no_creep_of_the_base_branch() {
        // Newest first: a creeping base branch, flat before that.
        let levels: Vec<f64> = (0..40).map(|i| 1.16 - 0.004 * f64::from(i)).collect();
        let creeping = history(&levels);
        let c = config("[regression]\ncreep_window = 30\n");
        let mut branch_run = run(vec![wall("x", &[1.164])]);
        branch_run.header.context.branch = Some("topic".into());
        let e = &evaluate(&c, &branch_run, &creeping, "0").results[0];
        assert_eq!((e.status, e.creep), (Status::Pass, None), "{e:?}");
        // A big shift: a regression of the branch, but no new level of main.
        let flat = history(&[1.0, 1.01, 0.99, 1.0, 1.005, 0.995, 1.0, 1.01, 0.99, 1.0]);
        let mut shifted = run(vec![wall("x", &[2.0])]);
        let on_main = &evaluate(&config(""), &shifted, &flat, "0").results[0];
        assert!(on_main.change_point, "{on_main:?}");
        for branch in [Some("topic"), None] {
            shifted.header.context.branch = branch.map(str::to_owned);
            let e = &evaluate(&config(""), &shifted, &flat, "0").results[0];
            assert_eq!(e.regression, Regression::Regression, "{e:?}");
            assert!(!e.change_point, "{branch:?}: {e:?}");
        }
    }

    #[test]
    fn report_says_how_run_false_alarms_are_controlled() {
        let r = evaluate(
            &config(""),
            &run(vec![wall("x", &[1.0])]),
            &history(&[1.0, 1.01, 0.99]),
            "0",
        );
        assert!(
            r.metadata
                .false_alarm_control
                .starts_with("benjamini-hochberg over 1 regression test at 1 %"),
            "{}",
            r.metadata.false_alarm_control
        );
        assert!(r.results[0].min_detectable_change.expect("mdc") > 0.0);
        assert!(r.results[0].adjusted_p_value.is_some());
    }

    /// 24 series of one run whose baseline runs vary by 2.5 % (the same
    /// pattern rotated, so every series has the same spread); series `b00`
    /// is 10 % slower in this run.
    fn pooled_fixture(slow: f64) -> (Run, Baseline) {
        let pattern = [1.0, 1.03, 0.97, 1.02, 0.98, 1.035, 0.965, 1.01, 0.99, 1.0];
        let mut runs = BTreeMap::new();
        let mut series = Vec::new();
        for b in 0..24 {
            let name = format!("b{b:02}");
            let level = 10.0 + f64::from(b);
            let history: Vec<Vec<f64>> = (0..10)
                .map(|i| vec![level * pattern[(i + b as usize) % 10] * 1e6])
                .collect();
            // The candidate at the baseline's geometric mean (times `slow`
            // for b00), so its estimated change is exact.
            let gm = (history.iter().map(|r| r[0].ln()).sum::<f64>() / 10.0).exp() / 1e6;
            let factor = if b == 0 { slow } else { 1.0 };
            runs.insert(
                SeriesKey {
                    benchmark: name.clone(),
                    measure: "wall_time".into(),
                },
                history,
            );
            series.push(wall(&name, &[gm * factor]));
        }
        (
            run(series),
            Baseline::History {
                description: "main".into(),
                runs,
            },
        )
    }

    #[test]
    fn the_run_pools_noise_across_its_series() {
        let (r, base) = pooled_fixture(1.10 * (1.0 + 1e-9));
        let report = evaluate(&config(""), &r, &base, "0");
        let slow = &report.results[0];
        assert_eq!(slow.benchmark, "b00");
        let noise = slow.noise.expect("noise");
        assert_eq!(noise.basis, regression::NoiseBasis::Pooled);
        assert_eq!(noise.series_pooled, 24);
        // Equal spreads: the prior is certain (d0 infinite, a z-test).
        assert_eq!(noise.prior_df, None);
        assert_eq!(slow.regression, Regression::Regression, "{slow:?}");
        for e in &report.results[1..] {
            assert_eq!(e.regression, Regression::None, "{e:?}");
            assert!(e.min_detectable_change.expect("mdc") < 0.10);
        }
    }

    #[test]
    fn without_pooling_the_same_run_is_blind() {
        // The same series one at a time: 9 degrees of freedom each, and BH
        // over 24 tests asks t(1 − 0.01/24, 9) ≈ 4.6 standard errors, more
        // than 10 % at 2.5 % noise.
        let (r, base) = pooled_fixture(1.10 * (1.0 + 1e-9));
        let Baseline::History { runs, .. } = &base else {
            unreachable!()
        };
        let verdict = regression::against_history(
            &r.series[0].values,
            &runs[&r.series[0].key()],
            Statistic::Median,
            Direction::LowerIsBetter,
            &thresholds(&config("")),
        );
        assert_eq!(verdict.regression, Regression::Regression);
        let mut alone = vec![verdict];
        for s in &r.series[1..] {
            alone.push(regression::against_history(
                &s.values,
                &runs[&s.key()],
                Statistic::Median,
                Direction::LowerIsBetter,
                &thresholds(&config("")),
            ));
        }
        let mut all: Vec<&mut Verdict> = alone.iter_mut().collect();
        regression::control_run_false_alarms(&mut all, &thresholds(&config("")));
        assert_eq!(
            alone[0].regression,
            Regression::Inconclusive,
            "{:?}",
            alone[0]
        );
    }

    /// The verdict `sloe check -v` showed for the doubled `sort` of issue
    /// 13 (interval −8.6 % to +269.9 %, p = 0.015, detectable from
    /// 101.1 %), as inconclusive.
    fn doubled_sort_verdict() -> Verdict {
        // Field by field, so whatever else a verdict carries stays as an
        // untested one has it.
        let mut v = Verdict::insufficient(10);
        v.regression = Regression::Inconclusive;
        v.severity = Severity::None;
        v.baseline = Some(0.3222e9);
        v.change = Some(0.839);
        v.change_interval = Some([-0.086, 2.699]);
        v.p_value = Some(0.015);
        v.adjusted_p_value = Some(0.015);
        v.min_detectable_change = Some(1.011);
        v.direction = Direction::LowerIsBetter;
        v
    }

    #[test]
    fn an_inconclusive_message_says_what_the_noise_hides() {
        let msg = message(
            None,
            0.5927e9,
            &Unit::Seconds,
            None,
            &doubled_sort_verdict(),
            0.10,
        );
        assert_eq!(
            msg,
            "0.5927 s (no budget); inconclusive: 83.9 % higher than baseline 0.3222 s (interval -8.6 % to +269.9 %, p = 0.015, detectable from 101.1 %): a 10 % change cannot be told from this noise"
        );
        let mut reached = doubled_sort_verdict();
        reached.min_detectable_change = Some(0.05);
        let msg = message(None, 0.5927e9, &Unit::Seconds, None, &reached, 0.10);
        assert!(
            msg.ends_with(": the change reaches the 10 % warning but is not significant"),
            "{msg}"
        );
    }

    #[test]
    fn inconclusive_advice_names_the_fix_and_what_it_takes() {
        let c = config("");
        let series = wall("sort", &[592.7]);
        let verdict = doubled_sort_verdict();
        let j = Judgement {
            graded: Graded {
                series_index: 0,
                series: &series,
                paired: None,
                budget: None,
                statistic: Statistic::Median,
                value: 0.5927e9,
                display: Unit::Seconds,
                grade: None,
            },
            verdict: verdict.clone(),
            creep: None,
            change_point: false,
            status: Status::Pass,
            severity: Severity::None,
            message: String::new(),
            blocking: false,
        };
        let advice = inconclusive_advice(&j, &history(&[1.0; 10]), &c);
        // With one round, 10 baseline runs leave τ²(1 + 1/10); a tenfold
        // narrower half-width needs far less than τ²/1, so no number of
        // baseline runs gets there (power::to_detect).
        assert_eq!(
            advice,
            "sort wall_time: inconclusive, this noise only shows changes from 101.1 %; to see 10 %: more baseline runs alone cannot get there (10 now), `sloe run` with confirmation rounds (`regression.confirm_runs`), A/B mode (`sloe run --ab` with a `baseline_command`), or a quieter testbed."
        );
        // Nearly there: a count of baseline runs, from power::to_detect
        // (h = ln 1.12, h* = ln 1.10: room = 0.7073 · 1.2 = 0.8488 < 1 with
        // 5 runs and one round, so rounds: 1/k' = 0.6488 → k' = 2).
        let mut near = verdict;
        near.min_detectable_change = Some(0.12);
        near.baseline_runs = 5;
        let j = Judgement {
            verdict: near.clone(),
            ..j
        };
        let advice = inconclusive_advice(&j, &history(&[1.0; 10]), &c);
        assert!(
            advice.contains("more baseline runs alone cannot get there (5 now), `sloe run` with about 1 confirmation round (`regression.confirm_runs`)"),
            "{advice}"
        );
        near.min_detectable_change = Some(0.102);
        let j = Judgement { verdict: near, ..j };
        let advice = inconclusive_advice(&j, &history(&[1.0; 10]), &c);
        // h*/h = ln 1.1 / ln 1.102 = 0.98129: room = 0.96293 · 1.2 =
        // 1.15552, n' = 1 / 0.15552 = 6.43 → 7, two more.
        assert!(
            advice.contains("about 2 more baseline runs on the base branch `main`"),
            "{advice}"
        );
    }

    #[test]
    fn inconclusive_is_never_a_clean_pass() {
        let c = config("");
        let r = evaluate(
            &c,
            &run(vec![wall("x", &[1.0])]),
            &history(&[1.0, 1.01, 0.99]),
            "0",
        );
        let mut results = r.results.clone();
        assert_eq!(summarize(&results, 0).status, OverallStatus::Passed);
        results[0].regression = Regression::Inconclusive;
        let s = summarize(&results, 0);
        assert_eq!(s.status, OverallStatus::Warning);
        assert_eq!((s.inconclusive, s.passed, s.compliance), (1, 0, 0.0));
        results[0].blocking = blocks(
            &[FailOn::Inconclusive],
            Status::Pass,
            Regression::Inconclusive,
            Severity::None,
        );
        assert_eq!(summarize(&results, 0).status, OverallStatus::Failed);
    }

    #[test]
    fn a_budget_that_matches_nothing_is_a_finding_and_a_warning() {
        let c = config(
            "[[budget]]\nbenchmark = \"*\"\nmeasure = \"wal_time\"\nmax = \"1s\"\n[[budget]]\nbenchmark = \"x\"\nmax = \"1s\"\n",
        );
        let recorded = [SeriesKey {
            benchmark: "y".into(),
            measure: "peak_rss".into(),
        }];
        let r = evaluate_with_names(
            &c,
            &run(vec![wall("x", &[1.0])]),
            &no_baseline(),
            &recorded,
            "0",
        );
        // A misspelt budget matches nothing anywhere: a warning, never
        // `missing` (nothing went missing), so even the default policy,
        // which names `missing`, does not block on it.
        assert!(c.policy.fail_on.contains(&FailOn::Missing));
        assert_eq!(r.summary.status, OverallStatus::Warning);
        let f: Vec<&Finding> = r
            .violations
            .iter()
            .filter(|f| f.kind == FindingKind::UnmatchedBudget)
            .collect();
        assert_eq!(f.len(), 1, "{:?}", r.violations);
        assert_eq!(
            (f[0].benchmark.as_str(), f[0].measure.as_str()),
            ("*", "wal_time")
        );
        assert!(
            f[0].message.contains("did you mean `wall_time`?"),
            "{}",
            f[0].message
        );
        assert!(!f[0].blocking);
        assert!(
            r.recommendations
                .iter()
                .any(|r| r.starts_with("1 budget matched nothing")),
            "{:?}",
            r.recommendations
        );
    }

    /// Issue 15: a run that lacks a benchmark its budgets name, which
    /// earlier runs recorded (a harness that crashed half-way), blocks
    /// under the default policy (`missing`) and only warns without it.
    #[test]
    fn a_benchmark_gone_missing_blocks_by_default() {
        let c = config("[[budget]]\nbenchmark = \"y\"\nmax = \"1s\"\n");
        let recorded = [SeriesKey {
            benchmark: "y".into(),
            measure: "wall_time".into(),
        }];
        let r = evaluate_with_names(
            &c,
            &run(vec![wall("x", &[1.0])]),
            &no_baseline(),
            &recorded,
            "0",
        );
        assert_eq!(r.summary.status, OverallStatus::Failed);
        let f: Vec<&Finding> = r
            .violations
            .iter()
            .filter(|f| f.kind == FindingKind::UnmatchedBudget)
            .collect();
        assert_eq!(f.len(), 1, "{:?}", r.violations);
        assert!(f[0].blocking);
        let mut lenient = c.clone();
        lenient.policy.fail_on.retain(|w| *w != FailOn::Missing);
        let r = evaluate_with_names(
            &lenient,
            &run(vec![wall("x", &[1.0])]),
            &no_baseline(),
            &recorded,
            "0",
        );
        assert_eq!(r.summary.status, OverallStatus::Passed);
        assert!(r.violations.iter().all(|f| !f.blocking));
        assert!(r.violations.iter().all(|f| f.severity == Severity::Info));
    }

    /// Issue 15: `{"results":[]}` said `PASSED: 0 of 0`.
    #[test]
    fn an_empty_run_never_passes() {
        let c = config("");
        let r = evaluate(&c, &run(vec![]), &no_baseline(), "0");
        assert_eq!(r.summary.status, OverallStatus::Failed);
        assert_eq!(r.violations.len(), 1);
        assert_eq!(r.violations[0].kind, FindingKind::EmptyRun);
        assert!(r.violations[0].blocking);
        let mut lenient = c.clone();
        lenient.policy.fail_on = vec![FailOn::Violation];
        let r = evaluate(&lenient, &run(vec![]), &no_baseline(), "0");
        assert_eq!(r.summary.status, OverallStatus::Warning);
        assert!(!r.violations[0].blocking);
    }
}
