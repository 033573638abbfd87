//! SLO policy: which states of an SLO block (`policy.slo_fail_on`), the
//! counterpart of performance policy (`policy.fail_on`, applied in
//! `evaluate`). A blocked SLO is a result, not an error: the front end
//! turns it into exit 1 or a failed check.

use crate::config::SloFailOn;
use crate::slo::status::SloStatus;

/// What policy concludes about one SLO's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SloVerdict {
    /// No alert fires and no state policy names holds.
    Ok,
    /// As `Ok`, but no event for longer than `stale_after`.
    Stale,
    /// As `Ok`, but no event in the window: nothing was judged.
    NoData,
    /// An alert or AlertCondition fires, but policy does not block on it.
    Alerting,
    /// A state `slo_fail_on` names holds.
    Blocking,
}

impl SloVerdict {
    /// The word the terminal view shows.
    pub fn as_str(self) -> &'static str {
        match self {
            SloVerdict::Ok => "ok",
            SloVerdict::Stale => "stale",
            SloVerdict::NoData => "no_data",
            SloVerdict::Alerting => "alerting",
            SloVerdict::Blocking => "BLOCKING",
        }
    }
}

/// Whether `fail_on` blocks on `status`: `page` when a page alert (or a
/// paging AlertCondition) fires, `ticket` when any alert fires,
/// `exhausted` when the error budget is spent, `no_data` when the window
/// holds no event, `stale` when no event came for `stale_after` or there
/// is no data.
pub fn blocks(status: &SloStatus, fail_on: &[SloFailOn]) -> bool {
    fail_on.iter().any(|f| match f {
        SloFailOn::Page => status.paging(),
        SloFailOn::Ticket => status.alerting(),
        SloFailOn::Exhausted => status.exhausted(),
        SloFailOn::NoData => status.no_data(),
        SloFailOn::Stale => status.stale || status.no_data(),
    })
}

/// The verdict on one SLO: blocking before alerting before no data before
/// stale before ok.
pub fn verdict(status: &SloStatus, fail_on: &[SloFailOn]) -> SloVerdict {
    if blocks(status, fail_on) {
        SloVerdict::Blocking
    } else if status.alerting() {
        SloVerdict::Alerting
    } else if status.no_data() {
        SloVerdict::NoData
    } else if status.stale {
        SloVerdict::Stale
    } else {
        SloVerdict::Ok
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::slo::forecast::{Forecast, ForecastMethod};
    use crate::slo::status::{
        AlertRow, BudgetStatus, BurnRates, ConditionRow, DataState, EventCounts,
    };

    fn status(remaining: f64, alerts: Vec<AlertRow>, conditions: Vec<ConditionRow>) -> SloStatus {
        SloStatus {
            name: "api".into(),
            service: "api".into(),
            objective: 0.999,
            window: "30d".into(),
            sli: Some(0.999),
            events: EventCounts {
                good: 999,
                total: 1000,
            },
            state: DataState::Ok,
            last_event: None,
            stale: false,
            stale_after: "10m".into(),
            error_budget: BudgetStatus {
                total: 1.0,
                consumed: 1.0 - remaining,
                remaining,
            },
            burn_rates: BurnRates::default(),
            alerts,
            conditions,
            forecast: Forecast {
                exhausted_at: None,
                probability_exhausted_by_window_end: None,
                method: ForecastMethod::Bootstrap,
                samples: 0,
            },
            window_start: Timestamp::UNIX_EPOCH,
            window_end: Timestamp::UNIX_EPOCH,
            budgeting: "occurrences",
        }
    }

    fn alert(severity: &'static str, firing: bool) -> AlertRow {
        AlertRow {
            severity,
            long_window: "1h".into(),
            short_window: "5m".into(),
            burn_rate: 14.4,
            firing,
            long_burn_rate: Some(20.0),
            short_burn_rate: Some(20.0),
        }
    }

    fn condition(severity: &str, firing: bool) -> ConditionRow {
        ConditionRow {
            name: "fast".into(),
            policy: "p".into(),
            severity: severity.into(),
            page: crate::slo::conditions::pages(severity),
            op: "gte".into(),
            threshold: 2.0,
            lookback_window: "1h".into(),
            alert_after: None,
            burn_rate: Some(3.0),
            firing,
        }
    }

    const DEFAULT: [SloFailOn; 2] = [SloFailOn::Page, SloFailOn::Exhausted];

    #[test]
    fn quiet_with_budget_left_is_ok() {
        let s = status(0.5, vec![alert("page", false)], vec![]);
        assert_eq!(verdict(&s, &DEFAULT), SloVerdict::Ok);
        assert_eq!(
            verdict(&s, &[SloFailOn::Ticket, SloFailOn::Exhausted]),
            SloVerdict::Ok
        );
    }

    #[test]
    fn a_firing_ticket_blocks_only_when_tickets_do() {
        let s = status(
            0.5,
            vec![alert("page", false), alert("ticket", true)],
            vec![],
        );
        assert_eq!(verdict(&s, &DEFAULT), SloVerdict::Alerting);
        assert_eq!(verdict(&s, &[SloFailOn::Ticket]), SloVerdict::Blocking);
    }

    #[test]
    fn a_firing_page_blocks_unless_policy_names_no_page() {
        let s = status(0.5, vec![alert("page", true)], vec![]);
        assert_eq!(verdict(&s, &DEFAULT), SloVerdict::Blocking);
        // `ticket` means any alert, so a page blocks under it too
        assert_eq!(verdict(&s, &[SloFailOn::Ticket]), SloVerdict::Blocking);
        assert_eq!(verdict(&s, &[SloFailOn::Exhausted]), SloVerdict::Alerting);
        assert_eq!(verdict(&s, &[]), SloVerdict::Alerting);
    }

    #[test]
    fn a_paging_condition_pages_and_a_warning_one_does_not() {
        let paging = status(0.5, vec![], vec![condition("Critical", true)]);
        assert_eq!(verdict(&paging, &[SloFailOn::Page]), SloVerdict::Blocking);
        let warning = status(0.5, vec![], vec![condition("warning", true)]);
        assert_eq!(verdict(&warning, &[SloFailOn::Page]), SloVerdict::Alerting);
        assert_eq!(
            verdict(&warning, &[SloFailOn::Ticket]),
            SloVerdict::Blocking
        );
    }

    #[test]
    fn a_spent_budget_blocks_at_zero_and_below() {
        for remaining in [0.0, -1.0] {
            let s = status(remaining, vec![], vec![]);
            assert_eq!(verdict(&s, &DEFAULT), SloVerdict::Blocking);
            assert_eq!(verdict(&s, &[SloFailOn::Page]), SloVerdict::Ok);
        }
        assert_eq!(
            verdict(&status(1e-9, vec![], vec![]), &DEFAULT),
            SloVerdict::Ok
        );
    }

    #[test]
    fn no_data_and_stale_block_only_when_policy_names_them() {
        let mut s = status(1.0, vec![], vec![]);
        s.state = DataState::NoData;
        s.stale = true;
        assert_eq!(verdict(&s, &DEFAULT), SloVerdict::NoData);
        assert_eq!(verdict(&s, &[SloFailOn::NoData]), SloVerdict::Blocking);
        // no data is stale too
        assert_eq!(verdict(&s, &[SloFailOn::Stale]), SloVerdict::Blocking);

        let mut s = status(0.5, vec![], vec![]);
        s.state = DataState::Stale;
        s.stale = true;
        assert_eq!(verdict(&s, &DEFAULT), SloVerdict::Stale);
        assert_eq!(verdict(&s, &[SloFailOn::NoData]), SloVerdict::Stale);
        assert_eq!(verdict(&s, &[SloFailOn::Stale]), SloVerdict::Blocking);

        // a firing alert outranks what the data says
        let mut s = status(0.5, vec![alert("ticket", true)], vec![]);
        s.stale = true;
        assert_eq!(verdict(&s, &DEFAULT), SloVerdict::Alerting);
    }
}
