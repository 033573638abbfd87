//! End-to-end: budgets cannot silently switch off, and a test that cannot
//! tell is never shown as a pass (issue 13). Real `sloe` processes on real
//! SQLite files.

use serde_json::Value;

mod common;

use common::Project;

/// Records one run of `series` (benchmark, measure, unit, values) on
/// `branch` and testbed `tb`.
fn ingest(p: &Project, branch: &str, commit: &str, series: &[(&str, &str, &str, &[f64])]) {
    let results: Vec<Value> = series
        .iter()
        .map(|(b, m, u, v)| {
            serde_json::json!({"benchmark": b, "measure": m, "unit": u, "values": v})
        })
        .collect();
    let doc = serde_json::json!({
        "context": {"branch": branch, "commit": commit, "testbed": "tb"},
        "results": results,
    });
    let file = p.write(&format!("run-{commit}.json"), &doc.to_string());
    let out = p.sloe().arg("ingest").arg(file).output().expect("run sloe");
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const PARSE: (&str, &str, &str, &[f64]) = ("parse", "wall_time", "ms", &[8.0, 8.1, 7.9]);

#[test]
fn a_unitless_limit_on_wall_time_exits_2_naming_the_unit() {
    // Issue 13: this loaded, the wall_time rows dropped out and the check
    // printed PASSED with exit 0.
    let p = Project::new("[[budget]]\nbenchmark = \"*\"\nmeasure = \"wall_time\"\nmax = 1\n");
    let out = p.sloe().arg("check").output().expect("run sloe");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("sloe.toml:1:1: key `budget[0]`"), "{err}");
    assert!(
        err.contains("limit `1` has no unit, but `wall_time` is measured in time"),
        "{err}"
    );
    assert!(err.contains("write `max = \"1 s\"`"), "{err}");
}

#[test]
fn a_unitless_limit_on_a_measure_of_your_own_exits_2_once_the_run_shows_its_unit() {
    let p = Project::new("[[budget]]\nbenchmark = \"*\"\nmeasure = \"latency\"\nmax = 5\n");
    ingest(&p, "main", "c1", &[("api", "latency", "ms", &[4.0, 4.2])]);
    let out = p.sloe().arg("check").output().expect("run sloe");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("key `budget[0].max`"), "{err}");
    assert!(
        err.contains(
            "limit `5` has no unit, but the run measured `latency` in ms; write `max = \"5 ms\"`"
        ),
        "{err}"
    );
    // A limit in another dimension is the same mistake: never a silent skip.
    let p = Project::new("[[budget]]\nbenchmark = \"*\"\nmeasure = \"latency\"\nmax = \"5MB\"\n");
    ingest(&p, "main", "c1", &[("api", "latency", "ms", &[4.0, 4.2])]);
    let out = p.sloe().arg("check").output().expect("run sloe");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("limit `5 MB` does not fit `latency`, which the run measured in ms"),
        "{}",
        stderr(&out)
    );
}

const TYPOS: &str = "[[budget]]\nbenchmark = \"*\"\nmeasure = \"wal_time\"\nmax = \"1s\"\n\
                     [[budget]]\nbenchmark = \"prase\"\nmax = \"10ms\"\n\
                     [[budget]]\nbenchmark = \"parse\"\nmax = \"10ms\"\n";

#[test]
fn budgets_that_match_nothing_are_findings_with_did_you_mean() {
    // Without `missing` in `fail_on` (issue 15 made it the default, which
    // blocks: tests/empty_and_read_only.rs), a warning.
    let p = Project::new(&format!(
        "[policy]\nfail_on = [\"violation\", \"critical\", \"regression\"]\n{TYPOS}"
    ));
    ingest(&p, "main", "c1", &[PARSE]);
    let out = p
        .sloe()
        .args(["check", "--format", "json"])
        .output()
        .expect("run sloe");
    // A warning, not a failure: policy decides what blocks.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["summary"]["status"], "warning", "{report}");
    let unmatched: Vec<&Value> = report["violations"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "unmatched_budget")
        .collect();
    assert_eq!(unmatched.len(), 2, "{report}");
    assert_eq!(unmatched[0]["benchmark"], "*");
    assert_eq!(unmatched[0]["measure"], "wal_time");
    assert_eq!(
        unmatched[0]["message"],
        "budget 1 (benchmark `*`, measure `wal_time`) matches nothing in this run: no series has measure `wal_time` (did you mean `wall_time`?)"
    );
    assert_eq!(
        unmatched[1]["message"],
        "budget 2 (benchmark `prase`, measure `wall_time`) matches nothing in this run: no benchmark with measure `wall_time` matches `prase` (did you mean `parse`?)"
    );
    // The budget that matched still judged its series.
    assert_eq!(report["results"][0]["limit"], 10.0, "{report}");

    let out = p.sloe().arg("check").output().expect("run sloe");
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("WARN budget 1 (benchmark `*`, measure `wal_time`) matches nothing in this run: no series has measure `wal_time` (did you mean `wall_time`?)"),
        "{text}"
    );
    assert!(text.contains("(did you mean `parse`?)"), "{text}");
    assert!(
        text.contains("PASSED WITH WARNINGS: 2 unmatched budgets"),
        "{text}"
    );
    // Every report says it too.
    p.sloe()
        .args(["report", "--format", "md,junit,html", "--out", "out"])
        .assert()
        .success();
    let read = |ext: &str| {
        std::fs::read_to_string(p.path().join(format!("out/sloe-report.{ext}")))
            .unwrap_or_else(|e| panic!("the {ext} report: {e}"))
    };
    let md = read("md");
    assert!(
        md.contains("### 2 budgets matched nothing in this run"),
        "{md}"
    );
    assert!(md.contains("(did you mean `wall_time`?)"), "{md}");
    let junit = read("junit.xml");
    assert!(
        junit.contains("name=\"budget prase wall_time matches a series\"")
            && junit.contains("<skipped message=\"budget 2 (benchmark `prase`"),
        "{junit}"
    );
    let html = read("html");
    assert!(html.contains("did you mean `wall_time`?"), "{html}");
}

#[test]
fn a_budget_for_series_this_run_left_out_is_said_but_no_mistake() {
    // `sloe run NAME`, a `--stage` or a benchmark that is gone: the budget
    // matched earlier runs, so it is an info finding, not a warning, and
    // `unmatched_budgets = "error"` does not stop the check for it.
    let p = Project::new(
        "[policy]\nunmatched_budgets = \"error\"\nfail_on = [\"violation\", \"critical\", \"regression\"]\n[[budget]]\nbenchmark = \"lex\"\nmax = \"10ms\"\n",
    );
    ingest(
        &p,
        "main",
        "c1",
        &[PARSE, ("lex", "wall_time", "ms", &[1.0])],
    );
    ingest(&p, "main", "c2", &[PARSE]);
    let out = p
        .sloe()
        .args(["check", "--format", "json"])
        .output()
        .expect("run sloe");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["summary"]["status"], "passed", "{report}");
    let f = &report["violations"][0];
    assert_eq!(f["kind"], "unmatched_budget", "{report}");
    assert_eq!(f["severity"], "info", "{report}");
    assert_eq!(
        f["message"],
        "budget 1 (benchmark `lex`, measure `wall_time`) matches nothing in this run: earlier runs recorded `lex` wall_time, this run did not measure it"
    );
    let out = p.sloe().arg("check").output().expect("run sloe");
    assert!(
        stdout(&out).contains("INFO budget 1 (benchmark `lex`"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn unmatched_budgets_error_exits_2_naming_the_budget_and_the_suggestion() {
    let p = Project::new(&format!("[policy]\nunmatched_budgets = \"error\"\n{TYPOS}"));
    ingest(&p, "main", "c1", &[PARSE]);
    let out = p.sloe().arg("check").output().expect("run sloe");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("key `budget[0]`"), "{err}");
    assert!(
        err.contains("budget 1 (benchmark `*`, measure `wal_time`) matches nothing in this run: no series has measure `wal_time` (did you mean `wall_time`?) (`policy.unmatched_budgets = \"error\"`)"),
        "{err}"
    );
}

/// A doubled `sort` on a history with ±40 % run-to-run noise: the test
/// cannot see a 10 % change there, so the result is inconclusive, shown ⚠️
/// and never under the passing results.
#[test]
fn an_inconclusive_result_is_a_warning_in_markdown() {
    let p = Project::new("[[budget]]\nbenchmark = \"sort\"\nmax = \"1s\"\n");
    let levels = [0.30, 0.45, 0.22, 0.38, 0.26, 0.41, 0.24, 0.35, 0.29, 0.43];
    for (i, level) in levels.iter().enumerate() {
        let v = [level * 1000.0 * 0.99, level * 1000.0, level * 1000.0 * 1.01];
        ingest(
            &p,
            "main",
            &format!("base{i}"),
            &[("sort", "wall_time", "ms", &v)],
        );
    }
    ingest(
        &p,
        "main",
        "doubled",
        &[("sort", "wall_time", "ms", &[592.0, 593.0, 594.0])],
    );
    let out = p
        .sloe()
        .args(["check", "--format", "json"])
        .output()
        .expect("run sloe");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        report["results"][0]["regression"], "inconclusive",
        "{report}"
    );
    assert_eq!(report["summary"]["inconclusive"], 1, "{report}");
    assert_ne!(report["summary"]["status"], "passed", "{report}");
    p.sloe()
        .args(["report", "--format", "md", "--out", "out"])
        .assert()
        .success();
    let md =
        std::fs::read_to_string(p.path().join("out/sloe-report.md")).expect("the Markdown report");
    let row = md
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("| sort |"))
        .expect("a sort row");
    assert!(row.starts_with("| ⚠️ |"), "{md}");
    assert!(!md.contains("| ✅ | sort |"), "{md}");
}
