//! SLI events from the CI history (issue 7, "CI objectives"): recorded runs
//! become good/total events, so "95 % of builds under 20 s over 30 days" or
//! "99 % of tests pass" are SLOs like any other.
//!
//! The caller reads the rows (`Store::series_history` gives
//! `(RunHeader, Series)` pairs); these functions judge them. Every event is
//! timed at its run's timestamp; feed the result to
//! [`MinuteCounts::from_events`](crate::slo::MinuteCounts::from_events).

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::model::{Direction, RunHeader, RunId, Series};
use crate::units::Quantity;

/// Why history could not be turned into events.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    #[error("read history SLI: benchmark pattern {pattern:?} is not a valid glob: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error(
        "judge {benchmark}/{measure} against {threshold}: its unit {unit} cannot be compared with the threshold's"
    )]
    UnitMismatch {
        benchmark: String,
        measure: String,
        unit: String,
        threshold: String,
    },
}

/// One event: `good` of `total` at a time.
pub type HistoryEvent = (Timestamp, u64, u64);

fn pattern(glob: &str) -> Result<glob::Pattern, HistoryError> {
    glob::Pattern::new(glob).map_err(|e| HistoryError::BadPattern {
        pattern: glob.to_owned(),
        reason: e.to_string(),
    })
}

/// `sli = { history = { benchmark, measure, threshold } }`: each run's
/// matching series is one event, good when its median is within the
/// threshold (at most it for lower-is-better measures such as `wall_time`,
/// at least it for higher-is-better ones such as `throughput`). A run with
/// several matching benchmarks (`build:*`) gives one event per benchmark.
pub fn threshold_events(
    rows: &[(RunHeader, Series)],
    benchmark: &str,
    measure: &str,
    threshold: &Quantity,
) -> Result<Vec<HistoryEvent>, HistoryError> {
    let glob = pattern(benchmark)?;
    let limit = threshold.canonical();
    let mut out = Vec::new();
    for (header, series) in rows {
        if series.measure != measure || !glob.matches(&series.benchmark) {
            continue;
        }
        if !series.unit.compatible(&threshold.unit) {
            return Err(HistoryError::UnitMismatch {
                benchmark: series.benchmark.clone(),
                measure: series.measure.clone(),
                unit: series.unit.symbol().to_owned(),
                threshold: threshold.to_string(),
            });
        }
        let Some(value) = crate::stats::median(&series.values) else {
            continue;
        };
        let good = match series.direction {
            Direction::LowerIsBetter => value <= limit,
            Direction::HigherIsBetter => value >= limit,
        };
        out.push((header.context.timestamp, u64::from(good), 1));
    }
    out.sort_by_key(|e| e.0);
    Ok(out)
}

/// Which rate of JUnit suites an SLO tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteRate {
    /// Good: test cases that ran and passed; total: test cases that ran
    /// (skipped ones count in neither).
    Pass,
    /// Good: test cases that ran and were not flaky (passed only after a
    /// retry); total: test cases that ran.
    NotFlaky,
}

impl SuiteRate {
    /// The word the config uses: `pass` or `not_flaky`.
    pub fn as_str(self) -> &'static str {
        match self {
            SuiteRate::Pass => "pass",
            SuiteRate::NotFlaky => "not_flaky",
        }
    }
}

/// Events from the per-suite counts the JUnit reader records under
/// benchmark `suite:<name>` (measures `tests`, `failures`, `errors`,
/// `skipped`, `flaky`): one event per run and suite matching `suite_glob`
/// (a glob on the suite name, without `suite:`), counting its test cases.
pub fn suite_events(
    rows: &[(RunHeader, Series)],
    suite_glob: &str,
    rate: SuiteRate,
) -> Result<Vec<HistoryEvent>, HistoryError> {
    let glob = pattern(suite_glob)?;
    #[derive(Default)]
    struct Tally {
        tests: f64,
        failures: f64,
        errors: f64,
        skipped: f64,
        flaky: f64,
    }
    let mut by_run: BTreeMap<(RunId, &str), (Timestamp, Tally)> = BTreeMap::new();
    for (header, series) in rows {
        let Some(suite) = series.benchmark.strip_prefix("suite:") else {
            continue;
        };
        if !glob.matches(suite) {
            continue;
        }
        let sum: f64 = series.values.iter().filter(|v| v.is_finite()).sum();
        let (_, t) = by_run
            .entry((header.id, series.benchmark.as_str()))
            .or_insert_with(|| (header.context.timestamp, Tally::default()));
        match series.measure.as_str() {
            "tests" => t.tests += sum,
            "failures" => t.failures += sum,
            "errors" => t.errors += sum,
            "skipped" => t.skipped += sum,
            "flaky" => t.flaky += sum,
            _ => {}
        }
    }
    let count = |x: f64| if x > 0.0 { x.round() as u64 } else { 0 };
    let mut out: Vec<HistoryEvent> = by_run
        .into_values()
        .filter_map(|(at, t)| {
            let ran = count(t.tests).saturating_sub(count(t.skipped));
            let bad = match rate {
                SuiteRate::Pass => count(t.failures) + count(t.errors),
                SuiteRate::NotFlaky => count(t.flaky),
            };
            (ran > 0).then(|| (at, ran.saturating_sub(bad), ran))
        })
        .collect();
    out.sort_by_key(|e| e.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunContext;
    use crate::units::Unit;

    fn header(id: i64, at: &str) -> RunHeader {
        let timestamp: Timestamp = at.parse().expect("ts");
        RunHeader {
            id: RunId(id),
            context: RunContext {
                commit: None,
                branch: None,
                testbed: None,
                environment: None,
                timestamp,
                ci: BTreeMap::new(),
                fingerprint: None,
            },
            recorded_at: timestamp,
        }
    }

    fn series(benchmark: &str, measure: &str, unit: Unit, values: &[f64]) -> Series {
        Series {
            benchmark: benchmark.to_owned(),
            measure: measure.to_owned(),
            unit,
            direction: if measure == "throughput" || measure == "tests" {
                Direction::HigherIsBetter
            } else {
                Direction::LowerIsBetter
            },
            values: values.to_vec(),
            round_size: None,
        }
    }

    #[test]
    fn builds_under_twenty_seconds() {
        let s = 1e9;
        let rows = vec![
            (
                header(1, "2026-11-01T10:00:00Z"),
                series("build:full", "wall_time", Unit::Seconds, &[19.0 * s]),
            ),
            (
                header(1, "2026-11-01T10:00:00Z"),
                series("build:full", "peak_rss", Unit::Bytes, &[1e9]),
            ),
            (
                header(2, "2026-11-02T10:00:00Z"),
                series("build:full", "wall_time", Unit::Seconds, &[20.0 * s]),
            ),
            (
                header(3, "2026-11-03T10:00:00Z"),
                series(
                    "build:incr",
                    "wall_time",
                    Unit::Seconds,
                    &[21.0 * s, 19.0 * s, 25.0 * s],
                ),
            ),
            (
                header(3, "2026-11-03T10:00:00Z"),
                series("test:unit", "wall_time", Unit::Seconds, &[99.0 * s]),
            ),
        ];
        let threshold: Quantity = "20s".parse().expect("quantity");
        let events = threshold_events(&rows, "build:*", "wall_time", &threshold).expect("valid");
        // 19 s good; 20 s good (at most the threshold); median 21 s bad
        assert_eq!(
            events,
            vec![
                ("2026-11-01T10:00:00Z".parse().expect("ts"), 1, 1),
                ("2026-11-02T10:00:00Z".parse().expect("ts"), 1, 1),
                ("2026-11-03T10:00:00Z".parse().expect("ts"), 0, 1),
            ]
        );
        let bytes: Quantity = "4GiB".parse().expect("quantity");
        assert!(matches!(
            threshold_events(&rows, "build:*", "wall_time", &bytes),
            Err(HistoryError::UnitMismatch { .. })
        ));
        assert!(threshold_events(&rows, "build:[", "wall_time", &threshold).is_err());
    }

    #[test]
    fn higher_is_better_measures_need_at_least_the_threshold() {
        let rows = vec![(
            header(1, "2026-11-01T10:00:00Z"),
            series("api", "throughput", Unit::PerSecond, &[900.0]),
        )];
        let threshold: Quantity = "1000/s".parse().expect("quantity");
        assert_eq!(
            threshold_events(&rows, "api", "throughput", &threshold).expect("valid")[0].1,
            0
        );
    }

    #[test]
    fn pass_and_flaky_rates_from_junit_suites() {
        let c = Unit::Count;
        let suite = |id, at, tests, failures, errors, skipped, flaky| {
            let h = header(id, at);
            vec![
                (
                    h.clone(),
                    series("suite:core", "tests", c.clone(), &[tests]),
                ),
                (
                    h.clone(),
                    series("suite:core", "failures", c.clone(), &[failures]),
                ),
                (
                    h.clone(),
                    series("suite:core", "errors", c.clone(), &[errors]),
                ),
                (
                    h.clone(),
                    series("suite:core", "skipped", c.clone(), &[skipped]),
                ),
                (
                    h.clone(),
                    series("suite:core", "flaky", c.clone(), &[flaky]),
                ),
                (
                    h,
                    series("test:core::a", "wall_time", Unit::Seconds, &[1.0]),
                ),
            ]
        };
        let mut rows = suite(1, "2026-11-01T10:00:00Z", 10.0, 1.0, 1.0, 2.0, 1.0);
        rows.extend(suite(2, "2026-11-02T10:00:00Z", 5.0, 0.0, 0.0, 5.0, 0.0));
        // run 1: 10 tests, 2 skipped → 8 ran; 1 failure + 1 error → 6 passed
        assert_eq!(
            suite_events(&rows, "*", SuiteRate::Pass).expect("valid"),
            vec![("2026-11-01T10:00:00Z".parse().expect("ts"), 6, 8)]
        );
        // 1 flaky of 8 that ran; run 2 ran nothing: no event
        assert_eq!(
            suite_events(&rows, "core", SuiteRate::NotFlaky).expect("valid"),
            vec![("2026-11-01T10:00:00Z".parse().expect("ts"), 7, 8)]
        );
        assert!(
            suite_events(&rows, "other", SuiteRate::Pass)
                .expect("valid")
                .is_empty()
        );
    }
}
