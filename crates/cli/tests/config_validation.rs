//! End-to-end tests of `[[benchmark]]` validation: a config `sloe run`
//! could not execute is refused when it is read, by any command, with the
//! file, the table and what was expected; nothing of it ever runs.

use std::process::Output;

mod common;

use common::Project;

/// A config whose one benchmark, `t`, would leave a file `ran` behind.
fn project(extra: &str) -> Project {
    Project::new(&format!(
        "[project]\nname = \"p\"\n\n[[benchmark]]\nname = \"t\"\ncommand = [\"touch\", \"ran\"]\n{extra}\n"
    ))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sloe history`, a command that runs no benchmark, refuses the config
/// with exit 2 and `expected` in its message; so does `sloe run`, before
/// anything runs.
fn assert_refused(p: &Project, expected: &str) {
    let out = p
        .sloe()
        .args(["history", "--format", "json"])
        .output()
        .expect("run sloe");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    assert_run_refused(p, expected);
}

fn assert_run_refused(p: &Project, expected: &str) {
    let out = p
        .sloe()
        .args([
            "run",
            "--branch",
            "main",
            "--commit",
            "c1",
            "--testbed",
            "tb",
        ])
        .output()
        .expect("run sloe");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    assert!(!p.path().join("ran").exists(), "the benchmark ran");
}

#[test]
fn min_runs_above_max_runs() {
    let p = project("min_runs = 20\nmax_runs = 5");
    assert_refused(
        &p,
        "sloe.toml:4:1: key `benchmark[0]`: benchmark `t`.min_runs: min_runs = 20 is above max_runs = 5; expected min_runs <= max_runs",
    );
}

#[test]
fn a_zero_sample_interval() {
    let p = project("sample_interval = \"0ms\"");
    assert_refused(
        &p,
        "key `benchmark[0]`: benchmark `t`.sample_interval: expected a time above zero, like 100ms",
    );
}

#[test]
fn a_duration_that_is_not_a_time() {
    let p = project("timeout = \"3GiB\"");
    assert_refused(
        &p,
        "benchmark `t`.timeout: expected a time like 500ms, 3s or 10min, found 3 GiB",
    );
}

#[test]
fn ab_mode_with_parse() {
    let p = project("baseline_command = [\"true\"]\nparse = \"criterion\"");
    assert_refused(
        &p,
        "benchmark `t`.baseline_command: A/B mode times two commands, but the benchmark reads its output with parse = \"criterion\"; remove one of them",
    );
}

#[test]
fn an_unknown_parse_format() {
    let p = project("parse = \"critrion\"");
    assert_run_refused(&p, "unknown format \"critrion\"; expected one of ");
}
