//! Values reach people in units that suit their size: through the binary,
//! series recorded in units that read badly (`0.000000000667 s`,
//! `1777000 ns`, `0.0000242 s`) show in `sloe check`, its Markdown and
//! JUnit reports, `sloe history` and `sloe budget suggest` scaled.

use serde_json::Value;

mod common;
use common::Project;

const BUDGETS: &str = r#"
[[budget]]
benchmark = "parse-tiny"
max = "1.1s"

[[budget]]
benchmark = "transpile"
max = "2ms"
"#;

/// Words that must never reach a reader: the forms users saw.
const UNREADABLE: [&str; 2] = ["0.0000", "1777000"];

fn ingest(p: &Project, commit: &str) {
    let results = serde_json::json!([
        {"benchmark": "hash", "measure": "wall_time", "unit": "s", "values": [6.67e-10, 6.68e-10, 6.66e-10]},
        {"benchmark": "parse-tiny", "measure": "wall_time", "unit": "s", "values": [2.42e-5, 2.43e-5, 2.41e-5]},
        {"benchmark": "transpile", "measure": "wall_time", "unit": "ns", "values": [1_777_000.0, 1_778_000.0, 1_776_000.0]},
    ]);
    let doc = serde_json::json!({"context": {"branch": "main", "commit": commit, "testbed": "tb"}, "results": results});
    let file = p.write(&format!("run-{commit}.json"), &doc.to_string());
    let out = p.sloe().arg("ingest").arg(file).output().expect("run sloe");
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn readable(what: &str, text: &str) {
    for bad in UNREADABLE {
        assert!(!text.contains(bad), "{what} shows {bad}:\n{text}");
    }
}

#[test]
fn check_and_its_reports_scale_each_row() {
    let p = Project::new(BUDGETS);
    ingest(&p, "c1");
    let out = p
        .sloe()
        .args(["check", "--verbose"])
        .output()
        .expect("run sloe");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    readable("sloe check", &text);
    for shown in ["0.667 ns", "24.2 µs", "1.777 ms", "1.1 s"] {
        assert!(text.contains(shown), "no {shown} in:\n{text}");
    }
    let dir = p.path().join("out");
    let out = p
        .sloe()
        .args(["report", "--format", "md,junit,html", "--out"])
        .arg(&dir)
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(dir.join("sloe-report.md")).expect("markdown report");
    readable("the Markdown report", &md);
    assert!(md.contains("| 24.2 µs | 1.1 s |"), "{md}");
    let junit = std::fs::read_to_string(dir.join("sloe-report.junit.xml")).expect("junit report");
    readable("the JUnit report", &junit);
    assert!(
        junit.contains("1.777 ms is 88.8 % of budget 2 ms"),
        "{junit}"
    );
    // The dashboard charts the 24 µs series in µs (its data, one unit per chart).
    let html = std::fs::read_to_string(dir.join("sloe-report.html")).expect("dashboard");
    assert!(html.contains("\"u\":\"µs\""), "no chart in µs");
}

#[test]
fn history_and_suggested_budgets_scale_each_series() {
    let p = Project::new(BUDGETS);
    for i in 0..5 {
        ingest(&p, &format!("c{i}"));
    }
    let out = p.sloe().args(["history", "*"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    readable("sloe history", &text);
    assert!(
        text.contains("0.667 ns") && text.contains("24.2 µs"),
        "{text}"
    );
    // JSON keeps the recorded unit and full values, for machines.
    let out = p
        .sloe()
        .args(["history", "transpile", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v[0]["unit"], "ns");
    assert_eq!(v[0]["median"], 1_777_000.0);

    let out = p.sloe().args(["budget", "suggest"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    readable("sloe budget suggest", &text);
    assert!(
        text.contains("is 1.777 ms") || text.contains("is 1.778 ms"),
        "{text}"
    );
}
