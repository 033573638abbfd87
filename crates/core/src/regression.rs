//! Regression verdicts: is this run's value a real change from its baseline?
//!
//! CI noise between runs (another VM, another CPU state) is usually larger
//! than the noise inside one run, so the test is built on per-run
//! summaries, not on pooled samples: each baseline run is reduced to its
//! statistic, and the candidate run's statistic is compared with a
//! prediction interval for one new run drawn from the same distribution
//! (Student's t with n − 1 degrees of freedom; e.g. Montgomery & Runger,
//! *Applied Statistics and Probability for Engineers*, §8.7). Positive
//! values are compared in log space, where run-to-run noise of times and
//! sizes is multiplicative and a change reads as a ratio.
//!
//! A change is reported when it is significant at the configured false-alarm
//! rate AND at least `warning` in size. With fewer than `min_baseline_runs`
//! baseline runs the verdict is `insufficient_data`, never a guess.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::budget::Severity;
use crate::model::Direction;
use crate::stats::{self, Statistic};

/// What the comparison with the baseline found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regression {
    None,
    Improvement,
    Regression,
    InsufficientData,
}

/// Thresholds for a regression verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Relative change (fraction) from which a significant change counts.
    pub warning: f64,
    /// Relative change (fraction) from which a regression is critical.
    pub critical: f64,
    /// Two-sided significance level (per benchmark and measure).
    pub false_alarm_rate: f64,
    pub min_baseline_runs: usize,
}

/// A regression verdict with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub regression: Regression,
    pub severity: Severity,
    /// The baseline's level in the canonical unit.
    pub baseline: Option<f64>,
    /// Relative change, value / baseline − 1.
    pub change: Option<f64>,
    /// Interval for the change at confidence 1 − false_alarm_rate.
    pub change_interval: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    /// How many baseline runs (or, for a pinned run, samples) were used.
    pub baseline_runs: usize,
}

impl Verdict {
    pub fn insufficient(baseline_runs: usize) -> Verdict {
        Verdict {
            regression: Regression::InsufficientData,
            severity: Severity::None,
            baseline: None,
            change: None,
            change_interval: None,
            p_value: None,
            baseline_runs,
        }
    }
}

/// The shape of a comparison: an observed difference on the test's scale
/// with its standard error and degrees of freedom.
struct Difference {
    /// log ratio (log scale) or difference over |baseline| (linear scale).
    d: f64,
    se: f64,
    df: f64,
    baseline: f64,
    log_scale: bool,
}

/// Judges the candidate run's samples against recent baseline runs
/// (each a list of samples).
pub fn against_history(
    current: &[f64],
    baseline_runs: &[Vec<f64>],
    statistic: Statistic,
    direction: Direction,
    settings: &Settings,
) -> Verdict {
    let per_run: Vec<f64> = baseline_runs
        .iter()
        .filter_map(|r| statistic.compute(r))
        .collect();
    let n = per_run.len();
    let Some(x) = statistic.compute(current) else {
        return Verdict::insufficient(n);
    };
    if n < settings.min_baseline_runs.max(2) {
        return Verdict::insufficient(n);
    }
    let log_scale = x > 0.0 && per_run.iter().all(|v| *v > 0.0);
    let diff = if log_scale {
        let logs: Vec<f64> = per_run.iter().map(|v| v.ln()).collect();
        let m = stats::mean(&logs).unwrap_or(0.0);
        let s = stats::std_dev(&logs).unwrap_or(0.0);
        Difference {
            d: x.ln() - m,
            se: s * (1.0 + 1.0 / n as f64).sqrt(),
            df: (n - 1) as f64,
            baseline: m.exp(),
            log_scale,
        }
    } else {
        let m = stats::mean(&per_run).unwrap_or(0.0);
        let s = stats::std_dev(&per_run).unwrap_or(0.0);
        if m == 0.0 {
            return Verdict::insufficient(n);
        }
        Difference {
            d: (x - m) / m.abs(),
            se: s * (1.0 + 1.0 / n as f64).sqrt() / m.abs(),
            df: (n - 1) as f64,
            baseline: m,
            log_scale,
        }
    };
    decide(&diff, n, direction, settings)
}

/// Judges the candidate run's samples against one pinned run's samples with
/// Welch's t-test (within-run noise only: a pinned run carries no
/// run-to-run noise, so this is stricter than [`against_history`]).
pub fn against_pinned(
    current: &[f64],
    pinned: &[f64],
    direction: Direction,
    settings: &Settings,
) -> Verdict {
    let n = pinned.len();
    if current.len() < 2 || n < 2 {
        return Verdict::insufficient(n);
    }
    let log_scale = current.iter().chain(pinned).all(|v| *v > 0.0);
    let tr = |v: &[f64]| -> Vec<f64> {
        if log_scale {
            v.iter().map(|x| x.ln()).collect()
        } else {
            v.to_vec()
        }
    };
    let (a, b) = (tr(current), tr(pinned));
    let (ma, mb) = (
        stats::mean(&a).unwrap_or(0.0),
        stats::mean(&b).unwrap_or(0.0),
    );
    let (va, vb) = (
        stats::std_dev(&a).unwrap_or(0.0).powi(2) / a.len() as f64,
        stats::std_dev(&b).unwrap_or(0.0).powi(2) / b.len() as f64,
    );
    let se = (va + vb).sqrt();
    // Welch–Satterthwaite degrees of freedom.
    let df = if va + vb > 0.0 {
        (va + vb).powi(2) / (va * va / (a.len() - 1) as f64 + vb * vb / (b.len() - 1) as f64)
    } else {
        (a.len() + b.len() - 2) as f64
    };
    let diff = if log_scale {
        Difference {
            d: ma - mb,
            se,
            df,
            baseline: mb.exp(),
            log_scale,
        }
    } else {
        if mb == 0.0 {
            return Verdict::insufficient(n);
        }
        Difference {
            d: (ma - mb) / mb.abs(),
            se: se / mb.abs(),
            df,
            baseline: mb,
            log_scale,
        }
    };
    decide(&diff, n, direction, settings)
}

fn decide(diff: &Difference, n: usize, direction: Direction, settings: &Settings) -> Verdict {
    let to_change = |d: f64| if diff.log_scale { d.exp() - 1.0 } else { d };
    let (p_value, half_width) = if diff.se > 0.0 && diff.df > 0.0 {
        match StudentsT::new(0.0, 1.0, diff.df) {
            Ok(t) => {
                let stat = diff.d.abs() / diff.se;
                let p = (2.0 * (1.0 - t.cdf(stat))).clamp(0.0, 1.0);
                let q = t.inverse_cdf(1.0 - settings.false_alarm_rate / 2.0);
                (p, q * diff.se)
            }
            Err(_) => return Verdict::insufficient(n),
        }
    } else if diff.d == 0.0 {
        (1.0, 0.0)
    } else {
        // No noise at all (instruction counts, sizes): any difference is real.
        (0.0, 0.0)
    };
    let change = to_change(diff.d);
    let interval = [
        to_change(diff.d - half_width),
        to_change(diff.d + half_width),
    ];
    let significant = p_value < settings.false_alarm_rate;
    let worse = match direction {
        Direction::LowerIsBetter => change > 0.0,
        Direction::HigherIsBetter => change < 0.0,
    };
    let size = change.abs();
    let (regression, severity) = if significant && size >= settings.warning * (1.0 - 1e-9) {
        if worse {
            let sev = if size >= settings.critical * (1.0 - 1e-9) {
                Severity::Critical
            } else {
                Severity::Warning
            };
            (Regression::Regression, sev)
        } else {
            (Regression::Improvement, Severity::None)
        }
    } else {
        (Regression::None, Severity::None)
    };
    Verdict {
        regression,
        severity,
        baseline: Some(diff.baseline),
        change: Some(change),
        change_interval: Some(interval),
        p_value: Some(p_value),
        baseline_runs: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SETTINGS: Settings = Settings {
        warning: 0.10,
        critical: 0.15,
        false_alarm_rate: 0.01,
        min_baseline_runs: 3,
    };

    fn runs(levels: &[f64]) -> Vec<Vec<f64>> {
        levels
            .iter()
            .map(|l| vec![l * 0.99, *l, l * 1.01])
            .collect()
    }

    #[test]
    fn too_few_runs_is_insufficient_data() {
        let v = against_history(
            &[100.0],
            &runs(&[100.0, 101.0]),
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(v.regression, Regression::InsufficientData);
        assert_eq!(v.baseline_runs, 2);
        assert_eq!(v.change, None);
    }

    #[test]
    fn reference_prediction_interval() {
        // Baseline medians 100, 102, 98, 101, 99 (log scale), candidate 130.
        // Reference computed independently with SciPy 1.17.1 / NumPy 2.4.6:
        //   l = np.log([100,102,98,101,99]); m = l.mean(); s = l.std(ddof=1)
        //   se = s*np.sqrt(1+1/5); t = (np.log(130)-m)/se
        //   2*scipy.stats.t.sf(abs(t), 4)             -> 0.00011061964413849202
        //   np.exp(np.log(130)-m)-1                    -> 0.3001300286080617
        //   q = scipy.stats.t.ppf(0.995, 4)
        //   np.exp(np.log(130)-m -/+ q*se)-1           -> 0.20046452150923355, 0.4080700104017174
        let base = runs(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let v = against_history(
            &[129.0, 130.0, 131.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(v.regression, Regression::Regression);
        assert_eq!(v.severity, Severity::Critical);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        let change = v.change.expect("change");
        assert!(close(change, 0.3001300286080617), "{change}");
        let p = v.p_value.expect("p");
        assert!(close(p, 0.00011061964413849202), "{p}");
        let [lo, hi] = v.change_interval.expect("interval");
        assert!(
            close(lo, 0.20046452150923355) && close(hi, 0.4080700104017174),
            "{lo} {hi}"
        );
    }

    #[test]
    fn noise_alone_is_not_a_regression() {
        let base = runs(&[100.0, 108.0, 95.0, 104.0, 98.0, 102.0]);
        let v = against_history(
            &[106.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(v.regression, Regression::None);
    }

    #[test]
    fn significant_but_small_change_is_none() {
        // Very quiet baseline: 3 % is significant but below the 10 % warning.
        let base = runs(&[100.0, 100.1, 99.9, 100.05, 99.95]);
        let v = against_history(
            &[103.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert!(v.p_value.expect("p") < 0.01);
        assert_eq!(v.regression, Regression::None);
    }

    #[test]
    fn improvements_and_higher_is_better() {
        let base = runs(&[100.0, 100.5, 99.5, 100.2]);
        let faster = against_history(
            &[80.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(faster.regression, Regression::Improvement);
        let less_throughput = against_history(
            &[80.0],
            &base,
            Statistic::Median,
            Direction::HigherIsBetter,
            &SETTINGS,
        );
        assert_eq!(less_throughput.regression, Regression::Regression);
        assert_eq!(less_throughput.severity, Severity::Critical);
        let more = against_history(
            &[112.0],
            &base,
            Statistic::Median,
            Direction::HigherIsBetter,
            &SETTINGS,
        );
        assert_eq!(more.regression, Regression::Improvement);
    }

    #[test]
    fn warning_severity_between_thresholds() {
        let base = runs(&[100.0, 100.1, 99.9, 100.0]);
        let v = against_history(
            &[112.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(
            (v.regression, v.severity),
            (Regression::Regression, Severity::Warning)
        );
    }

    #[test]
    fn noiseless_series() {
        let base = vec![vec![1000.0]; 4];
        let same = against_history(
            &[1000.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(same.regression, Regression::None);
        assert_eq!(same.p_value, Some(1.0));
        let more = against_history(
            &[1200.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(more.regression, Regression::Regression);
        let c = more.change.expect("change");
        assert!((c - 0.2).abs() < 1e-12);
        assert_eq!(more.change_interval, Some([c, c]));
    }

    #[test]
    fn zeros_use_the_linear_scale() {
        let base = vec![vec![0.0, 10.0], vec![0.0, 10.0], vec![0.0, 10.0]];
        let v = against_history(
            &[0.0, 10.0],
            &base,
            Statistic::Mean,
            Direction::LowerIsBetter,
            &SETTINGS,
        );
        assert_eq!(v.regression, Regression::None);
    }

    #[test]
    fn pinned_welch_test() {
        let pinned = [100.0, 101.0, 99.0, 100.5, 99.5];
        let slower = [120.0, 121.0, 119.0, 120.5, 119.5];
        let v = against_pinned(&slower, &pinned, Direction::LowerIsBetter, &SETTINGS);
        assert_eq!(v.regression, Regression::Regression);
        let same = against_pinned(&pinned, &pinned, Direction::LowerIsBetter, &SETTINGS);
        assert_eq!(same.regression, Regression::None);
        assert_eq!(
            against_pinned(&[1.0], &pinned, Direction::LowerIsBetter, &SETTINGS).regression,
            Regression::InsufficientData
        );
    }

    proptest! {
        // The verdict depends on ratios only: scaling everything changes nothing.
        #[test]
        fn verdict_is_scale_invariant(levels in prop::collection::vec(90.0f64..110.0, 3..12), x in 50.0f64..200.0, k in 0.001f64..1000.0) {
            let base = runs(&levels);
            let scaled: Vec<Vec<f64>> = base.iter().map(|r| r.iter().map(|v| v * k).collect()).collect();
            let a = against_history(&[x], &base, Statistic::Median, Direction::LowerIsBetter, &SETTINGS);
            let b = against_history(&[x * k], &scaled, Statistic::Median, Direction::LowerIsBetter, &SETTINGS);
            prop_assert_eq!(a.regression, b.regression);
            let (ca, cb) = (a.change.expect("c"), b.change.expect("c"));
            prop_assert!((ca - cb).abs() < 1e-9);
        }

        // The interval always contains the point estimate, and p is a probability.
        #[test]
        fn interval_contains_estimate(levels in prop::collection::vec(50.0f64..150.0, 3..12), x in 10.0f64..300.0) {
            let v = against_history(&[x], &runs(&levels), Statistic::Median, Direction::LowerIsBetter, &SETTINGS);
            let [lo, hi] = v.change_interval.expect("interval");
            let c = v.change.expect("change");
            prop_assert!(lo <= c + 1e-12 && c <= hi + 1e-12);
            let p = v.p_value.expect("p");
            prop_assert!((0.0..=1.0).contains(&p));
        }
    }
}
