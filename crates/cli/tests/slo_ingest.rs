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

fn ingest_in(dir: &std::path::Path, store: &[&str], args: &[&str]) -> std::process::Output {
    sloe(dir)
        .args(store)
        .args(["slo", "ingest", "--keep-minutes", "0", "--format", "json"])
        .args(args)
        .output()
        .expect("run")
}

fn json_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Each backend: (store flags, how to read back the api totals).
fn on_each_backend(test: impl Fn(&std::path::Path, &[&str], &dyn Fn() -> (u64, u64))) {
    let dir = common::Project::new("").dir;
    test(dir.path(), &[], &|| {
        let c = stored(dir.path(), "api", Classification::Availability);
        (c.good, c.total)
    });
    if let Some(db) = sloe_testkit::pg::Database::fresh("slo_ingest") {
        let dir = common::Project::new("").dir;
        let url = db.url().to_owned();
        test(dir.path(), &["--store", &url], &|| {
            let store = sloe_store::PostgresStore::connect(&url).expect("store");
            let buckets = store
                .event_buckets("api", Timestamp::MIN, Timestamp::MAX)
                .expect("read");
            let c = minute_counts(&buckets, Classification::Availability)
                .range(Timestamp::MIN, Timestamp::MAX);
            (c.good, c.total)
        });
    }
}

const NINE_HUNDRED: &str =
    "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:05Z\",\"good\":900,\"total\":1000}\n";
const U64_MAX: &str = "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:45Z\",\"good\":18446744073709551615,\"total\":18446744073709551615}\n";
const I64_MAX: &str = "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:45Z\",\"good\":9223372036854775807,\"total\":9223372036854775807}\n";

#[test]
fn a_count_never_overwrites_stored_data() {
    on_each_backend(|dir, store, api| {
        std::fs::write(dir.join("a.jsonl"), NINE_HUNDRED).expect("write");
        std::fs::write(dir.join("b.jsonl"), U64_MAX).expect("write");
        std::fs::write(dir.join("c.jsonl"), I64_MAX).expect("write");
        json_of(&ingest_in(dir, store, &["a.jsonl"]));
        // issue 15: this left the bucket at i64::MAX of i64::MAX
        let out = ingest_in(dir, store, &["b.jsonl"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "b.jsonl:1: field `good`: 18446744073709551615 is more than the store holds"
            ),
            "{err}"
        );
        // a count that fits, but not added to the stored bucket
        let out = ingest_in(dir, store, &["c.jsonl"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("would exceed"), "{err}");
        assert_eq!(api(), (900, 1000));
    });
}

#[test]
fn events_count_once_however_they_arrive() {
    on_each_backend(|dir, store, api| {
        std::fs::write(dir.join("log.jsonl"), EVENTS).expect("write");
        json_of(&ingest_in(dir, store, &["log.jsonl"]));
        assert_eq!(api(), (992, 1002));
        // a CRLF copy: nothing new
        std::fs::write(dir.join("crlf.jsonl"), EVENTS.replace('\n', "\r\n")).expect("write");
        let crlf = json_of(&ingest_in(dir, store, &["crlf.jsonl"]));
        assert_eq!(crlf["duplicate"], true, "{crlf}");
        assert_eq!(api(), (992, 1002));
        // the log grew: only the new line counts
        let grown = format!(
            "{EVENTS}{{\"stream\":\"api\",\"ts\":\"2026-11-20T10:02:00Z\",\"good\":5,\"total\":10}}\n"
        );
        std::fs::write(dir.join("log.jsonl"), &grown).expect("write");
        let g = json_of(&ingest_in(dir, store, &["log.jsonl"]));
        assert_eq!(
            (g["events"].as_u64(), g["skipped"].as_u64()),
            (Some(5), Some(4)),
            "{g}"
        );
        assert_eq!(api(), (997, 1012));
        // the same file twice in one command, and through stdin: once
        let more = format!(
            "{grown}{{\"stream\":\"api\",\"ts\":\"2026-11-20T10:03:00Z\",\"good\":1,\"total\":1}}\n"
        );
        std::fs::write(dir.join("log.jsonl"), &more).expect("write");
        let twice = json_of(&ingest_in(dir, store, &["log.jsonl", "log.jsonl"]));
        assert_eq!(twice["inputs"][1]["duplicate"], true, "{twice}");
        assert_eq!(api(), (998, 1013));
        let piped_out = sloe(dir)
            .args(store)
            .args([
                "slo",
                "ingest",
                "--keep-minutes",
                "0",
                "--format",
                "json",
                "-",
            ])
            .write_stdin(more.as_bytes())
            .output()
            .expect("run");
        let piped = json_of(&piped_out);
        assert_eq!(piped["duplicate"], true, "{piped}");
        assert_eq!(api(), (998, 1013));
        // --force still records again
        json_of(&ingest_in(dir, store, &["--force", "crlf.jsonl"]));
        assert_eq!(api(), (1990, 2015));
    });
}

#[test]
fn an_empty_event_file_is_an_error() {
    let dir = common::Project::new("").dir;
    std::fs::write(dir.path().join("empty.jsonl"), " \n\r\n").expect("write");
    let out = ingest_in(dir.path(), &[], &["empty.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("empty.jsonl: it holds no events"), "{err}");
}
