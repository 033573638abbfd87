//! Names the commit the binary is built from in `sloe --version`, when the
//! sources are a git checkout; a build from a source tarball (no git, or a
//! folder git does not track) shows the version alone.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    println!("cargo:rerun-if-changed=build.rs");
    let full = match commit() {
        Some(sha) => format!("{version} ({sha})"),
        None => version.to_owned(),
    };
    println!("cargo:rustc-env=SLOE_VERSION={full}");
}

/// The short hash of HEAD, if this crate's own files are tracked by the
/// repository around them (a tarball unpacked inside another repository
/// must not borrow that repository's commit).
fn commit() -> Option<String> {
    // A new commit moves HEAD (or the branch it names), and a first commit
    // makes this folder tracked: build again then. HEAD's reflog grows with
    // every commit, merge and checkout, also when the branch's ref file did
    // not exist at the first build (refs kept packed until then).
    for path in ["HEAD", "packed-refs", "logs/HEAD"] {
        rerun_if_exists(git(&["rev-parse", "--git-path", path]));
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        rerun_if_exists(git(&["rev-parse", "--git-path", &branch]));
    }
    git(&["ls-files", "--error-unmatch", "build.rs"])?;
    git(&["rev-parse", "--short", "HEAD"])
}

fn rerun_if_exists(path: Option<String>) {
    if let Some(path) = path
        && Path::new(&path).exists()
    {
        println!("cargo:rerun-if-changed={path}");
    }
}

/// A git command's trimmed output, run in this crate's folder; `None` when
/// git is missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
