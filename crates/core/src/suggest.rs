//! Budgets proposed from history (`sloe budget suggest`).
//!
//! A budget should pass today's code on a normal day and fail a real
//! regression. The proposal takes a high percentile of recent runs'
//! statistics (p95 for `max`, p5 for `min`) and adds headroom of two
//! run-to-run standard deviations, estimated on the log scale from
//! successive differences (so a step in the history does not count as
//! noise): a run from the same distribution then breaks the budget well
//! under 1 % of the time.

use crate::Direction;
use crate::stats;

/// A proposed limit in the canonical unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Suggestion {
    /// The limit, `max` for lower-is-better, `min` for higher-is-better.
    pub limit: f64,
    /// The percentile of recent runs it starts from.
    pub percentile_level: f64,
    /// Run-to-run noise (standard deviation of the log per-run statistic).
    pub noise: f64,
    pub runs: usize,
}

/// Proposes a limit from per-run statistics (any order). `None` with fewer
/// than 3 runs or non-positive values.
pub fn suggest(per_run: &[f64], direction: Direction) -> Option<Suggestion> {
    if per_run.len() < 3 || per_run.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    let logs: Vec<f64> = per_run.iter().map(|v| v.ln()).collect();
    let noise = crate::changepoint::noise_variance(&logs).sqrt();
    let (p, sign) = match direction {
        Direction::LowerIsBetter => (95.0, 1.0),
        Direction::HigherIsBetter => (5.0, -1.0),
    };
    let level = stats::percentile(&logs, p)?;
    Some(Suggestion {
        limit: (level + sign * 2.0 * noise).exp(),
        percentile_level: level.exp(),
        noise,
        runs: per_run.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headroom_above_the_high_percentile() {
        let runs = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.0];
        let s = suggest(&runs, Direction::LowerIsBetter).expect("suggestion");
        assert!(s.limit > 101.0 && s.limit < 105.0, "{s:?}");
        let m = suggest(&runs, Direction::HigherIsBetter).expect("suggestion");
        assert!(m.limit < 99.0 && m.limit > 95.0, "{m:?}");
        assert_eq!(suggest(&[1.0, 2.0], Direction::LowerIsBetter), None);
        assert_eq!(suggest(&[1.0, 0.0, 2.0], Direction::LowerIsBetter), None);
    }

    proptest! {
        #[test]
        fn scale_equivariant_and_above_every_recent_run(v in prop::collection::vec(50.0f64..150.0, 3..30), k in 0.01f64..100.0) {
            let a = suggest(&v, Direction::LowerIsBetter).expect("s");
            let scaled: Vec<f64> = v.iter().map(|x| x * k).collect();
            let b = suggest(&scaled, Direction::LowerIsBetter).expect("s");
            prop_assert!((b.limit / (a.limit * k) - 1.0).abs() < 1e-9);
            prop_assert!(a.limit >= a.percentile_level);
        }
    }
}
