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

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Duration;

    use sloe_core::regression::Regression;
    use sloe_core::{NewRun, Unit};
    use sloe_runner::fake::FakeExecutor;

    use super::*;
    use crate::run::measure::measure_job;
    use crate::run::test_support::{
        self, history, judge, provisional, settings, wall_series, wall_verdict,
    };

    fn timed_job(name: &str) -> Job {
        test_support::timed_job(name, 5)
    }

    #[test]
    fn a_suspect_benchmark_is_remeasured_and_judged_on_all_rounds() {
        let settings = settings("[regression]\nwarning = \"5%\"\n");
        let baseline = history(&["work", "steady"]);
        // `work` is 6 % slower: one round cannot tell it from the 2 %
        // run-to-run noise (p ≈ 0.03), three rounds can (p ≈ 0.004).
        let mut slow = FakeExecutor::constant(Duration::from_millis(106));
        let job = timed_job("work");
        let (series, _) = measure_job(&mut slow, &job, &mut |_| {}).expect("measures");
        assert_eq!(slow.executions(), 5);
        let run = provisional(series, 100);
        // Not significant on one round, while the estimate reaches the 5 %
        // warning: inconclusive, never a pass.
        assert_eq!(
            wall_verdict(&judge(&settings, &run, &baseline), "work"),
            Regression::Inconclusive
        );

        let mut confirming = Vec::new();
        let series = confirm(
            &settings,
            &mut slow,
            std::slice::from_ref(&job),
            &run,
            &mut |run| Ok(judge(&settings, run, &baseline)),
            &mut |e| {
                if let Event::Confirming {
                    name,
                    p_value,
                    screen,
                    rounds,
                    size,
                } = e
                {
                    confirming.push((name.to_owned(), p_value <= screen, rounds, size));
                }
            },
        )
        .expect("confirms");
        assert_eq!(slow.executions(), 15, "two more rounds of five");
        assert_eq!(confirming, vec![("work".to_owned(), true, 2, 5)]);
        let wall = series
            .iter()
            .find(|s| s.measure == "wall_time")
            .expect("wall_time");
        assert_eq!((wall.values.len(), wall.round_size), (15, Some(5)));

        // The recorded run keeps its rounds, and its verdict rests on them.
        let dir = tempfile::tempdir().expect("temp dir");
        let store = sloe_store::SqliteStore::open(&dir.path().join("h.db")).expect("store");
        let id = sloe_store::Store::insert_run(
            &store,
            &NewRun {
                context: run.header.context.clone(),
                series,
            },
        )
        .expect("records");
        let recorded = sloe_store::Store::run(&store, id)
            .expect("reads")
            .expect("the run");
        assert_eq!(
            wall_verdict(&judge(&settings, &recorded, &baseline), "work"),
            Regression::Regression
        );
    }

    #[test]
    fn a_benchmark_that_looks_unchanged_is_not_remeasured() {
        let settings = settings("");
        let baseline = history(&["steady"]);
        let mut exec = FakeExecutor::constant(Duration::from_millis(100));
        let job = timed_job("steady");
        let (series, _) = measure_job(&mut exec, &job, &mut |_| {}).expect("measures");
        let series = confirm(
            &settings,
            &mut exec,
            &[job],
            &provisional(series, 100),
            &mut |run| Ok(judge(&settings, run, &baseline)),
            &mut |_| {},
        )
        .expect("confirms");
        assert_eq!(exec.executions(), 5);
        assert!(series.iter().all(|s| s.round_size.is_none()));
    }

    #[test]
    fn without_confirmation_rounds_nothing_is_judged_or_remeasured() {
        let settings = settings("[regression]\nconfirm_runs = 0\n");
        let mut exec = FakeExecutor::constant(Duration::from_millis(150));
        let job = timed_job("work");
        let (series, _) = measure_job(&mut exec, &job, &mut |_| {}).expect("measures");
        let judged = Cell::new(false);
        let confirmed = confirm(
            &settings,
            &mut exec,
            &[job],
            &provisional(series.clone(), 100),
            &mut |run| {
                judged.set(true);
                Ok(judge(&settings, run, &history(&["work"])))
            },
            &mut |_| {},
        )
        .expect("confirms");
        assert!(!judged.get());
        assert_eq!(exec.executions(), 5);
        assert_eq!(confirmed, series);
    }

    #[test]
    fn screening_names_the_worse_leaning_benchmarks_with_their_smallest_p() {
        let settings = settings("");
        let baseline = history(&["slower", "faster", "same"]);
        let five = |ms: f64| [0.99, 0.995, 1.0, 1.005, 1.01].map(|f| ms * f);
        let series = vec![
            wall_series("slower", &five(106.0)),
            wall_series("faster", &five(94.0)),
            wall_series("same", &five(100.0)),
        ];
        let report = judge(&settings, &provisional(series.clone(), 100), &baseline);
        let screen = regression::screening_level(0.05);
        let found = suspected(&report, &series, screen);
        let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["slower"]);
        assert!(found[0].1 <= screen && found[0].1 > 0.0, "{found:?}");
        // Nothing leans towards worse when a higher value is better.
        let flipped: Vec<Series> = series
            .iter()
            .cloned()
            .map(|mut s| {
                s.direction = sloe_core::Direction::HigherIsBetter;
                s
            })
            .collect();
        let names: Vec<&str> = suspected(&report, &flipped, screen)
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(names, ["faster"]);
    }

    #[test]
    fn rounds_join_only_measures_every_round_has_at_the_same_size() {
        let cpu = |values: &[f64]| Series {
            measure: "cpu_percent".to_owned(),
            unit: Unit::parse("%"),
            ..wall_series("work", values)
        };
        let mut series = vec![wall_series("work", &[1.0, 2.0]), cpu(&[50.0, 60.0])];
        let rounds = vec![
            vec![wall_series("work", &[3.0, 4.0]), cpu(&[70.0, 80.0])],
            // The second round lacks cpu_percent.
            vec![wall_series("work", &[5.0, 6.0])],
        ];
        add_rounds(&mut series, "work", 2, &rounds);
        assert_eq!(series[0].values.len(), 6);
        assert_eq!(series[0].round_size, Some(2));
        assert_eq!(series[1].values, cpu(&[50.0, 60.0]).values);
        assert_eq!(series[1].round_size, None);
    }
}
