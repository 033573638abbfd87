//! `sloe run`: measure the config's benchmarks (or one command, or one CI
//! stage), record them as one run, then judge it exactly as `sloe check`
//! does. Nothing is recorded unless every benchmark was measured.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sloe_core::config::{BenchmarkConfig, CommandSpec, did_you_mean};
use sloe_core::regression;
use sloe_core::units::format_number;
use sloe_core::{
    Dimension, Direction, NewRun, Quantity, ResourcePoint, Series, Timeline, Unit, stats,
};
use sloe_formats::{FileContext, Format};
use sloe_runner::benchmark::BenchError;
use sloe_runner::sample;
use sloe_runner::{
    Executor, Invocation, Output, Phase, Plan, Program, RunError, Samples, ShellOverhead,
    SystemExecutor,
};

use super::check::{self, ReportOptions};
use crate::Outcome;
use crate::args::RunArgs;
use crate::context;
use crate::settings::Settings;

/// Ctrl-C stopped the run; `main` exits 130 like a shell would.
#[derive(Debug, thiserror::Error)]
#[error(
    "finish the run: interrupted (Ctrl-C); the process group was killed and nothing was recorded"
)]
pub struct Interrupted;

/// How one benchmark is measured.
#[derive(Debug)]
enum Mode {
    /// Timed runs by a plan.
    Timed(Plan),
    /// One execution, output streamed through (a CI stage).
    Stage,
    /// One execution whose standard output a harness format reads.
    Parse(Format),
    /// A/B mode: the baseline command and the benchmark's command
    /// interleaved, A B A B ..., pairs by the plan.
    Ab { plan: Plan, baseline: Invocation },
}

#[derive(Debug)]
struct Job {
    name: String,
    invocation: Invocation,
    prepare: Option<Invocation>,
    cleanup: Option<Invocation>,
    mode: Mode,
    /// The window of `cpu_sustained`, when sampling.
    sustained_window: Duration,
}

/// The window of `cpu_sustained` when none is configured.
const DEFAULT_SUSTAINED_WINDOW: Duration = Duration::from_secs(300);

pub fn run(settings: &Settings, args: &RunArgs) -> Result<Outcome> {
    let jobs = jobs(settings, args)?;
    sloe_runner::interrupt::install()?;
    let mut exec = SystemExecutor::default();
    let mut series = Vec::new();
    let mut timelines = Vec::new();
    for job in &jobs {
        let (s, timeline) = measure_job(&mut exec, job)?;
        series.extend(s);
        timelines.extend(timeline);
    }

    let store = settings.open_store()?;
    let ctx = context::resolve(&args.context, &FileContext::default(), settings)?;
    confirm(
        settings,
        store.as_ref(),
        &mut exec,
        &jobs,
        &ctx,
        &mut series,
    )?;
    let id = store.insert_run_with_timelines(
        &NewRun {
            context: ctx,
            series,
        },
        &timelines,
    )?;
    eprintln!(
        "recorded run {id} in {}: {} benchmark{}",
        store.describe(),
        jobs.len(),
        if jobs.len() == 1 { "" } else { "s" }
    );
    check::judge_and_report(
        settings,
        store.as_ref(),
        Some(id),
        &ReportOptions {
            format: args.format,
            verbose: args.verbose,
            report_dir: args.report_dir.as_deref(),
            base_commit: None,
        },
    )
}

/// Confirmation: judges the measured run before recording it and, for each
/// timed benchmark whose provisional test leans towards worse (a one-sided
/// p-value in the worsening direction at most
/// [`regression::SCREENING_LEVEL`]), measures it `regression.confirm_runs`
/// more rounds of as many executions as its first. The series keep the
/// rounds apart (`Series::round_size`, stored with the run), so the
/// recorded verdict, here and in any later `sloe check`, is the k-round
/// test ([`regression::against_history_runs`]): the rounds' between-run
/// noise averages out, which pooling the samples into one run could not
/// do. The false-alarm rate stays at `false_alarm_rate`: see
/// [`regression::SCREENING_LEVEL`].
fn confirm(
    settings: &Settings,
    store: &dyn sloe_store::Store,
    exec: &mut dyn Executor,
    jobs: &[Job],
    ctx: &sloe_core::RunContext,
    series: &mut [Series],
) -> Result<()> {
    let rounds = settings.config.regression.confirm_runs;
    if rounds == 0 {
        return Ok(());
    }
    let provisional = sloe_core::Run {
        header: sloe_core::RunHeader {
            id: sloe_core::RunId(-1),
            context: ctx.clone(),
            recorded_at: ctx.timestamp,
        },
        series: series.to_vec(),
    };
    let report = check::judge_run(settings, store, &provisional, None)?;
    let screen =
        regression::screening_level(settings.config.regression.false_alarm_rate.fraction());
    let suspects = suspected(&report, series, screen);
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
        eprintln!(
            "sloe: `{}` may be slower (one-sided p {} ≤ {}); confirming with {rounds} more round{} of {size} run{}",
            job.name,
            if p < 0.001 {
                "< 0.001".to_owned()
            } else {
                format!("= {p:.3}")
            },
            screen,
            if rounds == 1 { "" } else { "s" },
            if size == 1 { "" } else { "s" }
        );
        let round_plan = Plan::exact(u32::try_from(size).unwrap_or(u32::MAX), plan.warmup);
        let mut extra_rounds = Vec::new();
        for _ in 0..rounds {
            extra_rounds.push(measure_with(exec, job, &round_plan)?.0);
        }
        add_rounds(series, &job.name, size, &extra_rounds);
    }
    Ok(())
}

/// Appends confirmation rounds to a benchmark's series and marks their
/// round size. A measure that some round lacks, or has a different number
/// of samples for, keeps its first round alone, so rounds never mix.
fn add_rounds(series: &mut [Series], benchmark: &str, size: usize, extra_rounds: &[Vec<Series>]) {
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
fn suspected<'a>(
    report: &'a sloe_core::report::Report,
    series: &[Series],
    screen: f64,
) -> Vec<(&'a str, f64)> {
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

/// Turns flags and config into what to execute, checking everything
/// before anything runs.
fn jobs(settings: &Settings, args: &RunArgs) -> Result<Vec<Job>> {
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| duration(t, "--timeout"))
        .transpose()?;
    let min_time = args
        .min_time
        .as_deref()
        .map(|t| duration(t, "--min-time"))
        .transpose()?;
    let sample_interval = args
        .sample_interval
        .as_deref()
        .map(|t| positive_duration(t, "--sample-interval"))
        .transpose()?;

    if let Some(stage) = &args.stage {
        if args.command.is_empty() {
            bail!(
                "run stage `{stage}`: no command given; expected `sloe run --stage {stage} -- CMD ARGS...`"
            );
        }
        if !args.names.is_empty() {
            bail!("run stage `{stage}`: benchmark names and --stage exclude each other");
        }
        let mut invocation = Invocation::new(ad_hoc_program(args));
        invocation.output = Output::Inherit;
        invocation.timeout = timeout;
        invocation.sample_interval = sample_interval;
        return Ok(vec![Job {
            name: stage.clone(),
            invocation,
            prepare: None,
            cleanup: None,
            mode: Mode::Stage,
            sustained_window: DEFAULT_SUSTAINED_WINDOW,
        }]);
    }

    if !args.command.is_empty() {
        if !args.names.is_empty() {
            bail!(
                "run `{}`: benchmark names and an ad-hoc command exclude each other; name the command with --name",
                args.command.join(" ")
            );
        }
        let mut invocation = Invocation::new(ad_hoc_program(args));
        invocation.timeout = timeout;
        invocation.sample_interval = sample_interval;
        let mut plan = Plan::DEFAULT;
        apply_overrides(&mut plan, args, min_time);
        let mode = if args.ab {
            let Some(line) = args
                .baseline_command
                .as_deref()
                .filter(|l| !l.trim().is_empty())
            else {
                bail!(
                    "run `{}` in A/B mode: no baseline command given; expected `sloe run --ab --baseline-command 'CMD_A' -- CMD_B ARGS...`",
                    args.command.join(" ")
                );
            };
            let mut baseline = Invocation::new(if args.shell {
                Program::Shell(line.to_owned())
            } else {
                Program::Argv(line.split_whitespace().map(str::to_owned).collect())
            });
            baseline.timeout = timeout;
            Mode::Ab { plan, baseline }
        } else {
            Mode::Timed(plan)
        };
        return Ok(vec![Job {
            name: args
                .name
                .clone()
                .unwrap_or_else(|| invocation.program.display()),
            invocation,
            prepare: None,
            cleanup: None,
            mode,
            sustained_window: DEFAULT_SUSTAINED_WINDOW,
        }]);
    }
    if args.name.is_some() || args.shell || args.baseline_command.is_some() {
        bail!(
            "run: --name, --shell and --baseline-command apply to an ad-hoc command, given after `--`"
        );
    }

    let defined = &settings.config.benchmarks;
    if defined.is_empty() {
        bail!(
            "find benchmarks to run: the config defines no [[benchmark]]; add one, or give a command: `sloe run -- CMD ARGS...`"
        );
    }
    let known: Vec<&str> = defined.iter().map(|b| b.name.as_str()).collect();
    for name in &args.names {
        if !known.contains(&name.as_str()) {
            let hint = did_you_mean(name, &known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            bail!(
                "find benchmark `{name}`{hint}: the config defines {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if args.ab {
        if let Some(b) = defined
            .iter()
            .find(|b| args.names.contains(&b.name) && b.baseline_command.is_none())
        {
            bail!(
                "run benchmark `{}` in A/B mode: it has no baseline_command; add `baseline_command = ...` to its [[benchmark]], or leave it out of `sloe run --ab`",
                b.name
            );
        }
        if !defined.iter().any(|b| b.baseline_command.is_some()) {
            bail!(
                "run in A/B mode: no [[benchmark]] has a baseline_command; add one, or give both commands: `sloe run --ab --baseline-command 'CMD_A' -- CMD_B ARGS...`"
            );
        }
    }
    defined
        .iter()
        .filter(|b| args.names.is_empty() || args.names.contains(&b.name))
        .filter(|b| !args.ab || b.baseline_command.is_some())
        .map(|b| job_from_config(settings, b, args, timeout, min_time, sample_interval))
        .collect()
}

fn ad_hoc_program(args: &RunArgs) -> Program {
    if args.shell {
        Program::Shell(args.command.join(" "))
    } else {
        Program::Argv(args.command.clone())
    }
}

fn apply_overrides(plan: &mut Plan, args: &RunArgs, min_time: Option<Duration>) {
    if let Some(t) = min_time {
        plan.min_time = t;
    }
    if let Some(w) = args.warmup {
        plan.warmup = w;
    }
    if let Some(n) = args.runs {
        *plan = Plan::exact(n.max(1), plan.warmup);
    }
}

fn job_from_config(
    settings: &Settings,
    b: &BenchmarkConfig,
    args: &RunArgs,
    timeout: Option<Duration>,
    min_time: Option<Duration>,
    sample_interval: Option<Duration>,
) -> Result<Job> {
    let what = |field: &str| format!("benchmark `{}`.{field}", b.name);
    let cwd = match &b.cwd {
        Some(dir) => settings.base_dir.join(dir),
        None => settings.base_dir.clone(),
    };
    let to_invocation = |spec: &CommandSpec| {
        let mut inv = Invocation::new(match spec {
            CommandSpec::Shell(line) => Program::Shell(line.clone()),
            CommandSpec::Argv(argv) => Program::Argv(argv.clone()),
        });
        inv.cwd = Some(cwd.clone());
        inv.env = b.env.clone();
        inv
    };
    let mut invocation = to_invocation(&b.command);
    invocation.timeout = match (timeout, &b.timeout) {
        (Some(t), _) => Some(t),
        (None, Some(q)) => Some(quantity_duration(q, &what("timeout"))?),
        (None, None) => None,
    };
    invocation.sample_interval = match (sample_interval, &b.sample_interval) {
        (Some(t), _) => Some(t),
        (None, Some(q)) => Some(quantity_duration(q, &what("sample_interval"))?),
        (None, None) => None,
    };
    let sustained_window = match &b.sustained_window {
        Some(q) => quantity_duration(q, &what("sustained_window"))?,
        None => DEFAULT_SUSTAINED_WINDOW,
    };
    let mode = if let Some(format) = &b.parse {
        let format = format
            .parse::<Format>()
            .map_err(|e| anyhow!("read {}: {e}", what("parse")))?;
        invocation.output = Output::Capture;
        Mode::Parse(format)
    } else {
        let mut plan = Plan::DEFAULT;
        if let Some(n) = b.min_runs {
            plan.min_runs = n.max(1);
        }
        if let Some(n) = b.max_runs {
            plan.max_runs = n.max(1);
        }
        if let Some(q) = &b.min_time {
            plan.min_time = quantity_duration(q, &what("min_time"))?;
        }
        plan.warmup = b.warmup.unwrap_or(0);
        if let Some(n) = b.runs {
            plan = Plan::exact(n.max(1), plan.warmup);
        }
        apply_overrides(&mut plan, args, min_time);
        match &b.baseline_command {
            Some(spec) => {
                let mut baseline = to_invocation(spec);
                baseline.timeout = invocation.timeout;
                Mode::Ab { plan, baseline }
            }
            None => Mode::Timed(plan),
        }
    };
    Ok(Job {
        name: b.name.clone(),
        invocation,
        prepare: b.prepare.as_ref().map(to_invocation),
        cleanup: b.cleanup.as_ref().map(to_invocation),
        mode,
        sustained_window,
    })
}

pub(super) fn duration(text: &str, flag: &str) -> Result<Duration> {
    let q: Quantity = text.parse().map_err(|e| anyhow!("read {flag}: {e}"))?;
    quantity_duration(&q, flag)
}

fn positive_duration(text: &str, flag: &str) -> Result<Duration> {
    let d = duration(text, flag)?;
    if d.is_zero() {
        bail!("read {flag}: expected a time above zero, like 100ms");
    }
    Ok(d)
}

fn quantity_duration(q: &Quantity, what: &str) -> Result<Duration> {
    if q.dimension() != Some(Dimension::Time) || q.value < 0.0 {
        bail!("read {what}: expected a time like 500ms, 3s or 10min, found {q}");
    }
    Ok(Duration::from_nanos(q.canonical().round() as u64))
}

/// Measures one job and turns what it observed into series, with the
/// resource timeline of its last execution when sampling.
fn measure_job(exec: &mut dyn Executor, job: &Job) -> Result<(Vec<Series>, Option<Timeline>)> {
    let result = match &job.mode {
        Mode::Stage => measure_stage(exec, job),
        Mode::Parse(format) => measure_parsed(exec, job, *format),
        Mode::Timed(plan) => measure_timed(exec, job, plan),
        Mode::Ab { plan, baseline } => measure_ab(exec, job, plan, baseline),
    };
    finish_job(exec, job, result)
}

/// Measures a timed job by `plan` instead of its own (a confirmation round).
fn measure_with(
    exec: &mut dyn Executor,
    job: &Job,
    plan: &Plan,
) -> Result<(Vec<Series>, Option<Timeline>)> {
    let result = measure_timed(exec, job, plan);
    finish_job(exec, job, result)
}

/// Runs the job's cleanup after a measurement.
fn finish_job(
    exec: &mut dyn Executor,
    job: &Job,
    result: Result<(Vec<Series>, Option<Timeline>)>,
) -> Result<(Vec<Series>, Option<Timeline>)> {
    // Cleanup runs whether or not the benchmark succeeded, but never after Ctrl-C.
    if let Some(cleanup) = &job.cleanup
        && !sloe_runner::interrupt::requested()
    {
        let m = exec
            .execute(cleanup)
            .with_context(|| format!("clean up after benchmark `{}`", job.name))?;
        if !m.exit.success() && result.is_ok() {
            bail!(
                "clean up after benchmark `{}`: `{}` ended with {}",
                job.name,
                cleanup.program.display(),
                m.exit
            );
        }
    }
    result
}

fn interrupted_or<E: Into<anyhow::Error>>(e: E, job: &Job) -> anyhow::Error {
    if sloe_runner::interrupt::requested() {
        return anyhow::Error::new(Interrupted);
    }
    e.into()
        .context(format!("measure benchmark `{}`", job.name))
}

fn measure_stage(exec: &mut dyn Executor, job: &Job) -> Result<(Vec<Series>, Option<Timeline>)> {
    eprintln!(
        "sloe: stage `{}`: {}",
        job.name,
        job.invocation.program.display()
    );
    let m = exec
        .execute(&job.invocation)
        .map_err(|e| interrupted_or(e, job))?;
    if !m.exit.success() {
        bail!(
            "pass stage `{}`: `{}` ended with {} after {}; a failed stage fails sloe (exit 2) whatever the budgets say, and nothing was recorded",
            job.name,
            job.invocation.program.display(),
            m.exit,
            show(Dimension::Time, m.wall.as_nanos() as f64)
        );
    }
    let samples = Samples {
        measurements: vec![m],
        shell_overhead: None,
    };
    eprintln!("{}", summary(&job.name, &samples));
    Ok(recorded(job, &samples))
}

/// The series of a measured job and the timeline of its last execution.
fn recorded(job: &Job, samples: &Samples) -> (Vec<Series>, Option<Timeline>) {
    let timeline = samples
        .measurements
        .last()
        .filter(|m| !m.timeline.is_empty())
        .map(|m| Timeline {
            benchmark: job.name.clone(),
            points: m
                .timeline
                .iter()
                .map(|s| ResourcePoint {
                    at_ms: s.at.as_secs_f64() * 1e3,
                    cpu_percent: s.cpu_percent,
                    rss: s.rss,
                })
                .collect(),
        });
    (
        to_series(&job.name, samples, job.sustained_window),
        timeline,
    )
}

fn measure_parsed(
    exec: &mut dyn Executor,
    job: &Job,
    format: Format,
) -> Result<(Vec<Series>, Option<Timeline>)> {
    eprintln!(
        "sloe: benchmark `{}`: reading its {format} output",
        job.name
    );
    if let Some(p) = &job.prepare {
        let m = exec.execute(p).map_err(|e| interrupted_or(e, job))?;
        if !m.exit.success() {
            bail!(
                "prepare benchmark `{}`: `{}` ended with {}",
                job.name,
                p.program.display(),
                m.exit
            );
        }
    }
    let m = exec
        .execute(&job.invocation)
        .map_err(|e| interrupted_or(e, job))?;
    if !m.exit.success() {
        bail!(
            "measure benchmark `{}`: `{}` ended with {}",
            job.name,
            job.invocation.program.display(),
            m.exit
        );
    }
    let origin = format!("the output of benchmark `{}`", job.name);
    let parsed = format.read(m.stdout.as_deref().unwrap_or_default(), &origin)?;
    Ok((parsed.series, None))
}

fn measure_timed(
    exec: &mut dyn Executor,
    job: &Job,
    plan: &Plan,
) -> Result<(Vec<Series>, Option<Timeline>)> {
    let overhead = match job.invocation.program {
        Program::Shell(_) => Some(shell_overhead(exec).map_err(|e| interrupted_or(e, job))?),
        Program::Argv(_) => None,
    };
    let progress = Progress::new(&job.name, plan);
    let samples = sloe_runner::measure(
        exec,
        &job.invocation,
        job.prepare.as_ref(),
        plan,
        overhead,
        &mut |phase| progress.update(phase),
    );
    progress.finish();
    let samples = samples.map_err(|e| match e {
        BenchError::Run(RunError::Interrupted { .. }) => anyhow::Error::new(Interrupted),
        e => interrupted_or(e, job),
    })?;
    eprintln!("{}", summary(&job.name, &samples));
    let outliers = samples.outliers();
    if !outliers.is_empty() {
        let named: Vec<String> = outliers
            .iter()
            .map(|&i| {
                format!(
                    "run {} ({})",
                    i + 1,
                    show(
                        Dimension::Time,
                        samples.measurements[i].wall.as_nanos() as f64
                    )
                )
            })
            .collect();
        eprintln!(
            "warning: benchmark `{}`: {} of {} wall times are outliers (modified z-score above {}): {}; other programs or a cold cache may have disturbed them (try warm-up runs)",
            job.name,
            outliers.len(),
            samples.measurements.len(),
            stats::OUTLIER_THRESHOLD,
            named.join(", ")
        );
    }
    Ok(recorded(job, &samples))
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
) -> Result<(Vec<Series>, Option<Timeline>)> {
    let overhead = |inv: &Invocation, exec: &mut dyn Executor| match inv.program {
        Program::Shell(_) => shell_overhead(exec).map(Some),
        Program::Argv(_) => Ok(None),
    };
    let overhead_a = overhead(baseline, exec).map_err(|e| interrupted_or(e, job))?;
    let overhead_b = overhead(&job.invocation, exec).map_err(|e| interrupted_or(e, job))?;
    eprintln!(
        "sloe: benchmark `{}` in A/B mode: A = {}, B = {}, interleaved",
        job.name,
        baseline.program.display(),
        job.invocation.program.display()
    );
    let progress = Progress::new(&job.name, plan);
    let pairs = sloe_runner::measure_pairs(
        exec,
        (baseline, &job.invocation),
        job.prepare.as_ref(),
        plan,
        (overhead_a, overhead_b),
        &mut |phase| progress.update(phase),
    );
    progress.finish();
    let (a, b) = pairs.map_err(|e| match e {
        BenchError::Run(RunError::Interrupted { .. }) => anyhow::Error::new(Interrupted),
        e => interrupted_or(e, job),
    })?;
    let baseline_name = format!("{}{}", job.name, sloe_core::model::AB_BASELINE_SUFFIX);
    eprintln!("{}", summary(&baseline_name, &a));
    eprintln!("{}", summary(&job.name, &b));
    let (mut series, timeline) = recorded(job, &b);
    series.extend(to_series(&baseline_name, &a, job.sustained_window));
    Ok((series, timeline))
}

/// The shell's start-up time, measured once per `sloe run`.
fn shell_overhead(exec: &mut dyn Executor) -> Result<ShellOverhead, RunError> {
    static CACHE: std::sync::Mutex<Option<ShellOverhead>> = std::sync::Mutex::new(None);
    if let Ok(cache) = CACHE.lock()
        && let Some(o) = *cache
    {
        return Ok(o);
    }
    let o = sloe_runner::calibrate_shell(exec, 50)?;
    if let Ok(mut cache) = CACHE.lock() {
        *cache = Some(o);
    }
    Ok(o)
}

/// The measures `sloe run` records, one sample per execution; with
/// sampling, also each execution's CPU burst and sustained CPU.
fn to_series(name: &str, samples: &Samples, sustained_window: Duration) -> Vec<Series> {
    let ms = &samples.measurements;
    // Values are canonical (ns, bytes, %); the unit only says how they
    // read best, chosen from the median.
    let series = |measure: &str, dimension: Dimension, values: Vec<f64>| Series {
        benchmark: name.to_owned(),
        measure: measure.to_owned(),
        unit: Unit::readable_for(dimension, stats::median(&values).unwrap_or(0.0)),
        direction: Direction::LowerIsBetter,
        values,
        round_size: None,
    };
    let ns = |d: Duration| d.as_nanos() as f64;
    let mut out = vec![
        series(
            "wall_time",
            Dimension::Time,
            ms.iter().map(|m| ns(m.wall)).collect(),
        ),
        series(
            "user_time",
            Dimension::Time,
            ms.iter().map(|m| ns(m.user)).collect(),
        ),
        series(
            "sys_time",
            Dimension::Time,
            ms.iter().map(|m| ns(m.sys)).collect(),
        ),
        series(
            "cpu_percent",
            Dimension::Percent,
            ms.iter().map(|m| m.cpu_percent()).collect(),
        ),
        series(
            "peak_rss",
            Dimension::Bytes,
            ms.iter().map(|m| m.peak_rss as f64).collect(),
        ),
    ];
    let io: Option<Vec<_>> = ms.iter().map(|m| m.io).collect();
    if let Some(io) = io {
        out.push(series(
            "io_read",
            Dimension::Bytes,
            io.iter().map(|b| b.read as f64).collect(),
        ));
        out.push(series(
            "io_write",
            Dimension::Bytes,
            io.iter().map(|b| b.write as f64).collect(),
        ));
    }
    if !ms.is_empty() && ms.iter().all(|m| !m.timeline.is_empty()) {
        out.push(series(
            "cpu_burst",
            Dimension::Percent,
            ms.iter().map(|m| sample::burst(&m.timeline)).collect(),
        ));
        out.push(series(
            "cpu_sustained",
            Dimension::Percent,
            ms.iter()
                .map(|m| sample::sustained(&m.timeline, sustained_window))
                .collect(),
        ));
    }
    out
}

fn show(dimension: Dimension, canonical: f64) -> String {
    let unit = Unit::readable_for(dimension, canonical);
    Quantity::new(unit.from_canonical(canonical), unit).to_string()
}

/// One line per benchmark: mean ± σ, median, range, CPU, memory.
fn summary(name: &str, samples: &Samples) -> String {
    let ms = &samples.measurements;
    let wall: Vec<f64> = samples.wall_ns();
    let t = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| show(Dimension::Time, v));
    let user: Vec<f64> = ms.iter().map(|m| m.user.as_nanos() as f64).collect();
    let sys: Vec<f64> = ms.iter().map(|m| m.sys.as_nanos() as f64).collect();
    let rss = ms.iter().map(|m| m.peak_rss).max().unwrap_or(0);
    let runs = ms.len();
    let mut line = if runs == 1 {
        format!("{name}: {}", t(wall.first().copied()))
    } else {
        format!(
            "{name}: {} ± {} (mean ± σ), median {}, range {} … {}",
            t(stats::mean(&wall)),
            t(stats::std_dev(&wall)),
            t(stats::median(&wall)),
            t(wall.iter().copied().reduce(f64::min)),
            t(wall.iter().copied().reduce(f64::max)),
        )
    };
    line.push_str(&format!(
        "; user {}, sys {}, peak RSS {}; {runs} run{}",
        t(stats::mean(&user)),
        t(stats::mean(&sys)),
        show(Dimension::Bytes, rss as f64),
        if runs == 1 { "" } else { "s" }
    ));
    if let Some(o) = samples.shell_overhead {
        line.push_str(&format!(
            " (shell start-up {} subtracted)",
            show(Dimension::Time, o.wall.as_nanos() as f64)
        ));
    }
    line
}

/// A progress bar on a terminal; a plain line in CI logs.
#[derive(Debug)]
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(name: &str, plan: &Plan) -> Progress {
        if !std::io::stderr().is_terminal() {
            eprintln!(
                "sloe: benchmark `{name}`: {} warm-up run{}, {}",
                plan.warmup,
                if plan.warmup == 1 { "" } else { "s" },
                if plan.min_runs == plan.max_runs {
                    format!("{} timed runs", plan.min_runs)
                } else {
                    format!(
                        "at least {} timed runs and {}",
                        plan.min_runs,
                        format_number(plan.min_time.as_secs_f64()) + " s"
                    )
                }
            );
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(
            Some(u64::from(plan.min_runs)),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(name.to_owned());
        Progress { bar: Some(bar) }
    }

    fn update(&self, phase: Phase) {
        let Some(bar) = &self.bar else { return };
        match phase {
            Phase::Warmup { done, total } => {
                bar.set_message("warm-up");
                bar.set_length(u64::from(total));
                bar.set_position(u64::from(done));
            }
            Phase::Run { done, expected } => {
                bar.set_message("");
                bar.set_length(u64::from(expected));
                bar.set_position(u64::from(done));
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use sloe_runner::fake::FakeExecutor;

    use super::*;

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
        let (series, timeline) =
            measure_job(&mut exec, &job(Some(Duration::from_millis(10)))).expect("measures");
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
        let (series, timeline) = measure_job(&mut exec, &job(None)).expect("measures");
        assert_eq!(measure(&series, "cpu_burst"), None);
        assert_eq!(measure(&series, "cpu_sustained"), None);
        assert!(timeline.is_none());
    }

    fn settings(config: &str) -> Settings {
        let doc = sloe_core::config::Document::parse(
            config,
            "sloe.toml",
            sloe_core::config::Syntax::Toml,
        )
        .expect("config parses");
        Settings {
            config: doc.resolve(None).expect("config resolves"),
            base_dir: std::path::PathBuf::from("."),
            env: None,
        }
    }

    fn context(minutes: i64) -> sloe_core::RunContext {
        sloe_core::RunContext {
            commit: None,
            branch: Some("main".to_owned()),
            testbed: Some("tb".to_owned()),
            environment: None,
            timestamp: jiff::Timestamp::from_second(1_700_000_000 + 60 * minutes)
                .expect("timestamp"),
            ci: Default::default(),
        }
    }

    fn wall_series(benchmark: &str, ms: &[f64]) -> Series {
        Series {
            benchmark: benchmark.to_owned(),
            measure: "wall_time".to_owned(),
            unit: Unit::parse("ms"),
            direction: Direction::LowerIsBetter,
            values: ms.iter().map(|v| v * 1e6).collect(),
            round_size: None,
        }
    }

    /// Ten baseline runs of `work` and `steady` with 2 % run-to-run noise
    /// around 100 ms.
    fn store_with_history(dir: &std::path::Path) -> sloe_store::SqliteStore {
        let store = sloe_store::SqliteStore::open(&dir.join("history.db")).expect("store opens");
        let levels = [
            100.0, 104.0, 96.0, 102.0, 98.0, 101.0, 99.0, 103.0, 97.0, 100.0,
        ];
        for (i, level) in levels.iter().enumerate() {
            let samples: Vec<f64> = [0.99, 0.995, 1.0, 1.005, 1.01]
                .iter()
                .map(|f| level * f)
                .collect();
            sloe_store::Store::insert_run(
                &store,
                &NewRun {
                    context: context(i as i64),
                    series: vec![
                        wall_series("work", &samples),
                        wall_series("steady", &samples),
                    ],
                },
            )
            .expect("history records");
        }
        store
    }

    fn timed_job(name: &str) -> Job {
        Job {
            name: name.to_owned(),
            invocation: Invocation::new(Program::Argv(vec![name.to_owned()])),
            prepare: None,
            cleanup: None,
            mode: Mode::Timed(Plan::exact(5, 0)),
            sustained_window: DEFAULT_SUSTAINED_WINDOW,
        }
    }

    fn wall_verdict(report: &sloe_core::report::Report, benchmark: &str) -> regression::Regression {
        report
            .results
            .iter()
            .find(|r| r.benchmark == benchmark && r.measure == "wall_time")
            .map(|r| r.regression)
            .expect("a wall_time result")
    }

    #[test]
    fn a_suspect_benchmark_is_remeasured_and_judged_on_all_rounds() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = store_with_history(dir.path());
        let settings = settings("[regression]\nwarning = \"5%\"\n");
        // `work` is 6 % slower: one round cannot tell it from the 2 %
        // run-to-run noise (p ≈ 0.03), three rounds can (p ≈ 0.004).
        let mut slow = FakeExecutor::constant(Duration::from_millis(106));
        let job = timed_job("work");
        let (mut series, _) = measure_job(&mut slow, &job).expect("measures");
        assert_eq!(slow.executions(), 5);
        let ctx = context(100);
        let judge = |series: &[Series]| {
            let run = sloe_core::Run {
                header: sloe_core::RunHeader {
                    id: sloe_core::RunId(-1),
                    context: ctx.clone(),
                    recorded_at: ctx.timestamp,
                },
                series: series.to_vec(),
            };
            check::judge_run(&settings, &store, &run, None).expect("judges")
        };
        assert_eq!(
            wall_verdict(&judge(&series), "work"),
            regression::Regression::None
        );

        confirm(&settings, &store, &mut slow, &[job], &ctx, &mut series).expect("confirms");
        assert_eq!(slow.executions(), 15, "two more rounds of five");
        let wall = series
            .iter()
            .find(|s| s.measure == "wall_time")
            .expect("wall_time");
        assert_eq!((wall.values.len(), wall.round_size), (15, Some(5)));

        // The recorded run keeps its rounds, and its verdict rests on them.
        let id = sloe_store::Store::insert_run(
            &store,
            &NewRun {
                context: ctx.clone(),
                series: series.clone(),
            },
        )
        .expect("records");
        let recorded = sloe_store::Store::run(&store, id)
            .expect("reads")
            .expect("the run");
        let report = check::judge_run(&settings, &store, &recorded, None).expect("judges");
        assert_eq!(
            wall_verdict(&report, "work"),
            regression::Regression::Regression
        );
    }

    #[test]
    fn a_benchmark_that_looks_unchanged_is_not_remeasured() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = store_with_history(dir.path());
        let settings = settings("");
        let mut exec = FakeExecutor::constant(Duration::from_millis(100));
        let job = timed_job("steady");
        let (mut series, _) = measure_job(&mut exec, &job).expect("measures");
        confirm(
            &settings,
            &store,
            &mut exec,
            &[job],
            &context(100),
            &mut series,
        )
        .expect("confirms");
        assert_eq!(exec.executions(), 5);
        assert!(series.iter().all(|s| s.round_size.is_none()));
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
        let dir = tempfile::tempdir().expect("temp dir");
        let store = sloe_store::SqliteStore::open(&dir.path().join("h.db")).expect("store");
        let settings = settings("[regression]\nwarning = \"5%\"\n");
        for (slowdown, expected) in [
            (1.10, regression::Regression::Regression),
            (1.0, regression::Regression::None),
        ] {
            let walls = drift.iter().zip(jitter).flat_map(|(a, j)| {
                [
                    Duration::from_secs_f64(a / 1e3),
                    Duration::from_secs_f64(a * slowdown * j / 1e3),
                ]
            });
            let mut exec = FakeExecutor::from_walls(walls);
            let job = Job {
                mode: Mode::Ab {
                    plan: Plan::exact(10, 1),
                    baseline: Invocation::new(Program::Argv(vec!["old".to_owned()])),
                },
                ..timed_job("new")
            };
            let (series, _) = measure_job(&mut exec, &job).expect("measures");
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
            let ctx = context(0);
            let run = sloe_core::Run {
                header: sloe_core::RunHeader {
                    id: sloe_core::RunId(-1),
                    context: ctx.clone(),
                    recorded_at: ctx.timestamp,
                },
                series,
            };
            let report = check::judge_run(&settings, &store, &run, None).expect("judges");
            assert_eq!(wall_verdict(&report, "new"), expected, "B = {slowdown} × A");
            assert!(
                report.results.iter().all(|r| r.benchmark != "new@baseline"),
                "the A side gets no verdict of its own"
            );
        }
    }
}
