//! End-to-end: nothing counted twice, nothing absurd, and `sloe check
//! FILE...` (issue 13, points 6 and 7). Real `sloe` processes on real
//! SQLite files in a temporary project.

use std::process::Output;

use serde_json::Value;

mod common;

use common::Project;

const BUDGET: &str = r#"
[[budget]]
benchmark = "parse"
measure = "wall_time"
max = "10ms"
tolerance = "10%"
"#;

/// sloe's results JSON: one `parse` wall_time series in ms.
fn results(branch: &str, commit: &str, values: &[f64]) -> String {
    serde_json::json!({
        "context": {"branch": branch, "commit": commit, "testbed": "tb"},
        "results": [{"benchmark": "parse", "measure": "wall_time", "unit": "ms", "values": values}],
    })
    .to_string()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(p: &Project, args: &[&str]) -> (i32, String, String) {
    let out = p.sloe().args(args).output().expect("run sloe");
    let (stdout, stderr) = text(&out);
    (out.status.code().expect("exit code"), stdout, stderr)
}

/// How many runs the store holds; 0 when there is no store file.
fn run_count(p: &Project) -> usize {
    if !p.path().join(".sloe/history.db").exists() {
        return 0;
    }
    let (code, stdout, stderr) = run(p, &["history", "--format", "json", "--limit", "100000"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    v.as_array().expect("array").len()
}

/// Ten runs of `main`, ±1 % around 8 ms, each on its own commit.
fn main_history(p: &Project) {
    for i in 0..10 {
        let level = 8.0 * (1.0 + 0.01 * ((i % 3) as f64 - 1.0));
        let file = format!("base{i}.json");
        p.write(
            &file,
            &results(
                "main",
                &format!("base{i}"),
                &[level * 0.99, level, level * 1.01],
            ),
        );
        let (code, _, stderr) = run(p, &["ingest", &file]);
        assert_eq!(code, 0, "{stderr}");
    }
}

#[test]
fn a_reingest_is_skipped_naming_the_run_and_force_records_it() {
    let p = Project::new("");
    p.write("r.json", &results("main", "c1", &[8.0, 8.1, 7.9]));
    let (code, stdout, _) = run(&p, &["ingest", "r.json"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "recorded run 1 from r.json: 1 series, 3 samples\n");

    // The same file, and the same results re-indented in seconds: skipped.
    p.write(
        "again.json",
        r#"{ "context": { "testbed": "tb", "commit": "c1", "branch": "main" },
             "results": [ { "benchmark": "parse", "measure": "wall_time",
                            "unit": "s", "values": [0.008, 0.0081, 0.0079] } ] }"#,
    );
    for file in ["r.json", "again.json"] {
        let (code, stdout, _) = run(&p, &["ingest", file]);
        assert_eq!(code, 0, "a skip is no error");
        assert_eq!(
            stdout,
            format!(
                "skipped {file}: already recorded as run 1 (same results and context); `--force` records it again\n"
            )
        );
    }
    assert_eq!(run_count(&p), 1);

    // JSON says which runs were skipped.
    let (code, stdout, _) = run(&p, &["ingest", "--output", "json", "r.json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["schema"], "sloe.ingest/v1");
    assert_eq!(v["runs"][0]["run"], 1);
    assert_eq!(v["runs"][0]["skipped"], true);
    assert!(
        v["runs"][0]["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{v}"
    );

    // Another context is another run; --force records the same one again.
    let (code, stdout, _) = run(&p, &["ingest", "--branch", "topic", "r.json"]);
    assert_eq!((code, stdout.starts_with("recorded run 2")), (0, true));
    let (code, stdout, _) = run(&p, &["ingest", "--force", "--output", "json", "r.json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        (v["runs"][0]["run"].as_i64(), &v["runs"][0]["skipped"]),
        (Some(3), &Value::Bool(false))
    );
    assert_eq!(run_count(&p), 3);
}

#[test]
fn concurrent_ingests_of_one_file_record_it_once() {
    let p = Project::new("");
    p.write("r.json", &results("main", "c1", &[8.0, 8.1, 7.9]));
    let bin = assert_cmd::cargo::cargo_bin("sloe");
    // Created first: the race is about the run, not the first migration.
    p.write("other.json", &results("main", "c0", &[1.0]));
    assert_eq!(run(&p, &["ingest", "other.json"]).0, 0);
    let children: Vec<_> = (0..6)
        .map(|_| {
            std::process::Command::new(&bin)
                .current_dir(p.path())
                .env("NO_COLOR", "1")
                .args(["ingest", "r.json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut recorded = 0;
    for c in children {
        let out = c.wait_with_output().expect("wait");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        if stdout.starts_with("recorded run") {
            recorded += 1;
        } else {
            assert!(stdout.contains("already recorded as run 2"), "{stdout}");
        }
    }
    assert_eq!(recorded, 1);
    assert_eq!(run_count(&p), 2);
}

#[test]
fn negative_and_non_finite_values_exit_2_naming_file_and_field() {
    let p = Project::new("");
    // Something recorded first, so "nothing stored" is a count that stays.
    p.write("ok.json", &results("main", "c0", &[8.0]));
    assert_eq!(run(&p, &["ingest", "ok.json"]).0, 0);

    p.write("neg.json", &results("main", "c1", &[8.0, -2.0]));
    let (code, stdout, stderr) = run(&p, &["ingest", "neg.json"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(
            "read neg.json: field `results[0].values[1]`: expected a time of zero or more, found -2 ms"
        ),
        "{stderr}"
    );

    // 1e300 s is beyond any f64 once in nanoseconds: infinite.
    p.write(
        "huge.json",
        r#"{"results": [{"benchmark": "parse", "unit": "s", "value": 1e300}]}"#,
    );
    let (code, _, stderr) = run(&p, &["ingest", "huge.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("read huge.json: field `results[0].value`: expected a finite number"),
        "{stderr}"
    );

    // A text format: the reader names the line.
    p.write(
        "go.txt",
        "goos: linux\nBenchmarkParse-8   1000   120 ns/op\nBenchmarkSort-8   1000   -5 ns/op\nPASS\n",
    );
    let (code, _, stderr) = run(&p, &["ingest", "go.txt"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "read go.txt:3: BenchmarkSort-8 wall_time: expected a time of zero or more, found -5 ns"
        ),
        "{stderr}"
    );

    // A format whose reader does not check: the check every format passes
    // names the benchmark, the measure and the sample.
    p.write(
        "hyperfine.json",
        r#"{"results": [{"command": "sort", "mean": 1.0, "stddev": 0.1, "median": 1.0,
            "user": 0.5, "system": 0.1, "min": 0.9, "max": 1.1, "times": [1.0, -0.5, 1.1]}]}"#,
    );
    let (code, _, stderr) = run(&p, &["ingest", "hyperfine.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "read hyperfine.json: benchmark \"sort\" measure `wall_time` sample 2 of 3: expected a time of zero or more, found -0.5 s"
        ),
        "{stderr}"
    );

    // NaN: the reader that meets it names the line.
    p.write("nan.txt", "BenchmarkSort-8   1000   NaN ns/op\n");
    let (code, _, stderr) = run(&p, &["ingest", "nan.txt"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("read nan.txt:1: expected a number before \"ns/op\", found \"NaN\""),
        "{stderr}"
    );

    // All or nothing: with a good file first, neither is recorded.
    let (code, _, _) = run(&p, &["ingest", "ok.json", "neg.json"]);
    assert_eq!(code, 2);
    // And check FILE refuses the same input the same way.
    let (code, _, stderr) = run(&p, &["check", "neg.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("results[0].values[1]"), "{stderr}");
    assert_eq!(run_count(&p), 1, "nothing stored");
}

#[test]
fn check_files_judges_by_budget_without_recording_and_without_a_store() {
    let p = Project::new(BUDGET);
    // No store yet: budgets alone judge, and no store is created.
    p.write("fast.json", &results("topic", "t1", &[8.0, 8.1, 7.9]));
    p.write("slow.json", &results("topic", "t2", &[12.0, 12.1, 11.9]));
    let (code, stdout, stderr) = run(&p, &["check", "fast.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("baseline: no history"), "{stdout}");
    assert!(stderr.contains("not recorded: fast.json"), "{stderr}");
    let (code, stdout, _) = run(&p, &["check", "--format", "json", "slow.json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["summary"]["status"], "failed");
    assert_eq!(v["metadata"]["run_id"], 0);
    assert_eq!(v["metadata"]["branch"], "topic");
    assert!(
        !p.path().join(".sloe/history.db").exists(),
        "check FILE creates no store"
    );
    // The reports are written as `sloe check` writes them.
    assert!(p.path().join("reports/sloe-report-latest.json").exists());

    // --run and files do not mix.
    let (code, _, stderr) = run(&p, &["check", "--run", "1", "fast.json"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn check_files_finds_regressions_against_history_and_records_nothing() {
    let p = Project::new("[report]\nformats = [\"md\", \"html\", \"junit\"]\n");
    main_history(&p);
    assert_eq!(run_count(&p), 10);

    // A branch 50 % slower: a regression against main, exit 1, as `check`.
    p.write("slow.json", &results("topic", "t1", &[12.0, 12.1, 11.9]));
    let (code, stdout, _) = run(
        &p,
        &[
            "check",
            "--format",
            "json",
            "--base-commit",
            "base9",
            "slow.json",
        ],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let r = &v["results"][0];
    assert_eq!(r["regression"], "regression", "{r}");
    assert_eq!(r["baseline_runs"], 10, "{r}");
    // Every report format, the dashboard too (its trend ends at these
    // results, which no store holds).
    for ext in ["json", "md", "html", "junit.xml"] {
        let path = p.path().join(format!("reports/sloe-report-latest.{ext}"));
        assert!(path.exists(), "{}", path.display());
    }
    let html = std::fs::read_to_string(p.path().join("reports/sloe-report-latest.html"))
        .expect("the dashboard");
    assert!(
        html.contains("\"run_id\":0"),
        "the dashboard names the unrecorded run"
    );

    // The same results as unchanged code: passes.
    p.write("same.json", &results("topic", "t2", &[8.0, 8.0, 8.0]));
    let (code, stdout, _) = run(
        &p,
        &[
            "check",
            "--format",
            "json",
            "--base-commit",
            "base9",
            "same.json",
        ],
    );
    assert_eq!(code, 0, "{stdout}");

    // The context flags work as for ingest: --branch main judges it as a
    // main run, --input-format names the format.
    let (code, stdout, _) = run(
        &p,
        &[
            "check",
            "--format",
            "json",
            "--input-format",
            "json",
            "--branch",
            "main",
            "slow.json",
        ],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["metadata"]["branch"], "main");

    assert_eq!(run_count(&p), 10, "check FILE records nothing");

    // Results already recorded are judged as their run, never as their own
    // baseline.
    let (code, stdout, stderr) = run(&p, &["check", "--format", "json", "base9.json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["metadata"]["run_id"], 10);
    assert_eq!(v["results"][0]["baseline_runs"], 9);
    assert!(stderr.contains("holds the results of run 10"), "{stderr}");
    assert_eq!(run_count(&p), 10);
}
