//! Issue 14, items 6 and 7: what a new user hit when ingesting results and
//! reading sloe's flags and messages, reproduced through the binary.

use std::process::Output;

use serde_json::Value;

mod common;

use common::{Project, format_fixture, junit_xml, minute_events, sloe, sloe_in};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The run's `(benchmark, measure)` pairs in what `ingest --dry-run` printed.
fn series(out: &Output) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_slice(&out.stdout).expect("results JSON");
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["benchmark"].as_str().expect("benchmark").to_owned(),
                r["measure"].as_str().expect("measure").to_owned(),
            )
        })
        .collect()
}

// Item 6: Google Benchmark with --benchmark_report_aggregates_only.
#[test]
fn gbench_aggregates_only_is_read_with_a_warning() {
    let file = format_fixture("google-benchmark/by-hand/gb_1.7.1_mean_only.json");
    let out = sloe()
        .args(["ingest", "--dry-run"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("per-repetition samples are missing"),
        "{err}"
    );
    assert!(err.contains("BM_VectorSum/1024"), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("results JSON");
    let wall = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["benchmark"] == "BM_VectorSum/1024" && r["measure"] == "wall_time")
        .expect("the mean is read");
    assert_eq!(wall["values"].as_array().map(Vec::len), Some(1));

    // Recording says it too, and still records.
    let p = Project::new("");
    let out = p.sloe().arg("ingest").arg(&file).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("per-repetition samples are missing"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("recorded run"), "{}", stdout(&out));

    // Repetitions present: nothing to warn about.
    let out = sloe()
        .args(["ingest", "--dry-run"])
        .arg(format_fixture(
            "google-benchmark/generated/gb_1.7.1_repetitions_with_aggregates.json",
        ))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

// Item 6: JUnit skipped tests are not 0 s timings.
#[test]
fn junit_skipped_tests_are_counted_not_timed() {
    let p = Project::new("");
    p.write(
        "junit.xml",
        &junit_xml("unit", &[("runs", "pass"), ("not_on_ci", "skip")]),
    );
    let out = p
        .sloe()
        .args(["ingest", "--dry-run", "junit.xml"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let s = series(&out);
    let timed: Vec<&str> = s
        .iter()
        .filter(|(b, m)| b.starts_with("test:") && m == "wall_time")
        .map(|(b, _)| b.as_str())
        .collect();
    assert_eq!(timed, ["test:unit::runs"]);
    assert!(
        s.contains(&("suite:unit".to_owned(), "skipped".to_owned())),
        "{s:?}"
    );
}

// Item 6: a directory that is no criterion tree.
#[test]
fn a_directory_without_results_says_what_it_looked_for() {
    let p = Project::new("");
    std::fs::create_dir(p.path().join("results")).expect("mkdir");
    let gbench = std::fs::read(format_fixture(
        "google-benchmark/generated/gb_1.7.1_repetitions_with_aggregates.json",
    ))
    .expect("fixture");
    std::fs::write(p.path().join("results/bench.json"), gbench).expect("write");
    std::fs::write(p.path().join("results/notes.txt"), "hello\n").expect("write");
    let out = p.sloe().args(["ingest", "results"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains("find a criterion benchmark"), "{err}");
    for looked_for in [
        "target/criterion",
        "<benchmark>/new/sample.json",
        "estimates.json",
        "gbench",
        "junit",
        "hyperfine",
    ] {
        assert!(err.contains(looked_for), "no {looked_for:?} in {err}");
    }
    // The file that does look like results is named, with its format.
    assert!(err.contains("bench.json (gbench)"), "{err}");
    assert!(!err.contains("notes.txt"), "{err}");
}

const EVENTS: &str = r#"{"stream":"api","ts":"2026-11-20T10:00:30Z","good":990,"total":1000}
{"stream":"web","ts":"2026-11-20T10:01:01Z","ok":false}
"#;

// Item 7: `sloe slo ingest --dry-run`.
#[test]
fn slo_ingest_dry_run_says_what_it_would_record_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A project (an empty sloe.toml), so the real ingest at the end may
    // make its store.
    std::fs::write(dir.path().join("sloe.toml"), "").expect("write");
    std::fs::write(dir.path().join("events.jsonl"), EVENTS).expect("write");
    let out = sloe_in(dir.path())
        .args(["slo", "ingest", "--dry-run", "events.jsonl"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("would record 2 events of 2 stream(s) (api, web)"),
        "{text}"
    );
    assert!(text.contains("nothing recorded"), "{text}");
    assert!(!dir.path().join(".sloe").exists(), "a dry run made a store");
    // A bad line still fails the dry run.
    std::fs::write(dir.path().join("bad.jsonl"), "{\"stream\":\"api\"}\n").expect("write");
    let out = sloe_in(dir.path())
        .args(["slo", "ingest", "--dry-run", "bad.jsonl"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // And the real ingest afterwards records what the dry run announced.
    let out = sloe_in(dir.path())
        .args(["slo", "ingest", "events.jsonl"])
        .output()
        .expect("runs");
    assert!(
        stdout(&out).contains("recorded 2 events of 2 stream(s)"),
        "{}",
        stdout(&out)
    );
}

// Item 7: `--keep-minutes <DAYS>` is named for what it holds.
#[test]
fn keep_minutes_is_renamed_and_the_old_name_still_works() {
    let help = sloe()
        .args(["slo", "ingest", "--help"])
        .output()
        .expect("runs");
    let help = stdout(&help);
    assert!(help.contains("--keep-minute-buckets-days <DAYS>"), "{help}");
    assert!(!help.contains("--keep-minutes "), "{help}");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("events.jsonl"), EVENTS).expect("write");
    for flag in ["--keep-minute-buckets-days", "--keep-minutes"] {
        let out = sloe_in(dir.path())
            .args(["slo", "ingest", "--dry-run", "events.jsonl", flag, "0"])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
    }
}

const SLO_CONFIG: &str = "[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n";

// Item 7: `sloe slo validate` without a path, and objectives as written.
#[test]
fn slo_validate_without_a_path_reads_the_config() {
    let p = Project::new(SLO_CONFIG);
    let out = p.sloe().args(["slo", "validate"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("api"), "{text}");
    assert!(text.contains("objective 99.9%"), "{text}");
    assert!(text.contains("1 SLO read from 1 file"), "{text}");
}

#[test]
fn objectives_print_as_written() {
    // OpenSLO's `target: 0.999` is 99.9 % too, whatever float it becomes.
    let p = Project::new("");
    p.write(
        "slo.yaml",
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: api\nspec:\n  service: web\n  indicator:\n    metadata:\n      name: i\n    spec:\n      ratioMetric:\n        good:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: good\n        total:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: total\n  timeWindow:\n    - duration: 30d\n      isRolling: true\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n",
    );
    let out = p
        .sloe()
        .args(["slo", "validate", "slo.yaml"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("objective 99.9%"), "{}", stdout(&out));

    let p = Project::new(SLO_CONFIG);
    p.write(
        "events.jsonl",
        &minute_events("2026-11-23T12:00:00Z", 60, |_| 0),
    );
    let out = p
        .sloe()
        .args(["slo", "status", "--events", "events.jsonl", "--at"])
        .arg("2026-11-23T12:00:00Z")
        .output()
        .expect("runs");
    let text = stdout(&out);
    assert!(text.contains("objective 99.9%"), "{text}");
    assert!(!text.contains("99.900"), "{text}");

    // The rules keep Sloth's numbers; their header says the objective as written.
    let p = Project::new(
        "[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { prometheus = { good = \"sum(rate(ok[{{window}}]))\", total = \"sum(rate(all[{{window}}]))\" } }\n",
    );
    let out = p.sloe().args(["slo", "rules"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("\n# SLO api of service api: objective 99.9% over 30d\n"),
        "{text}"
    );
}

// Item 7: a spent budget says since when, not "by <now>".
#[test]
fn a_spent_budget_says_when_it_ran_out() {
    let p = Project::new(SLO_CONFIG);
    // An hour of traffic ending at 12:00, clean for 30 minutes, then 5 %
    // failing: 60,000 events allow 60 bad; the failures' second minute
    // (11:31) spends them.
    let at = "2026-11-23T12:00:00Z";
    p.write(
        "events.jsonl",
        &minute_events(at, 60, |m| if m < 30 { 0 } else { 50 }),
    );
    let out = p
        .sloe()
        .args(["slo", "status", "--events", "events.jsonl", "--at", at])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("budget exhausted since 2026-11-23T11:31:00Z"),
        "{text}"
    );
    assert!(!text.contains(&format!("exhausted by {at}")), "{text}");
}

// Item 7: `--runs 0` is an error.
#[test]
fn zero_runs_is_an_error() {
    let p = Project::new("");
    for args in [
        &["run", "--runs", "0", "--", "true"][..],
        &["budget", "suggest", "--runs", "0"][..],
    ] {
        let out = p.sloe().args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("--runs"), "{args:?}: {err}");
        assert!(err.contains('0'), "{args:?}: {err}");
    }
    assert!(
        !p.path().join(".sloe").exists(),
        "nothing was run or recorded"
    );
    // The config's `runs = 0` too, rather than one run in silence.
    let p = Project::new("[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\nruns = 0\n");
    let out = p.sloe().arg("run").output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("benchmark `t`.runs: expected at least 1 run, found 0"),
        "{}",
        stderr(&out)
    );
}

// Item 7: YAML where TOML is expected.
#[test]
fn a_yaml_config_under_a_toml_name_gets_a_hint() {
    let yaml = "project:\n  base_branch: main\nbudget:\n  - benchmark: \"*\"\n    max: 1s\n";
    let p = Project::new(yaml);
    p.write("x.toml", yaml);
    for args in [&["history"][..], &["--config", "x.toml", "history"][..]] {
        let out = p.sloe().args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("looks like YAML"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

// Item 7: `sloe init` writes a [[benchmark]] example, and its catch-all
// budget leaves JUnit suites alone.
#[test]
fn init_writes_a_benchmark_example_and_a_budget_junit_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = sloe_in(dir.path()).arg("init").output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let config = std::fs::read_to_string(dir.path().join("sloe.toml")).expect("config");
    let budget = config.find("[[budget]]").expect("a budget");
    let benchmark = config.find("[[benchmark]]").expect("a benchmark example");
    assert!(benchmark < budget, "the example sits beside the budgets");

    // A JUnit report whose suite and test take longer than the catch-all's
    // 1 s: tests are not benchmarks, so nothing is over budget.
    std::fs::write(
        dir.path().join("junit.xml"),
        "<testsuites><testsuite name=\"integration\" time=\"42.5\">\n<testcase classname=\"integration\" name=\"login\" time=\"12.5\"/>\n</testsuite></testsuites>\n",
    )
    .expect("write");
    let out = sloe_in(dir.path())
        .args(["ingest", "junit.xml"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sloe_in(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    assert_eq!(report["summary"]["violations"], 0, "{report:#}");
    let results = report["results"].as_array().expect("results");
    assert!(
        results
            .iter()
            .any(|r| r["benchmark"] == "suite:integration" && r["measure"] == "wall_time"),
        "{report:#}"
    );
    for r in results {
        assert!(r["limit"].is_null(), "a budget judged {r:#}");
    }
}

// Item 6: `sloe run` passes on what a harness's output lacks, as ingest does.
#[test]
fn run_with_a_parsed_aggregates_only_output_warns() {
    let fixture = format_fixture("google-benchmark/by-hand/gb_1.7.1_mean_only.json");
    let p = Project::new(&format!(
        "[[benchmark]]\nname = \"gb\"\ncommand = [\"cat\", {:?}]\nparse = \"gbench\"\n",
        fixture.display().to_string()
    ));
    let out = p.sloe().arg("run").output().expect("runs");
    let err = stderr(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    assert!(
        err.contains("warning: benchmark `gb`:")
            && err.contains("per-repetition samples are missing"),
        "{err}"
    );
    // --quiet keeps warnings: they say the results may be unsound.
    let out = p.sloe().args(["--quiet", "run"]).output().expect("runs");
    assert!(
        stderr(&out).contains("per-repetition samples are missing"),
        "{}",
        stderr(&out)
    );
}
