//! Ctrl-C, SIGTERM and SIGHUP: stop the running execution, then stop.
//!
//! Children run in process groups of their own, so the terminal's SIGINT
//! reaches sloe alone. A thread of [`install`] receives the signal, records
//! which one it was (the first one wins) and stops the execution in
//! flight: through its intermediary, which kills the command's whole tree
//! (see [`crate::spawn`]), or by killing its process group when a command
//! was started directly. The executor then reports
//! [`RunError::Interrupted`](crate::RunError::Interrupted) naming the
//! signal, and the caller records nothing.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The number of the first signal caught; 0 before.
static CAUGHT: AtomicI32 = AtomicI32::new(0);
/// The execution in flight. Cleared before the child is reaped, so the
/// handler never signals a recycled id.
static RUNNING: Mutex<Option<(Pid, Stop)>> = Mutex::new(None);
/// Whether [`install`] ran, and how it went.
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Why the signal handler could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("install the handler of Ctrl-C, SIGTERM and SIGHUP: {0}")]
pub struct InstallError(String);

/// A signal that stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// SIGINT, which Ctrl-C sends.
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP.
    HangUp,
}

impl Caught {
    fn from_number(n: i32) -> Option<Caught> {
        match n {
            SIGINT => Some(Caught::Interrupt),
            SIGTERM => Some(Caught::Terminate),
            SIGHUP => Some(Caught::HangUp),
            _ => None,
        }
    }

    /// The signal's number (a shell reports a command it ended as exiting
    /// with 128 plus this).
    pub fn number(self) -> i32 {
        match self {
            Caught::Interrupt => SIGINT,
            Caught::Terminate => SIGTERM,
            Caught::HangUp => SIGHUP,
        }
    }

    /// The signal's name: `SIGINT`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            Caught::Interrupt => "SIGINT",
            Caught::Terminate => "SIGTERM",
            Caught::HangUp => "SIGHUP",
        }
    }
}

/// `SIGTERM`, `SIGHUP`, or `SIGINT (Ctrl-C)`.
impl std::fmt::Display for Caught {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caught::Interrupt => write!(f, "SIGINT (Ctrl-C)"),
            other => f.write_str(other.name()),
        }
    }
}

/// How the execution in flight is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// SIGTERM to the intermediary (the process group's leader), which
    /// kills the command's whole tree, re-parented descendants included,
    /// and exits.
    AskIntermediary,
    /// SIGKILL to the process group (a command started directly).
    KillGroup,
}

/// Stops the execution whose process group is `pid` (its leader's pid).
pub(crate) fn stop(pid: Pid, how: Stop) {
    let _ = match how {
        Stop::AskIntermediary => kill(pid, Signal::SIGTERM),
        Stop::KillGroup => killpg(pid, Signal::SIGKILL),
    };
}

/// Installs the handler of SIGINT, SIGTERM and SIGHUP (a thread that waits
/// for them). Later calls do nothing more.
pub fn install() -> Result<(), InstallError> {
    INSTALLED
        .get_or_init(|| {
            let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP]).map_err(|e| e.to_string())?;
            std::thread::Builder::new()
                .name("sloe-signals".to_owned())
                .spawn(move || {
                    for signal in signals.forever() {
                        let _ =
                            CAUGHT.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
                        REQUESTED.store(true, Ordering::SeqCst);
                        if let Ok(running) = RUNNING.lock()
                            && let Some((pid, how)) = *running
                        {
                            stop(pid, how);
                        }
                    }
                })
                .map(|_detached| ())
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(InstallError)
}

/// Whether a stop signal (Ctrl-C, SIGTERM, SIGHUP) arrived.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The first stop signal that arrived, if any.
pub fn caught() -> Option<Caught> {
    Caught::from_number(CAUGHT.load(Ordering::SeqCst))
}

/// Marks an execution as the one a stop signal stops, until dropped.
#[derive(Debug)]
pub(crate) struct Guard {
    pid: Pid,
}

impl Guard {
    pub(crate) fn register(pid: Pid, how: Stop) -> Guard {
        if let Ok(mut running) = RUNNING.lock() {
            *running = Some((pid, how));
        }
        // A signal between the start and the registration: stop it now.
        if requested() {
            stop(pid, how);
        }
        Guard { pid }
    }
}

/// Drop while the child is still unreaped.
impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING.lock()
            && running.map(|(pid, _)| pid) == Some(self.pid)
        {
            *running = None;
        }
    }
}
