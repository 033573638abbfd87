//! Whole-process timings of `sloe check` and `sloe ingest` on a large
//! SQLite history: 1,000 runs × 200 benchmarks × 10 samples.
//!
//! Run with `cargo bench -p sloe --bench cli`. Prints min / median / max
//! over repeated executions of the release binary (process start, config
//! load, store open, work, report write: everything a CI job pays).

#[path = "../../../benches/emit.rs"]
mod emit;
#[path = "../../../benches/paired.rs"]
mod paired;
use emit::emit_results;
use paired::Bins;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use sloe_core::{Direction, NewRun, RunContext, Series, Unit};

const RUNS: usize = 1000;
const BENCHMARKS: usize = 200;
const SAMPLES: usize = 10;
const REPEAT: usize = 30;

fn series(run: usize, scale: f64) -> Vec<Series> {
    (0..BENCHMARKS)
        .map(|b| {
            let level = 1e6 * (1.0 + b as f64 / 10.0) * scale;
            Series {
                benchmark: format!("bench-{b:03}"),
                measure: "wall_time".into(),
                unit: Unit::Milliseconds,
                direction: Direction::LowerIsBetter,
                values: (0..SAMPLES)
                    .map(|i| {
                        level * (1.0 + 0.01 * (((run * 7 + i * 13 + b) % 11) as f64 - 5.0) / 5.0)
                    })
                    .collect(),
                round_size: None,
            }
        })
        .collect()
}

fn main() {
    let bins = Bins::new(env!("CARGO_BIN_EXE_sloe"));
    let dir = tempfile::tempdir().expect("tempdir");
    // SLOE_BENCH_DIR keeps the history for a closer look afterwards.
    let kept = std::env::var_os("SLOE_BENCH_DIR").map(std::path::PathBuf::from);
    if let Some(k) = &kept {
        std::fs::create_dir_all(k).expect("create SLOE_BENCH_DIR");
    }
    let root = kept.as_deref().unwrap_or(dir.path());
    std::fs::write(
        root.join("sloe.toml"),
        "[[budget]]\nbenchmark = \"bench-0*\"\nmax = \"50ms\"\ntolerance = \"10%\"\n\n[[budget]]\nbenchmark = \"bench-1*\"\nstatistic = \"p90\"\nmax = \"50ms\"\n",
    )
    .expect("write config");

    let start = Instant::now();
    let store = sloe_store::open("sqlite://.sloe/history.db", root).expect("open store");
    let t0: Timestamp = "2026-01-01T00:00:00Z".parse().expect("timestamp");
    for r in 0..RUNS {
        let context = RunContext {
            commit: Some(format!("{r:08x}")),
            branch: Some("main".into()),
            testbed: Some("bench".into()),
            environment: None,
            timestamp: t0 + SignedDuration::from_mins(r as i64 * 60),
            ci: Default::default(),
            fingerprint: None,
        };
        store
            .insert_run(&NewRun {
                context,
                series: series(r, 1.0),
            })
            .expect("insert");
    }
    drop(store);
    println!(
        "history: {RUNS} runs × {BENCHMARKS} benchmarks × {SAMPLES} samples written in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    // The results file of one new run, 200 benchmarks × 10 samples. Each
    // execution gets results of its own (one sample a millionth apart):
    // the same results in the same context would be skipped as a re-ingest.
    let file = root.join("run.json");
    let fresh_results = std::cell::Cell::new(0u32);
    let write_results = || {
        let k = fresh_results.get();
        fresh_results.set(k + 1);
        let mut run = series(RUNS, 1.02);
        run[0].values[0] *= 1.0 + f64::from(k) * 1e-6;
        let results: Vec<serde_json::Value> = run
            .iter()
            .map(|s| serde_json::json!({"benchmark": s.benchmark, "measure": s.measure, "unit": "ms",
                                         "values": s.values.iter().map(|v| v / 1e6).collect::<Vec<_>>()}))
            .collect();
        std::fs::write(&file, serde_json::json!({"results": results}).to_string())
            .expect("write results");
    };
    write_results();
    let size = std::fs::metadata(&file).map_or(0, |m| m.len());
    println!("results file: {size} bytes");

    let sloe_with = |bin: &Path, args: &[&str], dir: &Path| {
        let mut c = Command::new(bin);
        c.current_dir(dir).args(args).env("NO_COLOR", "1");
        c
    };
    let sloe = |args: &[&str], dir: &Path| sloe_with(&bins.this, args, dir);
    let time = |label: &str, args: &[&str]| {
        paired::time(
            label,
            REPEAT,
            &bins,
            || {
                if args.first() == Some(&"ingest") {
                    write_results();
                }
            },
            |bin| sloe_with(bin, args, root),
        )
    };
    let mut figures = Vec::new();
    let tagged: &[&str] = &[
        "ingest",
        "run.json",
        "--branch",
        "feature",
        "--commit",
        "f00d",
        "--testbed",
        "bench",
    ];
    let t = time("sloe ingest (200 × 10, context from flags)", tagged);
    figures.push(("cli:ingest-200x10".to_owned(), t));
    let t = time(
        "sloe ingest (200 × 10, context from git/host)",
        &["ingest", "run.json"],
    );
    figures.push(("cli:ingest-200x10-git".to_owned(), t));
    // Make the latest run a feature-branch run on the bench testbed to check.
    write_results();
    let out = sloe(tagged, root).output().expect("run");
    assert!(out.status.success());
    let t = time(
        "sloe check (latest run vs 10 baseline runs, 200 series)",
        &["check"],
    );
    figures.push(("cli:check-1000-runs".to_owned(), t));
    let t = time("sloe check --format json", &["check", "--format", "json"]);
    figures.push(("cli:check-1000-runs-json".to_owned(), t));
    emit_results("cli", &figures);
}
