//! Shell start-up calibration: what `sh -c ''` costs, measured once per
//! executor and subtracted from every execution of a shell command, as
//! hyperfine does, so that `--shell` times the command and not the shell.

use std::time::Duration;

use crate::execute::{Executor, Invocation, Measurement, Output, Program, RunError};

/// How many timed executions of `sh -c ''` the calibration averages.
pub const CALIBRATION_RUNS: u32 = 50;

/// The mean start-up cost of `sh -c ''`, subtracted from shell commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShellOverhead {
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
}

/// Measures the start-up time of the shell: `runs` executions of
/// `sh -c ''` after three warm-up runs; the means are what hyperfine
/// subtracts too.
pub fn calibrate_shell(exec: &mut dyn Executor, runs: u32) -> Result<ShellOverhead, RunError> {
    let mut inv = Invocation::new(Program::Shell(String::new()));
    inv.output = Output::Discard;
    for _ in 0..3 {
        exec.execute(&inv)?;
    }
    let runs = runs.max(1);
    let mut total = ShellOverhead::default();
    for _ in 0..runs {
        let m = exec.execute(&inv)?;
        total.wall += m.wall;
        total.user += m.user;
        total.sys += m.sys;
    }
    Ok(ShellOverhead {
        wall: total.wall / runs,
        user: total.user / runs,
        sys: total.sys / runs,
    })
}

/// What to subtract from executions of `inv`: the executor's shell
/// overhead for a shell command, nothing for a program run directly.
pub(crate) fn overhead_of(
    exec: &mut dyn Executor,
    inv: &Invocation,
) -> Result<Option<ShellOverhead>, RunError> {
    match inv.program {
        Program::Shell(_) => exec.shell_overhead().map(Some),
        Program::Argv(_) => Ok(None),
    }
}

/// `m` with the shell's start-up cost taken off, when it ran through one.
pub(crate) fn strip(mut m: Measurement, overhead: Option<ShellOverhead>) -> Measurement {
    if let Some(o) = overhead {
        m.wall = m.wall.saturating_sub(o.wall);
        m.user = m.user.saturating_sub(o.user);
        m.sys = m.sys.saturating_sub(o.sys);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeExecutor;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn calibration_averages_the_timed_runs_after_three_warm_ups() {
        let mut exec = FakeExecutor::from_walls([ms(9), ms(9), ms(9), ms(1), ms(3)]);
        let o = calibrate_shell(&mut exec, 2).expect("ok");
        assert_eq!(o.wall, ms(2));
        assert_eq!(exec.executions(), 5);
        assert!(
            exec.log()
                .iter()
                .all(|i| i.program == Program::Shell(String::new()))
        );
    }
}
