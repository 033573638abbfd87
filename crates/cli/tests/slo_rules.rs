//! `sloe slo rules` against Sloth's golden outputs, and inside Prometheus's
//! own rule engine (`promtool check rules`, `promtool test rules`).
//!
//! The one intentional difference from Sloth: the period window's error
//! ratio (`slo:sli_error:ratio_rate30d`). Sloth averages the 5-minute
//! ratios over the period; sloe writes the SLI's own query over the whole
//! period, the ratio of the period's increases, which counts occurrences as
//! the error budget does. The comparison checks that difference explicitly.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_yaml_ng::Value;
use sloe_testkit::Need;

mod common;

use common::sloe;

fn sloth() -> PathBuf {
    common::slo_fixture("sloth")
}

fn rules(args: &[&str], inputs: &[PathBuf]) -> Value {
    let out = sloe()
        .args(["slo", "rules"])
        .args(args)
        .args(inputs)
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_yaml_ng::from_slice(&out.stdout).expect("rules are YAML")
}

/// Sloth's `.yaml.tpl` goldens are Go templates: undo the escaping.
fn golden(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("golden");
    let text = text
        .replace("{{ .version }}", "dev")
        .replace("{{\"{{", "{{")
        .replace("}}\"}}", "}}");
    serde_yaml_ng::from_str(&text).expect("golden is YAML")
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Labels without the ones that name the generator run.
fn labels(v: &Value, key: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .get(key)
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap_or_default().to_owned(),
                        v.as_str().unwrap_or_default().to_owned(),
                    )
                })
                .filter(|(k, _)| k != "sloth_version" && k != "cmd")
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Same groups, rules, labels and annotations; same expressions but for the
/// period window's error ratio, which must be the SLI over the period.
fn compare(ours: &Value, theirs: &Value, period: &str) {
    let groups = |v: &Value| v["groups"].as_sequence().cloned().expect("groups");
    let (og, tg) = (groups(ours), groups(theirs));
    let names = |g: &[Value]| -> Vec<String> {
        g.iter()
            .map(|g| str_of(g, "name").unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(names(&og), names(&tg));
    let period_record = format!("slo:sli_error:ratio_rate{period}");
    for (o, t) in og.iter().zip(&tg) {
        let (or, tr) = (
            o["rules"].as_sequence().expect("rules"),
            t["rules"].as_sequence().expect("rules"),
        );
        let ids = |r: &[Value]| -> Vec<String> {
            r.iter()
                .map(|r| {
                    str_of(r, "record")
                        .or(str_of(r, "alert"))
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        };
        assert_eq!(ids(or), ids(tr), "group {:?}", str_of(o, "name"));
        for (a, b) in or.iter().zip(tr) {
            let what = format!(
                "{:?} {:?}",
                str_of(o, "name"),
                str_of(a, "record").or(str_of(a, "alert"))
            );
            assert_eq!(labels(a, "labels"), labels(b, "labels"), "{what}");
            assert_eq!(labels(a, "annotations"), labels(b, "annotations"), "{what}");
            let (ea, eb) = (
                str_of(a, "expr").expect("expr"),
                str_of(b, "expr").expect("expr"),
            );
            if str_of(a, "record") == Some(period_record.as_str()) {
                // Sloth: the mean of 5-minute ratios; sloe: the ratio over the period.
                assert!(eb.contains("sum_over_time"), "{what}: {eb}");
                assert!(!ea.contains("sum_over_time"), "{what}: {ea}");
                assert!(ea.contains(&format!("[{period}]")), "{what}: {ea}");
                let short = str_of(&or[0], "expr").expect("5m expr");
                assert_eq!(
                    squeeze(ea),
                    squeeze(&short.replace("[5m]", &format!("[{period}]")))
                );
            } else {
                assert_eq!(squeeze(ea), squeeze(eb), "{what}");
            }
        }
    }
}

#[test]
fn same_rules_as_sloth_for_30_days() {
    let dir = sloth().join("test/integration/prometheus/testdata");
    let ours = rules(&[], &[dir.join("in-base.yaml")]);
    compare(&ours, &golden(&dir.join("out-base.yaml.tpl")), "30d");
}

#[test]
fn same_rules_as_sloth_for_28_days() {
    let dir = sloth().join("test/integration/prometheus/testdata");
    let ours = rules(&["--sloth-period", "28d"], &[dir.join("in-base.yaml")]);
    compare(&ours, &golden(&dir.join("out-base-28d.yaml.tpl")), "4w");
}

#[test]
fn same_rules_as_sloth_with_custom_7_day_windows() {
    let base = sloth().join("test/integration/prometheus");
    let ours = rules(
        &["--sloth-period", "7d"],
        &[base.join("testdata/in-base.yaml"), base.join("windows")],
    );
    compare(
        &ours,
        &golden(&base.join("testdata/out-base-custom-windows-7d.yaml.tpl")),
        "1w",
    );
}

#[test]
fn same_rules_as_sloths_examples() {
    for name in ["getting-started.yml", "kubernetes-apiserver.yml"] {
        let ours = rules(&[], &[sloth().join("examples").join(name)]);
        let theirs: Value = serde_yaml_ng::from_str(
            &std::fs::read_to_string(sloth().join("examples/_gen").join(name)).expect("golden"),
        )
        .expect("golden is YAML");
        compare(&ours, &theirs, "30d");
    }
}

/// promtool; `None` (skip) only when `SLOE_SKIP` names it. Missing, it
/// fails the test.
fn promtool() -> Option<&'static str> {
    if sloe_testkit::skip(Need::Promtool) {
        return None;
    }
    let found = Process::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        sloe_testkit::missing(Need::Promtool, "`promtool --version` did not run");
    }
    Some("promtool")
}

fn promtool_run(args: &[&Path], sub: &[&str]) {
    let Some(bin) = promtool() else { return };
    let out = Process::new(bin)
        .args(sub)
        .args(args)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool {sub:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rules_for_every_sloth_spec_pass_promtool_check() {
    if promtool().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = [
        "examples/getting-started.yml",
        "examples/k8s-getting-started.yml",
        "examples/kubernetes-apiserver.yml",
        "examples/raw-home-wifi.yml",
        "examples/slo-plugin-getting-started.yml",
        "test/integration/prometheus/testdata/in-base.yaml",
    ];
    for (i, spec) in specs.iter().enumerate() {
        let out = dir.path().join(format!("rules-{i}.yaml"));
        let status = sloe()
            .args(["slo", "rules", "--out"])
            .arg(&out)
            .arg(sloth().join(spec))
            .output()
            .expect("run sloe");
        assert!(status.status.success(), "{spec}");
        promtool_run(&[&out], &["check", "rules"]);
    }
}

/// Input series → expected alerts, in Prometheus's rule engine: each
/// burn-rate row fires when its long window has spent its share of the
/// budget, and not at all just below its factor (see tests/promtool/).
#[test]
fn page_and_ticket_fire_where_the_burn_rate_table_says() {
    if promtool().is_none() {
        return;
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promtool");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = sloe()
        .args(["slo", "rules", "--out"])
        .arg(dir.path().join("rules.yaml"))
        .arg(here.join("slo.yaml"))
        .output()
        .expect("run sloe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tests = dir.path().join("burn-rate-table.test.yaml");
    std::fs::copy(here.join("burn-rate-table.test.yaml"), &tests).expect("copy tests");
    promtool_run(&[&dir.path().join("rules.yaml")], &["check", "rules"]);
    promtool_run(&[&tests], &["test", "rules"]);
}
