//! OpenSLO as people write it, through the binary: an SLO whose SLI and
//! alert policy live in other files given to the same command (or in the
//! same folder), unresolved references named with file, line and a
//! did-you-mean, composite SLOs listed by `validate` and skipped with a
//! note by `rules` and `status`, and messages without Rust type names.

use std::path::{Path, PathBuf};

mod common;

use common::{Project, sloe};

fn cross_file(name: &str) -> PathBuf {
    common::slo_fixture("sloe/openslo/cross-file").join(name)
}

/// Runs `sloe slo <args> <paths>`: exit code, stdout, stderr.
fn slo(args: &[&str], paths: &[&Path]) -> (Option<i32>, String, String) {
    let out = sloe()
        .arg("slo")
        .args(args)
        .args(paths)
        .output()
        .expect("run sloe");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn references_to_other_files_resolve_whether_files_or_their_folder_are_given() {
    let (slos, indicators, alerting) = (
        cross_file("slos.yaml"),
        cross_file("indicators.yaml"),
        cross_file("alerting.yaml"),
    );
    let folder = common::slo_fixture("sloe/openslo/cross-file");
    for paths in [
        vec![slos.as_path(), indicators.as_path(), alerting.as_path()],
        vec![folder.as_path()],
    ] {
        let (code, stdout, stderr) = slo(&["validate"], &paths);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("1 SLO read from 3 files"), "{stdout}");
        assert!(
            stdout
                .contains("slos.yaml:6  checkout-availability  service checkout  objective 99.9%"),
            "{stdout}"
        );
        // The SLI is a Prometheus one: its type came from the DataSource.
        assert!(stdout.contains("sli prometheus error/total"), "{stdout}");
    }

    // The referenced SLI's queries make the rules.
    let (code, rules, stderr) = slo(&["rules"], &[folder.as_path()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        rules.contains(r#"sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m]))"#),
        "{rules}"
    );
    assert!(rules.contains("checkout-availability"), "{rules}");
}

#[test]
fn an_unresolved_reference_names_the_file_the_line_the_kind_and_a_close_name() {
    // Alone, slos.yaml names what it does not hold.
    let (code, _, stderr) = slo(&["validate"], &[cross_file("slos.yaml").as_path()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("slos.yaml:12: field `SLO checkout-availability: spec.indicatorRef`: indicatorRef \"checkout-errors\" names no SLI, and no SLI was read"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "slos.yaml:21: field `SLO checkout-availability: spec.alertPolicies[0].alertPolicyRef`"
        ),
        "{stderr}"
    );

    // A typo, with the other files given: a did-you-mean among the SLIs read.
    let dir = tempfile::tempdir().expect("tempdir");
    let typo = dir.path().join("slos.yaml");
    let text = std::fs::read_to_string(cross_file("slos.yaml")).expect("fixture");
    std::fs::write(
        &typo,
        text.replace(
            "indicatorRef: checkout-errors",
            "indicatorRef: checkout-eror",
        ),
    )
    .expect("write");
    let (code, _, stderr) = slo(
        &["validate"],
        &[
            typo.as_path(),
            cross_file("indicators.yaml").as_path(),
            cross_file("alerting.yaml").as_path(),
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:12:", typo.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("indicatorRef \"checkout-eror\" names no SLI in the files read (did you mean `checkout-errors`?); the SLI names read: checkout-errors"),
        "{stderr}"
    );
    assert!(stderr.contains("1 error"), "{stderr}");

    // `rules` refuses the same, naming the same place.
    let (code, _, stderr) = slo(&["rules"], &[cross_file("slos.yaml").as_path()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("slos.yaml:"), "{stderr}");
}

#[test]
fn a_wrong_shape_is_said_in_openslo_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("slo.yaml");
    let text = std::fs::read_to_string(common::slo_fixture("sloe/openslo/multi-doc/checkout.yaml"))
        .expect("fixture");
    // The shape that printed `expected struct RefOr`: a bare name in alertPolicies.
    std::fs::write(
        &file,
        text.replace(
            "    - alertPolicyRef: checkout-paging",
            "    - checkout-paging",
        ),
    )
    .expect("write");
    let (code, _, stderr) = slo(&["validate"], &[file.as_path()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "expected an alert policy: `alertPolicyRef: <name>` or an inline AlertPolicy"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("slo.yaml:21:"), "{stderr}");
    for rust in ["struct", "enum", "RefOr", "untagged"] {
        assert!(!stderr.contains(rust), "{rust:?} in {stderr}");
    }
}

#[test]
fn a_composite_slo_is_listed_by_validate_and_skipped_with_a_note_elsewhere() {
    let composite = common::slo_fixture("sloe/openslo/composite/checkout-journey.yaml");
    let (code, stdout, stderr) = slo(&["validate"], &[composite.as_path()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("1 SLO read from 1 file"), "{stdout}");
    assert!(
        stdout.contains("checkout-journey  service checkout"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sli composite of 3 weighted objectives (cart 99.9% weight 2 on prometheus error/total; payment 99.5% weight 1 on prometheus error/total; confirmation-errors 99% weight 1 on prometheus good/total)"),
        "{stdout}"
    );

    let (code, rules, stderr) = slo(&["rules"], &[composite.as_path()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "note: no rules for SLO checkout-journey: its SLI is composite of 3 weighted objectives"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("not yet judged"), "{stderr}");
    assert!(!rules.contains("checkout-journey"), "{rules}");

    let project = Project::new("");
    let out = project
        .sloe()
        .args(["slo", "status", "--at", "2026-11-23T12:00:00Z"])
        .arg(&composite)
        .output()
        .expect("run sloe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("note: no status for SLO checkout-journey: its SLI is composite"),
        "{stderr}"
    );
}
