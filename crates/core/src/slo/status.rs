//! The status of one SLO at one moment (DESIGN.md, "SLO status JSON"):
//! SLI, events, error budget, burn rates, alert rows and a forecast. Pure:
//! input is the SLO, its events as minute counts, and the time of judgement.
//!
//! A status says when it rests on nothing: without an event in the window
//! the state is `no_data` (not a full budget), without one for
//! `stale_after` it is `stale`, and a burn rate over a window without
//! events is unknown (`None`, JSON `null`), never 0.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::slo::alerts::{self, AlertState};
use crate::slo::conditions::{self, ConditionState};
use crate::slo::counts::{CountSource, Counts};
use crate::slo::error_budget::{burn_rate, error_budget, sli};
use crate::slo::forecast::{self, Forecast, ForecastInput};
use crate::slo::rules::prom_duration;
use crate::slo::spec::{Budgeting, Slo};

/// The windows `burn_rates` always reports, before the period's own.
/// Private: what a caller must fetch is [`windows_needed`], not this list.
const BURN_WINDOWS_MINUTES: [i64; 7] = [5, 30, 60, 120, 360, 1440, 4320];

/// How long an SLO may go without an event before it is stale, unless its
/// spec or `policy.slo_stale_after` says otherwise.
pub const DEFAULT_STALE_AFTER: SignedDuration = SignedDuration::from_mins(10);

/// The `stale_after` of `slo`: its own, or the default.
pub fn stale_after(slo: &Slo) -> SignedDuration {
    slo.stale_after.unwrap_or(DEFAULT_STALE_AFTER)
}

/// The windows whose counts [`status`] reads for one SLO at one moment, so
/// a caller fetches exactly these (queries to Prometheus, or the span of
/// stored events) and nothing it reads is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsNeeded {
    /// The moment judged.
    pub at: Timestamp,
    /// Lengths of windows ending at the moment judged, shortest first,
    /// each once: the burn-rate windows, the alert rules' long and short
    /// windows, the AlertConditions' lookbacks, `stale_after` (a query
    /// engine tells staleness only by an empty window), and the window so far.
    pub ending_now: Vec<SignedDuration>,
    /// `(end, length)` of windows ending earlier: an AlertCondition's
    /// lookback at each minute of its `alertAfter`, newest first.
    pub earlier: Vec<(Timestamp, SignedDuration)>,
    /// The window judged so far, `[start, upto)`.
    pub start: Timestamp,
    pub upto: Timestamp,
    /// With timeslice budgeting, the slice length: every slice of
    /// `[start, upto)` is read (the last one cut short at `upto`).
    pub slice: Option<SignedDuration>,
}

impl WindowsNeeded {
    /// The earliest instant any of the windows starts: events before it
    /// change nothing but the forecast's resampled past days.
    pub fn earliest(&self) -> Timestamp {
        let now = self.ending_now.last().map_or(self.at, |w| {
            self.at.checked_sub(*w).unwrap_or(Timestamp::MIN)
        });
        let earlier = self
            .earlier
            .iter()
            .map(|(end, len)| end.checked_sub(*len).unwrap_or(Timestamp::MIN));
        earlier.fold(now.min(self.start), Timestamp::min)
    }
}

/// What [`status`] of `slo` at `at` reads.
pub fn windows_needed(slo: &Slo, at: Timestamp) -> WindowsNeeded {
    let (start, end) = slo.window.bounds(at);
    let upto = end.min(at);
    let mut ending_now: Vec<SignedDuration> = BURN_WINDOWS_MINUTES
        .iter()
        .map(|m| SignedDuration::from_mins(*m))
        .chain(
            slo.alerting
                .rules
                .iter()
                .flat_map(|r| [r.long_window, r.short_window]),
        )
        .chain(slo.alerting.conditions.iter().map(|c| c.lookback_window))
        .chain([stale_after(slo), upto.duration_since(start)])
        .filter(|w| w.is_positive())
        .collect();
    ending_now.sort();
    ending_now.dedup();
    let mut earlier = Vec::new();
    for c in &slo.alerting.conditions {
        let Some(after) = c.alert_after else { continue };
        // `conditions::evaluate` looks back minute by minute, rounding up.
        let minutes = (after.as_secs().max(0) + 59) / 60;
        for k in 1..=minutes {
            let Ok(t) = at.checked_sub(SignedDuration::from_mins(k)) else {
                break;
            };
            if !earlier.contains(&(t, c.lookback_window)) {
                earlier.push((t, c.lookback_window));
            }
        }
    }
    let slice = match slo.budgeting {
        Budgeting::Timeslices { slice, .. } | Budgeting::RatioTimeslices { slice } => Some(slice),
        Budgeting::Occurrences => None,
    };
    WindowsNeeded {
        at,
        ending_now,
        earlier,
        start,
        upto,
        slice,
    }
}

/// `sloe.slo-status/v1`: the field names are a contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub schema: &'static str,
    pub at: Timestamp,
    pub slos: Vec<SloStatus>,
}

impl StatusReport {
    pub fn new(at: Timestamp, slos: Vec<SloStatus>) -> StatusReport {
        StatusReport {
            schema: "sloe.slo-status/v1",
            at,
            slos,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloStatus {
    pub name: String,
    pub service: String,
    pub objective: f64,
    pub window: String,
    /// Good / total over the window (or good slices / slices); null without events.
    pub sli: Option<f64>,
    pub events: EventCounts,
    /// Whether the status rests on events: `no_data`, `stale` or `ok`.
    pub state: DataState,
    /// The last event at or before the moment judged, among those read (the
    /// windows status needs; stored events come as minute buckets, timed at
    /// their start); null when there is none or the source cannot tell
    /// (Prometheus).
    pub last_event: Option<Timestamp>,
    /// No event for longer than `stale_after` before the moment judged.
    pub stale: bool,
    pub stale_after: String,
    pub error_budget: BudgetStatus,
    pub burn_rates: BurnRates,
    pub alerts: Vec<AlertRow>,
    /// OpenSLO AlertConditions, evaluated (empty for other specs).
    pub conditions: Vec<ConditionRow>,
    pub forecast: Forecast,
    /// `[start, end)` of the window judged (a calendar period's end may be ahead).
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub budgeting: &'static str,
}

impl SloStatus {
    /// A page alert fires, or an AlertCondition of page severity.
    pub fn paging(&self) -> bool {
        self.alerts.iter().any(|a| a.severity == "page" && a.firing)
            || self.conditions.iter().any(|c| c.page && c.firing)
    }

    /// Any alert row or AlertCondition fires.
    pub fn alerting(&self) -> bool {
        self.alerts.iter().any(|a| a.firing) || self.conditions.iter().any(|c| c.firing)
    }

    /// The error budget is spent (remaining at or below 0).
    pub fn exhausted(&self) -> bool {
        self.error_budget.remaining <= 0.0
    }

    /// No event in the window: budget and SLI say nothing.
    pub fn no_data(&self) -> bool {
        self.state == DataState::NoData
    }
}

/// Whether a status rests on events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataState {
    /// Events in the window, the last one within `stale_after`.
    Ok,
    /// Events in the window, but none for longer than `stale_after`.
    Stale,
    /// No event in the window (a misspelt stream, a silent service).
    NoData,
}

impl DataState {
    pub fn as_str(self) -> &'static str {
        match self {
            DataState::Ok => "ok",
            DataState::Stale => "stale",
            DataState::NoData => "no_data",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EventCounts {
    pub good: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BudgetStatus {
    /// Bad events (or slices) the objective allows.
    pub total: f64,
    pub consumed: f64,
    /// 1 untouched, 0 spent, negative overspent.
    pub remaining: f64,
}

/// Burn rates by window name, in the order 5m 30m 1h 2h 6h 1d 3d, period;
/// `None` where the window holds no event (unknown, not 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BurnRates(pub Vec<(String, Option<f64>)>);

impl BurnRates {
    /// The burn rate over `window`, when the window is reported and known.
    pub fn get(&self, window: &str) -> Option<f64> {
        self.0
            .iter()
            .find(|(w, _)| w == window)
            .and_then(|(_, v)| *v)
    }
}

/// The burn rate over `c`, unknown without events.
fn known_burn(c: Counts, objective: f64) -> Option<f64> {
    (c.total > 0).then(|| burn_rate(c, objective))
}

/// The counts of the window of length `w` ending at `at`.
fn ending_at(counts: &impl CountSource, at: Timestamp, w: SignedDuration) -> Counts {
    counts.range(at.checked_sub(w).unwrap_or(Timestamp::MIN), at)
}

impl Serialize for BurnRates {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRow {
    pub severity: &'static str,
    pub long_window: String,
    pub short_window: String,
    /// The rule's threshold: the burn rate above which it fires.
    pub burn_rate: f64,
    pub firing: bool,
    /// Null when the window holds no event.
    pub long_burn_rate: Option<f64>,
    pub short_burn_rate: Option<f64>,
}

impl AlertRow {
    /// The row of `s`, its burn rates unknown where `counts` hold no event.
    fn new(s: &AlertState, counts: &impl CountSource, at: Timestamp) -> AlertRow {
        let seen = |w| ending_at(counts, at, w).total > 0;
        AlertRow {
            severity: s.rule.severity.as_str(),
            long_window: prom_duration(s.rule.long_window),
            short_window: prom_duration(s.rule.short_window),
            burn_rate: s.burn_rate,
            firing: s.firing,
            long_burn_rate: seen(s.rule.long_window).then_some(s.long_burn),
            short_burn_rate: seen(s.rule.short_window).then_some(s.short_burn),
        }
    }
}

/// An OpenSLO AlertCondition at the moment judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionRow {
    pub name: String,
    /// The AlertPolicy it belongs to.
    pub policy: String,
    /// As written (OpenSLO's severity is free text).
    pub severity: String,
    /// The severity pages: `page` or `critical`, in any case.
    pub page: bool,
    /// `lt`, `lte`, `gt` or `gte`: fires when `burn_rate op threshold`.
    pub op: String,
    pub threshold: f64,
    pub lookback_window: String,
    /// How long the condition must hold before it fires; null when at once.
    pub alert_after: Option<String>,
    /// The burn rate over the lookback window ending now; null without events.
    pub burn_rate: Option<f64>,
    pub firing: bool,
}

impl ConditionRow {
    /// The row of `s`, its burn rate unknown where `counts` hold no event.
    fn new(s: &ConditionState, counts: &impl CountSource, at: Timestamp) -> ConditionRow {
        let c = &s.condition;
        let seen = ending_at(counts, at, c.lookback_window).total > 0;
        ConditionRow {
            name: c.name.clone(),
            policy: c.policy.clone(),
            severity: c.severity.clone(),
            page: conditions::pages(&c.severity),
            op: c.op.clone(),
            threshold: c.threshold,
            lookback_window: prom_duration(c.lookback_window),
            alert_after: c.alert_after.map(prom_duration),
            burn_rate: seen.then_some(s.burn_rate),
            firing: s.firing,
        }
    }
}

/// Computes the status of `slo` from `counts` at `at`.
pub fn status(slo: &Slo, counts: &impl CountSource, at: Timestamp) -> SloStatus {
    let objective = slo.objective();
    let (start, end) = slo.window.bounds(at);
    // A calendar period is judged on what has happened so far.
    let upto = end.min(at);
    let period = end.duration_since(start);
    let c = counts.range(start, upto);

    let (sli_value, budget) = match slo.budgeting {
        Budgeting::Occurrences => (
            sli(c),
            error_budget(objective, c.bad() as f64, c.total as f64),
        ),
        Budgeting::Timeslices {
            slice,
            slice_target,
        } => {
            let (good, all) = timeslices(counts, start, upto, slice, slice_target);
            // The budget is in slices of the WHOLE window: it is known in advance.
            let slices = slice_count(period, slice);
            let bad = all.saturating_sub(good) as f64;
            // Slices without events are good, so only events make an SLI.
            let s = (all > 0 && c.total > 0).then(|| good as f64 / all as f64);
            (s, error_budget(objective, bad, slices))
        }
        Budgeting::RatioTimeslices { slice } => {
            // Each slice with traffic counts its bad share; the SLI is the mean ratio.
            let (mut bad, mut seen, mut t) = (0.0, 0u64, start);
            while t < upto {
                let next = t.checked_add(slice).unwrap_or(upto).min(upto);
                let sc = counts.range(t, next);
                if sc.total > 0 {
                    bad += sc.bad() as f64 / sc.total as f64;
                    seen += 1;
                }
                t = next;
            }
            let s = (seen > 0).then(|| 1.0 - bad / seen as f64);
            (s, error_budget(objective, bad, slice_count(period, slice)))
        }
    };

    let mut burn = BurnRates::default();
    for m in BURN_WINDOWS_MINUTES {
        let w = SignedDuration::from_mins(m);
        let wc = ending_at(counts, at, w);
        burn.0.push((prom_duration(w), known_burn(wc, objective)));
    }
    let window_name = slo.window.to_string();
    let period_burn = known_burn(c, objective);
    if let Some(slot) = burn.0.iter_mut().find(|(k, _)| *k == window_name) {
        slot.1 = period_burn;
    } else {
        burn.0.push((window_name.clone(), period_burn));
    }

    let states = alerts::evaluate(
        &slo.alerting.rules,
        period,
        counts,
        objective,
        at,
        slo.alerting.min_events,
    );
    let alerts: Vec<AlertRow> = states
        .iter()
        .map(|s| AlertRow::new(s, counts, at))
        .collect();
    let conditions: Vec<ConditionRow> = conditions::evaluate(
        &slo.alerting.conditions,
        counts,
        objective,
        at,
        slo.alerting.min_events,
    )
    .iter()
    .map(|s| ConditionRow::new(s, counts, at))
    .collect();

    let stale_after = stale_after(slo);
    let last_event = counts.last_event(at);
    let stale = match last_event {
        Some(t) => at.duration_since(t) > stale_after,
        None => ending_at(counts, at, stale_after).total == 0,
    };
    let state = if c.total == 0 {
        DataState::NoData
    } else if stale {
        DataState::Stale
    } else {
        DataState::Ok
    };

    // At the last hour's burn; the probability by bootstrap over past days.
    let history = daily_consumption(counts, objective, period, at);
    let horizon = if end > at {
        end.duration_since(at)
    } else {
        period
    };
    let mut forecast = forecast::forecast(&ForecastInput {
        at,
        horizon,
        remaining: budget.remaining,
        burn_rate: burn.get("1h").unwrap_or(0.0),
        period,
        daily_consumption: &history,
        // 1,000 futures: a standard error under 0.016, and the status of
        // 1,000 SLOs in about 55 ms (benches/slo_status.rs); 10,000 took 0.5 s.
        samples: 1_000,
        seed: 7,
    });
    if budget.remaining <= 0.0 {
        // Spent already: say when it ran out, not "by now" (issue 14);
        // from a query engine's few windows that is not known.
        forecast.exhausted_at = if counts.answers_any_window() {
            forecast::exhausted_since(start, upto, budget.total, |t| {
                consumed(slo, counts, start, t)
            })
        } else {
            None
        };
    }

    SloStatus {
        name: slo.name.clone(),
        service: slo.service.clone(),
        objective,
        window: window_name,
        sli: sli_value,
        events: EventCounts {
            good: c.good,
            total: c.total,
        },
        state,
        last_event,
        stale,
        stale_after: prom_duration(stale_after),
        error_budget: BudgetStatus {
            total: budget.total,
            consumed: budget.consumed,
            remaining: budget.remaining,
        },
        burn_rates: burn,
        alerts,
        conditions,
        forecast,
        window_start: start,
        window_end: end,
        budgeting: slo.budgeting.as_str(),
    }
}

/// The error budget consumed over `[from, to)`, in the unit the
/// budgeting counts (bad events, bad slices, or bad shares of slices).
fn consumed(slo: &Slo, counts: &impl CountSource, from: Timestamp, to: Timestamp) -> f64 {
    match slo.budgeting {
        Budgeting::Occurrences => counts.range(from, to).bad() as f64,
        Budgeting::Timeslices {
            slice,
            slice_target,
        } => {
            let (good, all) = timeslices(counts, from, to, slice, slice_target);
            all.saturating_sub(good) as f64
        }
        Budgeting::RatioTimeslices { slice } => {
            let (mut bad, mut t) = (0.0, from);
            while t < to {
                let next = t.checked_add(slice).unwrap_or(to).min(to);
                let sc = counts.range(t, next);
                if sc.total > 0 {
                    bad += sc.bad() as f64 / sc.total as f64;
                }
                t = next;
            }
            bad
        }
    }
}

/// Good and all timeslices of length `slice` in `[from, to)`; a slice
/// without events is good (as [`crate::slo::MinuteCounts::timeslices`] counts them).
fn timeslices(
    counts: &impl CountSource,
    from: Timestamp,
    to: Timestamp,
    slice: SignedDuration,
    slice_target: f64,
) -> (u64, u64) {
    crate::slo::counts::timeslices_by(|a, b| counts.range(a, b), from, to, slice, slice_target)
}

fn slice_count(period: SignedDuration, slice: SignedDuration) -> f64 {
    let s = slice.as_secs().max(1);
    (period.as_secs() / s) as f64
}

/// What each of the last days (up to one period, only days with events)
/// consumed of the whole budget: a day at burn `b` of a `P`-day SLO spends
/// `b / P`. The history the forecast resamples.
pub fn daily_consumption(
    counts: &impl CountSource,
    objective: f64,
    period: SignedDuration,
    at: Timestamp,
) -> Vec<f64> {
    let day = SignedDuration::from_hours(24);
    let share = day.as_secs_f64() / period.as_secs_f64().max(1.0);
    let days = (period.as_secs() / day.as_secs()).max(1);
    (0..days)
        .filter_map(|d| {
            let to = at.checked_sub(day * i32::try_from(d).ok()?).ok()?;
            let from = to.checked_sub(day).ok()?;
            let c = counts.range(from, to);
            (c.total > 0).then(|| burn_rate(c, objective) * share)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::alerts::default_rules;
    use crate::slo::counts::MinuteCounts;
    use crate::slo::spec::{Alerting, Origin, Sli};
    use crate::slo::window::Window;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn slo(objective_percent: f64, window: &str, budgeting: Budgeting) -> Slo {
        Slo {
            name: "api".into(),
            service: "api".into(),
            description: None,
            objective_percent,
            window: window.parse::<Window>().expect("window"),
            budgeting,
            sli: Sli::Events {
                stream: "api".into(),
                threshold: None,
            },
            alerting: Alerting {
                rules: default_rules(),
                ..Alerting::default()
            },
            labels: Default::default(),
            stale_after: None,
            origin: Origin::default(),
        }
    }

    /// `per_minute(minute) -> (good, total)` for each minute in [from, to).
    fn traffic(from: &str, to: &str, per_minute: impl Fn(i64) -> (u64, u64)) -> MinuteCounts {
        let (a, b) = (ts(from), ts(to));
        let n = b.duration_since(a).as_mins();
        let events: Vec<(Timestamp, u64, u64)> = (0..n)
            .map(|i| {
                let (g, t) = per_minute(i);
                (
                    a.checked_add(SignedDuration::from_mins(i)).expect("time"),
                    g,
                    t,
                )
            })
            .collect();
        MinuteCounts::from_events(&events)
    }

    /// Equal up to float rounding (relative 1e-9).
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn design_example_over_a_rolling_30_days() {
        // 30 days × 1,440 minutes = 43,200 minutes; 1,000 events a minute
        // → 43,200,000 events. 2 bad a minute → 86,400 bad, 43,113,600 good
        // (SLI 0.998).
        // budget = 0.001 × 43,200,000 = 43,200; consumed 86,400;
        // remaining = 1 − 86,400 / 43,200 = −1; burn everywhere = 0.002 / 0.001 = 2.
        let at = ts("2026-11-23T00:00:00Z");
        let c = traffic("2026-10-24T00:00:00Z", "2026-11-23T00:00:00Z", |_| {
            (998, 1000)
        });
        let s = status(&slo(99.9, "30d", Budgeting::Occurrences), &c, at);
        assert_eq!(
            s.events,
            EventCounts {
                good: 43_113_600,
                total: 43_200_000
            }
        );
        assert!(close(s.sli.expect("sli"), 0.998));
        assert!(close(s.error_budget.total, 43_200.0));
        assert_eq!(s.error_budget.consumed, 86_400.0);
        assert!(close(s.error_budget.remaining, -1.0));
        let windows: Vec<&str> = s.burn_rates.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(windows, ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]);
        assert!(
            s.burn_rates
                .0
                .iter()
                .all(|(_, v)| v.is_some_and(|v| close(v, 2.0)))
        );
        assert!(s.exhausted());
        // burn 2 is above only the last row's factor (3d & 6h above 1): a ticket, no page
        let firing: Vec<bool> = s.alerts.iter().map(|a| a.firing).collect();
        assert_eq!(firing, [false, false, false, true]);
        assert!(!s.paging());
        // Spent already: it ran out when the 2 bad a minute reached the
        // budget, in the 21,600th minute (43,200 / 2, 15 days in), not "by
        // now" (issue 14).
        assert_eq!(
            s.forecast.exhausted_at,
            Some(ts("2026-11-07T23:59:00Z")),
            "budget {}",
            s.error_budget.total
        );
        // spent already: exhausted in every simulated future
        assert_eq!(s.forecast.probability_exhausted_by_window_end, Some(1.0));
    }

    #[test]
    fn window_edges_are_half_open() {
        // [at − 30d, at): the minute starting exactly 30 days before `at` is
        // the first inside, the minute starting at `at` is outside; a bad
        // event one minute before the window and one at `at` do not count.
        let at = ts("2026-11-23T00:00:00Z");
        let c = MinuteCounts::from_events(&[
            (ts("2026-10-23T23:59:00Z"), 0, 1),
            (ts("2026-10-24T00:00:00Z"), 100, 100),
            (ts("2026-11-22T23:59:00Z"), 0, 1),
            (ts("2026-11-23T00:00:00Z"), 0, 1),
        ]);
        let s = status(&slo(99.0, "30d", Budgeting::Occurrences), &c, at);
        // total 101 inside: 100 good + the bad one a minute before `at`
        assert_eq!(
            s.events,
            EventCounts {
                good: 100,
                total: 101
            }
        );
        // budget 0.01 × 101 = 1.01; consumed 1; remaining 1 − 1/1.01 = 0.0099
        assert!(close(s.error_budget.remaining, 1.0 - 1.0 / 1.01));
        // 5m window: one event, bad → burn (1/1) / 0.01 = 100
        assert!(close(s.burn_rates.get("5m").expect("5m"), 100.0));
    }

    #[test]
    fn calendar_months_of_28_to_31_days() {
        // 1,000 events a minute all month so far, 1 bad a minute, at the
        // last minute of the month: the burn is 1 and the budget exactly spent,
        // whatever the month's length; the alert factors scale with it:
        // page 0.02 × (days × 24) / 1 h.
        for (at, days) in [
            ("2026-02-28T23:59:00Z", 28.0),
            ("2028-02-29T23:59:00Z", 29.0),
            ("2026-04-30T23:59:00Z", 30.0),
            ("2026-12-31T23:59:00Z", 31.0),
        ] {
            let at = ts(at);
            let (start, _) = "month".parse::<Window>().expect("window").bounds(at);
            let c = traffic(&start.to_string(), &at.to_string(), |_| (999, 1000));
            let s = status(&slo(99.9, "month", Budgeting::Occurrences), &c, at);
            let minutes = days * 1440.0 - 1.0;
            assert_eq!(s.events.total as f64, minutes * 1000.0, "{at}");
            assert!(close(s.error_budget.remaining, 0.0), "{at}");
            assert!(
                close(s.burn_rates.get("month").expect("month"), 1.0),
                "{at}"
            );
            assert!(close(s.alerts[0].burn_rate, 0.02 * days * 24.0), "{at}");
            assert_eq!(s.window, "month");
        }
    }

    #[test]
    fn zero_traffic_divides_by_nothing() {
        let s = status(
            &slo(99.9, "30d", Budgeting::Occurrences),
            &MinuteCounts::default(),
            ts("2026-11-23T00:00:00Z"),
        );
        assert_eq!(s.sli, None);
        assert_eq!(s.events, EventCounts { good: 0, total: 0 });
        assert_eq!((s.error_budget.total, s.error_budget.remaining), (0.0, 1.0));
        // nothing is known: no data, stale, every burn rate unknown
        assert_eq!(s.state, DataState::NoData);
        assert!(s.stale);
        assert_eq!(s.last_event, None);
        // the seven fixed windows and the period's
        assert_eq!(s.burn_rates.0.len(), 8);
        assert!(s.burn_rates.0.iter().all(|(_, v)| v.is_none()));
        assert!(s.alerts.iter().all(|a| !a.firing));
        assert!(
            s.alerts
                .iter()
                .all(|a| a.long_burn_rate.is_none() && a.short_burn_rate.is_none())
        );
        assert_eq!(s.forecast.exhausted_at, None);
        assert_eq!(s.forecast.probability_exhausted_by_window_end, None);
        let json = serde_json::to_string(&s).expect("json");
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    }

    #[test]
    fn timeslices() {
        // A 1-day window of 5-minute slices = 288 slices; 99 % allows 2.88
        // bad slices. Traffic all day; slices 0 and 1 (the first 10 minutes)
        // are 50 % good (bad at a 99 % slice target), the rest perfect:
        // consumed 2, remaining 1 − 2 / 2.88 = 0.30556; SLI 286 / 288.
        let at = ts("2026-11-23T00:00:00Z");
        let c = traffic("2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z", |m| {
            if m < 10 { (50, 100) } else { (100, 100) }
        });
        let b = Budgeting::Timeslices {
            slice: SignedDuration::from_mins(5),
            slice_target: 0.99,
        };
        let s = status(&slo(99.0, "1d", b), &c, at);
        assert!(close(s.error_budget.total, 2.88));
        assert_eq!(s.error_budget.consumed, 2.0);
        assert!(close(s.error_budget.remaining, 1.0 - 2.0 / 2.88));
        assert!(close(s.sli.expect("sli"), 286.0 / 288.0));
        assert_eq!(s.budgeting, "timeslices");
    }

    #[test]
    fn each_alert_row_just_below_and_just_above() {
        // 99 %: k bad per 1,000 burns at k / 10. Three days of steady traffic.
        // Rows fire above 14.4, 6, 3, 1: 144/145, 60/61, 30/31, 10/11 bad per 1,000.
        let at = ts("2026-11-23T00:00:00Z");
        for (row, below, above) in [(0, 144, 145), (1, 60, 61), (2, 30, 31), (3, 10, 11)] {
            for (bad, firing) in [(below, false), (above, true)] {
                let c = traffic("2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", |_| {
                    (1000 - bad, 1000)
                });
                let s = status(&slo(99.0, "30d", Budgeting::Occurrences), &c, at);
                assert_eq!(s.alerts[row].firing, firing, "row {row} at {bad} per 1,000");
                assert_eq!(
                    s.paging(),
                    row < 2 && firing || bad > 60,
                    "row {row} at {bad}"
                );
            }
        }
    }

    #[test]
    fn the_windows_a_query_engine_answers_give_the_same_status() {
        // What `--prometheus` reads (counts of windows ending at `at`) and
        // the minute buckets agree on everything but the bootstrap, which
        // sees one past day through the queries and thirty in the buckets.
        use crate::slo::counts::WindowCounts;
        let at = ts("2026-11-23T00:00:00Z");
        let c = traffic("2026-10-20T00:00:00Z", "2026-11-23T00:00:00Z", |m| {
            (1000 - (m % 13) as u64, 1000)
        });
        let slo = slo(99.5, "30d", Budgeting::Occurrences);
        let windows = windows_needed(&slo, at).ending_now;
        let answered = WindowCounts {
            at,
            windows: windows
                .iter()
                .map(|w| (*w, c.range(at.checked_sub(*w).expect("time"), at)))
                .collect(),
            earlier: Vec::new(),
        };
        let mut from_buckets = status(&slo, &c, at);
        let mut from_queries = status(&slo, &answered, at);
        from_buckets.forecast.probability_exhausted_by_window_end = None;
        from_queries.forecast.probability_exhausted_by_window_end = None;
        // window counts cannot tell when the last event came
        assert_eq!(from_queries.last_event, None);
        assert_eq!(from_buckets.last_event, Some(ts("2026-11-22T23:59:00Z")));
        from_buckets.last_event = None;
        spent_when_known(&mut from_buckets, &mut from_queries);
        assert_eq!(from_buckets, from_queries);
    }

    /// When a spent budget ran out is read minute by minute from buckets; a
    /// query engine's few windows do not tell it. Checks that, then blanks
    /// it in both so the rest can be compared.
    fn spent_when_known(from_buckets: &mut SloStatus, from_queries: &mut SloStatus) {
        if from_buckets.exhausted() {
            let when = from_buckets.forecast.exhausted_at.expect("ran out");
            assert!(
                from_buckets.window_start <= when && when < from_buckets.window_end,
                "{when}"
            );
            assert_eq!(from_queries.forecast.exhausted_at, None);
            from_buckets.forecast.exhausted_at = None;
        }
    }

    fn answered(c: &MinuteCounts, needed: &WindowsNeeded) -> crate::slo::counts::WindowCounts {
        let at = needed.at;
        let mut earlier: Vec<(Timestamp, SignedDuration, crate::slo::Counts)> = needed
            .earlier
            .iter()
            .map(|(end, w)| (*end, *w, c.range(end.checked_sub(*w).expect("time"), *end)))
            .collect();
        if let Some(slice) = needed.slice {
            let mut t = needed.start;
            while t < needed.upto {
                let next = t.checked_add(slice).expect("time").min(needed.upto);
                earlier.push((next, next.duration_since(t), c.range(t, next)));
                t = next;
            }
        }
        crate::slo::counts::WindowCounts {
            at,
            windows: needed
                .ending_now
                .iter()
                .map(|w| (*w, c.range(at.checked_sub(*w).expect("time"), at)))
                .collect(),
            earlier,
        }
    }

    #[test]
    fn the_windows_needed_are_all_that_status_reads() {
        // Status over only the windows `windows_needed` names equals status
        // over every bucket (but the bootstrap, which sees fewer past days):
        // custom alert rows, an AlertCondition with a long lookback and an
        // alertAfter, and timeslices all read what was fetched.
        use crate::slo::alerts::AlertRule;
        use crate::slo::spec::AlertCondition;
        let at = ts("2026-11-23T00:10:00Z");
        let c = traffic("2026-10-01T00:00:00Z", "2026-11-23T00:10:00Z", |m| {
            (1000 - (m % 17) as u64 * 2, 1000)
        });
        for budgeting in [
            Budgeting::Occurrences,
            Budgeting::Timeslices {
                slice: SignedDuration::from_hours(6),
                slice_target: 0.99,
            },
            Budgeting::RatioTimeslices {
                slice: SignedDuration::from_hours(4),
            },
        ] {
            let mut s = slo(99.5, "month", budgeting);
            s.alerting.rules.push(AlertRule {
                long_window: SignedDuration::from_hours(24 * 5),
                short_window: SignedDuration::from_hours(10),
                ..s.alerting.rules[0]
            });
            s.alerting.conditions.push(AlertCondition {
                name: "slow-burn".into(),
                policy: "p".into(),
                severity: "page".into(),
                op: "gte".into(),
                threshold: 1.0,
                lookback_window: SignedDuration::from_hours(24 * 4),
                alert_after: Some(SignedDuration::from_secs(150)),
                notification_targets: Vec::new(),
            });
            let needed = windows_needed(&s, at);
            assert!(needed.ending_now.contains(&SignedDuration::from_hours(120)));
            assert!(needed.ending_now.contains(&SignedDuration::from_hours(96)));
            // 150 s rounds up to three minutes back
            assert_eq!(needed.earlier.len(), 3);
            // the month so far (22 days and 10 minutes) is the longest window
            assert_eq!(needed.earliest(), ts("2026-11-01T00:00:00Z"));
            let mut from_buckets = status(&s, &c, at);
            let mut from_queries = status(&s, &answered(&c, &needed), at);
            from_buckets.forecast.probability_exhausted_by_window_end = None;
            from_queries.forecast.probability_exhausted_by_window_end = None;
            assert_eq!(from_queries.last_event, None);
            assert!(from_buckets.last_event.is_some());
            from_buckets.last_event = None;
            spent_when_known(&mut from_buckets, &mut from_queries);
            assert_eq!(from_buckets, from_queries, "{}", s.budgeting.as_str());
            assert!(from_buckets.conditions[0].firing);
        }
    }

    #[test]
    fn events_from_the_earliest_window_on_suffice() {
        // Dropping every bucket before `earliest` changes nothing but the
        // forecast's past days: the events path reads the store from there.
        let at = ts("2026-11-23T00:00:00Z");
        let s = slo(99.9, "30d", Budgeting::Occurrences);
        let needed = windows_needed(&s, at);
        assert_eq!(needed.earliest(), ts("2026-10-24T00:00:00Z"));
        let month = slo(99.9, "month", Budgeting::Occurrences);
        // a calendar month 22 days in still reads the last three days back
        let early = windows_needed(&month, ts("2026-11-02T00:00:00Z"));
        assert_eq!(early.earliest(), ts("2026-10-30T00:00:00Z"));
        let all = |from: &str| {
            traffic(from, "2026-11-23T00:00:00Z", |m| {
                (1000 - (m % 5) as u64, 1000)
            })
        };
        let mut whole = status(
            &month,
            &all("2026-10-01T00:00:00Z"),
            ts("2026-11-02T00:00:00Z"),
        );
        let mut cut = status(
            &month,
            &all("2026-10-30T00:00:00Z"),
            ts("2026-11-02T00:00:00Z"),
        );
        whole.forecast.probability_exhausted_by_window_end = None;
        cut.forecast.probability_exhausted_by_window_end = None;
        assert_eq!(whole, cut);
    }

    #[test]
    fn forecast_at_the_last_hours_burn() {
        // 30 days at 99 %: nothing spent for 29 days, then a burn of 2 for the
        // last day (2 % bad): spent = 2 × 1/30 = 1/15 of the budget, remaining
        // 14/15; at burn 2 it lasts 14/15 × 30 d / 2 = 14 days.
        let at = ts("2026-11-23T00:00:00Z");
        let c = traffic("2026-10-24T00:00:00Z", "2026-11-23T00:00:00Z", |m| {
            if m >= 29 * 1440 {
                (980, 1000)
            } else {
                (1000, 1000)
            }
        });
        let s = status(&slo(99.0, "30d", Budgeting::Occurrences), &c, at);
        assert!(close(s.error_budget.remaining, 14.0 / 15.0));
        let when = s.forecast.exhausted_at.expect("forecast");
        let days = when.duration_since(at).as_secs_f64() / 86_400.0;
        assert!((days - 14.0).abs() < 1e-6, "{days}");
        // Past days: 29 at burn 0 and one at burn 2 (consuming 2/30 each time
        // it is drawn). Over the next 30 days the budget (14/15 left) runs out
        // only if that day is drawn 14 times or more: rare.
        assert_eq!(
            daily_consumption(&c, 0.99, SignedDuration::from_hours(720), at).len(),
            30
        );
        let p = s
            .forecast
            .probability_exhausted_by_window_end
            .expect("probability");
        assert!(p < 0.01, "{p}");
    }

    #[test]
    fn junit_pass_and_flaky_rates_from_the_run_history() {
        use crate::model::{Direction, RunContext, RunHeader, RunId, Series};
        use crate::slo::history::{SuiteRate, suite_events};
        use crate::units::Unit;
        // (run, day of November, suite, tests, failures, errors, skipped, flaky)
        let runs = [
            (1, 20, "core", 20.0, 1.0, 0.0, 0.0, 2.0),
            (2, 21, "core", 20.0, 0.0, 1.0, 2.0, 0.0),
            (3, 22, "core", 20.0, 0.0, 0.0, 0.0, 1.0),
            (3, 22, "ui", 10.0, 2.0, 0.0, 0.0, 0.0),
        ];
        let mut rows = Vec::new();
        for (id, day, suite, tests, failures, errors, skipped, flaky) in runs {
            let timestamp = ts(&format!("2026-11-{day}T10:00:00Z"));
            let header = RunHeader {
                id: RunId(id),
                context: RunContext {
                    commit: None,
                    branch: None,
                    testbed: None,
                    environment: None,
                    timestamp,
                    ci: Default::default(),
                    fingerprint: None,
                },
                recorded_at: timestamp,
            };
            for (measure, v) in [
                ("tests", tests),
                ("failures", failures),
                ("errors", errors),
                ("skipped", skipped),
                ("flaky", flaky),
            ] {
                let series = Series {
                    benchmark: format!("suite:{suite}"),
                    measure: measure.into(),
                    unit: Unit::Count,
                    direction: Direction::LowerIsBetter,
                    values: vec![v],
                    round_size: None,
                };
                rows.push((header.clone(), series));
            }
        }
        let at = ts("2026-11-23T00:00:00Z");
        let judge = |glob: &str, rate: SuiteRate| {
            let events = suite_events(&rows, glob, rate).expect("valid glob");
            status(
                &slo(95.0, "30d", Budgeting::Occurrences),
                &MinuteCounts::from_events(&events),
                at,
            )
        };

        // Pass rate, every suite. Ran (tests − skipped): 20 + 18 + 20 + 10 = 68;
        // passed (ran − failures − errors): 19 + 17 + 20 + 8 = 64.
        // SLI 64/68 = 0.94118; budget 0.05 × 68 = 3.4 bad; consumed 4;
        // remaining 1 − 4/3.4 = −0.17647: exhausted.
        let s = judge("*", SuiteRate::Pass);
        assert_eq!(
            s.events,
            EventCounts {
                good: 64,
                total: 68
            }
        );
        assert!(close(s.sli.expect("sli"), 64.0 / 68.0));
        assert!(close(s.error_budget.total, 3.4));
        assert_eq!(s.error_budget.consumed, 4.0);
        assert!(close(s.error_budget.remaining, 1.0 - 4.0 / 3.4));
        assert!(s.exhausted());
        // 3d = [Nov 20 00:00, Nov 23 00:00) holds every run: (4/68) / 0.05 = 1.17647;
        // 1d holds run 3 only: 2 bad of 30 → (2/30) / 0.05 = 1.3333.
        assert!(close(
            s.burn_rates.get("3d").expect("3d"),
            (4.0 / 68.0) / 0.05
        ));
        assert!(close(
            s.burn_rates.get("1d").expect("1d"),
            (2.0 / 30.0) / 0.05
        ));

        // Pass rate of suite core alone: 56 of 58; budget 2.9, consumed 2,
        // remaining 1 − 2/2.9 = 0.31034.
        let s = judge("core", SuiteRate::Pass);
        assert_eq!(
            s.events,
            EventCounts {
                good: 56,
                total: 58
            }
        );
        assert!(close(s.error_budget.remaining, 1.0 - 2.0 / 2.9));
        assert!(!s.exhausted());

        // Not flaky, suite core: 2 + 0 + 1 = 3 flaky of 58 that ran → 55 good;
        // consumed 3 of 2.9: remaining 1 − 3/2.9 = −0.03448.
        let s = judge("core", SuiteRate::NotFlaky);
        assert_eq!(
            s.events,
            EventCounts {
                good: 55,
                total: 58
            }
        );
        assert!(close(s.error_budget.remaining, 1.0 - 3.0 / 2.9));
        assert!(s.exhausted());
    }

    #[test]
    fn a_firing_page_condition_pages() {
        // 99 %, 1,000 events a minute for three days, 25 bad a minute: burn
        // 2.5 everywhere, above no page row (14.4, 6) and only the last
        // ticket row (1). An OpenSLO condition `gt 2` over 1h fires.
        use crate::slo::spec::AlertCondition;
        let at = ts("2026-11-23T00:00:00Z");
        let c = traffic("2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", |_| {
            (975, 1000)
        });
        let condition = |severity: &str, threshold: f64| AlertCondition {
            name: format!("{severity}-{threshold}"),
            policy: "p".into(),
            severity: severity.into(),
            op: "gt".into(),
            threshold,
            lookback_window: SignedDuration::from_hours(1),
            alert_after: None,
            notification_targets: Vec::new(),
        };
        let mut s = slo(99.0, "30d", Budgeting::Occurrences);
        s.alerting.conditions = vec![condition("ticket", 2.0), condition("page", 3.0)];
        let st = status(&s, &c, at);
        assert!(!st.paging(), "ticket fires, page (gt 3) does not");
        assert!(st.alerting());
        let firing: Vec<(bool, bool)> = st.conditions.iter().map(|c| (c.page, c.firing)).collect();
        assert_eq!(firing, [(false, true), (true, false)]);
        assert!(close(st.conditions[0].burn_rate.expect("burn"), 2.5));
        assert_eq!(st.conditions[0].lookback_window, "1h");
        s.alerting.conditions = vec![condition("Critical", 2.0)];
        assert!(status(&s, &c, at).paging(), "critical pages");
    }

    #[test]
    fn a_timeslice_window_without_events_has_no_data_and_no_sli() {
        // Every empty slice is good, so the budget stays whole: the state,
        // not the budget, says that nothing was judged.
        let b = Budgeting::Timeslices {
            slice: SignedDuration::from_mins(5),
            slice_target: 0.99,
        };
        let s = status(
            &slo(99.0, "1d", b),
            &MinuteCounts::default(),
            ts("2026-11-23T00:00:00Z"),
        );
        assert_eq!(s.sli, None);
        assert_eq!(s.state, DataState::NoData);
        assert!(s.no_data());
        assert_eq!(s.error_budget.remaining, 1.0);
    }

    #[test]
    fn a_stream_that_stopped_is_stale_with_its_last_event() {
        // Traffic until 11:45:30 (the last event 14.5 minutes before noon),
        // 1 % bad at 99 %: burn 1 wherever there are events.
        let at = ts("2026-11-23T12:00:00Z");
        let mut events: Vec<(Timestamp, u64, u64)> = (0..24 * 60 - 15)
            .map(|m| {
                let t = ts("2026-11-22T12:00:00Z")
                    .checked_add(SignedDuration::from_mins(m))
                    .expect("time");
                (t, 990, 1000)
            })
            .collect();
        events.push((ts("2026-11-23T11:45:30Z"), 99, 100));
        let c = MinuteCounts::from_events(&events);
        let mut spec = slo(99.0, "30d", Budgeting::Occurrences);
        let s = status(&spec, &c, at);
        assert_eq!(s.last_event, Some(ts("2026-11-23T11:45:30Z")));
        assert_eq!(s.stale_after, "10m");
        assert!(s.stale);
        assert_eq!(s.state, DataState::Stale);
        // the 5m window holds nothing: unknown, not 0; 30m holds events
        assert_eq!(s.burn_rates.0[0], ("5m".to_owned(), None));
        assert!(close(s.burn_rates.get("30m").expect("30m"), 1.0));
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(json["burn_rates"]["5m"], serde_json::Value::Null);
        assert_eq!(json["state"], "stale");
        assert_eq!(json["last_event"], "2026-11-23T11:45:30Z");
        // the first page row's short window (5m) is unknown: it cannot fire
        assert_eq!(s.alerts[0].short_burn_rate, None);
        assert!(s.alerts[0].long_burn_rate.is_some());
        assert!(!s.alerts[0].firing);

        // 14.5 minutes are within a stale_after of 15m, and past one of 14m
        spec.stale_after = Some(SignedDuration::from_mins(15));
        let s = status(&spec, &c, at);
        assert!(!s.stale);
        assert_eq!(s.state, DataState::Ok);
        assert_eq!(s.stale_after, "15m");
        spec.stale_after = Some(SignedDuration::from_mins(14));
        assert!(status(&spec, &c, at).stale);
    }

    #[test]
    fn a_query_engine_tells_staleness_by_the_empty_window() {
        // Prometheus gives counts of windows, not event times: the
        // stale_after window (fetched because windows_needed names it)
        // decides, and the last event stays unknown.
        use crate::slo::counts::WindowCounts;
        let at = ts("2026-11-23T12:00:00Z");
        let spec = slo(99.0, "30d", Budgeting::Occurrences);
        let needed = windows_needed(&spec, at);
        assert!(needed.ending_now.contains(&SignedDuration::from_mins(10)));
        let answered = |recent: u64| WindowCounts {
            at,
            windows: needed
                .ending_now
                .iter()
                .map(|w| {
                    let total = if *w <= SignedDuration::from_mins(10) {
                        recent
                    } else {
                        1000
                    };
                    (*w, Counts { good: total, total })
                })
                .collect(),
            earlier: Vec::new(),
        };
        let quiet = status(&spec, &answered(0), at);
        assert_eq!(quiet.last_event, None);
        assert!(quiet.stale);
        assert_eq!(quiet.state, DataState::Stale);
        assert_eq!(quiet.burn_rates.0[0], ("5m".to_owned(), None));
        let busy = status(&spec, &answered(10), at);
        assert!(!busy.stale);
        assert_eq!(busy.state, DataState::Ok);
        assert_eq!(busy.burn_rates.get("5m"), Some(0.0));
    }

    #[test]
    fn conditions_over_a_window_without_events_are_unknown_and_never_fire() {
        // `lt 1` would hold for a burn of 0; over an empty lookback the
        // burn is unknown and the condition quiet, with or without alertAfter.
        use crate::slo::spec::AlertCondition;
        let at = ts("2026-11-23T12:00:00Z");
        // traffic until an hour ago, all good
        let c = traffic("2026-11-22T00:00:00Z", "2026-11-23T11:00:00Z", |_| {
            (1000, 1000)
        });
        let mut spec = slo(99.0, "30d", Budgeting::Occurrences);
        for alert_after in [None, Some(SignedDuration::from_mins(5))] {
            spec.alerting.conditions = vec![AlertCondition {
                name: "too-quiet".into(),
                policy: "p".into(),
                severity: "page".into(),
                op: "lt".into(),
                threshold: 1.0,
                lookback_window: SignedDuration::from_mins(30),
                alert_after,
                notification_targets: Vec::new(),
            }];
            let s = status(&spec, &c, at);
            assert_eq!(s.conditions[0].burn_rate, None);
            assert!(!s.conditions[0].firing);
            assert!(!s.paging());
        }
        // over 2h the same condition sees good events: burn 0, it fires
        spec.alerting.conditions[0].lookback_window = SignedDuration::from_hours(2);
        spec.alerting.conditions[0].alert_after = None;
        let s = status(&spec, &c, at);
        assert_eq!(s.conditions[0].burn_rate, Some(0.0));
        assert!(s.conditions[0].firing);
    }
}
