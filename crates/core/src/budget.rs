//! Judging a value against its budget.
//!
//! The ratio of a value to its limit decides the verdict. For a `max`
//! budget the ratio is value / limit; for a `min` budget it is limit / value,
//! so in both cases a ratio above 1 is on the wrong side of the limit and
//! `percent_of_budget` reads the same way.
//!
//! With a tolerance t: ratio < 1 is `pass`, 1 ≤ ratio ≤ 1 + t is `drift`
//! (severity warning), ratio > 1 + t is `violation` (severity critical).
//! With levels, the severity is the highest level the ratio reaches; a
//! critical level is a `violation`, info and warning are `drift`, and a value
//! past the limit that reaches no level is still `drift` (severity none): a
//! limit that is exceeded is never reported as a pass.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use crate::config::{Budget, Grading, LimitKind, did_you_mean};
use crate::model::{Series, SeriesKey};
use crate::units::{Dimension, Unit, format_number};

/// Where a value stands against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Drift,
    Violation,
    /// A violation the baseline already had and this run did not make
    /// significantly worse: known debt, blocking only with
    /// `policy.block_known_violations`.
    Known,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    None,
    Info,
    Warning,
    Critical,
}

/// The result of grading one value against one budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetVerdict {
    /// Value relative to the limit, oriented so that above 1 is worse.
    pub ratio: f64,
    pub percent_of_budget: f64,
    pub status: Status,
    pub severity: Severity,
}

/// Relative slack for comparisons at band edges, so that a value computed
/// as exactly 110 % of its limit is not pushed over by rounding.
const EDGE_EPSILON: f64 = 1e-9;

fn at_least(ratio: f64, threshold: f64) -> bool {
    ratio >= threshold * (1.0 - EDGE_EPSILON)
}

fn above(ratio: f64, threshold: f64) -> bool {
    ratio > threshold * (1.0 + EDGE_EPSILON)
}

/// Grades `value` (canonical unit) against `budget`.
pub fn grade(budget: &Budget, value: f64) -> BudgetVerdict {
    let limit = budget.limit.canonical();
    let ratio = match budget.kind {
        LimitKind::Max => value / limit,
        LimitKind::Min => {
            if value > 0.0 {
                limit / value
            } else {
                f64::INFINITY
            }
        }
    };
    let (status, severity) = match &budget.grading {
        Grading::Tolerance(t) => {
            if above(ratio, 1.0 + t.fraction()) {
                (Status::Violation, Severity::Critical)
            } else if at_least(ratio, 1.0) {
                (Status::Drift, Severity::Warning)
            } else {
                (Status::Pass, Severity::None)
            }
        }
        Grading::Levels(levels) => {
            let severity = [
                (levels.critical, Severity::Critical),
                (levels.warning, Severity::Warning),
                (levels.info, Severity::Info),
            ]
            .into_iter()
            .find_map(|(level, sev)| level.filter(|l| at_least(ratio, *l)).map(|_| sev))
            .unwrap_or(Severity::None);
            let status = match severity {
                Severity::Critical => Status::Violation,
                Severity::Warning | Severity::Info => Status::Drift,
                Severity::None if above(ratio, 1.0) => Status::Drift,
                Severity::None => Status::Pass,
            };
            (status, severity)
        }
    };
    BudgetVerdict {
        ratio,
        // Multiplying first keeps exact cases exact (110 ns of 100 ns is 110 %, not 110.00000000000001).
        percent_of_budget: match budget.kind {
            LimitKind::Max => value * 100.0 / limit,
            LimitKind::Min if value > 0.0 => limit * 100.0 / value,
            LimitKind::Min => f64::INFINITY,
        },
        status,
        severity,
    }
}

/// Whether a limit in `limit` can judge a series recorded in `series`: the
/// same dimension, or a plain number on a series of a unit sloe does not
/// know (`allocs/op`).
pub fn unit_fits(limit: &Unit, series: &Unit) -> bool {
    limit.compatible(series) || (limit == &Unit::Count && series.dimension().is_none())
}

/// A budget whose limit cannot judge a series it matches: a unitless limit
/// on a series with a unit, or a limit in another dimension. Either would
/// leave the series unjudged, so it is a config error (found only when a
/// run shows the series' unit; well-known measures fail at load).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMismatch<'a> {
    /// Where the budget is in `[[budget]]`, from 0.
    pub index: usize,
    pub budget: &'a Budget,
    pub series: &'a Series,
}

impl UnitMismatch<'_> {
    /// The config key at fault (`budget[0].max`).
    pub fn key(&self) -> String {
        format!("budget[{}].{}", self.index, self.bound())
    }

    fn bound(&self) -> &'static str {
        match self.budget.kind {
            LimitKind::Max => "max",
            LimitKind::Min => "min",
        }
    }

    /// What is wrong and what to write, after "failed to read config F: key K: ".
    pub fn message(&self) -> String {
        let (b, s) = (self.budget, self.series);
        let limit = &b.limit;
        let value = format_number(limit.value);
        let what = format!(
            "budget for {:?} (measure `{}`) on benchmark `{}`",
            b.benchmark, b.measure, s.benchmark
        );
        let unit = s.unit.symbol();
        let fix = if s.unit == Unit::Count {
            format!("write `{} = {value}`", self.bound())
        } else {
            format!(
                "write `{} = \"{value} {unit}\"` or the {} you meant",
                self.bound(),
                match s.unit.dimension() {
                    Some(Dimension::Time) => "time unit",
                    Some(Dimension::Bytes) => "size unit",
                    Some(Dimension::Rate) => "rate unit",
                    _ => "unit",
                }
            )
        };
        if limit.unit == Unit::Count {
            format!(
                "{what}: limit `{value}` has no unit, but the run measured `{}` in {unit}; {fix}",
                s.measure
            )
        } else {
            format!(
                "{what}: limit `{limit}` does not fit `{}`, which the run measured in {unit}; {fix}",
                s.measure
            )
        }
    }
}

/// Every (budget, series) pair of `series` where a matching budget's limit
/// cannot judge the series ([`unit_fits`]).
pub fn unit_mismatches<'a>(budgets: &'a [Budget], series: &'a [Series]) -> Vec<UnitMismatch<'a>> {
    let mut found = Vec::new();
    for (index, budget) in budgets.iter().enumerate() {
        for s in series {
            if budget.applies_to(&s.benchmark, &s.measure)
                && !unit_fits(&budget.limit.unit, &s.unit)
            {
                found.push(UnitMismatch {
                    index,
                    budget,
                    series: s,
                });
                // One per budget: the first series tells the unit.
                break;
            }
        }
    }
    found
}

/// A budget that matches no series of a run: it judged nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmatched<'a> {
    /// Where the budget is in `[[budget]]`, from 0.
    pub index: usize,
    pub budget: &'a Budget,
    /// Whether it matches series earlier runs recorded: the run left them
    /// out (`sloe run NAME`, a `--stage`, a benchmark that is gone), which
    /// is worth saying but is no mistake in the config. Otherwise it
    /// matches nothing anywhere: a typo, or a budget for nothing.
    pub seen_before: bool,
    /// Which part matched nothing, with a did-you-mean, in words.
    pub why: String,
}

impl Unmatched<'_> {
    /// The finding's message: which budget, and why it matched nothing.
    pub fn message(&self) -> String {
        format!(
            "budget {} (benchmark `{}`, measure `{}`) matches nothing in this run: {}",
            self.index + 1,
            self.budget.benchmark,
            self.budget.measure,
            self.why
        )
    }
}

/// The budgets that match no series in `run` (the run's judged series),
/// each with a did-you-mean against the names of `run` and of `recorded`
/// (what earlier runs recorded), or, when it matches what earlier runs
/// recorded, which series this run left out.
pub fn unmatched<'a>(
    budgets: &'a [Budget],
    run: &[SeriesKey],
    recorded: &[SeriesKey],
) -> Vec<Unmatched<'a>> {
    let known: BTreeSet<&SeriesKey> = run.iter().chain(recorded).collect();
    let measures: BTreeSet<&str> = known.iter().map(|k| k.measure.as_str()).collect();
    let measures: Vec<&str> = measures.into_iter().collect();
    budgets
        .iter()
        .enumerate()
        .filter(|(_, b)| !run.iter().any(|k| b.applies_to(&k.benchmark, &k.measure)))
        .map(|(index, budget)| {
            let earlier: Vec<&SeriesKey> = recorded
                .iter()
                .filter(|k| budget.applies_to(&k.benchmark, &k.measure))
                .collect();
            let why = if let Some(first) = earlier.first() {
                let others = match earlier.len() - 1 {
                    0 => String::new(),
                    1 => " and 1 more".to_owned(),
                    n => format!(" and {n} more"),
                };
                format!(
                    "earlier runs recorded `{}` {}{others}, this run did not measure it",
                    first.benchmark, first.measure
                )
            } else if !measures.contains(&budget.measure.as_str()) {
                let mut why = format!("no series has measure `{}`", budget.measure);
                if let Some(m) = did_you_mean(&budget.measure, &measures) {
                    why.push_str(&format!(" (did you mean `{m}`?)"));
                }
                why
            } else {
                let mut why = format!(
                    "no benchmark with measure `{}` matches `{}`",
                    budget.measure, budget.benchmark
                );
                let benchmarks: BTreeSet<&str> = known
                    .iter()
                    .filter(|k| k.measure == budget.measure)
                    .map(|k| k.benchmark.as_str())
                    .collect();
                let benchmarks: Vec<&str> = benchmarks.into_iter().collect();
                if let Some(b) = did_you_mean(&budget.benchmark, &benchmarks) {
                    why.push_str(&format!(" (did you mean `{b}`?)"));
                }
                why
            };
            Unmatched {
                index,
                budget,
                seen_before: !earlier.is_empty(),
                why,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Document, Syntax};

    fn budget(extra: &str) -> Budget {
        let text = format!("[[budget]]\nbenchmark = \"b\"\n{extra}\n");
        let c = Document::parse(&text, "t.toml", Syntax::Toml)
            .and_then(|d| d.resolve(None))
            .unwrap_or_else(|e| panic!("{e}"));
        c.budgets.into_iter().next().expect("one budget")
    }

    fn g(b: &Budget, v: f64) -> (Status, Severity) {
        let r = grade(b, v);
        (r.status, r.severity)
    }

    #[test]
    fn tolerance_band_edges() {
        // limit 100 ns, tolerance 10 %: pass < 100, drift 100..=110, violation > 110
        let b = budget("max = \"100ns\"\ntolerance = \"10%\"");
        assert_eq!(g(&b, 99.999), (Status::Pass, Severity::None));
        assert_eq!(g(&b, 100.0), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 105.0), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 110.0), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 110.001), (Status::Violation, Severity::Critical));
        assert_eq!(grade(&b, 110.0).percent_of_budget, 110.0);
    }

    #[test]
    fn band_edges_survive_unit_conversion() {
        // 0.85 ms limit; 0.935 ms is exactly 110 % but not exactly representable.
        let b = budget("max = \"0.85ms\"\ntolerance = \"10%\"");
        assert_eq!(g(&b, 0.935e6), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 0.85e6), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 0.936e6), (Status::Violation, Severity::Critical));
    }

    #[test]
    fn zero_tolerance_by_default() {
        let b = budget("max = \"1s\"");
        assert_eq!(g(&b, 0.9e9), (Status::Pass, Severity::None));
        assert_eq!(g(&b, 1e9), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 1.0001e9), (Status::Violation, Severity::Critical));
    }

    #[test]
    fn memory_levels_below_the_limit() {
        let b = budget(
            "measure = \"peak_rss\"\nmax = \"1000B\"\nlevels = { info = 0.7, warning = 0.8, critical = 0.9 }",
        );
        assert_eq!(g(&b, 699.0), (Status::Pass, Severity::None));
        assert_eq!(g(&b, 700.0), (Status::Drift, Severity::Info));
        assert_eq!(g(&b, 799.0), (Status::Drift, Severity::Info));
        assert_eq!(g(&b, 800.0), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 900.0), (Status::Violation, Severity::Critical));
        assert_eq!(g(&b, 2000.0), (Status::Violation, Severity::Critical));
    }

    #[test]
    fn time_levels_above_the_limit() {
        let b = budget("max = \"10ms\"\nlevels = { info = 1.2, warning = 1.5, critical = 2.0 }");
        assert_eq!(g(&b, 9e6), (Status::Pass, Severity::None));
        assert_eq!(g(&b, 10e6), (Status::Pass, Severity::None));
        // past the limit but below every level: drift, never pass
        assert_eq!(g(&b, 11e6), (Status::Drift, Severity::None));
        assert_eq!(g(&b, 12e6), (Status::Drift, Severity::Info));
        assert_eq!(g(&b, 14.99e6), (Status::Drift, Severity::Info));
        assert_eq!(g(&b, 15e6), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 19.99e6), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 20e6), (Status::Violation, Severity::Critical));
    }

    #[test]
    fn min_budgets_are_higher_is_better() {
        let b = budget("measure = \"throughput\"\nmin = \"1000/s\"\ntolerance = \"10%\"");
        assert_eq!(g(&b, 1200.0), (Status::Pass, Severity::None));
        assert_eq!(g(&b, 1000.0), (Status::Drift, Severity::Warning));
        // 1000 / 909.1 = 1.09999 → still inside the band
        assert_eq!(g(&b, 909.1), (Status::Drift, Severity::Warning));
        assert_eq!(g(&b, 900.0), (Status::Violation, Severity::Critical));
        assert_eq!(g(&b, 0.0), (Status::Violation, Severity::Critical));
        let r = grade(&b, 800.0);
        assert!((r.percent_of_budget - 125.0).abs() < 1e-9);
    }

    fn budgets(text: &str) -> Vec<Budget> {
        Document::parse(text, "t.toml", Syntax::Toml)
            .and_then(|d| d.resolve(None))
            .unwrap_or_else(|e| panic!("{e}"))
            .budgets
    }

    fn key(benchmark: &str, measure: &str) -> SeriesKey {
        SeriesKey {
            benchmark: benchmark.into(),
            measure: measure.into(),
        }
    }

    #[test]
    fn unmatched_budgets_say_what_they_may_have_meant() {
        let b = budgets(
            "[[budget]]\nbenchmark = \"*\"\nmeasure = \"wal_time\"\nmax = \"1s\"\n\
             [[budget]]\nbenchmark = \"prase\"\nmax = \"1s\"\n\
             [[budget]]\nbenchmark = \"pa*\"\nmax = \"1s\"\n\
             [[budget]]\nbenchmark = \"old\"\nmax = \"1s\"\n\
             [[budget]]\nbenchmark = \"x\"\nmeasure = \"allocs\"\nmax = 5\n",
        );
        let run = [key("parse", "wall_time"), key("lex", "wall_time")];
        let recorded = [key("old", "wall_time"), key("y", "allocs")];
        let found = unmatched(&b, &run, &recorded);
        let messages: Vec<String> = found.iter().map(Unmatched::message).collect();
        assert_eq!(
            messages,
            [
                "budget 1 (benchmark `*`, measure `wal_time`) matches nothing in this run: no series has measure `wal_time` (did you mean `wall_time`?)",
                "budget 2 (benchmark `prase`, measure `wall_time`) matches nothing in this run: no benchmark with measure `wall_time` matches `prase` (did you mean `parse`?)",
                "budget 4 (benchmark `old`, measure `wall_time`) matches nothing in this run: earlier runs recorded `old` wall_time, this run did not measure it",
                "budget 5 (benchmark `x`, measure `allocs`) matches nothing in this run: no benchmark with measure `allocs` matches `x` (did you mean `y`?)",
            ]
        );
        let seen: Vec<bool> = found.iter().map(|u| u.seen_before).collect();
        assert_eq!(seen, [false, false, true, false]);
        // Nothing close: no guess.
        let b = budgets("[[budget]]\nbenchmark = \"zzzzzz\"\nmax = \"1s\"\n");
        assert_eq!(
            unmatched(&b, &run, &[])[0].why,
            "no benchmark with measure `wall_time` matches `zzzzzz`"
        );
    }

    #[test]
    fn a_limit_that_cannot_judge_its_series_names_the_series_unit() {
        let b = budgets(
            "[[budget]]\nbenchmark = \"*\"\nmeasure = \"latency\"\nmax = 5\n\
             [[budget]]\nbenchmark = \"*\"\nmeasure = \"latency\"\nmax = \"5MB\"\n\
             [[budget]]\nbenchmark = \"*\"\nmeasure = \"latency\"\nmax = \"5s\"\n",
        );
        let series = [Series {
            benchmark: "a".into(),
            measure: "latency".into(),
            unit: Unit::Milliseconds,
            direction: crate::model::Direction::LowerIsBetter,
            values: vec![1.0],
            round_size: None,
        }];
        let found = unit_mismatches(&b, &series);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].key(), "budget[0].max");
        assert_eq!(
            found[0].message(),
            "budget for \"*\" (measure `latency`) on benchmark `a`: limit `5` has no unit, but the run measured `latency` in ms; write `max = \"5 ms\"` or the time unit you meant"
        );
        assert_eq!(found[1].key(), "budget[1].max");
        assert!(
            found[1]
                .message()
                .contains("limit `5 MB` does not fit `latency`, which the run measured in ms"),
            "{}",
            found[1].message()
        );
        // A plain number fits a unit sloe does not know.
        assert!(unit_fits(&Unit::Count, &Unit::parse("allocs/op")));
        assert!(!unit_fits(&Unit::Count, &Unit::Seconds));
    }
}
