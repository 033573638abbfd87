//! Wording shared by the renderers, so every format says the same thing.

use sloe_core::budget::Status;
use sloe_core::regression::Regression;
use sloe_core::report::ResultEntry;
use sloe_core::units::format_number;

/// How a result is marked: fine, worth a look, or blocking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Ok,
    Warn,
    Fail,
}

pub(crate) fn mark(r: &ResultEntry) -> Mark {
    if r.blocking {
        Mark::Fail
    } else if r.status != Status::Pass || r.regression == Regression::Regression {
        Mark::Warn
    } else {
        Mark::Ok
    }
}

/// "violation, regression", "pass", "no baseline yet", ...
pub(crate) fn verdict_words(r: &ResultEntry) -> String {
    let status = match r.status {
        Status::Pass => "pass",
        Status::Drift => "drift",
        Status::Violation => "violation",
        Status::Known => "known violation",
    };
    let regression = match r.regression {
        Regression::None => None,
        Regression::Improvement => Some("improvement"),
        Regression::Regression => Some("regression"),
        Regression::InsufficientData => Some("no baseline yet"),
    };
    match (r.limit.is_some(), regression) {
        (true, Some(reg)) => format!("{status}, {reg}"),
        (true, None) => status.to_owned(),
        (false, Some(reg)) => reg.to_owned(),
        (false, None) => "ok".to_owned(),
    }
}

/// A value with its unit: `1.27 ms`, `80%`, `1000/s`, `42`.
pub(crate) fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "%" | "/s" => format!("{}{unit}", format_number(v)),
        "count" | "" => format_number(v),
        _ => format!("{} {unit}", format_number(v)),
    }
}

/// `+9.5 %`, or `-` when there is no verdict.
pub(crate) fn change(r: &ResultEntry) -> String {
    match (r.change, r.regression) {
        (_, Regression::InsufficientData) | (None, _) => "-".to_owned(),
        (Some(c), _) => format!("{:+.1} %", c * 100.0),
    }
}

/// `+7.0 … +12.0 %`, or `-`.
pub(crate) fn interval(r: &ResultEntry) -> String {
    match (r.change_interval, r.regression) {
        (_, Regression::InsufficientData) | (None, _) => "-".to_owned(),
        (Some([lo, hi]), _) => format!("{:+.1} … {:+.1} %", lo * 100.0, hi * 100.0),
    }
}
