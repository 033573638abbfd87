//! `sloe slo ...` end to end: every file under `shared/fixtures/slo` is
//! read by the real binary; the bad ones are rejected with a message that
//! names the file, the line and the field.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/slo")
}

fn sloe() -> Command {
    let mut cmd = Command::cargo_bin("sloe").expect("binary");
    cmd.env("NO_COLOR", "1")
        .env_remove("SLOE_ENV")
        .env_remove("SLOE_CONFIG");
    cmd
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
        "slo-generator/samples/config.yaml" => {
            NotASpec("slo-generator's backend and exporter config")
        }
        "slo-generator/tests/unit/fixtures/slo_report_v2.json" => {
            NotASpec("a slo-generator report")
        }
        "sloth/examples/_gen/getting-started.yml"
        | "sloth/examples/_gen/kubernetes-apiserver.yml"
        | "sloth/examples/_gen/openslo-getting-started.yml" => {
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
        other => panic!("new fixture {other}: say what sloe makes of it"),
    }
}

#[test]
fn every_slo_fixture_is_read_or_rejected_with_a_reason() {
    let root = fixtures();
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(
        files.len() >= 40,
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

#[test]
fn toml_slo_tables_are_validated_with_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sloe.toml");
    std::fs::write(
        &file,
        "[[slo]]\nname = \"api-availability\"\nservice = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n\n[[slo]]\nname = \"api-latency\"\nobjective = \"100%\"\nwindow = \"month\"\nsli = { events = \"api\", threshold = \"300ms\" }\n",
    )
    .expect("write");
    let out = sloe()
        .args(["slo", "validate"])
        .arg(&file)
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sloe.toml:8"), "{stderr}");
    assert!(
        stderr.contains("objective 100% must be below 100%"),
        "{stderr}"
    );

    std::fs::write(
        &file,
        "[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nsli = { event = \"api\" }\n",
    )
    .expect("write");
    let out = sloe()
        .args(["slo", "validate"])
        .arg(&file)
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sloe.toml:4"), "{stderr}");
    assert!(stderr.contains("did you mean `events`"), "{stderr}");
}
