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

use crate::config::{Budget, Grading, LimitKind};

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
}
