//! Change points over a series' history: where did its level shift?
//!
//! Method: PELT (Pruned Exact Linear Time; Killick, Fearnhead & Eckley
//! 2012, "Optimal detection of changepoints with a linear computational
//! cost", JASA 107(500)) minimising a penalised Gaussian cost for changes in
//! mean, on the log scale when all values are positive (a shift then reads
//! as a ratio, as in [`crate::regression`]).
//!
//! Why PELT and not E-Divisive means (Matteson & James 2014, "A
//! nonparametric approach for multiple change point analysis of
//! multivariate data", JASA 109(505)), which MongoDB and Otava use:
//! - PELT finds the exact optimum of its objective, and the same history
//!   always gives the same answer. E-Divisive decides each split with a
//!   permutation test, so its output depends on a random seed, and a gate
//!   whose marks move between two runs of `sloe history` is not trusted.
//!   sloe-core also has no RNG and no clock by design.
//! - It costs O(n) expected time (O(n²) worst case) against E-Divisive's
//!   O(n²) per split times the permutations; it runs on every check.
//! - Its one knob is a penalty with a known meaning. We use the MBIC-like
//!   `3 · ln n` per change (the default of R's `changepoint` package;
//!   Zhang & Siegmund 2007) in units of the noise variance, and estimate
//!   that variance robustly from successive differences (MAD of the first
//!   differences / √2), which level shifts barely touch.
//!
//! What it gives up: the Gaussian cost is sensitive to single outliers, so
//! a segment must hold at least [`MIN_SEGMENT`] points; and it models
//! shifts in mean only (a change in spread alone is not reported). The
//! tests measure it against human annotations (TCPD) beside binary
//! segmentation with the same cost and penalty.

use crate::stats;

/// The fewest points a segment may hold, so that one outlier is no segment.
pub const MIN_SEGMENT: usize = 3;

/// A shift in a series' level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    /// Index of the first point of the new level.
    pub index: usize,
    /// Level of the segment before (geometric mean on the log scale).
    pub before: f64,
    /// Level of the segment after.
    pub after: f64,
    /// Relative change, after / before − 1.
    pub change: f64,
}

/// Finds level shifts in `values` (oldest first) with PELT and the default
/// penalty. Non-finite values make the answer empty.
pub fn detect(values: &[f64]) -> Vec<ChangePoint> {
    let Some((y, log_scale)) = transform(values) else {
        return Vec::new();
    };
    // The penalty comes from the raw series' noise: the filtered series is
    // smoother, so this errs towards fewer change points.
    let penalty = default_penalty(&y);
    describe(
        &y,
        &pelt(&median_filter(&y), penalty, MIN_SEGMENT),
        log_scale,
    )
}

/// Binary segmentation (Scott & Knott 1974) with the same cost and penalty:
/// the classic greedy baseline PELT is compared with.
pub fn detect_binary_segmentation(values: &[f64]) -> Vec<ChangePoint> {
    let Some((y, log_scale)) = transform(values) else {
        return Vec::new();
    };
    let penalty = default_penalty(&y);
    describe(
        &y,
        &binary_segmentation(&median_filter(&y), penalty, MIN_SEGMENT),
        log_scale,
    )
}

fn transform(values: &[f64]) -> Option<(Vec<f64>, bool)> {
    if values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let log_scale = !values.is_empty() && values.iter().all(|v| *v > 0.0);
    let y: Vec<f64> = if log_scale {
        values.iter().map(|v| v.ln()).collect()
    } else {
        values.to_vec()
    };
    Some((y, log_scale))
}

/// Running median of width 3; the end points stay as they are.
fn median_filter(y: &[f64]) -> Vec<f64> {
    let mut out = y.to_vec();
    for i in 1..y.len().saturating_sub(1) {
        let (a, b, c) = (y[i - 1], y[i], y[i + 1]);
        out[i] = a.max(b).min(a.min(b).max(c));
    }
    out
}

/// Robust noise variance from successive differences: for i.i.d. noise
/// `Var(y_i − y_{i−1}) = 2σ²`, and a level shift spoils one difference.
pub fn noise_variance(y: &[f64]) -> f64 {
    let diffs: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let mad = stats::median_absolute_deviation(&diffs).unwrap_or(0.0);
    let sigma = 1.482_602_218_505_602 * mad / std::f64::consts::SQRT_2;
    // A MAD of rounding size means tied differences, not a noiseless series.
    let scale = y.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    if sigma > 1e-12 * scale {
        sigma * sigma
    } else {
        // Constant steps (or too few points): fall back to the plain variance.
        stats::std_dev(y).map_or(0.0, |s| s * s)
    }
}

/// `3 · ln n · σ²`: the penalty per change point.
pub fn default_penalty(y: &[f64]) -> f64 {
    3.0 * (y.len().max(2) as f64).ln() * noise_variance(y)
}

/// Prefix sums for O(1) segment costs.
struct Cost {
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl Cost {
    fn new(y: &[f64]) -> Cost {
        let mut s1 = vec![0.0; y.len() + 1];
        let mut s2 = vec![0.0; y.len() + 1];
        for (i, v) in y.iter().enumerate() {
            s1[i + 1] = s1[i] + v;
            s2[i + 1] = s2[i] + v * v;
        }
        Cost { s1, s2 }
    }
    /// Sum of squared deviations from the mean of `y[a..b]`.
    fn of(&self, a: usize, b: usize) -> f64 {
        let n = (b - a) as f64;
        let s = self.s1[b] - self.s1[a];
        (self.s2[b] - self.s2[a] - s * s / n).max(0.0)
    }
}

/// PELT: the segmentation minimising the sum of segment costs plus
/// `penalty` per change, with segments of at least `min_segment` points.
/// Returns the change indices (first point of each new segment), ascending.
pub fn pelt(y: &[f64], penalty: f64, min_segment: usize) -> Vec<usize> {
    let n = y.len();
    let m = min_segment.max(1);
    if n < 2 * m || penalty.is_nan() {
        return Vec::new();
    }
    let (_, last) = pelt_table(y, penalty, m);
    let mut changes = Vec::new();
    let mut t = n;
    while t > 0 {
        let s = last[t];
        if s > 0 {
            changes.push(s);
        }
        t = s;
    }
    changes.reverse();
    changes
}

/// PELT's optimal costs `F(t)` of `y[..t]` and the start of the last
/// segment of each optimum.
fn pelt_table(y: &[f64], penalty: f64, m: usize) -> (Vec<f64>, Vec<usize>) {
    let n = y.len();
    let cost = Cost::new(y);
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = -penalty;
    let mut candidates: Vec<usize> = vec![0];
    for t in m..=n {
        // Segment ends become candidate starts once they are reachable.
        if t >= 2 * m {
            candidates.push(t - m);
        }
        let mut best = f64::INFINITY;
        let mut arg = 0;
        for &s in &candidates {
            if t - s < m || !f[s].is_finite() {
                continue;
            }
            let v = f[s] + cost.of(s, t) + penalty;
            if v < best {
                best = v;
                arg = s;
            }
        }
        f[t] = best;
        last[t] = arg;
        // Pruning (Killick et al. 2012, Theorem 3.1, K = 0 for this cost):
        // a start that cannot beat the optimum at u never will after u. It
        // is applied at u = t − m, the latest point that is already a valid
        // start for every segment ending from t on, so that the minimum
        // segment length cannot make it unsafe.
        if t >= 2 * m {
            let u = t - m;
            if f[u].is_finite() {
                candidates.retain(|&s| s + m > u || f[s] + cost.of(s, u) <= f[u]);
            }
        }
    }
    (f, last)
}

/// Whether the newest value starts a new level: the optimal segmentation of
/// the history (segments of at least [`MIN_SEGMENT`]) plus one new segment
/// holding only the newest value costs less than every segmentation in
/// which the newest value continues a segment. `values` are oldest first,
/// the newest last; the answer describes the shift it starts.
pub fn starts_new_segment(values: &[f64]) -> Option<ChangePoint> {
    let (newest, older) = values.split_last()?;
    let (raw, log_scale) = transform(older)?;
    if !newest.is_finite() || (log_scale && *newest <= 0.0) {
        return None;
    }
    let penalty = default_penalty(&raw);
    let mut y = median_filter(&raw);
    y.push(if log_scale { newest.ln() } else { *newest });
    let n = y.len();
    if n < 2 * MIN_SEGMENT + 1 {
        return None;
    }
    let history = &y[..n - 1];
    let (f_hist, last_hist) = pelt_table(history, penalty, MIN_SEGMENT);
    let (f_all, _) = pelt_table(&y, penalty, MIN_SEGMENT);
    let split = f_hist[n - 1] + penalty;
    if !split.is_finite() || split >= f_all[n] {
        return None;
    }
    let start = last_hist[n - 1];
    let before = stats::mean(&raw[start..n - 1])?;
    let (before, after) = if log_scale {
        (before.exp(), y[n - 1].exp())
    } else {
        (before, y[n - 1])
    };
    Some(ChangePoint {
        index: n - 1,
        before,
        after,
        change: if before != 0.0 {
            after / before - 1.0
        } else {
            0.0
        },
    })
}

/// Binary segmentation: split where one change lowers the cost most, keep
/// the split when the gain beats `penalty`, recurse on both halves.
pub fn binary_segmentation(y: &[f64], penalty: f64, min_segment: usize) -> Vec<usize> {
    let cost = Cost::new(y);
    let m = min_segment.max(1);
    let mut changes = Vec::new();
    let mut stack = vec![(0usize, y.len())];
    while let Some((a, b)) = stack.pop() {
        if b - a < 2 * m {
            continue;
        }
        let whole = cost.of(a, b);
        let best = (a + m..=b - m)
            .map(|k| (k, whole - cost.of(a, k) - cost.of(k, b)))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((k, gain)) = best
            && gain > penalty
        {
            changes.push(k);
            stack.push((a, k));
            stack.push((k, b));
        }
    }
    changes.sort_unstable();
    changes
}

fn describe(y: &[f64], changes: &[usize], log_scale: bool) -> Vec<ChangePoint> {
    let level = |a: usize, b: usize| {
        let m = stats::mean(&y[a..b]).unwrap_or(0.0);
        if log_scale { m.exp() } else { m }
    };
    let mut bounds = vec![0];
    bounds.extend_from_slice(changes);
    bounds.push(y.len());
    bounds
        .windows(3)
        .map(|w| {
            let (before, after) = (level(w[0], w[1]), level(w[1], w[2]));
            ChangePoint {
                index: w[1],
                before,
                after,
                change: if before != 0.0 {
                    after / before - 1.0
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// Scores detected change points against several annotators as TCPDBench
/// does (van den Burg & Williams 2020, §4.1): index 0 counts as a change
/// point in every set; a detection within `margin` of an annotation is a
/// true positive, each annotation matched at most once; precision is over
/// the union of the annotators' true positives, recall the mean over
/// annotators. Returns (precision, recall, F1).
pub fn f1_score(detected: &[usize], annotators: &[Vec<usize>], margin: usize) -> (f64, f64, f64) {
    let with_zero = |v: &[usize]| -> Vec<usize> {
        let mut v: Vec<usize> = std::iter::once(0).chain(v.iter().copied()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let x = with_zero(detected);
    if annotators.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let mut union_tp: Vec<usize> = Vec::new();
    let mut recall_sum = 0.0;
    for annotations in annotators {
        let t = with_zero(annotations);
        let mut used = vec![false; x.len()];
        let mut tp = 0usize;
        for a in &t {
            // The closest unused detection within the margin.
            let hit = x
                .iter()
                .enumerate()
                .filter(|(i, d)| !used[*i] && d.abs_diff(*a) <= margin)
                .min_by_key(|(_, d)| d.abs_diff(*a))
                .map(|(i, _)| i);
            if let Some(i) = hit {
                used[i] = true;
                tp += 1;
                union_tp.push(x[i]);
            }
        }
        recall_sum += tp as f64 / t.len() as f64;
    }
    union_tp.sort_unstable();
    union_tp.dedup();
    let precision = union_tp.len() as f64 / x.len() as f64;
    let recall = recall_sum / annotators.len() as f64;
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (precision, recall, f1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn steps(levels: &[(f64, usize)], jitter: f64) -> Vec<f64> {
        let mut out = Vec::new();
        let mut k = 0u32;
        for (level, len) in levels {
            for _ in 0..*len {
                // Deterministic zig-zag noise.
                k += 1;
                let e = ((f64::from(k) * 2.399_963).sin()) * jitter;
                out.push(level * (1.0 + e));
            }
        }
        out
    }

    #[test]
    fn finds_steps_and_their_size() {
        let y = steps(&[(100.0, 30), (110.0, 30), (95.0, 30)], 0.01);
        let cps = detect(&y);
        let idx: Vec<usize> = cps.iter().map(|c| c.index).collect();
        assert_eq!(idx, vec![30, 60], "{cps:?}");
        assert!((cps[0].change - 0.10).abs() < 0.01, "{cps:?}");
        assert!(
            (cps[1].change - (95.0 / 110.0 - 1.0)).abs() < 0.01,
            "{cps:?}"
        );
        let bs: Vec<usize> = detect_binary_segmentation(&y)
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(bs, vec![30, 60]);
    }

    #[test]
    fn the_newest_run_can_start_a_level() {
        let mut y = steps(&[(100.0, 30)], 0.01);
        assert_eq!(starts_new_segment(&y), None);
        y.push(120.0);
        let c = starts_new_segment(&y).expect("shift");
        assert_eq!(c.index, 30);
        assert!((c.change - 0.2).abs() < 0.02, "{c:?}");
        y.pop();
        y.push(100.5);
        assert_eq!(starts_new_segment(&y), None);
        assert_eq!(starts_new_segment(&[1.0, 2.0]), None);
    }

    #[test]
    fn flat_noise_and_one_outlier_are_no_change() {
        let mut y = steps(&[(100.0, 80)], 0.01);
        assert!(detect(&y).is_empty());
        y[40] = 150.0;
        assert!(detect(&y).is_empty(), "{:?}", detect(&y));
        assert!(detect(&[]).is_empty());
        assert!(detect(&[1.0, f64::NAN, 2.0]).is_empty());
    }

    #[test]
    fn median_filter_keeps_edges_and_drops_spikes() {
        assert_eq!(
            median_filter(&[1.0, 1.0, 9.0, 1.0, 1.0, 5.0, 5.0, 5.0]),
            vec![1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 5.0, 5.0]
        );
    }

    #[test]
    fn f1_matches_tcpdbench_conventions() {
        // Perfect detection: 1, 1, 1.
        let (p, r, f) = f1_score(&[50], &[vec![50], vec![52]], 5);
        assert_eq!((p, r, f), (1.0, 1.0, 1.0));
        // No detection against one change: P = 1 (only the 0), R = 1/2.
        let (p, r, f) = f1_score(&[], &[vec![50]], 5);
        assert_eq!((p, r), (1.0, 0.5));
        assert!((f - 2.0 / 3.0).abs() < 1e-12);
        // A false alarm halves precision.
        let (p, _, _) = f1_score(&[20], &[vec![]], 5);
        assert_eq!(p, 0.5);
    }

    proptest! {
        // Scaling a positive series moves no change point.
        #[test]
        fn scale_invariant(k in 0.001f64..1000.0, a in 80.0f64..120.0, b in 80.0f64..120.0) {
            let y = steps(&[(a, 20), (b, 20)], 0.005);
            let scaled: Vec<f64> = y.iter().map(|v| v * k).collect();
            let i = |v: &[f64]| detect(v).iter().map(|c| c.index).collect::<Vec<_>>();
            prop_assert_eq!(i(&y), i(&scaled));
        }

        // PELT's optimum is never worse than binary segmentation's.
        #[test]
        fn pelt_is_optimal(levels in prop::collection::vec((50.0f64..150.0, 3usize..15), 1..6)) {
            let y: Vec<f64> = steps(&levels, 0.02).iter().map(|v| v.ln()).collect();
            let beta = default_penalty(&y);
            let cost = Cost::new(&y);
            let total = |cps: &[usize]| {
                let mut b = vec![0];
                b.extend_from_slice(cps);
                b.push(y.len());
                b.windows(2).map(|w| cost.of(w[0], w[1])).sum::<f64>() + beta * cps.len() as f64
            };
            let p = pelt(&y, beta, MIN_SEGMENT);
            let s = binary_segmentation(&y, beta, MIN_SEGMENT);
            prop_assert!(total(&p) <= total(&s) + 1e-9);
        }
    }
}
