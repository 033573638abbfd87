//! sloe-runner: running commands and measuring them.
//!
//! Owns process execution (one process group per execution, so timeouts,
//! Ctrl-C, SIGTERM and SIGHUP kill the whole tree, and the tree dies with
//! sloe even when sloe is killed by SIGKILL), resource usage of the process tree
//! (wall time by the monotonic clock; user and sys CPU time and peak RSS
//! from `wait4`'s rusage of the child and its waited-for descendants; I/O
//! bytes from `/proc/<pid>/io`), shell start-up calibration (the executor
//! measures it once and the measurement loop subtracts it from shell
//! commands), and the measurement loop (warm-up, adaptive number of runs,
//! outliers). Commands are started through a small intermediary process
//! ([`spawn`]) so their peak RSS does not include sloe's own pages.
//!
//! It depends on sloe-core only (for the statistics). It must not know
//! about the config file, the store, reports or terminals: sloe-app turns a
//! `[[benchmark]]` into an [`Invocation`] and a [`Plan`], and the CLI
//! renders the [`Samples`] it gets back.

pub mod benchmark;
pub mod execute;
pub mod fake;
pub mod interrupt;
pub mod sample;
pub mod shell;
// The intermediary's fork, exec and wait4 (see the module's comment).
#[expect(unsafe_code)]
pub mod spawn;

pub use benchmark::{BenchError, Phase, Plan, Samples, measure, measure_pairs};
pub use execute::{
    Executor, Exit, Invocation, IoBytes, Measurement, Output, Program, RunError, SystemExecutor,
};
pub use sample::Sample;
pub use shell::{ShellOverhead, calibrate_shell};
