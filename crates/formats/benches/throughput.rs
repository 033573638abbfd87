//! Reading throughput and memory of the streaming readers on large files:
//! a 50 MB Google Benchmark JSON and a 50 MB JUnit XML, generated in the
//! shapes those tools write. Each read runs in a child process (this
//! binary again, with `--child`) so its peak RSS (VmHWM) is its own;
//! a child that reads nothing gives the baseline RSS of the process.
//!
//! `cargo bench -p sloe-formats --bench throughput` (SIZE_MB overrides 50).
//! The `-whole` rows read the file into memory first and parse the slice,
//! for comparison: the streaming rows are what `sloe ingest` does.

use std::fmt::Write as _;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sloe_formats::Format;

const RUNS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], args.get(i + 2).map(String::as_str));
        return;
    }
    let mb: usize = std::env::var("SIZE_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("throughput");
    std::fs::create_dir_all(&dir).expect("create the bench directory");
    let gbench = dir.join("gbench.json");
    let junit = dir.join("junit.xml");
    write_file(&gbench, mb << 20, gbench_doc);
    write_file(&junit, mb << 20, junit_doc);

    let (_, base_rss) = run_child("none", None);
    println!(
        "baseline RSS of a child that reads nothing: {:.1} MiB",
        mib(base_rss)
    );
    println!(
        "{:<13} {:>9} {:>10} {:>10} {:>12} {:>14} {:>10}",
        "format", "size MB", "median s", "MB/s", "MB/CPU-s", "peak RSS MiB", "series"
    );
    for (format, path) in [
        ("gbench", &gbench),
        ("junit", &junit),
        ("gbench-whole", &gbench),
        ("junit-whole", &junit),
    ] {
        let size = std::fs::metadata(path).expect("stat").len() as f64 / 1e6;
        let mut secs = Vec::new();
        let mut cpu = Vec::new();
        let mut rss = 0;
        let mut series = String::new();
        for _ in 0..RUNS {
            let (out, peak) = run_child(format, Some(path));
            let mut parts = out.split_whitespace();
            secs.push(
                parts
                    .next()
                    .and_then(|s| s.parse::<f64>().ok())
                    .expect("seconds"),
            );
            series = parts.next().unwrap_or("?").to_owned();
            cpu.push(
                parts
                    .next()
                    .and_then(|s| s.parse::<f64>().ok())
                    .expect("cpu seconds"),
            );
            rss = rss.max(peak);
        }
        secs.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        let median = secs[RUNS / 2];
        // CPU time of the read: the child's total less what a child that
        // reads nothing would have used is negligible (~1 ms).
        let cpu_median = cpu[RUNS / 2].max(0.01);
        println!(
            "{:<13} {:>9.1} {:>10.3} {:>10.0} {:>12.0} {:>14.1} {:>10}",
            format,
            size,
            median,
            size / median,
            size / cpu_median,
            mib(rss),
            series
        );
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Runs this binary as a reading child; returns its output and peak RSS (KiB).
fn run_child(format: &str, path: Option<&Path>) -> (String, u64) {
    let exe = std::env::current_exe().expect("current exe");
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(format);
    if let Some(p) = path {
        cmd.arg(p);
    }
    let out = cmd.output().expect("run the child");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rss = text
        .lines()
        .find_map(|l| l.strip_prefix("rss "))
        .and_then(|v| v.trim().parse().ok())
        .expect("rss line");
    (text, rss)
}

/// In the child: reads the file by streaming and prints seconds, series
/// count and peak RSS.
fn child(format: &str, path: Option<&str>) {
    let mut line = String::new();
    if let Some(path) = path {
        // `<format>-whole` reads the file into memory and parses the slice,
        // for comparison with streaming.
        let (name, whole) = match format.strip_suffix("-whole") {
            Some(n) => (n, true),
            None => (format, false),
        };
        let fmt: Format = name.parse().expect("format");
        let start = Instant::now();
        let parsed = if whole {
            let bytes = std::fs::read(path).expect("read");
            fmt.read(&bytes, path).expect("parse")
        } else {
            let file = std::fs::File::open(path).expect("open");
            fmt.read_from(BufReader::with_capacity(64 * 1024, file), path)
                .expect("read")
        };
        let secs = start.elapsed().as_secs_f64();
        let _ = writeln!(line, "{secs} {} {}", parsed.series.len(), cpu_seconds());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    let _ = writeln!(line, "rss {hwm}");
    print!("{line}");
}

/// User + system CPU seconds of this process so far (`/proc/self/stat`,
/// in clock ticks of 1/100 s on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Writes a document of about `target` bytes, piece by piece.
type Generator = fn(usize, &mut dyn FnMut(&str));

/// Writes at least `target` bytes of the document `doc` generates.
fn write_file(path: &Path, target: usize, doc: Generator) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = std::io::BufWriter::new(file);
    doc(target, &mut |s: &str| {
        w.write_all(s.as_bytes()).expect("write");
    });
    w.flush().expect("flush");
}

/// A Google Benchmark JSON of about `target` bytes: benchmarks with 10
/// repetitions each plus their mean/median/stddev/cv aggregates and
/// user counters, as `--benchmark_repetitions=10` writes them.
fn gbench_doc(target: usize, out: &mut dyn FnMut(&str)) {
    out(r#"{
  "context": {
    "date": "2026-11-23T10:00:00+00:00",
    "host_name": "ci-runner",
    "executable": "./bench",
    "num_cpus": 2,
    "mhz_per_cpu": 2400,
    "cpu_scaling_enabled": false,
    "caches": [],
    "load_avg": [0.5, 0.4, 0.3],
    "library_build_type": "release"
  },
  "benchmarks": [
"#);
    let mut written = 0usize;
    let mut first = true;
    let mut family = 0usize;
    let mut row = String::with_capacity(1024);
    while written < target {
        let run = format!("BM_Family{}/{}/real_time", family / 8, 1 << (family % 8));
        for rep in 0..14 {
            row.clear();
            if !first {
                row.push_str(",\n");
            }
            first = false;
            let t = 1000.0 + (family * 7 + rep * 13) as f64 % 97.0;
            if rep < 10 {
                let _ = write!(
                    row,
                    r#"    {{
      "name": "{run}",
      "family_index": {family},
      "per_family_instance_index": 0,
      "run_name": "{run}",
      "run_type": "iteration",
      "repetitions": 10,
      "repetition_index": {rep},
      "threads": 1,
      "iterations": 700000,
      "real_time": {t:.6e},
      "cpu_time": {c:.6e},
      "time_unit": "ns",
      "bytes_per_second": {b:.6e},
      "items_per_second": {i:.6e},
      "label": "sorted input"
    }}"#,
                    c = t * 0.98,
                    b = 1.0e9 / t,
                    i = 1.0e6 / t
                );
            } else {
                let agg = ["mean", "median", "stddev", "cv"][rep - 10];
                let unit = if agg == "cv" { "percentage" } else { "time" };
                let _ = write!(
                    row,
                    r#"    {{
      "name": "{run}_{agg}",
      "family_index": {family},
      "per_family_instance_index": 0,
      "run_name": "{run}",
      "run_type": "aggregate",
      "repetitions": 10,
      "threads": 1,
      "aggregate_name": "{agg}",
      "aggregate_unit": "{unit}",
      "iterations": 10,
      "real_time": {t:.6e},
      "cpu_time": {t:.6e},
      "time_unit": "ns"
    }}"#
                );
            }
            written += row.len();
            out(&row);
        }
        family += 1;
    }
    out("\n  ]\n}\n");
}

/// A JUnit XML of about `target` bytes: suites of test cases, one in ten
/// failing with a stack trace, some with captured output, as surefire and
/// pytest write them.
fn junit_doc(target: usize, out: &mut dyn FnMut(&str)) {
    out("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let mut written = 0usize;
    let mut suite = 0usize;
    let mut s = String::with_capacity(64 * 1024);
    let trace: String = (0..20)
        .map(|i| {
            format!(
                "\tat com.example.service.Handler{i}.process(Handler{i}.java:{})\n",
                40 + i
            )
        })
        .collect();
    while written < target {
        s.clear();
        let _ = writeln!(
            s,
            "  <testsuite name=\"com.example.suite{suite}.ServiceTest\" tests=\"50\" failures=\"5\" errors=\"0\" skipped=\"2\" time=\"12.5\" timestamp=\"2026-11-23T10:00:00\" hostname=\"ci\">"
        );
        for case in 0..50 {
            let _ = write!(
                s,
                "    <testcase name=\"handles_request_{case}[param-{}]\" classname=\"com.example.suite{suite}.ServiceTest\" time=\"0.{:03}\"",
                case % 7,
                (suite * 31 + case * 17) % 1000
            );
            if case % 10 == 3 {
                let _ = write!(
                    s,
                    ">\n      <failure message=\"expected: &lt;200&gt; but was: &lt;500&gt;\" type=\"org.opentest4j.AssertionFailedError\">org.opentest4j.AssertionFailedError: expected: &lt;200&gt; but was: &lt;500&gt;\n{trace}</failure>\n      <system-out><![CDATA[request id {case}: GET /api/v1/items?page=2 -> 500 in 12ms\n]]></system-out>\n    </testcase>\n"
                );
            } else if case % 25 == 7 {
                s.push_str(">\n      <skipped message=\"disabled on CI\"/>\n    </testcase>\n");
            } else {
                s.push_str("/>\n");
            }
        }
        s.push_str("  </testsuite>\n");
        written += s.len();
        out(&s);
        suite += 1;
    }
    out("</testsuites>\n");
}
