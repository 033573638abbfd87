//! Every captured harness output under `tests/fixtures` is read
//! here: with detection, and with the format its folder implies. Files
//! that cannot be read are listed in `UNREADABLE` with the reason; the
//! test fails when such a file becomes readable or a listed file vanishes.
//! What was read is pinned in insta snapshots (`tests/snapshots`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sloe_formats::{Format, Parsed};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every file under `dir`, as paths relative to `root`, sorted.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).expect("under root");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn all_files() -> Vec<String> {
    let root = fixtures();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

/// The format a fixture's folder implies.
fn folder_format(path: &str) -> Format {
    let folder = path.split('/').next().unwrap_or("");
    match folder {
        "asv" => Format::Asv,
        "benchmarkdotnet" => Format::Bdn,
        "catch2" if path.ends_with("junit.xml") || path.ends_with("junit_reporter.xml") => {
            Format::Junit
        }
        "catch2" => Format::Catch2,
        "criterion" => Format::Criterion,
        "go-bench" => Format::Gobench,
        "google-benchmark" => Format::Gbench,
        "hyperfine" => Format::Hyperfine,
        "iai" => Format::Iai,
        "jmh" => Format::Jmh,
        "junit" => Format::Junit,
        "pytest-benchmark" => Format::PytestBenchmark,
        "rust-libtest" => Format::Libtest,
        other => panic!("no format for folder {other:?}; add it here"),
    }
}

/// Files no reader takes, and why.
const UNREADABLE: &[(&str, &str)] = &[
    (
        "asv/asv_example_benchmarks.json",
        "asv's benchmark metadata (units, params, code), no results",
    ),
    (
        "asv/asv_example_machine.json",
        "asv's machine description, no results",
    ),
    (
        "asv/django_machine.json",
        "asv's machine description, no results",
    ),
    (
        "asv/bencher_asv_run_console.txt",
        "asv's console output; sloe reads the results JSON asv writes",
    ),
    ("catch2/console_catch2_issue_351.txt", CATCH2_CONSOLE),
    ("catch2/console_catch2_v2.11.txt", CATCH2_CONSOLE),
    ("catch2/console_catch2_v3_header.txt", CATCH2_CONSOLE),
    ("catch2/console_catch2_windows_issue16.txt", CATCH2_CONSOLE),
    (
        "catch2/generated/catch2_v2.13.10_benchmark_console.txt",
        CATCH2_CONSOLE,
    ),
    (
        "criterion/generated/target-criterion/hash/fold scaled/change/estimates.json",
        CRITERION_CHANGE,
    ),
    (
        "criterion/generated/target-criterion/hash/fold scaled/new/benchmark.json",
        CRITERION_META,
    ),
    (
        "criterion/target-criterion/basic lincomb/change/estimates.json",
        CRITERION_CHANGE,
    ),
    (
        "criterion/target-criterion/basic lincomb/new/benchmark.json",
        CRITERION_META,
    ),
    (
        "criterion/target-criterion/basic lincomb/new/tukey.json",
        CRITERION_META,
    ),
    (
        "criterion/target-criterion/big_file_tail/change/estimates.json",
        CRITERION_CHANGE,
    ),
    (
        "criterion/target-criterion/big_file_tail/new/benchmark.json",
        CRITERION_META,
    ),
    (
        "criterion/target-criterion/fib 20/change/estimates.json",
        CRITERION_CHANGE,
    ),
    (
        "criterion/target-criterion/get/deduplicate get/1024/change/estimates.json",
        CRITERION_CHANGE,
    ),
    (
        "criterion/target-criterion/get/deduplicate get/1024/new/benchmark.json",
        CRITERION_META,
    ),
    (
        "criterion/target-criterion/get/moka get/64/change/estimates.json",
        CRITERION_CHANGE,
    ),
    (
        "criterion/target-criterion/get/moka get/8192/change/estimates.json",
        CRITERION_CHANGE,
    ),
    (
        "criterion/target-criterion/get/moka get/8192/new/benchmark.json",
        CRITERION_META,
    ),
    (
        "criterion/target-criterion/get/moka get/8192/new/tukey.json",
        CRITERION_META,
    ),
    (
        "criterion/target-criterion/hashes/ahash/new/benchmark.json",
        CRITERION_META,
    ),
    (
        "google-benchmark/generated/gb_1.7.1_console_repetitions.txt",
        "Google Benchmark's console reporter; sloe reads --benchmark_format=json",
    ),
    (
        "hyperfine/generated/hf_1.15_console_ignore_failure.txt",
        HYPERFINE_SUMMARY,
    ),
    (
        "hyperfine/generated/hf_1.15_console_parameter_scan.txt",
        HYPERFINE_SUMMARY,
    ),
    (
        "hyperfine/generated/hf_1.15_ignore_failure.csv",
        HYPERFINE_SUMMARY,
    ),
    (
        "hyperfine/generated/hf_1.15_ignore_failure.md",
        HYPERFINE_SUMMARY,
    ),
    (
        "hyperfine/generated/hf_1.15_parameter_scan.csv",
        HYPERFINE_SUMMARY,
    ),
    (
        "hyperfine/generated/hf_1.15_parameter_scan.md",
        HYPERFINE_SUMMARY,
    ),
];

const CATCH2_CONSOLE: &str = "Catch2's console reporter; sloe reads its XML reporter (-r xml), which states units and names unambiguously";
const CRITERION_CHANGE: &str = "criterion's relative change against its baseline, not a measurement (read by read_tree's directory walk as nothing)";
const CRITERION_META: &str = "criterion metadata without measurements (benchmark.json names and throughput are used by read_tree)";
const HYPERFINE_SUMMARY: &str = "hyperfine console/CSV/Markdown output holds summary statistics only; sloe reads --export-json, which keeps every run";

/// Files whose detected format is not their folder's, and why that is right.
const DETECTED_AS: &[(&str, Format, &str)] = &[(
    "criterion/console/gab_criterion_output_bencher_format.txt",
    Format::Libtest,
    "criterion's --output-format bencher prints libtest's line format",
)];

/// A compact, stable rendering of what was read.
fn render(p: &Parsed) -> String {
    let mut out = String::new();
    let c = &p.context;
    for (k, v) in [
        ("commit", c.commit.clone()),
        ("branch", c.branch.clone()),
        ("testbed", c.testbed.clone()),
        ("environment", c.environment.clone()),
        ("timestamp", c.timestamp.map(|t| t.to_string())),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "{k}: {v}");
        }
    }
    if let Some(fp) = &c.fingerprint {
        let _ = writeln!(
            out,
            "fingerprint: {}",
            serde_json::to_string(fp).unwrap_or_default()
        );
    }
    for w in &p.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let _ = writeln!(
        out,
        "series: {} (unit as reported; values canonical: ns, B, %, /s, count)",
        p.series.len()
    );
    for s in &p.series {
        let first: Vec<String> = s.values.iter().take(3).map(|v| format!("{v}")).collect();
        let _ = writeln!(
            out,
            "{} | {} | {} | {} | n={} | {}",
            s.benchmark,
            s.measure,
            s.unit,
            s.direction.as_str(),
            s.values.len(),
            first.join(", ")
        );
    }
    out
}

fn snapshot_name(path: &str) -> String {
    path.replace(['/', ' '], "__")
}

#[test]
fn every_fixture_is_read_or_listed() {
    let root = fixtures();
    let files = all_files();
    assert!(
        files.len() > 100,
        "found only {} fixture files",
        files.len()
    );
    let mut problems = Vec::new();
    for path in &files {
        let bytes = std::fs::read(root.join(path)).expect("read fixture");
        let listed = UNREADABLE.iter().find(|(p, _)| p == path);
        let detected = Format::detect(&bytes, path);
        if path == "SOURCES.md" {
            continue;
        }
        let want = folder_format(path);
        let by_folder = want.read(&bytes, path);
        let detect_want = DETECTED_AS
            .iter()
            .find(|(p, ..)| p == path)
            .map_or(want, |(_, f, _)| *f);
        match (listed, &detected, &by_folder) {
            (None, Ok(f), Ok(p)) if *f == detect_want => {
                let again = f.read(&bytes, path).expect("the detected format reads");
                assert_eq!(&again, p, "{path}: detected and folder formats disagree");
                insta::assert_snapshot!(snapshot_name(path), render(p));
            }
            (None, d, r) => problems.push(format!(
                "{path}: detected {:?}, read as {want}: {}",
                d.as_ref().map(|f| f.name()).map_err(|e| e.to_string()),
                match r {
                    Ok(p) => format!("ok ({} series)", p.series.len()),
                    Err(e) => e.to_string(),
                }
            )),
            (Some(_), _, Ok(_)) => problems.push(format!(
                "{path}: listed as unreadable but reads as {want}; take it off the list"
            )),
            (Some(_), _, Err(_)) => {}
        }
    }
    for (p, _) in UNREADABLE {
        if !files.iter().any(|f| f == p) {
            problems.push(format!("{p}: listed as unreadable but not found"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
