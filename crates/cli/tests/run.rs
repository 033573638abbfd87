//! End-to-end tests of `sloe run` with real small commands. They assert on
//! what was observed (exit codes, messages, sample counts, memory floors),
//! never on how long anything took.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use sloe_core::Unit;

mod common;

use common::Project;

impl Project {
    fn run(&self, args: &[&str]) -> Output {
        self.sloe()
            .arg("run")
            .args(["--branch", "main", "--commit", "c1", "--testbed", "tb"])
            .args(args)
            .output()
            .expect("run sloe")
    }

    /// How many runs the project's store holds, by `sloe history --format
    /// json`; a failed or unreadable `sloe history` fails the test. It reads
    /// the store through a config of its own beside `sloe.toml` (the same
    /// default store, `.sloe/history.db`), so that a `sloe.toml` that
    /// `sloe run` rightly refuses cannot make the count fail too.
    fn recorded_runs(&self) -> usize {
        let config = std::fs::read_to_string(self.path().join("sloe.toml")).expect("read config");
        assert!(
            !config.contains("[store]"),
            "recorded_runs reads the default store; this project names its own"
        );
        let count_config = self.write("count-runs.toml", "");
        let out = self
            .sloe()
            .arg("--config")
            .arg(&count_config)
            .args(["history", "--format", "json"])
            .output()
            .expect("run sloe");
        assert!(
            out.status.success(),
            "sloe history failed ({}): {}",
            out.status,
            stderr(&out)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "sloe history --format json printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        v.as_array()
            .unwrap_or_else(|| panic!("sloe history --format json printed no array: {v}"))
            .len()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not a report ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        )
    })
}

/// The canonical value (ns, bytes, %) of (benchmark, measure) in a report.
fn value(report: &Value, benchmark: &str, measure: &str) -> f64 {
    let r = report["results"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["benchmark"] == benchmark && r["measure"] == measure)
        })
        .unwrap_or_else(|| panic!("no {benchmark}/{measure} in {report}"));
    let unit = Unit::parse(r["unit"].as_str().unwrap_or(""));
    unit.to_canonical(r["value"].as_f64().unwrap_or(f64::NAN))
}

const BENCHMARKS: &str = r#"
[[benchmark]]
name = "true"
command = ["true"]
runs = 3

[[benchmark]]
name = "count-lines"
command = "seq 1 1000 | wc -l"
runs = 4
warmup = 1
"#;

#[test]
fn runs_the_configs_benchmarks_records_and_checks_them() {
    let p = Project::new(BENCHMARKS);
    let out = p.run(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    assert_eq!(r["schema"], "sloe.report/v1");
    let results = r["results"].as_array().expect("results");
    for measure in [
        "wall_time",
        "user_time",
        "sys_time",
        "cpu_percent",
        "peak_rss",
        "io_read",
        "io_write",
    ] {
        for b in ["true", "count-lines"] {
            assert!(
                results
                    .iter()
                    .any(|x| x["benchmark"] == b && x["measure"] == measure),
                "{b}/{measure} missing"
            );
        }
    }
    let samples = |b: &str| {
        results
            .iter()
            .find(|x| x["benchmark"] == b && x["measure"] == "wall_time")
            .and_then(|x| x["samples"].as_u64())
    };
    assert_eq!(samples("true"), Some(3));
    assert_eq!(samples("count-lines"), Some(4));
    assert!(stderr(&out).contains("shell start-up"), "{}", stderr(&out));
    assert!(p.path().join("reports/sloe-report-latest.json").exists());
    assert_eq!(p.recorded_runs(), 1);
}

#[test]
fn a_subset_runs_by_name_and_a_typo_gets_a_suggestion() {
    let p = Project::new(BENCHMARKS);
    let out = p.run(&["--format", "json", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    assert!(
        r["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|x| x["benchmark"] == "true")
    );

    let out = p.run(&["count-line"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `count-lines`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_verdict_and_exit_code_are_those_of_sloe_check() {
    let p = Project::new(
        r#"
[[budget]]
benchmark = "sleepy"
measure = "wall_time"
max = "1us"

[[benchmark]]
name = "sleepy"
command = ["sleep", "0.01"]
runs = 2
"#,
    );
    let out = p.run(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let from_run = report(&out);
    assert_eq!(from_run["summary"]["status"], "failed");

    let check = p
        .sloe()
        .args(["check", "--format", "json"])
        .output()
        .expect("run sloe");
    assert_eq!(check.status.code(), Some(1));
    let from_check = report(&check);
    assert_eq!(from_run["summary"], from_check["summary"]);
    assert_eq!(from_run["violations"], from_check["violations"]);
}

#[test]
fn an_ad_hoc_command_is_named_and_measured() {
    let p = Project::new("");
    let out = p.run(&[
        "--format", "json", "--runs", "2", "--name", "echo", "--", "echo", "hi",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    assert!(value(&r, "echo", "wall_time") > 0.0);
    // The benchmark's own output is not mixed into the report.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hi\n"));
}

#[test]
fn a_failing_command_fails_and_records_nothing() {
    let p = Project::new(
        r#"
[[benchmark]]
name = "ok"
command = ["true"]
runs = 2

[[benchmark]]
name = "broken"
command = "exit 3"
runs = 2
"#,
    );
    let out = p.run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("benchmark `broken`") && err.contains("exit code 3"),
        "{err}"
    );
    assert_eq!(p.recorded_runs(), 0, "a half-measured run was recorded");
}

#[test]
fn a_missing_command_is_a_clear_error() {
    let p = Project::new("");
    let out = p.run(&["--", "sloe-no-such-command-42", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("`sloe-no-such-command-42`: command not found"),
        "{err}"
    );
    assert_eq!(p.recorded_runs(), 0);

    let out = p.run(&["--shell", "--runs", "1", "--", "sloe-no-such-command-42"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("exit code 127 (the shell's code for a command not found)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_timeout_kills_the_process_tree_and_records_nothing() {
    let p = Project::new(
        r#"
[[benchmark]]
name = "hangs"
command = "(sleep 1.5; touch survived) & sleep 30"
timeout = "300ms"
runs = 1
"#,
    );
    let start = Instant::now();
    let out = p.run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        start.elapsed() < Duration::from_secs(25),
        "the timeout did not stop the run"
    );
    assert!(
        stderr(&out).contains("timed out after 300.000 ms"),
        "{}",
        stderr(&out)
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !p.path().join("survived").exists(),
        "a grandchild outlived the timeout"
    );
    assert_eq!(p.recorded_runs(), 0);
}

#[test]
fn memory_of_grandchildren_counts() {
    let p = Project::new(
        r#"
[[benchmark]]
name = "tree"
# sh -> sh -> tail, which holds 64 MiB of newline-free input.
command = "sh -c 'head -c 64M /dev/zero | tail > /dev/null'; true"
runs = 1
"#,
    );
    let out = p.run(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rss = value(&report(&out), "tree", "peak_rss");
    assert!(rss >= (64u64 << 20) as f64, "peak RSS {rss} bytes");
}

#[test]
fn a_stage_streams_output_and_its_failure_fails_sloe() {
    let p = Project::new("");
    let out = p.run(&[
        "--format", "json", "--stage", "ci:lint", "--", "echo", "linted",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("linted\n"), "{stdout}");
    let r: Value = serde_json::from_str(&stdout["linted\n".len()..]).expect("report");
    let wall = r["results"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|x| x["benchmark"] == "ci:lint" && x["measure"] == "wall_time")
        })
        .expect("wall_time");
    assert_eq!(wall["samples"], 1);

    let out = p.run(&[
        "--stage",
        "ci:test",
        "--",
        "sh",
        "-c",
        "echo testing; exit 4",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("testing"));
    let err = stderr(&out);
    assert!(
        err.contains("stage `ci:test`")
            && err.contains("exit code 4")
            && err.contains("whatever the budgets say"),
        "{err}"
    );
    assert_eq!(p.recorded_runs(), 1, "only the passing stage is recorded");
}

#[test]
fn sampling_adds_burst_and_sustained_cpu_and_keeps_the_timeline() {
    let p = Project::new(
        r#"
[[benchmark]]
name = "hold"
# A grandchild holds ~20 MB while it sleeps half a second.
command = "sh -c 'x=$(head -c 20000000 /dev/zero | tr \"\\0\" a); sleep 0.5; echo ${#x} >/dev/null'; true"
runs = 2
sample_interval = "20ms"
sustained_window = "200ms"
"#,
    );
    let out = p.run(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    let burst = value(&r, "hold", "cpu_burst");
    let sustained = value(&r, "hold", "cpu_sustained");
    assert!(burst >= sustained, "burst {burst} < sustained {sustained}");
    let html = p.path().join("out");
    let out = p
        .sloe()
        .args(["report", "--format", "html", "--out"])
        .arg(&html)
        .output()
        .expect("run sloe");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_bad_sample_interval_is_refused_before_anything_runs() {
    let p = Project::new(
        r#"
[[benchmark]]
name = "t"
command = ["true"]
sample_interval = "0ms"
"#,
    );
    let out = p.run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("benchmark `t`.sample_interval: expected a time above zero"),
        "{}",
        stderr(&out)
    );
    // Refused when the config is read: not even the store was opened.
    assert!(!p.path().join(".sloe").exists());
    let p = Project::new("");
    let out = p.run(&["--sample-interval", "3GiB", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--sample-interval"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn monitor_shows_the_tree_and_passes_output_through() {
    let p = Project::new("");
    let out = p
        .sloe()
        .args(["monitor", "--interval", "20ms", "--", "sh", "-c"])
        .arg("echo hello; x=$(head -c 20000000 /dev/zero | tr '\\0' a); sleep 0.4; echo ${#x}")
        .output()
        .expect("run sloe");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n20000000\n");
    let err = stderr(&out);
    assert!(err.contains("% burst") && err.contains("peak RSS"), "{err}");
    // Not a terminal: progress comes as plain lines, and nothing is recorded.
    assert_eq!(p.recorded_runs(), 0);

    let out = p
        .sloe()
        .args(["monitor", "--", "sh", "-c", "exit 3"])
        .output()
        .expect("run sloe");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("ended with exit code 3"),
        "{}",
        stderr(&out)
    );
    let out = p
        .sloe()
        .args(["monitor", "--", "sloe-no-such-program-xyz"])
        .output()
        .expect("run sloe");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("command not found"),
        "{}",
        stderr(&out)
    );
}

/// The regression verdict of (benchmark, wall_time) in a report.
fn wall_regression(report: &Value, benchmark: &str) -> String {
    report["results"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["benchmark"] == benchmark && r["measure"] == "wall_time")
        })
        .and_then(|r| r["regression"].as_str())
        .unwrap_or_else(|| panic!("no {benchmark}/wall_time verdict in {report}"))
        .to_owned()
}

#[test]
fn ab_mode_judges_interleaved_real_commands_by_direction() {
    // Only the direction of a threefold change is asserted, never a time.
    let p = Project::new(
        r#"
[[benchmark]]
name = "slower"
baseline_command = ["sleep", "0.01"]
command = ["sleep", "0.03"]
runs = 8

[[benchmark]]
name = "faster"
baseline_command = ["sleep", "0.03"]
command = ["sleep", "0.01"]
runs = 8

[[benchmark]]
name = "plain"
command = ["true"]
runs = 2
"#,
    );
    let out = p.run(&["--ab", "--format", "json"]);
    let r = report(&out);
    assert_eq!(wall_regression(&r, "slower"), "regression", "{r}");
    assert_eq!(wall_regression(&r, "faster"), "improvement", "{r}");
    let results = r["results"].as_array().expect("results");
    assert!(
        results.iter().all(|x| x["benchmark"] != "plain"),
        "--ab runs only benchmarks with a baseline_command"
    );
    assert!(
        results
            .iter()
            .all(|x| !x["benchmark"].as_str().unwrap_or("").ends_with("@baseline")),
        "the A side gets no verdict of its own"
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("A/B mode"), "{}", stderr(&out));
    let compared = r["metadata"]["baseline"].as_str().unwrap_or("");
    assert!(
        compared.contains("A/B: `slower`, `faster`")
            || compared.contains("A/B: `faster`, `slower`"),
        "{compared}"
    );
}

#[test]
fn ab_mode_ad_hoc_and_its_errors() {
    let p = Project::new(
        r#"
[[benchmark]]
name = "no-baseline"
command = ["true"]
"#,
    );
    let out = p.run(&["--ab", "no-baseline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`no-baseline`") && stderr(&out).contains("baseline_command"),
        "{}",
        stderr(&out)
    );
    // A/B mode with `parse` is refused when the config is read, so that
    // benchmark is in a config of its own (tests/config_validation.rs has
    // the rest of that check).
    let parsed = Project::new(
        r#"
[[benchmark]]
name = "parsed"
command = ["true"]
baseline_command = ["true"]
parse = "hyperfine"
"#,
    );
    let out = parsed.run(&["parsed"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("parsed") && stderr(&out).contains("parse"),
        "{}",
        stderr(&out)
    );
    let out = p.run(&["--ab", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--baseline-command"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.recorded_runs(), 0);

    let out = p.run(&[
        "--ab",
        // 20x apart, so the verdict holds even on a machine loaded enough
        // to make single executions swing by several times.
        "--baseline-command",
        "sleep 0.1",
        "--runs",
        "10",
        "--name",
        "quick",
        "--format",
        "json",
        "--",
        "sleep",
        "0.005",
    ]);
    assert_eq!(wall_regression(&report(&out), "quick"), "improvement");
    assert_eq!(p.recorded_runs(), 1);
}
