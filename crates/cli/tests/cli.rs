//! End-to-end tests of the `sloe` binary: real processes, real SQLite files
//! (and the real PostgreSQL server for the shared-store test), no mocks.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;

use common::Project;

impl Project {
    /// Ingests one run of `benchmark` with `values` (ms) on `branch`.
    fn ingest(&self, branch: &str, commit: &str, series: &[(&str, &str, &str, &[f64])]) -> Output {
        let results: Vec<Value> = series
            .iter()
            .map(|(b, m, u, v)| serde_json::json!({"benchmark": b, "measure": m, "unit": u, "values": v}))
            .collect();
        let doc = serde_json::json!({"context": {"branch": branch, "commit": commit, "testbed": "tb"}, "results": results});
        let file = self.write(&format!("run-{commit}.json"), &doc.to_string());
        let out = self
            .sloe()
            .arg("ingest")
            .arg(file)
            .output()
            .expect("run sloe");
        assert!(
            out.status.success(),
            "ingest failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn history_main(&self, n: usize, bench: &str, ms: f64) {
        for i in 0..n {
            // ±1 % run-to-run noise, deterministic
            let level = ms * (1.0 + 0.01 * ((i % 3) as f64 - 1.0));
            self.ingest(
                "main",
                &format!("base{i}"),
                &[(
                    bench,
                    "wall_time",
                    "ms",
                    &[level * 0.99, level, level * 1.01],
                )],
            );
        }
    }

    fn check_json(&self, extra: &[&str]) -> (i32, Value) {
        let out = self
            .sloe()
            .args(["check", "--format", "json"])
            .args(extra)
            .output()
            .expect("run sloe");
        let code = out.status.code().expect("exit code");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not json ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, v)
    }

    fn run_count(&self) -> usize {
        let out = self
            .sloe()
            .args(["history", "--format", "json", "--limit", "100000"])
            .output()
            .expect("run sloe");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        v.as_array().expect("array").len()
    }
}

const BUDGET: &str = r#"
[[budget]]
benchmark = "parse*"
measure = "wall_time"
max = "10ms"
tolerance = "10%"
"#;

fn assert_status_matches_exit(code: i32, report: &Value) {
    let failed = report["summary"]["status"] == "failed";
    assert_eq!(
        failed,
        code == 1,
        "summary.status {} with exit {code}",
        report["summary"]["status"]
    );
}

#[test]
fn pass() {
    let p = Project::new(BUDGET);
    p.ingest(
        "main",
        "c1",
        &[("parse", "wall_time", "ms", &[8.0, 8.1, 7.9])],
    );
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 0);
    assert_status_matches_exit(code, &r);
    let e = &r["results"][0];
    assert_eq!(e["status"], "pass");
    assert_eq!(e["value"], 8.0);
    assert_eq!(e["limit"], 10.0);
    assert_eq!(e["unit"], "ms");
    assert_eq!(e["percent_of_budget"], 80.0);
    assert_eq!(e["regression"], "insufficient_data");
    assert_eq!(r["summary"]["status"], "passed");
    assert_eq!(r["summary"]["compliance"], 100.0);
}

#[test]
fn drift_warns_without_failing() {
    let p = Project::new(BUDGET);
    p.ingest("main", "c1", &[("parse", "wall_time", "ms", &[10.5])]);
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(r["results"][0]["status"], "drift");
    assert_eq!(r["results"][0]["severity"], "warning");
    assert_eq!(r["summary"]["status"], "warning");
    assert_eq!(r["summary"]["drift"], 1);
}

#[test]
fn violation_fails_with_exit_1_and_text_output() {
    let p = Project::new(BUDGET);
    p.ingest("main", "c1", &[("parse", "wall_time", "ms", &[12.0])]);
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 1);
    assert_status_matches_exit(code, &r);
    assert_eq!(r["results"][0]["status"], "violation");
    assert_eq!(r["results"][0]["severity"], "critical");
    assert_eq!(r["violations"][0]["kind"], "budget");
    assert!(
        r["results"][0]["message"]
            .as_str()
            .expect("str")
            .starts_with("12 ms exceeds budget 10 ms by 20.0 %")
    );
    assert!(!r["recommendations"].as_array().expect("array").is_empty());

    let out = p.sloe().arg("check").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL") && text.contains("FAILED"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "NO_COLOR output must be plain: {text}"
    );
}

#[test]
fn reports_are_written() {
    let p = Project::new(BUDGET);
    p.ingest("main", "c1", &[("parse", "wall_time", "ms", &[8.0])]);
    let (_, stdout_report) = p.check_json(&[]);
    let latest = std::fs::read_to_string(p.path().join("reports/sloe-report-latest.json"))
        .expect("latest report");
    let latest: Value = serde_json::from_str(&latest).expect("json");
    assert_eq!(latest, stdout_report);
    let stamped = std::fs::read_dir(p.path().join("reports"))
        .expect("reports dir")
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("sloe-report-2") && n.ends_with(".json")
        })
        .count();
    assert_eq!(stamped, 1);
}

#[test]
fn regression_against_base_branch_history() {
    let p = Project::new(BUDGET);
    p.history_main(6, "parse", 5.0);
    p.ingest(
        "feature",
        "f1",
        &[("parse", "wall_time", "ms", &[6.5, 6.5, 6.6])],
    );
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 1, "{r:#}");
    assert_status_matches_exit(code, &r);
    let e = &r["results"][0];
    assert_eq!(e["status"], "pass");
    assert_eq!(e["regression"], "regression");
    assert!(e["change"].as_f64().expect("change") > 0.25);
    let interval = e["change_interval"].as_array().expect("interval");
    assert!(interval[0].as_f64().expect("lo") > 0.0);
    assert!(e["p_value"].as_f64().expect("p") < 0.01);
    assert!((e["baseline"].as_f64().expect("baseline") - 5.0).abs() < 0.1);
    assert_eq!(r["summary"]["regressions"], 1);
    assert!(
        r["violations"]
            .as_array()
            .expect("array")
            .iter()
            .any(|v| v["kind"] == "regression")
    );
}

#[test]
fn unchanged_code_is_not_a_regression() {
    let p = Project::new(BUDGET);
    p.history_main(6, "parse", 5.0);
    p.ingest(
        "feature",
        "f1",
        &[("parse", "wall_time", "ms", &[5.02, 5.03, 4.99])],
    );
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["results"][0]["regression"], "none");
}

#[test]
fn improvement() {
    let p = Project::new(BUDGET);
    p.history_main(5, "parse", 5.0);
    p.ingest(
        "feature",
        "f1",
        &[("parse", "wall_time", "ms", &[3.5, 3.5, 3.6])],
    );
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(r["results"][0]["regression"], "improvement");
    assert_eq!(r["summary"]["improvements"], 1);
}

#[test]
fn insufficient_data_is_never_a_guess() {
    let p = Project::new(BUDGET);
    p.history_main(2, "parse", 5.0);
    p.ingest("feature", "f1", &[("parse", "wall_time", "ms", &[9.0])]);
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 0);
    let e = &r["results"][0];
    assert_eq!(e["regression"], "insufficient_data");
    assert_eq!(e["change"], Value::Null);
    assert_eq!(e["p_value"], Value::Null);
}

#[test]
fn baseline_is_per_testbed() {
    let p = Project::new(BUDGET);
    p.history_main(5, "parse", 5.0);
    let doc = r#"{"context":{"branch":"feature","testbed":"other"},"results":[{"benchmark":"parse","unit":"ms","values":[9]}]}"#;
    p.write("other.json", doc);
    p.sloe().args(["ingest", "other.json"]).assert().success();
    let (_, r) = p.check_json(&[]);
    assert_eq!(r["results"][0]["regression"], "insufficient_data");
}

#[test]
fn min_budget_for_throughput() {
    let p = Project::new(
        "[[budget]]\nbenchmark = \"queue\"\nmeasure = \"throughput\"\nmin = \"1000/s\"\ntolerance = \"10%\"\n",
    );
    p.ingest("main", "c1", &[("queue", "throughput", "/s", &[1200.0])]);
    let (code, r) = p.check_json(&[]);
    assert_eq!(
        (code, r["results"][0]["status"].as_str()),
        (0, Some("pass"))
    );
    p.ingest("main", "c2", &[("queue", "throughput", "/s", &[850.0])]);
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(r["results"][0]["status"], "violation");
    assert_eq!(r["results"][0]["limit_kind"], "min");
}

#[test]
fn memory_levels() {
    let p = Project::new(
        "[[budget]]\nbenchmark = \"build:*\"\nmeasure = \"peak_rss\"\nmax = \"4GiB\"\nlevels = { info = 0.7, warning = 0.8, critical = 0.9 }\n",
    );
    p.ingest("main", "c1", &[("build:full", "peak_rss", "GiB", &[3.4])]);
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(r["results"][0]["severity"], "warning");
    assert_eq!(r["results"][0]["unit"], "GiB");
    p.ingest("main", "c2", &[("build:full", "peak_rss", "GiB", &[3.7])]);
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(r["results"][0]["severity"], "critical");
}

#[test]
fn env_overrides_change_policy() {
    let cfg =
        format!("{BUDGET}\n[env.strict]\npolicy = {{ fail_on = [\"drift\", \"violation\"] }}\n");
    let p = Project::new(&cfg);
    p.ingest("main", "c1", &[("parse", "wall_time", "ms", &[10.5])]);
    assert_eq!(p.check_json(&[]).0, 0);
    assert_eq!(p.check_json(&["--env", "strict"]).0, 1);
    let out = p
        .sloe()
        .args(["check", "--format", "json"])
        .env("SLOE_ENV", "strict")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let out = p
        .sloe()
        .args(["check", "--env", "strikt"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `strict`"));
}

#[test]
fn bad_config_exits_2_with_position_and_suggestion() {
    let p = Project::new("[[budget]]\nbenchmark = \"a\"\nmax = \"1ms\"\ntolerence = \"5%\"\n");
    let out = p.sloe().arg("check").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: failed to read config sloe.toml:4:1"),
        "{err}"
    );
    assert!(err.contains("did you mean `tolerance`"), "{err}");

    let p = Project::new("[regression]\nwarning = \"ten\"\n");
    let out = p.sloe().arg("check").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sloe.toml:2:") && err.contains("regression.warning"),
        "{err}"
    );

    let out = p
        .sloe()
        .args(["--config", "missing.toml", "check"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn bad_input_exits_2_and_stores_nothing() {
    let p = Project::new(BUDGET);
    p.ingest("main", "c1", &[("parse", "wall_time", "ms", &[8.0])]);
    let good = p.write(
        "good.json",
        r#"{"results":[{"benchmark":"parse","unit":"ms","value":1}]}"#,
    );
    let bad = p.write("bad.json", "{\"results\": [\n  {\"benchmark\": \"parse\", \"unit\": \"ms\", \"values\": [1, \"fast\"]}\n]}");
    let out = p
        .sloe()
        .arg("ingest")
        .arg(&good)
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json:2:") && err.contains("results[0].values[1]"),
        "{err}"
    );
    assert_eq!(p.run_count(), 1, "a failed ingest must record nothing");

    let out = p
        .sloe()
        .args(["ingest", "nope.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.json"));
    let out = p
        .sloe()
        .args(["ingest", "--format", "csv", "good.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let garbage = p.write("garbage.txt", "hello");
    let out = p.sloe().arg("ingest").arg(garbage).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("detect its format"));
    assert_eq!(p.run_count(), 1);
}

#[test]
fn empty_store() {
    let p = Project::new(BUDGET);
    let out = p.sloe().arg("check").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no runs yet"));
    let out = p.sloe().arg("history").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no runs recorded"));
    let out = p
        .sloe()
        .args(["check", "--run", "42"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ingest_from_stdin_dry_run_and_flags() {
    let p = Project::new("");
    let doc = r#"{"context":{"branch":"x","commit":"fromfile"},"results":[{"benchmark":"b","unit":"us","values":[1.5]}]}"#;
    let out = p
        .sloe()
        .args(["ingest", "--dry-run", "-"])
        .write_stdin(doc)
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["results"][0]["values"][0], 1.5);
    assert_eq!(p.run_count(), 0, "dry run records nothing");

    p.sloe()
        .args([
            "ingest",
            "-",
            "--commit",
            "fromflag",
            "--testbed",
            "box",
            "--timestamp",
            "2026-01-02T03:04:05Z",
        ])
        .write_stdin(doc)
        .assert()
        .success();
    let out = p
        .sloe()
        .args(["history", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v[0]["commit"], "fromflag");
    assert_eq!(v[0]["branch"], "x");
    assert_eq!(v[0]["testbed"], "box");
    assert_eq!(v[0]["timestamp"], "2026-01-02T03:04:05Z");
}

#[test]
fn ci_variables_fill_the_context() {
    let p = Project::new("");
    let doc = r#"{"results":[{"benchmark":"b","unit":"us","values":[1.5]}]}"#;
    p.sloe()
        .args(["ingest", "-"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SHA", "cafe")
        .env("GITHUB_REF_NAME", "main")
        .env("GITHUB_RUN_ID", "77")
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .write_stdin(doc)
        .assert()
        .success();
    let out = p
        .sloe()
        .args(["history", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v[0]["commit"], "cafe");
    assert_eq!(v[0]["testbed"], "github-linux-x64");
    assert_eq!(v[0]["ci"]["run_id"], "77");
}

#[test]
fn history_of_one_benchmark() {
    let p = Project::new("");
    p.ingest(
        "main",
        "c1",
        &[
            ("parse", "wall_time", "ms", &[1.0, 3.0]),
            ("lex", "wall_time", "ms", &[2.0]),
        ],
    );
    let out = p
        .sloe()
        .args(["history", "pa*", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v.as_array().expect("array").len(), 1);
    assert_eq!(v[0]["benchmark"], "parse");
    assert_eq!(v[0]["median"], 2.0);
    assert_eq!(v[0]["unit"], "ms");
    let out = p.sloe().args(["history", "parse"]).output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 ms"));
}

#[test]
fn pinned_baseline_wins() {
    let p = Project::new(BUDGET);
    p.history_main(5, "parse", 5.0);
    // a slow run, pinned
    p.ingest(
        "main",
        "slow",
        &[("parse", "wall_time", "ms", &[8.0, 8.1, 7.9, 8.05])],
    );
    p.sloe().args(["baseline", "set"]).assert().success();
    let out = p
        .sloe()
        .args(["baseline", "show", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["pinned"]["commit"], "slow");
    p.ingest(
        "feature",
        "f1",
        &[("parse", "wall_time", "ms", &[5.0, 5.05, 4.95, 5.0])],
    );
    let (_, r) = p.check_json(&[]);
    assert_eq!(r["results"][0]["regression"], "improvement", "{r:#}");
    assert!(
        r["metadata"]["baseline"]
            .as_str()
            .expect("str")
            .contains("pinned")
    );
    p.sloe().args(["baseline", "clear"]).assert().success();
    let (_, r) = p.check_json(&[]);
    assert_ne!(r["results"][0]["regression"], "improvement");
    let out = p
        .sloe()
        .args(["baseline", "set", "--run", "999"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_writes_a_valid_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::sloe_in(dir.path()).arg("init").assert().success();
    assert!(dir.path().join(".sloe").is_dir());
    let text = std::fs::read_to_string(dir.path().join("sloe.toml")).expect("config");
    assert!(text.contains("[[budget]]"));
    let out = common::sloe_in(dir.path())
        .arg("init")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "init must not overwrite");
}

#[test]
fn checked_in_schema_is_current() {
    let out = common::sloe()
        .args(["config", "schema"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).expect("utf8");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/sloe.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        generated == checked_in,
        "schema/sloe.schema.json is stale: regenerate with `cargo run -q -p sloe -- config schema > schema/sloe.schema.json`"
    );
}

#[test]
fn yaml_config_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("sloe.yaml"),
        "budget:\n  - benchmark: parse\n    max: 1ms\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("r.json"),
        r#"{"results":[{"benchmark":"parse","unit":"ms","value":2}]}"#,
    )
    .expect("write");
    let sloe = || {
        let mut c = common::sloe_in(dir.path());
        c.args(["--config", "sloe.yaml"]);
        c
    };
    sloe().args(["ingest", "r.json"]).assert().success();
    sloe().arg("check").assert().code(1);
}

/// Several `sloe ingest` processes at once on one store lose no run.
fn parallel_ingest(project: &Project, url: &str) {
    let cfg = project.write("parallel.toml", &format!("[store]\nurl = \"{url}\"\n"));
    let doc = r#"{"context":{"branch":"main"},"results":[{"benchmark":"p","unit":"ms","values":[1,2,3]}]}"#;
    project.write("p.json", doc);
    let bin = assert_cmd::cargo::cargo_bin("sloe");
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(&bin)
                .current_dir(project.path())
                .arg("--config")
                .arg(&cfg)
                // The same file again and again: forced, as each is a run here.
                .args(["ingest", "--force", "p.json", "p.json", "p.json", "p.json"])
                .arg("p.json")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = project
        .sloe()
        .arg("--config")
        .arg(&cfg)
        .args(["history", "--format", "json", "--limit", "1000"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v.as_array().expect("array").len(),
        40,
        "8 processes × 5 files"
    );
}

#[test]
fn parallel_ingest_sqlite() {
    let p = Project::new("");
    parallel_ingest(&p, "sqlite://.sloe/shared.db");
}

#[test]
fn parallel_ingest_postgres() {
    let Some(db) = sloe_testkit::pg::Database::fresh("sloe_cli") else {
        return;
    };
    let p = Project::new("");
    parallel_ingest(&p, db.url());
}

#[test]
fn the_dashboard_marks_where_a_series_shifted() {
    let p = Project::new(BUDGET);
    // Eight runs around 5 ms, then eight around 8 ms: one shift, at run 9.
    for i in 0..16 {
        let level = if i < 8 { 5.0 } else { 8.0 };
        let wobble = [0.0, 0.02, -0.01, 0.01][i % 4];
        p.ingest(
            "main",
            &format!("c{i}"),
            &[(
                "parse",
                "wall_time",
                "ms",
                &[level + wobble, level + wobble + 0.01],
            )],
        );
    }
    let out = p
        .sloe()
        .args(["report", "--format", "html", "--out", "out"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(p.path().join("out/sloe-report.html")).expect("html");
    assert!(
        html.contains("\"cp\":[8]"),
        "change point at run index 8 missing"
    );
}

#[test]
fn report_command_writes_every_format() {
    let p = Project::new(BUDGET);
    p.history_main(4, "parse", 5.0);
    p.ingest(
        "feature",
        "f1",
        &[("parse", "wall_time", "ms", &[12.0, 12.1])],
    );
    let out = p
        .sloe()
        .args(["report", "--out", "out", "--since", "30d"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for ext in ["json", "md", "html", "junit.xml"] {
        let text =
            std::fs::read_to_string(p.path().join(format!("out/sloe-report.{ext}"))).expect(ext);
        assert!(text.contains("parse"), "{ext}");
    }
    let html = std::fs::read_to_string(p.path().join("out/sloe-report.html")).expect("html");
    // the judged run and its four baseline runs are plotted
    assert!(html.contains("\"runs\":[[1,"), "runs table missing");
    let out = p
        .sloe()
        .args(["report", "--format", "pdf"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_report_section_and_github_outputs() {
    let p = Project::new(&format!(
        "{BUDGET}\n[report]\nformats = [\"md\", \"html\", \"junit\"]\nout = \"rep\"\n"
    ));
    p.ingest("main", "c1", &[("parse", "wall_time", "ms", &[12.0])]);
    let summary = p.path().join("summary.md");
    let out = p
        .sloe()
        .arg("check")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::error title=sloe%3A parse wall_time::"),
        "{stdout}"
    );
    assert!(
        std::fs::read_to_string(&summary)
            .expect("step summary")
            .contains("sloe: failed")
    );
    for f in [
        "sloe-report-latest.json",
        "sloe-report-latest.md",
        "sloe-report-latest.html",
        "sloe-report-latest.junit.xml",
    ] {
        assert!(p.path().join("rep").join(f).exists(), "{f}");
    }
}

#[test]
fn ingest_merge_records_one_run() {
    let p = Project::new("");
    p.write(
        "a.json",
        r#"{"results":[{"benchmark":"a","unit":"ms","value":1}]}"#,
    );
    p.write(
        "b.json",
        r#"{"results":[{"benchmark":"b","unit":"ms","value":2}]}"#,
    );
    p.sloe()
        .args(["ingest", "--merge", "a.json", "b.json"])
        .assert()
        .success();
    assert_eq!(p.run_count(), 1);
    let out = p
        .sloe()
        .args(["ingest", "--merge", "a.json", "a.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in a.json"));
    assert_eq!(p.run_count(), 1);
}

#[test]
fn history_lists_change_points_with_commit_and_size() {
    let p = Project::new("");
    for i in 0..16 {
        // Deterministic jitter of about ±0.2 %.
        let jitter = 0.002 * (f64::from(i) * 2.399_963).sin();
        let level = if i < 8 { 5.0 } else { 6.0 } * (1.0 + jitter);

        p.ingest(
            "main",
            &format!("c{i:02}"),
            &[(
                "parse",
                "wall_time",
                "ms",
                &[level * 0.999, level, level * 1.001],
            )],
        );
    }
    let out = p
        .sloe()
        .args(["history", "--changes", "--format", "json"])
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let shifts = v.as_array().expect("array");
    assert_eq!(shifts.len(), 1, "{v:#}");
    assert_eq!(shifts[0]["commit"], "c08");
    assert_eq!(shifts[0]["benchmark"], "parse");
    let change = shifts[0]["change"].as_f64().expect("change");
    assert!((change - 0.2).abs() < 0.01, "{change}");
    let text = p
        .sloe()
        .args(["history", "--changes", "par*"])
        .output()
        .expect("run sloe");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("+20.0 % at run") && text.contains("commit c08"),
        "{text}"
    );
}

#[test]
fn suggested_budgets_parse_back_and_pass_todays_code() {
    let p = Project::new("");
    p.history_main(8, "parse", 5.0);
    p.ingest(
        "main",
        "thr",
        &[("lex", "throughput", "1/s", &[1000.0, 1010.0, 990.0])],
    );
    for i in 0..4 {
        let v = 1000.0 + 10.0 * f64::from(i);
        p.ingest(
            "main",
            &format!("thr{i}"),
            &[("lex", "throughput", "1/s", &[v, v * 1.01, v * 0.99])],
        );
    }
    // Throughput is no default measure: named, it gets a `min`.
    let out = p
        .sloe()
        .args(["budget", "suggest", "--measure", "wall_time"])
        .args(["--measure", "throughput"])
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        lines.contains("[[budget]]") && lines.contains("max = \"") && lines.contains("min = \""),
        "{lines}"
    );
    // The lines are config: appended, they parse, and today's run passes them.
    p.write("sloe.toml", &lines);
    p.ingest(
        "main",
        "now",
        &[
            ("parse", "wall_time", "ms", &[5.0, 5.01, 4.99]),
            ("lex", "throughput", "1/s", &[1020.0, 1030.0, 1010.0]),
        ],
    );
    let (code, r) = p.check_json(&[]);
    assert_eq!(code, 0, "{lines}\n{r:#}");
    assert_eq!(r["results"][0]["status"], "pass", "{lines}\n{r:#}");
    assert!(r["results"][0]["limit"].as_f64().expect("limit") > 5.0);
}

#[test]
fn a_branch_is_compared_with_the_base_up_to_its_merge_base() {
    let p = Project::new(BUDGET);
    p.history_main(5, "parse", 5.0);
    // main moved on after the branch forked from base4: it got slower.
    for i in 0..5 {
        p.ingest(
            "main",
            &format!("later{i}"),
            &[("parse", "wall_time", "ms", &[7.0, 7.01, 6.99])],
        );
    }
    p.ingest(
        "feature",
        "f1",
        &[("parse", "wall_time", "ms", &[5.0, 5.02, 4.98])],
    );
    let (code, r) = p.check_json(&["--base-commit", "base4"]);
    assert_eq!(code, 0, "{r:#}");
    let e = &r["results"][0];
    assert_eq!(e["regression"], "none", "{r:#}");
    assert!(
        (e["baseline"].as_f64().expect("baseline") - 5.0).abs() < 0.1,
        "{r:#}"
    );
    assert!(
        r["metadata"]["baseline"]
            .as_str()
            .expect("baseline")
            .contains("up to the merge-base base4"),
        "{r:#}"
    );
    // Without it, main's newer runs are part of the baseline.
    let (_, r) = p.check_json(&[]);
    assert!(
        r["results"][0]["baseline"].as_f64().expect("baseline") > 5.5,
        "{r:#}"
    );
}

#[test]
fn a_suspected_regression_is_measured_again_before_it_is_recorded() {
    // The history says 1 ms; `sleep 0.05` cannot take less than 50 ms, so the
    // first measurement is a suspect whatever the machine (no timing is
    // asserted beyond that lower bound).
    let p = Project::new("[regression]\nconfirm_runs = 2\n");
    p.history_main(5, "nap", 1.0);
    let out = p
        .sloe()
        .args([
            "run",
            "--name",
            "nap",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--branch",
            "main",
            "--testbed",
            "tb",
            "--format",
            "json",
        ])
        .args(["--", "sleep", "0.05"])
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`nap` may be slower")
            && stderr.contains("confirming with 2 more rounds of 2 runs"),
        "{stderr}"
    );
    // All samples were recorded: 2 + 2 × 2.
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    let e = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|e| e["measure"] == "wall_time")
        .expect("wall_time");
    assert_eq!(e["samples"], 6, "{r:#}");
    assert_eq!(e["regression"], "regression");
}
