//! Markdown for a pull-request comment (and `$GITHUB_STEP_SUMMARY`).
//!
//! A status line, then what needs attention (violations, regressions,
//! drift) with value, limit, change and interval, then everything else
//! folded in `<details>`. The whole comment stays under GitHub's 65,536
//! character limit however many benchmarks there are: whole rows are left
//! out and counted, a table is never cut in the middle of a row.

use std::fmt::Write;

use sloe_core::budget::Severity;
use sloe_core::report::{OverallStatus, Report, ResultEntry};
use sloe_core::units::format_number;

use crate::text::{self, Mark, mark, verdict_words};

/// GitHub's limit on a comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Renders the report within [`GITHUB_COMMENT_LIMIT`] characters.
pub fn render(report: &Report) -> String {
    render_within(report, GITHUB_COMMENT_LIMIT)
}

/// Renders the report in at most `limit` characters (never less than the
/// status line and the tables' headers).
pub fn render_within(report: &Report, limit: usize) -> String {
    let report = &*crate::display::rounded(report);
    let s = &report.summary;
    let m = &report.metadata;
    let (icon, word) = match s.status {
        OverallStatus::Passed => ("✅", "passed"),
        OverallStatus::Warning => ("⚠️", "passed with warnings"),
        OverallStatus::Failed => ("❌", "failed"),
    };
    let mut counts = Vec::new();
    for (n, one, many) in [
        (s.violations, "violation", "violations"),
        (s.regressions, "regression", "regressions"),
        (s.inconclusive, "inconclusive", "inconclusive"),
        (s.drift, "drift", "drift"),
        (s.improvements, "improvement", "improvements"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let mut head = format!("## {icon} sloe: {word}");
    if !counts.is_empty() {
        let _ = write!(head, " · {}", counts.join(", "));
    }
    let _ = write!(
        head,
        " · {} of {} passed ({} %)\n\n",
        s.passed,
        s.total,
        format_number(s.compliance)
    );
    let mut ctx = Vec::new();
    if let Some(c) = &m.commit {
        ctx.push(format!("commit `{}`", c.get(..12).unwrap_or(c)));
    }
    if let Some(b) = &m.branch {
        ctx.push(format!("branch `{}`", escape(b)));
    }
    if let Some(t) = &m.testbed {
        ctx.push(format!("testbed `{}`", escape(t)));
    }
    ctx.push(format!("baseline: {}", escape(&m.baseline)));
    let _ = writeln!(head, "{}\n", ctx.join(" · "));

    let attention: Vec<&ResultEntry> = report
        .results
        .iter()
        .filter(|r| mark(r) != Mark::Ok)
        .collect();
    let rest: Vec<&ResultEntry> = report
        .results
        .iter()
        .filter(|r| mark(r) == Mark::Ok)
        .collect();

    // Budgets that judged nothing, before anything that may be cut.
    let unmatched: Vec<_> = text::unmatched_budgets(report).collect();
    if !unmatched.is_empty() {
        let n = unmatched.len();
        if text::empty_run(report) {
            head.push_str("### The run holds no results\n\n");
        } else {
            let _ = write!(
                head,
                "### {n} budget{} matched nothing in this run\n\n",
                if n == 1 { "" } else { "s" }
            );
        }
        for f in &unmatched {
            let icon = if f.blocking {
                "❌"
            } else if f.severity >= Severity::Warning {
                "⚠️"
            } else {
                "ℹ️"
            };
            let _ = writeln!(head, "- {icon} {}", escape(&f.message));
        }
        head.push('\n');
    }

    let mut recs = String::new();
    if !report.recommendations.is_empty() {
        recs.push_str("\n**What to do**\n\n");
        for r in &report.recommendations {
            let _ = writeln!(recs, "- {}", escape(r));
        }
    }
    let footer = format!(
        "\n<sub>sloe {} · run {} · full results in the JSON report</sub>\n",
        m.sloe_version, m.run_id
    );

    // Room left for tables once the fixed parts are in.
    let fixed = head.chars().count() + footer.chars().count();
    let mut room = limit.saturating_sub(fixed);
    let mut out = head;

    if !attention.is_empty() {
        let (table, _) = table("### Needs attention\n\n", &attention, &mut room, true);
        out.push_str(&table);
    }
    // Recommendations come before the folded table when they fit.
    let recs_len = recs.chars().count();
    let recs_fit = recs_len <= room;
    if recs_fit {
        room -= recs_len;
    }
    if !rest.is_empty() {
        let title = format!(
            "<details><summary>{} passing results</summary>\n\n",
            rest.len()
        );
        let closing = "\n</details>\n";
        let closing_len = closing.chars().count();
        if room > closing_len + title.chars().count() {
            room -= closing_len;
            let (table, _) = table(&title, &rest, &mut room, false);
            out.push('\n');
            out.push_str(&table);
            out.push_str(closing);
        }
    }
    if recs_fit {
        out.push_str(&recs);
    }
    out.push_str(&footer);
    out
}

const HEADER: &str = "| | benchmark | measure | statistic | value | limit | budget | change | interval | verdict |\n|---|---|---|---|--:|--:|--:|--:|--:|---|\n";

/// A table of `rows` that fits in `room` characters (taking what it uses);
/// rows that do not fit are counted in a closing line. Returns the text
/// and how many rows were left out.
fn table(
    title: &str,
    rows: &[&ResultEntry],
    room: &mut usize,
    with_message: bool,
) -> (String, usize) {
    let mut out = String::new();
    let fixed = title.chars().count() + HEADER.chars().count();
    // Reserve room for the "left out" line.
    const OMITTED_LINE: usize = 120;
    if *room < fixed + OMITTED_LINE {
        return (String::new(), rows.len());
    }
    *room -= fixed;
    out.push_str(title);
    out.push_str(HEADER);
    let mut shown = 0;
    let mut messages = String::new();
    for r in rows {
        let icon = match mark(r) {
            Mark::Ok => "✅",
            Mark::Warn => "⚠️",
            Mark::Fail => "❌",
        };
        let row = format!(
            "| {icon} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            escape(&r.benchmark),
            escape(&r.measure),
            r.statistic,
            text::in_row(r, r.value),
            r.limit
                .map_or_else(|| "-".to_owned(), |l| text::limit_in_row(r, l)),
            text::budget_share(r),
            text::change(r),
            text::interval(r),
            verdict_words(r),
        );
        let message = if with_message {
            format!(
                "- **{}** {}: {}\n",
                escape(&r.benchmark),
                escape(&r.measure),
                escape(&r.message)
            )
        } else {
            String::new()
        };
        let need = row.chars().count() + message.chars().count();
        if need + OMITTED_LINE > *room {
            break;
        }
        *room -= need;
        out.push_str(&row);
        messages.push_str(&message);
        shown += 1;
    }
    let omitted = rows.len() - shown;
    if omitted > 0 {
        let line = format!(
            "\n…and {omitted} more not shown here (the comment size limit); see the JSON report.\n"
        );
        *room = room.saturating_sub(line.chars().count());
        out.push_str(&line);
    }
    if !messages.is_empty() {
        out.push('\n');
        out.push_str(&messages);
    }
    (out, omitted)
}

/// Escapes what would break a table cell or start markup.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
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
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn series_from_nanoseconds_to_seconds_read_in_their_own_units() {
        let md = render(&crate::sample::spanning_report());
        for unreadable in ["0.000000000667", "0.0004845 us", "1777000", "0.0000242"] {
            assert!(!md.contains(unreadable), "{unreadable} in\n{md}");
        }
        insta::assert_snapshot!(md);
    }

    #[test]
    fn stays_under_the_limit_with_5000_benchmarks() {
        let mut report = sample_report();
        let template = report.results.clone();
        report.results = (0..5000)
            .map(|i| {
                let mut r = template[i % template.len()].clone();
                r.benchmark = format!("benchmark-with-a-long-name-{i:05}");
                r
            })
            .collect();
        let md = render(&report);
        assert!(
            md.chars().count() <= GITHUB_COMMENT_LIMIT,
            "{} chars",
            md.chars().count()
        );
        assert!(md.contains("more not shown here"));
        // every table row is whole: each row line has the 11 cell separators
        for line in md.lines().filter(|l| l.starts_with("| ")) {
            assert_eq!(line.matches(" | ").count() + 2, 11, "cut row: {line}");
        }
        assert!(md.contains("</details>"));
    }

    #[test]
    fn inconclusive_needs_attention_and_is_never_passing() {
        let md = render(&crate::sample::inconclusive_report());
        let sort = md
            .lines()
            .find(|l| l.starts_with("| ") && l.contains("sort"))
            .expect("a sort row");
        assert!(sort.starts_with("| ⚠️ |"), "{md}");
        let (attention, passing) = md.split_once("passing results").expect("both tables");
        assert!(attention.contains("| sort |"), "{md}");
        assert!(!passing.contains("| sort |"), "{md}");
        assert!(
            md.contains("### 2 budgets matched nothing in this run\n\n- ⚠️ budget 2"),
            "{md}"
        );
        insta::assert_snapshot!(md);
    }

    #[test]
    fn escapes_table_breakers() {
        let mut report = sample_report();
        report.results[0].benchmark = "a|b<script>".into();
        let md = render(&report);
        assert!(md.contains("a\\|b&lt;script&gt;"));
    }
}
