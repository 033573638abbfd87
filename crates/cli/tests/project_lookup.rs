//! Where sloe finds its project: the nearest `sloe.toml` from the current
//! folder up, `--config`/`SLOE_CONFIG` first; and that outside a project
//! no command creates a store unless `--init` or `--store` asks for one.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Project, sloe_in};
use predicates::prelude::PredicateBooleanExt;
use serde_json::Value;

const RESULTS: &str = r#"{"results":[{"benchmark":"parse","measure":"wall_time","unit":"ms","values":[1.0,1.1,0.9]}]}"#;
const EVENTS: &str =
    "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":990,\"total\":1000}\n";

/// Every path under `dir`, relative to it.
fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(root).expect("under root");
            out.insert(rel.display().to_string());
            if path.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// A temporary folder with no `sloe.toml` in it or in any parent: the
/// tests below mean nothing if a stray one sits above the temp folder.
fn outside() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for up in dir.path().ancestors() {
        assert!(
            !up.join("sloe.toml").exists(),
            "{} exists: remove it, these tests need a folder outside any project",
            up.join("sloe.toml").display()
        );
    }
    std::fs::write(dir.path().join("results.json"), RESULTS).expect("write results");
    std::fs::write(dir.path().join("events.jsonl"), EVENTS).expect("write events");
    dir
}

fn run_ids(dir: &Path, extra: &[&str]) -> Vec<i64> {
    let out = sloe_in(dir)
        .args(["history", "--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

#[test]
fn the_config_is_found_from_a_subfolder_and_its_paths_start_beside_it() {
    let p = Project::new("[report]\nout = \"gate-reports\"\n");
    let deep = p.path().join("src/deep");
    std::fs::create_dir_all(&deep).expect("subfolders");
    std::fs::write(deep.join("results.json"), RESULTS).expect("write results");

    sloe_in(&deep)
        .args(["ingest", "results.json"])
        .assert()
        .success();
    assert!(p.path().join(".sloe/history.db").is_file());
    assert!(!deep.join(".sloe").exists(), "{:?}", tree(&deep));

    // Read back from another subfolder: the same store.
    assert_eq!(run_ids(&p.path().join("src"), &[]).len(), 1);

    // report.out is relative to the config's folder, not to where sloe ran.
    sloe_in(&deep).arg("check").assert().success();
    assert!(
        p.path()
            .join("gate-reports/sloe-report-latest.json")
            .is_file(),
        "{:?}",
        tree(p.path())
    );
    assert!(!deep.join("gate-reports").exists());
}

#[test]
fn a_config_error_found_upward_names_the_file_as_reached_from_here() {
    let p = Project::new("[regression]\nwarning = \"ten\"\n");
    let sub = p.path().join("sub");
    std::fs::create_dir(&sub).expect("subfolder");
    sloe_in(&sub)
        .arg("history")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("../sloe.toml"));
}

#[test]
fn config_flag_and_variable_win_over_the_nearest_config() {
    let here = Project::new("");
    let there = Project::new("");
    let there_config = there.path().join("sloe.toml");

    here.sloe()
        .args(["ingest", "--config"])
        .arg(&there_config)
        .arg(there.write("results.json", RESULTS))
        .assert()
        .success();
    // The same results again: forced, as the count below tells the stores apart.
    here.sloe()
        .env("SLOE_CONFIG", &there_config)
        .args(["ingest", "--force"])
        .arg(there.path().join("results.json"))
        .assert()
        .success();
    assert!(!here.path().join(".sloe/history.db").exists());
    assert_eq!(run_ids(there.path(), &[]).len(), 2);
}

#[test]
fn recording_outside_a_project_refuses_and_creates_nothing() {
    let dir = outside();
    let before = tree(dir.path());
    let store = dir.path().join(".sloe/history.db");
    let recording: [&[&str]; 4] = [
        &["ingest", "results.json"],
        &["run", "--name", "t", "--runs", "1", "--", "true"],
        &["slo", "ingest", "events.jsonl"],
        &["baseline", "set"],
    ];
    for args in recording {
        let out = sloe_in(dir.path()).args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for says in [
            format!(
                "no sloe.toml in {} or a parent folder",
                dir.path().display()
            ),
            format!("would create a new store at {}", store.display()),
            "--init".to_owned(),
            "--store URL".to_owned(),
        ] {
            assert!(
                stderr.contains(&says),
                "{args:?} should say {says:?}: {stderr}"
            );
        }
        assert_eq!(tree(dir.path()), before, "{args:?} created files");
    }
}

#[test]
fn reading_outside_a_project_says_nothing_is_recorded_and_creates_nothing() {
    let dir = outside();
    let before = tree(dir.path());
    let reading: [&[&str]; 6] = [
        &["history"],
        &["check"],
        &["report"],
        &["baseline", "show"],
        &["baseline", "clear"],
        &["budget", "suggest"],
    ];
    for args in reading {
        let out = sloe_in(dir.path()).args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("nothing is recorded here")
                && stderr.contains(&format!("no sloe.toml in {}", dir.path().display())),
            "{args:?}: {stderr}"
        );
        assert_eq!(tree(dir.path()), before, "{args:?} created files");
    }
    // What records nothing still works outside a project.
    sloe_in(dir.path())
        .args(["ingest", "--dry-run", "results.json"])
        .assert()
        .success();
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn init_flag_starts_a_project_here_then_records() {
    let dir = outside();
    sloe_in(dir.path())
        .args(["ingest", "--init", "results.json"])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "started a project: wrote sloe.toml and .sloe/",
        ));
    assert!(dir.path().join("sloe.toml").is_file());
    assert!(dir.path().join(".sloe/history.db").is_file());
    // Now a project: found without flags, from a subfolder too.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("subfolder");
    assert_eq!(run_ids(&sub, &[]).len(), 1);
    // Inside a project, --init changes nothing (forced: the same results
    // again would be skipped as a re-ingest).
    sloe_in(&sub)
        .args(["ingest", "--init", "--force"])
        .arg(dir.path().join("results.json"))
        .assert()
        .success()
        .stderr(predicates::str::contains("started a project").not());
    assert!(!sub.join("sloe.toml").exists());
    assert_eq!(run_ids(dir.path(), &[]).len(), 2);
}

#[test]
fn store_flag_records_where_it_says_without_a_project() {
    let dir = outside();
    sloe_in(dir.path())
        .args(["ingest", "--store", "sqlite://named.db", "results.json"])
        .assert()
        .success();
    sloe_in(dir.path())
        .env("SLOE_STORE", "sqlite://named.db")
        .args(["slo", "ingest", "events.jsonl"])
        .assert()
        .success();
    assert!(dir.path().join("named.db").is_file());
    assert!(!dir.path().join("sloe.toml").exists());
    assert!(!dir.path().join(".sloe").exists());
    assert_eq!(
        run_ids(dir.path(), &["--store", "sqlite://named.db"]).len(),
        1
    );
}
