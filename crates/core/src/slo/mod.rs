//! SLO math: windows, event counts, error budgets, burn rates and
//! multiwindow multi-burn-rate alerts. Pure: every function takes the time
//! it judges at; nothing here reads a clock or a store.
//!
//! Words follow DESIGN.md: an SLO has an `objective` (0.999) over a
//! `window`; its error budget is `1 − objective` of the window's events (or
//! timeslices); the burn rate over a window is
//! `(1 − SLI over that window) / (1 − objective)`.

pub mod alerts;
pub mod conditions;
pub mod counts;
pub mod error_budget;
pub mod events;
pub mod forecast;
pub mod history;
pub mod policy;
pub mod rules;
pub mod spec;
pub mod status;
pub mod window;

pub use alerts::{AlertRule, AlertSeverity, AlertState};
pub use counts::{Counts, MinuteCounts};
pub use error_budget::{ErrorBudget, burn_rate, error_budget, sli};
pub use events::{
    Classification, CountOverflow, Event, EventBatch, EventBucket, EventError, EventKind,
    EventReader, LatencyHistogram,
};
pub use forecast::{Forecast, ForecastInput, ForecastMethod, forecast};
pub use window::{CalendarUnit, Window};
