//! When will the error budget run out? Two answers, both pure:
//!
//! - [`time_to_exhaustion`]: at the current burn rate, the remaining budget
//!   lasts `remaining / burn_rate × period` (a burn rate of 1 spends the
//!   whole budget over exactly one SLO period).
//! - [`probability_exhausted`]: the chance that the budget is spent before
//!   the window ends, by **bootstrap**: the days left are simulated by
//!   resampling past days' budget consumption with replacement (Efron &
//!   Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 6), with a
//!   seeded generator so the same input gives the same answer. It assumes
//!   days are exchangeable: a trend in the history is not extrapolated.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// How a probability was computed; named in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastMethod {
    /// Past daily consumption resampled with replacement.
    Bootstrap,
}

/// The forecast of one SLO, as the status JSON shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// When the budget runs out at the current burn rate; `None` when it
    /// does not burn (or not within the representable time range). When
    /// the budget is already spent, when it ran out (see
    /// [`exhausted_since`]), else `at`.
    pub exhausted_at: Option<Timestamp>,
    /// Probability that the budget is spent by the window's end; `None`
    /// without history to resample.
    pub probability_exhausted_by_window_end: Option<f64>,
    pub method: ForecastMethod,
    /// Simulated futures behind the probability.
    pub samples: u32,
}

/// What a forecast needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastInput<'a> {
    /// The time of judgement.
    pub at: Timestamp,
    /// Time left until the window ends (for a rolling window, the caller's
    /// horizon, typically one period).
    pub horizon: SignedDuration,
    /// Remaining budget as a fraction (1 untouched, 0 spent, < 0 overspent).
    pub remaining: f64,
    /// The current burn rate.
    pub burn_rate: f64,
    /// The SLO period (for a burn rate of 1 to spend the budget in).
    pub period: SignedDuration,
    /// Fraction of the whole budget each past day consumed (a day at burn
    /// rate `b` of a 30-day SLO consumes `b / 30`).
    pub daily_consumption: &'a [f64],
    /// Simulated futures; 10,000 gives a standard error under 0.005.
    pub samples: u32,
    pub seed: u64,
}

/// Time until the remaining budget is spent at `burn_rate`; zero when
/// already spent, `None` when nothing burns.
pub fn time_to_exhaustion(
    remaining: f64,
    burn_rate: f64,
    period: SignedDuration,
) -> Option<SignedDuration> {
    if remaining <= 0.0 {
        return Some(SignedDuration::ZERO);
    }
    if burn_rate.is_nan() || burn_rate <= 0.0 || !remaining.is_finite() {
        return None;
    }
    let secs = remaining / burn_rate * period.as_secs_f64();
    SignedDuration::try_from_secs_f64(secs).ok()
}

/// When a spent budget ran out: the start of the minute (counted from
/// `from`) whose events made `consumed(t)`, the budget consumed over
/// `[from, t)`, reach `allowed` (pass 0 when nothing is allowed); events
/// are kept per minute, so that is as close as they tell. Consumption
/// never falls as `t` grows, so a binary search over the minutes finds it
/// in a few dozen reads. `None` when it is not reached by `to`.
pub fn exhausted_since(
    from: Timestamp,
    to: Timestamp,
    allowed: f64,
    consumed: impl Fn(Timestamp) -> f64,
) -> Option<Timestamp> {
    let spent = |t: Timestamp| {
        let c = consumed(t);
        if allowed > 0.0 { c >= allowed } else { c > 0.0 }
    };
    let minute = |n: i64| {
        from.checked_add(SignedDuration::from_mins(n))
            .map_or(to, |t| t.min(to))
    };
    let minutes = to
        .duration_since(from)
        .as_secs()
        .max(0)
        .unsigned_abs()
        .div_ceil(60);
    let minutes = i64::try_from(minutes).unwrap_or(i64::MAX);
    if minutes == 0 || !spent(to) {
        return None;
    }
    // The least n in [1, minutes] with the budget spent by minute n.
    let (mut lo, mut hi) = (1, minutes);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if spent(minute(mid)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(minute(lo - 1))
}

/// Probability that the days in `horizon` consume at least `remaining` of
/// the budget, resampling `daily_consumption` (bootstrap). A partial last
/// day counts its resampled consumption pro rata. `None` without history.
pub fn probability_exhausted(
    remaining: f64,
    daily_consumption: &[f64],
    horizon: SignedDuration,
    samples: u32,
    seed: u64,
) -> Option<f64> {
    let history: Vec<f64> = daily_consumption
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if history.is_empty() || samples == 0 {
        return None;
    }
    if remaining <= 0.0 {
        return Some(1.0);
    }
    let days = horizon.as_secs_f64().max(0.0) / 86_400.0;
    let whole = days.floor() as u64;
    let part = days - days.floor();
    let n = history.len() as u64;
    let mut exhausted = 0u32;
    for s in 0..samples {
        // One generator per future, so a longer horizon extends the same
        // futures (the probability never falls as the horizon grows).
        let mut rng = SplitMix64(seed ^ u64::from(s).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut spent = 0.0;
        for _ in 0..whole {
            spent += history[rng.below(n)];
            if spent >= remaining {
                break;
            }
        }
        if spent < remaining && part > 0.0 {
            spent += part * history[rng.below(n)];
        }
        if spent >= remaining {
            exhausted += 1;
        }
    }
    Some(f64::from(exhausted) / f64::from(samples))
}

/// Both answers for one SLO.
pub fn forecast(input: &ForecastInput<'_>) -> Forecast {
    let exhausted_at = time_to_exhaustion(input.remaining, input.burn_rate, input.period)
        .and_then(|d| input.at.checked_add(d).ok());
    Forecast {
        exhausted_at,
        probability_exhausted_by_window_end: probability_exhausted(
            input.remaining,
            input.daily_consumption,
            input.horizon,
            input.samples,
            input.seed,
        ),
        method: ForecastMethod::Bootstrap,
        samples: input.samples,
    }
}

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): small, seedable, good enough to resample.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below
    /// n / 2^64, negligible for histories of days).
    fn below(&mut self, n: u64) -> usize {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_ran_out_at_the_minute_it_was_reached() {
        let from: Timestamp = "2026-11-01T00:00:00Z".parse().expect("time");
        let to = from
            .checked_add(SignedDuration::from_hours(24))
            .expect("time");
        // 3 bad events a minute; 300 allowed: the 100th minute spends it.
        let bad = |t: Timestamp| 3.0 * (t.duration_since(from).as_secs() / 60) as f64;
        let when = exhausted_since(from, to, 300.0, bad).expect("spent");
        assert_eq!(when.duration_since(from), SignedDuration::from_mins(99));
        // Not reached within the range: no time.
        assert_eq!(exhausted_since(from, to, 1e9, bad), None);
        // Nothing allowed: spent in the first bad minute, 60 minutes in.
        let late = |t: Timestamp| {
            if t.duration_since(from).as_secs() > 3600 {
                1.0
            } else {
                0.0
            }
        };
        let when = exhausted_since(from, to, 0.0, late).expect("spent");
        assert_eq!(when.duration_since(from), SignedDuration::from_mins(60));
    }
    use proptest::prelude::*;

    const DAY: SignedDuration = SignedDuration::from_hours(24);

    #[test]
    fn time_to_exhaustion_at_the_current_rate() {
        // 30-day SLO, half the budget left, burning at 2×: the whole budget
        // would last 30 d / 2 = 15 d, half of it 7.5 d.
        let period = SignedDuration::from_hours(30 * 24);
        assert_eq!(
            time_to_exhaustion(0.5, 2.0, period),
            Some(SignedDuration::from_hours(180))
        );
        assert_eq!(
            time_to_exhaustion(-0.3, 2.0, period),
            Some(SignedDuration::ZERO)
        );
        assert_eq!(time_to_exhaustion(0.5, 0.0, period), None);
        assert_eq!(time_to_exhaustion(0.5, f64::NAN, period), None);
        let f = forecast(&ForecastInput {
            at: "2026-11-20T00:00:00Z".parse().expect("ts"),
            horizon: SignedDuration::from_hours(10 * 24),
            remaining: 0.5,
            burn_rate: 2.0,
            period,
            daily_consumption: &[],
            samples: 100,
            seed: 1,
        });
        assert_eq!(
            f.exhausted_at,
            Some("2026-11-27T12:00:00Z".parse().expect("ts"))
        );
        assert_eq!(f.probability_exhausted_by_window_end, None);
        let json = serde_json::to_value(&f).expect("json");
        assert_eq!(json["method"], "bootstrap");
    }

    #[test]
    fn bootstrap_matches_the_binomial_closed_form() {
        // Past days consumed 0 or 0.1 of the budget, half and half. Over 10
        // days, with 0.7 left, the budget is spent when at least 7 of the 10
        // resampled days are 0.1-days: X ~ Binomial(10, 1/2),
        //   P(X >= 7) = (C(10,7) + C(10,8) + C(10,9) + C(10,10)) / 2^10
        //             = (120 + 45 + 10 + 1) / 1024 = 0.171875.
        // (0.7 is approached from below by sums of 0.1 in floating point,
        // so ask for 0.7 - 1e-9.) 200,000 futures: standard error 0.00084.
        let p =
            probability_exhausted(0.7 - 1e-9, &[0.0, 0.1], DAY * 10, 200_000, 42).expect("history");
        assert!((p - 0.171_875).abs() < 0.005, "{p}");
        // With 1.05 left nobody spends it (at most 10 × 0.1 = 1.0).
        assert_eq!(
            probability_exhausted(1.05, &[0.0, 0.1], DAY * 10, 1000, 42),
            Some(0.0)
        );
        // Already spent: certain.
        assert_eq!(
            probability_exhausted(-0.1, &[0.0], DAY, 1000, 42),
            Some(1.0)
        );
        assert_eq!(probability_exhausted(0.5, &[], DAY, 1000, 42), None);
    }

    #[test]
    fn a_partial_day_counts_pro_rata() {
        // Every day consumes 0.2; 2.5 days consume 0.5.
        assert_eq!(
            probability_exhausted(0.5, &[0.2], SignedDuration::from_hours(60), 10, 1),
            Some(1.0)
        );
        assert_eq!(
            probability_exhausted(0.51, &[0.2], SignedDuration::from_hours(60), 10, 1),
            Some(0.0)
        );
    }

    proptest! {
        #[test]
        fn probability_is_a_probability_and_monotone(
            history in proptest::collection::vec(0.0f64..0.2, 1..40),
            remaining in -0.5f64..1.5,
            more in 0.0f64..0.5,
            days in 0i64..40,
            extra in 0i64..10,
            seed in any::<u64>(),
        ) {
            let p = probability_exhausted(remaining, &history, DAY * days as i32, 300, seed).expect("history");
            prop_assert!((0.0..=1.0).contains(&p));
            // more budget left: never more likely to run out
            let q = probability_exhausted(remaining + more, &history, DAY * days as i32, 300, seed).expect("history");
            prop_assert!(q <= p);
            // a longer horizon: never less likely
            let r = probability_exhausted(remaining, &history, DAY * (days + extra) as i32, 300, seed).expect("history");
            prop_assert!(r >= p);
            // deterministic for a seed
            prop_assert_eq!(p, probability_exhausted(remaining, &history, DAY * days as i32, 300, seed).expect("history"));
        }

        #[test]
        fn exhaustion_time_scales_inversely_with_burn_rate(
            remaining in 0.01f64..1.0,
            rate in 0.1f64..100.0,
        ) {
            let period = SignedDuration::from_hours(30 * 24);
            let t1 = time_to_exhaustion(remaining, rate, period).expect("burns").as_secs_f64();
            let t2 = time_to_exhaustion(remaining, rate * 2.0, period).expect("burns").as_secs_f64();
            prop_assert!((t1 / 2.0 - t2).abs() <= 1e-6 * t1.max(1.0));
        }
    }
}
