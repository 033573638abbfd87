//! The measurement loop: warm-up runs, then timed runs until both the
//! minimum number of runs and the minimum measured time are reached
//! (bounded by the maximum number of runs), as hyperfine does; the
//! executor's shell start-up time subtracted from shell commands; outliers
//! flagged.

use std::time::Duration;

use sloe_core::stats;

use crate::execute::{Executor, Exit, Invocation, Measurement, Program, RunError};
use crate::shell::{ShellOverhead, overhead_of, strip};

/// How many times to run a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Untimed runs first, to warm caches.
    pub warmup: u32,
    pub min_runs: u32,
    /// At least `min_runs`.
    pub max_runs: u32,
    /// Keep running (up to `max_runs`) until the measured wall times add up to this.
    pub min_time: Duration,
}

impl Plan {
    /// hyperfine's defaults: at least 10 runs and 3 seconds.
    pub const DEFAULT: Plan = Plan {
        warmup: 0,
        min_runs: 10,
        max_runs: 10_000,
        min_time: Duration::from_secs(3),
    };

    /// Exactly `runs` timed runs.
    pub fn exact(runs: u32, warmup: u32) -> Plan {
        Plan {
            warmup,
            min_runs: runs,
            max_runs: runs,
            min_time: Duration::ZERO,
        }
    }

    /// How many runs the loop expects to make, given the mean so far.
    fn estimate(&self, done: u32, mean_wall: Option<Duration>) -> u32 {
        let by_time = match mean_wall {
            Some(m) if !m.is_zero() => {
                let n = (self.min_time.as_secs_f64() / m.as_secs_f64()).ceil();
                if n.is_finite() && n < f64::from(u32::MAX) {
                    n as u32
                } else {
                    u32::MAX
                }
            }
            _ => self.min_runs,
        };
        by_time.max(self.min_runs).max(done).min(self.max_runs)
    }
}

/// Progress, reported to the caller as the loop goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Warmup {
        done: u32,
        total: u32,
    },
    /// `expected` is the current estimate of the number of timed runs.
    Run {
        done: u32,
        expected: u32,
    },
}

/// Why a benchmark could not be measured. Messages read after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("run `{program}`: {} {run} ended with {exit}{hint}{}", if *warmup { "warm-up run" } else { "run" }, stderr_block(stderr.as_deref()))]
    Failed {
        program: String,
        run: u32,
        warmup: bool,
        exit: Exit,
        hint: String,
        /// The last lines of its standard error, when they were kept.
        stderr: Option<String>,
    },
    #[error("prepare for `{program}`: `{prepare}` ended with {exit}{}", stderr_block(stderr.as_deref()))]
    PrepareFailed {
        program: String,
        prepare: String,
        exit: Exit,
        /// The last lines of its standard error, when they were kept.
        stderr: Option<String>,
    },
}

/// A failed command's standard error tail, as the end of its message.
fn stderr_block(tail: Option<&str>) -> String {
    match tail {
        Some(t) if !t.trim().is_empty() => {
            let lines: String = t.lines().map(|l| format!("\n  | {l}")).collect();
            format!("; the last lines of its standard error:{lines}")
        }
        _ => String::new(),
    }
}

/// The timed runs of one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    pub measurements: Vec<Measurement>,
    /// What was subtracted from each shell command's times.
    pub shell_overhead: Option<ShellOverhead>,
}

impl Samples {
    /// Wall times in nanoseconds, in run order.
    pub fn wall_ns(&self) -> Vec<f64> {
        self.measurements
            .iter()
            .map(|m| m.wall.as_nanos() as f64)
            .collect()
    }

    /// Runs (0-based) whose wall time is an outlier by the modified z-score.
    pub fn outliers(&self) -> Vec<usize> {
        stats::outliers(&self.wall_ns())
    }
}

/// Runs `inv` by `plan`: `prepare` before every run (warm-up included),
/// each run's times corrected by the executor's shell overhead
/// ([`Executor::shell_overhead`]) when `inv` runs through a shell. A run that fails
/// (non-zero exit) stops the loop: a benchmark of a failing command
/// measures nothing worth keeping.
pub fn measure(
    exec: &mut dyn Executor,
    inv: &Invocation,
    prepare: Option<&Invocation>,
    plan: &Plan,
    on_progress: &mut dyn FnMut(Phase),
) -> Result<Samples, BenchError> {
    let overhead = overhead_of(exec, inv)?;
    let mut measurements: Vec<Measurement> = Vec::new();
    follow_plan(plan, on_progress, |run, warmup| {
        let m = run_once(exec, inv, prepare, run, warmup)?;
        let wall = m.wall;
        if !warmup {
            measurements.push(strip(m, overhead));
        }
        Ok(wall)
    })?;
    Ok(Samples {
        measurements,
        shell_overhead: overhead,
    })
}

/// A/B mode: measures a baseline (`a`) and a candidate (`b`) interleaved,
/// A B A B ...: `plan.warmup` warm-up pairs first, then pairs until the
/// plan is met (`min_runs`/`max_runs` count pairs, `min_time` the
/// candidate's measured time), so that neighbouring executions share the
/// machine's state and the paired differences cancel it. `prepare` runs
/// before every execution of either side. Each side that runs through a
/// shell has the shell's start-up subtracted, as [`measure`] does. Returns the two sides' samples, pair
/// `i` at index `i` of both.
pub fn measure_pairs(
    exec: &mut dyn Executor,
    (a, b): (&Invocation, &Invocation),
    prepare: Option<&Invocation>,
    plan: &Plan,
    on_progress: &mut dyn FnMut(Phase),
) -> Result<(Samples, Samples), BenchError> {
    let overhead_a = overhead_of(exec, a)?;
    let overhead_b = overhead_of(exec, b)?;
    let (mut side_a, mut side_b) = (Vec::new(), Vec::new());
    follow_plan(plan, on_progress, |run, warmup| {
        let ma = run_once(exec, a, prepare, run, warmup)?;
        let mb = run_once(exec, b, prepare, run, warmup)?;
        let wall = mb.wall;
        if !warmup {
            side_a.push(strip(ma, overhead_a));
            side_b.push(strip(mb, overhead_b));
        }
        Ok(wall)
    })?;
    Ok((
        Samples {
            measurements: side_a,
            shell_overhead: overhead_a,
        },
        Samples {
            measurements: side_b,
            shell_overhead: overhead_b,
        },
    ))
}

/// The loop [`measure`] and [`measure_pairs`] share: `plan.warmup` warm-up
/// steps, then steps until `min_runs` are done and their measured time
/// reaches `min_time`, or `max_runs` are done. `step(run, warmup)` executes
/// one step (1-based) and returns the wall time that counts toward
/// `min_time`. The loop's clock is the measured time itself, not the wall
/// clock, so a fake executor makes it deterministic.
fn follow_plan(
    plan: &Plan,
    on_progress: &mut dyn FnMut(Phase),
    mut step: impl FnMut(u32, bool) -> Result<Duration, BenchError>,
) -> Result<(), BenchError> {
    for i in 0..plan.warmup {
        on_progress(Phase::Warmup {
            done: i,
            total: plan.warmup,
        });
        step(i + 1, true)?;
    }
    let min_runs = plan.min_runs.max(1);
    let max_runs = plan.max_runs.max(min_runs);
    let plan = Plan {
        min_runs,
        max_runs,
        ..*plan
    };
    let mut done = 0u32;
    let mut measured = Duration::ZERO;
    loop {
        let mean = (done > 0).then(|| measured / done);
        let expected = plan.estimate(done, mean);
        if done >= max_runs || (done >= min_runs && measured >= plan.min_time) {
            break;
        }
        on_progress(Phase::Run { done, expected });
        measured += step(done + 1, false)?;
        done += 1;
    }
    on_progress(Phase::Run {
        done,
        expected: done,
    });
    Ok(())
}

/// One execution of `inv` (after `prepare`), failing on a non-zero exit.
fn run_once(
    exec: &mut dyn Executor,
    inv: &Invocation,
    prepare: Option<&Invocation>,
    run: u32,
    warmup: bool,
) -> Result<Measurement, BenchError> {
    let shown = inv.program.display();
    if let Some(p) = prepare {
        let m = exec.execute(p)?;
        if !m.exit.success() {
            return Err(BenchError::PrepareFailed {
                program: shown,
                prepare: p.program.display(),
                exit: m.exit,
                stderr: m.stderr_tail,
            });
        }
    }
    let m = exec.execute(inv)?;
    if !m.exit.success() {
        let hint = match (&inv.program, m.exit) {
            (Program::Shell(_), Exit::Code(127)) => {
                " (the shell's code for a command not found)".to_owned()
            }
            (Program::Shell(_), Exit::Code(126)) => {
                " (the shell's code for a command that cannot be executed)".to_owned()
            }
            _ => String::new(),
        };
        return Err(BenchError::Failed {
            program: shown,
            run,
            warmup,
            exit: m.exit,
            hint,
            stderr: m.stderr_tail,
        });
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeExecutor;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn inv() -> Invocation {
        Invocation::new(Program::Argv(vec!["work".into()]))
    }

    #[test]
    fn runs_until_min_time_when_min_runs_is_reached_early() {
        // 100 ms per run, 1 s minimum: ten runs, though three would do for min_runs.
        let mut exec = FakeExecutor::constant(ms(100));
        let plan = Plan {
            warmup: 2,
            min_runs: 3,
            max_runs: 100,
            min_time: Duration::from_secs(1),
        };
        let mut phases = Vec::new();
        let s = measure(&mut exec, &inv(), None, &plan, &mut |p| phases.push(p)).expect("ok");
        assert_eq!(s.measurements.len(), 10);
        assert_eq!(exec.executions(), 12, "two warm-up runs are not kept");
        assert_eq!(phases[0], Phase::Warmup { done: 0, total: 2 });
        assert_eq!(
            phases.last(),
            Some(&Phase::Run {
                done: 10,
                expected: 10
            })
        );
        // After the first run the estimate is already right.
        assert!(phases.contains(&Phase::Run {
            done: 1,
            expected: 10
        }));
    }

    #[test]
    fn min_runs_wins_over_a_short_min_time_and_max_runs_bounds_both() {
        let mut exec = FakeExecutor::constant(ms(500));
        let plan = Plan {
            warmup: 0,
            min_runs: 5,
            max_runs: 50,
            min_time: ms(100),
        };
        let s = measure(&mut exec, &inv(), None, &plan, &mut |_| {}).expect("ok");
        assert_eq!(s.measurements.len(), 5);

        let mut exec = FakeExecutor::constant(ms(1));
        let plan = Plan {
            warmup: 0,
            min_runs: 2,
            max_runs: 7,
            min_time: Duration::from_secs(10),
        };
        let s = measure(&mut exec, &inv(), None, &plan, &mut |_| {}).expect("ok");
        assert_eq!(s.measurements.len(), 7);
    }

    #[test]
    fn a_shell_command_has_the_executors_shell_overhead_subtracted() {
        let overhead = ShellOverhead {
            wall: ms(2),
            user: ms(1),
            sys: ms(5),
        };
        let mut exec =
            FakeExecutor::from_walls([ms(12), ms(13), ms(11)]).with_shell_overhead(overhead);
        let s = measure(
            &mut exec,
            &Invocation::new(Program::Shell("work".into())),
            None,
            &Plan::exact(3, 0),
            &mut |_| {},
        )
        .expect("ok");
        let walls: Vec<Duration> = s.measurements.iter().map(|m| m.wall).collect();
        assert_eq!(walls, vec![ms(10), ms(11), ms(9)]);
        assert_eq!(s.shell_overhead, Some(overhead));
        // Never below zero.
        assert!(s.measurements.iter().all(|m| m.sys == Duration::ZERO));
    }

    #[test]
    fn a_program_run_directly_keeps_its_times() {
        let mut exec = FakeExecutor::constant(ms(12)).with_shell_overhead(ShellOverhead {
            wall: ms(2),
            ..ShellOverhead::default()
        });
        let s = measure(&mut exec, &inv(), None, &Plan::exact(2, 0), &mut |_| {}).expect("ok");
        assert!(s.measurements.iter().all(|m| m.wall == ms(12)));
        assert_eq!(s.shell_overhead, None);
    }

    #[test]
    fn ab_pairs_subtract_the_overhead_of_the_shell_side_only() {
        let mut exec = FakeExecutor::constant(ms(10)).with_shell_overhead(ShellOverhead {
            wall: ms(3),
            ..ShellOverhead::default()
        });
        let a = Invocation::new(Program::Shell("old".into()));
        let (sa, sb) = measure_pairs(
            &mut exec,
            (&a, &inv()),
            None,
            &Plan::exact(2, 0),
            &mut |_| {},
        )
        .expect("ok");
        assert!(sa.measurements.iter().all(|m| m.wall == ms(7)));
        assert!(sb.measurements.iter().all(|m| m.wall == ms(10)));
    }

    #[test]
    fn outliers_are_named_by_run() {
        let walls = [10, 11, 12, 10, 9, 11, 30, 10, 12, 11].map(ms);
        let mut exec = FakeExecutor::from_walls(walls);
        let s = measure(&mut exec, &inv(), None, &Plan::exact(10, 0), &mut |_| {}).expect("ok");
        assert_eq!(s.outliers(), vec![6]);
    }

    #[test]
    fn a_failing_run_stops_the_loop_and_names_the_run() {
        let mut exec = FakeExecutor::constant(ms(5)).failing_at(3, Exit::Code(1));
        let e =
            measure(&mut exec, &inv(), None, &Plan::exact(10, 1), &mut |_| {}).expect_err("fails");
        // Execution 3 is the second timed run after one warm-up.
        assert!(
            matches!(
                e,
                BenchError::Failed {
                    run: 2,
                    warmup: false,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("run 2 ended with exit code 1"),
            "{e}"
        );
    }

    #[test]
    fn prepare_runs_before_every_run() {
        let mut exec = FakeExecutor::constant(ms(5));
        let prepare = Invocation::new(Program::Argv(vec!["prep".into()]));
        measure(
            &mut exec,
            &inv(),
            Some(&prepare),
            &Plan::exact(3, 1),
            &mut |_| {},
        )
        .expect("ok");
        let programs: Vec<String> = exec.log().iter().map(|i| i.program.display()).collect();
        assert_eq!(
            programs,
            [
                "prep", "work", "prep", "work", "prep", "work", "prep", "work"
            ]
        );
    }
}
