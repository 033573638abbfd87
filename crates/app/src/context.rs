//! A run's context from the outside world, in one order everywhere: what
//! the caller was told (flags, query parameters), then the results file,
//! then CI variables, then git and the config, then the host name; the
//! clock when nothing gives a time. The environment fingerprint is the
//! file's facts over the local machine's ([`local_fingerprint`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use sloe_core::RunContext;
use sloe_core::context::{self, Partial};
use sloe_core::fingerprint::{self, Fingerprint};
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
/// Placeholders (a harness's `unversioned` commit, a detached `HEAD`) are
/// no value. The fingerprint takes what the file states (a harness's CPU
/// model, its toolchains) over what this machine reads: ingest where the
/// benchmarks ran.
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
        fingerprint: file.fingerprint.clone(),
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
        fingerprint: Some(local_fingerprint()),
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

/// The machine sloe runs on, read once per process: CPU model and logical
/// cores (`/proc/cpuinfo`), memory (`/proc/meminfo`, rounded to half a
/// GiB), OS (`/etc/os-release`), kernel release and architecture. Off Linux
/// the cores come from the standard library and the kernel from `uname -r`;
/// what cannot be read stays unknown.
pub fn local_fingerprint() -> Fingerprint {
    static LOCAL: OnceLock<Fingerprint> = OnceLock::new();
    LOCAL.get_or_init(read_local_fingerprint).clone()
}

fn read_local_fingerprint() -> Fingerprint {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let (cpu, cores) = read("/proc/cpuinfo")
        .map(|t| fingerprint::parse_cpuinfo(&t))
        .unwrap_or_default();
    let cores = cores.or_else(|| {
        std::thread::available_parallelism()
            .ok()
            .and_then(|n| u32::try_from(n.get()).ok())
    });
    let kernel = read("/proc/sys/kernel/osrelease")
        .or_else(|| {
            Command::new("uname")
                .arg("-r")
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        })
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty());
    Fingerprint {
        cpu,
        cores,
        memory_gib: read("/proc/meminfo")
            .and_then(|t| fingerprint::parse_meminfo(&t))
            .map(fingerprint::round_memory),
        os: read("/etc/os-release")
            .or_else(|| read("/usr/lib/os-release"))
            .and_then(|t| fingerprint::parse_os_release(&t)),
        kernel,
        arch: Some(fingerprint::normalize_arch(std::env::consts::ARCH)),
        toolchains: BTreeMap::new(),
    }
}

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}
