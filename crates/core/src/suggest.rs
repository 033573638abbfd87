//! Budgets proposed from history (`sloe budget suggest`).
//!
//! A budget should pass today's code on a normal day and fail a real
//! regression. The rule, per series of per-run statistics of the base
//! branch (documented for users in `docs/words.md`, "suggested budget"):
//!
//! 1. **Level**: a high percentile of the runs (p95 for `max`, p5 for `min`).
//! 2. **Headroom**: two run-to-run standard deviations, estimated on the log
//!    scale from successive differences (so a step in the history does not
//!    count as noise; see [`crate::changepoint::noise_variance`]), but never
//!    less than [`MIN_HEADROOM`]. A run from the same distribution then
//!    breaks the budget well under 1 % of the time, and a measure that never
//!    changes (a binary's size, an instruction count) still gets a margin,
//!    so the next equal run passes and a one-byte change does not fail.
//! 3. **Every source run passes**: the limit is at least the worst run
//!    times `1 +` [`MIN_HEADROOM`], so an outlier beyond the percentile is
//!    not failed by the budget it helped to propose.
//! 4. **Rounded outward** to a readable number in the unit the value reads
//!    best in ([`crate::units::readable`]): a `max` up, a `min` down, to a
//!    step of 1, 2 or 5 times a power of ten no larger than half the
//!    headroom (and a tenth of the value), so rounding never eats the
//!    headroom and adds at most half of it again.

use crate::Direction;
use crate::stats;
use crate::units::{Quantity, Unit, readable};

/// The least headroom a suggested limit keeps over its level and over the
/// worst source run, relative: 2 %.
pub const MIN_HEADROOM: f64 = 0.02;

/// Headroom in run-to-run standard deviations.
pub const NOISE_SIGMAS: f64 = 2.0;

/// A proposed limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The limit, rounded outward, in the unit it reads best in; `max` for
    /// lower-is-better, `min` for higher-is-better.
    pub limit: Quantity,
    /// The percentile of recent runs it starts from, canonical.
    pub percentile_level: f64,
    /// Run-to-run noise (standard deviation of the log per-run statistic).
    pub noise: f64,
    /// The headroom kept over the level, relative (at least
    /// [`MIN_HEADROOM`]).
    pub headroom: f64,
    pub runs: usize,
}

impl Suggestion {
    /// The limit in the canonical unit.
    pub fn canonical(&self) -> f64 {
        self.limit.canonical()
    }

    /// The limit as config reads it back exactly: `5.15 ms`, `344 MiB`,
    /// `1200/s`, `80%`; a count or a unit without a dimension is a bare
    /// number.
    pub fn limit_text(&self) -> String {
        let v = self.limit.value;
        match &self.limit.unit {
            Unit::Percent | Unit::PerSecond => format!("{v}{}", self.limit.unit),
            Unit::Count | Unit::Other(_) => format!("{v}"),
            u => format!("{v} {u}"),
        }
    }
}

/// Proposes a limit from per-run statistics (any order) in `unit`'s
/// canonical unit. `None` with fewer than 3 runs or non-positive values.
pub fn suggest(per_run: &[f64], direction: Direction, unit: &Unit) -> Option<Suggestion> {
    if per_run.len() < 3 || per_run.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    let logs: Vec<f64> = per_run.iter().map(|v| v.ln()).collect();
    let noise = crate::changepoint::noise_variance(&logs).sqrt();
    let headroom = (NOISE_SIGMAS * noise).exp_m1().max(MIN_HEADROOM);
    let (p, worst) = match direction {
        Direction::LowerIsBetter => (95.0, per_run.iter().copied().fold(f64::MIN, f64::max)),
        Direction::HigherIsBetter => (5.0, per_run.iter().copied().fold(f64::MAX, f64::min)),
    };
    let level = stats::percentile(&logs, p)?.exp();
    let raw = match direction {
        Direction::LowerIsBetter => (level * (1.0 + headroom)).max(worst * (1.0 + MIN_HEADROOM)),
        Direction::HigherIsBetter => (level / (1.0 + headroom)).min(worst / (1.0 + MIN_HEADROOM)),
    };
    if !(raw.is_finite() && raw > 0.0) {
        return None;
    }
    let shown = readable(unit, raw);
    let step = step_for(shown.value, headroom);
    let value = round_to_step(shown.value, step, direction);
    Some(Suggestion {
        limit: Quantity::new(value, shown.unit),
        percentile_level: level,
        noise,
        headroom,
        runs: per_run.len(),
    })
}

/// The rounding step for `value` (positive): the largest 1, 2 or 5 times a
/// power of ten at most `value · min(headroom / 2, 1 / 10)`, as
/// (mantissa, exponent).
fn step_for(value: f64, headroom: f64) -> (f64, i32) {
    let bound = value * (headroom / 2.0).min(0.1);
    let mut e = bound.log10().floor() as i32;
    loop {
        for m in [5.0, 2.0, 1.0] {
            if m * 10f64.powi(e) <= bound {
                return (m, e);
            }
        }
        e -= 1;
    }
}

/// `value` rounded to a multiple of `step` away from the budget's passing
/// side: up for `max`, down for `min`. The multiple is formed as an
/// integer divided by an exact power of ten, so it prints as the short
/// decimal it is (`5.15`, never `5.1499999`).
fn round_to_step(value: f64, (m, e): (f64, i32), direction: Direction) -> f64 {
    let scaled = value / (m * 10f64.powi(e));
    // A value already on a step stays there, despite binary noise.
    let n = match direction {
        Direction::LowerIsBetter => (scaled - 1e-9).ceil(),
        Direction::HigherIsBetter => (scaled + 1e-9).floor(),
    };
    let units = n * m;
    let out = if e >= 0 {
        units * 10f64.powi(e)
    } else {
        units / 10f64.powi(-e)
    };
    // Never on the wrong side of the value (a guard against the nudge above).
    match direction {
        Direction::LowerIsBetter if out < value => out + m * 10f64.powi(e),
        Direction::HigherIsBetter if out > value => out - m * 10f64.powi(e),
        _ => out,
    }
}

/// Whether one shared limit may stand for several series' suggestions:
/// the loosest of them (which every series passes) is within
/// [`SHARED_WITHIN`] of each one's own, so no series gets a budget much
/// looser than its history proposes. The shared limit is the loosest.
pub fn shared(suggestions: &[&Suggestion], direction: Direction) -> Option<Suggestion> {
    let first = suggestions.first()?;
    let loosest = suggestions.iter().copied().max_by(|a, b| {
        let (a, b) = (a.canonical(), b.canonical());
        match direction {
            Direction::LowerIsBetter => a.total_cmp(&b),
            Direction::HigherIsBetter => b.total_cmp(&a),
        }
    })?;
    let fits = suggestions.iter().all(|s| {
        let ratio = match direction {
            Direction::LowerIsBetter => loosest.canonical() / s.canonical(),
            Direction::HigherIsBetter => s.canonical() / loosest.canonical(),
        };
        ratio <= 1.0 + SHARED_WITHIN
    });
    fits.then(|| Suggestion {
        runs: suggestions
            .iter()
            .map(|s| s.runs)
            .min()
            .unwrap_or(first.runs),
        ..loosest.clone()
    })
}

/// How much looser than a series' own suggestion a shared budget may be:
/// 25 %. A budget is a ceiling against large, lasting slowdowns; steps
/// smaller than that are the regression test's job, which judges every
/// series against its own history whatever its budget.
pub const SHARED_WITHIN: f64 = 0.25;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Status, grade};
    use crate::config::Config;
    use proptest::prelude::*;

    fn ms(s: &Suggestion) -> f64 {
        s.canonical() / 1e6
    }

    #[test]
    fn headroom_above_the_high_percentile_rounded_outward() {
        let runs: Vec<f64> = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.0]
            .iter()
            .map(|v| v * 1e6)
            .collect();
        let s = suggest(&runs, Direction::LowerIsBetter, &Unit::Nanoseconds).expect("s");
        assert!(ms(&s) > 101.0 && ms(&s) < 105.0, "{s:?}");
        assert_eq!(s.limit.unit, Unit::Milliseconds);
        assert_eq!(
            s.limit.value,
            s.limit.value.round(),
            "a whole number of ms: {s:?}"
        );
        let m = suggest(&runs, Direction::HigherIsBetter, &Unit::Nanoseconds).expect("s");
        assert!(ms(&m) < 99.0 && ms(&m) > 95.0, "{m:?}");
        assert_eq!(
            suggest(&[1.0, 2.0], Direction::LowerIsBetter, &Unit::Count),
            None
        );
        assert_eq!(
            suggest(&[1.0, 0.0, 2.0], Direction::LowerIsBetter, &Unit::Count),
            None
        );
    }

    #[test]
    fn a_measure_that_never_changes_keeps_the_floor() {
        // A 10 MiB binary, the same size in every run.
        let size = 10.0 * 1024.0 * 1024.0;
        let s = suggest(&[size; 12], Direction::LowerIsBetter, &Unit::Bytes).expect("s");
        assert_eq!(s.noise, 0.0);
        assert_eq!(s.headroom, MIN_HEADROOM);
        // 10 MiB · 1.02 = 10.2 MiB, on a step of 0.1 MiB (at most 1 %).
        assert_eq!((s.limit.value, &s.limit.unit), (10.2, &Unit::Mebibytes));
        assert_eq!(s.limit_text(), "10.2 MiB");
        // The next equal run passes; so does one byte more.
        assert!(s.canonical() >= size + 1.0);
        // An instruction count: a bare number.
        let c = suggest(&[1000.0; 5], Direction::LowerIsBetter, &Unit::Count).expect("s");
        assert_eq!(c.limit_text(), "1020");
        let r = suggest(&[500.0; 5], Direction::HigherIsBetter, &Unit::PerSecond).expect("s");
        // 500 / 1.02 = 490.196…, down to the step of 5.
        assert_eq!(r.limit_text(), "490/s");
    }

    #[test]
    fn an_outlier_run_still_passes() {
        let mut runs = vec![100.0; 19];
        runs.push(150.0);
        let s = suggest(&runs, Direction::LowerIsBetter, &Unit::Nanoseconds).expect("s");
        assert!(s.canonical() >= 150.0 * (1.0 + MIN_HEADROOM), "{s:?}");
    }

    #[test]
    fn steps_print_as_short_decimals() {
        assert_eq!(
            round_to_step(5.1401, (5.0, -2), Direction::LowerIsBetter),
            5.15
        );
        assert_eq!(
            round_to_step(5.15, (5.0, -2), Direction::LowerIsBetter),
            5.15
        );
        assert_eq!(
            round_to_step(0.0123, (1.0, -4), Direction::HigherIsBetter),
            0.0123
        );
        assert_eq!(
            round_to_step(343.6, (2.0, 0), Direction::LowerIsBetter),
            344.0
        );
        assert_eq!(step_for(100.0, 0.02), (1.0, 0));
        assert_eq!(step_for(100.0, 0.5), (1.0, 1));
    }

    #[test]
    fn one_limit_stands_for_many_only_when_it_fits_each() {
        let at = |ms: f64| {
            suggest(&[ms * 1e6; 5], Direction::LowerIsBetter, &Unit::Nanoseconds).expect("s")
        };
        let (a, b, c) = (at(10.0), at(11.0), at(30.0));
        let s = shared(&[&a, &b], Direction::LowerIsBetter).expect("fits");
        assert_eq!(s.canonical(), b.canonical());
        assert_eq!(shared(&[&a, &b, &c], Direction::LowerIsBetter), None);
    }

    fn budget(kind: &str, text: &str, measure: &str) -> crate::config::Budget {
        let toml = format!(
            "[[budget]]\nbenchmark = \"*\"\nmeasure = \"{measure}\"\n{kind} = \"{text}\"\n"
        );
        let config: Config = toml::from_str(&toml).expect("the suggestion is config");
        config.budgets[0].clone()
    }

    proptest! {
        // Every suggested limit, written as config and read back, passes
        // every run it came from, in both directions and in every unit a
        // value reads in.
        #[test]
        fn every_source_run_passes_its_suggestion(
            base in 1e-3f64..1e12,
            noise in prop_oneof![Just(0.0f64), 0.0f64..0.3],
            steps in prop::collection::vec(-1.0f64..1.0, 3..40),
            unit in prop_oneof![Just(Unit::Nanoseconds), Just(Unit::Bytes), Just(Unit::Count), Just(Unit::PerSecond)],
        ) {
            let runs: Vec<f64> = steps.iter().map(|z| base * (noise * z).exp()).collect();
            let measure = match unit {
                Unit::Nanoseconds => "wall_time",
                Unit::Bytes => "peak_rss",
                Unit::Count => "instructions",
                _ => "throughput",
            };
            for (direction, kind) in [(Direction::LowerIsBetter, "max"), (Direction::HigherIsBetter, "min")] {
                let s = suggest(&runs, direction, &unit).expect("a suggestion");
                let b = budget(kind, &s.limit_text(), measure);
                for v in &runs {
                    let g = grade(&b, *v);
                    prop_assert!(g.status == Status::Pass && g.ratio <= 1.0, "{v} against {} ({s:?}): {g:?}", s.limit_text());
                }
                prop_assert!(s.headroom >= MIN_HEADROOM);
            }
        }

        #[test]
        fn scale_equivariant_up_to_rounding(v in prop::collection::vec(50.0f64..150.0, 3..30), k in 0.01f64..100.0) {
            let a = suggest(&v, Direction::LowerIsBetter, &Unit::Count).expect("s");
            let scaled: Vec<f64> = v.iter().map(|x| x * k).collect();
            let b = suggest(&scaled, Direction::LowerIsBetter, &Unit::Count).expect("s");
            // Each is rounded up by at most half its headroom.
            let slack = 1.0 + a.headroom;
            prop_assert!(b.canonical() / (a.canonical() * k) < slack && (a.canonical() * k) / b.canonical() < slack);
            prop_assert!(a.canonical() >= a.percentile_level * (1.0 + a.headroom) * (1.0 - 1e-12));
        }
    }
}
