//! Running one command once and measuring it.
//!
//! Each execution gets its own process group, so a timeout or Ctrl-C can
//! kill everything it started. The child is first waited for without
//! being reaped (`waitid(WNOWAIT)`): while it is a zombie its pid, and so
//! its process group id, cannot be reused, which makes killing the group
//! race-free, and `/proc/<pid>/io` still holds its I/O counters. Then
//! `wait4` reaps it and returns the rusage of the child and every
//! descendant it waited for (Linux reports `RUSAGE_BOTH` there), which is
//! what `/usr/bin/time` reports too.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use wait4::Wait4;

use crate::interrupt;
use crate::sample::{Sample, Sampler};
use crate::shell::{self, ShellOverhead};
use crate::spawn::{self, read_proc_io};

/// What to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// A program and its arguments, run directly.
    Argv(Vec<String>),
    /// A command line run through `sh -c`.
    Shell(String),
}

impl Program {
    /// How the command reads in messages.
    pub fn display(&self) -> String {
        match self {
            Program::Argv(argv) => argv.join(" "),
            Program::Shell(line) => line.clone(),
        }
    }
}

/// Where the command's standard output and error go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// To `/dev/null`, as a benchmark's output should not cost terminal time.
    Discard,
    /// Through to sloe's own standard output and error, untouched.
    Inherit,
    /// Standard output captured (for harnesses whose output is parsed);
    /// standard error passed through.
    Capture,
}

/// One command, ready to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub program: Program,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    /// Kill the process group when an execution takes longer.
    pub timeout: Option<Duration>,
    pub output: Output,
    /// Sample CPU % and RSS of the process group this often.
    pub sample_interval: Option<Duration>,
}

impl Invocation {
    pub fn new(program: Program) -> Self {
        Invocation {
            program,
            cwd: None,
            env: BTreeMap::new(),
            timeout: None,
            output: Output::Discard,
            sample_interval: None,
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl Exit {
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit code {c}"),
            Exit::Signal(s) => match nix::sys::signal::Signal::try_from(*s) {
                Ok(name) => write!(f, "signal {s} ({})", name.as_str()),
                Err(_) => write!(f, "signal {s}"),
            },
        }
    }
}

/// Bytes read and written through system calls (`rchar` and `wchar` of
/// `/proc/<pid>/io`: deterministic, unlike block-device counts that depend
/// on the page cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoBytes {
    pub read: u64,
    pub write: u64,
}

/// What one execution used.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// From just before the process was started to the moment it exited.
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
    /// The largest resident set of the child or any descendant it waited for.
    pub peak_rss: u64,
    /// `None` where `/proc/<pid>/io` cannot be read.
    pub io: Option<IoBytes>,
    pub exit: Exit,
    /// The captured standard output, with [`Output::Capture`].
    pub stdout: Option<Vec<u8>>,
    /// The last lines of standard error of an execution that failed
    /// (non-zero exit or a signal), with [`Output::Discard`] (other modes
    /// pass it through to the terminal).
    pub stderr_tail: Option<String>,
    /// CPU % and RSS over time, with [`Invocation::sample_interval`].
    pub timeline: Vec<Sample>,
}

impl Measurement {
    /// User plus sys time as a percentage of wall time (100 % = one core busy).
    pub fn cpu_percent(&self) -> f64 {
        let wall = self.wall.as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        (self.user + self.sys).as_secs_f64() / wall * 100.0
    }
}

/// Why a command could not be executed or measured. Messages read after
/// "failed to".
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("start `{program}`: command not found (is it installed and on PATH?)")]
    NotFound { program: String },
    #[error("start `{program}`: {source}")]
    CannotStart {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "finish `{program}`: it timed out after {} and its process group was killed",
        format_duration(*after)
    )]
    TimedOut { program: String, after: Duration },
    #[error("finish `{program}`: interrupted by {by}; its processes were killed")]
    Interrupted {
        program: String,
        by: interrupt::Caught,
    },
    #[error("wait for `{program}`: {source}")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.3} s")
    } else {
        format!("{:.3} ms", s * 1e3)
    }
}

/// Runs one command once. The real one starts processes; the fake
/// ([`crate::fake::FakeExecutor`]) replays scripted measurements so tests
/// never depend on the clock.
pub trait Executor {
    fn execute(&mut self, invocation: &Invocation) -> Result<Measurement, RunError>;

    /// The start-up cost of the shell, which the measurement loop subtracts
    /// from every execution of a shell command. The real executor measures
    /// it on first use and keeps it, so one `sloe run` pays for it once.
    fn shell_overhead(&mut self) -> Result<ShellOverhead, RunError>;
}

/// Starts real processes.
///
/// By default it starts each command itself (`posix_spawn`), and the
/// command's peak RSS then includes the pages of the calling process (see
/// [`crate::spawn`]). [`SystemExecutor::with_intermediary`] starts them
/// through the intermediary instead, which is what `sloe` does.
#[derive(Debug, Default, Clone)]
pub struct SystemExecutor {
    live: Option<mpsc::Sender<Sample>>,
    /// The calibrated shell start-up, once measured.
    shell: Option<ShellOverhead>,
    /// The program run as the intermediary, if any.
    intermediary: Option<PathBuf>,
}

impl SystemExecutor {
    /// An executor that also sends every resource sample, as it is taken,
    /// to `live` (for a live view such as `sloe monitor`).
    pub fn with_live_samples(live: mpsc::Sender<Sample>) -> SystemExecutor {
        SystemExecutor {
            live: Some(live),
            ..SystemExecutor::default()
        }
    }

    /// Starts every command through `program` run as the intermediary: a
    /// program whose `main` calls [`crate::spawn::serve_if_requested`]
    /// first, such as [`crate::spawn::THIS_PROGRAM`] in `sloe` itself.
    pub fn with_intermediary(mut self, program: impl Into<PathBuf>) -> SystemExecutor {
        self.intermediary = Some(program.into());
        self
    }
}

/// The last lines of a failing command's standard error kept for its error
/// message: at most this many lines ...
const TAIL_LINES: usize = 10;
/// ... and at most this many bytes.
const TAIL_BYTES: usize = 2048;
/// How long a failed execution waits for the end of its standard error
/// (a background process it started may keep the pipe open).
const TAIL_WAIT: Duration = Duration::from_millis(200);

impl Executor for SystemExecutor {
    fn shell_overhead(&mut self) -> Result<ShellOverhead, RunError> {
        if let Some(o) = self.shell {
            return Ok(o);
        }
        let o = shell::calibrate_shell(self, shell::CALIBRATION_RUNS)?;
        self.shell = Some(o);
        Ok(o)
    }

    fn execute(&mut self, inv: &Invocation) -> Result<Measurement, RunError> {
        let shown = inv.program.display();
        if let Some(by) = interrupt::caught() {
            return Err(RunError::Interrupted { program: shown, by });
        }
        let argv: Vec<&str> = match &inv.program {
            Program::Argv(argv) => argv.iter().map(String::as_str).collect(),
            Program::Shell(line) => vec!["sh", "-c", line],
        };
        let Some((program, args)) = argv.split_first() else {
            return Err(RunError::NotFound { program: shown });
        };
        let cannot_start = |source| RunError::CannotStart {
            program: program_name(&inv.program),
            source,
        };
        let (mut cmd, mut report) = match &self.intermediary {
            None => {
                let mut c = Command::new(program);
                c.args(args).stdin(Stdio::null());
                (c, None)
            }
            Some(intermediary) => {
                let mut c = Command::new(intermediary);
                c.arg(spawn::ENTRY).args(&argv);
                // Its standard input is the report socket; it gives the
                // command /dev/null.
                let (ours, theirs) = UnixStream::pair().map_err(cannot_start)?;
                c.stdin(Stdio::from(OwnedFd::from(theirs)));
                (c, Some(ours))
            }
        };
        if let Some(dir) = &inv.cwd {
            cmd.current_dir(dir);
        }
        cmd.envs(&inv.env);
        match inv.output {
            Output::Discard => {
                // Standard error is kept (its tail) for a failure's message.
                cmd.stdout(Stdio::null()).stderr(Stdio::piped());
            }
            Output::Inherit => {
                cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
            }
            Output::Capture => {
                cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
            }
        }
        // A group of its own: killing it reaches every descendant that did
        // not leave it (the intermediary and the command included), and the
        // terminal's Ctrl-C reaches only sloe, which then kills the group
        // itself.
        cmd.process_group(0);
        // If sloe dies (SIGKILL included), the kernel signals the child:
        // the intermediary then kills the command's tree and exits; a
        // command started directly is killed (with the group it leads
        // when it is alone in it).
        let stop = match self.intermediary {
            Some(_) => interrupt::Stop::AskIntermediary,
            None => interrupt::Stop::KillGroup,
        };
        spawn::end_with_this_process(
            &mut cmd,
            match stop {
                interrupt::Stop::AskIntermediary => Signal::SIGTERM,
                interrupt::Stop::KillGroup => Signal::SIGKILL,
            },
        );

        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound if self.intermediary.is_none() => RunError::NotFound {
                program: program_name(&inv.program),
            },
            _ => cannot_start(e),
        })?;
        // The command holds the socket's other end, not this process.
        drop(cmd);
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let group = interrupt::Guard::register(pid, stop);
        let sampler = inv.sample_interval.map(|every| {
            // The intermediary's own CPU time and memory are not the command's.
            let leader = self.intermediary.as_ref().map(|_| pid.as_raw());
            Sampler::start(pid.as_raw(), leader, start, every, self.live.clone())
        });

        let reader = child.stdout.take().map(|mut out| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                // A read error leaves what was read; the exit status says the rest.
                let _ = out.read_to_end(&mut buf);
                buf
            })
        });
        let stderr_tail = child.stderr.take().map(|err| {
            let (tx, rx) = mpsc::channel::<String>();
            std::thread::spawn(move || {
                let _ = tx.send(read_tail(err));
            });
            rx
        });
        let timed_out = Arc::new(Mutex::new(false));
        let watchdog = inv.timeout.map(|limit| {
            let (tx, rx) = mpsc::channel::<()>();
            let flag = Arc::clone(&timed_out);
            let handle = std::thread::spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                    if let Ok(mut f) = flag.lock() {
                        *f = true;
                    }
                    // The child is at worst a zombie here (it is reaped only
                    // after this thread is joined), so the pid and the group
                    // id are ours.
                    interrupt::stop(pid, stop);
                }
            });
            (tx, handle)
        });

        // Wait for the exit without reaping.
        let waited = loop {
            match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
                Err(Errno::EINTR) => continue,
                other => break other,
            }
        };
        let wall = start.elapsed();
        // The group's processes have exited or are about to be killed.
        let timeline = sampler.map(Sampler::finish).unwrap_or_default();
        if let Err(e) = waited {
            return Err(RunError::Wait {
                program: shown,
                source: e.into(),
            });
        }
        let io = read_proc_io(pid);
        if let Some((tx, handle)) = watchdog {
            drop(tx);
            let _ = handle.join();
        }
        let timed_out = timed_out.lock().map(|f| *f).unwrap_or(false);
        if timed_out || interrupt::requested() {
            // The intermediary killed the tree before it exited; whatever
            // of the group is left (it could not have been) goes too. The
            // leader is unreaped, so the group id is still ours.
            let _ = killpg(pid, Signal::SIGKILL);
        }
        drop(group);

        let usage = child.wait4().map_err(|source| RunError::Wait {
            program: shown.clone(),
            source,
        })?;
        let report = report.as_mut().map(|sock| {
            // The intermediary has exited: its report is all there is.
            let mut text = String::new();
            let _ = sock.set_nonblocking(true);
            let _ = sock.read_to_string(&mut text);
            text
        });
        let stdout = reader.map(|r| r.join().unwrap_or_default());

        if timed_out && let Some(after) = inv.timeout {
            return Err(RunError::TimedOut {
                program: shown,
                after,
            });
        }
        if let Some(by) = interrupt::caught() {
            return Err(RunError::Interrupted { program: shown, by });
        }
        let (status, wall, user, sys, peak_rss, io) = match report {
            None => (
                usage.status,
                wall,
                usage.rusage.utime,
                usage.rusage.stime,
                usage.rusage.maxrss,
                io,
            ),
            Some(text) => match spawn::Report::decode(&text) {
                Some(spawn::Report::Ran {
                    status,
                    wall,
                    user,
                    sys,
                    peak_rss,
                    io,
                }) => (ExitStatus::from_raw(status), wall, user, sys, peak_rss, io),
                Some(spawn::Report::Exec(errno)) => {
                    return Err(match errno {
                        libc::ENOENT => RunError::NotFound {
                            program: program_name(&inv.program),
                        },
                        _ => cannot_start(std::io::Error::from_raw_os_error(errno)),
                    });
                }
                Some(spawn::Report::Fail(errno)) => {
                    return Err(cannot_start(std::io::Error::from_raw_os_error(errno)));
                }
                None => {
                    return Err(RunError::Wait {
                        program: shown,
                        source: std::io::Error::other(format!(
                            "sloe's intermediary process ended ({}) without reporting",
                            exit_of(usage.status)
                        )),
                    });
                }
            },
        };
        let exit = exit_of(status);
        // A failure's message shows the end of its standard error; a
        // success does not wait for it.
        let stderr_tail = match stderr_tail {
            Some(rx) if !exit.success() => rx.recv_timeout(TAIL_WAIT).ok(),
            _ => None,
        };
        Ok(Measurement {
            wall,
            user,
            sys,
            peak_rss,
            io,
            exit,
            stdout,
            stderr_tail,
            timeline,
        })
    }
}

fn exit_of(status: ExitStatus) -> Exit {
    match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(s)) => Exit::Signal(s),
        (None, None) => Exit::Code(-1),
    }
}

/// Reads `from` to its end and returns its last [`TAIL_LINES`] lines, at
/// most [`TAIL_BYTES`] bytes of them.
fn read_tail(mut from: impl Read) -> String {
    let mut kept: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match from.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > 2 * TAIL_BYTES {
                    kept.drain(..kept.len() - TAIL_BYTES);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    tail(&kept, TAIL_LINES, TAIL_BYTES)
}

/// The last `lines` lines of `bytes`, at most `max` bytes of them (a line
/// cut at the front reads from where the cut fell), without the final
/// newline; invalid UTF-8 is replaced.
pub(crate) fn tail(bytes: &[u8], lines: usize, max: usize) -> String {
    let mut end = bytes.len();
    while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let bytes = &bytes[..end];
    let mut from = bytes.len().saturating_sub(max);
    if let Some(nl) = bytes[from..]
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, b)| **b == b'\n')
        .nth(lines.saturating_sub(1))
        .map(|(i, _)| from + i)
    {
        from = nl + 1;
    }
    String::from_utf8_lossy(&bytes[from..]).into_owned()
}

fn program_name(p: &Program) -> String {
    match p {
        Program::Argv(argv) => argv.first().cloned().unwrap_or_default(),
        Program::Shell(_) => "sh".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_lines_within_the_byte_bound() {
        let text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let t = tail(text.as_bytes(), 10, 2048);
        assert_eq!(t.lines().count(), 10);
        assert!(
            t.starts_with("line 21\n") && t.ends_with("line 30"),
            "{t:?}"
        );
        // Fewer lines than asked: all of them.
        assert_eq!(tail(b"only\n", 10, 2048), "only");
        assert_eq!(tail(b"", 10, 2048), "");
        // One long line is cut to the last `max` bytes.
        let long = vec![b'x'; 5000];
        assert_eq!(tail(&long, 10, 2048).len(), 2048);
        // The bound wins over the line count.
        let t = tail(text.as_bytes(), 10, 16);
        assert!(t.len() <= 16 && t.ends_with("line 30"), "{t:?}");
    }

    #[test]
    fn reading_a_tail_bounds_memory_and_keeps_the_end() {
        let text: String = (1..=100_000).map(|i| format!("line {i}\n")).collect();
        let t = read_tail(text.as_bytes());
        assert!(
            t.ends_with("line 100000") && t.lines().count() == 10,
            "{t:?}"
        );
    }
}
