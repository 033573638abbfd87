//! Descriptive statistics over samples.
//!
//! Percentiles use linear interpolation between closest ranks (Hyndman & Fan
//! 1996, definition 7; the default of R's `quantile` and NumPy's
//! `percentile`), so values agree with what users compute themselves.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How samples are reduced to one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    Mean,
    Median,
    Min,
    Max,
    StdDev,
    /// The p-th percentile, 0 ≤ p ≤ 100.
    Percentile(f64),
}

impl Statistic {
    /// Reduces `values`; `None` when there are none (or, for the standard
    /// deviation, fewer than two).
    pub fn compute(self, values: &[f64]) -> Option<f64> {
        match self {
            Statistic::Mean => mean(values),
            Statistic::Median => percentile(values, 50.0),
            Statistic::Min => values.iter().copied().reduce(f64::min),
            Statistic::Max => values.iter().copied().reduce(f64::max),
            Statistic::StdDev => std_dev(values),
            Statistic::Percentile(p) => percentile(values, p),
        }
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statistic::Mean => f.write_str("mean"),
            Statistic::Median => f.write_str("median"),
            Statistic::Min => f.write_str("min"),
            Statistic::Max => f.write_str("max"),
            Statistic::StdDev => f.write_str("stddev"),
            Statistic::Percentile(p) => write!(f, "p{p}"),
        }
    }
}

/// Why a statistic name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "read statistic {0:?}: expected mean, median, min, max, stddev or a percentile p0..p100 such as p95 or p99.9"
)]
pub struct StatisticError(pub String);

impl FromStr for Statistic {
    type Err = StatisticError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "mean" | "avg" | "average" => Statistic::Mean,
            "median" => Statistic::Median,
            "min" => Statistic::Min,
            "max" => Statistic::Max,
            "stddev" | "std_dev" => Statistic::StdDev,
            other => {
                let p: f64 = other
                    .strip_prefix('p')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| StatisticError(s.to_owned()))?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(StatisticError(s.to_owned()));
                }
                if p == 50.0 {
                    Statistic::Median
                } else {
                    Statistic::Percentile(p)
                }
            }
        })
    }
}

impl Serialize for Statistic {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Statistic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Statistic {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Statistic".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "How samples are reduced: mean, median, min, max, stddev, or a percentile such as p90, p95, p99.",
            "type": "string",
            "pattern": "^(mean|median|min|max|stddev|p[0-9]+(\\.[0-9]+)?)$"
        })
    }
}

pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation (n − 1 in the denominator).
pub fn std_dev(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 50.0)
}

/// The p-th percentile (0 ≤ p ≤ 100), Hyndman–Fan type 7.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(percentile_sorted(&sorted, p))
}

/// The p-th percentile of already sorted, non-empty values.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p / 100.0;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let frac = h - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Median absolute deviation from the median (unscaled); `None` when empty.
pub fn median_absolute_deviation(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&deviations)
}

/// The modified z-score above which a sample is called an outlier
/// (Iglewicz & Hoaglin 1993, "How to Detect and Handle Outliers", p. 11).
pub const OUTLIER_THRESHOLD: f64 = 3.5;

/// Modified z-scores, Iglewicz & Hoaglin (1993):
/// `M_i = 0.6745 · (x_i − median) / MAD`, where 0.6745 is the 0.75 quantile
/// of the standard normal, so that `M_i` is comparable with an ordinary
/// z-score on normal data. Robust where the ordinary z-score is not: one
/// wild sample cannot inflate the scale it is judged by.
///
/// `None` when there are no values or the MAD is zero (more than half the
/// samples equal): the scale is then undefined and no sample is called an
/// outlier.
pub fn modified_z_scores(values: &[f64]) -> Option<Vec<f64>> {
    let m = median(values)?;
    let mad = median_absolute_deviation(values)?;
    if mad <= 0.0 || !mad.is_finite() {
        return None;
    }
    Some(values.iter().map(|v| 0.6745 * (v - m) / mad).collect())
}

/// Indices of the samples whose modified z-score exceeds
/// [`OUTLIER_THRESHOLD`] in absolute value.
pub fn outliers(values: &[f64]) -> Vec<usize> {
    modified_z_scores(values)
        .map(|z| {
            z.iter()
                .enumerate()
                .filter(|(_, z)| z.abs() > OUTLIER_THRESHOLD)
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Reference values computed independently with NumPy 1.26:
    //   np.percentile([15, 20, 35, 40, 50], [0, 25, 40, 50, 90, 100])
    //   -> [15., 20., 29., 35., 46., 50.]
    //   np.std([2, 4, 4, 4, 5, 5, 7, 9], ddof=1) -> 2.138089935299395
    #[test]
    fn matches_numpy_reference_values() {
        let v = [15.0, 20.0, 35.0, 40.0, 50.0];
        let expect = [
            (0.0, 15.0),
            (25.0, 20.0),
            (40.0, 29.0),
            (50.0, 35.0),
            (90.0, 46.0),
            (100.0, 50.0),
        ];
        for (p, want) in expect {
            let got = percentile(&v, p).expect("non-empty");
            assert!((got - want).abs() < 1e-9, "p{p}: {got} != {want}");
        }
        let sd = std_dev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).expect("n>1");
        assert!((sd - 2.138089935299395).abs() < 1e-12);
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }

    // Reference values computed independently with Python 3.11's
    // `statistics` module:
    //   x = [10.2, 10.4, 10.1, 10.3, 10.5, 10.2, 14.9, 10.3, 9.1, 10.4]
    //   m = statistics.median(x)                       -> 10.3
    //   mad = statistics.median([abs(v - m) for v in x]) -> 0.1
    //   [0.6745 * (v - m) / mad for v in x]
    //   -> [-0.6745, 0.6745, -1.349, 0.0, 1.349, -0.6745, 31.027, 0.0, -8.094, 0.6745]
    #[test]
    fn modified_z_scores_match_reference_values() {
        let x = [10.2, 10.4, 10.1, 10.3, 10.5, 10.2, 14.9, 10.3, 9.1, 10.4];
        let want = [
            -0.6745, 0.6745, -1.349, 0.0, 1.349, -0.6745, 31.027, 0.0, -8.094, 0.6745,
        ];
        let mad = median_absolute_deviation(&x).expect("non-empty");
        assert!((mad - 0.1).abs() < 1e-9, "{mad}");
        let z = modified_z_scores(&x).expect("MAD > 0");
        for (got, want) in z.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{got} != {want}");
        }
        assert_eq!(outliers(&x), vec![6, 8]);
    }

    #[test]
    fn no_outliers_without_spread() {
        assert!(outliers(&[]).is_empty());
        assert!(outliers(&[5.0, 5.0, 5.0, 9.0]).is_empty());
        assert_eq!(modified_z_scores(&[1.0, 1.0, 1.0]), None);
    }

    #[test]
    fn empty_and_single_inputs() {
        assert_eq!(Statistic::Median.compute(&[]), None);
        assert_eq!(Statistic::StdDev.compute(&[1.0]), None);
        assert_eq!(Statistic::Percentile(99.0).compute(&[7.0]), Some(7.0));
    }

    #[test]
    fn parses_statistic_names() {
        assert_eq!("p95".parse::<Statistic>(), Ok(Statistic::Percentile(95.0)));
        assert_eq!("p50".parse::<Statistic>(), Ok(Statistic::Median));
        assert_eq!(
            "p99.9".parse::<Statistic>(),
            Ok(Statistic::Percentile(99.9))
        );
        assert!("p101".parse::<Statistic>().is_err());
        assert!("mode".parse::<Statistic>().is_err());
        assert_eq!(Statistic::Percentile(99.9).to_string(), "p99.9");
    }

    fn samples() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(-1e6f64..1e6, 1..60)
    }

    proptest! {
        #[test]
        fn percentiles_are_monotone_in_p(v in samples(), a in 0.0f64..=100.0, b in 0.0f64..=100.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let pl = percentile(&v, lo).expect("non-empty");
            let ph = percentile(&v, hi).expect("non-empty");
            prop_assert!(pl <= ph + 1e-9 * ph.abs().max(1.0));
        }

        #[test]
        fn percentiles_stay_within_min_and_max(v in samples(), p in 0.0f64..=100.0) {
            let x = percentile(&v, p).expect("non-empty");
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(x >= min && x <= max);
        }

        #[test]
        fn statistics_are_permutation_invariant(v in samples(), seed in any::<u64>()) {
            let mut shuffled = v.clone();
            // Fisher–Yates with a small LCG so the permutation depends on `seed`.
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = (s >> 33) as usize % (i + 1);
                shuffled.swap(i, j);
            }
            for stat in [Statistic::Median, Statistic::Min, Statistic::Max, Statistic::Percentile(90.0), Statistic::Percentile(12.5)] {
                prop_assert_eq!(stat.compute(&v), stat.compute(&shuffled));
            }
            let (a, b) = (mean(&v).expect("n"), mean(&shuffled).expect("n"));
            prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0));
        }

        #[test]
        fn outliers_are_scale_and_shift_invariant(v in samples(), k in 0.001f64..1000.0, c in -1e3f64..1e3) {
            let moved: Vec<f64> = v.iter().map(|x| x * k + c).collect();
            // Scores within rounding of the threshold may flip; compare the clear ones.
            if let Some(z) = modified_z_scores(&v) {
                let clear: Vec<usize> = z.iter().enumerate()
                    .filter(|(_, z)| (z.abs() - OUTLIER_THRESHOLD).abs() > 1e-6)
                    .map(|(i, _)| i).collect();
                let a = outliers(&v);
                let b = outliers(&moved);
                for i in clear {
                    prop_assert_eq!(a.contains(&i), b.contains(&i));
                }
            }
        }

        #[test]
        fn statistics_are_scale_equivariant(v in samples(), k in 0.001f64..1000.0, p in 0.0f64..=100.0) {
            let scaled: Vec<f64> = v.iter().map(|x| x * k).collect();
            for stat in [Statistic::Mean, Statistic::Median, Statistic::Min, Statistic::Max, Statistic::Percentile(p)] {
                let a = stat.compute(&v).expect("n") * k;
                let b = stat.compute(&scaled).expect("n");
                prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1e-3), "{stat}: {a} vs {b}");
            }
            if let (Some(a), Some(b)) = (std_dev(&v), std_dev(&scaled)) {
                prop_assert!((a * k - b).abs() <= 1e-8 * (a * k).abs().max(1e-3));
            }
        }
    }
}
