//! The terminal view: a compact table with ✅ ⚠️ ❌, or plain words when
//! colors are off (NO_COLOR, or output that is not a terminal).

use std::fmt::Write;

use sloe_core::budget::Status;
use sloe_core::regression::Regression;
use sloe_core::report::{OverallStatus, Report, ResultEntry};
use sloe_core::units::format_number;

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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Ok,
    Warn,
    Fail,
}

fn mark(r: &ResultEntry) -> Mark {
    if r.blocking {
        Mark::Fail
    } else if r.status != Status::Pass || r.regression == Regression::Regression {
        Mark::Warn
    } else {
        Mark::Ok
    }
}

fn verdict_words(r: &ResultEntry) -> String {
    let status = match r.status {
        Status::Pass => "pass",
        Status::Drift => "drift",
        Status::Violation => "violation",
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

fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "%" | "/s" => format!("{}{unit}", format_number(v)),
        "count" | "" => format_number(v),
        _ => format!("{} {unit}", format_number(v)),
    }
}

/// Renders the report as a table with a summary line and recommendations.
pub fn render(report: &Report, style: Style) -> String {
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
            let change = match (r.change, r.regression) {
                (_, Regression::InsufficientData) => "-".to_owned(),
                (Some(c), _) => format!("{:+.1} %", c * 100.0),
                (None, _) => "-".to_owned(),
            };
            (
                mk,
                [
                    symbol.to_owned(),
                    r.benchmark.clone(),
                    r.measure.clone(),
                    r.statistic.clone(),
                    with_unit(r.value, &r.unit),
                    r.limit
                        .map_or_else(|| "-".to_owned(), |l| with_unit(l, &r.unit)),
                    r.percent_of_budget
                        .map_or_else(|| "-".to_owned(), |p| format!("{p:.1} %")),
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

    let s = &report.summary;
    let mut parts = Vec::new();
    for (n, word) in [
        (s.violations, "violation"),
        (s.regressions, "regression"),
        (s.drift, "drift"),
        (s.improvements, "improvement"),
    ] {
        if n > 0 {
            let plural = if n == 1 || word == "drift" { "" } else { "s" };
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
pub(crate) mod tests {
    use super::*;
    use sloe_core::budget::Severity;
    use sloe_core::report::{Finding, FindingKind, Metadata, REPORT_SCHEMA, Summary};

    pub(crate) fn sample_report() -> Report {
        let entry = |bench: &str,
                     value: f64,
                     limit: Option<f64>,
                     status: Status,
                     regression: Regression,
                     blocking: bool| ResultEntry {
            benchmark: bench.into(),
            measure: "wall_time".into(),
            unit: "ms".into(),
            statistic: "median".into(),
            value,
            limit,
            percent_of_budget: limit.map(|l| (value * 10000.0 / l).round() / 100.0),
            status,
            severity: if blocking {
                Severity::Critical
            } else {
                Severity::None
            },
            baseline: Some(1.16),
            change: Some(0.095),
            change_interval: Some([0.07, 0.12]),
            p_value: Some(0.001),
            regression,
            message: format!("{bench} message"),
            limit_kind: limit.map(|_| "max".into()),
            samples: 3,
            baseline_runs: 5,
            blocking,
        };
        Report {
            schema: REPORT_SCHEMA.into(),
            metadata: Metadata {
                timestamp: "2026-11-20T10:00:00Z".into(),
                commit: Some("a1b2c3d".into()),
                branch: Some("feature".into()),
                testbed: Some("ci-linux".into()),
                environment: Some("ci".into()),
                sloe_version: "0.1.0".into(),
                run_id: 12,
                baseline: "last 5 runs of main on ci-linux".into(),
                fail_on: vec!["violation".into(), "critical".into(), "regression".into()],
            },
            summary: Summary {
                status: OverallStatus::Failed,
                total: 3,
                passed: 2,
                drift: 0,
                violations: 1,
                regressions: 1,
                improvements: 0,
                compliance: 66.7,
            },
            results: vec![
                entry(
                    "parse-large",
                    1.27,
                    Some(1.15),
                    Status::Violation,
                    Regression::Regression,
                    true,
                ),
                entry(
                    "transpile-simple",
                    0.84,
                    Some(0.85),
                    Status::Pass,
                    Regression::None,
                    false,
                ),
                entry(
                    "lex",
                    0.2,
                    None,
                    Status::Pass,
                    Regression::InsufficientData,
                    false,
                ),
            ],
            violations: vec![Finding {
                benchmark: "parse-large".into(),
                measure: "wall_time".into(),
                kind: FindingKind::Budget,
                severity: Severity::Critical,
                message: "1.27 ms exceeds budget 1.15 ms by 10.4 %".into(),
                blocking: true,
            }],
            recommendations: vec!["parse-large wall_time breaks its budget.".into()],
        }
    }

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
