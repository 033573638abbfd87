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
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
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
            Exit::Signal(s) => write!(f, "signal {s}"),
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
    #[error("finish `{program}`: interrupted (Ctrl-C); its process group was killed")]
    Interrupted { program: String },
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
#[derive(Debug, Default, Clone)]
pub struct SystemExecutor {
    live: Option<mpsc::Sender<Sample>>,
    /// The calibrated shell start-up, once measured.
    shell: Option<ShellOverhead>,
}

impl SystemExecutor {
    /// An executor that also sends every resource sample, as it is taken,
    /// to `live` (for a live view such as `sloe monitor`).
    pub fn with_live_samples(live: mpsc::Sender<Sample>) -> SystemExecutor {
        SystemExecutor {
            live: Some(live),
            shell: None,
        }
    }
}

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
        if interrupt::requested() {
            return Err(RunError::Interrupted { program: shown });
        }
        let mut cmd = match &inv.program {
            Program::Argv(argv) => {
                let Some((program, args)) = argv.split_first() else {
                    return Err(RunError::NotFound { program: shown });
                };
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            Program::Shell(line) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(line);
                c
            }
        };
        if let Some(dir) = &inv.cwd {
            cmd.current_dir(dir);
        }
        cmd.envs(&inv.env);
        cmd.stdin(Stdio::null());
        match inv.output {
            Output::Discard => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
            Output::Inherit => {
                cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
            }
            Output::Capture => {
                cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
            }
        }
        // A group of its own: killing it reaches every descendant that did
        // not leave it, and the terminal's Ctrl-C reaches only sloe, which
        // then kills the group itself.
        cmd.process_group(0);

        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RunError::NotFound {
                program: program_name(&inv.program),
            },
            _ => RunError::CannotStart {
                program: program_name(&inv.program),
                source: e,
            },
        })?;
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let group = interrupt::Guard::register(pid);
        let sampler = inv
            .sample_interval
            .map(|every| Sampler::start(pid.as_raw(), start, every, self.live.clone()));

        let reader = child.stdout.take().map(|mut out| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                // A read error leaves what was read; the exit status says the rest.
                let _ = out.read_to_end(&mut buf);
                buf
            })
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
                    // after this thread is joined), so the group id is ours.
                    let _ = killpg(pid, Signal::SIGKILL);
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
        drop(group);

        let usage = child.wait4().map_err(|source| RunError::Wait {
            program: shown.clone(),
            source,
        })?;
        let stdout = reader.map(|r| r.join().unwrap_or_default());

        if timed_out.lock().map(|f| *f).unwrap_or(false)
            && let Some(after) = inv.timeout
        {
            return Err(RunError::TimedOut {
                program: shown,
                after,
            });
        }
        if interrupt::requested() {
            return Err(RunError::Interrupted { program: shown });
        }
        let exit = {
            use std::os::unix::process::ExitStatusExt;
            match (usage.status.code(), usage.status.signal()) {
                (Some(c), _) => Exit::Code(c),
                (None, Some(s)) => Exit::Signal(s),
                (None, None) => Exit::Code(-1),
            }
        };
        Ok(Measurement {
            wall,
            user: usage.rusage.utime,
            sys: usage.rusage.stime,
            peak_rss: usage.rusage.maxrss,
            io,
            exit,
            stdout,
            timeline,
        })
    }
}

fn program_name(p: &Program) -> String {
    match p {
        Program::Argv(argv) => argv.first().cloned().unwrap_or_default(),
        Program::Shell(_) => "sh".to_owned(),
    }
}

/// `rchar` and `wchar` of a (zombie) process: its own and those of every
/// descendant it reaped.
fn read_proc_io(pid: Pid) -> Option<IoBytes> {
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
