//! Confirmation: which measured benchmarks are re-measured before the run
//! is recorded (screening), and how the extra rounds join their series.

use sloe_core::regression;
use sloe_core::report::Report;
use sloe_core::{Run, Series};
use sloe_runner::{Executor, Plan};

use super::Event;
use super::measure::measure_with;
use super::plan::{Job, Mode};
use crate::{Result, Settings};

/// Judges the measured run before recording it (`judge`, given the
/// provisional run) and, for each timed benchmark whose provisional test
/// leans towards worse (a one-sided p-value in the worsening direction at
/// most [`regression::SCREENING_LEVEL`]), measures it
/// `regression.confirm_runs` more rounds of as many executions as its
/// first. The series keep the rounds apart (`Series::round_size`, stored
/// with the run), so the recorded verdict, here and in any later
/// `sloe check`, is the k-round test
/// ([`regression::against_history_runs`]): the rounds' between-run noise
/// averages out, which pooling the samples into one run could not do. The
/// false-alarm rate stays at `false_alarm_rate`: see
/// [`regression::SCREENING_LEVEL`].
pub fn confirm(
    settings: &Settings,
    exec: &mut dyn Executor,
    jobs: &[Job],
    provisional: &Run,
    judge: &mut dyn FnMut(&Run) -> Result<Report>,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Series>> {
    let mut series = provisional.series.clone();
    let rounds = settings.config.regression.confirm_runs;
    if rounds == 0 {
        return Ok(series);
    }
    let report = judge(provisional)?;
    let screen =
        regression::screening_level(settings.config.regression.false_alarm_rate.fraction());
    let suspects = suspected(&report, &series, screen);
    for job in jobs {
        let Mode::Timed(plan) = &job.mode else {
            continue;
        };
        let Some(&(_, p)) = suspects.iter().find(|(name, _)| *name == job.name) else {
            continue;
        };
        // Every round makes as many executions as the first, so that the
        // rounds are comparable runs and the store can keep them apart.
        let Some(size) = series
            .iter()
            .filter(|s| s.benchmark == job.name)
            .map(|s| s.values.len())
            .max()
            .filter(|n| *n > 0)
        else {
            continue;
        };
        observe(Event::Confirming {
            name: &job.name,
            p_value: p,
            screen,
            rounds,
            size,
        });
        let round_plan = Plan::exact(u32::try_from(size).unwrap_or(u32::MAX), plan.warmup);
        let mut extra_rounds = Vec::new();
        for _ in 0..rounds {
            extra_rounds.push(measure_with(exec, job, &round_plan, observe)?.0);
        }
        add_rounds(&mut series, &job.name, size, &extra_rounds);
    }
    Ok(series)
}

/// Appends confirmation rounds to a benchmark's series and marks their
/// round size. A measure that some round lacks, or has a different number
/// of samples for, keeps its first round alone, so rounds never mix.
pub fn add_rounds(
    series: &mut [Series],
    benchmark: &str,
    size: usize,
    extra_rounds: &[Vec<Series>],
) {
    let Ok(size32) = u32::try_from(size) else {
        return;
    };
    for s in series
        .iter_mut()
        .filter(|s| s.benchmark == benchmark && s.values.len() == size)
    {
        let found: Option<Vec<&Series>> = extra_rounds
            .iter()
            .map(|round| {
                round
                    .iter()
                    .find(|e| e.measure == s.measure && e.values.len() == size)
            })
            .collect();
        if let Some(found) = found {
            for e in found {
                s.values.extend_from_slice(&e.values);
            }
            s.round_size = Some(size32);
        }
    }
}

/// Benchmarks whose provisional verdict leans towards worse: the smallest
/// one-sided p-value in the worsening direction over their tested measures,
/// when at most `screen` ([`regression::screening_level`]).
pub fn suspected<'a>(report: &'a Report, series: &[Series], screen: f64) -> Vec<(&'a str, f64)> {
    let mut found: Vec<(&str, f64)> = Vec::new();
    for r in &report.results {
        let Some(direction) = series
            .iter()
            .find(|s| s.benchmark == r.benchmark && s.measure == r.measure)
            .map(|s| s.direction)
        else {
            continue;
        };
        let (Some(change), Some(p)) = (r.change, r.p_value) else {
            continue;
        };
        let Some(p) = regression::worsening_p(change, p, direction) else {
            continue;
        };
        if p > screen {
            continue;
        }
        match found.iter_mut().find(|(name, _)| *name == r.benchmark) {
            Some(entry) => entry.1 = entry.1.min(p),
            None => found.push((r.benchmark.as_str(), p)),
        }
    }
    found
}
