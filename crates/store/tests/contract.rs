//! The contract every `Store` keeps. Each test is written once and runs
//! against a real SQLite file in a temporary directory and against the real
//! PostgreSQL server (`SLOE_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), each PostgreSQL test in a
//! fresh schema of its own that is dropped afterwards. Each runs twice per
//! backend: on a plain thread, as the CLI calls the store, and as a task on
//! a multi-threaded tokio runtime, as `sloe serve` does (modules
//! `*_in_runtime`). Without the server the PostgreSQL half fails, unless
//! `SLOE_SKIP` names `postgres`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;
use sloe_core::fingerprint::Fingerprint;
use sloe_core::model::{
    Direction, NewRun, ResourcePoint, RunContext, RunHeader, RunId, Series, SeriesKey, Timeline,
};
use sloe_core::slo::{Classification, Counts, EventBatch, EventBucket, events::minute_counts};
use sloe_core::units::Unit;
use sloe_store::{
    BaselineQuery, EventInputBatch, EventInputKey, EventsAdded, LATEST_SCHEMA_VERSION,
    PostgresStore, RunInsert, RunQuery, SqliteStore, Store, StoreError, baseline_history,
    baseline_history_where, find_commit_run,
};
use sloe_testkit::Need;

// ---------------------------------------------------------------------------
// Backends

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn postgres_url() -> String {
    std::env::var("SLOE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Where a database for a test lives; cheap to clone into threads.
#[derive(Debug, Clone)]
enum Location {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Location {
    fn open(&self) -> Box<dyn Store> {
        match self {
            Location::Sqlite(path) => {
                Box::new(SqliteStore::open(path).unwrap_or_else(|e| panic!("failed to {e}")))
            }
            Location::Postgres { url, schema } => {
                match PostgresStore::connect_in_schema(url, schema) {
                    Ok(store) => Box::new(store),
                    Err(e) => sloe_testkit::missing(Need::Postgres, &format!("failed to {e}")),
                }
            }
        }
    }
}

/// A store for one test, and whatever must be cleaned up after it.
struct Fixture {
    store: Box<dyn Store>,
    location: Location,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL schemas to drop at the end.
    schemas: Mutex<Vec<String>>,
}

impl Fixture {
    fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let location = Location::Sqlite(dir.path().join("nested/dir/history.db"));
        Fixture {
            store: location.open(),
            location,
            _dir: Some(dir),
            schemas: Mutex::new(Vec::new()),
        }
    }

    /// `None` when `SLOE_SKIP` names `postgres`.
    fn postgres() -> Option<Fixture> {
        if sloe_testkit::skip(Need::Postgres) {
            return None;
        }
        let schema = unique_name("sloe_test");
        let location = Location::Postgres {
            url: postgres_url(),
            schema: schema.clone(),
        };
        // Registered before opening, so a half-made schema is dropped too.
        let schemas = Mutex::new(vec![schema]);
        Some(Fixture {
            store: location.open(),
            location,
            _dir: None,
            schemas,
        })
    }

    /// Another handle (another connection) on the same database.
    fn reopen(&self) -> Box<dyn Store> {
        self.location.open()
    }

    /// A database nobody has opened yet, of the same backend.
    fn fresh_location(&self) -> Location {
        match &self.location {
            Location::Sqlite(path) => {
                Location::Sqlite(path.with_file_name(format!("{}.db", unique_name("fresh"))))
            }
            Location::Postgres { url, .. } => {
                let schema = unique_name("sloe_test_fresh");
                self.schemas
                    .lock()
                    .expect("schema list lock")
                    .push(schema.clone());
                Location::Postgres {
                    url: url.clone(),
                    schema,
                }
            }
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let schemas = std::mem::take(&mut *self.schemas.lock().expect("schema list lock"));
        if schemas.is_empty() {
            return;
        }
        // On a thread of its own: the sync driver panics on a tokio worker,
        // where the runtime suite drops its fixtures.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // Best effort: a test that failed to connect has nothing to drop.
                if let Ok(mut client) =
                    ::postgres::Client::connect(&postgres_url(), ::postgres::NoTls)
                {
                    for schema in schemas {
                        let _ = client
                            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
                    }
                }
            });
        });
    }
}

/// Writes each contract test once and runs it on both backends, each on a
/// plain thread and in a runtime task. Tests under `store` take
/// `&dyn Store`; tests under `fixture` need more handles on the same
/// database and take the `Fixture`.
macro_rules! contract {
    (store: [$($s:ident),* $(,)?], fixture: [$($f:ident),* $(,)?] $(,)?) => {
        contract!(@suite sqlite, sqlite, on_this_thread, [$($s),*], [$($f),*]);
        contract!(@suite postgres, postgres, on_this_thread, [$($s),*], [$($f),*]);
        contract!(@suite sqlite_in_runtime, sqlite, in_runtime_task, [$($s),*], [$($f),*]);
        contract!(@suite postgres_in_runtime, postgres, in_runtime_task, [$($s),*], [$($f),*]);
    };
    (@suite $suite:ident, $backend:ident, $how:ident, [$($s:ident),*], [$($f:ident),*]) => {
        mod $suite {
            $( #[test] fn $s() {
                super::$how(|| { let Some(fx): Option<super::Fixture> = super::Fixture::$backend().into() else { return }; super::$s(&*fx.store); });
            } )*
            $( #[test] fn $f() {
                super::$how(|| { let Some(fx): Option<super::Fixture> = super::Fixture::$backend().into() else { return }; super::$f(&fx); });
            } )*
        }
    };
}

/// As the CLI calls the store.
fn on_this_thread(test: impl FnOnce()) {
    test();
}

/// As a request handler of `sloe serve` calls the store: as a task on a
/// multi-threaded tokio runtime, so opening the store, every call and
/// dropping it happen on a runtime worker thread, where the sync
/// `postgres` driver would panic if the store let it.
fn in_runtime_task(test: impl FnOnce() + Send + 'static) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome = runtime.block_on(async {
        tokio::spawn(async move {
            assert!(
                tokio::runtime::Handle::try_current().is_ok(),
                "the test runs on a runtime thread"
            );
            test();
        })
        .await
    });
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the test task did not finish: {e}"),
        }
    }
}

contract! {
    store: [
        round_trip_keeps_every_field,
        timestamps_round_trip_exactly,
        series_come_back_in_recording_order,
        latest_run_is_the_last_recorded,
        list_runs_filters_orders_and_pages,
        results_of_runs_with_and_without_keys,
        series_history_matches_globs,
        series_history_treats_percent_and_underscore_literally,
        series_history_reads_one_branch,
        recorded_series_lists_each_name_of_the_newest_runs_once,
        baselines_pin_show_and_clear,
        pinning_a_missing_run_fails_and_changes_nothing,
        baseline_history_picks_the_right_runs,
        baseline_history_pages_back_for_series_only_older_runs_have,
        baseline_history_keeps_only_the_runs_a_filter_accepts,
        merge_base_run_is_found_by_commit,
        a_failed_insert_leaves_nothing_behind,
        invalid_runs_are_refused_with_a_reason,
        a_nul_in_a_name_is_refused_naming_the_field,
        timelines_round_trip_with_their_run,
        rounds_survive_every_read,
        bad_timelines_store_nothing,
        events_add_up_per_stream_and_minute,
        an_ingest_key_stores_a_file_once,
        bad_events_store_nothing,
        compaction_rolls_old_minutes_into_hours,
        adding_past_what_a_bucket_holds_stores_nothing,
        a_nul_in_a_stream_name_is_refused,
        event_inputs_are_recorded_once_by_their_key,
        one_store_serves_many_threads,
        a_digest_records_results_once_per_context,
        a_refused_run_under_a_digest_stores_nothing,
    ],
    fixture: [
        migrations_are_idempotent,
        concurrent_first_opens_migrate_once,
        concurrent_writers_lose_no_run,
        concurrent_event_ingests_lose_no_event,
        concurrent_ingests_and_compactions_never_deadlock_and_lose_nothing,
        concurrent_ingests_of_the_same_events_count_once,
        concurrent_ingests_of_the_same_results_record_one_run,
    ],
}

// ---------------------------------------------------------------------------
// Helpers

fn ts(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("timestamp {text}: {e}"))
}

/// A timestamp `minutes` after a fixed origin.
fn at(minutes: i64) -> Timestamp {
    ts("2026-11-20T10:00:00Z")
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .expect("timestamp in range")
}

fn context(branch: &str, testbed: &str, timestamp: Timestamp) -> RunContext {
    RunContext {
        commit: Some("a1b2c3d".to_owned()),
        branch: Some(branch.to_owned()),
        testbed: Some(testbed.to_owned()),
        environment: Some("ci".to_owned()),
        timestamp,
        ci: BTreeMap::new(),
        fingerprint: None,
    }
}

fn series(benchmark: &str, measure: &str, values: &[f64]) -> Series {
    Series {
        benchmark: benchmark.to_owned(),
        measure: measure.to_owned(),
        unit: Unit::Milliseconds,
        direction: Direction::LowerIsBetter,
        values: values.to_vec(),
        round_size: None,
    }
}

fn key(benchmark: &str, measure: &str) -> SeriesKey {
    SeriesKey {
        benchmark: benchmark.to_owned(),
        measure: measure.to_owned(),
    }
}

fn record(store: &dyn Store, context: RunContext, series: Vec<Series>) -> RunId {
    store
        .insert_run(&NewRun { context, series })
        .unwrap_or_else(|e| panic!("failed to {e}"))
}

/// A run on `branch`/`testbed` at minute `minute` with one wall_time series
/// per benchmark, valued `minute` so tests can tell runs apart.
fn simple(
    store: &dyn Store,
    branch: &str,
    testbed: &str,
    minute: i64,
    benchmarks: &[&str],
) -> RunId {
    let value = minute as f64;
    record(
        store,
        context(branch, testbed, at(minute)),
        benchmarks
            .iter()
            .map(|b| series(b, "wall_time", &[value, value + 0.5]))
            .collect(),
    )
}

fn ids(headers: &[RunHeader]) -> Vec<RunId> {
    headers.iter().map(|h| h.id).collect()
}

fn list(store: &dyn Store, q: RunQuery) -> Vec<RunId> {
    ids(&store
        .list_runs(&q)
        .unwrap_or_else(|e| panic!("failed to {e}")))
}

fn ok<T>(r: Result<T, StoreError>) -> T {
    r.unwrap_or_else(|e| panic!("failed to {e}"))
}

// ---------------------------------------------------------------------------
// The contract

fn round_trip_keeps_every_field(store: &dyn Store) {
    let context = RunContext {
        commit: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
        branch: Some("feature/ünïcode-branch".to_owned()),
        testbed: Some("ci-linux-x86_64".to_owned()),
        environment: Some("production".to_owned()),
        timestamp: ts("2026-11-20T10:00:00.123456789Z"),
        ci: BTreeMap::from([
            ("provider".to_owned(), "github-actions".to_owned()),
            ("run_id".to_owned(), "1234567890".to_owned()),
            (
                "quote".to_owned(),
                "a \"quoted\" 'value'\nwith a newline".to_owned(),
            ),
        ]),
        fingerprint: Some(Box::new(full_fingerprint())),
    };
    let series = vec![
        Series {
            benchmark: "transpile-simple".to_owned(),
            measure: "wall_time".to_owned(),
            unit: Unit::Milliseconds,
            direction: Direction::LowerIsBetter,
            values: vec![840_000.0, 850_000.000_000_1, 0.1 + 0.2, 1e-300, -0.0],
            round_size: None,
        },
        Series {
            benchmark: "build:full".to_owned(),
            measure: "peak_rss".to_owned(),
            unit: Unit::Gibibytes,
            direction: Direction::LowerIsBetter,
            values: vec![3_221_225_472.0],
            round_size: None,
        },
        Series {
            benchmark: "sort-1m".to_owned(),
            measure: "throughput".to_owned(),
            unit: Unit::PerSecond,
            direction: Direction::HigherIsBetter,
            values: vec![f64::MAX, f64::MIN_POSITIVE, 12_345.678_9],
            round_size: None,
        },
        Series {
            benchmark: "alloc".to_owned(),
            measure: "allocations".to_owned(),
            unit: Unit::Other("allocs/op".to_owned()),
            direction: Direction::LowerIsBetter,
            values: vec![],
            round_size: None,
        },
        Series {
            benchmark: "alloc".to_owned(),
            measure: "instructions".to_owned(),
            unit: Unit::Count,
            direction: Direction::LowerIsBetter,
            values: vec![1e12, 2e12],
            round_size: None,
        },
    ];
    let before = Timestamp::now();
    let id = record(store, context.clone(), series.clone());
    let after = Timestamp::now();

    let run = ok(store.run(id)).expect("the run just recorded");
    assert_eq!(run.header.id, id);
    assert_eq!(run.header.context, context);
    assert!(
        before <= run.header.recorded_at && run.header.recorded_at <= after,
        "recorded_at {} not between {before} and {after}",
        run.header.recorded_at
    );
    assert_eq!(run.series, series);
    // Bit for bit, including the sign of zero.
    let bits = |s: &[Series]| -> Vec<u64> {
        s.iter()
            .flat_map(|s| s.values.iter().map(|v| v.to_bits()))
            .collect()
    };
    assert_eq!(bits(&run.series), bits(&series));
    // Every read of a header brings the fingerprint back.
    let listed = ok(store.list_runs(&RunQuery::default()));
    assert_eq!(listed[0].context, context);
    let history = ok(store.series_history(Some("transpile-*"), None, 1));
    assert_eq!(history[0].0.context, context);

    // A run with no optional context and no series.
    let bare = RunContext {
        commit: None,
        branch: None,
        testbed: None,
        environment: None,
        timestamp: ts("2026-01-01T00:00:00Z"),
        ci: BTreeMap::new(),
        fingerprint: None,
    };
    let bare_id = record(store, bare.clone(), vec![]);
    let bare_run = ok(store.run(bare_id)).expect("the bare run");
    assert_eq!(bare_run.header.context, bare);
    assert!(bare_run.series.is_empty());

    assert_eq!(ok(store.run(RunId(bare_id.0 + 1000))), None);
}

/// Every field of a fingerprint set, with what JSON must escape.
fn full_fingerprint() -> Fingerprint {
    Fingerprint {
        cpu: Some("Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz \"ü\"".to_owned()),
        cores: Some(64),
        memory_gib: Some(15.5),
        os: Some("Debian GNU/Linux 12 (bookworm)".to_owned()),
        kernel: Some("6.1.0-28-cloud-amd64".to_owned()),
        arch: Some("x86_64".to_owned()),
        toolchains: BTreeMap::from([
            ("python".to_owned(), "3.12.1".to_owned()),
            ("jdk".to_owned(), "21.0.2".to_owned()),
        ]),
    }
}

/// The judged run's environment decides which runs are its baseline: a
/// filter sees each header once, before any of its series is read, and the
/// runs kept still fill `history`.
fn baseline_history_keeps_only_the_runs_a_filter_accepts(store: &dyn Store) {
    let mut fp = full_fingerprint();
    for minute in 0..12 {
        let mut ctx = context("main", "linux", at(minute));
        // Every third run on another kernel; run 0 recorded before fingerprints.
        ctx.fingerprint = match minute {
            0 => None,
            m if m % 3 == 0 => Some(Box::new(Fingerprint {
                kernel: Some("6.8.0".to_owned()),
                ..fp.clone()
            })),
            _ => Some(Box::new(fp.clone())),
        };
        let value = minute as f64;
        record(store, ctx, vec![series("a", "wall_time", &[value])]);
    }
    let q = BaselineQuery {
        branch: Some("main".to_owned()),
        testbed: Some("linux".to_owned()),
        before: None,
        exclude: None,
    };
    let keys = [key("a", "wall_time")];
    let mut seen = Vec::new();
    fp.kernel = Some("6.1.0-28-cloud-amd64".to_owned());
    let got = ok(baseline_history_where(store, &q, &keys, 6, &mut |h| {
        seen.push(h.id);
        h.context
            .fingerprint
            .as_ref()
            .is_none_or(|f| f.differences(&fp).is_empty())
    }));
    let values: Vec<f64> = got[&keys[0]].iter().map(|(_, s)| s.values[0]).collect();
    assert_eq!(values, vec![11.0, 10.0, 8.0, 7.0, 5.0, 4.0]);
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "each header is offered once");
    // Unfiltered, the other kernel's runs count.
    let all = ok(baseline_history(store, &q, &keys, 6));
    let values: Vec<f64> = all[&keys[0]].iter().map(|(_, s)| s.values[0]).collect();
    assert_eq!(values, vec![11.0, 10.0, 9.0, 8.0, 7.0, 6.0]);
    // The run without a fingerprint is kept by this filter once reached.
    let deep = ok(baseline_history_where(store, &q, &keys, 20, &mut |h| {
        h.context
            .fingerprint
            .as_ref()
            .is_none_or(|f| f.differences(&fp).is_empty())
    }));
    let values: Vec<f64> = deep[&keys[0]].iter().map(|(_, s)| s.values[0]).collect();
    assert_eq!(values, vec![11.0, 10.0, 8.0, 7.0, 5.0, 4.0, 2.0, 1.0, 0.0]);
}

fn timestamps_round_trip_exactly(store: &dyn Store) {
    for text in [
        "2026-11-20T10:00:00.123456789Z",
        "2026-11-20T10:00:00.000000001Z",
        "1969-12-31T23:59:59.999999999Z",
        "1970-01-01T00:00:00Z",
        "1677-09-21T00:12:43.145224192Z",
        "2262-04-11T23:47:16.854775807Z",
    ] {
        let t = ts(text);
        let id = record(store, context("main", "tb", t), vec![]);
        let run = ok(store.run(id)).expect("the run");
        assert_eq!(run.header.context.timestamp, t, "{text}");
        let listed = ok(store.list_runs(&RunQuery {
            before: Some(t),
            limit: Some(1),
            ..RunQuery::default()
        }));
        assert_eq!(listed[0].context.timestamp, t, "{text} through list_runs");
    }
}

fn series_come_back_in_recording_order(store: &dyn Store) {
    // Neither alphabetical nor by length, and with measures interleaved.
    let names: Vec<String> = (0..60)
        .map(|i| format!("bench-{:02}", (i * 37) % 60))
        .collect();
    let recorded: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            series(
                n,
                if i % 2 == 0 { "wall_time" } else { "peak_rss" },
                &[i as f64],
            )
        })
        .collect();
    let id = record(store, context("main", "tb", at(0)), recorded.clone());
    let run = ok(store.run(id)).expect("the run");
    assert_eq!(run.series, recorded);

    let results = ok(store.results_of_runs(&[id], None));
    assert_eq!(
        results.into_iter().map(|(_, s)| s).collect::<Vec<_>>(),
        recorded
    );

    let history = ok(store.series_history(Some("bench-*"), None, 10));
    assert_eq!(
        history.into_iter().map(|(_, s)| s).collect::<Vec<_>>(),
        recorded
    );
}

fn latest_run_is_the_last_recorded(store: &dyn Store) {
    assert_eq!(ok(store.latest_run_id()), None);
    assert_eq!(ok(store.count_runs()), 0);
    let newer = simple(store, "main", "tb", 100, &["a"]);
    assert_eq!(ok(store.latest_run_id()), Some(newer));
    // Recorded later with an older timestamp (a backfill): still the latest.
    let backfilled = simple(store, "main", "tb", 1, &["a"]);
    assert_ne!(newer, backfilled);
    assert_eq!(ok(store.latest_run_id()), Some(backfilled));
    assert_eq!(ok(store.count_runs()), 2);
    // ...but the newest by timestamp lists first.
    assert_eq!(list(store, RunQuery::default()), vec![newer, backfilled]);
}

fn list_runs_filters_orders_and_pages(store: &dyn Store) {
    let m1 = simple(store, "main", "linux", 1, &["a"]);
    let f2 = simple(store, "feature", "linux", 2, &["a"]);
    let m3 = simple(store, "main", "mac", 3, &["a"]);
    let m4 = simple(store, "main", "linux", 4, &["a"]);
    // Same timestamp as m4: the later id comes first.
    let m4b = simple(store, "main", "linux", 4, &["a"]);
    let m5 = simple(store, "main", "linux", 5, &["a"]);

    assert_eq!(
        list(store, RunQuery::default()),
        vec![m5, m4b, m4, m3, f2, m1]
    );
    let main = RunQuery {
        branch: Some("main".to_owned()),
        ..RunQuery::default()
    };
    assert_eq!(list(store, main.clone()), vec![m5, m4b, m4, m3, m1]);
    let main_linux = RunQuery {
        testbed: Some("linux".to_owned()),
        ..main.clone()
    };
    assert_eq!(list(store, main_linux.clone()), vec![m5, m4b, m4, m1]);
    let linux = RunQuery {
        testbed: Some("linux".to_owned()),
        ..RunQuery::default()
    };
    assert_eq!(list(store, linux), vec![m5, m4b, m4, f2, m1]);

    // `before` is inclusive.
    let before_4 = RunQuery {
        before: Some(at(4)),
        ..main_linux.clone()
    };
    assert_eq!(list(store, before_4.clone()), vec![m4b, m4, m1]);
    let before_3 = RunQuery {
        before: Some(at(3) + jiff::SignedDuration::from_nanos(999)),
        ..main_linux.clone()
    };
    assert_eq!(list(store, before_3), vec![m1]);
    let before_all = RunQuery {
        before: Some(at(0)),
        ..RunQuery::default()
    };
    assert_eq!(list(store, before_all), vec![]);

    let excluding = RunQuery {
        exclude: Some(m4b),
        ..before_4.clone()
    };
    assert_eq!(list(store, excluding), vec![m4, m1]);

    let page = |limit, offset| {
        list(
            store,
            RunQuery {
                limit,
                offset,
                ..main.clone()
            },
        )
    };
    assert_eq!(page(Some(2), 0), vec![m5, m4b]);
    assert_eq!(page(Some(2), 2), vec![m4, m3]);
    assert_eq!(page(Some(2), 4), vec![m1]);
    assert_eq!(page(None, 3), vec![m3, m1]);
    assert_eq!(page(Some(0), 0), vec![]);
    assert_eq!(page(Some(10), 10), vec![]);

    let nobody = RunQuery {
        branch: Some("nope".to_owned()),
        ..RunQuery::default()
    };
    assert_eq!(list(store, nobody), vec![]);

    // Headers carry the context.
    let headers = ok(store.list_runs(&RunQuery {
        limit: Some(1),
        ..RunQuery::default()
    }));
    assert_eq!(headers[0].context, context("main", "linux", at(5)));
}

fn results_of_runs_with_and_without_keys(store: &dyn Store) {
    let r1 = simple(store, "main", "tb", 1, &["a", "b", "c"]);
    let r2 = simple(store, "main", "tb", 2, &["c", "a"]);
    let r3 = simple(store, "main", "tb", 3, &["b"]);

    let named = |rows: Vec<(RunId, Series)>| -> Vec<(RunId, String, f64)> {
        rows.into_iter()
            .map(|(id, s)| (id, s.benchmark, s.values[0]))
            .collect()
    };

    // Grouped by run in the order asked, series in recording order.
    assert_eq!(
        named(ok(store.results_of_runs(&[r2, r1], None))),
        vec![
            (r2, "c".to_owned(), 2.0),
            (r2, "a".to_owned(), 2.0),
            (r1, "a".to_owned(), 1.0),
            (r1, "b".to_owned(), 1.0),
            (r1, "c".to_owned(), 1.0),
        ]
    );
    // Each run once, unknown runs ignored, no runs nothing.
    assert_eq!(
        named(ok(store.results_of_runs(&[r3, RunId(r3.0 + 100), r3], None))),
        vec![(r3, "b".to_owned(), 3.0)]
    );
    assert!(ok(store.results_of_runs(&[], None)).is_empty());

    // Only the keys asked for (a measure that does not exist matches nothing).
    let keys = [
        key("a", "wall_time"),
        key("c", "wall_time"),
        key("a", "peak_rss"),
    ];
    assert_eq!(
        named(ok(store.results_of_runs(&[r3, r2, r1], Some(&keys)))),
        vec![
            (r2, "c".to_owned(), 2.0),
            (r2, "a".to_owned(), 2.0),
            (r1, "a".to_owned(), 1.0),
            (r1, "c".to_owned(), 1.0),
        ]
    );
    assert!(ok(store.results_of_runs(&[r1, r2, r3], Some(&[]))).is_empty());

    // Many keys (a backend may read whole runs instead of probing each key).
    let many: Vec<SeriesKey> = (0..100)
        .map(|i| key(&format!("x{i}"), "wall_time"))
        .chain([key("b", "wall_time")])
        .collect();
    assert_eq!(
        named(ok(store.results_of_runs(&[r1, r2, r3], Some(&many)))),
        vec![(r1, "b".to_owned(), 1.0), (r3, "b".to_owned(), 3.0)]
    );

    // Series come back whole.
    let (_, s) = ok(store.results_of_runs(&[r1], Some(&[key("b", "wall_time")])))
        .into_iter()
        .next()
        .expect("series b of r1");
    assert_eq!(s, series("b", "wall_time", &[1.0, 1.5]));
}

fn series_history_matches_globs(store: &dyn Store) {
    let r1 = simple(store, "main", "tb", 1, &["build:full", "transpile-simple"]);
    let r2 = simple(store, "main", "tb", 2, &["transpile-simple"]);
    let r3 = simple(
        store,
        "main",
        "tb",
        3,
        &["build:incremental", "build:full", "bench[1]"],
    );
    let r4 = simple(store, "main", "tb", 4, &["transpile-complex"]);

    let got = |glob: Option<&str>, limit: usize| -> Vec<(RunId, String)> {
        ok(store.series_history(glob, None, limit))
            .into_iter()
            .map(|(h, s)| (h.id, s.benchmark))
            .collect()
    };
    let row = |id: RunId, name: &str| (id, name.to_owned());

    assert_eq!(
        got(Some("build:*"), 10),
        vec![
            row(r3, "build:incremental"),
            row(r3, "build:full"),
            row(r1, "build:full"),
        ]
    );
    // The limit counts runs that have a match, newest first.
    assert_eq!(
        got(Some("build:*"), 1),
        vec![row(r3, "build:incremental"), row(r3, "build:full")]
    );
    assert_eq!(
        got(Some("transpile-simple"), 10),
        vec![row(r2, "transpile-simple"), row(r1, "transpile-simple")]
    );
    assert_eq!(
        got(Some("transpile-?imple"), 10),
        vec![row(r2, "transpile-simple"), row(r1, "transpile-simple")]
    );
    assert_eq!(
        got(Some("transpile-*"), 10),
        vec![
            row(r4, "transpile-complex"),
            row(r2, "transpile-simple"),
            row(r1, "transpile-simple"),
        ]
    );
    assert_eq!(
        got(Some("*full"), 10),
        vec![row(r3, "build:full"), row(r1, "build:full")]
    );
    // Brackets are literal, not a character class.
    assert_eq!(got(Some("bench[1]"), 10), vec![row(r3, "bench[1]")]);
    assert_eq!(got(Some("bench1"), 10), vec![]);
    // Case-sensitive, anchored at both ends.
    assert_eq!(got(Some("BUILD:*"), 10), vec![]);
    assert_eq!(got(Some("build"), 10), vec![]);
    assert_eq!(got(Some("nothing-*"), 10), vec![]);

    // No glob: every series of the newest runs.
    assert_eq!(
        got(None, 2),
        vec![
            row(r4, "transpile-complex"),
            row(r3, "build:incremental"),
            row(r3, "build:full"),
            row(r3, "bench[1]"),
        ]
    );
    assert_eq!(got(None, 0), vec![]);

    // Headers and values come along.
    let (header, s) = ok(store.series_history(Some("transpile-simple"), None, 1))
        .into_iter()
        .next()
        .expect("one row");
    assert_eq!(header.context, context("main", "tb", at(2)));
    assert_eq!(s, series("transpile-simple", "wall_time", &[2.0, 2.5]));
}

fn series_history_reads_one_branch(store: &dyn Store) {
    let m1 = simple(store, "main", "tb", 1, &["parse"]);
    let t2 = simple(store, "topic", "tb", 2, &["parse"]);
    let m3 = simple(store, "main", "tb", 3, &["other"]);
    let t4 = simple(store, "topic", "tb", 4, &["parse", "other"]);
    let ids = |glob: Option<&str>, branch: Option<&str>, limit: usize| -> Vec<RunId> {
        ok(store.series_history(glob, branch, limit))
            .into_iter()
            .map(|(h, _)| h.id)
            .collect()
    };
    // The newest `limit` runs of the branch that have the benchmark: a
    // newer run of another branch, or of main without it, takes no place.
    assert_eq!(ids(Some("parse"), Some("main"), 1), vec![m1]);
    assert_eq!(ids(Some("parse"), Some("topic"), 5), vec![t4, t2]);
    assert_eq!(ids(None, Some("main"), 5), vec![m3, m1]);
    assert_eq!(ids(Some("*"), Some("none"), 5), vec![]);
    assert_eq!(ids(Some("parse"), None, 2), vec![t4, t2]);
}

fn series_history_treats_percent_and_underscore_literally(store: &dyn Store) {
    let r1 = simple(
        store,
        "main",
        "tb",
        1,
        &[
            "load_100%",
            "loadX100%",
            "load_100x",
            "path\\name",
            "pathXname",
        ],
    );
    let got = |glob: &str| -> Vec<String> {
        ok(store.series_history(Some(glob), None, 10))
            .into_iter()
            .map(|(h, s)| {
                assert_eq!(h.id, r1);
                s.benchmark
            })
            .collect()
    };
    assert_eq!(got("load_100%"), vec!["load_100%"]);
    assert_eq!(got("load_*"), vec!["load_100%", "load_100x"]);
    assert_eq!(got("*%"), vec!["load_100%", "loadX100%"]);
    assert_eq!(got("load?100%"), vec!["load_100%", "loadX100%"]);
    assert_eq!(got("path\\name"), vec!["path\\name"]);
    assert_eq!(got("path?name"), vec!["path\\name", "pathXname"]);
}

fn recorded_series_lists_each_name_of_the_newest_runs_once(store: &dyn Store) {
    assert!(ok(store.recorded_series(10)).is_empty());
    record(
        store,
        context("main", "tb", at(0)),
        vec![series("gone", "wall_time", &[1.0])],
    );
    record(
        store,
        context("main", "tb", at(1)),
        vec![
            series("parse", "wall_time", &[1.0]),
            series("parse", "peak_rss", &[1.0]),
            series("Zeta", "wall_time", &[1.0]),
        ],
    );
    // Recorded later with an earlier timestamp: newest is by id.
    record(
        store,
        context("topic", "tb", at(-5)),
        vec![
            series("lex", "wall_time", &[1.0]),
            series("parse", "wall_time", &[2.0]),
        ],
    );
    // Sorted by code point (upper case first), each name once.
    assert_eq!(
        ok(store.recorded_series(2)),
        vec![
            key("Zeta", "wall_time"),
            key("lex", "wall_time"),
            key("parse", "peak_rss"),
            key("parse", "wall_time"),
        ]
    );
    assert_eq!(ok(store.recorded_series(3)).len(), 5);
    assert_eq!(
        ok(store.recorded_series(1)),
        vec![key("lex", "wall_time"), key("parse", "wall_time")]
    );
    assert!(ok(store.recorded_series(0)).is_empty());
}

fn baselines_pin_show_and_clear(store: &dyn Store) {
    let r1 = simple(store, "main", "linux", 1, &["a"]);
    let r2 = simple(store, "main", "linux", 2, &["a"]);
    let r3 = simple(store, "main", "mac", 3, &["a"]);

    assert_eq!(ok(store.pinned_baseline(None)), None);
    assert_eq!(ok(store.pinned_baseline(Some("linux"))), None);

    // The any-testbed pin applies to every testbed.
    ok(store.pin_baseline(None, r1));
    assert_eq!(ok(store.pinned_baseline(None)), Some(r1));
    assert_eq!(ok(store.pinned_baseline(Some("linux"))), Some(r1));

    // A testbed's own pin wins over it, for that testbed only.
    ok(store.pin_baseline(Some("linux"), r2));
    assert_eq!(ok(store.pinned_baseline(Some("linux"))), Some(r2));
    assert_eq!(ok(store.pinned_baseline(Some("mac"))), Some(r1));
    assert_eq!(ok(store.pinned_baseline(None)), Some(r1));

    // Pinning again replaces.
    ok(store.pin_baseline(Some("linux"), r3));
    assert_eq!(ok(store.pinned_baseline(Some("linux"))), Some(r3));
    ok(store.pin_baseline(None, r2));
    assert_eq!(ok(store.pinned_baseline(Some("mac"))), Some(r2));

    // Clearing removes exactly that pin.
    assert!(ok(store.clear_baseline(Some("linux"))));
    assert!(!ok(store.clear_baseline(Some("linux"))));
    assert_eq!(ok(store.pinned_baseline(Some("linux"))), Some(r2));
    assert!(!ok(store.clear_baseline(Some("mac"))));
    assert!(ok(store.clear_baseline(None)));
    assert_eq!(ok(store.pinned_baseline(Some("linux"))), None);
    assert_eq!(ok(store.pinned_baseline(None)), None);
    assert!(!ok(store.clear_baseline(None)));
}

fn pinning_a_missing_run_fails_and_changes_nothing(store: &dyn Store) {
    let r1 = simple(store, "main", "linux", 1, &["a"]);
    ok(store.pin_baseline(Some("linux"), r1));
    let missing = RunId(r1.0 + 1000);
    for testbed in [Some("linux"), None] {
        match store.pin_baseline(testbed, missing) {
            Err(StoreError::RunNotFound(id)) => assert_eq!(id, missing),
            other => panic!("expected RunNotFound, got {other:?}"),
        }
    }
    let message = store
        .pin_baseline(None, missing)
        .expect_err("a missing run")
        .to_string();
    assert_eq!(
        message,
        format!("pin baseline: run {missing} does not exist")
    );
    assert_eq!(ok(store.pinned_baseline(Some("linux"))), Some(r1));
    assert_eq!(ok(store.pinned_baseline(None)), None);
}

fn baseline_history_picks_the_right_runs(store: &dyn Store) {
    let a = key("a", "wall_time");
    let b = key("b", "wall_time");
    let never = key("never", "wall_time");
    let m1 = simple(store, "main", "linux", 1, &["a", "b"]);
    let _m2_mac = simple(store, "main", "mac", 2, &["a", "b"]);
    let _f3 = simple(store, "feature", "linux", 3, &["a", "b"]);
    let m4 = simple(store, "main", "linux", 4, &["a"]);
    let m5 = simple(store, "main", "linux", 5, &["a", "b"]);
    let m6 = simple(store, "main", "linux", 6, &["a", "b"]); // the run being judged
    let _m7 = simple(store, "main", "linux", 7, &["a", "b"]); // after it

    let q = BaselineQuery {
        branch: Some("main".to_owned()),
        testbed: Some("linux".to_owned()),
        before: Some(at(6)),
        exclude: Some(m6),
    };
    let picked = |q: &BaselineQuery, keys: &[SeriesKey], history| {
        ok(baseline_history(store, q, keys, history))
            .into_iter()
            .map(|(k, runs)| {
                let runs: Vec<(RunId, f64)> = runs
                    .into_iter()
                    .map(|(h, s)| {
                        assert_eq!(s.key(), k);
                        (h.id, s.values[0])
                    })
                    .collect();
                (k.benchmark, runs)
            })
            .collect::<BTreeMap<_, _>>()
    };
    let keys = [a.clone(), b.clone(), never.clone()];

    let got = picked(&q, &keys, 10);
    assert_eq!(got["a"], vec![(m5, 5.0), (m4, 4.0), (m1, 1.0)]);
    assert_eq!(got["b"], vec![(m5, 5.0), (m1, 1.0)]);
    assert_eq!(got["never"], vec![]);

    // At most `history` runs per series, the newest.
    let got = picked(&q, &keys, 2);
    assert_eq!(got["a"], vec![(m5, 5.0), (m4, 4.0)]);
    assert_eq!(got["b"], vec![(m5, 5.0), (m1, 1.0)]);

    // history 0 and no keys ask for nothing.
    assert!(picked(&q, &keys, 0).values().all(Vec::is_empty));
    assert!(picked(&q, &[], 10).is_empty());

    // Any testbed, any branch.
    let anywhere = BaselineQuery {
        branch: None,
        testbed: None,
        ..q.clone()
    };
    let got = picked(&anywhere, std::slice::from_ref(&a), 4);
    assert_eq!(
        got["a"].iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![5.0, 4.0, 3.0, 2.0]
    );

    // Without `before` and `exclude`, the newest runs count.
    let latest = BaselineQuery {
        before: None,
        exclude: None,
        ..q.clone()
    };
    let got = picked(&latest, std::slice::from_ref(&b), 2);
    assert_eq!(
        got["b"].iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![7.0, 6.0]
    );

    // Headers are the runs' headers.
    let full = ok(baseline_history(store, &q, &[a], 1));
    let (header, _) = &full[&key("a", "wall_time")][0];
    assert_eq!(header.context, context("main", "linux", at(5)));
}

fn merge_base_run_is_found_by_commit(store: &dyn Store) {
    let with_commit = |branch: &str, testbed: &str, minute: i64, commit: &str| {
        let mut c = context(branch, testbed, at(minute));
        c.commit = Some(commit.to_owned());
        record(store, c, vec![series("a", "wall_time", &[1.0])])
    };
    let _old = with_commit("main", "linux", 1, "1111111aaaa");
    let base = with_commit("main", "linux", 2, "2222222bbbb");
    let _mac = with_commit("main", "mac", 3, "2222222bbbb");
    let _later = with_commit("main", "linux", 4, "3333333cccc");
    let _branch = with_commit("feature", "linux", 5, "4444444dddd");
    let q = BaselineQuery {
        branch: Some("main".to_owned()),
        testbed: Some("linux".to_owned()),
        before: Some(at(5)),
        exclude: None,
    };
    let found = ok(find_commit_run(store, &q, "2222222bbbb")).expect("found");
    assert_eq!((found.id, found.context.timestamp), (base, at(2)));
    // An abbreviated SHA (7 or more characters) matches too.
    assert_eq!(
        ok(find_commit_run(store, &q, "2222222")).map(|h| h.id),
        Some(base)
    );
    // Too short to be a SHA, another branch's commit, or nothing recorded.
    assert_eq!(ok(find_commit_run(store, &q, "2222")), None);
    assert_eq!(ok(find_commit_run(store, &q, "4444444dddd")), None);
    assert_eq!(ok(find_commit_run(store, &q, "")), None);
}

fn baseline_history_pages_back_for_series_only_older_runs_have(store: &dyn Store) {
    // "old" appears only in the 3 oldest of 40 runs, so a first page of
    // `history` runs cannot find it; "new" is in every run.
    for minute in 0..40 {
        let benchmarks: &[&str] = if minute < 3 {
            &["old", "new"]
        } else {
            &["new"]
        };
        simple(store, "main", "linux", minute, benchmarks);
    }
    let q = BaselineQuery {
        branch: Some("main".to_owned()),
        testbed: Some("linux".to_owned()),
        before: None,
        exclude: None,
    };
    let keys = [key("old", "wall_time"), key("new", "wall_time")];
    let got = ok(baseline_history(store, &q, &keys, 5));
    let values = |k: &SeriesKey| got[k].iter().map(|(_, s)| s.values[0]).collect::<Vec<_>>();
    assert_eq!(values(&keys[0]), vec![2.0, 1.0, 0.0]);
    assert_eq!(values(&keys[1]), vec![39.0, 38.0, 37.0, 36.0, 35.0]);
    // Runs come newest first with their headers.
    let stamps: Vec<Timestamp> = got[&keys[0]]
        .iter()
        .map(|(h, _)| h.context.timestamp)
        .collect();
    assert_eq!(stamps, vec![at(2), at(1), at(0)]);
}

fn a_failed_insert_leaves_nothing_behind(store: &dyn Store) {
    let first = simple(store, "main", "tb", 1, &["a"]);
    // The duplicate is the last series: the run row and the series before it
    // are written when the database refuses it.
    let mut many: Vec<Series> = (0..50)
        .map(|i| series(&format!("s{i}"), "wall_time", &[i as f64]))
        .collect();
    many.push(series("s7", "wall_time", &[1.0]));
    let err = store
        .insert_run(&NewRun {
            context: context("main", "tb", at(2)),
            series: many,
        })
        .expect_err("a duplicate series");
    assert!(
        matches!(&err, StoreError::DuplicateSeries { benchmark, measure } if benchmark == "s7" && measure == "wall_time"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "record run: series s7/wall_time appears more than once in the run"
    );
    assert_eq!(ok(store.count_runs()), 1);
    assert_eq!(ok(store.latest_run_id()), Some(first));
    assert_eq!(list(store, RunQuery::default()), vec![first]);
    assert!(ok(store.series_history(Some("s*"), None, 10)).is_empty());

    // The store is still usable, and the next run gets a fresh id.
    let next = simple(store, "main", "tb", 3, &["s7"]);
    assert!(next > first);
    assert_eq!(ok(store.count_runs()), 2);
    assert_eq!(ok(store.results_of_runs(&[next], None)).len(), 1);
}

/// A confirmed series (three rounds of two samples) keeps its rounds on
/// every read path, beside a one-round series; rounds that do not divide
/// the samples are refused before anything is stored.
fn rounds_survive_every_read(store: &dyn Store) {
    let mut confirmed = series("confirmed", "wall_time", &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    confirmed.round_size = Some(2);
    let plain = series("plain", "wall_time", &[7.0, 8.0]);
    let id = record(
        store,
        context("main", "tb", at(1)),
        vec![confirmed.clone(), plain.clone()],
    );
    let run = ok(store.run(id)).expect("the run");
    assert_eq!(run.series, vec![confirmed.clone(), plain.clone()]);
    assert_eq!(
        run.series[0].rounds(),
        vec![&[1.0, 2.0][..], &[3.0, 4.0][..], &[5.0, 6.0][..]]
    );
    let all: Vec<Series> = ok(store.results_of_runs(&[id], None))
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(all, vec![confirmed.clone(), plain.clone()]);
    let keyed: Vec<Series> =
        ok(store.results_of_runs(&[id], Some(&[key("confirmed", "wall_time")][..])))
            .into_iter()
            .map(|(_, s)| s)
            .collect();
    assert_eq!(keyed, vec![confirmed.clone()]);
    let history: Vec<Series> = ok(store.series_history(Some("conf*"), None, 10))
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(history, vec![confirmed.clone()]);

    let mut ragged = series("ragged", "wall_time", &[1.0, 2.0, 3.0]);
    ragged.round_size = Some(2);
    match store.insert_run(&NewRun {
        context: context("main", "tb", at(2)),
        series: vec![ragged],
    }) {
        Err(e @ StoreError::BadRounds { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("ragged/wall_time") && msg.contains("rounds of 2"),
                "{msg}"
            );
        }
        other => panic!("expected BadRounds, got {other:?}"),
    }
    assert_eq!(ok(store.count_runs()), 1);
}

fn timeline(benchmark: &str, n: u32) -> Timeline {
    Timeline {
        benchmark: benchmark.to_owned(),
        points: (1..=n)
            .map(|i| ResourcePoint {
                at_ms: f64::from(i) * 100.0,
                cpu_percent: 12.5 * f64::from(i),
                rss: u64::from(i) << 20,
            })
            .collect(),
    }
}

fn timelines_round_trip_with_their_run(store: &dyn Store) {
    let plain = simple(store, "main", "tb", 1, &["a"]);
    assert!(ok(store.timelines(plain)).is_empty());
    let timelines = vec![timeline("zeta", 3), timeline("alpha", 40)];
    let id = ok(store.insert_run_with_timelines(
        &NewRun {
            context: context("main", "tb", at(2)),
            series: vec![
                series("alpha", "wall_time", &[1.0]),
                series("zeta", "wall_time", &[2.0]),
            ],
        },
        &timelines,
    ));
    // By benchmark name, every point exactly as written.
    assert_eq!(
        ok(store.timelines(id)),
        vec![timelines[1].clone(), timelines[0].clone()]
    );
    assert_eq!(ok(store.run(id)).map(|r| r.series.len()), Some(2));
    assert!(ok(store.timelines(RunId(id.0 + 1000))).is_empty());
}

fn bad_timelines_store_nothing(store: &dyn Store) {
    let mut bad = timeline("a", 3);
    bad.points[1].cpu_percent = f64::NAN;
    let run = NewRun {
        context: context("main", "tb", at(1)),
        series: vec![series("a", "wall_time", &[1.0])],
    };
    let err = store
        .insert_run_with_timelines(&run, &[bad])
        .expect_err("a NaN point");
    assert!(
        err.to_string()
            .contains("timeline of a has an invalid point at index 1"),
        "{err}"
    );
    let err = store
        .insert_run_with_timelines(&run, &[timeline("a", 1), timeline("a", 2)])
        .expect_err("two timelines of one benchmark");
    assert!(err.to_string().contains("more than once"), "{err}");
    assert_eq!(ok(store.count_runs()), 0);
}

fn invalid_runs_are_refused_with_a_reason(store: &dyn Store) {
    let nan = NewRun {
        context: context("main", "tb", at(1)),
        series: vec![
            series("fine", "wall_time", &[1.0]),
            series("broken", "wall_time", &[1.0, 2.0, f64::NAN]),
        ],
    };
    match store.insert_run(&nan) {
        Err(e @ StoreError::NonFiniteSample { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("broken/wall_time") && msg.contains("index 2"),
                "{msg}"
            );
        }
        other => panic!("expected NonFiniteSample, got {other:?}"),
    }
    let infinite = NewRun {
        context: context("main", "tb", at(1)),
        series: vec![series("x", "wall_time", &[f64::INFINITY])],
    };
    assert!(matches!(
        store.insert_run(&infinite),
        Err(StoreError::NonFiniteSample { .. })
    ));
    let far_future = NewRun {
        context: context("main", "tb", ts("2300-01-01T00:00:00Z")),
        series: vec![],
    };
    assert!(matches!(
        store.insert_run(&far_future),
        Err(StoreError::TimestampOutOfRange(_))
    ));
    assert_eq!(ok(store.count_runs()), 0);
}

/// Issue 15, item 8: PostgreSQL refuses a NUL in text with a driver error
/// naming nothing, SQLite keeps it and C strings cut it off; both refuse
/// it before the transaction, naming the field, and store nothing.
fn a_nul_in_a_name_is_refused_naming_the_field(store: &dyn Store) {
    let cases: [(&str, NewRun); 4] = [
        (
            "benchmark name",
            NewRun {
                context: context("main", "tb", at(1)),
                series: vec![
                    series("fine", "wall_time", &[1.0]),
                    series("pa\0rse", "wall_time", &[1.0]),
                ],
            },
        ),
        (
            "measure name",
            NewRun {
                context: context("main", "tb", at(1)),
                series: vec![series("parse", "wall\0time", &[1.0])],
            },
        ),
        (
            "branch",
            NewRun {
                context: context("ma\0in", "tb", at(1)),
                series: vec![series("parse", "wall_time", &[1.0])],
            },
        ),
        (
            "testbed",
            NewRun {
                context: context("main", "t\0b", at(1)),
                series: vec![series("parse", "wall_time", &[1.0])],
            },
        ),
    ];
    for (field, run) in cases {
        match store.insert_run(&run) {
            Err(e @ StoreError::NulInText { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(&format!("the {field} ")) && msg.contains("NUL"),
                    "{msg}"
                );
            }
            other => panic!("{field}: expected NulInText, got {other:?}"),
        }
        assert!(matches!(
            store.insert_run_once(&run, "sha256:nul", false),
            Err(StoreError::NulInText { .. })
        ));
    }
    assert_eq!(ok(store.count_runs()), 0);
}

fn migrations_are_idempotent(fx: &Fixture) {
    let store = &*fx.store;
    assert_eq!(ok(store.schema_version()), LATEST_SCHEMA_VERSION);
    let id = simple(store, "main", "tb", 1, &["a"]);
    for _ in 0..2 {
        let again = fx.reopen();
        assert_eq!(ok(again.schema_version()), LATEST_SCHEMA_VERSION);
        assert_eq!(ok(again.count_runs()), 1);
        assert_eq!(ok(again.latest_run_id()), Some(id));
        assert_eq!(again.describe(), store.describe());
    }
    // Both handles see each other's writes.
    let other = simple(&*fx.reopen(), "main", "tb", 2, &["a"]);
    assert_eq!(ok(store.latest_run_id()), Some(other));
}

fn concurrent_first_opens_migrate_once(fx: &Fixture) {
    let location = fx.fresh_location();
    let versions: Vec<u32> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let location = location.clone();
                scope.spawn(move || {
                    let store = location.open();
                    ok(store.schema_version())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an opening thread"))
            .collect()
    });
    assert_eq!(versions, vec![LATEST_SCHEMA_VERSION; 4]);
    let store = location.open();
    simple(&*store, "main", "tb", 1, &["a"]);
    assert_eq!(ok(store.count_runs()), 1);
}

fn concurrent_writers_lose_no_run(fx: &Fixture) {
    const THREADS: usize = 8;
    const RUNS: usize = 20;
    let ids: Vec<RunId> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let location = fx.location.clone();
                scope.spawn(move || {
                    // Its own handle: its own connection, as another process would.
                    let store = location.open();
                    (0..RUNS)
                        .map(|i| {
                            let series = (0..20)
                                .map(|s| {
                                    series(&format!("t{t}-s{s}"), "wall_time", &[i as f64; 10])
                                })
                                .collect();
                            record(
                                &*store,
                                context("main", &format!("tb{t}"), at(i as i64)),
                                series,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a writing thread"))
            .collect()
    });
    let store = &*fx.store;
    assert_eq!(ok(store.count_runs()), (THREADS * RUNS) as u64);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), THREADS * RUNS, "every insert got its own id");
    for t in 0..THREADS {
        let mine = list(
            store,
            RunQuery {
                testbed: Some(format!("tb{t}")),
                ..RunQuery::default()
            },
        );
        assert_eq!(mine.len(), RUNS);
        let results = ok(store.results_of_runs(&mine, None));
        assert_eq!(results.len(), RUNS * 20, "every series of thread {t}");
    }
}

/// What a server does: one store, shared by many threads at once (on
/// PostgreSQL through its pool), each writing and reading back.
fn one_store_serves_many_threads(store: &dyn Store) {
    const THREADS: usize = 8;
    const RUNS: usize = 10;
    let ids: Vec<RunId> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    (0..RUNS)
                        .map(|i| {
                            let id = record(
                                store,
                                context("main", &format!("tb{t}"), at(i as i64)),
                                vec![series(&format!("t{t}"), "wall_time", &[i as f64; 3])],
                            );
                            let run = ok(store.run(id)).expect("the run just recorded");
                            assert_eq!(run.header.context.testbed, Some(format!("tb{t}")));
                            assert_eq!(run.series[0].values, vec![i as f64; 3]);
                            id
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a thread sharing the store"))
            .collect()
    });
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), THREADS * RUNS, "every insert got its own id");
    assert_eq!(ok(store.count_runs()), (THREADS * RUNS) as u64);
}

// ---------------------------------------------------------------------------
// `AsyncStore`: the server's way in.

fn each_backend(test: impl Fn(Fixture)) {
    test(Fixture::sqlite());
    if let Some(fx) = Fixture::postgres() {
        test(fx);
    }
}

#[test]
fn async_store_calls_leave_the_runtime_worker_free() {
    each_backend(|fx| {
        // One worker: were a store call to run on it, the task that lets
        // the call finish could never run, and the call would time out.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        let store = sloe_store::AsyncStore::from(fx.reopen());
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let recorded = runtime.block_on(async {
            let call = tokio::spawn({
                let store = store.clone();
                async move {
                    store
                        .call(move |s| {
                            wait.recv_timeout(std::time::Duration::from_secs(10))
                                .expect("the other task ran while this call waited");
                            s.insert_run(&NewRun {
                                context: context("main", "tb", at(1)),
                                series: vec![series("a", "wall_time", &[1.0])],
                            })
                        })
                        .await
                }
            });
            let signal = tokio::spawn(async move { go.send(()).expect("the call is waiting") });
            signal.await.expect("the signalling task");
            call.await.expect("the call task")
        });
        let id = ok(recorded);
        assert_eq!(ok(fx.store.latest_run_id()), Some(id));
    });
}

#[test]
fn async_store_is_shared_by_concurrent_tasks() {
    each_backend(|fx| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a tokio runtime");
        let store = sloe_store::AsyncStore::from(fx.reopen());
        let ids: Vec<RunId> = runtime.block_on(async {
            let tasks: Vec<_> = (0..16)
                .map(|t| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        store
                            .call(move |s| {
                                s.insert_run(&NewRun {
                                    context: context("main", &format!("tb{t}"), at(t)),
                                    series: vec![series("a", "wall_time", &[t as f64])],
                                })
                            })
                            .await
                    })
                })
                .collect();
            let mut ids = Vec::new();
            for task in tasks {
                ids.push(ok(task.await.expect("a task")));
            }
            ids
        });
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 16);
        let headers = runtime
            .block_on(store.call(|s| s.list_runs(&RunQuery::default())))
            .unwrap_or_else(|e| panic!("failed to {e}"));
        assert_eq!(headers.len(), 16);
        // The last handle goes on a worker, as a server's does at shutdown.
        runtime
            .block_on(async move { tokio::spawn(async move { drop(store) }).await })
            .expect("dropping the store on a worker does not panic");
    });
}

#[test]
fn a_current_thread_runtime_may_call_the_store_directly() {
    each_backend(|fx| {
        let location = fx.location.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        let count = runtime.block_on(async move {
            let store = location.open();
            simple(&*store, "main", "tb", 1, &["a"]);
            ok(store.count_runs())
        });
        assert_eq!(count, 1);
    });
}

// ---------------------------------------------------------------------------
// `open` reaches PostgreSQL too (SQLite URL forms are unit-tested in lib.rs).

#[test]
fn open_connects_to_postgres_urls() {
    if sloe_testkit::skip(Need::Postgres) {
        return;
    }
    let schema = unique_name("sloe_test_open");
    let fx = Fixture {
        store: Location::Postgres {
            url: postgres_url(),
            schema: schema.clone(),
        }
        .open(),
        location: Location::Postgres {
            url: postgres_url(),
            schema: schema.clone(),
        },
        _dir: None,
        schemas: Mutex::new(vec![schema.clone()]),
    };
    let sep = if postgres_url().contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!("{}{sep}options=-csearch_path%3D{schema}", postgres_url());
    let store = sloe_store::open(&url, Path::new("/nonexistent"))
        .unwrap_or_else(|e| panic!("failed to {e}"));
    assert!(
        store.describe().starts_with("postgres://"),
        "{}",
        store.describe()
    );
    assert!(
        !store.describe().contains("options"),
        "{}",
        store.describe()
    );
    let id = simple(&*store, "main", "tb", 1, &["a"]);
    assert_eq!(ok(fx.store.latest_run_id()), Some(id));
}

#[test]
fn unreachable_postgres_names_the_server() {
    // Port 1 on loopback: nothing listens there.
    let err = PostgresStore::connect("postgres://sloe:secret@127.0.0.1:1/sloe")
        .expect_err("nothing listens on port 1");
    let msg = err.to_string();
    assert!(
        msg.starts_with("connect to PostgreSQL store postgres://sloe@127.0.0.1:1/sloe: "),
        "{msg}"
    );
    assert!(!msg.contains("secret"), "{msg}");
    assert!(
        msg.contains("Connection refused"),
        "the cause is shown: {msg}"
    );
    assert!(msg.contains("is the PostgreSQL server running"), "{msg}");
}

#[test]
fn sqlite_describes_itself_with_an_absolute_path_and_creates_directories() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("a/b/history.db");
    let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("failed to {e}"));
    assert_eq!(store.describe(), format!("sqlite:{}", path.display()));
    assert!(path.exists());
}

#[test]
fn sqlite_open_failure_names_the_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A directory where the database file should be.
    let path = dir.path().join("history.db");
    std::fs::create_dir(&path).expect("a directory");
    let msg = SqliteStore::open(&path)
        .expect_err("a directory is no database")
        .to_string();
    assert!(
        msg.starts_with(&format!("open SQLite store at {}: ", path.display())),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------
// SLI events

fn batch(lines: &str) -> Vec<(String, Vec<EventBucket>)> {
    EventBatch::read(lines.as_bytes(), "test.jsonl")
        .expect("valid events")
        .into_streams()
}

fn all_buckets(store: &dyn Store, stream: &str) -> Vec<EventBucket> {
    ok(store.event_buckets(stream, Timestamp::MIN, Timestamp::MAX))
}

fn counts(buckets: &[EventBucket], class: Classification) -> Counts {
    minute_counts(buckets, class).range(Timestamp::MIN, Timestamp::MAX)
}

const LATENCY_300MS: Classification = Classification::Latency {
    threshold: jiff::SignedDuration::from_millis(300),
};

fn events_add_up_per_stream_and_minute(store: &dyn Store) {
    let first = batch(
        r#"{"stream":"api","ts":"2026-11-20T10:00:30Z","good":990,"total":1000}
{"stream":"api","ts":"2026-11-20T10:01:00Z","value":0.1}
{"stream":"api","ts":"2026-11-20T10:01:59Z","value":0.4,"ok":true}
{"stream":"web","ts":"2026-11-20T10:00:00Z","ok":false}"#,
    );
    assert_eq!(
        ok(store.add_events(None, &first)),
        EventsAdded::Stored { buckets: 3 }
    );
    // the 10:01 minute again: merged into the stored bucket
    let second = batch(
        r#"{"stream":"api","ts":"2026-11-20T10:01:10Z","value":250,"unit":"ms"}
{"stream":"api","ts":"2026-11-20T10:01:20Z","value":0.05,"ok":false}"#,
    );
    ok(store.add_events(None, &second));
    assert_eq!(ok(store.event_streams()), vec!["api", "web"]);
    let api = all_buckets(store, "api");
    assert_eq!(
        api.iter().map(|b| b.start).collect::<Vec<_>>(),
        vec![ts("2026-11-20T10:00:00Z"), ts("2026-11-20T10:01:00Z")]
    );
    // 10:01: 4 raw events, 3 ok (100 ms, 400 ms, 250 ms), 1 failed
    assert_eq!((api[1].good, api[1].total), (3, 4));
    assert_eq!(api[1].latency.total(), 3);
    // availability: 990 + 3 of 1000 + 4
    assert_eq!(
        counts(&api, Classification::Availability),
        Counts {
            good: 993,
            total: 1004
        }
    );
    // 300 ms: the 400 ms event is bad too
    assert_eq!(
        counts(&api, LATENCY_300MS),
        Counts {
            good: 992,
            total: 1004
        }
    );
    // [from, to) selects by bucket start
    let only_first = ok(store.event_buckets(
        "api",
        ts("2026-11-20T10:00:00Z"),
        ts("2026-11-20T10:01:00Z"),
    ));
    assert_eq!(only_first.len(), 1);
    assert_eq!(only_first[0].total, 1000);
    assert!(all_buckets(store, "nobody").is_empty());
}

fn an_ingest_key_stores_a_file_once(store: &dyn Store) {
    let events = batch(r#"{"stream":"api","ts":"2026-11-20T10:00:30Z","good":9,"total":10}"#);
    assert_eq!(
        ok(store.add_events(Some("digest-1"), &events)),
        EventsAdded::Stored { buckets: 1 }
    );
    assert_eq!(
        ok(store.add_events(Some("digest-1"), &events)),
        EventsAdded::AlreadyIngested
    );
    ok(store.add_events(Some("digest-2"), &events));
    let api = all_buckets(store, "api");
    assert_eq!((api[0].good, api[0].total), (18, 20));
}

fn bad_events_store_nothing(store: &dyn Store) {
    let mut events = batch(
        r#"{"stream":"api","ts":"2026-11-20T10:00:30Z","good":9,"total":10}
{"stream":"web","ts":"2026-11-20T10:00:30Z","good":9,"total":10}"#,
    );
    // a bucket that claims more good than total, after a good one
    events[1].1[0].good = 11;
    let err = store
        .add_events(Some("k"), &events)
        .expect_err("good > total");
    assert!(err.to_string().contains("good 11 > total 10"), "{err}");
    events[1].0 = String::new();
    assert!(store.add_events(Some("k"), &events).is_err());
    assert!(ok(store.event_streams()).is_empty());
    // the key was not taken either
    events.truncate(1);
    assert_eq!(
        ok(store.add_events(Some("k"), &events)),
        EventsAdded::Stored { buckets: 1 }
    );
}

fn compaction_rolls_old_minutes_into_hours(store: &dyn Store) {
    let events = batch(
        r#"{"stream":"api","ts":"2026-11-20T09:59:00Z","good":1,"total":1}
{"stream":"api","ts":"2026-11-20T10:00:30Z","good":9,"total":10}
{"stream":"api","ts":"2026-11-20T10:17:00Z","value":0.2}
{"stream":"api","ts":"2026-11-20T10:59:59Z","value":0.5}
{"stream":"api","ts":"2026-11-20T11:00:00Z","good":5,"total":5}
{"stream":"api","ts":"2026-11-20T11:30:00Z","good":5,"total":5}"#,
    );
    ok(store.add_events(None, &events));
    let before = all_buckets(store, "api");
    // 11:30 cuts inside the 11:00 hour: hours 09:00 and 10:00 roll up
    assert_eq!(ok(store.compact_events(ts("2026-11-20T11:30:00Z"))), 4);
    let after = all_buckets(store, "api");
    assert_eq!(
        after
            .iter()
            .map(|b| (b.start, b.width.as_secs()))
            .collect::<Vec<_>>(),
        vec![
            (ts("2026-11-20T09:00:00Z"), 3600),
            (ts("2026-11-20T10:00:00Z"), 3600),
            (ts("2026-11-20T11:00:00Z"), 60),
            (ts("2026-11-20T11:30:00Z"), 60),
        ]
    );
    for class in [Classification::Availability, LATENCY_300MS] {
        assert_eq!(counts(&after, class), counts(&before, class));
    }
    // nothing left to roll up; a late minute lands in its own row and rolls
    // into the hour next time
    assert_eq!(ok(store.compact_events(ts("2026-11-20T11:30:00Z"))), 0);
    ok(store.add_events(
        None,
        &batch(r#"{"stream":"api","ts":"2026-11-20T10:05:00Z","good":0,"total":2}"#),
    ));
    assert_eq!(ok(store.compact_events(ts("2026-11-20T11:30:00Z"))), 1);
    let hour = ok(store.event_buckets(
        "api",
        ts("2026-11-20T10:00:00Z"),
        ts("2026-11-20T11:00:00Z"),
    ));
    assert_eq!(hour.len(), 1);
    assert_eq!((hour[0].good, hour[0].total), (11, 14));
    assert_eq!(hour[0].latency.total(), 2);
}

fn concurrent_event_ingests_lose_no_event(fx: &Fixture) {
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let location = fx.location.clone();
            std::thread::spawn(move || {
                let store = location.open();
                for j in 0..5 {
                    let events = batch(&format!(
                        "{{\"stream\":\"api\",\"ts\":\"2026-11-20T10:0{j}:00Z\",\"value\":0.{i}{j}}}"
                    ));
                    ok(store.add_events(None, &events));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer thread");
    }
    let api = all_buckets(&*fx.store, "api");
    assert_eq!(api.len(), 5);
    for b in &api {
        assert_eq!((b.good, b.total, b.latency.total()), (4, 4, 4));
    }
}

/// Issue 15, item 2: writers that each record old events and then compact,
/// all at once on one database (each with its own handle, as processes
/// would), as `sloe slo ingest` does. On PostgreSQL compaction used to
/// delete rows in scan order while ingests locked them in sorted order:
/// "deadlock detected" for a third of the writers. Every call must succeed
/// and the totals must be exactly the inputs'. Rounds: `SLOE_FAULT_TRIES`
/// when set, else 3.
fn concurrent_ingests_and_compactions_never_deadlock_and_lose_nothing(fx: &Fixture) {
    const THREADS: usize = 8;
    const STREAMS: [&str; 3] = ["api", "checkout", "web"];
    let rounds: usize = std::env::var("SLOE_FAULT_TRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // Every minute of 09:00 to 11:59 in each stream, in a thread's own
    // order; counts differ per thread and round.
    let events = |t: usize, round: usize| -> (String, BTreeMap<&'static str, (u64, u64)>) {
        let mut text = String::new();
        let mut sums = BTreeMap::new();
        for stream in STREAMS.iter().cycle().skip(t).take(STREAMS.len()) {
            let sum: &mut (u64, u64) = sums.entry(*stream).or_default();
            for m in 0..180u64 {
                let m = if t.is_multiple_of(2) { m } else { 179 - m };
                let total = 10 + (t as u64) * 3 + (round as u64) + m % 7;
                let good = total - m % 3;
                text.push_str(&format!(
                    "{{\"stream\":\"{stream}\",\"ts\":\"2026-11-20T{:02}:{:02}:15Z\",\"good\":{good},\"total\":{total}}}\n",
                    9 + m / 60,
                    m % 60
                ));
                sum.0 += good;
                sum.1 += total;
            }
        }
        (text, sums)
    };
    let mut expected: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for t in 0..THREADS {
        for round in 0..rounds {
            for (stream, (good, total)) in events(t, round).1 {
                let e = expected.entry(stream).or_default();
                e.0 += good;
                e.1 += total;
            }
        }
    }
    // After every event: all of them old enough to roll up.
    let horizon = ts("2026-11-21T00:00:00Z");
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let location = fx.location.clone();
                scope.spawn(move || {
                    let store = location.open();
                    let mut failures = Vec::new();
                    for round in 0..rounds {
                        let batch = batch(&events(t, round).0);
                        if let Err(e) = store.add_events(None, &batch) {
                            failures.push(format!("thread {t} round {round}: failed to {e}"));
                            continue;
                        }
                        if let Err(e) = store.compact_events(horizon) {
                            failures.push(format!("thread {t} round {round}: failed to {e}"));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a writing thread"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} calls failed:\n{}",
        failures.len(),
        THREADS * rounds * 2,
        failures.join("\n")
    );
    let store = &*fx.store;
    for (stream, (good, total)) in &expected {
        assert_eq!(
            counts(&all_buckets(store, stream), Classification::Availability),
            Counts {
                good: *good,
                total: *total
            },
            "stream {stream}"
        );
    }
    // A compaction skipped while another ran left its rows to a later one:
    // after one more, every old minute is in its hour.
    ok(store.compact_events(horizon));
    for stream in STREAMS {
        let widths: Vec<(Timestamp, i64)> = all_buckets(store, stream)
            .iter()
            .map(|b| (b.start, b.width.as_secs()))
            .collect();
        assert_eq!(
            widths,
            vec![
                (ts("2026-11-20T09:00:00Z"), 3600),
                (ts("2026-11-20T10:00:00Z"), 3600),
                (ts("2026-11-20T11:00:00Z"), 3600),
            ],
            "stream {stream}"
        );
    }
}

fn input(digest: &str, records: u64, lines: &str) -> EventInputBatch {
    EventInputBatch {
        key: EventInputKey {
            digest: digest.to_owned(),
            records,
            first: "first-1".to_owned(),
        },
        streams: batch(lines),
    }
}

const NINE_HUNDRED: &str =
    r#"{"stream":"api","ts":"2026-11-20T10:00:05Z","good":900,"total":1000}"#;

fn adding_past_what_a_bucket_holds_stores_nothing(store: &dyn Store) {
    // issue 15: 900 of 1000, then i64::MAX of i64::MAX in the same minute
    // left the bucket at i64::MAX of i64::MAX (SLI 1.0): the sum is refused.
    ok(store.add_events(None, &batch(NINE_HUNDRED)));
    let max = batch(
        r#"{"stream":"api","ts":"2026-11-20T10:00:45Z","good":9223372036854775807,"total":9223372036854775807}"#,
    );
    let err = store
        .add_events(Some("k"), &max)
        .expect_err("sum past i64::MAX");
    assert!(matches!(err, StoreError::BadEvents(_)), "{err:?}");
    assert!(err.to_string().contains("would exceed"), "{err}");
    let err = store
        .add_event_inputs(
            &[input(
                "d-max",
                1,
                r#"{"stream":"api","ts":"2026-11-20T10:00:45Z","good":9223372036854775807,"total":9223372036854775807}"#,
            )],
            false,
        )
        .expect_err("sum past i64::MAX");
    assert!(err.to_string().contains("would exceed"), "{err}");
    let api = all_buckets(store, "api");
    assert_eq!((api[0].good, api[0].total), (900, 1000));
    // neither key was taken
    assert_eq!(
        ok(store.add_events(Some("k"), &batch(NINE_HUNDRED))),
        EventsAdded::Stored { buckets: 1 }
    );
    assert!(ok(store.event_inputs_starting_with("first-1")).is_empty());
    // a count past what the store holds is refused before any sum
    let mut huge = batch(NINE_HUNDRED);
    huge[0].1[0].total = u64::MAX;
    huge[0].1[0].good = u64::MAX;
    let err = store.add_events(None, &huge).expect_err("u64::MAX");
    assert!(
        err.to_string().contains("more than the store holds"),
        "{err}"
    );
    let api = all_buckets(store, "api");
    assert_eq!((api[0].good, api[0].total), (1800, 2000));
}

fn a_nul_in_a_stream_name_is_refused(store: &dyn Store) {
    let mut events = batch(NINE_HUNDRED);
    events[0].0 = "a\0pi".to_owned();
    let err = store.add_events(None, &events).expect_err("NUL");
    assert!(matches!(err, StoreError::BadEvents(_)), "{err:?}");
    assert!(err.to_string().contains("NUL"), "{err}");
    let err = store
        .add_event_inputs(
            &[EventInputBatch {
                key: input("d", 1, NINE_HUNDRED).key,
                streams: events,
            }],
            false,
        )
        .expect_err("NUL");
    assert!(err.to_string().contains("NUL"), "{err}");
    assert!(ok(store.event_streams()).is_empty());
}

fn event_inputs_are_recorded_once_by_their_key(store: &dyn Store) {
    let one = input("d-1", 1, NINE_HUNDRED);
    let added = ok(store.add_event_inputs(std::slice::from_ref(&one), false));
    assert_eq!((added.buckets, added.duplicate), (1, vec![false]));
    assert_eq!(
        ok(store.event_inputs_starting_with("first-1")),
        vec![("d-1".to_owned(), 1)]
    );
    assert!(ok(store.event_inputs_starting_with("first-2")).is_empty());
    // again: nothing added
    let again = ok(store.add_event_inputs(std::slice::from_ref(&one), false));
    assert_eq!((again.buckets, again.duplicate), (0, vec![true]));
    // the same key twice in one call, beside a new one: the new one counts
    let grown = input(
        "d-2",
        2,
        r#"{"stream":"api","ts":"2026-11-20T10:01:05Z","good":1,"total":2}"#,
    );
    let mixed = ok(store.add_event_inputs(&[one.clone(), grown.clone(), grown], false));
    assert_eq!(mixed.duplicate, vec![true, false, true]);
    let api = all_buckets(store, "api");
    assert_eq!(
        api.iter().map(|b| (b.good, b.total)).collect::<Vec<_>>(),
        vec![(900, 1000), (1, 2)]
    );
    assert_eq!(
        ok(store.event_inputs_starting_with("first-1")),
        vec![("d-1".to_owned(), 1), ("d-2".to_owned(), 2)]
    );
    // forced: added again
    let forced = ok(store.add_event_inputs(&[one], true));
    assert_eq!(forced.duplicate, vec![false]);
    assert_eq!(all_buckets(store, "api")[0].total, 2000);
}

fn concurrent_ingests_of_the_same_events_count_once(fx: &Fixture) {
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let location = fx.location.clone();
            std::thread::spawn(move || {
                let store = location.open();
                ok(store.add_event_inputs(&[input("same", 1, NINE_HUNDRED)], false))
            })
        })
        .collect();
    let stored = threads
        .into_iter()
        .map(|t| t.join().expect("writer thread"))
        .filter(|a| a.duplicate == [false])
        .count();
    assert_eq!(stored, 1);
    let api = all_buckets(&*fx.store, "api");
    assert_eq!((api[0].good, api[0].total), (900, 1000));
}

// ---------------------------------------------------------------------------
// Re-ingest: runs under a digest of their results

fn a_digest_records_results_once_per_context(store: &dyn Store) {
    let results = vec![series("parse", "wall_time", &[1.0, 2.0])];
    let once = |ctx: RunContext, digest: &str, force: bool| {
        ok(store.insert_run_once(
            &NewRun {
                context: ctx,
                series: results.clone(),
            },
            digest,
            force,
        ))
    };
    let first = match once(context("main", "tb", at(0)), "sha256:aa", false) {
        RunInsert::Recorded(id) => id,
        other => panic!("the first insert records: {other:?}"),
    };
    // Same context: not recorded again, whatever the time or CI metadata.
    assert_eq!(
        once(context("main", "tb", at(0)), "sha256:aa", false),
        RunInsert::AlreadyRecorded(first)
    );
    let mut later = context("main", "tb", at(60));
    later.ci.insert("job".to_owned(), "2".to_owned());
    assert_eq!(
        once(later, "sha256:aa", false),
        RunInsert::AlreadyRecorded(first)
    );
    assert_eq!(ok(store.count_runs()), 1);

    // Another branch, commit, testbed or environment is another context.
    let mut recorded = vec![first];
    let mut other_commit = context("main", "tb", at(1));
    other_commit.commit = Some("ffff".to_owned());
    let mut no_environment = context("main", "tb", at(1));
    no_environment.environment = None;
    for ctx in [
        context("topic", "tb", at(1)),
        context("main", "tb2", at(1)),
        other_commit,
        no_environment.clone(),
    ] {
        match once(ctx.clone(), "sha256:aa", false) {
            RunInsert::Recorded(id) => recorded.push(id),
            other => panic!("{ctx:?} is another context: {other:?}"),
        }
    }
    // A missing value matches a missing value.
    assert_eq!(
        once(no_environment, "sha256:aa", false),
        RunInsert::AlreadyRecorded(recorded[4])
    );
    // Other results in the same context are recorded.
    assert!(matches!(
        once(context("main", "tb", at(2)), "sha256:bb", false),
        RunInsert::Recorded(_)
    ));
    // Forced: recorded again, under the digest; the earliest still answers.
    match once(context("main", "tb", at(3)), "sha256:aa", true) {
        RunInsert::Recorded(id) => recorded.push(id),
        other => panic!("forced: {other:?}"),
    }
    assert_eq!(
        once(context("main", "tb", at(4)), "sha256:aa", false),
        RunInsert::AlreadyRecorded(first)
    );
    assert_eq!(ok(store.count_runs()), 7);

    // The lookup: every run under the digest, oldest first, with its context;
    // runs recorded without a digest are under none.
    simple(store, "main", "tb", 5, &["parse"]);
    let under = ok(store.runs_with_digest("sha256:aa"));
    assert_eq!(ids(&under), recorded);
    assert_eq!(under[1].context.branch.as_deref(), Some("topic"));
    assert_eq!(under[2].context.testbed.as_deref(), Some("tb2"));
    assert_eq!(ids(&ok(store.runs_with_digest("sha256:bb"))).len(), 1);
    assert!(ok(store.runs_with_digest("sha256:none")).is_empty());
    // A recorded run reads back whole.
    let run = ok(store.run(first)).expect("the first run");
    assert_eq!(run.series, results);
}

fn a_refused_run_under_a_digest_stores_nothing(store: &dyn Store) {
    let bad = NewRun {
        context: context("main", "tb", at(0)),
        series: vec![series("parse", "wall_time", &[1.0, f64::NAN])],
    };
    assert!(store.insert_run_once(&bad, "sha256:aa", false).is_err());
    assert_eq!(ok(store.count_runs()), 0);
    assert!(ok(store.runs_with_digest("sha256:aa")).is_empty());
    // Nothing was claimed: the valid results record.
    let good = NewRun {
        series: vec![series("parse", "wall_time", &[1.0, 2.0])],
        ..bad
    };
    assert!(matches!(
        ok(store.insert_run_once(&good, "sha256:aa", false)),
        RunInsert::Recorded(_)
    ));
}

/// Eight processes ingest the same file at once: one run is recorded, and
/// every other one names it.
fn concurrent_ingests_of_the_same_results_record_one_run(fx: &Fixture) {
    const THREADS: usize = 8;
    let barrier = std::sync::Barrier::new(THREADS);
    let outcomes: Vec<RunInsert> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let location = fx.location.clone();
                let barrier = &barrier;
                scope.spawn(move || {
                    let store = location.open();
                    let run = NewRun {
                        context: context("main", "tb", at(0)),
                        series: (0..20)
                            .map(|s| series(&format!("s{s}"), "wall_time", &[1.0; 10]))
                            .collect(),
                    };
                    barrier.wait();
                    ok(store.insert_run_once(&run, "sha256:same", false))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an ingesting thread"))
            .collect()
    });
    let recorded: Vec<RunId> = outcomes
        .iter()
        .filter_map(|o| match o {
            RunInsert::Recorded(id) => Some(*id),
            RunInsert::AlreadyRecorded(_) => None,
        })
        .collect();
    assert_eq!(recorded.len(), 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o.id() == recorded[0]),
        "{outcomes:?}"
    );
    assert_eq!(ok(fx.store.count_runs()), 1);
}
