//! Measuring planned jobs through an [`Executor`]: timed runs, A/B pairs,
//! CI stages and harnesses whose output is parsed, with each job's
//! cleanup, reporting what happens as [`Event`]s for a front end to show.

use sloe_core::{Dimension, Quantity, Series, Timeline, Unit};
use sloe_formats::Format;
use sloe_runner::{BenchError, Executor, Invocation, Plan, RunError, Samples, interrupt};

use super::plan::{Job, Mode};
use super::series::{recorded, to_series};
use super::{Event, chain};
use crate::{AppError, Result};

/// What measuring one job gives: its series, and the resource timeline of
/// its last execution when it was sampled.
pub type Measured = (Vec<Series>, Option<Timeline>);

/// Measures one job and turns what it observed into series.
pub fn measure_job(
    exec: &mut dyn Executor,
    job: &Job,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Measured> {
    let result = match &job.mode {
        Mode::Stage => measure_stage(exec, job, observe),
        Mode::Parse(format) => measure_parsed(exec, job, *format, observe),
        Mode::Timed(plan) => measure_timed(exec, job, plan, observe),
        Mode::Ab { plan, baseline } => measure_ab(exec, job, plan, baseline, observe),
    };
    finish_job(exec, job, result)
}

/// Measures a timed job by `plan` instead of its own (a confirmation round).
pub fn measure_with(
    exec: &mut dyn Executor,
    job: &Job,
    plan: &Plan,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Measured> {
    let result = measure_timed(exec, job, plan, observe);
    finish_job(exec, job, result)
}

/// Runs the job's cleanup after a measurement.
fn finish_job(exec: &mut dyn Executor, job: &Job, result: Result<Measured>) -> Result<Measured> {
    // Cleanup runs whether or not the benchmark succeeded, but never after Ctrl-C.
    if let Some(cleanup) = &job.cleanup
        && !interrupt::requested()
    {
        let m = exec.execute(cleanup).map_err(|e| {
            AppError::Measurement(format!(
                "clean up after benchmark `{}`: {}",
                job.name,
                chain(&e)
            ))
        })?;
        if !m.exit.success() && result.is_ok() {
            return Err(AppError::Measurement(format!(
                "clean up after benchmark `{}`: `{}` ended with {}",
                job.name,
                cleanup.program.display(),
                m.exit
            )));
        }
    }
    result
}

/// Ctrl-C, or the job's failure to be measured.
fn failed(job: &Job, e: &(dyn std::error::Error + 'static)) -> AppError {
    if interrupt::requested() {
        return AppError::Interrupted;
    }
    AppError::Measurement(format!("measure benchmark `{}`: {}", job.name, chain(e)))
}

/// The measurement loop's error as the app's: Ctrl-C is
/// [`AppError::Interrupted`] whoever noticed it first.
fn bench_failed(job: &Job, e: BenchError) -> AppError {
    match e {
        BenchError::Run(RunError::Interrupted { .. }) => AppError::Interrupted,
        e => failed(job, &e),
    }
}

fn measure_stage(
    exec: &mut dyn Executor,
    job: &Job,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Measured> {
    observe(Event::StageStarted {
        name: &job.name,
        program: &job.invocation.program,
    });
    let m = exec.execute(&job.invocation).map_err(|e| failed(job, &e))?;
    if !m.exit.success() {
        return Err(AppError::Measurement(format!(
            "pass stage `{}`: `{}` ended with {} after {}; a failed stage fails sloe (exit 2) whatever the budgets say, and nothing was recorded",
            job.name,
            job.invocation.program.display(),
            m.exit,
            show(Dimension::Time, m.wall.as_nanos() as f64)
        )));
    }
    let samples = Samples {
        measurements: vec![m],
        shell_overhead: None,
    };
    observe(Event::Measured {
        name: &job.name,
        samples: &samples,
    });
    Ok(recorded(&job.name, &samples, job.sustained_window))
}

fn measure_parsed(
    exec: &mut dyn Executor,
    job: &Job,
    format: Format,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Measured> {
    observe(Event::ParseStarted {
        name: &job.name,
        format,
    });
    if let Some(p) = &job.prepare {
        let m = exec.execute(p).map_err(|e| failed(job, &e))?;
        if !m.exit.success() {
            return Err(AppError::Measurement(format!(
                "prepare benchmark `{}`: `{}` ended with {}",
                job.name,
                p.program.display(),
                m.exit
            )));
        }
    }
    let m = exec.execute(&job.invocation).map_err(|e| failed(job, &e))?;
    if !m.exit.success() {
        return Err(AppError::Measurement(format!(
            "measure benchmark `{}`: `{}` ended with {}",
            job.name,
            job.invocation.program.display(),
            m.exit
        )));
    }
    let origin = format!("the output of benchmark `{}`", job.name);
    let parsed = format
        .read(m.stdout.as_deref().unwrap_or_default(), &origin)
        .map_err(|e| AppError::Input(chain(&e)))?;
    Ok((parsed.series, None))
}

fn measure_timed(
    exec: &mut dyn Executor,
    job: &Job,
    plan: &Plan,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Measured> {
    observe(Event::TimedStarted {
        name: &job.name,
        plan,
    });
    let samples = sloe_runner::measure(
        exec,
        &job.invocation,
        job.prepare.as_ref(),
        plan,
        &mut |phase| observe(Event::Progress(phase)),
    );
    observe(Event::TimedFinished);
    let samples = samples.map_err(|e| bench_failed(job, e))?;
    observe(Event::Measured {
        name: &job.name,
        samples: &samples,
    });
    let outliers = samples.outliers();
    if !outliers.is_empty() {
        observe(Event::Outliers {
            name: &job.name,
            samples: &samples,
            runs: &outliers,
        });
    }
    Ok(recorded(&job.name, &samples, job.sustained_window))
}

/// A/B mode: the baseline and the benchmark interleaved by
/// [`sloe_runner::measure_pairs`]. The benchmark's series are recorded as
/// usual; the baseline's under `<name>@baseline`
/// ([`sloe_core::model::AB_BASELINE_SUFFIX`]), pair `i` at index `i` of both,
/// so that judging the run (here or in a later `sloe check`) tests the
/// paired executions.
fn measure_ab(
    exec: &mut dyn Executor,
    job: &Job,
    plan: &Plan,
    baseline: &Invocation,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Measured> {
    observe(Event::AbStarted {
        name: &job.name,
        baseline: &baseline.program,
        candidate: &job.invocation.program,
    });
    observe(Event::TimedStarted {
        name: &job.name,
        plan,
    });
    let pairs = sloe_runner::measure_pairs(
        exec,
        (baseline, &job.invocation),
        job.prepare.as_ref(),
        plan,
        &mut |phase| observe(Event::Progress(phase)),
    );
    observe(Event::TimedFinished);
    let (a, b) = pairs.map_err(|e| bench_failed(job, e))?;
    let baseline_name = format!("{}{}", job.name, sloe_core::model::AB_BASELINE_SUFFIX);
    observe(Event::Measured {
        name: &baseline_name,
        samples: &a,
    });
    observe(Event::Measured {
        name: &job.name,
        samples: &b,
    });
    let (mut series, timeline) = recorded(&job.name, &b, job.sustained_window);
    series.extend(to_series(&baseline_name, &a, job.sustained_window));
    Ok((series, timeline))
}

fn show(dimension: Dimension, canonical: f64) -> String {
    let unit = Unit::readable_for(dimension, canonical);
    Quantity::new(unit.from_canonical(canonical), unit).to_string()
}
