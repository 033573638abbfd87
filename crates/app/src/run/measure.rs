//! Measuring planned jobs through an [`Executor`]: timed runs, A/B pairs,
//! CI stages and harnesses whose output is parsed, with each job's
//! cleanup, reporting what happens as [`Event`]s for a front end to show.

use sloe_core::units::readable;
use sloe_core::{Series, Timeline, Unit};
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
    if let Some(by) = interrupt::caught() {
        return AppError::Interrupted { by };
    }
    AppError::Measurement(format!("measure benchmark `{}`: {}", job.name, chain(e)))
}

/// The measurement loop's error as the app's: Ctrl-C is
/// [`AppError::Interrupted`] whoever noticed it first.
fn bench_failed(job: &Job, e: BenchError) -> AppError {
    match e {
        BenchError::Run(RunError::Interrupted { by, .. }) => AppError::Interrupted { by },
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
            readable(&Unit::Nanoseconds, m.wall.as_nanos() as f64)
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
        .map_err(AppError::Format)?;
    for message in &parsed.warnings {
        observe(Event::Warning {
            name: &job.name,
            message,
        });
    }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sloe_core::regression::Regression;
    use sloe_runner::fake::FakeExecutor;
    use sloe_runner::{Exit, Program, ShellOverhead};

    use super::*;
    use crate::run::test_support::{judge, provisional, settings, wall_verdict};

    fn job(sample_interval: Option<Duration>) -> Job {
        let mut invocation = Invocation::new(Program::Argv(vec!["work".to_owned()]));
        invocation.sample_interval = sample_interval;
        Job {
            name: "work".to_owned(),
            invocation,
            prepare: None,
            cleanup: None,
            mode: Mode::Timed(Plan::exact(3, 0)),
            sustained_window: Duration::from_millis(50),
        }
    }

    fn measure(series: &[Series], name: &str) -> Option<Vec<f64>> {
        series
            .iter()
            .find(|s| s.measure == name)
            .map(|s| s.values.clone())
    }

    #[test]
    fn sampled_runs_add_burst_sustained_and_the_last_timeline() {
        // The fake samples at 90 % CPU with RSS rising 1 MiB per sample.
        let mut exec = FakeExecutor::constant(Duration::from_millis(100));
        let (series, timeline) = measure_job(
            &mut exec,
            &job(Some(Duration::from_millis(10))),
            &mut |_| {},
        )
        .expect("measures");
        assert_eq!(measure(&series, "cpu_burst"), Some(vec![90.0; 3]));
        let sustained = measure(&series, "cpu_sustained").expect("cpu_sustained");
        assert!(
            sustained.iter().all(|v| (v - 90.0).abs() < 1e-9),
            "{sustained:?}"
        );
        let timeline = timeline.expect("a timeline");
        assert_eq!(timeline.benchmark, "work");
        assert_eq!(timeline.points.len(), 10);
        assert_eq!(timeline.points[9].at_ms, 100.0);
        assert_eq!(timeline.points[9].rss, 10 << 20);
    }

    #[test]
    fn unsampled_runs_have_neither() {
        let mut exec = FakeExecutor::constant(Duration::from_millis(100));
        let (series, timeline) = measure_job(&mut exec, &job(None), &mut |_| {}).expect("measures");
        assert_eq!(measure(&series, "cpu_burst"), None);
        assert_eq!(measure(&series, "cpu_sustained"), None);
        assert!(timeline.is_none());
    }

    #[test]
    fn a_timed_job_reports_its_start_progress_and_summary_in_order() {
        let mut exec =
            FakeExecutor::constant(Duration::from_millis(10)).with_shell_overhead(ShellOverhead {
                wall: Duration::from_millis(4),
                ..ShellOverhead::default()
            });
        let shell_job = Job {
            invocation: Invocation::new(Program::Shell("work".to_owned())),
            ..job(None)
        };
        let mut seen = Vec::new();
        let (series, _) = measure_job(&mut exec, &shell_job, &mut |e| {
            seen.push(match e {
                Event::TimedStarted { plan, .. } => format!("start {}", plan.min_runs),
                Event::Progress(_) => "progress".to_owned(),
                Event::TimedFinished => "finished".to_owned(),
                Event::Measured { name, samples } => {
                    format!("{name} {:?}", samples.shell_overhead.map(|o| o.wall))
                }
                other => format!("{other:?}"),
            })
        })
        .expect("measures");
        assert_eq!(seen.first().map(String::as_str), Some("start 3"));
        assert_eq!(
            seen[seen.len() - 2..],
            ["finished".to_owned(), "work Some(4ms)".to_owned()]
        );
        assert!(seen.iter().filter(|s| *s == "progress").count() >= 3);
        // The executor's shell start-up is what was subtracted.
        assert_eq!(measure(&series, "wall_time"), Some(vec![6e6; 3]));
    }

    #[test]
    fn cleanup_runs_after_a_failure_and_its_own_failure_fails_the_job() {
        let mut with_cleanup = job(None);
        with_cleanup.cleanup = Some(Invocation::new(Program::Argv(vec!["tidy".to_owned()])));
        // The second timed run fails; cleanup still runs, and the
        // benchmark's failure is what is reported.
        let mut exec =
            FakeExecutor::constant(Duration::from_millis(5)).failing_at(2, Exit::Code(3));
        let e = measure_job(&mut exec, &with_cleanup, &mut |_| {}).expect_err("fails");
        assert!(matches!(e, AppError::Measurement(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "measure benchmark `work`: run `work`: run 2 ended with exit code 3"
        );
        assert_eq!(
            exec.log().last().map(|i| i.program.display()),
            Some("tidy".to_owned())
        );
        // Three runs, then a cleanup that fails.
        let mut exec =
            FakeExecutor::constant(Duration::from_millis(5)).failing_at(4, Exit::Code(1));
        let e = measure_job(&mut exec, &with_cleanup, &mut |_| {}).expect_err("fails");
        assert_eq!(
            e.to_string(),
            "clean up after benchmark `work`: `tidy` ended with exit code 1"
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn a_failed_stage_is_a_measurement_error_naming_the_stage() {
        let mut stage = job(None);
        stage.mode = Mode::Stage;
        let mut exec =
            FakeExecutor::constant(Duration::from_millis(5)).failing_at(1, Exit::Code(4));
        let e = measure_job(&mut exec, &stage, &mut |_| {}).expect_err("fails");
        assert!(matches!(e, AppError::Measurement(_)), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("pass stage `work`: `work` ended with exit code 4 after 5 ms"),
            "{e}"
        );
    }

    #[test]
    fn ab_mode_interleaves_and_judges_the_pairs() {
        // A takes 100 ms (and 104, 96, ... as the machine drifts), B the
        // same or 10 % more in each pair, with ±1 % of its own noise: the
        // paired test sees through the drift. (Warning at 5 %, so that a
        // 10 % change is clearly past it.)
        let drift = [
            100.0, 104.0, 96.0, 102.0, 98.0, 101.0, 99.0, 103.0, 97.0, 100.0,
        ];
        let jitter = [
            1.01,
            1.0 / 1.01,
            1.005,
            1.0 / 1.005,
            1.0,
            1.01,
            1.0 / 1.01,
            1.0,
            1.002,
            1.0 / 1.002,
        ];
        let settings = settings("[regression]\nwarning = \"5%\"\n");
        let no_history = sloe_core::evaluate::Baseline::History {
            description: "none".to_owned(),
            runs: Default::default(),
        };
        for (slowdown, expected) in [(1.10, Regression::Regression), (1.0, Regression::None)] {
            let walls = drift.iter().zip(jitter).flat_map(|(a, j)| {
                [
                    Duration::from_secs_f64(a / 1e3),
                    Duration::from_secs_f64(a * slowdown * j / 1e3),
                ]
            });
            let mut exec = FakeExecutor::from_walls(walls);
            let job = Job {
                name: "new".to_owned(),
                invocation: Invocation::new(Program::Argv(vec!["new".to_owned()])),
                mode: Mode::Ab {
                    plan: Plan::exact(10, 1),
                    baseline: Invocation::new(Program::Argv(vec!["old".to_owned()])),
                },
                ..job(None)
            };
            let (series, _) = measure_job(&mut exec, &job, &mut |_| {}).expect("measures");
            // One warm-up pair, then ten pairs: A B A B ...
            let order: Vec<String> = exec.log().iter().map(|i| i.program.display()).collect();
            let expected_order: Vec<&str> = ["old", "new"].repeat(11);
            assert_eq!(order, expected_order);
            let a = series
                .iter()
                .find(|s| s.benchmark == "new@baseline" && s.measure == "wall_time")
                .expect("the A side is recorded");
            assert_eq!(a.values.len(), 10);
            // No history at all: the verdict comes from the pairs.
            let report = judge(&settings, &provisional(series, 0), &no_history);
            assert_eq!(wall_verdict(&report, "new"), expected, "B = {slowdown} × A");
            assert!(
                report.results.iter().all(|r| r.benchmark != "new@baseline"),
                "the A side gets no verdict of its own"
            );
        }
    }
}
