//! A scripted [`Executor`] for deterministic tests: it starts nothing and
//! replays the wall times it was given, so no test asserts on a real clock.

use std::collections::VecDeque;
use std::time::Duration;

use crate::execute::{Executor, Exit, Invocation, IoBytes, Measurement, RunError};
use crate::shell::ShellOverhead;

/// Replays wall times (cycling through them); user time is 80 % and sys
/// time 10 % of wall, peak RSS is 1 MiB per millisecond. Its shell costs
/// nothing to start unless told otherwise ([`FakeExecutor::with_shell_overhead`]),
/// and calibrating it executes nothing, so execution counts stay those of
/// the benchmarks.
#[derive(Debug, Clone)]
pub struct FakeExecutor {
    walls: VecDeque<Duration>,
    log: Vec<Invocation>,
    fail_at: Option<(usize, Exit)>,
    shell: ShellOverhead,
}

impl FakeExecutor {
    /// Every execution takes `wall`.
    pub fn constant(wall: Duration) -> Self {
        Self::from_walls([wall])
    }

    /// Executions take these wall times in turn, then start over.
    pub fn from_walls(walls: impl IntoIterator<Item = Duration>) -> Self {
        FakeExecutor {
            walls: walls.into_iter().collect(),
            log: Vec::new(),
            fail_at: None,
            shell: ShellOverhead::default(),
        }
    }

    /// The shell's start-up cost this executor reports.
    pub fn with_shell_overhead(mut self, overhead: ShellOverhead) -> Self {
        self.shell = overhead;
        self
    }

    /// Execution number `n` (1-based, counting every execution) ends with `exit`.
    pub fn failing_at(mut self, n: usize, exit: Exit) -> Self {
        self.fail_at = Some((n, exit));
        self
    }

    /// How many executions were asked for.
    pub fn executions(&self) -> usize {
        self.log.len()
    }

    /// What was executed, in order.
    pub fn log(&self) -> &[Invocation] {
        &self.log
    }
}

impl Executor for FakeExecutor {
    fn shell_overhead(&mut self) -> Result<ShellOverhead, RunError> {
        Ok(self.shell)
    }

    fn execute(&mut self, inv: &Invocation) -> Result<Measurement, RunError> {
        self.log.push(inv.clone());
        let wall = self.walls.pop_front().unwrap_or_default();
        self.walls.push_back(wall);
        let exit = match self.fail_at {
            Some((n, exit)) if n == self.log.len() => exit,
            _ => Exit::Code(0),
        };
        let ms = wall.as_millis() as u64;
        Ok(Measurement {
            wall,
            user: wall.mul_f64(0.8),
            sys: wall.mul_f64(0.1),
            peak_rss: ms * 1024 * 1024,
            io: Some(IoBytes {
                read: ms * 1000,
                write: ms * 10,
            }),
            exit,
            stdout: None,
            stderr_tail: None,
            timeline: fake_timeline(inv, wall),
        })
    }
}

/// With sampling asked for: one sample per interval over `wall`, at 90 %
/// CPU, RSS rising by 1 MiB per sample.
fn fake_timeline(inv: &Invocation, wall: std::time::Duration) -> Vec<crate::Sample> {
    let Some(every) = inv.sample_interval.filter(|d| !d.is_zero()) else {
        return Vec::new();
    };
    let n = (wall.as_nanos() / every.as_nanos()) as u32;
    (1..=n)
        .map(|i| crate::Sample {
            at: every * i,
            cpu_percent: 90.0,
            rss: u64::from(i) << 20,
        })
        .collect()
}
