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
//! anything allocates much), which `fork`s and `exec`s the command and
//! reaps it with `wait4`: the pages the command can inherit are the
//! intermediary's few, as they are `/usr/bin/time`'s.
//!
//! The intermediary is started in the execution's own process group (the
//! command inherits it), its standard output and error are the command's,
//! and its standard input is one end of a socket pair: it gives the command
//! `/dev/null` as standard input instead and writes its report on that
//! socket, one text line (see [`Report`]).

use std::ffi::{CString, OsStr, OsString};
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

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
    let report = run(argv).unwrap_or_else(|e| Report::Fail(e.raw_os_error().unwrap_or(0)));
    match sock.write_all(report.encode().as_bytes()) {
        Ok(()) => 0,
        Err(_) => 125,
    }
}

fn run(argv: Vec<OsString>) -> std::io::Result<Report> {
    let Some(program) = argv.first().cloned() else {
        return Ok(Report::Exec(libc::ENOENT));
    };
    // Everything the child needs is built here: between fork and exec it
    // must not allocate.
    let to_c = |s: OsString| CString::new(s.into_vec()).map_err(|_| Errno::EINVAL);
    let args: Vec<CString> = argv.into_iter().map(to_c).collect::<Result<_, _>>()?;
    let env: Vec<CString> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            to_c(OsString::from_vec(kv))
        })
        .collect::<Result<_, _>>()?;
    let candidates: Vec<CString> = search_path(&program)
        .into_iter()
        .map(to_c)
        .collect::<Result<_, _>>()?;
    let arg_ptrs = null_terminated(&args);
    let env_ptrs = null_terminated(&env);
    let cand_ptrs: Vec<*const libc::c_char> = candidates.iter().map(|c| c.as_ptr()).collect();
    let devnull = std::fs::File::open("/dev/null")?;
    let (mut exec_err_r, exec_err_w) = std::io::pipe()?;

    let start = Instant::now();
    // SAFETY: this process is single-threaded (the intermediary starts no
    // threads), so the child may run any code; it runs only `exec_child`,
    // which does not allocate and calls only async-signal-safe functions.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        exec_child(
            devnull.as_raw_fd(),
            exec_err_w.as_raw_fd(),
            &cand_ptrs,
            &arg_ptrs,
            &env_ptrs,
        );
    }
    drop(exec_err_w);
    drop(devnull);
    let pid = Pid::from_raw(pid);
    // Wait for the exit without reaping: /proc/<pid>/io stays readable.
    // (Nothing else in between: one wake-up only while the clock runs.)
    let waited = loop {
        match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
            Err(Errno::EINTR) => continue,
            other => break other,
        }
    };
    let wall = start.elapsed();
    waited?;
    // The exec-error pipe was closed by the exec (close-on-exec) when it
    // succeeded, or carries the errno when it failed; either way the child
    // is gone, so this read does not block (a grandchild never holds it:
    // a successful exec closed it before the command could fork).
    let mut errno = [0u8; 4];
    let exec_failed = matches!(exec_err_r.read(&mut errno), Ok(4));
    let io = read_proc_io(pid);
    let (status, usage) = wait4(pid)?;
    if exec_failed {
        return Ok(Report::Exec(i32::from_ne_bytes(errno)));
    }
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

/// Where `execvp` would look for `program`: itself when it holds a slash,
/// else each directory of `PATH` (an empty entry is the current
/// directory; without `PATH`, glibc's default `/bin:/usr/bin`).
fn search_path(program: &OsStr) -> Vec<OsString> {
    if program.is_empty() {
        return Vec::new();
    }
    if program.as_bytes().contains(&b'/') {
        return vec![program.to_owned()];
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/bin:/usr/bin"));
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            let mut p = if dir.is_empty() {
                b".".to_vec()
            } else {
                dir.to_vec()
            };
            p.push(b'/');
            p.extend_from_slice(program.as_bytes());
            OsString::from_vec(p)
        })
        .collect()
}

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// The forked child: standard input from `/dev/null`, SIGPIPE back to its
/// default (the Rust runtime ignores it, and an ignored signal stays
/// ignored across exec), then `execve` of each candidate in turn, as
/// `execvp` does (on to the next after ENOENT, ENOTDIR or EACCES; EACCES
/// is reported when nothing else worked). On failure the errno goes to
/// `err` and the child exits 127. No allocation, only async-signal-safe
/// calls.
fn exec_child(
    devnull: RawFd,
    err: RawFd,
    candidates: &[*const libc::c_char],
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
) -> ! {
    let mut errno = libc::ENOENT;
    // SAFETY: plain system calls on descriptors this process owns, and
    // `execve` with NUL-terminated strings and null-terminated arrays that
    // live until the call (built by `run` before the fork).
    unsafe {
        if libc::dup2(devnull, 0) < 0 || libc::signal(libc::SIGPIPE, libc::SIG_DFL) == libc::SIG_ERR
        {
            errno = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL);
        } else {
            for &path in candidates {
                libc::execve(path, argv.as_ptr(), envp.as_ptr());
                match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::ENOENT | libc::ENOTDIR) => {}
                    Some(libc::EACCES) => errno = libc::EACCES,
                    Some(e) => {
                        errno = e;
                        break;
                    }
                    None => break,
                }
            }
        }
        let bytes = errno.to_ne_bytes();
        libc::write(err, bytes.as_ptr().cast(), bytes.len());
        libc::_exit(127)
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

    #[test]
    fn the_search_follows_path_like_execvp() {
        assert_eq!(search_path(OsStr::new("./x")), vec![OsString::from("./x")]);
        assert!(search_path(OsStr::new("")).is_empty());
        // PATH is the test process's own; every candidate ends in /name.
        let c = search_path(OsStr::new("true"));
        assert!(!c.is_empty());
        assert!(c.iter().all(|p| p.as_bytes().ends_with(b"/true")), "{c:?}");
    }
}
