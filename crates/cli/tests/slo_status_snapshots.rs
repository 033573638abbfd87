//! Snapshots of what `sloe slo status` shows, end to end through the binary
//! at a fixed `--at` over fixed events: the `sloe.slo-status/v1` JSON and the
//! terminal view (`NO_COLOR=1`), byte for byte, with the exit code beside
//! them. One project per kind of objective: an events SLI with a page
//! firing, a calendar window, timeslice budgeting, junit and history SLIs
//! from recorded runs, and an SLO that has no events yet. Only the
//! project's temporary folder is redacted: everything else is a pure
//! function of the inputs (the forecast's bootstrap is seeded).

use std::process::Output;

mod common;

use common::{Project, junit_xml};

const AT: &str = "2026-11-23T12:00:00Z";

/// 1,000 events of stream `api` a minute for `minutes` minutes before
/// [`AT`], `bad(m)` of them failed in minute `m` (0 is the oldest).
fn minute_events(minutes: i64, bad: impl Fn(i64) -> u64) -> String {
    common::minute_events(AT, minutes, bad)
}

/// Both views of one status, the project's folder redacted.
struct Status {
    code: Option<i32>,
    json: String,
    view: String,
}

fn run_status(p: &Project, format: &str, events: Option<&str>) -> Output {
    let mut cmd = p.sloe();
    cmd.args(["slo", "status", "--format", format, "--at", AT]);
    if let Some(file) = events {
        cmd.args(["--events", file]);
    }
    cmd.output().expect("run sloe")
}

fn status(p: &Project, events: Option<&str>) -> Status {
    let redact = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).replace(&p.path().display().to_string(), "[project]")
    };
    let json = run_status(p, "json", events);
    let view = run_status(p, "text", events);
    assert_eq!(
        json.status.code(),
        view.status.code(),
        "both formats judge alike"
    );
    let stderr = redact(&view.stderr);
    assert!(
        matches!(view.status.code(), Some(0 | 1)),
        "sloe slo status failed: {stderr}"
    );
    let mut shown = redact(&view.stdout);
    if !stderr.is_empty() {
        shown.push_str("--- stderr ---\n");
        shown.push_str(&stderr);
    }
    Status {
        code: json.status.code(),
        json: redact(&json.stdout),
        view: shown,
    }
}

#[track_caller]
fn snapshot(name: &str, s: &Status) {
    insta::assert_snapshot!(format!("{name}.json"), s.json);
    insta::assert_snapshot!(format!("{name}.view"), s.view);
}

/// Three days at 1,000 a minute; the last hour 150 bad a minute against a
/// 99 % objective: burn 15 over 1h and 5m, above the page's 14.4.
#[test]
fn events_sli_with_a_page_firing() {
    let p = Project::new(
        "[[slo]]\nname = \"api-availability\"\nservice = \"api\"\nobjective = \"99%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n",
    );
    p.write(
        "events.jsonl",
        &minute_events(3 * 1440, |m| if m >= 3 * 1440 - 60 { 150 } else { 0 }),
    );
    let s = status(&p, Some("events.jsonl"));
    assert_eq!(s.code, Some(1), "a page fails by the default slo_fail_on");
    snapshot("events_page_firing", &s);
}

/// A calendar month in Berlin: judged from 2026-11-01T00:00+01:00, so the
/// first hours of the events file (still in October there) do not count.
#[test]
fn calendar_month_window() {
    let p = Project::new(
        "[[slo]]\nname = \"checkout-month\"\nobjective = \"99.5%\"\nwindow = \"month\"\ntime_zone = \"Europe/Berlin\"\nsli = { events = \"api\" }\n",
    );
    // From 2026-10-31T12:00Z: 23 days, with two bad hours on the first day
    // (in October, outside the window) and one on 2026-11-10.
    let minutes = 23 * 1440;
    p.write(
        "events.jsonl",
        &minute_events(minutes, |m| match m / 60 {
            2 | 3 => 500,
            228 => 100,
            _ => 0,
        }),
    );
    let s = status(&p, Some("events.jsonl"));
    assert_eq!(s.code, Some(0));
    snapshot("calendar_month", &s);
}

/// Timeslice budgeting: a 5-minute slice is good when 99 % of its events
/// are; six bad slices in a day of events over a 7-day window.
#[test]
fn timeslice_budgeting() {
    let p = Project::new(
        "[[slo]]\nname = \"api-slices\"\nobjective = \"99%\"\nwindow = \"7d\"\nbudgeting = \"timeslices\"\ntimeslice = \"5m\"\ntimeslice_target = \"99%\"\nsli = { events = \"api\" }\n",
    );
    p.write(
        "events.jsonl",
        &minute_events(1440, |m| if (600..630).contains(&m) { 20 } else { 0 }),
    );
    let s = status(&p, Some("events.jsonl"));
    assert_eq!(s.code, Some(0));
    snapshot("timeslices", &s);
}

fn ingest(p: &Project, file: &str, timestamp: &str) {
    p.sloe()
        .args(["ingest", "--branch", "main", "--timestamp", timestamp, file])
        .assert()
        .success();
}

/// Pass and not-flaky rates over three recorded JUnit runs: of the 11 cases
/// that ran (one was skipped), 10 passed, one of them only on a retry; both
/// budgets are spent.
#[test]
fn junit_sli_from_recorded_runs() {
    let p = Project::new(
        "[[slo]]\nname = \"tests-pass\"\nobjective = \"95%\"\nwindow = \"30d\"\nsli = { junit = { suite = \"*\", rate = \"pass\" } }\n\n[[slo]]\nname = \"app-not-flaky\"\nobjective = \"99%\"\nwindow = \"30d\"\nsli = { junit = { suite = \"app\", rate = \"not_flaky\" } }\n",
    );
    let runs: [&[(&str, &str)]; 3] = [
        &[("a", "pass"), ("b", "pass"), ("c", "fail"), ("d", "skip")],
        &[("a", "pass"), ("b", "flaky"), ("c", "pass"), ("d", "pass")],
        &[("a", "pass"), ("b", "pass"), ("c", "pass"), ("d", "pass")],
    ];
    for (day, cases) in runs.iter().enumerate() {
        let name = format!("junit-{day}.xml");
        p.write(&name, &junit_xml("app", cases));
        ingest(&p, &name, &format!("2026-11-{:02}T10:00:00Z", 20 + day));
    }
    let s = status(&p, None);
    assert_eq!(s.code, Some(1), "the not-flaky budget is spent");
    snapshot("junit", &s);
}

/// Ten builds on ten days, two of them over the 20 s threshold.
#[test]
fn history_sli_from_recorded_runs() {
    let p = Project::new(
        "[[slo]]\nname = \"builds-under-20s\"\nobjective = \"75%\"\nwindow = \"30d\"\nsli = { history = { benchmark = \"build:*\", measure = \"wall_time\", threshold = \"20s\" } }\n",
    );
    for day in 0..10 {
        let seconds = if day % 5 == 0 { 25.0 } else { 15.0 };
        let doc = serde_json::json!({
            "context": {"commit": format!("c{day}"), "testbed": "tb"},
            "results": [{"benchmark": "build:full", "measure": "wall_time", "unit": "s", "values": [seconds]}]
        });
        let name = format!("run{day}.json");
        p.write(&name, &doc.to_string());
        ingest(&p, &name, &format!("2026-11-{:02}T10:00:00Z", 10 + day));
    }
    let s = status(&p, None);
    assert_eq!(s.code, Some(0));
    snapshot("history", &s);
}

/// An events SLO before anything was recorded: no store, no `--events`.
#[test]
fn no_events_yet() {
    let p = Project::new(
        "[[slo]]\nname = \"api-availability\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n",
    );
    let s = status(&p, None);
    assert_eq!(s.code, Some(0));
    assert!(
        !p.path().join(".sloe").exists(),
        "status never creates a store"
    );
    snapshot("no_events", &s);
}
