//! Wording shared by the renderers, so every format says the same thing.

use sloe_core::budget::Status;
use sloe_core::regression::Regression;
use sloe_core::report::{Finding, FindingKind, Report, ResultEntry};
use sloe_core::units::{Scale, Unit};

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
    } else if r.status != Status::Pass
        || matches!(
            r.regression,
            Regression::Regression | Regression::Inconclusive
        )
    {
        // An inconclusive test is never a pass: the change it could not
        // see may be there.
        Mark::Warn
    } else {
        Mark::Ok
    }
}

/// The findings about what the run lacks: no series at all (first), and
/// budgets that matched nothing in it.
pub(crate) fn unmatched_budgets(report: &Report) -> impl Iterator<Item = &Finding> {
    let empty = report
        .violations
        .iter()
        .filter(|f| f.kind == FindingKind::EmptyRun);
    empty.chain(
        report
            .violations
            .iter()
            .filter(|f| f.kind == FindingKind::UnmatchedBudget),
    )
}

/// Whether the report says the run holds no series.
pub(crate) fn empty_run(report: &Report) -> bool {
    report
        .violations
        .iter()
        .any(|f| f.kind == FindingKind::EmptyRun)
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
        Regression::Inconclusive => Some("inconclusive"),
    };
    match (r.limit.is_some(), regression) {
        (true, Some(reg)) => format!("{status}, {reg}"),
        (true, None) => status.to_owned(),
        (false, Some(reg)) => reg.to_owned(),
        (false, None) => "ok".to_owned(),
    }
}

/// The one scale a result's row is shown in: the unit its value reads best
/// in, so value and limit line up (`24.2 µs` beside `1100000 µs`, never
/// `0.0000242 s`). A zero value leaves the choice to the limit.
pub(crate) fn row_scale(r: &ResultEntry) -> (Unit, Scale) {
    let unit = Unit::parse(&r.unit);
    let typical = if r.value != 0.0 {
        r.value
    } else {
        r.limit.unwrap_or(0.0)
    };
    let scale = Scale::for_values(&unit, &[unit.to_canonical(typical)]);
    (unit, scale)
}

/// `v`, a value of `r` in the report's unit, in the row's scale.
pub(crate) fn in_row(r: &ResultEntry, v: f64) -> String {
    let (unit, scale) = row_scale(r);
    scale.show(unit.to_canonical(v))
}

/// `r`'s share of its budget with one decimal; a share too small for it
/// (the report keeps two decimals) reads `<0.1 %`, never `0.0 %`: 24 µs of
/// a 1.1 s budget is not nothing.
pub(crate) fn budget_share(r: &ResultEntry) -> String {
    match r.percent_of_budget {
        None => "-".to_owned(),
        Some(p) if p.abs() < 0.05 && r.value != 0.0 => "<0.1 %".to_owned(),
        Some(p) => format!("{p:.1} %"),
    }
}

/// A limit of `r` in the row's scale while it reads within a thousandfold
/// of the value there; a limit further away reads in its own scale
/// (`24.2 µs` of `1.1 s`, never of `1100000 µs`).
pub(crate) fn limit_in_row(r: &ResultEntry, limit: f64) -> String {
    let (unit, scale) = row_scale(r);
    let shown = scale.value(unit.to_canonical(limit)).abs();
    if shown >= 10_000.0 || (shown > 0.0 && shown < 0.01) {
        alone(limit, &r.unit)
    } else {
        scale.show(unit.to_canonical(limit))
    }
}

/// `v` in `unit` on its own, in the scale that suits it (a JUnit case
/// name keeps the limit's words whatever the value was).
pub(crate) fn alone(v: f64, unit: &str) -> String {
    let unit = Unit::parse(unit);
    let canonical = unit.to_canonical(v);
    Scale::for_values(&unit, &[canonical]).show(canonical)
}

/// An RFC 3339 timestamp without its fraction of a second
/// (`2026-11-20T10:00:00.123456789Z` reads `2026-11-20T10:00:00Z`).
pub(crate) fn whole_seconds(ts: &str) -> String {
    let Some(t) = ts.find('T') else {
        return ts.to_owned();
    };
    match ts[t..].find('.') {
        Some(dot) => {
            let start = t + dot;
            let end = ts[start + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(ts.len(), |i| start + 1 + i);
            format!("{}{}", &ts[..start], &ts[end..])
        }
        None => ts.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_lose_their_fraction_only() {
        assert_eq!(
            whole_seconds("2026-11-20T10:00:00.123456789Z"),
            "2026-11-20T10:00:00Z"
        );
        assert_eq!(
            whole_seconds("2026-11-20T10:00:00.5+01:00"),
            "2026-11-20T10:00:00+01:00"
        );
        assert_eq!(
            whole_seconds("2026-11-20T10:00:00Z"),
            "2026-11-20T10:00:00Z"
        );
        assert_eq!(whole_seconds("not a time"), "not a time");
    }
}
