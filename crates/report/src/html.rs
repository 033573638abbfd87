//! The HTML dashboard: ONE self-contained file (inline CSS, JS and SVG,
//! nothing fetched at view time). Status cards, and per result a trend
//! chart over 7/30/90 days with value and time axes in one unit per chart,
//! the budget line and tolerance band (a budget far from the values is a
//! marker at the edge, so it cannot flatten them), baseline, level shifts
//! and the current run marked; tooltips; sort and filter;
//! and the judged run's resource timelines (CPU % and RSS over time)
//! where `sloe run` sampled them.
//!
//! The page's state lives in the URL hash (`#range=7&filter=attention`),
//! so a view can be shared as a link. Data is embedded once as compact
//! JSON (runs in one table, values aligned to it, four significant
//! digits), which keeps 200 benchmarks × 500 runs well under 2 MB.

use serde_json::{Value, json};
use sloe_core::Timeline;
use sloe_core::report::Report;
use sloe_core::units::{Scale, Unit};

use crate::text::{Mark, mark, verdict_words, whole_seconds};

const TEMPLATE: &str = include_str!("dashboard.html");

/// One recorded run, for the time axis and tooltips.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRun {
    pub id: i64,
    /// Seconds since the Unix epoch.
    pub timestamp: i64,
    pub commit: Option<String>,
    pub branch: Option<String>,
}

/// One result's values across runs, in the result's display unit.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySeries {
    pub benchmark: String,
    pub measure: String,
    pub statistic: String,
    /// Aligned with [`History::runs`]; `None` where a run lacks the series.
    pub values: Vec<Option<f64>>,
    /// Indices into [`History::runs`] where the series shifted.
    pub change_points: Vec<usize>,
}

/// The history a dashboard plots: runs oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub runs: Vec<HistoryRun>,
    /// The base branch: its runs make each trend's line (and its change
    /// points); runs of other branches are drawn as points of their own
    /// ("branch runs"). `None`: every run is on the line.
    pub base_branch: Option<String>,
    pub series: Vec<HistorySeries>,
    /// CPU and memory over time of the judged run's benchmarks, where
    /// `sloe run` sampled them.
    pub timelines: Vec<Timeline>,
}

/// At most this many points per timeline in the page; longer timelines are
/// cut into that many slices, each keeping its highest CPU % and RSS (so a
/// burst never disappears) at its last time.
const TIMELINE_POINTS: usize = 400;

fn timeline_json(t: &Timeline) -> Value {
    let n = t.points.len();
    let per = n.div_ceil(TIMELINE_POINTS).max(1);
    let pts: Vec<Value> = t
        .points
        .chunks(per)
        .filter_map(|c| {
            let last = c.last()?;
            let cpu = c.iter().map(|p| p.cpu_percent).fold(0.0, f64::max);
            let rss = c.iter().map(|p| p.rss).max().unwrap_or(0);
            Some(json!([round4(last.at_ms / 1e3), round4(cpu), rss]))
        })
        .collect();
    json!({ "b": t.benchmark, "pts": pts })
}

fn round4(v: f64) -> Value {
    if !v.is_finite() {
        return Value::Null;
    }
    if v == 0.0 {
        return json!(0);
    }
    let digits = 4 - v.abs().log10().ceil() as i32;
    let k = 10f64.powi(digits.clamp(-300, 300));
    json!((v * k).round() / k)
}

/// Renders the dashboard for `report` with `history` (which should include
/// the report's own run).
pub fn render(report: &Report, history: &History, project: Option<&str>) -> String {
    let report = &*crate::display::rounded(report);
    let mut branches: Vec<String> = Vec::new();
    let runs: Vec<Value> = history
        .runs
        .iter()
        .map(|r| {
            let b = r.branch.clone().unwrap_or_default();
            let bi = branches.iter().position(|x| *x == b).unwrap_or_else(|| {
                branches.push(b);
                branches.len() - 1
            });
            let off_base = history
                .base_branch
                .as_ref()
                .is_some_and(|base| r.branch.as_ref() != Some(base));
            json!([
                r.id,
                r.timestamp,
                r.commit.as_deref().map(|c| c.get(..10).unwrap_or(c)),
                bi,
                u8::from(off_base)
            ])
        })
        .collect();
    let current = history
        .runs
        .iter()
        .position(|r| r.id == report.metadata.run_id)
        .unwrap_or(history.runs.len().saturating_sub(1));
    let charts: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            let series = history
                .series
                .iter()
                .find(|s| s.benchmark == r.benchmark && s.measure == r.measure && s.statistic == r.statistic);
            // One unit per chart, from the values it plots: a 24 µs
            // series recorded in seconds reads in µs on its axis.
            let unit = Unit::parse(&r.unit);
            let canonical: Vec<f64> = series
                .map(|s| s.values.iter().flatten().copied().collect::<Vec<f64>>())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| vec![r.value])
                .into_iter()
                .map(|v| unit.to_canonical(v))
                .collect();
            let scale = Scale::for_values(&unit, &canonical);
            let shown = |v: f64| round4(scale.value(unit.to_canonical(v)));
            let values: Vec<Value> = match series {
                Some(s) => s.values.iter().map(|v| v.map_or(Value::Null, shown)).collect(),
                None => Vec::new(),
            };
            json!({
                "b": r.benchmark, "m": r.measure, "s": r.statistic, "u": scale.symbol(),
                "st": match mark(r) { Mark::Ok => "ok", Mark::Warn => "warn", Mark::Fail => "fail" },
                "verdict": verdict_words(r), "msg": r.message,
                "value": shown(r.value),
                "limit": r.limit.map(shown),
                // The limit in its own unit, for a marker when it is off the scale.
                "lt": r.limit.map(|l| crate::text::alone(l, &r.unit)), "tol": r.violation_at.map(shown), "base": r.baseline.map(shown),
                "change": r.change.map(round4),
                "v": values,
                "cp": series.map(|s| s.change_points.clone()).unwrap_or_default(),
            })
        })
        .collect();
    let m = &report.metadata;
    let data = json!({
        "meta": {
            "project": project, "commit": m.commit, "branch": m.branch, "testbed": m.testbed,
            "timestamp": whole_seconds(&m.timestamp), "run_id": m.run_id, "baseline": m.baseline,
        },
        "summary": report.summary,
        "unmatched": crate::text::unmatched_budgets(report).map(|f| f.message.as_str()).collect::<Vec<_>>(),
        "runs": runs, "branches": branches, "current": current, "charts": charts,
        "timelines": history.timelines.iter().map(timeline_json).collect::<Vec<_>>(),
    });
    // `</` inside a script element would end it early.
    let embedded = data.to_string().replace("</", "<\\/");
    let title = html_escape(project.unwrap_or("performance budgets"));
    TEMPLATE
        .replacen("__TITLE__", &title, 1)
        .replacen("__DATA__", &embedded, 1)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A dashboard fixture: `benchmarks` results over `runs` daily runs.
#[doc(hidden)]
pub fn synthetic(benchmarks: usize, runs: usize) -> (Report, History) {
    use sloe_core::budget::{Severity, Status};
    use sloe_core::regression::Regression;
    use sloe_core::report::{Metadata, OverallStatus, REPORT_SCHEMA, ResultEntry, Summary};

    let t_end: i64 = 1_795_000_000;
    let history_runs: Vec<HistoryRun> = (0..runs)
        .map(|i| HistoryRun {
            id: i as i64 + 1,
            timestamp: t_end - (runs - 1 - i) as i64 * 86_400 / 4,
            commit: Some(format!("{:010x}", 0xabc000 + i)),
            branch: Some(if i % 7 == 0 {
                "feature".into()
            } else {
                "main".into()
            }),
        })
        .collect();
    let mut results = Vec::new();
    let mut series = Vec::new();
    for b in 0..benchmarks {
        let level = 1.0 + b as f64 * 0.37;
        let values: Vec<Option<f64>> = (0..runs)
            .map(|i| {
                let wobble = ((i * 31 + b * 17) % 13) as f64 / 13.0 - 0.5;
                let step = if i > runs * 2 / 3 && b % 5 == 0 {
                    1.2
                } else {
                    1.0
                };
                (i % 11 != 5 || b % 3 != 0).then_some(level * step * (1.0 + 0.04 * wobble))
            })
            .collect();
        let value = values
            .iter()
            .rev()
            .flatten()
            .next()
            .copied()
            .unwrap_or(level);
        let (status, blocking) = match b % 5 {
            0 => (Status::Violation, true),
            1 => (Status::Drift, false),
            _ => (Status::Pass, false),
        };
        results.push(ResultEntry {
            benchmark: format!("bench-{b:03}"),
            measure: "wall_time".into(),
            unit: "ms".into(),
            statistic: "median".into(),
            value,
            limit: Some(level * 1.1),
            percent_of_budget: Some(value / (level * 1.1) * 100.0),
            status,
            severity: if blocking {
                Severity::Critical
            } else {
                Severity::None
            },
            baseline: Some(level),
            change: Some(value / level - 1.0),
            change_interval: Some([0.0, 0.1]),
            p_value: Some(0.01),
            adjusted_p_value: Some(0.01),
            min_detectable_change: Some(0.05),
            creep: None,
            change_point: false,
            regression: Regression::None,
            message: format!("bench-{b:03} message"),
            limit_kind: Some("max".into()),
            violation_at: Some(level * 1.21),
            samples: 10,
            baseline_runs: 10,
            noise: None,
            blocking,
        });
        series.push(HistorySeries {
            benchmark: format!("bench-{b:03}"),
            measure: "wall_time".into(),
            statistic: "median".into(),
            values,
            change_points: if b % 5 == 0 {
                vec![runs * 2 / 3 + 1]
            } else {
                Vec::new()
            },
        });
    }
    let report = Report {
        schema: REPORT_SCHEMA.into(),
        metadata: Metadata {
            timestamp: "2026-11-20T10:00:00Z".into(),
            commit: Some("abc123".into()),
            branch: Some("main".into()),
            testbed: Some("ci".into()),
            environment: None,
            sloe_version: "0".into(),
            run_id: runs as i64,
            baseline: "recent runs of main".into(),
            fail_on: vec!["violation".into()],
            false_alarm_control: "benjamini-hochberg over 3 regression tests at 1 %".into(),
            fingerprint: None,
            baseline_excluded: Default::default(),
            baseline_differences: Vec::new(),
            baseline_unknown_environment: 0,
        },
        summary: Summary {
            status: if benchmarks > 0 {
                OverallStatus::Failed
            } else {
                OverallStatus::Passed
            },
            total: benchmarks,
            passed: benchmarks - benchmarks.div_ceil(5) - benchmarks / 5,
            drift: benchmarks / 5,
            violations: benchmarks.div_ceil(5),
            regressions: 0,
            improvements: 0,
            known: 0,
            inconclusive: 0,
            compliance: 60.0,
        },
        results,
        violations: Vec::new(),
        recommendations: Vec::new(),
    };
    (
        report,
        History {
            runs: history_runs,
            base_branch: Some("main".into()),
            series,
            timelines: synthetic_timelines(benchmarks.min(3)),
        },
    )
}

/// A dashboard fixture whose series span 20 ns to 2 s, recorded in units
/// that read badly at their size, one of them (`parse-tiny`, 24 µs
/// recorded in seconds) under a budget of 1.1 s, far above it.
#[doc(hidden)]
pub fn synthetic_spanning(runs: usize) -> (Report, History) {
    use sloe_core::budget::{Severity, Status};

    let (mut report, mut history) = synthetic(5, runs);
    // (name, measure, unit, level in that unit, budget in that unit)
    let shapes: [(&str, &str, &str, f64, Option<f64>); 5] = [
        ("hash", "wall_time", "ns", 20.0, Some(22.0)),
        ("parse-tiny", "wall_time", "s", 24.2e-6, Some(1.1)),
        (
            "transpile",
            "wall_time",
            "ns",
            1_777_000.0,
            Some(2_300_000.0),
        ),
        ("build", "wall_time", "ms", 2000.0, Some(1900.0)),
        ("encode", "throughput", "B/s", 343_557_857.0, None),
    ];
    for (b, (name, measure, unit, level, limit)) in shapes.into_iter().enumerate() {
        let k = level / (1.0 + b as f64 * 0.37);
        let r = &mut report.results[b];
        r.benchmark = name.into();
        r.measure = measure.into();
        r.unit = unit.into();
        r.value *= k;
        r.baseline = r.baseline.map(|v| v * k);
        r.limit = limit;
        r.violation_at = limit.map(|l| l * 1.1);
        r.percent_of_budget = limit.map(|l| r.value / l * 100.0);
        r.limit_kind = limit.map(|_| "max".into());
        let over = limit.is_some_and(|l| r.value > l);
        r.status = if over {
            Status::Violation
        } else {
            Status::Pass
        };
        r.blocking = over;
        r.severity = if over {
            Severity::Critical
        } else {
            Severity::None
        };
        let s = &mut history.series[b];
        s.benchmark = name.into();
        s.measure = measure.into();
        for v in s.values.iter_mut().flatten() {
            *v *= k;
        }
    }
    for t in &mut history.timelines {
        t.benchmark = report.results[0].benchmark.clone();
    }
    history.timelines.truncate(1);
    let violations = report.results.iter().filter(|r| r.blocking).count();
    report.summary.violations = violations;
    report.summary.drift = 0;
    report.summary.passed = report.results.len() - violations;
    report.summary.compliance = report.summary.passed as f64 * 100.0 / report.results.len() as f64;
    (report, history)
}

/// Timelines of the first `n` synthetic benchmarks: a build-like shape,
/// CPU bursting then settling, memory climbing then released.
fn synthetic_timelines(n: usize) -> Vec<Timeline> {
    (0..n)
        .map(|b| Timeline {
            benchmark: format!("bench-{b:03}"),
            points: (1..=600u32)
                .map(|i| {
                    let t = f64::from(i);
                    sloe_core::ResourcePoint {
                        at_ms: t * 100.0,
                        cpu_percent: if i % 97 < 10 {
                            190.0
                        } else {
                            60.0 + (t / 7.0).sin() * 20.0
                        },
                        rss: (50u64 << 20) + u64::from(i.min(400)) * (1 << 18) * (b as u64 + 1),
                    }
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_contained_and_small() {
        let (report, history) = synthetic(200, 500);
        let html = render(&report, &history, Some("demo"));
        assert!(html.len() <= 2 * 1024 * 1024, "{} bytes", html.len());
        // nothing fetched at view time
        for needle in [
            "src=\"http",
            "href=\"http",
            "@import",
            "url(http",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!html.contains(needle), "found {needle}");
        }
        assert!(html.contains("bench-199"));
    }

    #[test]
    fn script_breakout_is_escaped() {
        let (mut report, history) = synthetic(1, 3);
        report.results[0].benchmark = "</script><b>x".into();
        let html = render(&report, &history, Some("<p>"));
        assert!(!html.contains("</script><b>"));
        assert!(html.contains("&lt;p&gt;"));
    }

    /// The data the page embeds, read back.
    fn embedded(html: &str) -> Value {
        let needle = "id=\"sloe-data\">";
        let start = html.find(needle).expect("the data element") + needle.len();
        let end = start + html[start..].find("</script>").expect("its end");
        serde_json::from_str(&html[start..end].replace("<\\/", "</")).expect("JSON")
    }

    #[test]
    fn inconclusive_reads_as_a_warning_with_unmatched_budgets_said() {
        let html = render(
            &crate::sample::inconclusive_report(),
            &History::default(),
            Some("demo"),
        );
        let data = embedded(&html);
        let sort = &data["charts"][0];
        assert_eq!(sort["b"], "sort");
        assert_eq!(sort["st"], "warn", "{sort}");
        assert_eq!(data["summary"]["inconclusive"], 1);
        assert!(
            html.contains("[\"inconclusive\", s.inconclusive"),
            "the card"
        );
        assert!(
            html.contains("inconclusive (the test could not tell at this noise)"),
            "the legend"
        );
        insta::assert_json_snapshot!(json!({
            "chart": sort,
            "summary": data["summary"],
            "unmatched": data["unmatched"],
        }));
    }

    #[test]
    fn runs_off_the_base_branch_are_flagged_as_branch_runs() {
        let (report, mut history) = synthetic(1, 15);
        let data = |history: &History| -> Value {
            let html = render(&report, history, None);
            let start = html.find("id=\"sloe-data\">").expect("data") + 15;
            let end = start + html[start..].find("</script>").expect("end");
            serde_json::from_str(&html[start..end]).expect("json")
        };
        let flags = |v: &Value| -> Vec<u64> {
            v["runs"]
                .as_array()
                .expect("runs")
                .iter()
                .map(|r| r[4].as_u64().expect("a flag"))
                .collect()
        };
        // `feature` runs (every seventh) are branch runs; `main` is the line.
        let expected: Vec<u64> = (0..15).map(|i| u64::from(i % 7 == 0)).collect();
        assert_eq!(flags(&data(&history)), expected);
        history.base_branch = None;
        assert_eq!(flags(&data(&history)), vec![0; 15]);
    }

    #[test]
    fn rounds_to_four_digits() {
        assert_eq!(round4(1.234567), json!(1.235));
        assert_eq!(round4(123456.7), json!(123500.0));
        assert_eq!(round4(f64::NAN), Value::Null);
    }
}
