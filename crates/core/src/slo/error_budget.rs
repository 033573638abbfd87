//! SLI, error budget and burn rate.

use crate::slo::counts::Counts;

/// The SLI: good / total, or `None` without events.
pub fn sli(c: Counts) -> Option<f64> {
    (c.total > 0).then(|| c.good as f64 / c.total as f64)
}

/// An error budget in events (or timeslices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorBudget {
    /// Bad events (or slices) the objective allows: (1 − objective) × total.
    pub total: f64,
    /// Bad events (or slices) so far.
    pub consumed: f64,
    /// Fraction left: 1 untouched, 0 spent, negative overspent.
    pub remaining: f64,
}

/// The error budget of `bad` out of `total` events at `objective` (0..1).
/// Without events nothing is spent: remaining is 1.
pub fn error_budget(objective: f64, bad: f64, total: f64) -> ErrorBudget {
    let allowed = (1.0 - objective) * total;
    let remaining = if allowed > 0.0 {
        1.0 - bad / allowed
    } else if bad > 0.0 {
        f64::NEG_INFINITY
    } else {
        1.0
    };
    ErrorBudget {
        total: allowed,
        consumed: bad,
        remaining,
    }
}

/// (1 − SLI) / (1 − objective): how fast the budget burns; 1 spends it
/// exactly over the SLO period. A window without events burns nothing.
pub fn burn_rate(c: Counts, objective: f64) -> f64 {
    if c.total == 0 || objective >= 1.0 {
        return 0.0;
    }
    (c.bad() as f64 / c.total as f64) / (1.0 - objective)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_example() {
        // DESIGN.md: 998,700 good of 1,000,000 at 99.9 %:
        //   budget = 0.001 × 1,000,000 = 1,000 bad events allowed
        //   consumed = 1,000,000 − 998,700 = 1,300
        //   remaining = 1 − 1,300 / 1,000 = −0.3
        let c = Counts {
            good: 998_700,
            total: 1_000_000,
        };
        assert_eq!(sli(c), Some(0.9987));
        let b = error_budget(0.999, c.bad() as f64, c.total as f64);
        assert!((b.total - 1000.0).abs() < 1e-6);
        assert_eq!(b.consumed, 1300.0);
        assert!((b.remaining - -0.3).abs() < 1e-9);
        // burn rate = (1 − 0.9987) / (1 − 0.999) = 0.0013 / 0.001 = 1.3
        assert!((burn_rate(c, 0.999) - 1.3).abs() < 1e-9);
    }

    #[test]
    fn zero_traffic() {
        let none = Counts::default();
        assert_eq!(sli(none), None);
        assert_eq!(burn_rate(none, 0.999), 0.0);
        let b = error_budget(0.999, 0.0, 0.0);
        assert_eq!((b.total, b.consumed, b.remaining), (0.0, 0.0, 1.0));
    }

    #[test]
    fn untouched_spent_and_half() {
        // 99 % over 10,000 events: 100 bad allowed.
        assert_eq!(error_budget(0.99, 0.0, 10_000.0).remaining, 1.0);
        assert!((error_budget(0.99, 50.0, 10_000.0).remaining - 0.5).abs() < 1e-9);
        assert!(error_budget(0.99, 100.0, 10_000.0).remaining.abs() < 1e-9);
    }

    #[test]
    fn timeslices_budget() {
        // 30 days of 5-minute slices = 8,640 slices; 99.5 % allows 43.2 bad slices.
        // 20 bad slices so far: remaining = 1 − 20 / 43.2 = 0.537037...
        let b = error_budget(0.995, 20.0, 8640.0);
        assert!((b.total - 43.2).abs() < 1e-9);
        assert!((b.remaining - (1.0 - 20.0 / 43.2)).abs() < 1e-12);
    }
}
