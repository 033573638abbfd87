//! JUnit XML: one test case per (benchmark, measure, rule), where a rule is
//! a budget (`budget median max 1.15 ms`) or the regression check against
//! the baseline. Blocking verdicts are failures; a regression check without
//! enough baseline runs is skipped, with the reason.

use std::fmt::Write;

use sloe_core::regression::Regression;
use sloe_core::report::{Finding, FindingKind, Report, ResultEntry};

use crate::text::{self, alone, whole_seconds};

struct Case {
    classname: String,
    name: String,
    failure: Option<String>,
    skipped: Option<String>,
    out: String,
}

fn cases(r: &ResultEntry) -> Vec<Case> {
    let classname = format!("sloe.{}", r.benchmark);
    let mut cases = Vec::new();
    if let Some(limit) = r.limit {
        let kind = r.limit_kind.as_deref().unwrap_or("max");
        let budget_blocks = r.blocking && r.status != sloe_core::budget::Status::Pass;
        cases.push(Case {
            classname: classname.clone(),
            name: format!(
                "{} budget {} {kind} {}",
                r.measure,
                r.statistic,
                alone(limit, &r.unit)
            ),
            failure: budget_blocks.then(|| r.message.clone()),
            skipped: None,
            out: r.message.clone(),
        });
    }
    let regression_blocks = r.blocking
        && matches!(
            r.regression,
            Regression::Regression | Regression::Inconclusive
        )
        && !cases.iter().any(|c| c.failure.is_some());
    cases.push(Case {
        classname,
        name: format!("{} regression {} vs baseline", r.measure, r.statistic),
        failure: (regression_blocks || (r.blocking && r.limit.is_none()))
            .then(|| r.message.clone()),
        skipped: match r.regression {
            Regression::InsufficientData => Some(format!(
                "{} baseline runs: too few for a regression verdict",
                r.baseline_runs
            )),
            // Not a pass: the test ran but could not tell.
            Regression::Inconclusive => Some(format!(
                "inconclusive: the test could not tell at this noise (change {}, interval {}{})",
                crate::text::change(r),
                crate::text::interval(r),
                r.min_detectable_change
                    .map(|m| format!(", detectable from {:.1} %", m * 100.0))
                    .unwrap_or_default(),
            )),
            _ => None,
        },
        out: r.message.clone(),
    });
    cases
}

/// A budget that matched nothing: a case of its own, skipped with the
/// reason (it judged nothing, so it neither passed nor failed).
fn unmatched_case(f: &Finding) -> Case {
    let name = if f.kind == FindingKind::EmptyRun {
        "the run holds results".to_owned()
    } else {
        format!("budget {} {} matches a series", f.benchmark, f.measure)
    };
    // What the run lacks fails the case when policy blocks on it.
    let (failure, skipped) = if f.blocking {
        (Some(f.message.clone()), None)
    } else {
        (None, Some(f.message.clone()))
    };
    Case {
        classname: "sloe.budgets".to_owned(),
        name,
        failure,
        skipped,
        out: f.message.clone(),
    }
}

/// Renders the report as a JUnit XML document.
pub fn render(report: &Report) -> String {
    let report = &*crate::display::rounded(report);
    let all: Vec<Case> = report
        .results
        .iter()
        .flat_map(cases)
        .chain(text::unmatched_budgets(report).map(unmatched_case))
        .collect();
    let failures = all.iter().filter(|c| c.failure.is_some()).count();
    let skipped = all
        .iter()
        .filter(|c| c.skipped.is_some() && c.failure.is_none())
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sloe\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        all.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"sloe check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
        all.len(),
        xml(&whole_seconds(&report.metadata.timestamp))
    );
    let _ = writeln!(out, "    <properties>");
    for (k, v) in [
        ("commit", &report.metadata.commit),
        ("branch", &report.metadata.branch),
        ("testbed", &report.metadata.testbed),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "      <property name=\"{k}\" value=\"{}\"/>", xml(v));
        }
    }
    let _ = writeln!(
        out,
        "      <property name=\"baseline\" value=\"{}\"/>",
        xml(&report.metadata.baseline)
    );
    let _ = writeln!(out, "    </properties>");
    for c in &all {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
            xml(&c.classname),
            xml(&c.name)
        );
        out.push_str(">\n");
        if let Some(f) = &c.failure {
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"sloe\">{}</failure>",
                xml(f),
                xml(f)
            );
        } else if let Some(s) = &c.skipped {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", xml(s));
        }
        let _ = writeln!(out, "      <system-out>{}</system-out>", xml(&c.out));
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes text for XML content and attributes, dropping characters XML 1.0 cannot carry.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    #[test]
    fn names_and_messages_read_in_units_that_suit_them() {
        let xml = render(&crate::sample::spanning_report());
        assert!(
            xml.contains("name=\"throughput budget median min 300 MB/s\""),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"2 s exceeds budget 1.5 s by 33.3 %"),
            "{xml}"
        );
        assert!(xml.contains("1.777 ms is 88.8 % of budget 2 ms"), "{xml}");
        assert!(
            !xml.contains("1777000") && !xml.contains("0.000000000667"),
            "{xml}"
        );
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn counts_add_up() {
        let xml = render(&sample_report());
        assert!(
            xml.contains("tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{xml}"
        );
    }

    #[test]
    fn inconclusive_is_skipped_with_the_reason() {
        let xml = render(&crate::sample::inconclusive_report());
        assert!(
            xml.contains("<skipped message=\"inconclusive: the test could not tell at this noise (change +83.9 %, interval -8.6 … +269.9 %, detectable from 101.1 %)\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("name=\"budget * wal_time matches a series\""),
            "{xml}"
        );
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn a_blocking_inconclusive_fails_its_regression_case() {
        // `policy.fail_on = ["inconclusive"]`: the budget passed, so the
        // regression case carries the failure.
        let mut report = crate::sample::inconclusive_report();
        report.results[0].blocking = true;
        let xml = render(&report);
        assert!(
            xml.contains("failures=\"1\"")
                && xml
                    .contains("<failure message=\"0.5927 s is 59.3 % of budget 1 s; inconclusive"),
            "{xml}"
        );
        let regression_case = xml
            .split("<testcase ")
            .find(|c| {
                c.contains("name=\"wall_time regression median vs baseline\"")
                    && c.contains("sloe.sort")
            })
            .expect("the sort regression case");
        assert!(regression_case.contains("<failure"), "{xml}");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
