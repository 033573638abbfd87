//! OpenSLO AlertConditions (`kind: burnrate`) evaluated at one moment: the
//! burn rate over the condition's `lookbackWindow`, compared with its
//! `threshold` by its `op` (`lt`, `lte`, `gt`, `gte`). With `alertAfter`
//! the condition fires only when it has held for that long: at `at` and at
//! every whole minute back to `at − alertAfter` (the minute buckets' step).
//!
//! As with the burn-rate rows, a lookback window needs at least
//! `min_events` events (default 1) for the condition to hold, so a window
//! without traffic (burn rate 0) never satisfies `lt 1`.
//!
//! OpenSLO's `severity` is free text; `page` and `critical` (any case) are
//! treated as a page, anything else (`ticket`, `warning`, `info`, ...) as
//! not.

use jiff::{SignedDuration, Timestamp};

use crate::slo::counts::CountSource;
use crate::slo::error_budget::burn_rate;
use crate::slo::spec::AlertCondition;

/// An AlertCondition's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl ConditionOp {
    /// The words OpenSLO uses.
    pub const WORDS: [&'static str; 4] = ["lt", "lte", "gt", "gte"];

    pub fn parse(word: &str) -> Option<ConditionOp> {
        match word {
            "lt" => Some(ConditionOp::Lt),
            "lte" => Some(ConditionOp::Lte),
            "gt" => Some(ConditionOp::Gt),
            "gte" => Some(ConditionOp::Gte),
            _ => None,
        }
    }

    /// `value op threshold`. Values within a relative 1e-9 of the
    /// threshold count as equal to it: a burn rate of exactly 2 by the
    /// arithmetic (20 bad per 1,000 at 99 %) is 1.9999999999999982 in
    /// floating point, and `gte 2` should hold for it.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        let equal = (value - threshold).abs() <= 1e-9 * threshold.abs().max(1.0);
        match self {
            ConditionOp::Lt => value < threshold && !equal,
            ConditionOp::Lte => value < threshold || equal,
            ConditionOp::Gt => value > threshold && !equal,
            ConditionOp::Gte => value > threshold || equal,
        }
    }
}

/// Whether an OpenSLO severity pages: `page` or `critical`, in any case.
pub fn pages(severity: &str) -> bool {
    let s = severity.trim();
    s.eq_ignore_ascii_case("page") || s.eq_ignore_ascii_case("critical")
}

/// One condition evaluated at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionState {
    pub condition: AlertCondition,
    /// The burn rate over the lookback window ending at the moment judged.
    pub burn_rate: f64,
    /// The comparison holds now (with enough events).
    pub holds: bool,
    /// It holds now and has held for `alert_after`.
    pub firing: bool,
}

/// Evaluates `conditions` at `at` (see the module's notes).
pub fn evaluate(
    conditions: &[AlertCondition],
    counts: &impl CountSource,
    objective: f64,
    at: Timestamp,
    min_events: u64,
) -> Vec<ConditionState> {
    conditions
        .iter()
        .map(|c| {
            let burn_at = |t: Timestamp| {
                let from = t.checked_sub(c.lookback_window).unwrap_or(Timestamp::MIN);
                let w = counts.range(from, t);
                (burn_rate(w, objective), w.total >= min_events.max(1))
            };
            let op = ConditionOp::parse(&c.op);
            let holds_at = |t: Timestamp| {
                let (burn, enough) = burn_at(t);
                enough && op.is_some_and(|op| op.holds(burn, c.threshold))
            };
            let (burn, _) = burn_at(at);
            let holds = holds_at(at);
            let steps = c.alert_after.map_or(0, |d| {
                let secs = d.as_secs().max(0);
                secs / 60 + i64::from(secs % 60 != 0)
            });
            let firing = holds
                && (1..=steps).all(|k| {
                    at.checked_sub(SignedDuration::from_mins(k))
                        .is_ok_and(holds_at)
                });
            ConditionState {
                condition: c.clone(),
                burn_rate: burn,
                holds,
                firing,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::counts::MinuteCounts;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn condition(op: &str, threshold: f64, alert_after: Option<i64>) -> AlertCondition {
        AlertCondition {
            name: "fast-burn".into(),
            policy: "p".into(),
            severity: "page".into(),
            op: op.into(),
            threshold,
            lookback_window: SignedDuration::from_hours(1),
            alert_after: alert_after.map(SignedDuration::from_mins),
            notification_targets: Vec::new(),
        }
    }

    /// 1,000 events a minute for the 3 hours before `at`, `bad(minute)` of
    /// them bad, minute 0 the oldest.
    fn traffic(at: Timestamp, bad: impl Fn(i64) -> u64) -> MinuteCounts {
        let events: Vec<(Timestamp, u64, u64)> = (0..180)
            .map(|m| {
                let t = at
                    .checked_sub(SignedDuration::from_mins(180 - m))
                    .expect("time");
                (t, 1000 - bad(m), 1000)
            })
            .collect();
        MinuteCounts::from_events(&events)
    }

    #[test]
    fn just_below_and_just_above_the_threshold() {
        // 99 %: k bad per 1,000 burns at k / 10 (0.001·k / 0.01).
        // `gt 2`: 20 bad per 1,000 burns exactly 2 (not above), 21 burns 2.1.
        let at = ts("2026-11-23T12:00:00Z");
        let eval = |op: &str, bad: u64| {
            let c = traffic(at, |_| bad);
            evaluate(&[condition(op, 2.0, None)], &c, 0.99, at, 1).remove(0)
        };
        let s = eval("gt", 20);
        assert!((s.burn_rate - 2.0).abs() < 1e-9);
        assert!(!s.firing);
        assert!(eval("gt", 21).firing);
        // gte fires at exactly 2; lt and lte mirror them
        assert!(eval("gte", 20).firing);
        assert!(!eval("gte", 19).firing);
        assert!(eval("lt", 19).firing);
        assert!(!eval("lt", 20).firing);
        assert!(eval("lte", 20).firing);
        assert!(!eval("lte", 21).firing);
    }

    #[test]
    fn alert_after_needs_the_condition_to_hold_that_long() {
        // 99 %, 1 h lookback, `gt 2`, alertAfter 5m. The last `n` minutes
        // before `at` have 1,000 bad events each, the rest 20 per 1,000
        // (burn exactly 2 alone, so never above).
        // A lookback ending at t with j bad minutes holds (60 − j) × 20 +
        // j × 1,000 bad events of 60,000: burn 2 at j = 0, above 2 as soon
        // as j ≥ 1. At `at − k min` the window holds n − k bad minutes.
        // Held at `at`, `at − 1m` … `at − 5m` needs n − 5 ≥ 1: n ≥ 6.
        let at = ts("2026-11-23T12:00:00Z");
        for (n, firing) in [(5, false), (6, true)] {
            let c = traffic(at, |m| if m >= 180 - n { 1000 } else { 20 });
            let s = evaluate(&[condition("gt", 2.0, Some(5))], &c, 0.99, at, 1).remove(0);
            // burn now: (60 − n) × 20 + n × 1,000 bad of 60,000, / 0.01
            let bad = (60 - n) as f64 * 20.0 + n as f64 * 1000.0;
            assert!((s.burn_rate - bad / 60_000.0 / 0.01).abs() < 1e-9, "{n}");
            assert!(s.holds, "{n}");
            assert_eq!(s.firing, firing, "bad for the last {n} minutes");
        }
        // without alertAfter, one bad minute is enough
        let c = traffic(at, |m| if m >= 179 { 1000 } else { 20 });
        assert!(evaluate(&[condition("gt", 2.0, None)], &c, 0.99, at, 1)[0].firing);
    }

    #[test]
    fn an_empty_window_never_holds() {
        // burn 0 < 1, but no events: nothing to judge, not firing
        let at = ts("2026-11-23T12:00:00Z");
        let s = evaluate(
            &[condition("lt", 1.0, None)],
            &MinuteCounts::default(),
            0.99,
            at,
            1,
        )
        .remove(0);
        assert_eq!((s.burn_rate, s.holds, s.firing), (0.0, false, false));
    }

    #[test]
    fn page_severities() {
        assert!(pages("page") && pages("Critical") && pages(" PAGE "));
        assert!(!pages("ticket") && !pages("warning") && !pages("high"));
    }
}
