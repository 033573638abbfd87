//! End-to-end, issue 15: an empty run never passes the gate (item 6), and
//! commands that only read work on a store sloe may not write (item 7).
//! Real `sloe` processes on real SQLite files in a temporary project.

use std::process::Output;

use serde_json::Value;

mod common;

use common::Project;

const BUDGETS: &str = r#"
[[budget]]
benchmark = "parse"
measure = "wall_time"
max = "10ms"

[[budget]]
benchmark = "render"
measure = "wall_time"
max = "10ms"
"#;

const EMPTY: &str = r#"{"results":[]}"#;

fn results(benchmarks: &[&str], commit: &str) -> String {
    let results: Vec<Value> = benchmarks
        .iter()
        .map(|b| serde_json::json!({"benchmark": b, "measure": "wall_time", "unit": "ms", "values": [5.0, 5.1, 4.9]}))
        .collect();
    serde_json::json!({
        "context": {"branch": "main", "commit": commit, "testbed": "tb"},
        "results": results,
    })
    .to_string()
}

fn run(p: &Project, args: &[&str]) -> (i32, String, String) {
    let out: Output = p.sloe().args(args).output().expect("run sloe");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn runs_recorded(p: &Project) -> usize {
    let (code, stdout, stderr) = run(p, &["history", "--format", "json", "--limit", "1000"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    v.as_array().expect("array").len()
}

// ---------------------------------------------------------------------------
// Item 6

/// The case of the issue: `{"results":[]}` was recorded as a run of 0
/// series and `sloe check` then said `PASSED: 0 of 0`, exit 0.
#[test]
fn issue15_an_empty_results_file_is_refused_by_ingest() {
    let p = Project::new(BUDGETS);
    p.write("ok.json", &results(&["parse", "render"], "c1"));
    let (code, _, stderr) = run(&p, &["ingest", "ok.json"]);
    assert_eq!(code, 0, "{stderr}");
    p.write("empty.json", EMPTY);
    let (code, _, stderr) = run(&p, &["ingest", "empty.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("empty.json"), "{stderr}");
    assert!(stderr.contains("no results"), "{stderr}");
    assert!(stderr.contains("--allow-empty"), "{stderr}");
    assert_eq!(runs_recorded(&p), 1, "nothing recorded");
    // The latest run is still the good one, and it passes.
    let (code, stdout, stderr) = run(&p, &["check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn issue15_an_empty_run_recorded_with_allow_empty_fails_the_check() {
    let p = Project::new(BUDGETS);
    p.write("empty.json", EMPTY);
    let (code, _, stderr) = run(&p, &["ingest", "--allow-empty", "empty.json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(runs_recorded(&p), 1);
    let (code, stdout, stderr) = run(&p, &["check"]);
    assert_eq!(code, 1, "an empty run must not pass: {stdout}{stderr}");
    assert!(!stdout.contains("PASSED"), "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("no results"), "{stdout}");

    let (code, stdout, stderr) = run(&p, &["check", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["summary"]["status"], "failed");
    let kinds: Vec<&str> = v["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"empty_run"), "{kinds:?}");
}

#[test]
fn issue15_check_of_empty_files_is_refused_unless_allowed() {
    let p = Project::new(BUDGETS);
    p.write("empty.json", EMPTY);
    let (code, _, stderr) = run(&p, &["check", "empty.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("empty.json") && stderr.contains("no results"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(&p, &["check", "--allow-empty", "empty.json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(!stdout.contains("PASSED"), "{stdout}");
}

/// Without budgets, an empty run still is no pass: policy without
/// `missing` makes it a warning, never PASSED.
#[test]
fn issue15_an_empty_run_is_at_least_a_warning() {
    let p = Project::new("[policy]\nfail_on = [\"violation\", \"regression\"]\n");
    p.write("empty.json", EMPTY);
    let (code, stdout, stderr) = run(&p, &["check", "--allow-empty", "empty.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("PASSED WITH WARNINGS"), "{stdout}");
    assert!(stdout.contains("empty run"), "{stdout}");
}

/// A run that lacks a benchmark its budgets name (recorded before) is a
/// finding that blocks under `missing`, with the advice kept.
#[test]
fn issue15_a_run_lacking_a_budgeted_benchmark_fails_under_missing() {
    let p = Project::new(&format!(
        "[policy]\nfail_on = [\"violation\", \"regression\", \"missing\"]\n{BUDGETS}"
    ));
    p.write("full.json", &results(&["parse", "render"], "c1"));
    assert_eq!(run(&p, &["ingest", "full.json"]).0, 0);
    p.write("half.json", &results(&["parse"], "c2"));
    let (code, stdout, stderr) = run(&p, &["check", "half.json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("render"), "{stdout}");
    assert!(stdout.contains("policy fails on"), "{stdout}");

    // Policy decides: without `missing` it is said, not blocked on.
    let lenient = Project::new(&format!(
        "[policy]\nfail_on = [\"violation\", \"regression\"]\n{BUDGETS}"
    ));
    lenient.write("half.json", &results(&["parse"], "c2"));
    let (code, stdout, stderr) = run(&lenient, &["check", "half.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("render"), "{stdout}");
}

// ---------------------------------------------------------------------------
// Item 7

/// The case of the issue: `sloe history` failed on a read-only `.sloe`
/// folder because WAL wants its `-shm` file. Tests may run as root, where
/// `chmod` stops nothing, so the `-shm` is made impossible to create by a
/// directory in its place (which stops root too); as another user the
/// folder is also made read-only with `chmod`, as the issue did.
#[test]
fn issue15_read_commands_work_on_a_store_sloe_cannot_write() {
    let p = Project::new(BUDGETS);
    p.write("ok.json", &results(&["parse", "render"], "c1"));
    assert_eq!(run(&p, &["ingest", "ok.json"]).0, 0);
    let sloe_dir = p.path().join(".sloe");
    std::fs::create_dir(sloe_dir.join("history.db-shm")).expect("block the -shm");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sloe_dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    }
    let history = run(&p, &["history", "--format", "json"]);
    let check = run(&p, &["check", "--report-dir", "reports-out"]);
    let ingest = run(&p, &["ingest", "ok.json", "--force"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sloe_dir, std::fs::Permissions::from_mode(0o755))
            .expect("chmod back");
    }
    assert_eq!(history.0, 0, "history must read: {}", history.2);
    let v: Value = serde_json::from_str(&history.1).expect("json");
    assert_eq!(v.as_array().expect("array").len(), 1);
    assert_eq!(
        check.0, 0,
        "check records nothing and must read: {}{}",
        check.1, check.2
    );
    assert_eq!(ingest.0, 2, "a write cannot work here: {}", ingest.2);
}
