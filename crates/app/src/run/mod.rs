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

use sloe_core::context::Partial;
use sloe_core::report::Report;
use sloe_core::{NewRun, Run, RunHeader, RunId};
use sloe_formats::{FileContext, Format};
use sloe_runner::{Executor, Phase, Plan, Program, Samples};
use sloe_store::Store;

pub use confirm::confirm;
pub use measure::{Measured, measure_job};
pub use plan::{Job, Mode, Overrides, RunOptions, Target, plan};

use crate::context::{self, Env};
use crate::{Clock, Result, Settings};

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
/// must not hold a connection), confirms the suspects ([`confirm`], with
/// `judge` judging the provisional run against the store), and records
/// the run with its timelines. Nothing is recorded unless every job was
/// measured.
pub fn measure_and_record(
    settings: &Settings,
    jobs: &[Job],
    exec: &mut dyn Executor,
    recording: &Recording<'_>,
    judge: &mut dyn FnMut(&dyn Store, &Run) -> Result<Report>,
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
        &mut |run| judge(store.as_ref(), run),
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
