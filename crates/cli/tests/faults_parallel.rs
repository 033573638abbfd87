//! Parallel writers on one PostgreSQL store (issue 15, item 2): 16
//! `sloe slo ingest` processes at once, each with its own file of events
//! older than the compaction horizon, so every one records and then
//! compacts while the others do the same. None may fail (no "deadlock
//! detected", no compaction warning), and the store's totals must equal
//! the sum of the inputs exactly.
//!
//! And when compaction fails after the events are committed, the ingest
//! still succeeds: the events are recorded, the failure is a warning.
//!
//! Rounds: `SLOE_FAULT_TRIES` when set (the long form, run by
//! `scripts/faults.sh`), otherwise 2, which keeps the test to a few seconds.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;

const WRITERS: usize = 16;
const STREAMS: [&str; 3] = ["api", "checkout", "web"];
/// Minutes of events per stream in each file: two hours, so compaction
/// rolls several hours and every writer's buckets overlap everyone else's.
const MINUTES: i64 = 120;

fn rounds() -> usize {
    std::env::var("SLOE_FAULT_TRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

/// The events of `writer` in `round`, and what they add to each stream
/// (good, total). Every file differs (its counts depend on both), so none is
/// a duplicate of another; the minutes are a year old, far beyond the
/// default 35 days of minute buckets.
fn events(writer: usize, round: usize) -> (String, BTreeMap<&'static str, (i64, i64)>) {
    let start = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * 365))
        .expect("a year ago");
    // Whole hours, the same for every writer of a run of the test.
    let start = start.as_second().div_euclid(3600) * 3600;
    let mut text = String::new();
    let mut sums = BTreeMap::new();
    // Writers walk the streams in different orders, so their transactions
    // would lock shared rows in different orders were the store not to sort.
    let mut streams = STREAMS.to_vec();
    streams.rotate_left(writer % STREAMS.len());
    if writer % 2 == 1 {
        streams.reverse();
    }
    for stream in streams {
        let sum: &mut (i64, i64) = sums.entry(stream).or_default();
        for m in 0..MINUTES {
            let minute = if writer % 2 == 1 { MINUTES - 1 - m } else { m };
            let ts = jiff::Timestamp::from_second(start + minute * 60 + 7).expect("time");
            let total = 100 + (writer * 7 + round * 13) as i64 + minute % 11;
            let good = total - (minute + writer as i64) % 5;
            text.push_str(&format!(
                "{{\"stream\":\"{stream}\",\"ts\":\"{ts}\",\"good\":{good},\"total\":{total}}}\n"
            ));
            sum.0 += good;
            sum.1 += total;
        }
    }
    (text, sums)
}

#[test]
fn parallel_writers_with_compaction_never_deadlock_and_lose_nothing() {
    let Some(db) = sloe_testkit::pg::Database::fresh("sloe_parallel") else {
        return;
    };
    let project = common::Project::new(&format!("[store]\nurl = \"{}\"\n", db.url()));
    let bin = assert_cmd::cargo::cargo_bin("sloe");
    let rounds = rounds();
    let mut expected: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut compacted = 0u64;
    let began = std::time::Instant::now();
    for round in 0..rounds {
        let children: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (text, sums) = events(writer, round);
                for (stream, (good, total)) in sums {
                    let e = expected.entry(stream).or_default();
                    e.0 += good;
                    e.1 += total;
                }
                let file = project.write(&format!("events-{round}-{writer}.jsonl"), &text);
                Command::new(&bin)
                    .current_dir(project.path())
                    .env("NO_COLOR", "1")
                    .env_remove("SLOE_STORE")
                    .env_remove("SLOE_CONFIG")
                    .env_remove("SLOE_ENV")
                    .env_remove("GITHUB_ACTIONS")
                    .env_remove("GITLAB_CI")
                    .args(["slo", "ingest", "--format", "json"])
                    .arg(&file)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn sloe")
            })
            .collect();
        for (writer, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().expect("wait for sloe");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let summary: Option<Value> = serde_json::from_slice(&out.stdout).ok();
            let compaction_error = summary
                .as_ref()
                .and_then(|s| s.get("compaction_error"))
                .filter(|e| !e.is_null());
            if !out.status.success() || !stderr.is_empty() || compaction_error.is_some() {
                failures.push(format!(
                    "round {round} writer {writer}: {}: {stderr}{}",
                    out.status,
                    compaction_error.map_or(String::new(), ToString::to_string)
                ));
            }
            compacted += summary
                .as_ref()
                .and_then(|s| s["compacted"].as_u64())
                .unwrap_or(0);
        }
    }
    let deadlocks = failures
        .iter()
        .filter(|f| f.contains("deadlock detected"))
        .count();
    eprintln!(
        "{WRITERS} writers x {rounds} rounds = {} ingests in {:.1} s: {} failed ({deadlocks} deadlocks), {compacted} minute buckets compacted",
        WRITERS * rounds,
        began.elapsed().as_secs_f64(),
        failures.len(),
    );
    assert!(
        failures.is_empty(),
        "{} of {} writers failed:\n{}",
        failures.len(),
        WRITERS * rounds,
        failures.join("\n")
    );

    let mut client = db.client();
    let stored: BTreeMap<String, (i64, i64)> = client
        .query(
            "SELECT stream, sum(good)::int8, sum(total)::int8 FROM event_buckets GROUP BY stream",
            &[],
        )
        .expect("read the totals")
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let expected: BTreeMap<String, (i64, i64)> = expected
        .into_iter()
        .map(|(s, v)| (s.to_owned(), v))
        .collect();
    assert_eq!(
        stored, expected,
        "the store's totals differ from the inputs'"
    );
    // Compaction did run: the old minutes are hours now (a compaction that
    // found another running leaves its rows to that one or the next).
    assert!(compacted > 0, "no writer compacted anything");
    let hours: i64 = client
        .query_one(
            "SELECT count(*) FROM event_buckets WHERE width_s = 3600",
            &[],
        )
        .expect("count hour buckets")
        .get(0);
    assert!(hours > 0, "no hour buckets after compaction");
}

/// An old minute bucket compaction cannot read: the store's latency
/// histogram of one byte that is no valid encoding.
const CORRUPT_ROW: &str = "INSERT INTO event_buckets (stream, start_s, width_s, good, total, latency) VALUES ('broken', 0, 60, 1, 1, X'80')";

/// `sloe slo ingest` of old events in `project`, whose store holds a row
/// compaction fails on: exit 0, the events recorded, a warning on stderr,
/// `compaction_error` in the JSON; the same file again is a duplicate.
fn compaction_failure_after_the_commit_is_a_warning(
    project: &common::Project,
    stored_total: impl Fn() -> i64,
) {
    let (text, sums) = events(0, 0);
    let expected: i64 = sums.values().map(|(_, total)| total).sum();
    project.write("old.jsonl", &text);
    let out = project
        .sloe()
        .args(["slo", "ingest", "--format", "json", "old.jsonl"])
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with(
            "warning: the events are recorded, but compacting old minute buckets failed"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("compact old SLI events"), "{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("the JSON summary");
    assert!(
        summary["compaction_error"]
            .as_str()
            .is_some_and(|e| e.contains("compact old SLI events")),
        "{summary}"
    );
    assert_eq!(summary["duplicate"], false, "{summary}");
    assert_eq!(summary["compacted"], 0, "{summary}");
    // Recorded exactly once: the first file's 1, the broken row's 1 and the file's totals.
    assert_eq!(stored_total(), expected + 2);
    // A retry is recognised, and counts nothing twice.
    let again = project
        .sloe()
        .args(["slo", "ingest", "--format", "json", "old.jsonl"])
        .output()
        .expect("run sloe");
    let summary: Value = serde_json::from_slice(&again.stdout).expect("the JSON summary");
    assert_eq!(summary["duplicate"], true, "{summary}");
    assert_eq!(stored_total(), expected + 2);
}

/// Records one event, without compaction: the store then holds sloe's
/// tables, for a test to break a row in.
fn ingest_one_event(project: &common::Project) {
    project.write(
        "first.jsonl",
        "{\"stream\":\"x\",\"ts\":\"2026-11-20T10:00:00Z\",\"good\":1,\"total\":1}\n",
    );
    project
        .sloe()
        .args([
            "slo",
            "ingest",
            "--keep-minute-buckets-days",
            "0",
            "first.jsonl",
        ])
        .assert()
        .success();
}

#[test]
fn a_compaction_failing_after_the_commit_is_a_warning_on_sqlite() {
    let project = common::Project::new("");
    let db = project.path().join(".sloe/history.db");
    ingest_one_event(&project);
    let conn = rusqlite::Connection::open(&db).expect("open the store");
    conn.execute(CORRUPT_ROW, [])
        .expect("insert the broken row");
    let total = || -> i64 {
        conn.query_row("SELECT sum(total) FROM event_buckets", [], |r| r.get(0))
            .expect("sum")
    };
    compaction_failure_after_the_commit_is_a_warning(&project, total);
}

#[test]
fn a_compaction_failing_after_the_commit_is_a_warning_on_postgres() {
    let Some(db) = sloe_testkit::pg::Database::fresh("sloe_compaction_warning") else {
        return;
    };
    let project = common::Project::new(&format!("[store]\nurl = \"{}\"\n", db.url()));
    ingest_one_event(&project);
    let client = std::cell::RefCell::new(db.client());
    client
        .borrow_mut()
        .batch_execute(&CORRUPT_ROW.replace("X'80'", "'\\x80'::bytea"))
        .expect("insert the broken row");
    let total = || -> i64 {
        client
            .borrow_mut()
            .query_one("SELECT sum(total)::int8 FROM event_buckets", &[])
            .expect("sum")
            .get(0)
    };
    compaction_failure_after_the_commit_is_a_warning(&project, total);
}
