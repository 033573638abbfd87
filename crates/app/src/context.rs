//! A run's context from the outside world, in one order everywhere: what
//! the caller was told (flags, query parameters), then the results file,
//! then CI variables, then git and the config, then the host name; the
//! clock when nothing gives a time.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sloe_core::RunContext;
use sloe_core::context::{self, Partial};
use sloe_formats::FileContext;

use crate::{Clock, Settings};

/// Where environment variables come from (the process's, or a map in
/// tests and in the server, which must not read its own CI variables).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process's environment.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Resolves a run's context: `given` (flags), then the results file, then
/// CI variables read through `env`, then git in the config's directory and
/// the config, then the host name; `clock` when nothing gives a time.
pub fn resolve(
    given: &Partial,
    file: &FileContext,
    settings: &Settings,
    env: Env<'_>,
    clock: &dyn Clock,
) -> RunContext {
    let from_file = Partial {
        commit: file.commit.clone(),
        branch: file.branch.clone(),
        testbed: file.testbed.clone(),
        environment: file.environment.clone(),
        timestamp: file.timestamp,
    };
    let ci = context::from_ci(env);
    let from_ci = Partial {
        commit: ci.commit,
        branch: ci.branch,
        testbed: ci.testbed,
        ..Partial::default()
    };
    let mut sources = vec![given.clone(), from_file, from_ci];
    let known = |f: fn(&Partial) -> bool| sources.iter().any(f);
    // git costs a process start: ask only when nothing else said.
    if !known(|p| p.commit.is_some()) || !known(|p| p.branch.is_some()) {
        let (commit, branch) = git_head(&settings.base_dir);
        sources.push(Partial {
            commit,
            branch,
            ..Partial::default()
        });
    }
    sources.push(Partial {
        testbed: settings.config.project.testbed.clone().or_else(host_name),
        environment: settings.env.clone(),
        ..Partial::default()
    });
    let mut ci_meta: BTreeMap<String, String> = ci.metadata;
    ci_meta.extend(file.ci.clone());
    context::resolve(&sources, ci_meta, clock.now())
}

/// The commit and branch checked out in `dir`, if it is a git work tree.
fn git_head(dir: &Path) -> (Option<String>, Option<String>) {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD", "--abbrev-ref", "HEAD"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output();
    let Ok(out) = out else { return (None, None) };
    if !out.status.success() {
        return (None, None);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let commit = lines.next().map(str::to_owned);
    // A detached HEAD has no branch.
    let branch = lines.next().filter(|b| *b != "HEAD").map(str::to_owned);
    (commit, branch)
}

/// `git merge-base <commit> <base>` in `dir` (the commit defaults to
/// `HEAD`); `None` outside a git work tree or when git does not know them.
pub fn git_merge_base(dir: &Path, commit: Option<&str>, base: &str) -> Option<String> {
    let out = Command::new("git")
        .args(["merge-base", commit.unwrap_or("HEAD"), base])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!sha.is_empty()).then_some(sha)
}

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}
