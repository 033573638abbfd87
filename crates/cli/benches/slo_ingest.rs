//! `sloe slo ingest` of a large JSON-lines file, the whole process (issue
//! 7: at least 1 M events a second). Run with
//! `cargo bench -p sloe --bench slo_ingest`; `EVENTS` sets the number of
//! lines (default 2,000,000).
//!
//! The file mixes what services send: per line one raw event (`value` in
//! seconds, `ok`), every tenth line a pre-aggregated count, over four
//! streams and 24 hours, timestamps in order as a log would have them.
//! Each execution records into a fresh SQLite store, so the figure covers
//! reading, folding into minute buckets and the store's transaction.

use std::fmt::Write as _;
use std::process::Command;

use jiff::{SignedDuration, Timestamp};

#[path = "../../../benches/paired.rs"]
mod paired;
use paired::Bins;

const REPEAT: usize = 5;

fn main() {
    let events: usize = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let start: Timestamp = "2026-11-22T00:00:00Z".parse().expect("time");
    let streams = ["api", "web", "checkout", "search"];
    let mut text = String::with_capacity(events * 80);
    let step_ms = (86_400_000 / events as i64).max(1);
    for i in 0..events {
        let ts = start + SignedDuration::from_millis(i as i64 * step_ms);
        let stream = streams[i % streams.len()];
        if i % 10 == 9 {
            let total = 100 + (i % 37) as u64;
            let good = total - (i % 3) as u64;
            writeln!(
                text,
                r#"{{"stream":"{stream}","ts":"{ts}","good":{good},"total":{total}}}"#
            )
            .expect("write");
        } else {
            let value = 0.001 * (1 + (i * 7919) % 900) as f64;
            let ok = i % 97 != 0;
            writeln!(
                text,
                r#"{{"stream":"{stream}","ts":"{ts}","value":{value},"ok":{ok}}}"#
            )
            .expect("write");
        }
    }
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, &text).expect("write events");
    let mb = text.len() as f64 / 1e6;
    drop(text);
    println!("events file: {events} lines, {mb:.1} MB");

    let bins = Bins::new(env!("CARGO_BIN_EXE_sloe"));
    let mut round = 0;
    let work = dir.path().join("work");
    let times = paired::time(
        "sloe slo ingest, whole process",
        REPEAT,
        &bins,
        // Each execution records into a fresh store.
        || {
            round += 1;
            let _ = std::fs::remove_dir_all(&work);
            std::fs::create_dir_all(&work).expect("mkdir");
            std::fs::write(work.join("sloe.toml"), "").expect("config");
        },
        |bin| {
            let mut c = Command::new(bin);
            c.current_dir(&work)
                .env("NO_COLOR", "1")
                .args(["slo", "ingest", "--format", "json"])
                .arg(&file);
            c
        },
    );
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let rate = |ms: f64| events as f64 / (ms / 1e3) / 1e6;
    let median = sorted[REPEAT / 2];
    println!(
        "sloe slo ingest, whole process: median {:.3} s = {:.2} M events/s ({:.0} MB/s); fastest {:.3} s = {:.2} M events/s (n = {REPEAT}, {round} executions)",
        median / 1e3,
        rate(median),
        mb / (median / 1e3),
        sorted[0] / 1e3,
        rate(sorted[0]),
    );
}
