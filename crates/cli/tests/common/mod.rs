//! What the end-to-end test files share: the real `sloe` binary with an
//! environment that CI variables and the developer's shell cannot steer,
//! a project folder with its config, and the fixtures of the other crates.
// Each test file is its own crate and uses only a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The `sloe` binary, with no colour and none of the variables that would
/// change what it reads (`SLOE_ENV`, `SLOE_CONFIG`, `SLOE_STORE`) or the run context it
/// detects (`GITHUB_ACTIONS`, `GITLAB_CI`).
pub fn sloe() -> Command {
    Command::from_std(sloe_std())
}

/// [`sloe`] as std's `Command`, for a test that signals it while it runs.
pub fn sloe_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("sloe"));
    cmd.env("NO_COLOR", "1")
        .env_remove("SLOE_ENV")
        .env_remove("SLOE_CONFIG")
        .env_remove("SLOE_STORE")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI");
    cmd
}

/// [`sloe`] run in `dir`.
pub fn sloe_in(dir: &Path) -> Command {
    let mut cmd = sloe();
    cmd.current_dir(dir);
    cmd
}

/// The SLO specs that sloe-core's tests read (`crates/core/tests/fixtures/slo`),
/// or a file or folder under them.
pub fn slo_fixture(rel: &str) -> PathBuf {
    fixture("../core/tests/fixtures/slo", rel)
}

/// A captured harness output that sloe-formats' tests read
/// (`crates/formats/tests/fixtures/<format>/<case>`).
pub fn format_fixture(rel: &str) -> PathBuf {
    fixture("../formats/tests/fixtures", rel)
}

/// Fixtures are part of the repository: a missing one is a broken checkout,
/// never a reason to skip.
fn fixture(root: &str, rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(root).join(rel);
    assert!(
        path.exists(),
        "fixture {} is missing: it is part of the repository (restore it with `git checkout`)",
        path.display()
    );
    path
}

/// A temporary project: a folder with `sloe.toml`; the store goes to its
/// `.sloe/` as it would for a user.
pub struct Project {
    pub dir: TempDir,
}

impl Project {
    pub fn new(config: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("sloe.toml"), config).expect("write config");
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// [`sloe`] run in the project.
    pub fn sloe(&self) -> Command {
        sloe_in(self.path())
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).expect("write file");
        p
    }
}

/// JSON lines of minute aggregates of stream `api`, 1,000 events a minute,
/// for the `minutes` minutes before `end`; `bad(m)` of them failed in
/// minute `m` (0 is the oldest).
pub fn minute_events(end: &str, minutes: i64, bad: impl Fn(i64) -> u64) -> String {
    let end: jiff::Timestamp = end.parse().expect("time");
    let mut text = String::new();
    for m in 0..minutes {
        let t = end
            .checked_sub(jiff::SignedDuration::from_mins(minutes - m))
            .expect("time");
        let b = bad(m);
        text.push_str(&format!(
            "{{\"stream\":\"api\",\"ts\":\"{t}\",\"good\":{},\"total\":1000}}\n",
            1000 - b
        ));
    }
    text
}

/// A JUnit report of one suite: `(name, outcome)` per test case, where the
/// outcome is "pass", "fail", "error", "skip" or "flaky" (passed on a retry).
pub fn junit_xml(suite: &str, cases: &[(&str, &str)]) -> String {
    let mut xml = format!("<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"{suite}\">\n");
    for (name, outcome) in cases {
        let inner = match *outcome {
            "pass" => "",
            "fail" => "<failure message=\"boom\"/>",
            "error" => "<error message=\"crash\"/>",
            "skip" => "<skipped/>",
            "flaky" => "<flakyFailure message=\"once\"/>",
            other => panic!("outcome {other}"),
        };
        xml.push_str(&format!(
            "<testcase classname=\"{suite}\" name=\"{name}\" time=\"0.01\">{inner}</testcase>\n"
        ));
    }
    xml.push_str("</testsuite>\n</testsuites>\n");
    xml
}
