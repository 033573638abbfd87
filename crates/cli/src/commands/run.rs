//! `sloe run`: measure the config's benchmarks (or one command, or one CI
//! stage), record them as one run, then judge it exactly as `sloe check`
//! does. Nothing is recorded unless every benchmark was measured.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sloe_core::config::{BenchmarkConfig, CommandSpec, suggest};
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
/// timed benchmark that looks like a regression, measures it
/// `regression.confirm_runs` more times and adds the samples, so the
/// recorded verdict rests on all of them. A noisy first measurement is then
/// outvoted instead of failing the build.
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
    let suspects = suspected(&report);
    for job in jobs {
        if !matches!(job.mode, Mode::Timed(_)) || !suspects.contains(&job.name.as_str()) {
            continue;
        }
        eprintln!(
            "sloe: `{}` looks like a regression; confirming with {rounds} more measurement{}",
            job.name,
            if rounds == 1 { "" } else { "s" }
        );
        for _ in 0..rounds {
            for extra in measure_job(exec, job)?.0 {
                if let Some(s) = series
                    .iter_mut()
                    .find(|s| s.benchmark == extra.benchmark && s.measure == extra.measure)
                {
                    s.values.extend(extra.values);
                }
            }
        }
    }
    Ok(())
}

/// Benchmarks a provisional report calls a regression.
fn suspected(report: &sloe_core::report::Report) -> Vec<&str> {
    let mut names: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.regression == sloe_core::regression::Regression::Regression)
        .map(|r| r.benchmark.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
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
        return Ok(vec![Job {
            name: args
                .name
                .clone()
                .unwrap_or_else(|| invocation.program.display()),
            invocation,
            prepare: None,
            cleanup: None,
            mode: Mode::Timed(plan),
            sustained_window: DEFAULT_SUSTAINED_WINDOW,
        }]);
    }
    if args.name.is_some() || args.shell {
        bail!("run: --name and --shell apply to an ad-hoc command, given after `--`");
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
            let hint = suggest(name, &known)
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
    defined
        .iter()
        .filter(|b| args.names.is_empty() || args.names.contains(&b.name))
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
        (None, Some(q)) => {
            let t = quantity_duration(q, &what("sample_interval"))?;
            if t.is_zero() {
                bail!(
                    "read {}: expected a time above zero, like 100ms",
                    what("sample_interval")
                );
            }
            Some(t)
        }
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
        if plan.min_runs > plan.max_runs {
            bail!(
                "read {}: min_runs = {} is above max_runs = {}",
                what("min_runs"),
                plan.min_runs,
                plan.max_runs
            );
        }
        if let Some(q) = &b.min_time {
            plan.min_time = quantity_duration(q, &what("min_time"))?;
        }
        plan.warmup = b.warmup.unwrap_or(0);
        if let Some(n) = b.runs {
            plan = Plan::exact(n.max(1), plan.warmup);
        }
        apply_overrides(&mut plan, args, min_time);
        Mode::Timed(plan)
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
    };
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
}
