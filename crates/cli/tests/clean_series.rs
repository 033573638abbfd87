//! Clean series (issue 13, point 4), end to end: change points, creep,
//! `sloe history --changes`, `sloe budget suggest` and the dashboard read
//! only the base branch's runs; a branch's runs are judged against them
//! but never become part of them. Suggested budgets pass on the runs they
//! came from. Real `sloe` processes on a real SQLite file.

use std::process::Output;

use serde_json::{Value, json};

mod common;

use common::Project;

/// One series to ingest: benchmark, measure, unit, values.
type Row<'a> = (&'a str, &'a str, &'a str, &'a [f64]);

fn ingest(p: &Project, branch: &str, commit: &str, series: &[Row<'_>]) -> i64 {
    let results: Vec<Value> = series
        .iter()
        .map(|(b, m, u, v)| json!({"benchmark": b, "measure": m, "unit": u, "values": v}))
        .collect();
    let doc = json!({"context": {"branch": branch, "commit": commit, "testbed": "tb"}, "results": results});
    let file = p.write(&format!("run-{commit}.json"), &doc.to_string());
    let out = p.sloe().arg("ingest").arg(file).output().expect("run sloe");
    ok(&out, "ingest");
    latest_run(p)
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn latest_run(p: &Project) -> i64 {
    let out = p
        .sloe()
        .args(["history", "--format", "json", "--limit", "1"])
        .output()
        .expect("run sloe");
    ok(&out, "history");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v[0]["id"].as_i64().expect("a run id")
}

/// One run of `parse`'s wall time at `ms`, with a little within-run noise.
fn wall(p: &Project, branch: &str, commit: &str, ms: f64) -> i64 {
    ingest(
        p,
        branch,
        commit,
        &[("parse", "wall_time", "ms", &[ms * 0.999, ms, ms * 1.001])],
    )
}

/// Deterministic run-to-run jitter of about ±0.3 %.
fn jitter(i: usize) -> f64 {
    1.0 + 0.003 * (i as f64 * 2.399_963).sin()
}

fn check(p: &Project, run: i64) -> (i32, Value) {
    let out = p
        .sloe()
        .args(["check", "--format", "json", "--run", &run.to_string()])
        .output()
        .expect("run sloe");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not json ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), v)
}

fn changes(p: &Project) -> Value {
    let out = p
        .sloe()
        .args(["history", "--changes", "--format", "json"])
        .output()
        .expect("run sloe");
    ok(&out, "history --changes");
    serde_json::from_slice(&out.stdout).expect("json")
}

fn suggest(p: &Project, args: &[&str]) -> String {
    let out = p
        .sloe()
        .args(["budget", "suggest"])
        .args(args)
        .output()
        .expect("run sloe");
    ok(&out, "budget suggest");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The limits (`max = "…"` or `min = "…"`) of suggested budgets, as
/// (benchmark, measure, quantity); `sloe check` reads them back as config.
fn limits(text: &str) -> Vec<(String, String, String)> {
    let value = |line: &str, key: &str| {
        line.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(" = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .map(str::to_owned)
    };
    let (mut out, mut bench, mut measure) = (Vec::new(), String::new(), String::new());
    for line in text.lines() {
        if let Some(b) = value(line, "benchmark") {
            bench = b;
        } else if let Some(m) = value(line, "measure") {
            measure = m;
        } else if let Some(l) = value(line, "max").or_else(|| value(line, "min")) {
            out.push((bench.clone(), measure.clone(), l));
        }
    }
    out
}

#[test]
fn a_feature_branch_run_never_moves_mains_change_points() {
    let p = Project::new("");
    for i in 0..10 {
        wall(&p, "main", &format!("m{i:02}"), 5.0 * jitter(i));
    }
    // A feature branch doubles the time, in four runs between main's.
    for i in 0..4 {
        wall(&p, "feature", &format!("f{i}"), 10.0 * jitter(i));
    }
    for i in 10..16 {
        wall(&p, "main", &format!("m{i:02}"), 5.0 * jitter(i));
    }
    assert_eq!(changes(&p), json!([]), "main never shifted");

    // Judged against main, the branch's run is a regression, but no new
    // level of main.
    let branch_run = wall(&p, "feature", "f4", 10.0);
    let (code, r) = check(&p, branch_run);
    assert_eq!(code, 1, "{r:#}");
    let e = &r["results"][0];
    assert_eq!(e["regression"], "regression", "{r:#}");
    assert_eq!(e["change_point"], false, "{r:#}");
    assert_eq!(changes(&p), json!([]));

    // The same shift landing on main is main's change point, at main's
    // commit, in the report and in `history --changes`.
    let mut last = 0;
    for i in 0..4 {
        last = wall(&p, "main", &format!("s{i}"), 10.0 * jitter(i));
        if i == 0 {
            let (_, r) = check(&p, last);
            assert_eq!(r["results"][0]["change_point"], true, "{r:#}");
        }
    }
    assert!(last > branch_run);
    let shifts = changes(&p);
    let shifts = shifts.as_array().expect("array");
    assert_eq!(shifts.len(), 1, "{shifts:#?}");
    assert_eq!(shifts[0]["commit"], "s0");
}

#[test]
fn creep_is_main_drifting_across_its_own_runs_never_a_branch_run() {
    let p = Project::new("[regression]\ncreep_window = 30\n");
    // 40 runs of main creeping up 0.4 % per run (each step inside the
    // noise), with a branch's wild runs in between.
    for i in 0..40 {
        wall(&p, "main", &format!("m{i:02}"), 1.004 + 0.004 * i as f64);
        if i % 8 == 0 {
            wall(&p, "feature", &format!("f{i:02}"), 3.0);
        }
    }
    let on_main = wall(&p, "main", "m40", 1.164);
    let (_, r) = check(&p, on_main);
    let e = &r["results"][0];
    assert_eq!(e["status"], "drift", "{r:#}");
    assert!(e["creep"].as_f64().expect("creep") > 0.10, "{r:#}");

    // The same value on a branch: judged against main's recent runs (no
    // step), but main's creep is not the branch's to carry.
    let on_branch = wall(&p, "feature", "f40", 1.164);
    let (code, r) = check(&p, on_branch);
    let e = &r["results"][0];
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(e["status"], "pass", "{r:#}");
    assert_eq!(e["creep"], Value::Null, "{r:#}");
    assert_eq!(e["regression"], "none", "{r:#}");
}

#[test]
fn suggest_ignores_branch_runs() {
    let p = Project::new("");
    for i in 0..8 {
        wall(&p, "main", &format!("m{i}"), 5.0 * jitter(i));
    }
    // Newer, slower runs of a branch neither count nor crowd main's out.
    for i in 0..8 {
        wall(&p, "feature", &format!("f{i}"), 50.0 * jitter(i));
    }
    let text = suggest(&p, &["--runs", "8"]);
    assert!(text.contains("of 8 runs of `main`"), "{text}");
    let l = limits(&text);
    assert_eq!(l.len(), 1, "{text}");
    let limit: f64 = l[0]
        .2
        .strip_suffix(" ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a limit in ms: {text}"));
    assert!(limit > 5.0 && limit < 5.6, "{text}");

    // Only branch runs: nothing to learn from, and it says so.
    let q = Project::new("");
    wall(&q, "feature", "f0", 5.0);
    let text = suggest(&q, &[]);
    assert!(
        text.contains("no recorded values for \"*\" in runs of `main`"),
        "{text}"
    );
}

#[test]
fn suggested_budgets_pass_on_the_runs_they_came_from() {
    let p = Project::new("");
    let mib = 1024.0 * 1024.0;
    let (mut runs, mut slowest) = (Vec::new(), 0.0f64);
    for i in 0..12 {
        // Wall times with about 3 % run-to-run noise and one slow outlier;
        // peak memory that never changes (zero noise); a throughput; a
        // measure outside the defaults.
        let noise = 1.0 + 0.03 * (i as f64 * 1.7).sin();
        let slow = if i == 7 { 1.2 } else { 1.0 };
        let ms = 12.34 * noise * slow;
        slowest = slowest.max(ms);
        let tp = 1000.0 / noise;
        runs.push(ingest(
            &p,
            "main",
            &format!("m{i:02}"),
            &[
                ("parse", "wall_time", "ms", &[ms * 0.99, ms, ms * 1.01]),
                ("parse", "peak_rss", "B", &[10.0 * mib]),
                ("lex", "wall_time", "us", &[80.0 * noise, 81.0 * noise]),
                ("lex", "peak_rss", "B", &[10.1 * mib]),
                ("lex", "throughput", "1/s", &[tp, tp * 1.01, tp * 0.99]),
                ("lex", "user_time", "ms", &[3.0 * noise]),
            ],
        ));
    }
    // Defaults: wall_time and peak_rss only; memory alike in both
    // benchmarks gets one budget, the times 150× apart one each.
    let text = suggest(&p, &[]);
    let l = limits(&text);
    let rows: Vec<(&str, &str)> = l.iter().map(|(b, m, _)| (b.as_str(), m.as_str())).collect();
    assert_eq!(
        rows,
        [
            ("*", "peak_rss"),
            ("lex", "wall_time"),
            ("parse", "wall_time")
        ],
        "{text}"
    );
    assert!(
        text.contains("also recorded: throughput, user_time"),
        "{text}"
    );
    // Zero noise keeps the 2 % floor, rounded up: 10.1 MiB · 1.02 = 10.302.
    assert_eq!(l[0].2, "10.4 MiB", "{text}");
    // The slow outlier (14.5 ms, above the p95) keeps the floor's 2 %
    // too, and the limit is a readable number rounded up (15 ms, not
    // 14.84…).
    let parse_ms: f64 = l[2]
        .2
        .strip_suffix(" ms")
        .and_then(|v| v.parse().ok())
        .expect("ms");
    assert!(parse_ms >= slowest * 1.02, "{slowest} ms: {text}");
    assert!(
        (parse_ms * 10.0 - (parse_ms * 10.0).round()).abs() < 1e-9,
        "one decimal at most: {text}"
    );

    // With every measure (the throughput gets a `min`, rounded down).
    let all = suggest(&p, &["--measure", "*"]);
    assert!(all.contains("min = \""), "{all}");
    assert_eq!(limits(&all).len(), 5, "{all}");

    // Written into the config, they pass on every run they came from.
    p.write("sloe.toml", &all);
    for run in &runs {
        let (code, r) = check(&p, *run);
        let results = r["results"].as_array().expect("results");
        // Only the regression test may fail a run (the outlier is one
        // against the runs before it); no budget does.
        assert!(
            code == 0 || results.iter().any(|e| e["regression"] == "regression"),
            "run {run}: {all}\n{r:#}"
        );
        assert_eq!(results.len(), 6, "{r:#}");
        for e in results {
            assert!(e["limit"].is_number(), "every series has a budget: {e:#}");
            assert_eq!(e["status"], "pass", "run {run}: {all}\n{e:#}");
            assert!(
                e["percent_of_budget"].as_f64().expect("share") <= 100.0,
                "{e:#}"
            );
        }
    }
    // The next equal run passes, and so does one byte more memory.
    let next = ingest(
        &p,
        "main",
        "next",
        &[("parse", "peak_rss", "B", &[10.0 * mib + 1.0])],
    );
    let (code, r) = check(&p, next);
    assert_eq!(r["results"][0]["status"], "pass", "{r:#}");
    // It measured only what one of the five budgets names; the series the
    // other four name, which earlier runs recorded, went missing: the
    // default policy (`missing`) blocks on that, and on nothing else
    // (issue 15).
    assert_eq!(code, 1, "{r:#}");
    let findings = r["violations"].as_array().expect("findings");
    assert_eq!(findings.len(), 4, "{r:#}");
    assert!(
        findings
            .iter()
            .all(|f| f["kind"] == "unmatched_budget" && f["blocking"] == true),
        "{r:#}"
    );
}
