//! CI annotations: GitHub Actions workflow commands (`::error`,
//! `::warning`) and a GitLab metrics report (`metrics.txt`).

use std::fmt::Write;

use sloe_core::report::Report;

use crate::text::{Mark, mark};

/// `::error title=...::message` for blocking verdicts, `::warning` for the
/// rest that needs attention (drift, non-blocking regressions,
/// inconclusive results, budgets that matched nothing).
pub fn github(report: &Report) -> String {
    let report = &*crate::display::rounded(report);
    let mut out = String::new();
    for r in &report.results {
        let level = match mark(r) {
            Mark::Fail => "error",
            Mark::Warn => "warning",
            Mark::Ok => continue,
        };
        let _ = writeln!(
            out,
            "::{level} title={}::{}",
            property(&format!("sloe: {} {}", r.benchmark, r.measure)),
            data(&r.message)
        );
    }
    for f in crate::text::unmatched_budgets(report) {
        let level = if f.blocking {
            "error"
        } else if f.severity >= sloe_core::budget::Severity::Warning {
            "warning"
        } else {
            "notice"
        };
        let _ = writeln!(
            out,
            "::{level} title={}::{}",
            property(&format!("sloe: budget {} {}", f.benchmark, f.measure)),
            data(&f.message)
        );
    }
    out
}

/// GitLab's metrics report: one `name value` line per result.
pub fn gitlab_metrics(report: &Report) -> String {
    let report = &*crate::display::rounded(report);
    let mut out = String::new();
    for r in &report.results {
        let name: String = format!("{}_{}_{}_{}", r.benchmark, r.measure, r.statistic, r.unit)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let _ = writeln!(out, "{name} {}", r.value);
    }
    out
}

// Escaping from GitHub's toolkit (`@actions/core` command.ts): data escapes
// %, CR and LF; properties also escape `:` and `,`.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    #[test]
    fn github_commands() {
        let text = github(&sample_report());
        assert!(
            text.starts_with("::error title=sloe%3A parse-large wall_time::"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1);
        assert_eq!(data("50%\nx"), "50%25%0Ax");
    }

    #[test]
    fn inconclusive_and_unmatched_budgets_are_warnings_or_notices() {
        let text = github(&crate::sample::inconclusive_report());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[2].starts_with("::notice title=sloe%3A budget lex wall_time::budget 3"),
            "{text}"
        );
        assert!(
            lines[0].starts_with("::warning title=sloe%3A sort wall_time::"),
            "{text}"
        );
        assert!(
            lines[1].starts_with("::warning title=sloe%3A budget * wal_time::budget 2"),
            "{text}"
        );
    }

    #[test]
    fn gitlab_metrics_lines() {
        let text = gitlab_metrics(&sample_report());
        assert!(
            text.contains("parse_large_wall_time_median_ms 1.27"),
            "{text}"
        );
    }
}
