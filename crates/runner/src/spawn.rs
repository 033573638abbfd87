//! The intermediary: a small process between sloe and the measured command,
//! so the command's peak RSS is its own, as `/usr/bin/time -v` reports it.
//!
//! Why: Linux records a process's peak RSS (`ru_maxrss`) as the largest
//! resident set of any memory map it had, and at `execve` the map being
//! replaced counts too (`exec_mmap` stores the old map's high-water mark in
//! `signal->maxrss`). With `posix_spawn`/`vfork` (what std's `Command`
//! uses) the old map *is* the parent's, so every command sloe starts
//! directly inherits sloe's whole resident set (`sloe run -- true`:
//! 7.8 MiB in release, 11.8 MiB in debug, against 1 MiB from
//! `/usr/bin/time -v true`); with `fork` it inherits the parent's anonymous
//! pages (measured with a 13.3 MiB Python parent: `posix_spawn` 13.3 MiB,
//! `fork` 9.5 MiB, for `true`). So sloe starts this intermediary instead
//! (a re-exec of its own binary, entered at the very top of `main` before
//! anything allocates much). It forks a launcher (see `launch` for why
//! not the command itself), which starts the command with `posix_spawnp`
//! and reaps it with `wait4`: the pages the command can inherit are the
//! launcher's few (`true`: 1.4 MiB against `/usr/bin/time`'s 1.0 MiB in a
//! release build), and the measured wall time holds no more than a direct
//! `posix_spawn` would.
//!
//! The intermediary is started in the execution's own process group (the
//! command inherits it), its standard output and error are the command's,
//! and its standard input is one end of a socket pair: it gives the command
//! `/dev/null` as standard input instead and writes its report on that
//! socket, one text line (see `Report`).
//!
//! # When sloe dies
//!
//! Nothing of the command may outlive a sloe that was killed (SIGKILL
//! included, which sloe cannot catch). The chain is tied together by the
//! kernel's parent-death signal (`PR_SET_PDEATHSIG`), set in each child
//! between its fork and its exec, with a check of `getppid` afterwards in
//! case the parent died before it was set:
//!
//! - sloe starts the intermediary with SIGTERM as its parent-death signal
//!   ([`end_with_this_process`]). The signal is sent when the *thread* that
//!   forked it ends; the executor forks from the thread that then waits for
//!   the execution to end, so that thread outlives the execution unless
//!   sloe itself dies.
//! - The intermediary is a child subreaper (`PR_SET_CHILD_SUBREAPER`): a
//!   descendant whose parent dies, one that daemonised or left the process
//!   group included, becomes its child instead of init's. It blocks
//!   SIGTERM, SIGHUP, SIGINT and SIGCHLD and waits for them
//!   (`sigwait`): on SIGCHLD it reaps what ended; on any of the others
//!   (sloe died, or sloe's timeout or Ctrl-C asks it) it kills every
//!   process of its group and every child it has, reaps them, repeats
//!   until none is left (see `kill_tree`), and exits.
//! - The launcher dies with the intermediary (SIGKILL as its parent-death
//!   signal); the command, started with `posix_spawnp`, cannot be given one,
//!   which is why the intermediary does the killing.
//!
//! When the command ends by itself, what it left running in the background
//! (a server a `prepare` command started, say) is left alone, as before.

use std::ffi::{CString, OsStr, OsString};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::{Pid, getpid, getppid};

use crate::execute::IoBytes;

/// The running program itself, for [`crate::SystemExecutor::with_intermediary`]
/// in a program that calls [`serve_if_requested`]: on Linux this path
/// names the very binary that runs, even if its file was replaced since.
pub const THIS_PROGRAM: &str = "/proc/self/exe";

/// The hidden first argument that makes a program the intermediary.
pub const ENTRY: &str = "__sloe-spawn";

/// Becomes the intermediary, and exits, when this process was started as
/// one (first argument [`ENTRY`]); returns at once otherwise. Call it first
/// thing in `main`: the less the process has touched before, the fewer
/// pages the command inherits.
pub fn serve_if_requested() {
    let mut args = std::env::args_os();
    if args.nth(1).as_deref() != Some(OsStr::new(ENTRY)) {
        return;
    }
    let argv: Vec<OsString> = args.collect();
    std::process::exit(serve(argv));
}

/// What the intermediary reports about the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Report {
    /// The command ran: its raw wait status and resource usage.
    Ran {
        status: i32,
        wall: Duration,
        user: Duration,
        sys: Duration,
        /// Bytes.
        peak_rss: u64,
        io: Option<IoBytes>,
    },
    /// `execve` failed with this errno (`ENOENT`: not found).
    Exec(i32),
    /// The intermediary itself failed with this errno.
    Fail(i32),
}

impl Report {
    pub(crate) fn encode(&self) -> String {
        match self {
            Report::Ran {
                status,
                wall,
                user,
                sys,
                peak_rss,
                io,
            } => {
                let (r, w) = match io {
                    Some(io) => (io.read.to_string(), io.write.to_string()),
                    None => ("-".to_owned(), "-".to_owned()),
                };
                format!(
                    "ran {status} {} {} {} {peak_rss} {r} {w}\n",
                    wall.as_nanos(),
                    user.as_nanos(),
                    sys.as_nanos()
                )
            }
            Report::Exec(e) => format!("exec {e}\n"),
            Report::Fail(e) => format!("fail {e}\n"),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Report> {
        let mut f = text.split_ascii_whitespace();
        let kind = f.next()?;
        let mut num = || f.next().and_then(|v| v.parse::<u64>().ok());
        let report = match kind {
            "ran" => {
                let status = i32::try_from(num()?).ok()?;
                let wall = Duration::from_nanos(num()?);
                let user = Duration::from_nanos(num()?);
                let sys = Duration::from_nanos(num()?);
                let peak_rss = num()?;
                let io = match (num(), num()) {
                    (Some(read), Some(write)) => Some(IoBytes { read, write }),
                    _ => None,
                };
                Report::Ran {
                    status,
                    wall,
                    user,
                    sys,
                    peak_rss,
                    io,
                }
            }
            "exec" => Report::Exec(i32::try_from(num()?).ok()?),
            "fail" => Report::Fail(i32::try_from(num()?).ok()?),
            _ => return None,
        };
        Some(report)
    }
}

/// The intermediary's work; returns its exit code. `argv` is the command.
fn serve(argv: Vec<OsString>) -> i32 {
    // Standard input is the report socket (a copy, so fd 0 can be replaced
    // in the command without closing the socket here).
    let Ok(sock) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return 125;
    };
    let mut sock = std::fs::File::from(sock);
    let report = match Prepared::new(argv) {
        Ok(prepared) => match launch(&prepared, &mut sock) {
            Ok(()) => return 0,
            Err(e) => Report::Fail(e.raw_os_error().unwrap_or(0)),
        },
        Err(e) => Report::Fail(e.raw_os_error().unwrap_or(0)),
    };
    match sock.write_all(report.encode().as_bytes()) {
        Ok(()) => 0,
        Err(_) => 125,
    }
}

/// The command as `posix_spawnp` takes it, built before the launcher is
/// forked so that the launcher allocates (touches pages) as little as
/// possible before the command starts.
struct Prepared {
    program: CString,
    // Owners of the strings that `argv` and `envp` point into.
    _args: Vec<CString>,
    _env: Vec<CString>,
    argv: Vec<*mut libc::c_char>,
    envp: Vec<*mut libc::c_char>,
    /// Read by `actions`, which dups it to the command's fd 0.
    _devnull: std::fs::File,
    actions: libc::posix_spawn_file_actions_t,
    attr: libc::posix_spawnattr_t,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: both were initialised by `Prepared::new` and are
        // destroyed once, here.
        unsafe {
            libc::posix_spawnattr_destroy(&mut self.attr);
            libc::posix_spawn_file_actions_destroy(&mut self.actions);
        }
    }
}

impl Prepared {
    fn new(argv: Vec<OsString>) -> std::io::Result<Prepared> {
        let to_c = |s: OsString| CString::new(s.into_vec()).map_err(|_| Errno::EINVAL);
        let args: Vec<CString> = argv.into_iter().map(to_c).collect::<Result<_, _>>()?;
        let Some(program) = args.first().cloned() else {
            return Err(Errno::ENOENT.into());
        };
        let env: Vec<CString> = std::env::vars_os()
            .map(|(k, v)| {
                let mut kv = k.into_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                to_c(OsString::from_vec(kv))
            })
            .collect::<Result<_, _>>()?;
        let ptrs = |strings: &[CString]| -> Vec<*mut libc::c_char> {
            strings
                .iter()
                .map(|c| c.as_ptr().cast_mut())
                .chain(std::iter::once(std::ptr::null_mut()))
                .collect()
        };
        let devnull = std::fs::File::open("/dev/null")?;
        let check = |r: libc::c_int| {
            if r == 0 {
                Ok(())
            } else {
                Err(std::io::Error::from_raw_os_error(r))
            }
        };
        // SAFETY: an all-zero value is a valid starting point for these
        // plain C structs, which the `_init` calls then initialise; they
        // are destroyed in `Drop` (even when a later call fails, since
        // `prepared` owns them from here on).
        let mut prepared = unsafe {
            let mut actions: libc::posix_spawn_file_actions_t = std::mem::zeroed();
            check(libc::posix_spawn_file_actions_init(&mut actions))?;
            let mut attr: libc::posix_spawnattr_t = std::mem::zeroed();
            if let Err(e) = check(libc::posix_spawnattr_init(&mut attr)) {
                libc::posix_spawn_file_actions_destroy(&mut actions);
                return Err(e);
            }
            Prepared {
                program,
                argv: ptrs(&args),
                envp: ptrs(&env),
                _args: args,
                _env: env,
                _devnull: devnull,
                actions,
                attr,
            }
        };
        let fd = prepared._devnull.as_raw_fd();
        // SAFETY: the objects are initialised; the signal sets are live
        // locals initialised by sigemptyset before use.
        unsafe {
            check(libc::posix_spawn_file_actions_adddup2(
                &mut prepared.actions,
                fd,
                0,
            ))?;
            let mut default: libc::sigset_t = std::mem::zeroed();
            check(libc::sigemptyset(&mut default))?;
            check(libc::sigaddset(&mut default, libc::SIGPIPE))?;
            check(libc::posix_spawnattr_setsigdefault(
                &mut prepared.attr,
                &default,
            ))?;
            let mut none: libc::sigset_t = std::mem::zeroed();
            check(libc::sigemptyset(&mut none))?;
            check(libc::posix_spawnattr_setsigmask(&mut prepared.attr, &none))?;
            let flags = libc::POSIX_SPAWN_SETSIGDEF | libc::POSIX_SPAWN_SETSIGMASK;
            check(libc::posix_spawnattr_setflags(
                &mut prepared.attr,
                libc::c_short::try_from(flags).unwrap_or(0),
            ))?;
        }
        Ok(prepared)
    }
}

/// Makes the child that `cmd` starts receive `signal` when this process
/// (precisely: the thread that starts it) ends, SIGKILL included; a child
/// whose parent is already gone by then exits before its exec. `cmd` is
/// then started with fork and exec (std uses `posix_spawn` only when there
/// is nothing to run in between).
pub(crate) fn end_with_this_process(cmd: &mut std::process::Command, signal: Signal) {
    use std::os::unix::process::CommandExt;
    let parent = getpid();
    // SAFETY: the closure runs in the forked child before exec and makes
    // only async-signal-safe system calls (prctl, getppid); it allocates
    // nothing (the error is built from a plain errno).
    unsafe {
        cmd.pre_exec(move || {
            prctl::set_pdeathsig(signal)?;
            if getppid() != parent {
                // The parent died before the signal was set: nobody waits.
                return Err(Errno::ESRCH.into());
            }
            Ok(())
        });
    }
}

/// The signals the intermediary waits for: a child ended, or stop.
fn supervised() -> SigSet {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGINT,
    ] {
        set.add(s);
    }
    set
}

/// Forks the launcher, which starts the command, measures it and writes
/// the report to `sock`; supervises it until it ends (see the module's
/// comment, "When sloe dies").
///
/// Why a launcher: the pages a command inherits are those of the process
/// that starts it: all its resident pages with `posix_spawn` (which shares
/// the memory map until the exec), only the copied anonymous ones with
/// `fork`. `fork` costs about 65 µs more than `posix_spawn` per start on
/// the 2-core VM this was measured on (a C loop starting `true`: 630 µs
/// against 566 µs), and that cost would fall inside the measured wall time.
/// So the intermediary forks a launcher first, outside the measured time;
/// the launcher's map holds only what the fork copied (the intermediary's
/// anonymous pages, a few hundred KiB) plus the few pages it touches, and
/// it starts the command with `posix_spawnp`.
fn launch(prepared: &Prepared, sock: &mut std::fs::File) -> std::io::Result<()> {
    let intermediary = getpid().as_raw();
    prctl::set_child_subreaper(true)?;
    // Blocked here, so that they wait for `sigwait` (a signal that came
    // before is kept pending, not lost); the command gets an empty mask
    // from `posix_spawnattr_setsigmask`.
    let before = supervised().thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
    // SAFETY: this process is single-threaded (the intermediary starts no
    // threads), so the forked launcher is a whole copy of it that may run
    // any code; it ends with `_exit` and never returns here.
    let launcher = unsafe { libc::fork() };
    if launcher < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if launcher == 0 {
        // Dies with the intermediary; gone already, it does not start.
        // Straight to libc here, not through nix's wrappers: every code
        // page the launcher faults in (and its neighbours, mapped by
        // fault-around) is counted in the command's peak RSS, since the
        // command is spawned from the launcher's memory map.
        // SAFETY: plain system calls on a live, initialised signal set.
        let tied = unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, before.as_ref(), std::ptr::null_mut()) == 0
                && libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0
                && libc::getppid() == intermediary
        };
        if !tied {
            // SAFETY: as below.
            unsafe { libc::_exit(125) }
        }
        let report =
            measure(prepared).unwrap_or_else(|e| Report::Fail(e.raw_os_error().unwrap_or(0)));
        let code = match sock.write_all(report.encode().as_bytes()) {
            Ok(()) => 0,
            Err(_) => 125,
        };
        // SAFETY: ends the launcher without running the intermediary's
        // exit path a second time.
        unsafe { libc::_exit(code) }
    }
    let status = supervise(Pid::from_raw(launcher))?;
    let ended = std::process::ExitStatus::from_raw(status);
    if ended.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the launcher ended: {ended}"
        )))
    }
}

/// In the intermediary: reaps every child that ends (the launcher, and
/// the orphans of the command's tree that came here as to a subreaper)
/// until the launcher has ended, and returns its raw wait status. A stop
/// signal kills the tree first and ends in an error.
fn supervise(launcher: Pid) -> std::io::Result<i32> {
    let signals = supervised();
    loop {
        if let Some(status) = reap(Some(launcher))? {
            return Ok(status);
        }
        match signals.wait()? {
            Signal::SIGCHLD => {}
            _ => {
                kill_tree(getpid());
                return Err(Errno::EINTR.into());
            }
        }
    }
}

/// Reaps every child that has ended, without waiting; the raw wait status
/// of `launcher` if it was among them.
fn reap(launcher: Option<Pid>) -> std::io::Result<Option<i32>> {
    let mut found = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return Ok(found),
            Ok(status) => {
                if status.pid().is_some() && status.pid() == launcher {
                    found = Some(match status {
                        WaitStatus::Exited(_, code) => (code & 0xff) << 8,
                        WaitStatus::Signaled(_, signal, core) => {
                            signal as i32 | if core { 0x80 } else { 0 }
                        }
                        _ => 0x7f,
                    });
                }
            }
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// How long [`kill_tree`] goes on at most (a tree that forks faster than
/// it is killed).
const KILL_TREE_FOR: Duration = Duration::from_secs(5);

/// In the intermediary (the leader of the execution's process group and a
/// subreaper): SIGKILL to every other process of the group and to every
/// child it has (re-parented descendants that left the group included),
/// reaping them, until there is none left. `killpg` would kill the
/// intermediary too, before the descendants that left the group came to
/// it.
fn kill_tree(me: Pid) {
    let until = Instant::now() + KILL_TREE_FOR;
    loop {
        let mut left = false;
        for (pid, state, ppid, pgrp) in processes() {
            if pid == me || (ppid != me && pgrp != me) {
                continue;
            }
            if state == 'Z' {
                // Reaped below when it is ours; else its parent, killed
                // here, hands it to us.
                left = true;
            } else {
                left = true;
                let _ = kill(pid, Signal::SIGKILL);
            }
        }
        let _ = reap(None);
        if !left || Instant::now() >= until {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Every process: pid, state, parent and process group, from
/// `/proc/<pid>/stat`.
fn processes() -> Vec<(Pid, char, Pid, Pid)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let pid: i32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The name, in parentheses, may hold anything: read after the last one.
        let rest = &stat[stat.rfind(')')? + 1..];
        let mut f = rest.split_ascii_whitespace();
        let state = f.next()?.chars().next()?;
        let ppid: i32 = f.next()?.parse().ok()?;
        let pgrp: i32 = f.next()?.parse().ok()?;
        Some((
            Pid::from_raw(pid),
            state,
            Pid::from_raw(ppid),
            Pid::from_raw(pgrp),
        ))
    })
    .collect()
}

/// In the launcher: starts the command and measures it, from just before
/// `posix_spawnp` to its exit, like hyperfine and `/usr/bin/time`.
fn measure(prepared: &Prepared) -> std::io::Result<Report> {
    let (pid, start) = match spawn(prepared) {
        Ok(started) => started,
        Err(errno) => return Ok(Report::Exec(errno)),
    };
    // Wait for the exit without reaping: /proc/<pid>/io stays readable.
    let waited = loop {
        match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
            Err(Errno::EINTR) => continue,
            other => break other,
        }
    };
    let wall = start.elapsed();
    waited?;
    let io = read_proc_io(pid);
    let (status, usage) = wait4(pid)?;
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Ok(Report::Ran {
        status,
        wall,
        user: time(usage.ru_utime),
        sys: time(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        peak_rss: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        io,
    })
}

/// `posix_spawnp` of the command as [`Prepared`] set it up: standard
/// input from `/dev/null`, SIGPIPE back to its default (the Rust runtime
/// ignores it, and an ignored signal stays ignored across exec), no signal
/// blocked; `PATH` searched as `execvp` does. The pid and the instant just
/// before the call, or the errno (glibc reports a failed exec, `ENOENT`
/// included, here).
fn spawn(prepared: &Prepared) -> Result<(Pid, Instant), i32> {
    let mut pid: libc::pid_t = 0;
    let start = Instant::now();
    // SAFETY: the file actions and attributes were initialised by
    // `Prepared::new`; the strings are NUL-terminated and the arrays
    // null-terminated, all owned by `prepared`, which outlives the call.
    let r = unsafe {
        libc::posix_spawnp(
            &mut pid,
            prepared.program.as_ptr(),
            &prepared.actions,
            &prepared.attr,
            prepared.argv.as_ptr(),
            prepared.envp.as_ptr(),
        )
    };
    if r == 0 {
        Ok((Pid::from_raw(pid), start))
    } else {
        Err(r)
    }
}

/// Reaps `pid`: its raw wait status and the rusage of it and every
/// descendant it waited for.
fn wait4(pid: Pid) -> std::io::Result<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals of the right types.
        let r = unsafe { libc::wait4(pid.as_raw(), &mut status, 0, &mut usage) };
        if r >= 0 {
            return Ok((status, usage));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `rchar` and `wchar` of a (zombie) process: its own and those of every
/// descendant it reaped.
pub(crate) fn read_proc_io(pid: Pid) -> Option<IoBytes> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some(IoBytes {
        read: field("rchar:")?,
        write: field("wchar:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip() {
        let ran = |io| Report::Ran {
            status: 256,
            wall: Duration::from_nanos(1_234_567),
            user: Duration::from_micros(800),
            sys: Duration::from_micros(0),
            peak_rss: 1_015_808,
            io,
        };
        for r in [
            ran(Some(IoBytes {
                read: 10,
                write: 20,
            })),
            ran(None),
            Report::Exec(libc::ENOENT),
            Report::Fail(libc::EAGAIN),
        ] {
            assert_eq!(Report::decode(&r.encode()), Some(r.clone()));
        }
        assert_eq!(Report::decode(""), None);
        assert_eq!(Report::decode("ran 0 1"), None);
        assert_eq!(Report::decode("what 1"), None);
    }
}
