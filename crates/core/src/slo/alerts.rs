//! Multiwindow, multi-burn-rate alerts (Google SRE Workbook, "Alerting on
//! SLOs", table 5-8): an alert fires when the burn rate over BOTH a long
//! and a short window is above the rule's factor.
//!
//! A rule is defined by the fraction of the period's budget it may spend
//! over its long window; its factor is
//! `budget_fraction × period / long_window`. For a 30-day period the
//! defaults give the workbook's table: page at 14.4 (2 % in 1 h, with 5 m)
//! or 6 (5 % in 6 h, with 30 m); ticket at 3 (10 % in 1 d, with 2 h) or 1
//! (10 % in 3 d, with 6 h). For 28 days: 13.44, 5.6, 2.8, 0.933 (Sloth's
//! google-28d windows).

use jiff::{SignedDuration, Timestamp};

use crate::slo::counts::CountSource;
use crate::slo::error_budget::burn_rate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertSeverity {
    Page,
    Ticket,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::Page => "page",
            AlertSeverity::Ticket => "ticket",
        }
    }
}

/// One row of the burn-rate table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRule {
    pub severity: AlertSeverity,
    pub long_window: SignedDuration,
    pub short_window: SignedDuration,
    /// Fraction of the period's error budget the long window may spend.
    pub budget_fraction: f64,
}

impl AlertRule {
    /// The burn rate above which this rule fires, for an SLO `period`.
    pub fn factor(&self, period: SignedDuration) -> f64 {
        burn_rate_factor(self.budget_fraction, period, self.long_window)
    }
}

/// The burn rate at which `budget_fraction` of a `period`'s error budget is
/// spent in `long_window`: `budget_fraction × period / long_window` (Google
/// SRE Workbook, "Alerting on SLOs", table 5-8: 2 % of a 30-day budget in
/// 1 h is a burn rate of 14.4).
///
/// Both `sloe slo status` and the generated Prometheus rules use this one
/// function, so a rule fires at the same threshold in either place. It
/// works in hours, as Sloth does, so the thresholds written into rules are
/// Sloth's numbers to the last digit (`5.6000000000000005` for 5 % in 6 h
/// of 28 days, where seconds would give `5.6`).
pub fn burn_rate_factor(
    budget_fraction: f64,
    period: SignedDuration,
    long_window: SignedDuration,
) -> f64 {
    budget_fraction * (period.as_secs_f64() / 3600.0) / (long_window.as_secs_f64() / 3600.0)
}

/// The SRE Workbook's rules.
pub fn default_rules() -> Vec<AlertRule> {
    let h = SignedDuration::from_hours;
    let m = SignedDuration::from_mins;
    vec![
        AlertRule {
            severity: AlertSeverity::Page,
            long_window: h(1),
            short_window: m(5),
            budget_fraction: 0.02,
        },
        AlertRule {
            severity: AlertSeverity::Page,
            long_window: h(6),
            short_window: m(30),
            budget_fraction: 0.05,
        },
        AlertRule {
            severity: AlertSeverity::Ticket,
            long_window: h(24),
            short_window: h(2),
            budget_fraction: 0.10,
        },
        AlertRule {
            severity: AlertSeverity::Ticket,
            long_window: h(72),
            short_window: h(6),
            budget_fraction: 0.10,
        },
    ]
}

/// A rule evaluated at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertState {
    pub rule: AlertRule,
    /// The threshold (the rule's factor for this period).
    pub burn_rate: f64,
    pub long_burn: f64,
    pub short_burn: f64,
    pub firing: bool,
}

/// Evaluates `rules` at `at`. A rule needs at least `min_events` events in
/// its long window to fire, so a low-traffic service does not page on one
/// failed request.
pub fn evaluate(
    rules: &[AlertRule],
    period: SignedDuration,
    counts: &impl CountSource,
    objective: f64,
    at: Timestamp,
    min_events: u64,
) -> Vec<AlertState> {
    rules
        .iter()
        .map(|rule| {
            let window =
                |w: SignedDuration| counts.range(at.checked_sub(w).unwrap_or(Timestamp::MIN), at);
            let long = window(rule.long_window);
            let short = window(rule.short_window);
            let factor = rule.factor(period);
            let (long_burn, short_burn) = (burn_rate(long, objective), burn_rate(short, objective));
            AlertState {
                rule: *rule,
                burn_rate: factor,
                long_burn,
                short_burn,
                firing: long.total >= min_events.max(1)
                    && long_burn > factor
                    && short_burn > factor,
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

    #[test]
    fn burn_rate_factor_gives_the_workbook_table() {
        // SRE Workbook table 5-8, for a 30-day budget: 2 % in 1 h, 5 % in
        // 6 h, 10 % in 1 d and 10 % in 3 d.
        let h = SignedDuration::from_hours;
        let period = h(24 * 30);
        assert_eq!(burn_rate_factor(0.02, period, h(1)), 14.4);
        assert_eq!(burn_rate_factor(0.05, period, h(6)), 6.0);
        assert_eq!(burn_rate_factor(0.10, period, h(24)), 3.0);
        assert_eq!(burn_rate_factor(0.10, period, h(72)), 1.0);
        // The whole budget in the whole period is a burn rate of 1.
        assert_eq!(burn_rate_factor(1.0, h(24 * 28), h(24 * 28)), 1.0);
    }

    #[test]
    fn workbook_factors() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        let f30: Vec<f64> = default_rules()
            .iter()
            .map(|r| r.factor(SignedDuration::from_hours(720)))
            .collect();
        // 0.02 × 720 / 1 = 14.4; 0.05 × 720 / 6 = 6; 0.10 × 720 / 24 = 3; 0.10 × 720 / 72 = 1
        for (got, want) in f30.iter().zip([14.4, 6.0, 3.0, 1.0]) {
            assert!(close(*got, want), "{got} != {want}");
        }
        let f28: Vec<f64> = default_rules()
            .iter()
            .map(|r| r.factor(SignedDuration::from_hours(672)))
            .collect();
        // 0.02 × 672 = 13.44; 0.05 × 672 / 6 = 5.6; 0.10 × 672 / 24 = 2.8; 0.10 × 672 / 72 = 0.9333
        for (got, want) in f28.iter().zip([13.44, 5.6, 2.8, 672.0 * 0.1 / 72.0]) {
            assert!(close(*got, want), "{got} != {want}");
        }
    }

    /// Constant traffic of 1,000 events a minute for three days before `at`,
    /// with `bad_per_mille` bad events per minute.
    fn steady(at: Timestamp, bad_per_minute: u64) -> MinuteCounts {
        let events: Vec<(Timestamp, u64, u64)> = (1..=3 * 24 * 60)
            .map(|i| {
                (
                    at.checked_sub(SignedDuration::from_mins(i)).expect("time"),
                    1000 - bad_per_minute,
                    1000,
                )
            })
            .collect();
        MinuteCounts::from_events(&events)
    }

    #[test]
    fn each_row_just_below_and_just_above_its_threshold() {
        let at = ts("2026-11-23T12:00:00Z");
        let period = SignedDuration::from_hours(720);
        // objective 99 %: budget rate 0.01, so k bad per 1,000 burns at k / 10.
        // Page rule 1 fires above 14.4 → needs > 144 bad per 1,000: 144 does not, 145 does.
        // Page rule 2 above 6 → 60 no, 61 yes. Ticket above 3 → 30 no, 31 yes. Ticket above 1 → 10 no, 11 yes.
        let rows = [(0, 144, 145), (1, 60, 61), (2, 30, 31), (3, 10, 11)];
        for (row, below, above) in rows {
            let quiet = evaluate(&default_rules(), period, &steady(at, below), 0.99, at, 1);
            assert!(
                !quiet[row].firing,
                "row {row} fired at {} (threshold {})",
                quiet[row].long_burn, quiet[row].burn_rate
            );
            let loud = evaluate(&default_rules(), period, &steady(at, above), 0.99, at, 1);
            assert!(
                loud[row].firing,
                "row {row} silent at {} (threshold {})",
                loud[row].long_burn, loud[row].burn_rate
            );
        }
    }

    #[test]
    fn short_window_stops_a_recovered_alert() {
        // 30 bad/1000 for an hour, then clean for the last 10 minutes:
        // the 1 h burn is still high, the 5 m burn is 0: no page.
        let at = ts("2026-11-23T12:00:00Z");
        let events: Vec<(Timestamp, u64, u64)> = (1..=60)
            .map(|i| {
                let t = at.checked_sub(SignedDuration::from_mins(i)).expect("time");
                (t, if i <= 10 { 1000 } else { 700 }, 1000)
            })
            .collect();
        let states = evaluate(
            &default_rules(),
            SignedDuration::from_hours(720),
            &MinuteCounts::from_events(&events),
            0.99,
            at,
            1,
        );
        assert!(states[0].long_burn > 14.4);
        assert_eq!(states[0].short_burn, 0.0);
        assert!(!states[0].firing);
    }

    #[test]
    fn minimum_events_keep_low_traffic_quiet() {
        // one failed request out of two in the last hour: burn 50, but only 2 events
        let at = ts("2026-11-23T12:00:00Z");
        let c = MinuteCounts::from_events(&[(
            at.checked_sub(SignedDuration::from_mins(2)).expect("time"),
            1,
            2,
        )]);
        let period = SignedDuration::from_hours(720);
        assert!(evaluate(&default_rules(), period, &c, 0.99, at, 1)[0].firing);
        assert!(!evaluate(&default_rules(), period, &c, 0.99, at, 10)[0].firing);
        // and no events at all never divides by zero or fires
        let none = evaluate(
            &default_rules(),
            period,
            &MinuteCounts::default(),
            0.99,
            at,
            0,
        );
        assert!(none.iter().all(|s| !s.firing && s.long_burn == 0.0));
    }
}
