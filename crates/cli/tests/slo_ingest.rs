//! `sloe slo ingest` end to end: a real process on a real SQLite file.

use jiff::Timestamp;
use serde_json::Value;
use sloe_core::slo::{Classification, Counts, events::minute_counts};
use sloe_store::Store;

mod common;

use common::sloe_in as sloe;

fn stored(dir: &std::path::Path, stream: &str, class: Classification) -> Counts {
    let store = sloe_store::SqliteStore::open(&dir.join(".sloe/history.db")).expect("store");
    let buckets = store
        .event_buckets(stream, Timestamp::MIN, Timestamp::MAX)
        .expect("read");
    minute_counts(&buckets, class).range(Timestamp::MIN, Timestamp::MAX)
}

const EVENTS: &str = r#"{"stream":"api","ts":"2026-11-20T10:00:30Z","good":990,"total":1000}
{"stream":"api","ts":"2026-11-20T10:01:00Z","value":0.183,"ok":true}
{"stream":"api","ts":"2026-11-20T10:01:01Z","value":450,"unit":"ms"}
{"stream":"web","ts":"2026-11-20T10:01:01Z","ok":false}
"#;

#[test]
fn ingest_records_once_and_reports() {
    // A project: recording outside one is refused.
    let dir = common::Project::new("").dir;
    std::fs::write(dir.path().join("events.jsonl"), EVENTS).expect("write");
    let out = sloe(dir.path())
        .args(["slo", "ingest", "events.jsonl", "--keep-minutes", "0"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("recorded 4 events of 2 stream(s) (api, web)"),
        "{text}"
    );
    assert_eq!(
        stored(dir.path(), "api", Classification::Availability),
        Counts {
            good: 992,
            total: 1002
        }
    );
    assert_eq!(
        stored(
            dir.path(),
            "api",
            Classification::Latency {
                threshold: jiff::SignedDuration::from_millis(300)
            }
        ),
        Counts {
            good: 991,
            total: 1002
        }
    );
    // the same content again, from standard input: recorded once
    let out = sloe(dir.path())
        .args(["slo", "ingest", "-", "--format", "json"])
        .write_stdin(EVENTS)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["duplicate"], true);
    assert_eq!(json["events"], 4);
    assert_eq!(
        stored(dir.path(), "api", Classification::Availability).total,
        1002
    );
    // --force records it again
    sloe(dir.path())
        .args(["slo", "ingest", "--force", "events.jsonl"])
        .assert()
        .success();
    assert_eq!(
        stored(dir.path(), "api", Classification::Availability).total,
        2004
    );
}

#[test]
fn a_bad_line_exits_2_names_file_and_line_and_stores_nothing() {
    // A project: recording outside one is refused.
    let dir = common::Project::new("").dir;
    std::fs::write(dir.path().join("good.jsonl"), EVENTS).expect("write");
    std::fs::write(
        dir.path().join("bad.jsonl"),
        format!("{EVENTS}{{\"stream\":\"api\",\"ts\":\"2026-11-20T10:02:00Z\",\"good\":5,\"total\":4}}\n"),
    )
    .expect("write");
    let out = sloe(dir.path())
        .args(["slo", "ingest", "good.jsonl", "bad.jsonl"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:5: field `good`: 5 is more than total (4)"),
        "{err}"
    );
    assert!(
        !dir.path().join(".sloe/history.db").exists() || {
            stored(dir.path(), "api", Classification::Availability) == Counts::default()
        }
    );
    let out = sloe(dir.path())
        .args(["slo", "ingest", "missing.jsonl"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jsonl"));
}
