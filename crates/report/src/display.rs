//! Display rounding: the numbers of a report as every renderer shows them.
//!
//! sloe-core keeps full precision in the [`Report`]; people and the report
//! JSON get values without binary noise (`1.27`, not `1.2700000000000002`),
//! budget percentages to two decimals and compliance to one. Every
//! renderer rounds through here, so all formats show the same numbers.

use std::borrow::Cow;

use sloe_core::report::{Report, ResultEntry};

/// `report` with its numbers rounded for display. Rounding twice changes
/// nothing, so a report read back from its JSON renders the same; a report
/// already rounded ([`round`]) is borrowed, not copied, so a front end that
/// renders one report in several formats rounds it once.
pub fn rounded(report: &Report) -> Cow<'_, Report> {
    if is_rounded(report) {
        return Cow::Borrowed(report);
    }
    let mut report = report.clone();
    round(&mut report);
    Cow::Owned(report)
}

/// Rounds `report`'s numbers for display, in place.
pub fn round(report: &mut Report) {
    report.summary.compliance = round_to(report.summary.compliance, 1);
    for r in &mut report.results {
        round_entry(r);
    }
}

fn is_rounded(report: &Report) -> bool {
    let same = |v: f64, shown: f64| v == shown || (v.is_nan() && shown.is_nan());
    let tidy_opt = |v: Option<f64>| v.is_none_or(|v| same(v, tidy(v)));
    same(
        report.summary.compliance,
        round_to(report.summary.compliance, 1),
    ) && report.results.iter().all(|r| {
        same(r.value, tidy(r.value))
            && tidy_opt(r.limit)
            && r.percent_of_budget.is_none_or(|p| same(p, round_to(p, 2)))
            && tidy_opt(r.baseline)
            && tidy_opt(r.change)
            && r.change_interval
                .is_none_or(|[lo, hi]| same(lo, tidy(lo)) && same(hi, tidy(hi)))
            && tidy_opt(r.p_value)
            && tidy_opt(r.adjusted_p_value)
            && tidy_opt(r.min_detectable_change)
            && tidy_opt(r.creep)
            && tidy_opt(r.violation_at)
    })
}

fn round_entry(r: &mut ResultEntry) {
    let tidy_opt = |v: &mut Option<f64>| *v = v.map(tidy);
    r.value = tidy(r.value);
    tidy_opt(&mut r.limit);
    r.percent_of_budget = r.percent_of_budget.map(|p| round_to(p, 2));
    tidy_opt(&mut r.baseline);
    tidy_opt(&mut r.change);
    r.change_interval = r.change_interval.map(|[lo, hi]| [tidy(lo), tidy(hi)]);
    tidy_opt(&mut r.p_value);
    tidy_opt(&mut r.adjusted_p_value);
    tidy_opt(&mut r.min_detectable_change);
    tidy_opt(&mut r.creep);
    tidy_opt(&mut r.violation_at);
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (v * k).round() / k
}

/// Removes binary noise (1.2700000000000002 → 1.27) by keeping 12
/// significant digits.
fn tidy(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 12 - v.abs().log10().ceil() as i32;
    if !(-300..=300).contains(&digits) {
        return v;
    }
    round_to(v, digits)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use jiff::Timestamp;
    use sloe_core::config::{Document, Syntax};
    use sloe_core::evaluate::{Baseline, evaluate};
    use sloe_core::model::{Direction, Run, RunContext, RunHeader, RunId, Series};
    use sloe_core::units::Unit;

    use super::*;

    #[test]
    fn tidy_removes_binary_noise() {
        assert_eq!(tidy(1.2700000000000002), 1.27);
        assert_eq!(tidy(123456.0), 123456.0);
        assert_eq!(tidy(0.1 + 0.2), 0.3);
        assert_eq!(tidy(0.0), 0.0);
        assert!(tidy(f64::NAN).is_nan());
    }

    /// 1.26, 1.27 and 1.28 ms against a 1.15 ms budget with 5 % tolerance.
    fn over_budget() -> Report {
        let config = Document::parse(
            "[[budget]]\nbenchmark = \"t*\"\nmax = \"1.15ms\"\ntolerance = \"5%\"\n",
            "t.toml",
            Syntax::Toml,
        )
        .and_then(|d| d.resolve(None))
        .unwrap_or_else(|e| panic!("{e}"));
        let run = Run {
            header: RunHeader {
                id: RunId(7),
                context: RunContext {
                    commit: None,
                    branch: Some("main".into()),
                    testbed: None,
                    environment: None,
                    timestamp: Timestamp::UNIX_EPOCH,
                    ci: BTreeMap::new(),
                    fingerprint: None,
                },
                recorded_at: Timestamp::UNIX_EPOCH,
            },
            series: vec![Series {
                benchmark: "transpile".into(),
                measure: "wall_time".into(),
                unit: Unit::Milliseconds,
                direction: Direction::LowerIsBetter,
                values: vec![1.26e6, 1.27e6, 1.28e6],
                round_size: None,
            }],
        };
        let none = Baseline::History {
            description: "none".into(),
            runs: BTreeMap::new(),
        };
        evaluate(&config, &run, &none, "0")
    }

    #[test]
    fn every_format_shows_the_rounded_numbers_of_a_full_precision_report() {
        let report = over_budget();
        let full = &report.results[0];
        // Core keeps what it computed; the renderers round.
        assert_ne!(full.percent_of_budget, Some(110.43));
        let shown = rounded(&report);
        assert_eq!(shown.results[0].value, 1.27);
        assert_eq!(shown.results[0].percent_of_budget, Some(110.43));
        assert_eq!(shown.results[0].violation_at, Some(1.2075));

        let json = crate::json::render(&report);
        assert!(json.contains("\"percent_of_budget\": 110.43,"), "{json}");
        assert!(json.contains("\"value\": 1.27,"), "{json}");
        assert_eq!(json, crate::json::render(&shown));
        let markdown = crate::markdown::render(&report);
        assert_eq!(markdown, crate::markdown::render(&shown));
        let style = crate::terminal::Style {
            fancy: false,
            verbose: true,
        };
        assert_eq!(
            crate::terminal::render(&report, style),
            crate::terminal::render(&shown, style)
        );
        assert_eq!(crate::junit::render(&report), crate::junit::render(&shown));
        assert_eq!(
            crate::annotations::gitlab_metrics(&report),
            crate::annotations::gitlab_metrics(&shown)
        );
        assert!(
            crate::annotations::gitlab_metrics(&report).contains(" 1.27\n"),
            "{}",
            crate::annotations::gitlab_metrics(&report)
        );
    }

    #[test]
    fn rounding_twice_changes_nothing() {
        let full = over_budget();
        let once = rounded(&full).into_owned();
        assert!(
            matches!(rounded(&full), Cow::Owned(_)),
            "full precision is copied"
        );
        // Already rounded: borrowed, not copied, and the same.
        assert!(matches!(rounded(&once), Cow::Borrowed(_)));
        assert_eq!(*rounded(&once), once);
        let mut in_place = full.clone();
        round(&mut in_place);
        assert_eq!(in_place, once);
        // As when `sloe report` reads the JSON back.
        let read: Report = serde_json::from_str(&crate::json::render(&once)).expect("report json");
        assert_eq!(*rounded(&read), once);
    }
}
