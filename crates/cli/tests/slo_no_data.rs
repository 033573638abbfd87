//! `sloe slo status` when it knows nothing or only old news, through the
//! binary (issue 14, item 3): a misspelt stream is `no_data` (and blocks
//! only when `policy.slo_fail_on` names it), an SLO whose events stopped is
//! `stale` after `stale_after`, and a burn rate over a window without
//! events is unknown: JSON `null`, `-` in the terminal, never 0.

mod common;

use common::{Project, minute_events};
use serde_json::Value;

const AT: &str = "2026-11-23T12:00:00Z";

/// The README's example SLO with the stream name misspelt.
const TYPO_SLO: &str = "[[slo]]\nname = \"api-availability\"\nservice = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"apii\" }\n";

fn status(p: &Project, format: &str, at: &str) -> (Option<i32>, String) {
    let out = p
        .sloe()
        .args(["slo", "status", "--format", format, "--at", at])
        .args(["--events", "events.jsonl"])
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "sloe slo status failed: {stderr}"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A known burn rate within floating-point noise of `want`.
fn near(v: &Value, want: f64) -> bool {
    v.as_f64()
        .is_some_and(|v| (v - want).abs() < 1e-6 * want.max(1.0))
}

fn json(p: &Project, at: &str) -> (Option<i32>, Value) {
    let (code, text) = status(p, "json", at);
    (code, serde_json::from_str(&text).expect("json"))
}

#[test]
fn a_misspelt_stream_is_no_data_not_a_full_budget() {
    // Three days of events on `api`, none on `apii`.
    let p = Project::new(TYPO_SLO);
    p.write("events.jsonl", &minute_events(AT, 3 * 1440, |_| 0));
    let (code, v) = json(&p, AT);
    // the default policy (page, exhausted) does not block on no data
    assert_eq!(code, Some(0));
    let s = &v["slos"][0];
    assert_eq!(s["state"], "no_data");
    assert_eq!(s["sli"], Value::Null);
    assert_eq!(s["last_event"], Value::Null);
    assert_eq!(s["stale"], true);
    assert_eq!(s["stale_after"], "10m");
    let rates = s["burn_rates"].as_object().expect("burn rates");
    assert_eq!(rates.len(), 8);
    assert!(rates.values().all(Value::is_null), "{rates:?}");
    for a in s["alerts"].as_array().expect("alerts") {
        assert_eq!(a["long_burn_rate"], Value::Null);
        assert_eq!(a["short_burn_rate"], Value::Null);
        assert_eq!(a["firing"], false);
    }

    let (code, view) = status(&p, "text", AT);
    assert_eq!(code, Some(0));
    assert!(view.contains("api-availability  [no_data]"), "{view}");
    assert!(
        view.contains("error budget: unknown, no event in the window"),
        "{view}"
    );
    assert!(!view.contains("100.0% remaining"), "{view}");
    assert!(view.contains("burn rates: 5m -  30m -"), "{view}");

    // policy can make no data fail, with `no_data` or with `stale`
    for fail_on in ["no_data", "stale"] {
        let p = Project::new(&format!(
            "[policy]\nslo_fail_on = [\"page\", \"{fail_on}\"]\n{TYPO_SLO}"
        ));
        p.write("events.jsonl", &minute_events(AT, 3 * 1440, |_| 0));
        let (code, view) = status(&p, "text", AT);
        assert_eq!(code, Some(1), "{fail_on}: {view}");
        assert!(view.contains("[BLOCKING]"), "{view}");
    }

    // spelt right, the same events are judged and pass
    let p = Project::new(&format!(
        "[policy]\nslo_fail_on = [\"no_data\"]\n{}",
        TYPO_SLO.replace("apii", "api")
    ));
    p.write("events.jsonl", &minute_events(AT, 3 * 1440, |_| 0));
    let (code, v) = json(&p, AT);
    assert_eq!(code, Some(0));
    assert_eq!(v["slos"][0]["state"], "ok");
}

#[test]
fn events_that_stopped_go_stale_with_at() {
    // Three days of events up to 12:00 (the last one at 11:59), 1 % bad
    // against 99.9 %: burn 10 wherever there are events.
    let config = "[policy]\nslo_fail_on = [\"stale\"]\n[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n";
    let p = Project::new(config);
    p.write("events.jsonl", &minute_events(AT, 3 * 1440, |_| 10));

    // 12:05: six minutes since the last event, within 10m
    let (code, v) = json(&p, "2026-11-23T12:05:00Z");
    let s = &v["slos"][0];
    assert_eq!(s["last_event"], "2026-11-23T11:59:00Z");
    assert_eq!(
        (&s["stale"], &s["state"]),
        (&Value::from(false), &Value::from("ok"))
    );
    // the 5m window [12:00, 12:05) holds nothing: unknown, not 0
    assert_eq!(s["burn_rates"]["5m"], Value::Null);
    let burn_30m = s["burn_rates"]["30m"].as_f64().expect("30m known");
    assert!((burn_30m - 10.0).abs() < 1e-9, "{burn_30m}");
    assert_eq!(code, Some(0));

    // 12:10: eleven minutes: stale, and policy blocks on it
    let (code, v) = json(&p, "2026-11-23T12:10:00Z");
    let s = &v["slos"][0];
    assert_eq!(
        (&s["stale"], &s["state"]),
        (&Value::from(true), &Value::from("stale"))
    );
    assert_eq!(code, Some(1));
    let (_, view) = status(&p, "text", "2026-11-23T12:10:00Z");
    assert!(
        view.contains("last event 2026-11-23T11:59:00Z, 11m ago: STALE (stale after 10m)"),
        "{view}"
    );

    // the SLO's own stale_after (1h) outranks the policy's default
    let p = Project::new(&config.replace(
        "window = \"30d\"\n",
        "window = \"30d\"\nstale_after = \"1h\"\n",
    ));
    p.write("events.jsonl", &minute_events(AT, 3 * 1440, |_| 10));
    let (code, v) = json(&p, "2026-11-23T12:10:00Z");
    assert_eq!(v["slos"][0]["stale"], false);
    assert_eq!(v["slos"][0]["stale_after"], "1h");
    assert_eq!(code, Some(0));
}

#[test]
fn unknown_burn_rates_fire_no_alert() {
    // A ticket row whose short window is empty cannot fire, however high
    // its long window burns: 100 % bad from 10:00 to 11:00, nothing since.
    // The 1d/2h row: long 60 × 1,000 bad of 60,000 over 1d is burn 1,000
    // (above 3), short 2h is [10:00, 12:00): known. The 3d/6h row likewise.
    // The 1h/5m page row: 1h [11:00, 12:00) empty: unknown, quiet.
    let p = Project::new(
        "[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n",
    );
    // the 60 minutes before 11:00
    p.write(
        "events.jsonl",
        &minute_events("2026-11-23T11:00:00Z", 60, |_| 1000),
    );
    let (_, v) = json(&p, AT);
    let s = &v["slos"][0];
    let page = &s["alerts"][0];
    assert_eq!(page["long_window"], "1h");
    assert_eq!(page["long_burn_rate"], Value::Null);
    assert_eq!(page["short_burn_rate"], Value::Null);
    assert_eq!(page["firing"], false);
    let ticket = &s["alerts"][2];
    assert_eq!(ticket["long_window"], "1d");
    assert!(near(&ticket["long_burn_rate"], 1000.0), "{ticket}");
    assert!(near(&ticket["short_burn_rate"], 1000.0), "{ticket}");
    assert_eq!(ticket["firing"], true);
    assert_eq!(s["burn_rates"]["1h"], Value::Null);
    assert!(near(&s["burn_rates"]["2h"], 1000.0));
    let (_, view) = status(&p, "text", AT);
    assert!(
        view.contains("page    1h/5m  above 14.40  long - short -  quiet"),
        "{view}"
    );
}
