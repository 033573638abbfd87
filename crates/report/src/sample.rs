//! A report with one of each kind of result, for renderer tests.

use sloe_core::budget::{Severity, Status};
use sloe_core::regression::Regression;
use sloe_core::report::{
    Finding, FindingKind, Metadata, OverallStatus, REPORT_SCHEMA, Report, ResultEntry, Summary,
};

pub(crate) fn sample_report() -> Report {
    let entry = |bench: &str,
                 value: f64,
                 limit: Option<f64>,
                 status: Status,
                 regression: Regression,
                 blocking: bool| ResultEntry {
        benchmark: bench.into(),
        measure: "wall_time".into(),
        unit: "ms".into(),
        statistic: "median".into(),
        value,
        limit,
        percent_of_budget: limit.map(|l| (value * 10000.0 / l).round() / 100.0),
        status,
        severity: if blocking {
            Severity::Critical
        } else {
            Severity::None
        },
        baseline: Some(1.16),
        change: Some(0.095),
        change_interval: Some([0.07, 0.12]),
        p_value: Some(0.001),
        adjusted_p_value: Some(0.003),
        min_detectable_change: Some(0.05),
        creep: None,
        change_point: false,
        regression,
        message: format!("{bench} message"),
        limit_kind: limit.map(|_| "max".into()),
        violation_at: limit.map(|l| l * 1.1),
        samples: 3,
        baseline_runs: 5,
        noise: None,
        blocking,
    };
    Report {
        schema: REPORT_SCHEMA.into(),
        metadata: Metadata {
            timestamp: "2026-11-20T10:00:00Z".into(),
            commit: Some("a1b2c3d".into()),
            branch: Some("feature".into()),
            testbed: Some("ci-linux".into()),
            environment: Some("ci".into()),
            sloe_version: "0.1.0".into(),
            run_id: 12,
            baseline: "last 5 runs of main on ci-linux".into(),
            fail_on: vec!["violation".into(), "critical".into(), "regression".into()],
            false_alarm_control: "benjamini-hochberg over 3 regression tests at 1 %".into(),
            fingerprint: None,
            baseline_excluded: Default::default(),
            baseline_differences: Vec::new(),
            baseline_unknown_environment: 0,
        },
        summary: Summary {
            status: OverallStatus::Failed,
            total: 3,
            passed: 2,
            drift: 0,
            violations: 1,
            regressions: 1,
            improvements: 0,
            known: 0,
            inconclusive: 0,
            compliance: 66.7,
        },
        results: vec![
            entry(
                "parse-large",
                1.27,
                Some(1.15),
                Status::Violation,
                Regression::Regression,
                true,
            ),
            entry(
                "transpile-simple",
                0.84,
                Some(0.85),
                Status::Pass,
                Regression::None,
                false,
            ),
            entry(
                "lex",
                0.2,
                None,
                Status::Pass,
                Regression::InsufficientData,
                false,
            ),
        ],
        violations: vec![Finding {
            benchmark: "parse-large".into(),
            measure: "wall_time".into(),
            kind: FindingKind::Budget,
            severity: Severity::Critical,
            message: "1.27 ms exceeds budget 1.15 ms by 10.4 %".into(),
            blocking: true,
        }],
        recommendations: vec!["parse-large wall_time breaks its budget.".into()],
    }
}

/// Issue 13's doubled `sort`, inconclusive on a noisy history (what
/// `sloe check -v` showed: +83.9 %, interval −8.6 % to +269.9 %, p = 0.015,
/// detectable from 101.1 %), beside a pass, with a budget whose measure
/// is misspelt and one for a benchmark this run left out. Built by hand: which verdict the statistics reach is
/// sloe-core's business, how it reads is the renderers'.
pub(crate) fn inconclusive_report() -> Report {
    let mut report = sample_report();
    let pass = report.results[1].clone();
    // Field by field, so whatever else a result carries stays as the
    // sample's others have it.
    let mut sort = pass.clone();
    sort.benchmark = "sort".into();
    sort.measure = "wall_time".into();
    sort.unit = "s".into();
    sort.statistic = "median".into();
    sort.value = 0.5927;
    sort.limit = Some(1.0);
    sort.percent_of_budget = Some(59.27);
    sort.status = Status::Pass;
    sort.severity = Severity::None;
    sort.baseline = Some(0.3222);
    sort.change = Some(0.839);
    sort.change_interval = Some([-0.086, 2.699]);
    sort.p_value = Some(0.015);
    sort.adjusted_p_value = Some(0.015);
    sort.min_detectable_change = Some(1.011);
    sort.creep = None;
    sort.change_point = false;
    sort.regression = Regression::Inconclusive;
    sort.message = "0.5927 s is 59.3 % of budget 1 s; inconclusive: 83.9 % higher than baseline 0.3222 s (interval -8.6 % to +269.9 %, p = 0.015, detectable from 101.1 %): a 10 % change cannot be told from this noise".into();
    sort.limit_kind = Some("max".into());
    sort.violation_at = Some(1.0);
    sort.samples = 10;
    sort.baseline_runs = 10;
    sort.blocking = false;
    report.results = vec![sort, pass];
    let s = &mut report.summary;
    (s.status, s.total, s.passed, s.compliance) = (OverallStatus::Warning, 2, 1, 50.0);
    (
        s.drift,
        s.violations,
        s.regressions,
        s.improvements,
        s.known,
    ) = (0, 0, 0, 0, 0);
    s.inconclusive = 1;
    report.violations = vec![Finding {
        benchmark: "*".into(),
        measure: "wal_time".into(),
        kind: FindingKind::UnmatchedBudget,
        severity: Severity::Warning,
        message: "budget 2 (benchmark `*`, measure `wal_time`) matches nothing in this run: no series has measure `wal_time` (did you mean `wall_time`?)".into(),
        blocking: false,
    }, Finding {
        benchmark: "lex".into(),
        measure: "wall_time".into(),
        kind: FindingKind::UnmatchedBudget,
        severity: Severity::Info,
        message: "budget 3 (benchmark `lex`, measure `wall_time`) matches nothing in this run: earlier runs recorded `lex` wall_time, this run did not measure it".into(),
        blocking: false,
    }];
    report.recommendations = vec![
        "sort wall_time: inconclusive, this noise only shows changes from 101.1 %; to see 10 %: more baseline runs alone cannot get there (10 now), `sloe run` with confirmation rounds (`regression.confirm_runs`), A/B mode (`sloe run --ab` with a `baseline_command`), or a quieter testbed.".into(),
        "1 budget matched nothing in this run and judged nothing: fix the `benchmark` pattern or `measure` named in the finding, or remove the budget (`policy.unmatched_budgets = \"error\"` makes this a config error).".into(),
    ];
    report
}

/// A run whose series span 0.5 ns to 2 s, recorded in units that read
/// badly at their size (a 667 ps hash in seconds, a 1.777 ms transpile in
/// nanoseconds, 24.2 µs in seconds under a 1.1 s budget), evaluated by
/// sloe-core as `sloe check` would.
pub(crate) fn spanning_report() -> Report {
    use std::collections::BTreeMap;

    use jiff::Timestamp;
    use sloe_core::config::{Document, Syntax};
    use sloe_core::evaluate::{Baseline, evaluate};
    use sloe_core::model::{Direction, Run, RunContext, RunHeader, RunId, Series};
    use sloe_core::units::Unit;

    let config = Document::parse(
        r#"
[[budget]]
benchmark = "parse-tiny"
max = "1.1s"

[[budget]]
benchmark = "transpile"
max = "2ms"

[[budget]]
benchmark = "build"
max = "1.5s"

[[budget]]
benchmark = "encode"
measure = "throughput"
min = "300000000B/s"
"#,
        "spanning.toml",
        Syntax::Toml,
    )
    .and_then(|d| d.resolve(None))
    .unwrap_or_else(|e| panic!("{e}"));
    let series = |benchmark: &str, measure: &str, unit: Unit, around: f64| Series {
        benchmark: benchmark.into(),
        measure: measure.into(),
        direction: if unit == Unit::BytesPerSecond {
            Direction::HigherIsBetter
        } else {
            Direction::LowerIsBetter
        },
        unit,
        values: vec![around * 0.999, around, around * 1.001],
        round_size: None,
    };
    let run = Run {
        header: RunHeader {
            id: RunId(41),
            context: RunContext {
                commit: Some("5f6779e".into()),
                branch: Some("main".into()),
                testbed: None,
                environment: None,
                timestamp: Timestamp::UNIX_EPOCH,
                ci: BTreeMap::new(),
                fingerprint: None,
            },
            recorded_at: Timestamp::UNIX_EPOCH,
        },
        series: vec![
            series("hash", "wall_time", Unit::Seconds, 0.667),
            series("alloc", "wall_time", Unit::Microseconds, 0.4845),
            series("lex", "wall_time", Unit::Nanoseconds, 20.0),
            series("parse-tiny", "wall_time", Unit::Seconds, 24_200.0),
            series("transpile", "wall_time", Unit::Nanoseconds, 1_777_000.0),
            series("build", "wall_time", Unit::Milliseconds, 2e9),
            series("encode", "throughput", Unit::BytesPerSecond, 343_557_857.0),
            series("bundle", "size", Unit::Bytes, 3.5 * 1024.0 * 1024.0),
        ],
    };
    let none = Baseline::History {
        description: "no earlier runs".into(),
        runs: BTreeMap::new(),
    };
    evaluate(&config, &run, &none, "0")
}
