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
//! `q` shrinks as the degrees of freedom grow, and with few baseline runs
//! that is most of what more runs buy (Student's t at 2 df and a one-sided
//! 0.05 % is 31.6, at 4 df 8.6). When the test's shape is known
//! ([`Shape`], recovered from the verdict by [`shape_of`]), the count of
//! baseline runs lets `q` follow: each run adds one degree of freedom, and
//! the smallest `n'` with `q(df + n' − n) · τ · √(1/k + 1/n') ≤ h*` is
//! found by search. Without it `q` is held fixed and the count is an upper
//! bound. Named in the advice as "about": a candidate's excess within-run
//! noise (a term that does not shrink with `n`) makes more baseline runs
//! help less than this says, and a two-group pooled test is read as one t.
//! The log scale is assumed (times, sizes and rates are positive).

use crate::model::Direction;
use crate::regression::{Verdict, critical_value, tail};

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

/// The test behind a minimum detectable change, as far as the counts need
/// it: its degrees of freedom (`None`: infinite) and the one-sided level
/// the detectable change was stated at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub df: Option<f64>,
    pub level: f64,
}

/// The shape of a tested verdict, recovered from what it reports: its
/// interval is `d ± q(α, df) · se` on the log scale (α = `false_alarm_rate`)
/// and its detectable change `h = q(level, df) · se`, so `se` follows from
/// the interval and the level from `h / se`. `None` without an interval
/// or degrees of freedom (then [`to_detect`] holds `q` fixed).
pub fn shape_of(verdict: &Verdict, false_alarm_rate: f64) -> Option<Shape> {
    let [lo, hi] = verdict.change_interval?;
    if !(lo > -1.0 && hi > lo) {
        return None;
    }
    let noise = verdict.noise.as_ref()?;
    let df = noise.df;
    let q = |alpha: f64| critical_value(alpha, df.unwrap_or(f64::INFINITY));
    let se = (hi.ln_1p() - lo.ln_1p()) / 2.0 / q(false_alarm_rate)?;
    let h = half_width(verdict.min_detectable_change?, verdict.direction)?;
    let level = tail(h / se, df.unwrap_or(f64::INFINITY))?;
    (se > 0.0 && level > 0.0 && level < 0.5).then_some(Shape { df, level })
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
    shape: Option<Shape>,
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
    // With finite degrees of freedom, each more baseline run also lowers
    // the critical value: search for the smallest count that reaches.
    let baseline = match shape {
        Some(Shape {
            df: Some(df),
            level,
        }) => runs_as_df_grows(h, goal, df, level, baseline_runs, rounds),
        _ => needed(k),
    };
    Some(Reach {
        baseline_runs: baseline,
        rounds: needed(n),
    })
}

/// The smallest number of baseline runs (in all) whose half-width
/// `q(level, df + n' − n) · τ · √(1/k + 1/n')` reaches `goal`, from a test
/// of half-width `h` on `n` runs and `df` degrees of freedom; `None`
/// beyond a thousand.
fn runs_as_df_grows(
    h: f64,
    goal: f64,
    df: f64,
    level: f64,
    baseline_runs: usize,
    rounds: usize,
) -> Option<usize> {
    let q0 = critical_value(level, df)?;
    let (n, k) = (baseline_runs as f64, rounds as f64);
    (baseline_runs + 1..=AT_MOST).find(|&more| {
        let q = critical_value(level, df + (more - baseline_runs) as f64).unwrap_or(q0);
        let spread = ((1.0 / k + 1.0 / more as f64) / (1.0 / k + 1.0 / n)).sqrt();
        h * (q / q0) * spread <= goal * (1.0 + 1e-12)
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

    /// A verdict of a test on `n` own baseline runs (df n − 1) and one
    /// round, τ = 1 %, held to the one-sided level `level`, with its
    /// interval at `false_alarm_rate` 1 %.
    fn verdict_of(n: usize, level: f64) -> Verdict {
        let df = (n - 1) as f64;
        let se = 0.01 * (1.0 + 1.0 / n as f64).sqrt();
        let half = critical_value(0.01, df).expect("q") * se;
        let h = critical_value(level, df).expect("q") * se;
        let mut v = Verdict::insufficient(n);
        v.regression = crate::regression::Regression::Inconclusive;
        v.change_interval = Some([(-half).exp_m1(), half.exp_m1()]);
        v.min_detectable_change = Some(h.exp_m1());
        v.noise = Some(crate::regression::Noise {
            basis: crate::regression::NoiseBasis::OwnRuns,
            runs: n,
            df: Some(df),
            prior_df: None,
            series_pooled: 0,
        });
        v
    }

    #[test]
    fn few_baseline_runs_count_their_degrees_of_freedom() {
        // Reference (SciPy 1.17.1, scipy.stats.t.isf): 3 runs, df 2, level
        // 0.05 % (1 % over 20 tests), τ = 1 %: q0 = 31.599, h = 0.3649
        // (detectable from 44.0 %); the smallest n' with
        // t.isf(0.0005, 2 + n' − 3) · 0.01 · √(1 + 1/n') ≤ ln 1.1 is 5
        // (q = 8.610, h' = 0.0943).
        let v = verdict_of(3, 0.0005);
        let shape = shape_of(&v, 0.01).expect("a shape");
        assert_eq!(shape.df, Some(2.0));
        assert!((shape.level - 0.0005).abs() < 1e-9, "{shape:?}");
        let mdc = v.min_detectable_change.expect("mdc");
        assert!((mdc - 0.440_333).abs() < 1e-5, "{mdc}");
        let reach = to_detect(0.10, mdc, LOWER, 3, 1, Some(shape)).expect("not yet seen");
        assert_eq!(reach.baseline_runs, Some(5));
        // Holding q fixed would have said no count of runs gets there.
        let fixed = to_detect(0.10, mdc, LOWER, 3, 1, None).expect("not yet seen");
        assert_eq!(fixed.baseline_runs, None);
    }

    #[test]
    fn hand_computed_counts() {
        // h*/h = 0.98 with n = 5, k = 1: room = 0.9604 · 1.2 = 1.15248,
        // n' = 1 / 0.15248 = 6.56 → 7 (by hand; check: √((1 + 1/7)/1.2) =
        // 0.9759 ≤ 0.98 and √((1 + 1/6)/1.2) = 0.9860 > 0.98).
        let h = 0.2_f64;
        let detectable = h.exp_m1();
        let target = (0.98 * h).exp_m1();
        let reach = to_detect(target, detectable, LOWER, 5, 1, None).expect("not yet seen");
        assert_eq!(reach.baseline_runs, Some(7));
        // Rounds with n = 5: 1/k' = 1.15248 − 0.2 = 0.95248 → k' = 1.05 → 2.
        assert_eq!(reach.rounds, Some(2));

        // h*/h = 0.8, n = 10, k = 1: room = 0.64 · 1.1 = 0.704 < 1, so no
        // number of baseline runs gets there; 1/k' = 0.604 → k' = 1.66 → 2.
        let target = (0.8 * h).exp_m1();
        let reach = to_detect(target, detectable, LOWER, 10, 1, None).expect("not yet seen");
        assert_eq!(reach.baseline_runs, None);
        assert_eq!(reach.rounds, Some(2));

        // Already seen: nothing to advise.
        assert_eq!(to_detect(0.5, 0.1, LOWER, 10, 1, None), None);
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
            let reach = to_detect(target, detectable, LOWER, n, k, None).expect("not yet seen");
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
