//! Regression verdicts: is this run's value a real change from its baseline?
//!
//! CI noise between runs (another VM, another CPU state) is usually larger
//! than the noise inside one run, so the test is built on per-run
//! summaries, not on pooled samples. The model, on the log scale for
//! positive values (run-to-run noise of times and sizes is multiplicative
//! and a change reads as a ratio), is
//!
//! ```text
//! y_i = μ + b_i + e_i      baseline run i's statistic
//! y_c = μ + δ + b + e_c    the candidate run's statistic
//! ```
//!
//! with `b` the between-run noise (machine, VM, CPU state) and `e` the
//! within-run error of the statistic. The per-run statistics of the
//! baseline carry both, so their sample variance `τ²` estimates
//! `σ_b² + σ_e²` directly; the candidate's prediction error `y_c − ȳ` has
//! variance `τ²(1 + 1/n)` (a prediction interval for one new run, e.g.
//! Montgomery & Runger, *Applied Statistics and Probability for Engineers*,
//! §8.7), plus whatever within-run noise the candidate carries beyond the
//! baseline runs' typical one (a noisy candidate run widens its own
//! interval; it can never narrow it). The statistic is Student's t with
//! `n − 1` degrees of freedom (Welch–Satterthwaite when the candidate's
//! extra within-run term is present).
//!
//! Confirmation rounds. When `sloe run` re-measures a suspect benchmark
//! (see [`SCREENING_LEVEL`]), the candidate is `k` rounds, each a run of
//! its own with its own between-run draw `b_j`:
//!
//! ```text
//! y_cj = μ + δ + b_j + e_cj,  j = 1..k;   ȳ_c = (1/k) Σ_j y_cj
//! ```
//!
//! so `ȳ_c − ȳ` has variance `τ²(1/k + 1/n)`, plus the candidate's extra
//! within-run variance over `k` ([`against_history_runs`]; `k = 1` is
//! [`against_history`]). Averaging rounds shrinks the between-run term,
//! which pooling their samples into one run could not: pooled samples
//! still form one run whose between-run draw counts in full. The model
//! assumes the rounds' between-run draws are independent, like those of
//! separate CI jobs; `sloe run` measures the confirmation rounds after all
//! other benchmarks, not back to back. Where a machine's state persists for
//! the whole job (a slow VM for an hour), the rounds share part of `b`, the
//! variance is understated and the false-alarm rate exceeds
//! `false_alarm_rate`; A/B mode ([`against_paired`]) is the test for such
//! runners. Baseline runs that were themselves confirmed count as one run
//! each, their statistic taken over all their samples.
//!
//! Robustness, and why the scale is not a robust one. Outliers inside a run
//! (a preempted iteration) are absorbed by the per-run median. A robust
//! scale of the per-run statistics (MAD, Qn) was rejected: on a bimodal
//! runner pool whose rarer mode appears once or twice in the window it
//! calls those runs outliers, shrinks the scale to one mode's spread, and
//! then the next run on the other mode is a false alarm. The standard
//! deviation's failure mode is the safe one: an outlier baseline run
//! inflates it, which costs power, never false alarms. The detection
//! benchmark (`cargo bench -p sloe-core --bench detection`) measures both
//! on simulated quiet, CI-like (with outliers) and bimodal histories.
//!
//! Decision. A one-sided test in the direction of the observed change at
//! level `false_alarm_rate`, so unchanged code is called a regression with
//! probability at most `false_alarm_rate` (and an improvement with the same
//! probability). `p_value` is that one-sided p-value; `change_interval` is
//! the two-sided `1 − 2·false_alarm_rate` interval, whose bounds are the two
//! one-sided tests, so "significant" and "the interval excludes 0" agree.
//! A significant change is a regression (or an improvement) only when its
//! estimated size reaches `warning`. Across the run's tests
//! [`control_run_false_alarms`] applies Benjamini–Hochberg, so with 70
//! unchanged benchmarks the run still fails with probability at most
//! `false_alarm_rate`. With fewer than `min_baseline_runs` baseline runs the
//! verdict is `insufficient_data`, never a guess.
//!
//! Inconclusive. A result that is not a significant change is `none` only
//! when the test could have seen a change of `warning`: its minimum
//! detectable change (the critical value times the standard error, with the
//! noise estimate, degrees of freedom and rounds the test used, at the level
//! run-level control holds it to) is at most `warning`, and the estimated
//! worsening is under `warning`. Otherwise it is `inconclusive`: at this
//! noise the test cannot tell a change of `warning` from none (a doubled
//! time on a history that varies by a factor of two), or the estimate
//! reaches `warning` without being significant. A significant regression
//! stays `regression`, a significant improvement `improvement`.
//!
//! Pooled noise. With ~10 baseline runs per series, `τ²` rests on 9 degrees
//! of freedom; [`against_history_pooled`] replaces it by an empirical-Bayes
//! moderated variance over the run's series of the same measure and
//! statistic ([`crate::moderation`], Smyth 2004), on `d0 + n − 1` degrees of
//! freedom; `sloe_core::evaluate` estimates the prior over the run first.
//! When the pool's series fall into two noise groups the prior is a
//! mixture ([`crate::moderation::NoisePrior`]): the series' p-value is the
//! posterior-weighted mixture of its moderated t tests under each group,
//! and its interval and minimum detectable change use the mixture's
//! critical value ([`TestScale::other`]). The verdict's [`Noise`] says what
//! the estimate was based on.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::budget::Severity;
use crate::model::Direction;
use crate::moderation::{self, NoisePrior};
use crate::stats::{self, Statistic};

/// What the comparison with the baseline found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regression {
    None,
    Improvement,
    Regression,
    InsufficientData,
    /// Tested, but the test cannot tell: at this noise a change of
    /// `regression.warning` would not be significant (the minimum
    /// detectable change is above it), or the estimate reaches `warning`
    /// without being significant. Never shown as a pass.
    Inconclusive,
}

/// What a verdict's noise estimate was based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseBasis {
    /// The spread of the series' own baseline runs.
    OwnRuns,
    /// The series' own baseline runs moderated by the run's other series of
    /// the same measure and statistic ([`crate::moderation`]).
    Pooled,
    /// The spread of the paired log ratios of A/B mode.
    Paired,
    /// The samples of the candidate and of a pinned run (within-run noise).
    PinnedSamples,
}

/// What a verdict's noise estimate was based on, and how much information
/// it carried: the report's `noise`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    pub basis: NoiseBasis,
    /// Baseline runs (own_runs, pooled), pairs (paired) or pinned samples
    /// (pinned_samples) the estimate used.
    pub runs: usize,
    /// Degrees of freedom of the test's t distribution; `None` when
    /// infinite (a pooled variance whose prior is certain: a normal test).
    pub df: Option<f64>,
    /// The pool's prior degrees of freedom `d0` (how many runs' worth of
    /// information the other series lent); `None` when not pooled, or
    /// when pooled with an infinite `d0`.
    #[serde(default)]
    pub prior_df: Option<f64>,
    /// How many series the pool was estimated from (0 when not pooled).
    #[serde(default)]
    pub series_pooled: usize,
}

/// The test's scale, kept so that run-level control can restate the
/// minimum detectable change at the level the test is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestScale {
    /// Standard error of the difference on the test's scale.
    pub se: f64,
    /// Degrees of freedom (infinite: normal).
    pub df: f64,
    pub log_scale: bool,
    /// With a pool of two noise groups ([`crate::moderation::NoisePrior`]):
    /// the test under the series' less likely group, with that group's
    /// posterior weight; `se` and `df` above are the likelier group's,
    /// weighted one minus it. The p-value and the critical value are then
    /// those of the posterior mixture of the two groups' t distributions.
    pub other: Option<OtherGroup>,
}

/// The test under a series' second noise group (see [`TestScale::other`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OtherGroup {
    /// The group's posterior weight, in [0, ½].
    pub weight: f64,
    pub se: f64,
    pub df: f64,
}

/// Thresholds for a regression verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Relative change (fraction) from which a significant change counts.
    pub warning: f64,
    /// Relative change (fraction) from which a regression is critical.
    pub critical: f64,
    /// One-sided significance level: the probability of calling unchanged
    /// code a regression (per benchmark and measure).
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
    /// Two-sided interval for the change at confidence
    /// 1 − 2 · false_alarm_rate (each bound a one-sided test).
    pub change_interval: Option<[f64; 2]>,
    /// One-sided p-value in the direction of the observed change.
    pub p_value: Option<f64>,
    /// The p-value after Benjamini–Hochberg over the run's tests, when
    /// [`control_run_false_alarms`] was applied.
    pub adjusted_p_value: Option<f64>,
    /// The minimum detectable change: the smallest worsening (a positive
    /// fraction) that the test as applied would call significant, i.e. the
    /// one-sided critical value times the standard error, at the noise
    /// estimate the test used (own, pooled or paired; its degrees of
    /// freedom; over all confirmation rounds) and at the level the test is
    /// held to: `false_alarm_rate` alone, or after
    /// [`control_run_false_alarms`] the Benjamini–Hochberg level this test
    /// would need given the run's other p-values. A true change of this size
    /// is flagged about half the time, twice this size almost always.
    pub min_detectable_change: Option<f64>,
    /// How many baseline runs (or, for a pinned run, samples) were used.
    pub baseline_runs: usize,
    /// Which way is worse, kept to re-decide after multiplicity control.
    pub direction: Direction,
    /// What the noise estimate was based on (`None` when untested).
    pub noise: Option<Noise>,
    /// The test's scale (`None` when untested).
    pub test: Option<TestScale>,
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
            adjusted_p_value: None,
            min_detectable_change: None,
            baseline_runs,
            direction: Direction::LowerIsBetter,
            noise: None,
            test: None,
        }
    }

    /// Whether the verdict is a real test result (not insufficient data).
    pub fn tested(&self) -> bool {
        self.regression != Regression::InsufficientData && self.p_value.is_some()
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
    noise: Noise,
    /// The test under a second noise group ([`TestScale::other`]).
    other: Option<OtherGroup>,
}

/// The factor `f` in `SE(statistic) ≈ f · σ / √k` for k samples of a
/// normal distribution with standard deviation σ, or `None` for statistics
/// without a simple large-sample formula (min, max, stddev), whose
/// within-run noise is then left to the per-run variance.
///
/// The sample p-quantile has asymptotic variance p(1 − p) / (k · φ(z_p)²)
/// (e.g. Serfling, *Approximation Theorems of Mathematical Statistics*,
/// §2.3.3); for the median that is (π/2) σ² / k, f = 1.2533.
fn se_factor(statistic: Statistic) -> Option<f64> {
    let quantile = |p: f64| -> Option<f64> {
        if !(0.0 < p && p < 1.0) {
            return None;
        }
        let n = Normal::new(0.0, 1.0).ok()?;
        let z = n.inverse_cdf(p);
        let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        Some((p * (1.0 - p)).sqrt() / density)
    };
    match statistic {
        Statistic::Mean => Some(1.0),
        Statistic::Median => quantile(0.5),
        Statistic::Percentile(p) => quantile(p / 100.0),
        Statistic::Min | Statistic::Max | Statistic::StdDev => None,
    }
}

/// Squared standard error of a run's statistic from its own samples
/// (already on the test's scale). The scale is the MAD, normalised to σ,
/// so that one preempted iteration does not make a run look noisy;
/// `None` with fewer than 3 samples or no formula for the statistic.
fn within_run_variance(samples: &[f64], statistic: Statistic) -> Option<f64> {
    let f = se_factor(statistic)?;
    if samples.len() < 3 {
        return None;
    }
    let sigma = 1.482_602_218_505_602 * stats::median_absolute_deviation(samples)?;
    Some((f * sigma).powi(2) / samples.len() as f64)
}

/// Judges the candidate run's samples against recent baseline runs
/// (each a list of samples): [`against_history_runs`] with one round.
pub fn against_history(
    current: &[f64],
    baseline_runs: &[Vec<f64>],
    statistic: Statistic,
    direction: Direction,
    thresholds: &Thresholds,
) -> Verdict {
    against_history_runs(&[current], baseline_runs, statistic, direction, thresholds)
}

/// Judges a candidate measured in `k = current_runs.len()` rounds (each a
/// list of samples, e.g. `sloe run`'s first measurement and its
/// confirmation rounds) against recent baseline runs. The candidate's
/// statistic is the mean of its rounds' per-run statistics (on the log
/// scale when all values are positive), its prediction variance
/// `τ²(1/k + 1/n)` plus its extra within-run variance over `k`; see the
/// module documentation. Empty rounds are ignored.
pub fn against_history_runs<R: AsRef<[f64]>>(
    current_runs: &[R],
    baseline_runs: &[Vec<f64>],
    statistic: Statistic,
    direction: Direction,
    thresholds: &Thresholds,
) -> Verdict {
    against_history_pooled(
        current_runs,
        baseline_runs,
        statistic,
        direction,
        thresholds,
        None,
    )
}

/// A series' run-to-run variance as [`against_history_runs`] estimates it:
/// the sample variance `τ²` of its baseline runs' statistics on the test's
/// scale, with its degrees of freedom `n − 1`, and whether that scale is the
/// log scale. `None` when the series would not be tested (too few baseline
/// runs, no candidate). Run-level pooling ([`crate::moderation`]) collects
/// these over a run's series.
pub fn history_variance<R: AsRef<[f64]>>(
    current_runs: &[R],
    baseline_runs: &[Vec<f64>],
    statistic: Statistic,
    thresholds: &Thresholds,
) -> Option<HistoryVariance> {
    let h = History::of(current_runs, baseline_runs, statistic, thresholds).ok()?;
    Some(HistoryVariance {
        variance: h.tau2,
        df: (h.y.len() - 1) as f64,
        log_scale: h.log_scale,
    })
}

/// See [`history_variance`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryVariance {
    pub variance: f64,
    pub df: f64,
    pub log_scale: bool,
}

/// The per-run statistics of a history test on its scale.
struct History<'a> {
    /// Baseline runs' statistics.
    y: Vec<f64>,
    /// The candidate rounds' statistics.
    yc: Vec<f64>,
    rounds: Vec<&'a [f64]>,
    tau2: f64,
    log_scale: bool,
}

impl<'a> History<'a> {
    /// `Err(n)` with the number of usable baseline runs when the series
    /// cannot be tested.
    fn of<R: AsRef<[f64]>>(
        current_runs: &'a [R],
        baseline_runs: &[Vec<f64>],
        statistic: Statistic,
        thresholds: &Thresholds,
    ) -> Result<History<'a>, usize> {
        let per_run: Vec<f64> = baseline_runs
            .iter()
            .filter_map(|r| statistic.compute(r))
            .collect();
        let n = per_run.len();
        let rounds: Vec<&[f64]> = current_runs
            .iter()
            .map(AsRef::<[f64]>::as_ref)
            .filter(|r| !r.is_empty())
            .collect();
        let Some(xs) = rounds
            .iter()
            .map(|r| statistic.compute(r))
            .collect::<Option<Vec<f64>>>()
            .filter(|xs| !xs.is_empty())
        else {
            return Err(n);
        };
        if n < thresholds.min_baseline_runs.max(2) {
            return Err(n);
        }
        let log_scale = xs.iter().all(|x| *x > 0.0)
            && per_run.iter().all(|v| *v > 0.0)
            && rounds
                .iter()
                .copied()
                .flatten()
                .chain(baseline_runs.iter().flatten())
                .all(|v| *v > 0.0);
        let tr = |v: &[f64]| -> Vec<f64> {
            if log_scale {
                v.iter().map(|x| x.ln()).collect()
            } else {
                v.to_vec()
            }
        };
        let y = tr(&per_run);
        // Exactly equal statistics have no spread, whatever rounding the
        // logarithm and the mean add.
        let tau2 = if per_run.iter().all(|v| *v == per_run[0]) {
            0.0
        } else {
            stats::std_dev(&y).unwrap_or(0.0).powi(2)
        };
        Ok(History {
            y,
            yc: tr(&xs),
            rounds,
            tau2,
            log_scale,
        })
    }
}

/// [`against_history_runs`] with the run-to-run variance moderated by
/// `prior` ([`crate::moderation::moderate`]): `τ²` is replaced by the
/// posterior variance on `d0 + n − 1` degrees of freedom. A series whose own
/// baseline runs show no spread at all keeps its own (zero) variance: its
/// measure is deterministic, and pooling would blur it.
pub fn against_history_pooled<R: AsRef<[f64]>>(
    current_runs: &[R],
    baseline_runs: &[Vec<f64>],
    statistic: Statistic,
    direction: Direction,
    thresholds: &Thresholds,
    prior: Option<&NoisePrior>,
) -> Verdict {
    let h = match History::of(current_runs, baseline_runs, statistic, thresholds) {
        Ok(h) => h,
        Err(n) => return Verdict::insufficient(n),
    };
    let log_scale = h.log_scale;
    let tr = |v: &[f64]| -> Vec<f64> {
        if log_scale {
            v.iter().map(|x| x.ln()).collect()
        } else {
            v.to_vec()
        }
    };
    let n = h.y.len();
    let yc = stats::mean(&h.yc).unwrap_or(0.0);
    let m = stats::mean(&h.y).unwrap_or(0.0);
    let own_df = (n - 1) as f64;
    let prior = prior.filter(|_| h.tau2 > 0.0);
    // The run-to-run variance and its df under each noise group of the
    // prior, with the group's posterior weight: one entry unpooled or with
    // a single prior.
    let groups: Vec<(f64, f64, f64)> = match prior {
        Some(p) => moderation::posterior(h.tau2, own_df, p)
            .into_iter()
            .map(|g| (g.weight, g.moderated.variance, g.moderated.df))
            .collect(),
        None => vec![(1.0, h.tau2, own_df)],
    };
    // The prior df of the likelier group: what the report's noise shows.
    let prior_df = prior.and_then(|p| {
        let likelier = groups
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
            .map_or(0, |(i, _)| i);
        let d0 = p.groups.get(likelier)?.prior.df;
        d0.is_finite().then_some(d0)
    });
    let nf = n as f64;
    let rounds = &h.rounds;
    let kf = rounds.len() as f64;
    // The candidate's within-run noise beyond the baseline runs' typical
    // one, averaged over its rounds; the mean of k rounds carries 1/k of it.
    let baseline_within: Vec<f64> = baseline_runs
        .iter()
        .filter_map(|r| within_run_variance(&tr(r), statistic))
        .collect();
    let current_within: Vec<f64> = rounds
        .iter()
        .filter_map(|r| within_run_variance(&tr(r), statistic))
        .collect();
    let extra = match (stats::mean(&current_within), stats::mean(&baseline_within)) {
        (Some(c), Some(b)) if c > b && current_within.len() == rounds.len() => (c - b) / kf,
        _ => 0.0,
    };
    let within_df: usize = rounds.iter().map(|r| r.len().saturating_sub(1)).sum();
    // Each group's variance of the difference and its df: the part every
    // run shares (the k rounds' mean spread plus the error of the baseline
    // mean), plus the extra within-run noise, combined by
    // Welch–Satterthwaite: τ² has n − 1 degrees of freedom (d0 + n − 1
    // when moderated), the candidate's within-run variance Σ (m_j − 1)
    // over its rounds of m_j samples.
    let mut tests: Vec<(f64, f64, f64)> = groups
        .iter()
        .map(|&(w, tau2, tau_df)| {
            let shared = tau2 * (1.0 / kf + 1.0 / nf);
            let var = shared + extra;
            let df = if extra > 0.0 && within_df > 0 {
                let shared_part = if tau_df.is_finite() {
                    shared * shared / tau_df
                } else {
                    0.0
                };
                var * var / (shared_part + extra * extra / within_df as f64)
            } else {
                tau_df
            };
            (w, var, df)
        })
        .collect();
    // The likelier group first.
    tests.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(_, var, df)) = tests.first() else {
        // A prior without groups: nothing to test with.
        return Verdict::insufficient(n);
    };
    let scale_se = |v: f64| {
        if log_scale {
            v.sqrt()
        } else {
            v.sqrt() / m.abs()
        }
    };
    let other = tests.get(1).map(|&(weight, v, df)| OtherGroup {
        weight,
        se: scale_se(v),
        df,
    });
    let (d, se, baseline) = if log_scale {
        (yc - m, var.sqrt(), m.exp())
    } else {
        if m == 0.0 {
            return Verdict::insufficient(n);
        }
        ((yc - m) / m.abs(), var.sqrt() / m.abs(), m)
    };
    let noise = match prior {
        Some(p) => Noise {
            basis: NoiseBasis::Pooled,
            runs: n,
            df: df.is_finite().then_some(df),
            prior_df,
            series_pooled: p.series(),
        },
        None => Noise {
            basis: NoiseBasis::OwnRuns,
            runs: n,
            df: Some(df),
            prior_df: None,
            series_pooled: 0,
        },
    };
    let diff = Difference {
        d,
        se,
        df,
        baseline,
        log_scale,
        noise,
        other,
    };
    decide(&diff, n, direction, thresholds)
}

/// The screening level of `sloe run`'s confirmation: a benchmark whose
/// provisional one-sided p-value in the worsening direction is at most this
/// is measured `regression.confirm_runs` more times and judged on all its
/// rounds by [`against_history_runs`].
///
/// Why screening keeps the false-alarm rate at `false_alarm_rate` (α):
/// a benchmark is called a regression only when it was screened and the
/// k-round test is significant, or (never, since the screening level is at
/// least α, see [`screening_level`]) when it was not screened and the
/// one-round test is. The
/// k-round test is valid on its own: under no change it is significant with
/// probability at most α whatever the first round showed, because all k
/// rounds enter it. So P(screened ∧ k-round significant) ≤ P(k-round
/// significant) ≤ α: the event is a subset. Screening only decides when the
/// extra rounds are worth their time.
///
/// Why 0.2: the level trades time against power. Unchanged code is sent to
/// confirmation about 20 % of the time (two extra rounds each), while a
/// regression the k-round test can see is almost never left unscreened: at
/// 3 % run-to-run noise a +10 % change has a one-round p below 0.2 in about
/// 98 % of runs, where 10·α = 0.1 would miss about 7 %. The detection
/// benchmark measures both the cost and the power.
pub const SCREENING_LEVEL: f64 = 0.2;

/// The screening level in effect: [`SCREENING_LEVEL`], or the
/// false-alarm rate when that is higher, so that a benchmark left
/// unscreened can never be significant on its first round alone.
pub fn screening_level(false_alarm_rate: f64) -> f64 {
    SCREENING_LEVEL.max(false_alarm_rate)
}

/// The one-sided p-value of a verdict in the worsening direction (`None`
/// when untested): its p-value when the change is for the worse, else the
/// complement. Screening uses it ([`SCREENING_LEVEL`]).
pub fn worsening_p_value(verdict: &Verdict) -> Option<f64> {
    worsening_p(verdict.change?, verdict.p_value?, verdict.direction)
}

/// The one-sided p-value in the worsening direction from an observed
/// relative change and its one-sided p-value in the observed direction.
pub fn worsening_p(change: f64, p_value: f64, direction: Direction) -> Option<f64> {
    let worse = match direction {
        Direction::LowerIsBetter => change > 0.0,
        Direction::HigherIsBetter => change < 0.0,
    };
    Some(if worse || change == 0.0 {
        p_value
    } else {
        1.0 - p_value
    })
}

/// A/B mode: judges interleaved executions of the baseline (`a`) and the
/// candidate (`b`) on one machine, A B A B ..., on their paired log ratios
/// `ln b_i − ln a_i` with a one-sided paired t-test (Student 1908; e.g.
/// Montgomery & Runger §10.4). Neighbouring executions share the machine's
/// state (CPU frequency, cache, noisy neighbours), so the run-to-run noise
/// that dominates [`against_history`] cancels in each pair; what is left is
/// the noise between two adjacent executions. Pairs are taken in order;
/// extra executions on one side are ignored.
pub fn against_paired(
    a: &[f64],
    b: &[f64],
    direction: Direction,
    thresholds: &Thresholds,
) -> Verdict {
    let n = a.len().min(b.len());
    if n < thresholds.min_baseline_runs.max(2) {
        return Verdict::insufficient(n);
    }
    let (a, b) = (&a[..n], &b[..n]);
    let log_scale = a.iter().chain(b).all(|v| *v > 0.0);
    let (diffs, baseline): (Vec<f64>, f64) = if log_scale {
        let d = a.iter().zip(b).map(|(x, y)| y.ln() - x.ln()).collect();
        let m = stats::mean(&a.iter().map(|x| x.ln()).collect::<Vec<_>>()).unwrap_or(0.0);
        (d, m.exp())
    } else {
        let m = stats::mean(a).unwrap_or(0.0);
        if m == 0.0 {
            return Verdict::insufficient(n);
        }
        (a.iter().zip(b).map(|(x, y)| (y - x) / m.abs()).collect(), m)
    };
    let d = stats::mean(&diffs).unwrap_or(0.0);
    let se = stats::std_dev(&diffs).unwrap_or(0.0) / (n as f64).sqrt();
    decide(
        &Difference {
            d,
            se,
            df: (n - 1) as f64,
            baseline,
            log_scale,
            noise: Noise {
                basis: NoiseBasis::Paired,
                runs: n,
                df: Some((n - 1) as f64),
                prior_df: None,
                series_pooled: 0,
            },
            other: None,
        },
        n,
        direction,
        thresholds,
    )
}

/// Judges the candidate run's samples against one pinned run's samples with
/// Welch's t-test (within-run noise only: a pinned run carries no
/// run-to-run noise, so this is stricter than [`against_history`]).
pub fn against_pinned(
    current: &[f64],
    pinned: &[f64],
    direction: Direction,
    thresholds: &Thresholds,
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
    let noise = Noise {
        basis: NoiseBasis::PinnedSamples,
        runs: n,
        df: Some(df),
        prior_df: None,
        series_pooled: 0,
    };
    let diff = if log_scale {
        Difference {
            d: ma - mb,
            se,
            df,
            baseline: mb.exp(),
            log_scale,
            noise,
            other: None,
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
            noise,
            other: None,
        }
    };
    decide(&diff, n, direction, thresholds)
}

/// Degrees of freedom from which Student's t is taken as the normal: the
/// quantiles differ by less than 1e-4 relative there (t's excess over the
/// normal quantile is about (z³ + z)/(4·df)), and statrs's t quantile
/// iterates without end for df near the largest floats.
const NORMAL_DF: f64 = 1e5;

/// The one-sided critical value at level `alpha` of Student's t with `df`
/// degrees of freedom (the normal when `df` is infinite or huge).
pub(crate) fn critical_value(alpha: f64, df: f64) -> Option<f64> {
    let alpha = alpha.clamp(1e-300, 0.5);
    if df > NORMAL_DF {
        return Some(Normal::new(0.0, 1.0).ok()?.inverse_cdf(1.0 - alpha));
    }
    Some(StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(1.0 - alpha))
}

/// The one-sided tail probability beyond `stat` (see [`critical_value`]).
pub(crate) fn tail(stat: f64, df: f64) -> Option<f64> {
    if df > NORMAL_DF {
        return Some(Normal::new(0.0, 1.0).ok()?.sf(stat));
    }
    Some(StudentsT::new(0.0, 1.0, df).ok()?.sf(stat))
}

/// The one-sided tail probability beyond a difference `x` (on the test's
/// scale) of the test at `scale`: Student's t's, or with two noise groups
/// the posterior mixture of the groups' ([`TestScale::other`]).
fn scale_tail(x: f64, scale: &TestScale) -> Option<f64> {
    let main = tail(x / scale.se, scale.df)?;
    Some(match scale.other {
        Some(o) if o.se > 0.0 => (1.0 - o.weight) * main + o.weight * tail(x / o.se, o.df)?,
        _ => main,
    })
}

/// The half width of the one-sided test at level `alpha` at `scale`: the
/// critical value times the standard error, or with two noise groups the
/// `x` where the mixture's tail ([`scale_tail`]) falls to `alpha`, found by
/// bisection between the two groups' own half widths (the mixture's tail
/// lies between theirs, so its root does too).
fn half_width(alpha: f64, scale: &TestScale) -> Option<f64> {
    let main = critical_value(alpha, scale.df)? * scale.se;
    let Some(o) = scale.other.filter(|o| o.se > 0.0 && o.weight > 0.0) else {
        return Some(main);
    };
    let alpha = alpha.clamp(1e-300, 0.5);
    let second = critical_value(alpha, o.df)? * o.se;
    let (mut lo, mut hi) = (main.min(second), main.max(second));
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if scale_tail(mid, scale)? > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The minimum detectable change of a test at `scale` held to level
/// `alpha`, as a positive fraction in the worse direction.
fn min_detectable(scale: &TestScale, alpha: f64, direction: Direction) -> Option<f64> {
    let half_width = if scale.se > 0.0 {
        half_width(alpha, scale)?
    } else {
        0.0
    };
    let to_change = |d: f64| if scale.log_scale { d.exp() - 1.0 } else { d };
    Some(match direction {
        Direction::LowerIsBetter => to_change(half_width),
        Direction::HigherIsBetter => -to_change(-half_width),
    })
}

fn decide(diff: &Difference, n: usize, direction: Direction, thresholds: &Thresholds) -> Verdict {
    let to_change = |d: f64| if diff.log_scale { d.exp() - 1.0 } else { d };
    let alpha = thresholds.false_alarm_rate.clamp(1e-12, 0.5);
    let scale = TestScale {
        se: if diff.df > 0.0 { diff.se } else { 0.0 },
        df: diff.df,
        log_scale: diff.log_scale,
        other: diff.other,
    };
    let (p_value, half_width) = if diff.se > 0.0 && diff.df > 0.0 {
        match (scale_tail(diff.d.abs(), &scale), half_width(alpha, &scale)) {
            (Some(p), Some(h)) => (p.clamp(0.0, 1.0), h),
            _ => return Verdict::insufficient(n),
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
    // The smallest worsening the test can call significant, as a positive
    // fraction in the worse direction.
    let min_detectable_change = match direction {
        Direction::LowerIsBetter => to_change(half_width),
        Direction::HigherIsBetter => -to_change(-half_width),
    };
    let mut verdict = Verdict {
        regression: Regression::None,
        severity: Severity::None,
        baseline: Some(diff.baseline),
        change: Some(change),
        change_interval: Some(interval),
        p_value: Some(p_value),
        adjusted_p_value: None,
        min_detectable_change: Some(min_detectable_change),
        baseline_runs: n,
        direction,
        noise: Some(diff.noise),
        test: Some(scale),
    };
    classify(
        &mut verdict,
        p_value < thresholds.false_alarm_rate,
        thresholds,
    );
    verdict
}

/// Sets regression and severity from significance, the size of the change
/// and the minimum detectable change:
///
/// - significant and at least `warning`: a regression (critical from
///   `critical`) or an improvement;
/// - otherwise `inconclusive` when the test could not have seen a change of
///   `warning` (minimum detectable change above it), or when the estimated
///   worsening reaches `warning` without being significant;
/// - otherwise `none`: the test could see a change of `warning` and found
///   none.
fn classify(verdict: &mut Verdict, significant: bool, thresholds: &Thresholds) {
    let Some(change) = verdict.change else {
        return;
    };
    let worse = match verdict.direction {
        Direction::LowerIsBetter => change > 0.0,
        Direction::HigherIsBetter => change < 0.0,
    };
    let size = change.abs();
    let reaches_warning = size >= thresholds.warning * (1.0 - 1e-9);
    let blind = verdict
        .min_detectable_change
        .is_some_and(|mdc| mdc > thresholds.warning * (1.0 + 1e-9));
    (verdict.regression, verdict.severity) = if significant && reaches_warning {
        if worse {
            let sev = if size >= thresholds.critical * (1.0 - 1e-9) {
                Severity::Critical
            } else {
                Severity::Warning
            };
            (Regression::Regression, sev)
        } else {
            (Regression::Improvement, Severity::None)
        }
    } else if blind || (worse && reaches_warning && !significant) {
        (Regression::Inconclusive, Severity::None)
    } else {
        (Regression::None, Severity::None)
    };
}

/// Slow creep against a long-term anchor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Creep {
    /// Relative change of the recent level (baseline runs and the candidate)
    /// against the anchor's level.
    pub change: f64,
    /// One-sided p-value of that change in the worse direction.
    pub p_value: f64,
}

/// Tests for slow creep: the recent level (the baseline runs plus the
/// candidate, per-run statistics) against the level of the anchor runs
/// (`creep_window` runs ago), with Welch's t-test on the log scale. Each
/// step of a creep is inside the noise, so the step test cannot see it; the
/// cumulative change can. `Some` only when the change is significantly
/// worse at `false_alarm_rate` and at least `warning` in size.
pub fn creep(
    current: &[f64],
    recent_runs: &[Vec<f64>],
    anchor_runs: &[Vec<f64>],
    statistic: Statistic,
    direction: Direction,
    thresholds: &Thresholds,
) -> Option<Creep> {
    let per_run = |runs: &mut dyn Iterator<Item = &[f64]>| -> Option<Vec<f64>> {
        runs.map(|r| statistic.compute(r).filter(|v| *v > 0.0).map(f64::ln))
            .collect()
    };
    let recent =
        per_run(&mut std::iter::once(current).chain(recent_runs.iter().map(Vec::as_slice)))?;
    let anchor = per_run(&mut anchor_runs.iter().map(Vec::as_slice))?;
    let need = thresholds.min_baseline_runs.max(2);
    if recent.len() < need || anchor.len() < need {
        return None;
    }
    let (mr, ma) = (stats::mean(&recent)?, stats::mean(&anchor)?);
    let vr = stats::std_dev(&recent)?.powi(2) / recent.len() as f64;
    let va = stats::std_dev(&anchor)?.powi(2) / anchor.len() as f64;
    let d = mr - ma;
    let worse = match direction {
        Direction::LowerIsBetter => d,
        Direction::HigherIsBetter => -d,
    };
    let change = d.exp() - 1.0;
    if change.abs() < thresholds.warning * (1.0 - 1e-9) || worse <= 0.0 {
        return None;
    }
    let se2 = vr + va;
    let p_value = if se2 > 0.0 {
        let df =
            se2 * se2 / (vr * vr / (recent.len() - 1) as f64 + va * va / (anchor.len() - 1) as f64);
        StudentsT::new(0.0, 1.0, df).ok()?.sf(worse / se2.sqrt())
    } else {
        0.0
    };
    (p_value < thresholds.false_alarm_rate).then_some(Creep { change, p_value })
}

/// Benjamini–Hochberg adjusted p-values (Benjamini & Hochberg 1995, "Controlling
/// the false discovery rate", JRSS B 57(1)): `p_(i) · m / i`, made monotone
/// from the largest down, capped at 1; returned in the input order.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut adjusted = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        adjusted[i] = running.clamp(0.0, 1.0);
    }
    adjusted
}

/// Run-level false-alarm control: Benjamini–Hochberg at level
/// `false_alarm_rate` over every tested verdict of the run. When no code
/// changed (all null hypotheses true) this bounds the probability that the
/// run reports any regression by `false_alarm_rate`; with real changes it
/// bounds the expected share of false ones among those reported. The
/// adjustment can only turn significant verdicts into `none` or
/// `inconclusive`, never the reverse. Each verdict's minimum detectable
/// change is restated at the level BH holds its test to
/// ([`bh_level`]), so that `inconclusive` means the same after the
/// adjustment as before it. Returns how many tests were adjusted over.
pub fn control_run_false_alarms(verdicts: &mut [&mut Verdict], thresholds: &Thresholds) -> usize {
    let tested: Vec<usize> = (0..verdicts.len())
        .filter(|i| verdicts[*i].tested())
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|i| verdicts[*i].p_value.unwrap_or(1.0))
        .collect();
    let adjusted = benjamini_hochberg(&p);
    let levels = bh_levels(&p, thresholds.false_alarm_rate);
    for ((i, q), level) in tested.iter().zip(adjusted).zip(levels) {
        let v = &mut *verdicts[*i];
        v.adjusted_p_value = Some(q);
        if let Some(scale) = v.test
            && let Some(mdc) = min_detectable(&scale, level, v.direction)
        {
            v.min_detectable_change = Some(mdc);
        }
        classify(v, q < thresholds.false_alarm_rate, thresholds);
    }
    tested.len()
}

/// The level Benjamini–Hochberg at `alpha` holds each test to, given the
/// other tests' p-values: test `i` is rejected exactly when
/// `p_i ≤ α·k/m` for some `k` such that at least `k − 1` of the others have
/// `p_j ≤ α·k/m`; the largest such `α·k/m` is its level (at least `α/m`,
/// reached when no other test is significant). Returned in input order.
pub fn bh_levels(p: &[f64], alpha: f64) -> Vec<f64> {
    let m = p.len();
    let mut sorted = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mf = m as f64;
    (0..m)
        .map(|i| {
            (1..=m)
                .rev()
                .map(|k| (k, alpha * k as f64 / mf))
                .find(|&(k, t)| {
                    // Others at or under t: all at or under t, less this
                    // test's own when it is.
                    let all = sorted.partition_point(|x| *x <= t);
                    let others = all - usize::from(p[i] <= t);
                    others + 1 >= k
                })
                .map_or(alpha / mf, |(_, t)| t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::moderation::VariancePrior;
    use proptest::prelude::*;

    const THRESHOLDS: Thresholds = Thresholds {
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
            &THRESHOLDS,
        );
        assert_eq!(v.regression, Regression::InsufficientData);
        assert_eq!(v.baseline_runs, 2);
        assert_eq!(v.change, None);
    }

    #[test]
    fn reference_prediction_interval() {
        // Baseline medians 100, 102, 98, 101, 99 (log scale), candidate 130
        // (one sample, so no extra within-run term).
        // Reference computed independently with SciPy 1.17.1 / NumPy 2.4.6:
        //   l = np.log([100,102,98,101,99]); m = l.mean(); s = l.std(ddof=1)
        //   se = s*np.sqrt(1+1/5); d = np.log(130)-m
        //   scipy.stats.t.sf(d/se, 4)                  -> 5.530982206924601e-05
        //   np.exp(d)-1                                -> 0.3001300286080617
        //   q = scipy.stats.t.ppf(0.99, 4)
        //   np.exp(d -/+ q*se)-1                       -> 0.21842221567883913, 0.38731719558037936
        //   np.exp(q*se)-1                             -> 0.06706034400702343
        let base = runs(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let v = against_history(
            &[130.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert_eq!(v.regression, Regression::Regression);
        assert_eq!(v.severity, Severity::Critical);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        let change = v.change.expect("change");
        assert!(close(change, 0.3001300286080617), "{change}");
        let p = v.p_value.expect("p");
        assert!(close(p, 5.530982206924601e-05), "{p}");
        let [lo, hi] = v.change_interval.expect("interval");
        assert!(
            close(lo, 0.21842221567883913) && close(hi, 0.38731719558037936),
            "{lo} {hi}"
        );
        let mdc = v.min_detectable_change.expect("mdc");
        assert!(close(mdc, 0.06706034400702343), "{mdc}");
    }

    #[test]
    fn reference_k_round_prediction_interval() {
        // Baseline medians 100, 102, 98, 101, 99; the candidate measured in
        // three rounds with medians 128, 131, 126 and the baseline runs'
        // own within-run spread (so no extra within-run term).
        // SciPy 1.17.1 / NumPy 2.4.6:
        //   l = np.log([100,102,98,101,99]); m = l.mean(); s = l.std(ddof=1)
        //   c = np.log([128,131,126]); se = s*np.sqrt(1/3 + 1/5); d = c.mean() - m
        //   scipy.stats.t.sf(d/se, 4)                 -> 1.3590311995624294e-05
        //   np.exp(d)-1                               -> 0.2832975751282911
        //   q = scipy.stats.t.ppf(0.99, 4)
        //   np.exp(d -/+ q*se)-1                      -> 0.22895143262565343, 0.340046988522283
        //   np.exp(q*se)-1                            -> 0.04422155429407604
        let base = runs(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let rounds = runs(&[128.0, 131.0, 126.0]);
        let v = against_history_runs(
            &rounds,
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        let p = v.p_value.expect("p");
        assert!(close(p, 1.3590311995624294e-05), "{p}");
        let c = v.change.expect("change");
        assert!(close(c, 0.2832975751282911), "{c}");
        let [lo, hi] = v.change_interval.expect("interval");
        assert!(
            close(lo, 0.22895143262565343) && close(hi, 0.340046988522283),
            "{lo} {hi}"
        );
        let mdc = v.min_detectable_change.expect("mdc");
        assert!(close(mdc, 0.04422155429407604), "{mdc}");
        assert_eq!(v.regression, Regression::Regression);
    }

    #[test]
    fn reference_k_round_extra_within_run_noise() {
        // Two noisy candidate rounds: their mean within-run variance
        // (MAD-based, SE factor sqrt(pi/2) for the median) exceeds the
        // baseline runs', so (c − b)/k joins τ²(1/k + 1/n) and the degrees of
        // freedom follow Welch–Satterthwaite with Σ(m_j − 1) = 4 for the
        // candidate's term. The model written out in SciPy 1.17.1 / NumPy 2.4.6:
        //   wv = lambda x: (np.sqrt(np.pi/2)*scipy.stats.median_abs_deviation(
        //            np.log(x), scale='normal'))**2/len(x)
        //   b = mean of wv over the baseline runs l*[0.99, 1, 1.01]
        //   c = mean(wv([110,120,130]), wv([112,119,127]))
        //   shared = s**2*(1/2 + 1/5); extra = (c - b)/2; var = shared + extra
        //   df = var**2/(shared**2/4 + extra**2/4)         -> 4.490537024349461
        //   d = mean(log(120), log(119)) - m
        //   scipy.stats.t.sf(d/np.sqrt(var), df)           -> 0.013345059670087828
        //   np.exp(d)-1                                    -> 0.19510906495432345
        let base = runs(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let rounds = [vec![110.0, 120.0, 130.0], vec![112.0, 119.0, 127.0]];
        let v = against_history_runs(
            &rounds,
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-8 * b.abs();
        let p = v.p_value.expect("p");
        assert!(close(p, 0.013345059670087828), "{p}");
        let c = v.change.expect("change");
        assert!(close(c, 0.19510906495432345), "{c}");
        // Just above the 1 % level: not significant, so no regression; the
        // estimate reaches the warning, so inconclusive.
        assert_eq!(v.regression, Regression::Inconclusive);
    }

    #[test]
    fn one_round_is_against_history() {
        let base = runs(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let current = [108.0, 109.0, 107.5, 120.0];
        let a = against_history(
            &current,
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        let b = against_history_runs(
            &[current.to_vec()],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert_eq!(a, b);
        let none: [Vec<f64>; 0] = [];
        assert_eq!(
            against_history_runs(
                &none,
                &base,
                Statistic::Median,
                Direction::LowerIsBetter,
                &THRESHOLDS
            )
            .regression,
            Regression::InsufficientData
        );
    }

    #[test]
    fn more_rounds_narrow_the_interval_pooling_does_not() {
        // The same +6 % in three rounds is a regression where one round (or
        // the three rounds' samples pooled into one run) is not.
        let base = runs(&[
            100.0, 104.0, 96.0, 102.0, 98.0, 101.0, 99.0, 103.0, 97.0, 100.0,
        ]);
        let thresholds = Thresholds {
            warning: 0.0,
            ..THRESHOLDS
        };
        let rounds = runs(&[106.0, 106.0, 106.0]);
        let one = against_history(
            &rounds[0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &thresholds,
        );
        let pooled: Vec<f64> = rounds.iter().flatten().copied().collect();
        let flat = against_history(
            &pooled,
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &thresholds,
        );
        let three = against_history_runs(
            &rounds,
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &thresholds,
        );
        // Not significant, and with warning 0 every untested size is beyond
        // what the test could see: inconclusive, not a pass.
        assert_eq!(one.regression, Regression::Inconclusive, "{one:?}");
        assert_eq!(flat.regression, Regression::Inconclusive, "{flat:?}");
        assert_eq!(three.regression, Regression::Regression, "{three:?}");
        assert!(three.min_detectable_change < one.min_detectable_change);
    }

    #[test]
    fn worsening_p_value_follows_the_direction() {
        assert_eq!(worsening_p(0.1, 0.03, Direction::LowerIsBetter), Some(0.03));
        assert_eq!(
            worsening_p(-0.1, 0.03, Direction::LowerIsBetter),
            Some(0.97)
        );
        assert_eq!(
            worsening_p(-0.1, 0.03, Direction::HigherIsBetter),
            Some(0.03)
        );
        assert_eq!(
            worsening_p(0.1, 0.03, Direction::HigherIsBetter),
            Some(0.97)
        );
        assert_eq!(worsening_p_value(&Verdict::insufficient(0)), None);
        assert_eq!(screening_level(0.01), SCREENING_LEVEL);
        assert_eq!(screening_level(0.3), 0.3);
    }

    #[test]
    fn noise_alone_is_not_a_regression() {
        let base = runs(&[100.0, 108.0, 95.0, 104.0, 98.0, 102.0]);
        let v = against_history(
            &[106.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        // Never a regression; at ±4 % noise over 6 runs the test cannot see
        // a change of 10 %, so it says so.
        assert_eq!(v.regression, Regression::Inconclusive);
        assert!(v.min_detectable_change.expect("mdc") > 0.10);
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
            &THRESHOLDS,
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
            &THRESHOLDS,
        );
        assert_eq!(faster.regression, Regression::Improvement);
        let less_throughput = against_history(
            &[80.0],
            &base,
            Statistic::Median,
            Direction::HigherIsBetter,
            &THRESHOLDS,
        );
        assert_eq!(less_throughput.regression, Regression::Regression);
        assert_eq!(less_throughput.severity, Severity::Critical);
        let more = against_history(
            &[112.0],
            &base,
            Statistic::Median,
            Direction::HigherIsBetter,
            &THRESHOLDS,
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
            &THRESHOLDS,
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
            &THRESHOLDS,
        );
        assert_eq!(same.regression, Regression::None);
        assert_eq!(same.p_value, Some(1.0));
        let more = against_history(
            &[1200.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
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
            &THRESHOLDS,
        );
        assert_eq!(v.regression, Regression::None);
    }

    #[test]
    fn pinned_welch_test() {
        let pinned = [100.0, 101.0, 99.0, 100.5, 99.5];
        let slower = [120.0, 121.0, 119.0, 120.5, 119.5];
        let v = against_pinned(&slower, &pinned, Direction::LowerIsBetter, &THRESHOLDS);
        assert_eq!(v.regression, Regression::Regression);
        let same = against_pinned(&pinned, &pinned, Direction::LowerIsBetter, &THRESHOLDS);
        assert_eq!(same.regression, Regression::None);
        assert_eq!(
            against_pinned(&[1.0], &pinned, Direction::LowerIsBetter, &THRESHOLDS).regression,
            Regression::InsufficientData
        );
    }

    #[test]
    fn creep_is_found_against_the_anchor() {
        // Ten runs ago the level was 100; it crept up 1.5 % per run.
        let anchor = runs(&[100.0, 100.4, 99.6, 100.2, 99.8]);
        let recent = runs(&[112.0, 113.5, 115.0, 116.5, 118.0]);
        let c = creep(
            &[119.0],
            &recent,
            &anchor,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        )
        .expect("creep");
        assert!(c.change > 0.10 && c.p_value < 0.01, "{c:?}");
        // Flat series, or a change for the better, is no creep.
        assert_eq!(
            creep(
                &[100.0],
                &anchor,
                &anchor,
                Statistic::Median,
                Direction::LowerIsBetter,
                &THRESHOLDS
            ),
            None
        );
        assert_eq!(
            creep(
                &[119.0],
                &recent,
                &anchor,
                Statistic::Median,
                Direction::HigherIsBetter,
                &THRESHOLDS
            ),
            None
        );
        // Too few anchor runs: no verdict.
        assert_eq!(
            creep(
                &[119.0],
                &recent,
                &anchor[..2],
                Statistic::Median,
                Direction::LowerIsBetter,
                &THRESHOLDS
            ),
            None
        );
    }

    #[test]
    fn reference_paired_test() {
        // SciPy 1.17.1 / NumPy 2.4.6:
        //   a = [100,103,98,101,99,102]; b = [102,105.5,99.5,103.4,101.2,103.9]
        //   d = np.log(b) - np.log(a)
        //   scipy.stats.ttest_rel(np.log(b), np.log(a), alternative='greater').pvalue
        //     -> 1.1994260379078549e-05
        //   np.exp(d.mean()) - 1 -> 0.020693568876291923
        let a = [100.0, 103.0, 98.0, 101.0, 99.0, 102.0];
        let b = [102.0, 105.5, 99.5, 103.4, 101.2, 103.9];
        let v = against_paired(&a, &b, Direction::LowerIsBetter, &THRESHOLDS);
        let p = v.p_value.expect("p");
        assert!(
            (p - 1.1994260379078549e-05).abs() < 1e-9 * 1.1994260379078549e-05,
            "{p}"
        );
        let c = v.change.expect("change");
        assert!((c - 0.020693568876291923).abs() < 1e-12, "{c}");
        // 2 % is significant but under the 10 % warning: no regression.
        assert_eq!(v.regression, Regression::None);
        assert_eq!(
            against_paired(&a[..2], &b[..2], Direction::LowerIsBetter, &THRESHOLDS).regression,
            Regression::InsufficientData
        );
    }

    #[test]
    fn reference_benjamini_hochberg() {
        // scipy.stats.false_discovery_control([0.01,0.04,0.03,0.005,0.5], method='bh')
        //   -> [0.025, 0.05, 0.05, 0.025, 0.5]   (SciPy 1.17.1)
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.5]);
        let want = [0.025, 0.05, 0.05, 0.025, 0.5];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn run_level_control_only_removes_findings() {
        let base = runs(&[100.0, 100.5, 99.5, 100.2, 99.8]);
        let mut strong = against_history(
            &[130.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        // Significant alone (p just under 1 %), not after adjusting over 20 tests.
        let mut weak = against_history(
            &[111.0],
            &runs(&[100.0, 104.0, 96.0, 102.0, 98.0, 101.0, 99.0]),
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert!(weak.p_value.expect("p") < 0.01, "{weak:?}");
        assert_eq!(weak.regression, Regression::Regression);
        let mut nulls: Vec<Verdict> = (0..18)
            .map(|i| {
                against_history(
                    &[100.0 + f64::from(i) * 0.01],
                    &base,
                    Statistic::Median,
                    Direction::LowerIsBetter,
                    &THRESHOLDS,
                )
            })
            .collect();
        let mut insufficient = Verdict::insufficient(1);
        let mut all: Vec<&mut Verdict> = vec![&mut strong, &mut weak, &mut insufficient];
        all.extend(nulls.iter_mut());
        assert_eq!(control_run_false_alarms(&mut all, &THRESHOLDS), 20);
        assert_eq!(strong.regression, Regression::Regression);
        // Its estimate (+11 %) reaches the warning but is no longer
        // significant: inconclusive.
        assert_eq!(weak.regression, Regression::Inconclusive);
        assert!(weak.adjusted_p_value.expect("q") >= weak.p_value.expect("p"));
        assert_eq!(insufficient.regression, Regression::InsufficientData);
    }

    #[test]
    fn a_noisy_candidate_widens_its_interval() {
        let base: Vec<Vec<f64>> = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2]
            .iter()
            .map(|l| vec![l * 0.995, *l, l * 1.005, l * 0.998, l * 1.002])
            .collect();
        let quiet = against_history(
            &[112.0, 112.2, 111.8, 112.1, 111.9],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        let noisy = against_history(
            &[80.0, 96.0, 112.0, 128.0, 144.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        let width = |v: &Verdict| {
            let [lo, hi] = v.change_interval.expect("interval");
            hi - lo
        };
        assert!(width(&noisy) > 2.0 * width(&quiet));
        assert_eq!(quiet.regression, Regression::Regression);
        // The noisy candidate's test cannot see a change of 10 %.
        assert_eq!(noisy.regression, Regression::Inconclusive);
    }

    #[test]
    fn min_detectable_change_for_higher_is_better() {
        let base = runs(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let lower = against_history(
            &[100.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        let higher = against_history(
            &[100.0],
            &base,
            Statistic::Median,
            Direction::HigherIsBetter,
            &THRESHOLDS,
        );
        let (a, b) = (
            lower.min_detectable_change.expect("m"),
            higher.min_detectable_change.expect("m"),
        );
        // exp(h) − 1 and 1 − exp(−h) for the same half-width h.
        assert!(a > b && b > 0.0);
        assert!(((1.0 + a) * (1.0 - b) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn inconclusive_when_the_test_cannot_see_the_warning() {
        // A quiet history (±1 %) sees a change of 10 %: unchanged is none.
        let quiet = runs(&[100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.0]);
        let v = against_history(
            &[100.3],
            &quiet,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert_eq!(v.regression, Regression::None, "{v:?}");
        assert!(v.min_detectable_change.expect("mdc") < 0.10);
        // A noisy history (±30 %): twice as slow is not significant, and
        // is neither a pass nor a regression.
        let noisy = runs(&[60.0, 140.0, 100.0, 75.0, 130.0, 95.0, 110.0, 85.0]);
        let v = against_history(
            &[200.0],
            &noisy,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert!(v.p_value.expect("p") > 0.01, "{v:?}");
        assert_eq!(v.regression, Regression::Inconclusive, "{v:?}");
        // Unchanged on the same noisy history: still inconclusive, because
        // the test could not have seen 10 %.
        let v = against_history(
            &[100.0],
            &noisy,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert_eq!(v.regression, Regression::Inconclusive, "{v:?}");
        assert_eq!(v.severity, Severity::None);
    }

    #[test]
    fn significant_changes_stay_decided() {
        // Noisy enough that the test cannot see 10 % (MDC above it), yet a
        // large slowdown is significant: a regression, and a large speed-up
        // an improvement.
        let noisy = runs(&[60.0, 140.0, 100.0, 75.0, 130.0, 95.0, 110.0, 85.0]);
        let worse = against_history(
            &[1000.0],
            &noisy,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert!(worse.min_detectable_change.expect("mdc") > 0.10);
        assert_eq!(worse.regression, Regression::Regression, "{worse:?}");
        assert_eq!(worse.severity, Severity::Critical);
        let better = against_history(
            &[10.0],
            &noisy,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert_eq!(better.regression, Regression::Improvement, "{better:?}");
        // A significant worsening under the warning on a quiet history: none.
        let quiet = runs(&[100.0, 100.2, 99.8, 100.1, 99.9, 100.0]);
        let small = against_history(
            &[104.0],
            &quiet,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        assert!(small.p_value.expect("p") < 0.01);
        assert_eq!(small.regression, Regression::None, "{small:?}");
    }

    #[test]
    fn run_level_control_restates_the_detectable_change() {
        // 20 unchanged tests: BH holds each to α/20, so what each can detect
        // grows from t(0.99, 7)·se to t(1 − 0.0005, 7)·se; at 2 % noise
        // that crosses the 10 % warning, and unchanged becomes inconclusive.
        let base = runs(&[100.0, 103.0, 97.0, 101.5, 98.5, 102.0, 98.0, 100.0]);
        let mut nulls: Vec<Verdict> = (0..20)
            .map(|i| {
                against_history(
                    &[100.0 + f64::from(i) * 0.05],
                    &base,
                    Statistic::Median,
                    Direction::LowerIsBetter,
                    &THRESHOLDS,
                )
            })
            .collect();
        let before = nulls[0].min_detectable_change.expect("mdc");
        assert!(before < 0.10, "{before}");
        assert_eq!(nulls[0].regression, Regression::None);
        let mut all: Vec<&mut Verdict> = nulls.iter_mut().collect();
        control_run_false_alarms(&mut all, &THRESHOLDS);
        let after = nulls[0].min_detectable_change.expect("mdc");
        // The half-width over se is the critical value
        // (SciPy 1.17.1: scipy.stats.t.ppf(1 - 0.01/20, 7) -> 5.407882520893399,
        //  scipy.stats.t.ppf(0.99, 7) -> 2.997951486164076).
        let se = nulls[0].test.expect("scale").se;
        assert!(
            (after.ln_1p() / se - 5.407882520893399).abs() < 1e-6,
            "{after}"
        );
        assert!(
            (before.ln_1p() / se - 2.997951486164076).abs() < 1e-6,
            "{before}"
        );
        assert!(after > 0.10, "{after}");
        assert!(
            nulls
                .iter()
                .all(|v| v.regression == Regression::Inconclusive)
        );
    }

    #[test]
    fn reference_two_group_mixture_test() {
        // SciPy 1.17.1: f = lambda x: 0.7*t.sf(x/0.01, 13.0) + 0.3*t.sf(x/0.03, 19.5)
        //   f(0.04) = 0.03019776434735405
        //   brentq(lambda x: f(x) - 0.01, 1e-6, 1, xtol=1e-15, rtol=1e-15)
        //     = 0.05830531167467286
        let scale = TestScale {
            se: 0.01,
            df: 13.0,
            log_scale: true,
            other: Some(OtherGroup {
                weight: 0.3,
                se: 0.03,
                df: 19.5,
            }),
        };
        let p = scale_tail(0.04, &scale).expect("tail");
        assert!((p - 0.03019776434735405).abs() < 1e-12, "{p}");
        let h = half_width(0.01, &scale).expect("half width");
        assert!((h - 0.05830531167467286).abs() < 1e-10, "{h}");
        // Between the two groups' own half widths.
        let own = |se: f64, df: f64| critical_value(0.01, df).expect("q") * se;
        assert!(own(0.01, 13.0) < h && h < own(0.03, 19.5));
        // Without a second group: Student's t.
        let single = TestScale {
            other: None,
            ..scale
        };
        assert_eq!(half_width(0.01, &single), Some(own(0.01, 13.0)));
    }

    #[test]
    fn a_pool_of_two_noise_groups_judges_each_by_its_own() {
        // 8 quiet series (1 %) and 6 noisy ones (8 %) of 10 runs each: the
        // pool splits into two groups, and a quiet series is tested with
        // nearly the quiet group's noise, a noisy one with the noisy's.
        let quiet: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![100.0 * (0.01 * ((i as f64) - 4.5) / 3.03).exp()])
            .collect();
        let noisy: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![100.0 * (0.08 * ((i as f64) - 4.5) / 3.03).exp()])
            .collect();
        let variance = |runs: &[Vec<f64>]| {
            history_variance(&[[100.0]], runs, Statistic::Median, &THRESHOLDS).expect("variance")
        };
        let (vq, vn) = (variance(&quiet), variance(&noisy));
        let jitter = [0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0, 0.95];
        let mut pool: Vec<(f64, f64)> = jitter.iter().map(|j| (vq.variance * j, vq.df)).collect();
        pool.extend(jitter[..6].iter().map(|j| (vn.variance * j, vn.df)));
        let prior = moderation::estimate_noise_prior(&pool).expect("prior");
        assert_eq!(prior.groups.len(), 2, "{prior:?}");
        let judge = |runs: &[Vec<f64>]| {
            against_history_pooled(
                &[[115.0]],
                runs,
                Statistic::Median,
                Direction::LowerIsBetter,
                &THRESHOLDS,
                Some(&prior),
            )
        };
        let own = |runs: &[Vec<f64>]| {
            against_history(
                &[115.0],
                runs,
                Statistic::Median,
                Direction::LowerIsBetter,
                &THRESHOLDS,
            )
        };
        // The quiet series: +15 % is far outside its noise either way.
        let q = judge(&quiet);
        assert_eq!(q.regression, Regression::Regression);
        assert!(q.min_detectable_change <= own(&quiet).min_detectable_change);
        // The noisy series: not significant, and its detectable change is
        // about its own (the noisy group's spread is its own here), never
        // the quiet group's.
        let n = judge(&noisy);
        assert_ne!(n.regression, Regression::Regression);
        let (mdc, own_mdc) = (
            n.min_detectable_change.expect("mdc"),
            own(&noisy).min_detectable_change.expect("mdc"),
        );
        assert!(mdc > 0.5 * own_mdc, "{mdc} vs own {own_mdc}");
        assert!(mdc > 5.0 * q.min_detectable_change.expect("mdc"));
    }

    #[test]
    fn reference_bh_levels() {
        // By hand from the BH step-up rule at α = 0.05, m = 5: sorted
        // p = 0.005, 0.01, 0.03, 0.04, 0.5. Test 0.04: k = 4 needs 3 others
        // at or under 0.04: yes, level 0.04; k = 5 needs 4 others under 0.05:
        // no. Test 0.5: k = 5 needs 4 others under 0.05: yes, level 0.05.
        // The three smallest: k = 4 (3 others under 0.04), level 0.04.
        let l = bh_levels(&[0.01, 0.04, 0.03, 0.005, 0.5], 0.05);
        let want = [0.04, 0.04, 0.04, 0.04, 0.05];
        for (a, b) in l.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{l:?}");
        }
        assert_eq!(bh_levels(&[0.9], 0.01), vec![0.01]);
        // No other significant: α/m.
        let l = bh_levels(&[0.2, 0.3, 0.4, 0.5], 0.01);
        assert!(l.iter().all(|x| (x - 0.0025).abs() < 1e-15), "{l:?}");
    }

    #[test]
    fn pooled_noise_is_reported_and_used() {
        let base = runs(&[100.0, 103.0, 97.0, 101.5, 98.5, 102.0, 98.0, 100.0]);
        let own = against_history(
            &[110.0],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
        );
        let noise = own.noise.expect("noise");
        assert_eq!(noise.basis, NoiseBasis::OwnRuns);
        assert_eq!((noise.runs, noise.series_pooled), (8, 0));
        let hv =
            history_variance(&[[110.0]], &base, Statistic::Median, &THRESHOLDS).expect("variance");
        assert!(hv.log_scale && hv.df == 7.0);
        // A prior as certain as 1000 runs at the same variance: the test is
        // nearly the z-test, narrower than the own-runs t.
        let prior = NoisePrior::single(VariancePrior {
            df: 1000.0,
            scale: hv.variance,
            series: 12,
        });
        let pooled = against_history_pooled(
            &[[110.0]],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
            Some(&prior),
        );
        let noise = pooled.noise.expect("noise");
        assert_eq!(noise.basis, NoiseBasis::Pooled);
        assert_eq!(noise.series_pooled, 12);
        assert_eq!(noise.prior_df, Some(1000.0));
        assert!((noise.df.expect("df") - 1007.0).abs() < 1e-9);
        assert!(pooled.p_value < own.p_value);
        assert!(pooled.min_detectable_change < own.min_detectable_change);
        // An infinite prior df: the z-test with the pooled variance, df
        // reported as null.
        let certain = NoisePrior::single(VariancePrior {
            df: f64::INFINITY,
            scale: hv.variance,
            series: 12,
        });
        let z = against_history_pooled(
            &[[110.0]],
            &base,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
            Some(&certain),
        );
        assert_eq!(z.noise.expect("noise").df, None);
        let m = base.iter().map(|r| r[1].ln()).sum::<f64>() / 8.0;
        let zstat = ((110.0f64).ln() - m) / (hv.variance * (1.0 + 1.0 / 8.0)).sqrt();
        let p = Normal::new(0.0, 1.0).expect("normal").sf(zstat);
        assert!((z.p_value.expect("p") - p).abs() < 1e-12);
        // A deterministic series (no spread) keeps its own zero variance.
        let flat = vec![vec![100.0]; 8];
        let d = against_history_pooled(
            &[[101.0]],
            &flat,
            Statistic::Median,
            Direction::LowerIsBetter,
            &THRESHOLDS,
            Some(&prior),
        );
        assert_eq!(d.noise.expect("noise").basis, NoiseBasis::OwnRuns);
        assert_eq!(d.p_value, Some(0.0));
    }

    proptest! {
        // The verdict depends on ratios only: scaling everything changes nothing.
        #[test]
        fn verdict_is_scale_invariant(levels in prop::collection::vec(90.0f64..110.0, 3..12), x in 50.0f64..200.0, k in 0.001f64..1000.0) {
            let base = runs(&levels);
            let scaled: Vec<Vec<f64>> = base.iter().map(|r| r.iter().map(|v| v * k).collect()).collect();
            let a = against_history(&[x], &base, Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS);
            let b = against_history(&[x * k], &scaled, Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS);
            prop_assert_eq!(a.regression, b.regression);
            let (ca, cb) = (a.change.expect("c"), b.change.expect("c"));
            prop_assert!((ca - cb).abs() < 1e-9);
        }

        // The interval always contains the point estimate, and p is a probability.
        #[test]
        fn interval_contains_estimate(levels in prop::collection::vec(50.0f64..150.0, 3..12), x in 10.0f64..300.0) {
            let v = against_history(&[x], &runs(&levels), Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS);
            let [lo, hi] = v.change_interval.expect("interval");
            let c = v.change.expect("change");
            prop_assert!(lo <= c + 1e-12 && c <= hi + 1e-12);
            let p = v.p_value.expect("p");
            prop_assert!((0.0..=1.0).contains(&p));
        }
        // Baseline runs are exchangeable: their order changes nothing.
        #[test]
        fn verdict_ignores_baseline_order(levels in prop::collection::vec(90.0f64..110.0, 3..12), x in 50.0f64..200.0, seed in any::<u64>()) {
            let base = runs(&levels);
            let mut shuffled = base.clone();
            // Fisher–Yates with a splitmix64 stream.
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                shuffled.swap(i, (z % (i as u64 + 1)) as usize);
            }
            let a = against_history(&[x], &base, Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS);
            let b = against_history(&[x], &shuffled, Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS);
            prop_assert_eq!(a.regression, b.regression);
            prop_assert!((a.p_value.expect("p") - b.p_value.expect("p")).abs() < 1e-9);
        }

        // A larger slowdown is never judged less severely.
        #[test]
        fn detection_is_monotone_in_effect_size(levels in prop::collection::vec(90.0f64..110.0, 3..12), a in 0.0f64..0.5, b in 0.0f64..0.5) {
            let base = runs(&levels);
            let (small, large) = if a <= b { (a, b) } else { (b, a) };
            let rank = |r: Regression, s: Severity| match (r, s) {
                (Regression::Regression, Severity::Critical) => 2,
                (Regression::Regression, _) => 1,
                _ => 0,
            };
            let v = |e: f64| against_history(&[100.0 * (1.0 + e)], &base, Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS);
            let (vs, vl) = (v(small), v(large));
            prop_assert!(rank(vs.regression, vs.severity) <= rank(vl.regression, vl.severity));
            prop_assert!(vl.p_value.expect("p") <= vs.p_value.expect("p") + 1e-12 || vs.change.expect("c") < 0.0);
        }

        // k rounds: scaling all values, shuffling the baseline runs and the
        // order of the rounds change no verdict; a larger slowdown of every
        // round is never judged less severely.
        #[test]
        fn k_round_verdict_is_scale_and_order_invariant(levels in prop::collection::vec(90.0f64..110.0, 3..12), xs in prop::collection::vec(80.0f64..140.0, 1..4), k in 0.001f64..1000.0, seed in any::<u64>()) {
            let base = runs(&levels);
            let rounds = runs(&xs);
            let scale = |r: &[Vec<f64>]| -> Vec<Vec<f64>> { r.iter().map(|r| r.iter().map(|v| v * k).collect()).collect() };
            let v = |rounds: &[Vec<f64>], base: &[Vec<f64>]| against_history_runs(rounds, base, Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS);
            let a = v(&rounds, &base);
            let b = v(&scale(&rounds), &scale(&base));
            prop_assert_eq!(a.regression, b.regression);
            prop_assert!((a.p_value.expect("p") - b.p_value.expect("p")).abs() < 1e-9);
            let mut shuffled = base.clone();
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                shuffled.swap(i, (z % (i as u64 + 1)) as usize);
            }
            let mut reversed = rounds.clone();
            reversed.reverse();
            let c = v(&reversed, &shuffled);
            prop_assert_eq!(a.regression, c.regression);
            prop_assert!((a.p_value.expect("p") - c.p_value.expect("p")).abs() < 1e-9);
        }

        #[test]
        fn k_round_detection_is_monotone_in_effect_size(levels in prop::collection::vec(90.0f64..110.0, 3..12), noise in prop::collection::vec(0.97f64..1.03, 1..4), a in 0.0f64..0.5, b in 0.0f64..0.5) {
            let base = runs(&levels);
            let (small, large) = if a <= b { (a, b) } else { (b, a) };
            let rank = |r: Regression, s: Severity| match (r, s) {
                (Regression::Regression, Severity::Critical) => 2,
                (Regression::Regression, _) => 1,
                _ => 0,
            };
            let v = |e: f64| {
                let rounds = runs(&noise.iter().map(|n| 100.0 * n * (1.0 + e)).collect::<Vec<_>>());
                against_history_runs(&rounds, &base, Statistic::Median, Direction::LowerIsBetter, &THRESHOLDS)
            };
            let (vs, vl) = (v(small), v(large));
            prop_assert!(rank(vs.regression, vs.severity) <= rank(vl.regression, vl.severity));
            let wp = |v: &Verdict| worsening_p_value(v).expect("p");
            prop_assert!(wp(&vl) <= wp(&vs) + 1e-12);
        }

        #[test]
        fn benjamini_hochberg_is_monotone_and_bounded(p in prop::collection::vec(0.0f64..1.0, 0..40)) {
            let q = benjamini_hochberg(&p);
            for (pi, qi) in p.iter().zip(&q) {
                prop_assert!(*qi >= *pi - 1e-15 && *qi <= 1.0);
            }
            for i in 0..p.len() {
                for j in 0..p.len() {
                    if p[i] < p[j] {
                        prop_assert!(q[i] <= q[j] + 1e-15);
                    }
                }
            }
        }
    }
}
