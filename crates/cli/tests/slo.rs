//! `sloe slo ...` end to end: every file under `crates/core/tests/fixtures/slo` is
//! read by the real binary; the bad ones are rejected with a message that
//! names the file, the line and the field.

use std::path::{Path, PathBuf};

mod common;

use common::{junit_xml, sloe};

fn fixtures() -> PathBuf {
    common::slo_fixture("")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// What `sloe slo validate` must make of a fixture.
enum Expect {
    /// Read: this many SLOs (and no error).
    Slos(usize),
    /// Read, holding no SLO (alert windows, services, SLIs, policies ...).
    NoSlo(&'static str),
    /// Rejected, exit 2, with these fragments in the message (line included).
    Rejected(&'static [&'static str]),
    /// Not a spec sloe reads; why.
    NotASpec(&'static str),
}

fn expectation(rel: &str) -> Expect {
    use Expect::*;
    match rel {
        "SOURCES.md" => NotASpec("attribution"),
        "OpenSLO/examples/budgeting-method/occurences-slo.yaml" => Slos(1),
        "OpenSLO/examples/budgeting-method/ratio-timeslices.yaml" => Slos(1),
        // `duration: 1m` with isRolling false: a one-minute calendar window,
        // which the comment calls a month. OpenSLO's month is `1M`.
        "OpenSLO/examples/budgeting-method/timeslices-slo.yaml" => Rejected(&[
            "timeslices-slo.yaml:27:",
            "timeWindow[0].duration",
            "calendar window of 1m is one minute",
            "1M",
        ]),
        "go-sdk/pkg/openslo/v1/examples/alert_conditions.yaml" => {
            NoSlo("AlertCondition cpu-usage-breach")
        }
        "go-sdk/pkg/openslo/v1/examples/alert_notification_targets.yaml" => {
            NoSlo("AlertNotificationTarget pd-on-call-notification (pagerduty)")
        }
        "go-sdk/pkg/openslo/v1/examples/alert_policies.yaml" => NoSlo("AlertPolicy high-priority"),
        "go-sdk/pkg/openslo/v1/examples/data_sources.yaml" => NoSlo("DataSource datadog (Datadog)"),
        "go-sdk/pkg/openslo/v1/examples/services.yaml" => NoSlo("Service example-service"),
        "go-sdk/pkg/openslo/v1/examples/slis.yaml" => NoSlo("SLI wifi-client-satisfaction"),
        "go-sdk/pkg/openslo/v1/examples/slos.yaml" => Slos(1),
        "go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo.yaml" => Slos(2),
        "go-sdk/pkg/openslosdk/test_data/inline/outputs/v1_slo.yaml" => Slos(2),
        "pyrra/examples/caddy-response-latency.yaml"
        | "pyrra/examples/prometheus-probe-success.yaml"
        | "pyrra/examples/pyrra-connect-errors.yaml"
        | "pyrra/examples/pyrra-connect-latency.yaml" => {
            // Pyrra's CRD is its own format, not asked for; sloe says so.
            Rejected(&[":1:", "Pyrra's ServiceLevelObjective is not supported"])
        }
        "slo-generator/samples/prometheus/slo_prom_metrics_availability_ratio.yaml" => {
            // slo-generator's SLO format is not asked for either.
            Rejected(&[":1:", "google/slo-generator specs are not supported"])
        }
        "sloth/examples/_gen/getting-started.yml"
        | "sloth/examples/_gen/kubernetes-apiserver.yml" => {
            NotASpec("Sloth's generated rules: compared with `sloe slo rules` in the rules tests")
        }
        "sloth/test/integration/prometheus/testdata/out-base-28d.yaml.tpl"
        | "sloth/test/integration/prometheus/testdata/out-base-custom-windows-7d.yaml.tpl"
        | "sloth/test/integration/prometheus/testdata/out-base.yaml.tpl" => {
            NotASpec("Sloth's golden rules: compared with `sloe slo rules` in the rules tests")
        }
        "sloth/examples/getting-started.yml" => Slos(1),
        "sloth/examples/k8s-getting-started.yml" => Slos(1),
        "sloth/examples/kubernetes-apiserver.yml" => Slos(2),
        // Sloth also reads the old OpenSLO v1alpha; sloe reads v1 only.
        "sloth/examples/openslo-getting-started.yml" => {
            Rejected(&[":6:", "only OpenSLO v1 is supported", "openslo/v1alpha"])
        }
        "sloth/examples/plugin-getting-started.yml" => Slos(1),
        "sloth/examples/raw-home-wifi.yml" => Slos(1),
        "sloth/examples/slo-plugin-getting-started.yml" => Slos(1),
        "sloth/examples/windows/custom-30d.yaml" => {
            NoSlo("alert windows for a 30-day period (4 rows)")
        }
        "sloth/internal/alert/windows/google-28d.yaml" => {
            NoSlo("alert windows for a 28-day period")
        }
        "sloth/internal/alert/windows/google-30d.yaml" => {
            NoSlo("alert windows for a 30-day period")
        }
        "sloth/test/integration/prometheus/windows/7d.yaml" => {
            NoSlo("alert windows for a 7-day period")
        }
        "sloth/test/integration/prometheus/testdata/in-base.yaml" => Slos(2),
        "sloth/test/integration/prometheus/testdata/in-invalid-version.yaml" => Rejected(&[
            "in-invalid-version.yaml:1:",
            "field `version`",
            "unknown spec version \"prometheus/v999\"",
        ]),
        "sloth/test/integration/prometheus/testdata/validate/bad/bad-aa.yaml" => Rejected(&[
            "bad-aa.yaml:28:",
            "field `slos[1].objective`",
            "objective 101% must be below 100%",
        ]),
        "sloth/test/integration/prometheus/testdata/validate/bad/bad-multi.yaml" => Rejected(&[
            "bad-multi.yaml:77:",
            "field `slos[1].sli`",
            "the SLI is empty",
        ]),
        "sloe/openslo/inline/checkout.yaml" | "sloe/openslo/multi-doc/checkout.yaml" => Slos(1),
        // Its references live in the files beside it; alone, each is unresolved.
        "sloe/openslo/cross-file/slos.yaml" => Rejected(&[
            "slos.yaml:12:",
            "field `SLO checkout-availability: spec.indicatorRef`",
            "indicatorRef \"checkout-errors\" names no SLI",
            "alertPolicyRef \"checkout-paging\" names no AlertPolicy",
        ]),
        "sloe/openslo/cross-file/indicators.yaml" => NoSlo("SLI checkout-errors"),
        "sloe/openslo/cross-file/alerting.yaml" => NoSlo("AlertPolicy checkout-paging"),
        "sloe/openslo/composite/checkout-journey.yaml" => Slos(1),
        other => panic!("new fixture {other}: say what sloe makes of it"),
    }
}

#[test]
fn every_slo_fixture_is_read_or_rejected_with_a_reason() {
    let root = fixtures();
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(
        files.len() >= 38,
        "fixtures missing under {}",
        root.display()
    );
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let expect = expectation(&rel);
        if let Expect::NotASpec(why) = expect {
            assert!(!why.is_empty(), "{rel}: say why it is skipped");
            continue;
        }
        let out = sloe()
            .args(["slo", "validate"])
            .arg(&file)
            .output()
            .expect("run sloe");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match expect {
            Expect::Slos(n) => {
                assert!(out.status.success(), "{rel}: {stderr}");
                let summary = format!("{n} SLO{} read from 1 file", if n == 1 { "" } else { "s" });
                assert!(stdout.contains(&summary), "{rel}: {stdout}");
            }
            Expect::NoSlo(what) => {
                assert!(out.status.success(), "{rel}: {stderr}");
                assert!(stdout.contains("0 SLOs read"), "{rel}: {stdout}");
                assert!(stdout.contains(what), "{rel}: {stdout}");
            }
            Expect::Rejected(fragments) => {
                assert_eq!(out.status.code(), Some(2), "{rel}: {stdout}");
                for f in fragments {
                    assert!(stderr.contains(f), "{rel}: {f:?} not in {stderr}");
                }
                assert!(stderr.contains(&rel), "{rel}: {stderr}");
            }
            Expect::NotASpec(_) => {}
        }
    }
}

#[test]
fn a_folder_is_read_whole_and_every_error_is_reported() {
    let out = sloe()
        .args(["slo", "validate"])
        .arg(fixtures().join("sloth/test/integration/prometheus/testdata"))
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // in-base (2) and bad-multi's good document (2) are read; three errors.
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 SLOs read from 4 files"));
    assert!(stderr.contains("prometheus/v999"), "{stderr}");
    assert!(stderr.contains("objective 101%"), "{stderr}");
    assert!(stderr.contains("the SLI is empty"), "{stderr}");
    assert!(stderr.contains("3 errors"), "{stderr}");
}

/// `sloe slo validate` on a `sloe.toml` holding `toml`: exit 2; its stderr.
fn rejected_toml(toml: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sloe.toml");
    std::fs::write(&file, toml).expect("write");
    let out = sloe()
        .args(["slo", "validate"])
        .arg(&file)
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr
}

#[test]
fn toml_slo_tables_are_validated_with_their_line() {
    let stderr = rejected_toml(
        "[[slo]]\nname = \"api-availability\"\nservice = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n\n[[slo]]\nname = \"api-latency\"\nobjective = \"100%\"\nwindow = \"month\"\nsli = { events = \"api\", threshold = \"300ms\" }\n",
    );
    assert!(stderr.contains("sloe.toml:8"), "{stderr}");
    assert!(
        stderr.contains("objective 100% must be below 100%"),
        "{stderr}"
    );

    let stderr = rejected_toml(
        "[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nsli = { event = \"api\" }\n",
    );
    assert!(stderr.contains("sloe.toml:4"), "{stderr}");
    assert!(stderr.contains("did you mean `events`"), "{stderr}");
}

/// Minute aggregates of stream `api` for `minutes` minutes before
/// 2026-11-23T12:00:00Z, `bad(m)` failed of 1,000 in minute m (0 = oldest).
fn events_file(dir: &Path, minutes: i64, bad: impl Fn(i64) -> u64) -> PathBuf {
    let path = dir.join("events.jsonl");
    std::fs::write(
        &path,
        common::minute_events("2026-11-23T12:00:00Z", minutes, bad),
    )
    .expect("write events");
    path
}

const API_SLO: &str = "[[slo]]\nname = \"api-availability\"\nservice = \"api\"\nobjective = \"99%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n";

fn status(dir: &Path, events: &Path) -> std::process::Output {
    sloe()
        .current_dir(dir)
        .args([
            "slo",
            "status",
            "--format",
            "json",
            "--at",
            "2026-11-23T12:00:00Z",
            "--events",
        ])
        .arg(events)
        .output()
        .expect("run sloe")
}

#[test]
fn status_json_has_the_design_fields_and_exits_1_on_a_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sloe.toml"), API_SLO).expect("write config");
    // Three days at 1,000 a minute; the last 10 minutes 200 bad a minute.
    // 99 %: burn 20 over 5m and 200 × 10 / 60,000 / 0.01 = 3.33 over 1h: no page.
    let events = events_file(dir.path(), 3 * 1440, |m| {
        if m >= 3 * 1440 - 10 { 200 } else { 0 }
    });
    let out = status(dir.path(), &events);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["schema"], "sloe.slo-status/v1");
    assert_eq!(v["at"], "2026-11-23T12:00:00Z");
    let s = &v["slos"][0];
    assert_eq!(s["name"], "api-availability");
    assert_eq!(s["window"], "30d");
    assert_eq!(s["events"]["total"], 4_320_000);
    assert_eq!(s["events"]["good"], 4_318_000);
    // budget 0.01 × 4,320,000 = 43,200; consumed 2,000; remaining 1 − 2,000/43,200
    assert_eq!(s["error_budget"]["consumed"], 2000.0);
    let remaining = s["error_budget"]["remaining"].as_f64().expect("remaining");
    assert!((remaining - (1.0 - 2000.0 / 43_200.0)).abs() < 1e-9);
    let burn: Vec<&String> = s["burn_rates"].as_object().expect("map").keys().collect();
    assert_eq!(burn.len(), 8);
    assert!((s["burn_rates"]["5m"].as_f64().expect("5m") - 20.0).abs() < 1e-9);
    assert_eq!(s["alerts"][0]["severity"], "page");
    assert_eq!(s["alerts"][0]["long_window"], "1h");
    assert_eq!(s["alerts"][0]["short_window"], "5m");
    assert_eq!(s["alerts"][0]["burn_rate"], 14.4);
    assert_eq!(s["alerts"][0]["firing"], false);
    assert!(s["forecast"].get("exhausted_at").is_some());
    assert!(
        s["forecast"]
            .get("probability_exhausted_by_window_end")
            .is_some()
    );

    // The last hour at 150 bad a minute: burn 15 over 1h and 5m → page, exit 1.
    let events = events_file(dir.path(), 3 * 1440, |m| {
        if m >= 3 * 1440 - 60 { 150 } else { 0 }
    });
    let out = status(dir.path(), &events);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["slos"][0]["alerts"][0]["firing"], true);

    // The same with a policy that blocks on nothing: exit 0.
    std::fs::write(
        dir.path().join("sloe.toml"),
        format!("[policy]\nslo_fail_on = []\n\n{API_SLO}"),
    )
    .expect("write config");
    assert_eq!(status(dir.path(), &events).status.code(), Some(0));
}

#[test]
fn status_exits_2_on_bad_events_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sloe.toml"), API_SLO).expect("write config");
    let events = dir.path().join("bad.jsonl");
    std::fs::write(
        &events,
        "{\"stream\":\"api\",\"ts\":\"2026-11-23T11:00:00Z\",\"good\":1,\"total\":1}\n{\"stream\":\"api\",\"ts\":\"yesterday\",\"good\":1,\"total\":1}\n",
    )
    .expect("write");
    let out = status(dir.path(), &events);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.jsonl") && stderr.contains('2'),
        "{stderr}"
    );
    assert!(stderr.starts_with("error: failed to"), "{stderr}");
}

#[test]
fn status_terminal_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sloe.toml"), API_SLO).expect("write config");
    let events = events_file(dir.path(), 120, |_| 0);
    let out = sloe()
        .current_dir(dir.path())
        .args(["slo", "status", "--at", "2026-11-23T12:00:00Z", "--events"])
        .arg(&events)
        .output()
        .expect("run sloe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("api-availability  [ok]"), "{stdout}");
    assert!(stdout.contains("100.0% remaining"), "{stdout}");
    assert!(stdout.contains("page    1h/5m  above 14.40"), "{stdout}");
}

#[test]
fn status_reads_events_recorded_with_slo_ingest() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sloe.toml"), API_SLO).expect("write config");
    // two hours, the last 10 minutes at 200 bad of 1,000 (burn 20 over 5m)
    let events = events_file(dir.path(), 120, |m| if m >= 110 { 200 } else { 0 });
    let out = sloe()
        .current_dir(dir.path())
        .args(["slo", "ingest"])
        .arg(&events)
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sloe()
        .current_dir(dir.path())
        .args([
            "slo",
            "status",
            "--format",
            "json",
            "--at",
            "2026-11-23T12:00:00Z",
        ])
        .output()
        .expect("run sloe");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = &v["slos"][0];
    assert_eq!(s["events"]["total"], 120_000, "{v}");
    assert_eq!(s["events"]["good"], 118_000, "{v}");
    // budget 0.01 × 120,000 = 1,200; consumed 2,000: exhausted → exit 1
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn status_of_a_ci_objective_from_the_run_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("sloe.toml"),
        "[[slo]]\nname = \"builds-under-20s\"\nobjective = \"80%\"\nwindow = \"30d\"\nsli = { history = { benchmark = \"build:*\", measure = \"wall_time\", threshold = \"20s\" } }\n",
    )
    .expect("write config");
    // ten builds on ten days; two of them over 20 s → SLI 0.8, budget 0.2 × 10 = 2, all spent
    for day in 0..10 {
        let seconds = if day % 5 == 0 { 25.0 } else { 15.0 };
        let doc = serde_json::json!({
            "context": {"branch": "main", "commit": format!("c{day}"), "testbed": "tb",
                        "timestamp": format!("2026-11-{:02}T10:00:00Z", 10 + day)},
            "results": [{"benchmark": "build:full", "measure": "wall_time", "unit": "s", "values": [seconds]}]
        });
        let file = dir.path().join(format!("run{day}.json"));
        std::fs::write(&file, doc.to_string()).expect("write run");
        let out = sloe()
            .current_dir(dir.path())
            .arg("ingest")
            .arg(&file)
            .output()
            .expect("run sloe");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = sloe()
        .current_dir(dir.path())
        .args([
            "slo",
            "status",
            "--format",
            "json",
            "--at",
            "2026-11-23T12:00:00Z",
        ])
        .output()
        .expect("run sloe");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = &v["slos"][0];
    assert_eq!(s["events"]["total"], 10, "{v}");
    assert_eq!(s["events"]["good"], 8, "{v}");
    let remaining = s["error_budget"]["remaining"].as_f64().expect("remaining");
    assert!(remaining.abs() < 1e-9, "{v}");
    assert_eq!(out.status.code(), Some(1), "{v}");
}

/// `n` test cases named t0.., all with `outcome`.
fn cases(n: usize, outcome: &'static str) -> Vec<(String, &'static str)> {
    (0..n).map(|i| (format!("{outcome}{i}"), outcome)).collect()
}

fn ingest_junit(dir: &Path, name: &str, xml: &str, timestamp: &str) {
    let file = dir.join(name);
    std::fs::write(&file, xml).expect("write junit");
    ingest_file(dir, &file, timestamp);
}

fn ingest_file(dir: &Path, file: &Path, timestamp: &str) {
    let out = sloe()
        .current_dir(dir)
        .args(["ingest", "--timestamp", timestamp])
        .arg(file)
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const JUNIT_SLOS: &str = "[[slo]]\nname = \"tests-pass\"\nobjective = \"90%\"\nwindow = \"30d\"\nsli = { junit = { suite = \"*\", rate = \"pass\" } }\n\n[[slo]]\nname = \"app-not-flaky\"\nobjective = \"95%\"\nwindow = \"30d\"\nsli = { junit = { suite = \"app\", rate = \"not_flaky\" } }\n";

fn status_at_noon(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let out = sloe()
        .current_dir(dir)
        .args([
            "slo",
            "status",
            "--format",
            "json",
            "--at",
            "2026-11-23T12:00:00Z",
        ])
        .output()
        .expect("run sloe");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code(), v)
}

#[test]
fn status_of_junit_pass_and_flaky_rates_from_ingested_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("sloe.toml"), JUNIT_SLOS).expect("write config");
    let suite = |parts: &[Vec<(String, &'static str)>]| {
        let all: Vec<(&str, &str)> = parts
            .iter()
            .flatten()
            .map(|(n, o)| (n.as_str(), *o))
            .collect();
        junit_xml("app", &all)
    };
    // Run A: 10 cases, 1 failed → ran 10, passed 9, none flaky.
    let a = suite(&[cases(9, "pass"), cases(1, "fail")]);
    ingest_junit(d, "a.xml", &a, "2026-11-20T10:00:00Z");
    // Run B: 10 cases, 1 skipped, 1 flaky → ran 9, passed 9, 8 not flaky.
    let b = suite(&[cases(8, "pass"), cases(1, "skip"), cases(1, "flaky")]);
    ingest_junit(d, "b.xml", &b, "2026-11-21T10:00:00Z");
    // Run C: 10 cases, all passed.
    ingest_junit(
        d,
        "c.xml",
        &suite(&[cases(10, "pass")]),
        "2026-11-22T10:00:00Z",
    );
    // A real surefire report (suite action.surefire.report.calc.StringUtilsTest):
    // 5 cases, 2 failed, 1 skipped → ran 4, passed 2.
    let surefire = common::format_fixture("junit/maven_surefire_StringUtilsTest.xml");
    ingest_file(d, &surefire, "2026-11-22T11:00:00Z");

    let (code, v) = status_at_noon(d);
    let pass = &v["slos"][0];
    assert_eq!(pass["name"], "tests-pass", "{v}");
    // Every suite: ran 10 + 9 + 10 + 4 = 33, passed 9 + 9 + 10 + 2 = 30.
    // SLI 30/33 = 0.90909; budget 0.1 × 33 = 3.3 bad, consumed 3,
    // remaining 1 − 3/3.3 = 0.0909.
    assert_eq!(pass["events"]["total"], 33, "{v}");
    assert_eq!(pass["events"]["good"], 30, "{v}");
    let sli = pass["sli"].as_f64().expect("sli");
    assert!((sli - 30.0 / 33.0).abs() < 1e-9, "{v}");
    let total = pass["error_budget"]["total"].as_f64().expect("total");
    assert!((total - 3.3).abs() < 1e-9, "{v}");
    assert_eq!(pass["error_budget"]["consumed"], 3.0, "{v}");
    let remaining = pass["error_budget"]["remaining"]
        .as_f64()
        .expect("remaining");
    assert!((remaining - (1.0 - 3.0 / 3.3)).abs() < 1e-9, "{v}");
    // Suite app only: ran 10 + 9 + 10 = 29, one flaky → 28 good; budget
    // 0.05 × 29 = 1.45, consumed 1, remaining 1 − 1/1.45 = 0.3103.
    let flaky = &v["slos"][1];
    assert_eq!(flaky["name"], "app-not-flaky", "{v}");
    assert_eq!(flaky["events"]["total"], 29, "{v}");
    assert_eq!(flaky["events"]["good"], 28, "{v}");
    let remaining = flaky["error_budget"]["remaining"]
        .as_f64()
        .expect("remaining");
    assert!((remaining - (1.0 - 1.0 / 1.45)).abs() < 1e-9, "{v}");
    // No budget spent and the runs are hours old (no page): exit 0.
    assert_eq!(code, Some(0), "{v}");

    // Run D: 10 cases, 3 failed. Pass rate: 37 of 43; budget 4.3, consumed 6:
    // exhausted → exit 1.
    let d_run = suite(&[cases(7, "pass"), cases(3, "fail")]);
    ingest_junit(d, "d.xml", &d_run, "2026-11-22T12:00:00Z");
    let (code, v) = status_at_noon(d);
    let pass = &v["slos"][0];
    assert_eq!(pass["events"]["total"], 43, "{v}");
    assert_eq!(pass["events"]["good"], 37, "{v}");
    let remaining = pass["error_budget"]["remaining"]
        .as_f64()
        .expect("remaining");
    assert!((remaining - (1.0 - 6.0 / 4.3)).abs() < 1e-9, "{v}");
    assert_eq!(code, Some(1), "{v}");

    // validate reads them; rules skips them with a note.
    let out = sloe()
        .current_dir(d)
        .args(["slo", "validate", "sloe.toml"])
        .output()
        .expect("run sloe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("junit suites \"app\" not_flaky rate"),
        "{stdout}"
    );
    assert!(stdout.contains("2 SLOs read"), "{stdout}");
    let out = sloe()
        .current_dir(d)
        .args(["slo", "rules"])
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: no rules for SLO tests-pass")
            && stderr.contains("sloe's run history"),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_junit_rate_is_rejected_with_line_and_field() {
    let stderr = rejected_toml(
        "[[slo]]\nname = \"tests\"\nobjective = \"99%\"\nsli = { junit = { rate = \"not_flakey\" } }\n",
    );
    assert!(stderr.contains("sloe.toml:4"), "{stderr}");
    assert!(stderr.contains("slo[0].sli.junit.rate"), "{stderr}");
    assert!(stderr.contains("did you mean `not_flaky`"), "{stderr}");
}
