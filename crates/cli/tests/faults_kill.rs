//! Fault injection: `sloe ingest` (results files) and `sloe slo ingest`
//! (SLI events, with compaction on) are killed with SIGKILL at random points
//! of their life, on SQLite and on PostgreSQL. After every kill the store
//! must hold the killed ingest entirely or not at all, must be sound
//! (`PRAGMA integrity_check` on SQLite; on PostgreSQL the store opens and
//! answers), and a retry of the same file must bring it to exactly the
//! expected totals: nothing lost, nothing counted twice.
//!
//! Bounded: `SLOE_FAULT_TRIES` kills per backend and command (default 5,
//! a few seconds each); `scripts/faults.sh` runs the long form and prints
//! the counts. The delays come from a seeded RNG: the seed is printed, and
//! `SLOE_FAULT_SEED` replays it. Each test prints one `faults:` line with
//! its counts (`cargo test -- --nocapture` shows it).
//!
//! Where a kill landed is classified from what the store shows afterwards:
//! `exited` (the command had finished before the kill), `before` (nothing
//! of it in the store and no sign of a write), `mid_write` (not recorded,
//! but the write had begun: SQLite's WAL held frames of an uncommitted
//! transaction; on PostgreSQL, sloe's connection held a transaction that
//! had written when the kill was sent), `after_commit` (recorded, the
//! process killed in what follows the commit: compaction, output).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::Value;
use sloe_store::{RunQuery, Store};

const DEFAULT_TRIES: u64 = 5;

/// Which command is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    /// `sloe ingest` of a results file with thousands of series.
    Ingest,
    /// `sloe slo ingest` of thousands of event lines older than the
    /// compaction horizon, so each ingest also compacts.
    SloIngest,
}

/// Where the store is.
enum Backend {
    Sqlite(PathBuf),
    Postgres(sloe_testkit::pg::Database),
}

impl Backend {
    fn url(&self) -> String {
        match self {
            Backend::Sqlite(p) => format!("sqlite://{}", p.display()),
            Backend::Postgres(db) => db.url().to_owned(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Opens the store as sloe would and checks it is sound: SQLite's
    /// `integrity_check` says ok (run before sloe's own open, on the file
    /// as the kill left it, its WAL recovered by this connection); on
    /// PostgreSQL the store connects and answers.
    fn open_checked(&self, problems: &mut Vec<String>) -> Box<dyn Store> {
        if let Backend::Sqlite(path) = self
            && path.exists()
        {
            match rusqlite::Connection::open(path)
                .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)))
            {
                Ok(s) if s == "ok" => {}
                Ok(s) => problems.push(format!("integrity_check: {s}")),
                Err(e) => problems.push(format!("integrity_check failed: {e}")),
            }
        }
        let store = sloe_store::open(&self.url(), Path::new("/"))
            .unwrap_or_else(|e| panic!("failed to open the store after a kill: {e}"));
        if let Err(e) = store.schema_version() {
            problems.push(format!("schema_version after a kill: {e}"));
        }
        store
    }

    /// Some sign that a write had begun and was not committed, looked at
    /// just before the kill (PostgreSQL) or just after it (SQLite).
    fn write_open(&self, pg: Option<&mut postgres::Client>) -> bool {
        match self {
            // The WAL goes away when the last connection closes; frames in
            // it after a kill are the killed process's (committed or not:
            // the caller asks only when the ingest is not recorded).
            Backend::Sqlite(path) => {
                let wal = PathBuf::from(format!("{}-wal", path.display()));
                std::fs::metadata(wal).is_ok_and(|m| m.len() > 32)
            }
            Backend::Postgres(db) => pg.is_some_and(|c| {
                c.query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
                    &[&db.name()],
                )
                .is_ok_and(|r| r.get::<_, i64>(0) > 0)
            }),
        }
    }
}

/// Waits (up to 30 s) until no connection to database `name` but this one
/// is in a transaction or running a statement; whether that came.
fn settled(client: &mut postgres::Client, name: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let busy = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
                 AND pid <> pg_backend_pid() \
                 AND (xact_start IS NOT NULL OR state = 'active')",
                &[&name],
            )
            .map_or(1, |r| r.get::<_, i64>(0));
        if busy == 0 {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The counts of one test.
#[derive(Debug, Default)]
struct Tally {
    tries: u64,
    kills: u64,
    exited: u64,
    before: u64,
    mid_write: u64,
    after_commit: u64,
    failures: u64,
    /// Runs or events recorded (said so by the store) and not found, or
    /// series of a run missing.
    lost: u64,
    /// Events or runs counted twice.
    doubled: u64,
}

/// The `sloe` binary with an environment nothing outside steers.
fn sloe(dir: &Path, config: &Path) -> Command {
    let mut cmd = common::sloe_std();
    cmd.current_dir(dir).arg("--config").arg(config);
    cmd
}

fn tries() -> u64 {
    std::env::var("SLOE_FAULT_TRIES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_TRIES)
}

fn seed(test: &str) -> u64 {
    let base = std::env::var("SLOE_FAULT_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("{test}: seed {base} (replay with SLOE_FAULT_SEED={base})");
    // Each test its own stream from the same seed.
    test.bytes().fold(base, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Series in the results file of try `i`: distinct per try, so a run
/// recorded with part of its series shows.
fn series_of(i: u64) -> u64 {
    1500 + i
}

const SAMPLES: u64 = 3;

fn results_file(i: u64) -> String {
    let mut s = format!(
        "{{\"context\":{{\"branch\":\"main\",\"commit\":\"c{i:06}\",\"testbed\":\"tb\"}},\"results\":["
    );
    for b in 0..series_of(i) {
        if b > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"benchmark\":\"bench_{b:05}\",\"unit\":\"ms\",\"values\":[{}.1,{}.2,{}.3]}}",
            b + i,
            b + i,
            b + i
        ));
    }
    s.push_str("]}\n");
    s
}

/// Event lines per ingest, one minute each.
const MINUTES: u64 = 1200;

/// Events of try `i`: `MINUTES` lines of stream `api` from `start`, one a
/// minute; their good and total counts (the total is distinct per try, so
/// a partly counted ingest shows).
fn events_file(i: u64, start: Timestamp) -> (String, u64, u64) {
    let mut text = String::new();
    let (mut good, mut total) = (0, 0);
    for m in 0..MINUTES {
        let t = start
            .checked_add(jiff::SignedDuration::from_mins(m as i64))
            .expect("time");
        let tot = if m == 0 { 1000 + i } else { 10 + (m + i) % 7 };
        let g = tot - (m % 3);
        good += g;
        total += tot;
        text.push_str(&format!(
            "{{\"stream\":\"api\",\"ts\":\"{t}\",\"good\":{g},\"total\":{tot}}}\n"
        ));
    }
    (text, good, total)
}

/// Good and total over every bucket of the store.
fn event_totals(store: &dyn Store) -> (u64, u64) {
    let buckets = store
        .event_buckets("api", Timestamp::MIN, Timestamp::MAX)
        .unwrap_or_else(|e| panic!("failed to read the event buckets: {e}"));
    buckets
        .iter()
        .fold((0, 0), |(g, t), b| (g + b.good, t + b.total))
}

/// The run of try `i` (commit `c<i>`), if recorded: its id, series and
/// samples; more than one is a double record.
fn runs_of(store: &dyn Store, i: u64) -> Vec<(i64, u64, u64)> {
    let commit = format!("c{i:06}");
    let headers = store
        .list_runs(&RunQuery::default())
        .unwrap_or_else(|e| panic!("failed to list runs: {e}"));
    headers
        .iter()
        .filter(|h| h.context.commit.as_deref() == Some(commit.as_str()))
        .map(|h| {
            let run = store
                .run(h.id)
                .unwrap_or_else(|e| panic!("failed to read run {}: {e}", h.id))
                .expect("listed run");
            let samples = run.series.iter().map(|s| s.values.len() as u64).sum();
            (h.id.0, run.series.len() as u64, samples)
        })
        .collect()
}

/// The state the test compares before and after a kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    runs: u64,
    good: u64,
    total: u64,
}

fn state(store: &dyn Store) -> State {
    let (good, total) = event_totals(store);
    State {
        runs: store
            .count_runs()
            .unwrap_or_else(|e| panic!("failed to count runs: {e}")),
        good,
        total,
    }
}

fn run_faults(backend: Backend, cmd: Cmd) {
    let test = format!("{}_{:?}", backend.name(), cmd).to_lowercase();
    let mut rng = fastrand::Rng::with_seed(seed(&test));
    let n = tries();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("sloe.toml");
    std::fs::write(&config, format!("[store]\nurl = \"{}\"\n", backend.url()))
        .expect("write config");
    let mut pg = match &backend {
        Backend::Postgres(db) => Some(db.client()),
        Backend::Sqlite(_) => None,
    };
    // Events ten days old, minute buckets kept one day: every ingest
    // compacts what it added into hours (and merges into earlier hours).
    let start = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * 10))
        .expect("time")
        .round(jiff::Unit::Hour)
        .expect("round");

    // What try `i` writes and the command that writes it.
    let write_input = |i: u64| -> (PathBuf, u64, u64) {
        match cmd {
            Cmd::Ingest => {
                let p = dir.path().join(format!("r{i}.json"));
                std::fs::write(&p, results_file(i)).expect("write results");
                (p, 0, 0)
            }
            Cmd::SloIngest => {
                let p = dir.path().join(format!("e{i}.jsonl"));
                let (text, g, t) = events_file(i, start);
                std::fs::write(&p, text).expect("write events");
                (p, g, t)
            }
        }
    };
    let command = |file: &Path, json: bool| -> Command {
        let mut c = sloe(dir.path(), &config);
        match cmd {
            Cmd::Ingest => {
                c.arg("ingest");
                if json {
                    c.args(["--output", "json"]);
                }
            }
            Cmd::SloIngest => {
                c.args(["slo", "ingest", "--keep-minute-buckets-days", "1"]);
                if json {
                    c.args(["--format", "json"]);
                }
            }
        }
        c.arg(file);
        c
    };

    // Calibration: try 0, not killed; its time spreads the kills.
    let (file, g0, t0) = write_input(0);
    let began = Instant::now();
    let out = command(&file, false).output().expect("run sloe");
    let life = began.elapsed();
    assert!(
        out.status.success(),
        "{test}: the calibration ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut expected = State {
        runs: u64::from(cmd == Cmd::Ingest),
        good: g0,
        total: t0,
    };
    let mut tally = Tally::default();
    let mut problems: Vec<String> = Vec::new();
    {
        let store = backend.open_checked(&mut problems);
        assert_eq!(state(&*store), expected, "{test}: after the calibration");
    }
    let window = life.mul_f64(1.2);
    eprintln!("{test}: one ingest takes {life:?}; kills spread over 0..{window:?}");

    for i in 1..=n {
        tally.tries += 1;
        let (file, good, total) = write_input(i);
        let delay = window.mul_f64(rng.f64());
        let mut child = command(&file, false)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sloe");
        std::thread::sleep(delay);
        let (killed, open_before_kill) = match child.try_wait().expect("try_wait") {
            Some(_) => (false, false),
            None => {
                let open = backend.write_open(pg.as_mut());
                // std's kill is SIGKILL on Unix.
                let _ = child.kill();
                (true, open)
            }
        };
        let out = child.wait_with_output().expect("wait");
        let bad = |what: String, problems: &mut Vec<String>| {
            problems.push(format!(
                "{test} try {i} (delay {delay:?}, killed {killed}): {what}"
            ));
        };
        if !killed && !out.status.success() {
            bad(
                format!(
                    "the unkilled ingest failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
                &mut problems,
            );
        }
        if killed {
            tally.kills += 1;
        }
        // SQLite: the WAL as the kill left it, before anything opens it.
        let wal_frames = matches!(backend, Backend::Sqlite(_)) && backend.write_open(None);
        // PostgreSQL: the server ends the killed client's transaction when
        // it sees the socket closed; a COMMIT already sent still commits.
        // Look once that is over.
        if let Some(c) = pg.as_mut()
            && let Backend::Postgres(db) = &backend
            && !settled(c, db.name())
        {
            bad(
                "the killed process's transaction was still open after 30 s".to_owned(),
                &mut problems,
            );
        }

        let mut found = Vec::new();
        let store = backend.open_checked(&mut found);
        for p in found {
            bad(p, &mut problems);
        }
        let now = state(&*store);
        let with = State {
            runs: expected.runs + u64::from(cmd == Cmd::Ingest),
            good: expected.good + good,
            total: expected.total + total,
        };
        // All or nothing.
        let recorded = if now == with {
            true
        } else if now == expected {
            false
        } else {
            bad(
                format!("partial: expected {expected:?} or {with:?}, found {now:?}"),
                &mut problems,
            );
            if now.total < expected.total || now.runs < expected.runs {
                tally.lost += 1;
            } else if now.total > with.total || now.runs > with.runs {
                tally.doubled += 1;
            }
            now.total > expected.total || now.runs > expected.runs
        };
        if cmd == Cmd::Ingest {
            let runs = runs_of(&*store, i);
            let want = (series_of(i), series_of(i) * SAMPLES);
            if runs.len() > 1 || runs.iter().any(|&(_, s, n)| (s, n) != want) {
                bad(
                    format!(
                        "run c{i:06} recorded as {runs:?}; expected at most one of {want:?} (series, samples)"
                    ),
                    &mut problems,
                );
                tally.lost += 1;
            }
        }
        drop(store);
        if !killed {
            tally.exited += 1;
        } else if recorded {
            tally.after_commit += 1;
        } else if open_before_kill || wal_frames {
            tally.mid_write += 1;
        } else {
            tally.before += 1;
        }

        // The retry: the same file, not forced. It says whether the store
        // had it already, and must leave exactly the expected totals.
        let out = command(&file, true).output().expect("retry");
        if !out.status.success() {
            bad(
                format!("the retry failed: {}", String::from_utf8_lossy(&out.stderr)),
                &mut problems,
            );
        } else {
            let v: Value = serde_json::from_slice(&out.stdout).expect("retry json");
            let duplicate = match cmd {
                Cmd::Ingest => v["runs"][0]["skipped"].as_bool(),
                Cmd::SloIngest => v["duplicate"].as_bool(),
            };
            if duplicate != Some(recorded) {
                bad(
                    format!(
                        "the store holds the ingest: {recorded}, the retry says it was recorded before: {duplicate:?}"
                    ),
                    &mut problems,
                );
            }
        }
        let mut found = Vec::new();
        let store = backend.open_checked(&mut found);
        for p in found {
            bad(p, &mut problems);
        }
        let after = state(&*store);
        drop(store);
        if after != with {
            bad(
                format!("after the retry: expected {with:?}, found {after:?}"),
                &mut problems,
            );
            if after.total < with.total || after.runs < with.runs {
                tally.lost += 1;
            } else {
                tally.doubled += 1;
            }
        }
        expected = after;
        let _ = std::fs::remove_file(&file);
    }

    // Exact totals at the end: every try's ingest, once.
    let store = backend.open_checked(&mut problems);
    let end = state(&*store);
    let mut want = State {
        runs: 0,
        good: 0,
        total: 0,
    };
    for i in 0..=n {
        match cmd {
            Cmd::Ingest => want.runs += 1,
            Cmd::SloIngest => {
                let (_, g, t) = events_file(i, start);
                want.good += g;
                want.total += t;
            }
        }
    }
    if end != want {
        problems.push(format!(
            "{test}: at the end expected {want:?}, found {end:?}"
        ));
    }
    if cmd == Cmd::Ingest {
        for i in 0..=n {
            let runs = runs_of(&*store, i);
            if runs.len() != 1 || (runs[0].1, runs[0].2) != (series_of(i), series_of(i) * SAMPLES) {
                problems.push(format!("{test}: at the end run c{i:06} is {runs:?}"));
            }
        }
    }
    tally.failures = problems.len() as u64;
    println!(
        "faults: {test} tries={} kills={} exited={} before={} mid_write={} after_commit={} failures={} lost={} doubled={}",
        tally.tries,
        tally.kills,
        tally.exited,
        tally.before,
        tally.mid_write,
        tally.after_commit,
        tally.failures,
        tally.lost,
        tally.doubled
    );
    assert!(
        problems.is_empty(),
        "{test}: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn sqlite() -> (tempfile::TempDir, Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.db");
    (dir, Backend::Sqlite(path))
}

#[test]
fn sigkill_ingest_sqlite() {
    let (_dir, backend) = sqlite();
    run_faults(backend, Cmd::Ingest);
}

#[test]
fn sigkill_slo_ingest_sqlite() {
    let (_dir, backend) = sqlite();
    run_faults(backend, Cmd::SloIngest);
}

#[test]
fn sigkill_ingest_postgres() {
    let Some(db) = sloe_testkit::pg::Database::fresh("sloe_faults") else {
        return;
    };
    run_faults(Backend::Postgres(db), Cmd::Ingest);
}

#[test]
fn sigkill_slo_ingest_postgres() {
    let Some(db) = sloe_testkit::pg::Database::fresh("sloe_faults") else {
        return;
    };
    run_faults(Backend::Postgres(db), Cmd::SloIngest);
}
