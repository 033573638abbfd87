//! `sloe slo status --prometheus URL` against a real Prometheus (Debian's
//! `prometheus` package), backfilled with the same traffic that
//! `--events FILE` reads: both give the same SLI, burn rates, budget
//! remaining and alerts. (Event counts differ: Prometheus's `increase`
//! extrapolates to the window's edges; every ratio is unaffected.)
//! Skipped only when `SLOE_SKIP` names `prometheus`.

use serde_json::Value;
use sloe_promql::testing::TestServer;

mod common;

/// Four days, one sample a minute: 1,000 requests a minute, 5 of them bad,
/// and 100 bad a minute in the last 30 minutes.
const MINUTES: i64 = 4 * 1440;

fn bad(m: i64) -> i64 {
    if m >= MINUTES - 30 { 100 } else { 5 }
}

#[test]
fn prometheus_and_events_agree() {
    let end: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().expect("time");
    let start = end.as_second() - 60 * MINUTES;
    let mut om = String::from("# TYPE http_requests counter\n");
    let mut events = String::new();
    let (mut ok, mut err) = (0i64, 0i64);
    // Sample m holds the events of minute m − 1 (the bucket [t − 1 min, t)).
    om.push_str(&format!("http_requests_total{{code=\"200\"}} 0 {start}\n"));
    om.push_str(&format!("http_requests_total{{code=\"500\"}} 0 {start}\n"));
    for m in 0..MINUTES {
        let b = bad(m);
        ok += 1000 - b;
        err += b;
        let t = start + 60 * (m + 1);
        om.push_str(&format!("http_requests_total{{code=\"200\"}} {ok} {t}\n"));
        om.push_str(&format!("http_requests_total{{code=\"500\"}} {err} {t}\n"));
        let ts = jiff::Timestamp::from_second(start + 60 * m).expect("time");
        events.push_str(&format!(
            "{{\"stream\":\"api\",\"ts\":\"{ts}\",\"good\":{},\"total\":1000}}\n",
            1000 - b
        ));
    }
    om.push_str("# EOF\n");
    let Some(server) = TestServer::start(&om) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("events.jsonl"), events).expect("write events");
    let slo = |sli: &str| {
        format!("[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = {sli}\n")
    };
    std::fs::write(dir.path().join("events.toml"), slo("{ events = \"api\" }")).expect("write");
    std::fs::write(
        dir.path().join("prom.toml"),
        slo("{ prometheus = { bad = \"sum(increase(http_requests_total{code=\\\"500\\\"}[{{window}}]))\", total = \"sum(increase(http_requests_total[{{window}}]))\" } }"),
    )
    .expect("write");
    let status = |config: &str, extra: &[&str]| -> Value {
        let out = common::sloe_in(dir.path())
            .args(["--config", config, "slo", "status", "--format", "json"])
            .args(["--at", "2026-11-23T12:00:00Z"])
            .args(extra)
            .output()
            .expect("run sloe");
        assert!(
            out.status.code() != Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let from_events = status("events.toml", &["--events", "events.jsonl"]);
    let from_prom = status("prom.toml", &["--prometheus", server.base()]);
    let (e, p) = (&from_events["slos"][0], &from_prom["slos"][0]);
    let near = |a: &Value, b: &Value, what: &str| {
        let (a, b) = (a.as_f64().expect(what), b.as_f64().expect(what));
        assert!(
            (a - b).abs() <= 1e-3 * a.abs().max(1.0),
            "{what}: events {a}, prometheus {b}"
        );
    };
    near(&e["sli"], &p["sli"], "sli");
    // Prometheus answers counts, not event times: the last event is
    // unknown there, yet the empty (or not) stale_after window tells staleness.
    assert_eq!(e["last_event"], "2026-11-23T11:59:00Z");
    assert_eq!(p["last_event"], Value::Null);
    for s in [e, p] {
        assert_eq!(
            (&s["state"], &s["stale"]),
            (&Value::from("ok"), &Value::from(false))
        );
    }
    near(
        &e["error_budget"]["remaining"],
        &p["error_budget"]["remaining"],
        "remaining",
    );
    for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"] {
        near(&e["burn_rates"][w], &p["burn_rates"][w], w);
    }
    // 100 bad of 1,000 over the last 30 minutes: burn 100 over 5m and 30m,
    // (30 × 100 + 30 × 5) / 60,000 / 0.001 = 52.5 over 1h: both page.
    near(&e["burn_rates"]["1h"], &Value::from(52.5), "1h burn");
    let firing = |s: &Value| -> Vec<bool> {
        s["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| a["firing"].as_bool().unwrap_or(false))
            .collect()
    };
    assert_eq!(firing(e), firing(p));
    assert!(firing(e)[0], "the page fires");

    // Timeslices of 5 minutes, good at 99 %: the 8,640 slices of 30 days
    // are known in advance (budget 0.001 × 8,640 = 8.64 slices); the
    // 5-bad-per-1,000 slices are good, the last 30 minutes' 6 slices (100
    // per 1,000) bad, the slices before the traffic began good (empty):
    // SLI 8,634 / 8,640, remaining 1 − 6 / 8.64. Prometheus gives every
    // slice by range queries.
    let timeslices = |sli: &str| {
        format!(
            "{}budgeting = \"timeslices\"\ntimeslice = \"5m\"\ntimeslice_target = \"99%\"\n",
            slo(sli)
        )
    };
    std::fs::write(
        dir.path().join("events-ts.toml"),
        timeslices("{ events = \"api\" }"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("prom-ts.toml"),
        timeslices("{ prometheus = { bad = \"sum(increase(http_requests_total{code=\\\"500\\\"}[{{window}}]))\", total = \"sum(increase(http_requests_total[{{window}}]))\" } }"),
    )
    .expect("write");
    let from_events = status("events-ts.toml", &["--events", "events.jsonl"]);
    let from_prom = status("prom-ts.toml", &["--prometheus", server.base()]);
    let (e, p) = (&from_events["slos"][0], &from_prom["slos"][0]);
    assert_eq!(p["budgeting"], "timeslices", "{from_prom}");
    near(&e["sli"], &Value::from(8634.0 / 8640.0), "timeslice sli");
    near(&e["sli"], &p["sli"], "timeslice sli");
    near(
        &e["error_budget"]["remaining"],
        &Value::from(1.0 - 6.0 / 8.64),
        "timeslice remaining",
    );
    near(
        &e["error_budget"]["remaining"],
        &p["error_budget"]["remaining"],
        "timeslice remaining",
    );

    // OpenSLO AlertConditions on the same series, judged by `--prometheus`.
    // Over 1h the burn is 52.5: `gt 52` fires, `gt 53` does not.
    // Over 5m the burn is 100 while the window lies inside the last 30
    // bad minutes. `gte 99` held for 25m: the 5m window ending 25 minutes
    // ago is still all bad: fires. Held for 28m: 28 minutes ago the window
    // reached back into the good minutes (3 of 5 bad, burn 62): quiet.
    let condition = |name: &str,
                     severity: &str,
                     op: &str,
                     threshold: f64,
                     lookback: &str,
                     after: &str| {
        let after = if after.is_empty() {
            String::new()
        } else {
            format!("\n                alertAfter: {after}")
        };
        format!(
            "          - kind: AlertCondition\n            metadata:\n              name: {name}\n            spec:\n              severity: {severity}\n              condition:\n                kind: burnrate\n                op: {op}\n                threshold: {threshold}\n                lookbackWindow: {lookback}{after}\n"
        )
    };
    let openslo = format!(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: api\nspec:\n  service: api\n  indicator:\n    metadata:\n      name: api-errors\n    spec:\n      ratioMetric:\n        counter: true\n        bad:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: 'sum(increase(http_requests_total{{code=\"500\"}}[{{{{window}}}}]))'\n        total:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: 'sum(increase(http_requests_total[{{{{window}}}}]))'\n  timeWindow:\n    - duration: 30d\n      isRolling: true\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n  alertPolicies:\n    - kind: AlertPolicy\n      metadata:\n        name: api-policy\n      spec:\n        conditions:\n{}{}{}{}",
        condition("above", "critical", "gt", 52.0, "1h", ""),
        condition("below", "page", "gt", 53.0, "1h", ""),
        condition("held-25m", "ticket", "gte", 99.0, "5m", "25m"),
        condition("held-28m", "ticket", "gte", 99.0, "5m", "28m"),
    );
    std::fs::write(dir.path().join("openslo.yaml"), openslo).expect("write");
    let v = status(
        "events.toml",
        &["openslo.yaml", "--prometheus", server.base()],
    );
    let rows: Vec<(String, bool, bool)> = v["slos"][0]["conditions"]
        .as_array()
        .unwrap_or_else(|| panic!("conditions in {v}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                c["page"].as_bool().expect("page"),
                c["firing"].as_bool().expect("firing"),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("above".to_owned(), true, true),
            ("below".to_owned(), true, false),
            ("held-25m".to_owned(), false, true),
            ("held-28m".to_owned(), false, false),
        ],
        "{v}"
    );
    let c = &v["slos"][0]["conditions"][0];
    near(&c["burn_rate"], &Value::from(52.5), "condition burn");
    assert_eq!(c["lookback_window"], "1h");
    assert_eq!(v["slos"][0]["conditions"][2]["alert_after"], "25m");
    // The terminal view lists them too. (Exit 1: the page rows fire as well;
    // a page condition alone paging is tested in the core.)
    let out = common::sloe_in(dir.path())
        .args(["--config", "events.toml", "slo", "status", "openslo.yaml"])
        .args([
            "--at",
            "2026-11-23T12:00:00Z",
            "--prometheus",
            server.base(),
        ])
        .output()
        .expect("run sloe");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("condition above [critical, pages]  1h burn ")
            && text.contains("fires when gt 52  FIRING"),
        "{text}"
    );
    assert!(
        text.contains("condition held-28m [ticket]  5m burn ")
            && text.contains("fires when gte 99 for 28m  quiet"),
        "{text}"
    );
}
