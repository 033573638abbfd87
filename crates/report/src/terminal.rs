//! The terminal view: a compact table with ✅ ⚠️ ❌, or plain words when
//! colors are off (NO_COLOR, or output that is not a terminal).

use std::fmt::Write;

use sloe_core::budget::Severity;
use sloe_core::report::{FindingKind, OverallStatus, Report, ResultEntry};
use sloe_core::units::format_number;

use crate::text::{self, Mark, mark, verdict_words};

/// How to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Emoji and ANSI colors; off for NO_COLOR and non-terminals.
    pub fancy: bool,
    /// Show every result's message, not only findings.
    pub verbose: bool,
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Renders the report as a table with a summary line and recommendations.
pub fn render(report: &Report, style: Style) -> String {
    let report = &*crate::display::rounded(report);
    let paint = |code: &str, text: &str| {
        if style.fancy {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    let m = &report.metadata;
    let mut head = format!("sloe check · run {}", m.run_id);
    for (label, v) in [
        ("commit", &m.commit),
        ("branch", &m.branch),
        ("testbed", &m.testbed),
    ] {
        if let Some(v) = v {
            let v = if label == "commit" && v.len() > 12 {
                &v[..12]
            } else {
                v.as_str()
            };
            let _ = write!(head, " · {label} {v}");
        }
    }
    let _ = writeln!(out, "{}", paint(BOLD, &head));
    let _ = writeln!(out, "{}", paint(DIM, &format!("baseline: {}", m.baseline)));
    out.push('\n');

    let header = [
        "",
        "benchmark",
        "measure",
        "stat",
        "value",
        "limit",
        "budget",
        "change",
        "verdict",
    ];
    let rows: Vec<(Mark, [String; 9])> = report
        .results
        .iter()
        .map(|r| {
            let mk = mark(r);
            let symbol = match (style.fancy, mk) {
                (true, Mark::Ok) => "✅",
                (true, Mark::Warn) => "⚠️",
                (true, Mark::Fail) => "❌",
                (false, Mark::Ok) => "PASS",
                (false, Mark::Warn) => "WARN",
                (false, Mark::Fail) => "FAIL",
            };
            let change = text::change(r);
            (
                mk,
                [
                    symbol.to_owned(),
                    r.benchmark.clone(),
                    r.measure.clone(),
                    r.statistic.clone(),
                    text::in_row(r, r.value),
                    r.limit
                        .map_or_else(|| "-".to_owned(), |l| text::limit_in_row(r, l)),
                    text::budget_share(r),
                    change,
                    verdict_words(r),
                ],
            )
        })
        .collect();
    // Emoji take two columns in terminals; the plain words are four wide.
    let width = |col: usize, s: &str| {
        if col == 0 && style.fancy {
            2
        } else {
            s.chars().count()
        }
    };
    let mut widths = [0usize; 9];
    for (i, h) in header.iter().enumerate() {
        widths[i] = width(i, h);
    }
    for (_, cells) in &rows {
        for (i, c) in cells.iter().enumerate() {
            widths[i] = widths[i].max(width(i, c));
        }
    }
    if style.fancy {
        widths[0] = 2;
    }
    let line = |cells: &[String], out: &mut String| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(width(i, c));
            let right = (4..=7).contains(&i);
            if right {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        let _ = writeln!(out, "{}", s.trim_end());
    };
    if rows.is_empty() {
        let _ = writeln!(out, "no results in this run");
    } else {
        let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let mut h = String::new();
        line(&head, &mut h);
        out.push_str(&paint(DIM, h.trim_end()));
        out.push('\n');
        for (mk, cells) in &rows {
            let mut l = String::new();
            line(cells, &mut l);
            let color = match mk {
                Mark::Ok => None,
                Mark::Warn => Some(YELLOW),
                Mark::Fail => Some(RED),
            };
            match color {
                Some(c) if style.fancy => {
                    let _ = writeln!(out, "{c}{}{RESET}", l.trim_end());
                }
                _ => out.push_str(&l),
            }
        }
    }

    let findings: Vec<&ResultEntry> = report
        .results
        .iter()
        .filter(|r| style.verbose || mark(r) != Mark::Ok)
        .collect();
    if !findings.is_empty() {
        out.push('\n');
        for r in findings {
            let _ = writeln!(out, "  {} {}: {}", r.benchmark, r.measure, r.message);
        }
    }

    // A budget that judged nothing is said, never left to silence.
    let unmatched: Vec<_> = text::unmatched_budgets(report).collect();
    if !unmatched.is_empty() {
        out.push('\n');
        for f in &unmatched {
            let line = match (style.fancy, f.severity) {
                (true, _) if f.blocking => paint(RED, &format!("❌ {}", f.message)),
                (false, _) if f.blocking => format!("FAIL {}", f.message),
                (true, Severity::Info) => format!("ℹ️ {}", f.message),
                (false, Severity::Info) => format!("INFO {}", f.message),
                (true, _) => paint(YELLOW, &format!("⚠️ {}", f.message)),
                (false, _) => format!("WARN {}", f.message),
            };
            let _ = writeln!(out, "{line}");
        }
    }
    let unmatched_warnings = unmatched
        .iter()
        .filter(|f| f.kind == FindingKind::UnmatchedBudget)
        .filter(|f| f.severity >= Severity::Warning || f.blocking)
        .count();
    let empty = usize::from(text::empty_run(report));

    let s = &report.summary;
    let mut parts = Vec::new();
    for (n, word) in [
        (s.violations, "violation"),
        (s.regressions, "regression"),
        (s.inconclusive, "inconclusive"),
        (s.drift, "drift"),
        (s.improvements, "improvement"),
        (empty, "empty run"),
        (unmatched_warnings, "unmatched budget"),
    ] {
        if n > 0 {
            let plural = if n == 1 || word == "drift" || word == "inconclusive" {
                ""
            } else {
                "s"
            };
            parts.push(format!("{n} {word}{plural}"));
        }
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!("{} · ", parts.join(", "))
    };
    let summary = format!(
        "{}: {detail}{} of {} passed ({} %)",
        match s.status {
            OverallStatus::Passed => "PASSED",
            OverallStatus::Warning => "PASSED WITH WARNINGS",
            OverallStatus::Failed => "FAILED",
        },
        s.passed,
        s.total,
        format_number(s.compliance)
    );
    let color = match s.status {
        OverallStatus::Passed => GREEN,
        OverallStatus::Warning => YELLOW,
        OverallStatus::Failed => RED,
    };
    out.push('\n');
    let _ = writeln!(out, "{}", paint(&format!("{BOLD}{color}"), &summary));
    if s.status == OverallStatus::Failed {
        let _ = writeln!(out, "policy fails on: {}", m.fail_on.join(", "));
    }
    if s.regressions + s.inconclusive > 0 && !m.false_alarm_control.is_empty() {
        let _ = writeln!(out, "regression tests: {}", m.false_alarm_control);
    }
    if !report.recommendations.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "Recommendations:");
        for r in &report.recommendations {
            let _ = writeln!(out, "  - {r}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    #[test]
    fn plain_table() {
        let text = render(
            &sample_report(),
            Style {
                fancy: false,
                verbose: false,
            },
        );
        assert!(!text.contains('\x1b'));
        insta::assert_snapshot!(text);
    }

    #[test]
    fn series_from_nanoseconds_to_seconds_read_in_their_own_units() {
        let text = render(
            &crate::sample::spanning_report(),
            Style {
                fancy: false,
                verbose: true,
            },
        );
        for unreadable in ["0.000000000667", "0.0004845 us", "1777000", "0.0000242"] {
            assert!(!text.contains(unreadable), "{unreadable} in\n{text}");
        }
        insta::assert_snapshot!(text);
    }

    #[test]
    fn inconclusive_is_a_warning_never_a_pass() {
        let report = crate::sample::inconclusive_report();
        let plain = render(
            &report,
            Style {
                fancy: false,
                verbose: false,
            },
        );
        let sort = plain
            .lines()
            .find(|l| l.contains("sort"))
            .expect("a sort row");
        assert!(sort.starts_with("WARN"), "{plain}");
        assert!(sort.ends_with("inconclusive"), "{plain}");
        let fancy = render(
            &report,
            Style {
                fancy: true,
                verbose: false,
            },
        );
        let sort = fancy
            .lines()
            .find(|l| l.contains("sort"))
            .expect("a sort row");
        assert!(sort.contains("⚠️") && !sort.contains("✅"), "{fancy}");
        insta::assert_snapshot!(plain);
    }

    #[test]
    fn fancy_table_uses_symbols_and_color() {
        let text = render(
            &sample_report(),
            Style {
                fancy: true,
                verbose: false,
            },
        );
        assert!(text.contains("❌") && text.contains("✅"));
        assert!(text.contains(RED));
    }
}
