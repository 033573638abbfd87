//! Timings of the operations `sloe ingest` and `sloe check` depend on, on a
//! history of 1000 runs × 200 series × 10 samples, on SQLite and on the
//! PostgreSQL server. Run with `cargo bench -p sloe-store --bench store`;
//! it prints figures (fastest and median of repeated calls).

#[path = "../../../benches/emit.rs"]
mod emit;
use emit::emit_results;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use sloe_core::model::{Direction, NewRun, RunContext, RunId, Series, SeriesKey};
use sloe_core::units::Unit;
use sloe_store::{BaselineQuery, PostgresStore, SqliteStore, Store, baseline_history};

const RUNS: usize = 1000;
const SERIES: usize = 200;
const SAMPLES: usize = 10;

fn run_at(i: usize) -> NewRun {
    let timestamp = "2026-01-01T00:00:00Z"
        .parse::<Timestamp>()
        .expect("valid timestamp")
        .checked_add(SignedDuration::from_mins(i as i64))
        .expect("in range");
    NewRun {
        context: RunContext {
            commit: Some(format!("{i:040x}")),
            branch: Some(
                if i.is_multiple_of(5) {
                    "feature"
                } else {
                    "main"
                }
                .to_owned(),
            ),
            testbed: Some("ci-linux".to_owned()),
            environment: Some("ci".to_owned()),
            timestamp,
            ci: BTreeMap::from([("run_id".to_owned(), i.to_string())]),
            fingerprint: None,
        },
        series: (0..SERIES)
            .map(|s| Series {
                benchmark: format!("bench-{s:03}"),
                measure: "wall_time".to_owned(),
                unit: Unit::Microseconds,
                direction: Direction::LowerIsBetter,
                values: (0..SAMPLES)
                    .map(|k| 1000.0 + (i * 7 + s + k) as f64)
                    .collect(),
                round_size: None,
            })
            .collect(),
    }
}

/// Runs `f` `repeat` times; prints the fastest and the median run and
/// returns the median. The fastest shows the cost on a quiet machine.
/// Prints fastest and median of `repeat` calls; returns every time in ms.
fn time<T>(label: &str, repeat: u32, mut f: impl FnMut() -> T) -> Vec<f64> {
    let mut times: Vec<Duration> = (0..repeat)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    let (fastest, median) = (times[0], times[times.len() / 2]);
    println!(
        "{label:<58} {:>8.3} ms fastest {:>8.3} ms median",
        fastest.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3
    );
    times.iter().map(|d| d.as_secs_f64() * 1e3).collect()
}

fn exercise(
    backend: &str,
    store: &dyn Store,
    reopen: &dyn Fn() -> Box<dyn Store>,
) -> Vec<(String, Vec<f64>)> {
    let start = Instant::now();
    for i in 0..RUNS {
        store
            .insert_run(&run_at(i))
            .unwrap_or_else(|e| panic!("failed to {e}"));
    }
    println!(
        "{:<58} {:>9.3} s",
        format!("record {RUNS} runs of {SERIES} series x {SAMPLES} samples"),
        start.elapsed().as_secs_f64()
    );

    let mut next = RUNS;
    let mut figures: Vec<(String, Vec<f64>)> = Vec::new();
    let insert = time("insert_run (200 series x 10 samples)", 20, || {
        next += 1;
        store.insert_run(&run_at(next)).map(|RunId(id)| id)
    });
    time("open an existing store (migrations up to date)", 20, reopen);

    let latest = store
        .latest_run_id()
        .expect("latest run")
        .expect("some run");
    let judged = store.run(latest).expect("run").expect("the latest run");
    time("run(id) with 200 series", 20, || store.run(latest));
    let keys: Vec<SeriesKey> = judged.series.iter().map(Series::key).collect();
    let q = BaselineQuery {
        branch: Some("main".to_owned()),
        testbed: Some("ci-linux".to_owned()),
        before: Some(judged.header.context.timestamp),
        exclude: Some(latest),
    };
    let check = time("baseline_history: 200 keys, history 10", 20, || {
        let got = baseline_history(store, &q, &keys, 10).expect("baseline");
        assert!(got.values().all(|runs| runs.len() == 10));
    });
    let mut with_new = keys.clone();
    with_new.extend((0..5).map(|i| SeriesKey {
        benchmark: format!("brand-new-{i}"),
        measure: "wall_time".to_owned(),
    }));
    let check_new = time(
        "baseline_history: 200 keys + 5 with no history (full scan)",
        5,
        || baseline_history(store, &q, &with_new, 10).expect("baseline"),
    );
    time(
        "baseline_history: 1 key with no history (full scan)",
        5,
        || baseline_history(store, &q, &with_new[SERIES..SERIES + 1], 10).expect("baseline"),
    );
    time("baseline_history: 1 key, history 10", 20, || {
        baseline_history(store, &q, &keys[..1], 10).expect("baseline")
    });
    time("series_history(\"bench-00*\", 20 runs)", 10, || {
        store
            .series_history(Some("bench-00*"), None, 20)
            .expect("history")
    });
    time("series_history(None, 20 runs)", 10, || {
        store.series_history(None, None, 20).expect("history")
    });

    figures.push((format!("store:{backend}:insert-run-200x10"), insert));
    figures.push((format!("store:{backend}:baseline-history-200"), check));
    figures.push((
        format!("store:{backend}:baseline-history-205-paging"),
        check_new,
    ));
    figures
}

fn sqlite_timings() -> Vec<(String, Vec<f64>)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // SLOE_PERF_DB keeps the history for a closer look afterwards.
    let path = std::env::var_os("SLOE_PERF_DB")
        .map_or_else(|| dir.path().join("history.db"), std::path::PathBuf::from);
    let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("failed to {e}"));
    println!("SQLite at {}", path.display());
    exercise("sqlite", &store, &|| {
        Box::new(SqliteStore::open(&path).unwrap_or_else(|e| panic!("failed to {e}")))
    })
}

fn postgres_timings() -> Vec<(String, Vec<f64>)> {
    let url = std::env::var("SLOE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!("sloe_perf_{}", std::process::id());
    /// Drops the schema however the test ends.
    struct DropSchema(String, String);
    impl Drop for DropSchema {
        fn drop(&mut self) {
            if let Ok(mut client) = postgres::Client::connect(&self.0, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.1));
            }
        }
    }
    let _cleanup = DropSchema(url.clone(), schema.clone());
    let store =
        PostgresStore::connect_in_schema(&url, &schema).unwrap_or_else(|e| panic!("failed to {e}"));
    println!("PostgreSQL at {}", store.describe());
    exercise("postgres", &store, &|| {
        Box::new(
            PostgresStore::connect_in_schema(&url, &schema)
                .unwrap_or_else(|e| panic!("failed to {e}")),
        )
    })
}

fn main() {
    let mut figures = sqlite_timings();
    figures.extend(postgres_timings());
    emit_results("store", &figures);
}
