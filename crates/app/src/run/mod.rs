//! `sloe run`'s use cases: plan the jobs from the config and the caller's
//! options ([`plan`]), measure them through the runner's
//! [`Executor`] ([`measure`]), re-measure the suspects before recording
//! ([`confirm`]), turn samples into series ([`series`]), and record the
//! run ([`measure_and_record`]). What happens on the way is reported as
//! [`Event`]s: showing them (progress bars, summaries) is the front end's
//! business.

pub mod confirm;
pub mod measure;
pub mod plan;
pub mod series;
#[cfg(test)]
mod test_support;

use sloe_core::context::Partial;
use sloe_core::{NewRun, Run, RunHeader, RunId};
use sloe_formats::{FileContext, Format};
use sloe_runner::{Executor, Phase, Plan, Program, Samples};
use sloe_store::Store;

pub use confirm::confirm;
pub use measure::{Measured, measure_job};
pub use plan::{Job, Mode, Overrides, RunOptions, Target, judging_settings, plan};

use crate::check::{self, MergeBase};
use crate::context::{self, Env};
use crate::{AppError, Clock, Result, Settings};

/// What a run reports as it goes, in order, for a front end to show or
/// ignore.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A CI stage starts; its output streams through.
    StageStarted { name: &'a str, program: &'a Program },
    /// A benchmark whose standard output a harness format reads starts.
    ParseStarted { name: &'a str, format: Format },
    /// An A/B benchmark starts: A (`baseline`) and B interleaved.
    AbStarted {
        name: &'a str,
        baseline: &'a Program,
        candidate: &'a Program,
    },
    /// Timed runs (or A/B pairs) of a benchmark start, by `plan`.
    TimedStarted { name: &'a str, plan: &'a Plan },
    /// The measurement loop moved on.
    Progress(Phase),
    /// The timed runs that [`Event::TimedStarted`] announced ended, well or not.
    TimedFinished,
    /// A benchmark (or the A side of one, `<name>@baseline`) was measured.
    Measured { name: &'a str, samples: &'a Samples },
    /// Some of a benchmark's wall times are outliers (`runs`, 0-based).
    Outliers {
        name: &'a str,
        samples: &'a Samples,
        runs: &'a [usize],
    },
    /// What a harness wrote was read, but with a caveat (Google Benchmark's
    /// aggregates without the repetitions, say).
    Warning { name: &'a str, message: &'a str },
    /// A benchmark may be slower: it is measured `rounds` more rounds of
    /// `size` runs (`p_value` is its one-sided p-value, at most `screen`).
    Confirming {
        name: &'a str,
        p_value: f64,
        screen: f64,
        rounds: usize,
        size: usize,
    },
    /// The run was recorded as `id` in the store described by `store`.
    Recorded {
        id: RunId,
        store: &'a str,
        benchmarks: usize,
    },
}

/// Where a run's context comes from besides CI variables, git and the
/// config.
#[derive(Clone, Copy)]
pub struct Recording<'a> {
    /// What the caller was told (flags).
    pub given: &'a Partial,
    /// The environment CI variables are read from.
    pub env: Env<'a>,
    /// "Now", when nothing else gives the run a time.
    pub clock: &'a dyn Clock,
}

impl std::fmt::Debug for Recording<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("given", self.given)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// A recorded run, and the store it is in (to judge and report it).
pub struct Recorded {
    pub id: RunId,
    pub store: Box<dyn Store>,
}

impl std::fmt::Debug for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorded")
            .field("id", &self.id)
            .field("store", &self.store.describe())
            .finish()
    }
}

/// Measures every job, then opens the store (only now: a long benchmark
/// must not hold a connection), confirms the suspects ([`confirm`], judging
/// the provisional run as `sloe check` would, its baseline ending at
/// `merge_base`), and records the run with its timelines. Nothing is
/// recorded unless every job was measured.
pub fn measure_and_record(
    settings: &Settings,
    jobs: &[Job],
    exec: &mut dyn Executor,
    recording: &Recording<'_>,
    merge_base: MergeBase<'_>,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Recorded> {
    let mut series = Vec::new();
    let mut timelines = Vec::new();
    for job in jobs {
        let (s, timeline) = measure_job(exec, job, observe)?;
        series.extend(s);
        timelines.extend(timeline);
    }

    let store = settings.open_store()?;
    let ctx = context::resolve(
        recording.given,
        &FileContext::default(),
        settings,
        recording.env,
        recording.clock,
    );
    let provisional = Run {
        header: RunHeader {
            id: RunId(-1),
            context: ctx.clone(),
            recorded_at: ctx.timestamp,
        },
        series,
    };
    let series = confirm(
        settings,
        exec,
        jobs,
        &provisional,
        &mut |run| check::judge_run(settings, store.as_ref(), run, merge_base),
        observe,
    )?;
    let id = store.insert_run_with_timelines(
        &NewRun {
            context: ctx,
            series,
        },
        &timelines,
    )?;
    observe(Event::Recorded {
        id,
        store: &store.describe(),
        benchmarks: jobs.len(),
    });
    Ok(Recorded { id, store })
}

/// Ctrl-C is [`AppError::Interrupted`]; a command that could not be
/// started, waited for or finished in time is a failed measurement.
impl From<sloe_runner::RunError> for AppError {
    fn from(e: sloe_runner::RunError) -> AppError {
        match e {
            sloe_runner::RunError::Interrupted { by, .. } => AppError::Interrupted { by },
            e => AppError::Measurement(chain(&e)),
        }
    }
}

/// Installing the Ctrl-C handler is part of getting ready to measure.
impl From<sloe_runner::interrupt::InstallError> for AppError {
    fn from(e: sloe_runner::interrupt::InstallError) -> AppError {
        AppError::Measurement(chain(&e))
    }
}

/// An error and its causes, joined by ": ", as the CLI has always shown
/// them.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sloe_runner::Exit;
    use sloe_runner::fake::FakeExecutor;

    use super::*;
    use crate::FixedClock;
    use crate::run::test_support::{self, context};

    fn no_ci(_: &str) -> Option<String> {
        None
    }

    fn job(name: &str) -> Job {
        test_support::timed_job(name, 4)
    }

    #[test]
    fn every_job_is_measured_then_recorded_as_one_run_at_the_clocks_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings::from_text(
            "[project]\ntestbed = \"tb\"\n",
            &dir.path().join("sloe.toml"),
            None,
        )
        .expect("settings");
        let given = Partial {
            commit: Some("abc".to_owned()),
            branch: Some("main".to_owned()),
            ..Partial::default()
        };
        let now = context(7).timestamp;
        let mut exec = FakeExecutor::constant(Duration::from_millis(20));
        let mut recorded_event = None;
        let recorded = measure_and_record(
            &settings,
            &[job("a"), job("b")],
            &mut exec,
            &Recording {
                given: &given,
                env: &no_ci,
                clock: &FixedClock(now),
            },
            MergeBase::Unknown,
            &mut |e| {
                if let Event::Recorded { id, benchmarks, .. } = e {
                    recorded_event = Some((id, benchmarks));
                }
            },
        )
        .expect("records");
        assert_eq!(exec.executions(), 8);
        assert_eq!(recorded_event, Some((recorded.id, 2)));
        let run = recorded
            .store
            .run(recorded.id)
            .expect("reads")
            .expect("the run");
        assert_eq!(run.header.context.timestamp, now);
        assert_eq!(run.header.context.commit.as_deref(), Some("abc"));
        assert_eq!(run.header.context.testbed.as_deref(), Some("tb"));
        let benchmarks: std::collections::BTreeSet<&str> =
            run.series.iter().map(|s| s.benchmark.as_str()).collect();
        assert_eq!(benchmarks.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn a_failed_job_records_nothing_and_opens_no_store() {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings =
            Settings::from_text("", &dir.path().join("sloe.toml"), None).expect("settings");
        let mut exec =
            FakeExecutor::constant(Duration::from_millis(20)).failing_at(6, Exit::Code(1));
        let e = measure_and_record(
            &settings,
            &[job("a"), job("b")],
            &mut exec,
            &Recording {
                given: &Partial::default(),
                env: &no_ci,
                clock: &FixedClock(context(0).timestamp),
            },
            MergeBase::Find(&|_, _| panic!("nothing to judge")),
            &mut |_| {},
        )
        .expect_err("fails");
        assert_eq!(
            e.to_string(),
            "measure benchmark `b`: run `b`: run 2 ended with exit code 1"
        );
        assert!(!dir.path().join(".sloe").exists(), "no store was created");
    }
}
