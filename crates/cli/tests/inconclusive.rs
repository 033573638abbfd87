//! End-to-end: when a regression test cannot tell, the verdict says so
//! (`inconclusive`, never a pass), A/B mode tells, and a run of many
//! benchmarks pools its noise so that a +10 % change is found on ingested
//! runs. Real `sloe` processes on real SQLite files.

use std::process::Output;

use serde_json::Value;

mod common;

use common::Project;

/// One ingested run on testbed `tb`: `(benchmark, values in s)`.
fn ingest(p: &Project, branch: &str, commit: &str, series: &[(&str, Vec<f64>)]) {
    let results: Vec<Value> = series
        .iter()
        .map(|(b, v)| serde_json::json!({"benchmark": b, "measure": "wall_time", "unit": "s", "values": v}))
        .collect();
    let doc = serde_json::json!({
        "context": {"branch": branch, "commit": commit, "testbed": "tb"},
        "results": results,
    });
    let file = p.write(&format!("run-{commit}.json"), &doc.to_string());
    let out = p.sloe().arg("ingest").arg(file).output().expect("run sloe");
    assert!(out.status.success(), "ingest failed: {}", stderr(&out));
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn check_json(p: &Project) -> (Option<i32>, Value) {
    let out = p
        .sloe()
        .args(["check", "--format", "json"])
        .output()
        .expect("run sloe");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a report ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        )
    });
    (out.status.code(), v)
}

fn entry<'a>(report: &'a Value, benchmark: &str) -> &'a Value {
    report["results"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["benchmark"] == benchmark))
        .unwrap_or_else(|| panic!("no {benchmark} in {report}"))
}

/// The medians (s) of `sort` on a noisy runner: they swing by a factor
/// of almost three from run to run.
const NOISY_SORT: [f64; 10] = [0.30, 0.62, 0.25, 0.48, 0.35, 0.70, 0.28, 0.41, 0.55, 0.33];

fn geometric_mean(v: &[f64]) -> f64 {
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}

#[test]
fn a_doubled_sort_on_a_noisy_history_is_inconclusive() {
    let p = Project::new("");
    for (i, level) in NOISY_SORT.iter().enumerate() {
        ingest(&p, "main", &format!("base{i}"), &[("sort", vec![*level])]);
    }
    // The pull request makes `sort` take twice as long.
    let doubled = 2.0 * geometric_mean(&NOISY_SORT);
    ingest(&p, "feature", "pr", &[("sort", vec![doubled])]);
    let (code, r) = check_json(&p);
    let e = entry(&r, "sort");
    assert_eq!(e["regression"], "inconclusive", "{e}");
    // The test could not have seen the 10 % warning at this noise.
    assert!(
        e["min_detectable_change"].as_f64().expect("mdc") > 0.10,
        "{e}"
    );
    assert!(
        (e["change"].as_f64().expect("change") - 1.0).abs() < 1e-9,
        "{e}"
    );
    assert_eq!(e["noise"]["basis"], "own_runs", "{e}");
    assert_eq!(e["noise"]["runs"], 10, "{e}");
    // Inconclusive does not fail CI by default (policy.fail_on may name it).
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["summary"]["regressions"], 0, "{r}");

    let strict = Project::new("[policy]\nfail_on = [\"regression\", \"inconclusive\"]\n");
    for (i, level) in NOISY_SORT.iter().enumerate() {
        ingest(
            &strict,
            "main",
            &format!("base{i}"),
            &[("sort", vec![*level])],
        );
    }
    ingest(&strict, "feature", "pr", &[("sort", vec![doubled])]);
    let (code, r) = check_json(&strict);
    assert_eq!(entry(&r, "sort")["regression"], "inconclusive");
    assert_eq!(code, Some(1), "{r}");
}

#[test]
fn a_doubled_sort_is_a_regression_in_ab_mode() {
    // The same runner noise, but each candidate execution is paired with a
    // baseline execution beside it (A/B mode records the A side as
    // `sort@baseline`), so the noise cancels in each pair.
    let p = Project::new("");
    for (i, level) in NOISY_SORT.iter().enumerate() {
        ingest(&p, "main", &format!("base{i}"), &[("sort", vec![*level])]);
    }
    let a: Vec<f64> = NOISY_SORT.to_vec();
    let b: Vec<f64> = NOISY_SORT
        .iter()
        .enumerate()
        .map(|(i, x)| 2.0 * x * (1.0 + 0.02 * ((i % 3) as f64 - 1.0)))
        .collect();
    ingest(&p, "feature", "pr", &[("sort", b), ("sort@baseline", a)]);
    let (code, r) = check_json(&p);
    let e = entry(&r, "sort");
    assert_eq!(e["regression"], "regression", "{e}");
    assert_eq!(e["noise"]["basis"], "paired", "{e}");
    assert_eq!(e["noise"]["runs"], 10, "{e}");
    assert_eq!(code, Some(1), "{r}");
    assert!(
        r["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|x| x["benchmark"] != "sort@baseline"),
        "the A side gets no verdict of its own: {r}"
    );
}

#[test]
fn a_doubled_command_is_a_regression_with_sloe_run_ab() {
    // Real executions: twice as long, interleaved with its baseline.
    let p = Project::new(
        r#"
[[benchmark]]
name = "sort"
baseline_command = ["sleep", "0.05"]
command = ["sleep", "0.1"]
runs = 10
"#,
    );
    let out = p
        .sloe()
        .args([
            "run",
            "--branch",
            "feature",
            "--commit",
            "pr",
            "--testbed",
            "tb",
        ])
        .args(["--ab", "--format", "json"])
        .output()
        .expect("run sloe");
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a report ({e}): {}", stderr(&out)));
    let e = entry(&r, "sort");
    assert_eq!(e["regression"], "regression", "{e}");
    assert_eq!(e["noise"]["basis"], "paired", "{e}");
}

/// 24 benchmarks ingested over 10 main runs with ~2.5 % run-to-run noise
/// (a deterministic pattern, rotated per benchmark), then a run in which
/// `bench-00` is 10 % slower and the rest unchanged.
fn pooled_project() -> Project {
    let pattern = [1.0, 1.03, 0.97, 1.02, 0.98, 1.035, 0.965, 1.01, 0.99, 1.0];
    let p = Project::new("");
    let level = |b: usize| 0.1 + 0.01 * b as f64;
    for i in 0..10 {
        let series: Vec<(String, Vec<f64>)> = (0..24)
            .map(|b| {
                (
                    format!("bench-{b:02}"),
                    vec![level(b) * pattern[(i + b) % 10]],
                )
            })
            .collect();
        let borrowed: Vec<(&str, Vec<f64>)> = series
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .collect();
        ingest(&p, "main", &format!("base{i}"), &borrowed);
    }
    let gm = geometric_mean(&pattern);
    let series: Vec<(String, Vec<f64>)> = (0..24)
        .map(|b| {
            let factor = if b == 0 { 1.10 * (1.0 + 1e-9) } else { 1.0 };
            (format!("bench-{b:02}"), vec![level(b) * gm * factor])
        })
        .collect();
    let borrowed: Vec<(&str, Vec<f64>)> = series
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    ingest(&p, "feature", "pr", &borrowed);
    p
}

#[test]
fn pooled_noise_finds_ten_percent_among_many_ingested_benchmarks() {
    let p = pooled_project();
    let (code, r) = check_json(&p);
    let slow = entry(&r, "bench-00");
    assert_eq!(slow["regression"], "regression", "{slow}");
    assert_eq!(slow["noise"]["basis"], "pooled", "{slow}");
    assert_eq!(slow["noise"]["series_pooled"], 24, "{slow}");
    for b in 1..24 {
        let e = entry(&r, &format!("bench-{b:02}"));
        assert_eq!(e["regression"], "none", "{e}");
        assert_eq!(e["noise"]["basis"], "pooled", "{e}");
    }
    assert_eq!(code, Some(1), "{r}");
    assert_eq!(r["summary"]["regressions"], 1, "{r}");
}
