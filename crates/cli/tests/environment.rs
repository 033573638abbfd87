//! Context you can trust (issue 13, point 5), end to end: a harness's
//! placeholder commit loses to CI variables and a flag beats both; each run
//! keeps its environment fingerprint; baseline runs measured on another
//! environment are left out and the report says how many and why.

use serde_json::{Value, json};

mod common;

use common::Project;

/// A pytest-benchmark `--benchmark-json` file as pytest-benchmark 4 writes
/// it (`machine_info` from Python's `platform` and py-cpuinfo), with one
/// benchmark whose rounds take about `ms` milliseconds.
fn pytest_file(commit: &str, branch: &str, cpu: &str, minute: u32, ms: f64) -> String {
    let data: Vec<f64> = [0.99, 1.0, 1.01, 0.995, 1.005]
        .iter()
        .map(|f| ms * f / 1e3)
        .collect();
    json!({
        "machine_info": {
            "node": "runner",
            "processor": "x86_64",
            "machine": "x86_64",
            "python_compiler": "GCC 12.2.0",
            "python_implementation": "CPython",
            "python_version": "3.12.1",
            "release": "6.1.0-28-cloud-amd64",
            "system": "Linux",
            "cpu": {"brand_raw": cpu, "count": 4, "arch_string_raw": "x86_64"}
        },
        "commit_info": {"id": commit, "branch": branch, "dirty": false, "project": "demo"},
        "benchmarks": [{
            "group": null,
            "name": "test_parse",
            "fullname": "bench.py::test_parse",
            "params": null,
            "stats": {"mean": ms / 1e3, "rounds": 5, "data": data}
        }],
        "datetime": format!("2026-11-01T10:{minute:02}:00.000000"),
        "version": "4.0.0"
    })
    .to_string()
}

fn ingest(p: &Project, name: &str, text: &str, env: &[(&str, &str)], args: &[&str]) {
    let file = p.write(name, text);
    let out = p
        .sloe()
        .envs(env.iter().copied())
        .arg("ingest")
        .args(args)
        .arg(file)
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `sloe history --format json`, newest first.
fn history(p: &Project) -> Vec<Value> {
    let out = p
        .sloe()
        .args(["history", "--format", "json"])
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v.as_array().expect("array").clone()
}

fn check_json(p: &Project) -> Value {
    let out = p
        .sloe()
        .args(["check", "--format", "json"])
        .output()
        .expect("run sloe");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not json ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const SHA: &str = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39";

/// The GitHub Actions case that broke merge-base baselines: pytest-benchmark
/// writes `"commit": "unversioned"` outside a checkout it recognises.
#[test]
fn github_sha_beats_a_placeholder_commit_and_a_flag_beats_both() {
    let p = Project::new("");
    let file = pytest_file("unversioned", "(unknown)", "CPU A", 0, 10.0);
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_REF_NAME", "main"),
    ];
    ingest(&p, "a.json", &file, &github, &[]);
    let runs = history(&p);
    assert_eq!(runs[0]["commit"], SHA, "{:#}", runs[0]);
    assert_eq!(runs[0]["branch"], "main");

    ingest(
        &p,
        "b.json",
        &file,
        &github,
        &["--commit", "X", "--branch", "topic"],
    );
    let runs = history(&p);
    assert_eq!(runs[0]["commit"], "X");
    assert_eq!(runs[0]["branch"], "topic");

    // Outside CI and git (a temporary folder), the placeholder is still no
    // commit: nothing is better than a wrong one.
    ingest(&p, "c.json", &file, &[], &[]);
    let runs = history(&p);
    assert_eq!(runs[0]["commit"], Value::Null, "{:#}", runs[0]);
    assert_eq!(runs[0]["branch"], Value::Null);
}

#[test]
fn each_run_keeps_the_harness_facts_over_the_local_machine() {
    let p = Project::new("");
    ingest(
        &p,
        "a.json",
        &pytest_file("c1", "main", "CPU A", 0, 10.0),
        &[],
        &[],
    );
    let fp = &history(&p)[0]["fingerprint"];
    assert_eq!(fp["cpu"], "CPU A", "{fp:#}");
    assert_eq!(fp["cores"], 4);
    assert_eq!(fp["kernel"], "6.1.0-28-cloud-amd64");
    assert_eq!(fp["toolchains"]["python"], "CPython 3.12.1");
    assert_eq!(fp["toolchains"]["pytest-benchmark"], "4.0.0");
    if cfg!(target_os = "linux") {
        // What the file does not say comes from this machine.
        let gib = fp["memory_gib"]
            .as_f64()
            .expect("memory from /proc/meminfo");
        assert!(gib >= 0.5 && (gib * 2.0).fract() == 0.0, "{gib}");
    }
}

/// Five older runs on CPU A, five newer ones on CPU B twice as fast, and a
/// run on CPU A at CPU A's level: only the CPU A runs are its baseline.
fn mixed_history(p: &Project) {
    for i in 0..5 {
        let file = pytest_file(&format!("a{i}"), "main", "CPU A", i, 10.0);
        ingest(p, &format!("a{i}.json"), &file, &[], &[]);
    }
    for i in 0..5 {
        let file = pytest_file(&format!("b{i}"), "main", "CPU B", 10 + i, 5.0);
        ingest(p, &format!("b{i}.json"), &file, &[], &[]);
    }
    let judged = pytest_file("new", "main", "CPU A", 30, 10.0);
    ingest(p, "new.json", &judged, &[], &[]);
}

#[test]
fn runs_on_another_cpu_are_left_out_of_the_baseline_and_the_report_says_so() {
    let p = Project::new("[regression]\nhistory = 5\n");
    mixed_history(&p);
    let r = check_json(&p);
    let m = &r["metadata"];
    assert_eq!(m["baseline_excluded"]["different_environment"], 5, "{m:#}");
    assert_eq!(m["baseline_differences"], json!(["cpu CPU B → CPU A"]));
    let baseline = m["baseline"].as_str().expect("baseline");
    assert!(
        baseline.contains("5 runs on a different environment left out (cpu CPU B → CPU A;"),
        "{baseline}"
    );
    assert_eq!(m["fingerprint"]["cpu"], "CPU A");
    let e = &r["results"][0];
    assert_eq!(e["baseline_runs"], 5, "{e:#}");
    assert_eq!(e["regression"], "none", "{e:#}");
    assert_eq!(r["summary"]["status"], "passed");
}

#[test]
fn same_environment_false_keeps_them() {
    let p = Project::new("[regression]\nhistory = 5\nsame_environment = false\n");
    mixed_history(&p);
    let r = check_json(&p);
    let m = &r["metadata"];
    assert!(m.get("baseline_excluded").is_none(), "{m:#}");
    assert!(
        !m["baseline"]
            .as_str()
            .expect("baseline")
            .contains("left out")
    );
    // Against CPU B's runs, CPU A's level reads as twice as slow.
    let e = &r["results"][0];
    assert_eq!(e["baseline_runs"], 5);
    assert_eq!(e["regression"], "regression", "{e:#}");
}

/// `sloe run` records the machine it measured on.
#[test]
fn sloe_run_records_the_local_machine() {
    let p = Project::new("[[benchmark]]\nname = \"true\"\ncommand = [\"true\"]\nruns = 2\n");
    let out = p
        .sloe()
        .args(["run", "--branch", "main", "--commit", "c1"])
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fp = &history(&p)[0]["fingerprint"];
    assert_eq!(fp["arch"], std::env::consts::ARCH, "{fp:#}");
    assert!(fp["cores"].as_u64().expect("cores") >= 1, "{fp:#}");
    if cfg!(target_os = "linux") {
        // Read the way a user would check it, independently of sloe's parser.
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
        assert_eq!(fp["kernel"], release.trim());
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").expect("cpuinfo");
        let processors = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        assert_eq!(fp["cores"].as_u64(), Some(processors as u64));
        assert!(fp["memory_gib"].as_f64().is_some(), "{fp:#}");
        assert!(
            fp["toolchains"].is_null(),
            "sloe run reports no toolchain: {fp:#}"
        );
    }
}
