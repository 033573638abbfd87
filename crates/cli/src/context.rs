//! Run context from the outside world: flags, CI variables, git, host name.

use std::process::Command;

use anyhow::{Result, anyhow};
use jiff::Timestamp;
use sloe_core::RunContext;
use sloe_core::context::{self, Partial};
use sloe_formats::FileContext;

use crate::args::ContextArgs;
use crate::settings::Settings;

/// Resolves a run's context: flags, then the results file, then CI
/// variables, then git and the config; `now` when nothing gives a time.
pub fn resolve(flags: &ContextArgs, file: &FileContext, settings: &Settings) -> Result<RunContext> {
    let timestamp = flags
        .timestamp
        .as_deref()
        .map(|t| {
            t.parse::<Timestamp>()
                .map_err(|e| anyhow!("read --timestamp {t:?}: expected an RFC 3339 timestamp like 2026-11-20T10:00:00Z ({e})"))
        })
        .transpose()?;
    let from_flags = Partial {
        commit: flags.commit.clone(),
        branch: flags.branch.clone(),
        testbed: flags.testbed.clone(),
        environment: flags.environment.clone(),
        timestamp,
    };
    let from_file = Partial {
        commit: file.commit.clone(),
        branch: file.branch.clone(),
        testbed: file.testbed.clone(),
        environment: file.environment.clone(),
        timestamp: file.timestamp,
    };
    let ci = context::from_ci(&|k| std::env::var(k).ok());
    let from_ci = Partial {
        commit: ci.commit,
        branch: ci.branch,
        testbed: ci.testbed,
        ..Partial::default()
    };
    let mut sources = vec![from_flags, from_file, from_ci];
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
    let mut ci_meta = ci.metadata;
    ci_meta.extend(file.ci.clone());
    Ok(context::resolve(&sources, ci_meta, Timestamp::now()))
}

/// The commit and branch checked out in `dir`, if it is a git work tree.
fn git_head(dir: &std::path::Path) -> (Option<String>, Option<String>) {
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

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}
