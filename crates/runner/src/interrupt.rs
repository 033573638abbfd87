//! Ctrl-C: kill the running process group, then stop.
//!
//! Children run in process groups of their own, so the terminal's SIGINT
//! reaches sloe alone. The handler records the request and kills the group
//! of the execution in flight; the executor then reports
//! [`RunError::Interrupted`](crate::RunError::Interrupted) and the caller
//! records nothing.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The process group of the execution in flight. Cleared before the child
/// is reaped, so the handler never signals a recycled id.
static RUNNING: Mutex<Option<Pid>> = Mutex::new(None);

/// Why the Ctrl-C handler could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("install the Ctrl-C handler: {0}")]
pub struct InstallError(#[from] ctrlc::Error);

/// Installs the handler for SIGINT, SIGTERM and SIGHUP. Call once.
pub fn install() -> Result<(), InstallError> {
    ctrlc::set_handler(|| {
        REQUESTED.store(true, Ordering::SeqCst);
        if let Ok(running) = RUNNING.lock()
            && let Some(pgid) = *running
        {
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    })?;
    Ok(())
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Marks a process group as the one Ctrl-C kills, until unregistered.
#[derive(Debug)]
pub(crate) struct Guard {
    pid: Pid,
}

impl Guard {
    pub(crate) fn register(pid: Pid) -> Guard {
        if let Ok(mut running) = RUNNING.lock() {
            *running = Some(pid);
        }
        // Ctrl-C between the start and the registration: kill it now.
        if requested() {
            let _ = killpg(pid, Signal::SIGKILL);
        }
        Guard { pid }
    }
}

/// Drop while the child is still unreaped.
impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING.lock()
            && *running == Some(self.pid)
        {
            *running = None;
        }
    }
}
