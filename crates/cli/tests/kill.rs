//! End-to-end: killing `sloe run` kills its benchmark, and a stop signal
//! is reported by its own name (issue 15, item 5).
//!
//! Before the fix, SIGKILL of sloe (or of its process group, or `timeout
//! -s KILL`) left the benchmark tree running, re-parented to PID 1, in 16
//! of 21 tries, and zombies in the rest. Each try here starts a benchmark
//! whose tree has a grandchild in the execution's process group and one
//! that left it (`setsid`), all writing their pids to a file, kills sloe at
//! a random point in time, and asserts that within a few seconds no
//! process of the tree remains, neither running nor a zombie.
//!
//! Where the orphans go: this test process makes itself a child subreaper,
//! so whatever outlives sloe comes to it rather than to PID 1 (which, in a
//! container, may never reap). It reaps only the pids of the tree, and only
//! once they are zombies: the intermediary's own zombie (sloe, its parent,
//! is dead, so somebody has to) and anything the intermediary could not
//! reap. A process still running counts as left over; so would a zombie
//! whose parent is anything but this process.
//!
//! `SLOE_FAULT_TRIES` sets the number of tries per way of killing (default
//! 3, about 10 s in all); the counts are printed.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

mod common;

use common::Project;

/// The benchmark: a shell (the command), a background `sleep` in its
/// process group, and a `setsid` shell that leaves the group and the
/// session and becomes a `sleep`; each appends its pid to `pids`.
fn benchmark(pids: &Path) -> String {
    let f = pids.display();
    format!(
        "echo $$ >> {f}; sleep 300 & echo $! >> {f}; \
         setsid sh -c 'echo $$ >> {f}; exec sleep 300' & \
         sleep 300"
    )
}

/// How many pids the benchmark writes once its whole tree is up.
const TREE_PIDS: usize = 3;

/// `sloe run` of the benchmark (std's `Command`, to signal it while it runs).
fn sloe_run(p: &Project, pids: &Path) -> Command {
    let mut cmd = common::sloe_std();
    cmd.current_dir(p.path())
        .args([
            "run",
            "--branch",
            "main",
            "--commit",
            "c1",
            "--testbed",
            "tb",
        ])
        .args(["--runs", "1", "--shell", "--"])
        .arg(benchmark(pids))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// State, parent and start time (clock ticks since boot) of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    state: char,
    ppid: i32,
    start: u64,
}

fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    // Fields 3, 4 and 22 of proc(5), counted from the state.
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        start: f.get(19)?.parse().ok()?,
    })
}

/// Every process that descends from `root` (itself excluded), with its
/// start time (to tell a pid that was reused).
fn descendants(root: i32) -> BTreeMap<i32, u64> {
    let all: Vec<(i32, Stat)> = std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| {
            let pid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            Some((pid, stat(pid)?))
        })
        .collect();
    let mut found = BTreeMap::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, s) in &all {
            if s.ppid == parent && found.insert(*pid, s.start).is_none() {
                frontier.push(*pid);
            }
        }
    }
    found
}

/// Clock ticks since boot, now (`USER_HZ` is 100 on Linux).
fn ticks_now() -> u64 {
    let text = std::fs::read_to_string("/proc/uptime").expect("read /proc/uptime");
    let secs: f64 = text
        .split_ascii_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .expect("uptime");
    (secs * 100.0) as u64
}

fn pids_in(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// The processes of a killed tree that remain after `within`: `tree` (pid
/// and start time, as seen before the kill) and the pids in `file` that
/// started before `latest` (later ones would be a reused pid). Zombies
/// handed to this process are reaped as they come.
fn leftovers(
    tree: &BTreeMap<i32, u64>,
    file: &Path,
    latest: u64,
    within: Duration,
) -> Vec<(i32, Stat)> {
    let me = i32::try_from(std::process::id()).expect("pid");
    let until = Instant::now() + within;
    loop {
        let mut watched = tree.clone();
        for pid in pids_in(file) {
            if let Some(s) = stat(pid)
                && s.start <= latest
            {
                watched.entry(pid).or_insert(s.start);
            }
        }
        let mut left = Vec::new();
        for (&pid, &start) in &watched {
            let Some(s) = stat(pid) else { continue };
            if s.start != start {
                continue; // reused
            }
            if s.state == 'Z' && s.ppid == me {
                let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
                continue;
            }
            left.push((pid, s));
        }
        if left.is_empty() || Instant::now() >= until {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tries() -> usize {
    std::env::var("SLOE_FAULT_TRIES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(3)
}

/// A random number below `n` (not reproducible, and need not be).
fn below(n: u64) -> u64 {
    RandomState::new().hash_one(Instant::now()) % n.max(1)
}

#[derive(Debug, Clone, Copy)]
enum Kill {
    /// SIGKILL to sloe.
    Sloe,
    /// SIGKILL to sloe's process group (sloe leads one of its own here).
    Group,
    /// `timeout -s KILL <random> sloe run ...`.
    Timeout,
}

/// Waits for `child` to end, killing it (and failing) after 30 s.
fn wait_bounded(child: &mut Child) -> std::process::ExitStatus {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sloe did not end within 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One try: the pids of the tree seen, whether the benchmark's whole tree
/// was up when the kill came, and what was left over.
fn one_try(how: Kill) -> (usize, bool, Vec<(i32, Stat)>) {
    let p = Project::new("");
    let pids: PathBuf = p.path().join("pids");
    let mut cmd = sloe_run(&p, &pids);
    cmd.stderr(Stdio::null());
    // Half the tries kill at any point from the start (shell calibration,
    // the intermediary starting up, ...), half once the tree is up.
    let after_start = below(2) == 0;
    let delay = Duration::from_millis(if after_start { below(300) } else { below(1500) });
    let mut child = match how {
        Kill::Sloe => cmd.spawn().expect("start sloe"),
        Kill::Group => {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
            cmd.spawn().expect("start sloe")
        }
        Kill::Timeout => {
            let secs = if after_start { 1.5 } else { 0.0 } + delay.as_secs_f64();
            let mut t = Command::new("timeout");
            t.args(["-s", "KILL", &format!("{secs:.3}")])
                .arg(cmd.get_program())
                .args(cmd.get_args())
                .current_dir(p.path())
                .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .env_remove("SLOE_ENV")
                .env_remove("SLOE_CONFIG")
                .env_remove("SLOE_STORE")
                .env_remove("GITHUB_ACTIONS")
                .env_remove("GITLAB_CI")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            t.spawn().expect("start timeout")
        }
    };
    let root = i32::try_from(child.id()).expect("pid");
    let started = Instant::now();
    let mut tree = BTreeMap::new();
    let mut up = false;
    // Watch the tree grow until the moment comes (or `timeout` fires).
    let deadline = if after_start {
        None
    } else {
        Some(started + delay)
    };
    let mut up_since: Option<Instant> = None;
    loop {
        tree.extend(descendants(root));
        if !up && pids_in(&pids).len() >= TREE_PIDS {
            up = true;
            up_since = Some(Instant::now());
        }
        if let Some(status) = child.try_wait().expect("wait") {
            // Only `timeout` ends by itself here.
            assert!(
                matches!(how, Kill::Timeout),
                "sloe ended by itself: {status}"
            );
            break;
        }
        let now = Instant::now();
        let due = match (deadline, up_since) {
            (Some(d), _) => now >= d,
            (None, Some(since)) => now >= since + delay,
            (None, None) => now >= started + Duration::from_secs(20),
        };
        if due && !matches!(how, Kill::Timeout) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let latest = ticks_now() + 100;
    match how {
        Kill::Sloe => {
            let _ = kill(Pid::from_raw(root), Signal::SIGKILL);
        }
        Kill::Group => {
            let _ = killpg(Pid::from_raw(root), Signal::SIGKILL);
        }
        Kill::Timeout => {}
    }
    let status = wait_bounded(&mut child);
    if !matches!(how, Kill::Timeout) {
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "{status}"
        );
    }
    let left = leftovers(&tree, &pids, latest, Duration::from_secs(5));
    // Nothing may stay behind for the next try, whatever this one found.
    for (pid, _) in &left {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    (tree.len(), up, left)
}

#[test]
fn killing_sloe_run_kills_the_whole_benchmark_tree() {
    nix::sys::prctl::set_child_subreaper(true).expect("become a child subreaper");
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for how in [Kill::Sloe, Kill::Group, Kill::Timeout] {
        let (mut n, mut up, mut leftover) = (0, 0, 0);
        for _ in 0..tries() {
            let (seen, was_up, left) = one_try(how);
            n += 1;
            up += usize::from(was_up);
            leftover += usize::from(!left.is_empty());
            if !left.is_empty() {
                failures.push(format!("{how:?} (tree of {seen}): left {left:?}"));
            }
        }
        report.push(format!(
            "{how:?}: {n} tries, {up} with the whole tree up, {leftover} with leftovers"
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_stop_signal_is_reported_by_its_name_and_kills_the_tree() {
    for (signal, code, name) in [
        (Signal::SIGTERM, 143, "interrupted by SIGTERM"),
        (Signal::SIGHUP, 129, "interrupted by SIGHUP"),
        (Signal::SIGINT, 130, "interrupted by SIGINT (Ctrl-C)"),
    ] {
        // Both tests do: whichever runs first.
        nix::sys::prctl::set_child_subreaper(true).expect("become a child subreaper");
        let p = Project::new("");
        let pids = p.path().join("pids");
        let mut cmd = sloe_run(&p, &pids);
        cmd.stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start sloe");
        let root = i32::try_from(child.id()).expect("pid");
        let until = Instant::now() + Duration::from_secs(20);
        let mut tree = BTreeMap::new();
        while pids_in(&pids).len() < TREE_PIDS {
            assert!(Instant::now() < until, "the benchmark did not start");
            assert!(child.try_wait().expect("wait").is_none(), "sloe ended");
            std::thread::sleep(Duration::from_millis(10));
        }
        tree.extend(descendants(root));
        let latest = ticks_now() + 100;
        kill(Pid::from_raw(root), signal).expect("signal sloe");
        let status = wait_bounded(&mut child);
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
            .expect("read stderr");
        // The tree went with it, the grandchild that left the group too
        // (whatever is left is killed before anything is asserted).
        let left = leftovers(&tree, &pids, latest, Duration::from_secs(5));
        for (pid, _) in &left {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
        assert_eq!(status.code(), Some(code), "{signal}: {err}");
        assert!(err.contains(name), "{signal}: {err}");
        if signal != Signal::SIGINT {
            assert!(!err.contains("Ctrl-C"), "{signal}: {err}");
        }
        assert!(left.is_empty(), "{signal}: left {left:?}");
    }
}
