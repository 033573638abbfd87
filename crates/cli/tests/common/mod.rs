//! What the end-to-end test files share: the real `sloe` binary with an
//! environment that CI variables and the developer's shell cannot steer,
//! a project folder with its config, and the shared fixtures.
// Each test file is its own crate and uses only a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The `sloe` binary, with no colour and none of the variables that would
/// change what it reads (`SLOE_ENV`, `SLOE_CONFIG`) or the run context it
/// detects (`GITHUB_ACTIONS`, `GITLAB_CI`).
pub fn sloe() -> Command {
    let mut cmd = Command::cargo_bin("sloe").expect("binary");
    cmd.env("NO_COLOR", "1")
        .env_remove("SLOE_ENV")
        .env_remove("SLOE_CONFIG")
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

/// A folder of `../shared/fixtures` (beside the repository).
pub fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(sub)
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
