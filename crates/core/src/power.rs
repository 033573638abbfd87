//! What it would take for a regression test to see a change of a given
//! size: how many baseline runs, confirmation rounds or A/B pairs, for the
//! advice on an `inconclusive` verdict. Pure arithmetic on the verdict's
//! minimum detectable change; it never changes a verdict.
//!
//! The history test ([`crate::regression::against_history_runs`]) calls a
//! worsening significant from a half-width `h = q · τ · √(1/k + 1/n)` on
//! the log scale: `q` the one-sided t quantile, `τ` the run-to-run noise,
//! `k` the candidate's rounds and `n` the baseline runs. The minimum
//! detectable change `m` is that half-width as a fraction (`h = ln(1 + m)`
//! when lower is better, `h = −ln(1 − m)` when higher is). To bring it down
//! to a target `w` (`h* = ln(1 + w)`), holding `q` and `τ` fixed:
//!
//! ```text
//! (h*/h)² · (1/k + 1/n) = 1/k' + 1/n'
//! n' = 1 / ((h*/h)² (1/k + 1/n) − 1/k)    more baseline runs, k fixed
//! k' = 1 / ((h*/h)² (1/k + 1/n) − 1/n)    more rounds, n fixed
//! ```
//!
//! each rounded up; when the denominator is not positive, that lever alone
//! cannot get there (with one round the `τ²/k` term stays however many
//! baseline runs there are). A paired A/B test has `h = q · s / √n`, so
//! `n' = n (h/h*)²`.
//!
//! Approximations, both named in the advice as "about": `q` shrinks as the
//! degrees of freedom grow, so the counts are upper bounds for the
//! run-to-run term; a candidate's excess within-run noise (a term that does
//! not shrink with `n`) makes more baseline runs help less than this says.
//! The log scale is assumed (times, sizes and rates are positive).

use crate::model::Direction;

/// Counts beyond which a lever is reported as out of reach.
const AT_MOST: usize = 1000;

/// The half-width on the log scale behind a detectable fraction `change`
/// in the worse direction; `None` when it is not a usable one.
fn half_width(change: f64, direction: Direction) -> Option<f64> {
    if !(change.is_finite() && change > 0.0) {
        return None;
    }
    let h = match direction {
        Direction::LowerIsBetter => change.ln_1p(),
        Direction::HigherIsBetter if change < 1.0 => -(-change).ln_1p(),
        Direction::HigherIsBetter => return None,
    };
    (h.is_finite() && h > 0.0).then_some(h)
}

/// What the history test would need to detect `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// Baseline runs in all (not more) with the candidate's rounds as they
    /// are; `None` when more baseline runs alone cannot get there.
    pub baseline_runs: Option<usize>,
    /// Rounds of the candidate in all (the first measurement included)
    /// with the baseline as it is; `None` when rounds alone cannot.
    pub rounds: Option<usize>,
}

/// What the history test with `baseline_runs` runs and a candidate of
/// `rounds` rounds, whose minimum detectable change is `detectable`, would
/// need to detect `target` (both fractions in the worse direction).
/// `None` when the test already sees `target` or the inputs say nothing.
pub fn to_detect(
    target: f64,
    detectable: f64,
    direction: Direction,
    baseline_runs: usize,
    rounds: usize,
) -> Option<Reach> {
    let (h, goal) = (
        half_width(detectable, direction)?,
        half_width(target, direction)?,
    );
    if baseline_runs == 0 || rounds == 0 || goal >= h {
        return None;
    }
    let (n, k) = (baseline_runs as f64, rounds as f64);
    // The variance the target allows, in units of τ².
    let room = (goal / h).powi(2) * (1.0 / k + 1.0 / n);
    let needed = |other: f64| -> Option<usize> {
        let left = room - 1.0 / other;
        if left <= 0.0 {
            return None;
        }
        let count = (1.0 / left - 1e-9).ceil();
        (count <= AT_MOST as f64).then_some(count as usize)
    };
    Some(Reach {
        baseline_runs: needed(k),
        rounds: needed(n),
    })
}

/// The pairs a paired A/B test with `pairs` pairs, whose minimum detectable
/// change is `detectable`, would need to detect `target`; `None` when it
/// already sees it or needs more than a thousand.
pub fn pairs_to_detect(
    target: f64,
    detectable: f64,
    direction: Direction,
    pairs: usize,
) -> Option<usize> {
    let (h, goal) = (
        half_width(detectable, direction)?,
        half_width(target, direction)?,
    );
    if pairs == 0 || goal >= h {
        return None;
    }
    let count = (pairs as f64 * (h / goal).powi(2) - 1e-9).ceil();
    (count <= AT_MOST as f64).then_some(count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LOWER: Direction = Direction::LowerIsBetter;

    /// The half-width a test with `n` baseline runs and `k` rounds has,
    /// relative to one with `n0` and `k0`.
    fn ratio(n: usize, k: usize, n0: usize, k0: usize) -> f64 {
        ((1.0 / k as f64 + 1.0 / n as f64) / (1.0 / k0 as f64 + 1.0 / n0 as f64)).sqrt()
    }

    #[test]
    fn hand_computed_counts() {
        // h*/h = 0.98 with n = 5, k = 1: room = 0.9604 · 1.2 = 1.15248,
        // n' = 1 / 0.15248 = 6.56 → 7 (by hand; check: √((1 + 1/7)/1.2) =
        // 0.9759 ≤ 0.98 and √((1 + 1/6)/1.2) = 0.9860 > 0.98).
        let h = 0.2_f64;
        let detectable = h.exp_m1();
        let target = (0.98 * h).exp_m1();
        let reach = to_detect(target, detectable, LOWER, 5, 1).expect("not yet seen");
        assert_eq!(reach.baseline_runs, Some(7));
        // Rounds with n = 5: 1/k' = 1.15248 − 0.2 = 0.95248 → k' = 1.05 → 2.
        assert_eq!(reach.rounds, Some(2));

        // h*/h = 0.8, n = 10, k = 1: room = 0.64 · 1.1 = 0.704 < 1, so no
        // number of baseline runs gets there; 1/k' = 0.604 → k' = 1.66 → 2.
        let target = (0.8 * h).exp_m1();
        let reach = to_detect(target, detectable, LOWER, 10, 1).expect("not yet seen");
        assert_eq!(reach.baseline_runs, None);
        assert_eq!(reach.rounds, Some(2));

        // Already seen: nothing to advise.
        assert_eq!(to_detect(0.5, 0.1, LOWER, 10, 1), None);
    }

    #[test]
    fn higher_is_better_reads_the_change_downwards() {
        // A throughput drop of 20 % is h = −ln 0.8 = 0.2231; 10 % is 0.1054.
        // Paired: n' = 10 · (0.2231/0.1054)² = 44.8 → 45 (by hand).
        assert_eq!(
            pairs_to_detect(0.1, 0.2, Direction::HigherIsBetter, 10),
            Some(45)
        );
        assert_eq!(
            pairs_to_detect(0.1, 1.5, Direction::HigherIsBetter, 10),
            None
        );
    }

    proptest! {
        /// The counts are the smallest that reach the target under the
        /// formula: one fewer would not.
        #[test]
        fn counts_are_the_smallest_that_reach(
            n in 2usize..60, k in 1usize..4, shrink in 0.3f64..0.99, h in 0.01f64..1.0
        ) {
            let detectable = h.exp_m1();
            let target = (shrink * h).exp_m1();
            let reach = to_detect(target, detectable, LOWER, n, k).expect("not yet seen");
            if let Some(n2) = reach.baseline_runs {
                prop_assert!(n2 > n);
                prop_assert!(ratio(n2, k, n, k) <= shrink + 1e-9);
                prop_assert!(ratio(n2 - 1, k, n, k) > shrink - 1e-9);
            } else {
                // Even infinitely many baseline runs leave τ²/k.
                prop_assert!(ratio(usize::MAX / 2, k, n, k) > shrink - 1e-6 || ratio(AT_MOST, k, n, k) > shrink);
            }
            if let Some(k2) = reach.rounds {
                prop_assert!(k2 > k);
                prop_assert!(ratio(n, k2, n, k) <= shrink + 1e-9);
                prop_assert!(ratio(n, k2 - 1, n, k) > shrink - 1e-9);
            }
        }
    }
}
