//! Command-line flags, parsed once into typed values (durations, formats,
//! lists, timestamps), so commands never parse text. Turning them into
//! settings is `settings.rs`'s job.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;
use sloe_core::config::{ReportFormat, TimeSpan};
use sloe_core::context::Partial;
use sloe_core::stats::Statistic;
use sloe_core::{Dimension, Quantity};
use sloe_formats::Format;

#[derive(Debug, Parser)]
#[command(
    name = "sloe",
    version = env!("SLOE_VERSION"),
    about = "Performance budgets and regression gates for CI",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Config file (TOML, YAML or JSON); default the nearest sloe.toml in this folder or a parent.
    #[arg(long, global = true, env = "SLOE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Store URL instead of the config's (sqlite://PATH, postgres://...); a relative path starts here.
    #[arg(long, global = true, env = "SLOE_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// Start a project here (sloe.toml and .sloe/) when no sloe.toml is found.
    #[arg(long, global = true)]
    pub init: bool,
    /// Environment whose `[env.NAME]` overrides apply.
    #[arg(long = "env", global = true, env = "SLOE_ENV", value_name = "NAME")]
    pub env: Option<String>,
    /// When to use colors and emoji: auto (on a terminal, unless NO_COLOR
    /// is set), always or never; the flag wins over NO_COLOR.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// For CI logs: no progress bars and no notes; results, warnings and
    /// errors still print.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented sloe.toml and the .sloe/ directory.
    Init {
        /// Overwrite an existing config.
        #[arg(long)]
        force: bool,
    },
    /// Run the config's benchmarks (or one command), record the run, then check it.
    Run(RunArgs),
    /// Run a command and show its CPU % and memory live (records nothing).
    Monitor(MonitorArgs),
    /// Read results files and record each as a run.
    Ingest(IngestArgs),
    /// Judge a run against its budgets and its baseline; exit 1 when policy blocks.
    Check(CheckArgs),
    /// List recorded runs, or one benchmark's values across runs.
    History(HistoryArgs),
    /// Render reports (json, md, html, junit) for a run (default: the latest).
    Report(ReportArgs),
    /// Pin, show or unpin the baseline runs are compared with.
    Baseline {
        #[command(subcommand)]
        action: BaselineAction,
    },
    /// Service level objectives: validate specs, write Prometheus rules, compute status.
    Slo {
        #[command(subcommand)]
        action: SloAction,
    },
    /// Config utilities.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Budget utilities.
    Budget {
        #[command(subcommand)]
        action: BudgetAction,
    },
    /// Print a shell completion script, e.g. `sloe completions bash > ~/.local/share/bash-completion/completions/sloe`.
    Completions {
        /// The shell the script is for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print sloe's man page (roff), e.g. `sloe man > ~/.local/share/man/man1/sloe.1`.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum BudgetAction {
    /// Propose budgets from the base branch's history (a high percentile of
    /// its recent runs plus headroom from their run-to-run noise, at least
    /// 2 %, rounded outward), printed as `[[budget]]` config lines; one
    /// budget per measure where one limit fits every benchmark.
    Suggest {
        /// Benchmark name or glob (default: all).
        benchmark: Option<String>,
        /// Measure name or glob to propose budgets for, repeatable (default:
        /// wall_time and peak_rss; `--measure '*'` for every measure).
        #[arg(long = "measure", value_name = "MEASURE")]
        measures: Vec<String>,
        /// How many recent runs of the base branch to learn from (at least 1).
        #[arg(long, default_value_t = 30, value_parser = at_least_one)]
        runs: usize,
        /// The statistic the budgets judge.
        #[arg(long, default_value = "median", value_parser = statistic)]
        statistic: Statistic,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct ContextArgs {
    /// Commit the results belong to (default: the file, CI variables, then git).
    #[arg(long)]
    pub commit: Option<String>,
    /// Branch (default: the file, CI variables, then git).
    #[arg(long)]
    pub branch: Option<String>,
    /// Machine or runner class; baselines are per testbed (default: the file, CI, project.testbed, host name).
    #[arg(long)]
    pub testbed: Option<String>,
    /// When the run happened, RFC 3339 (default: the file, then now).
    #[arg(long, value_parser = timestamp)]
    pub timestamp: Option<Timestamp>,
    /// Environment label recorded with the run (default: the file, then --env).
    #[arg(long)]
    pub environment: Option<String>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Results files; `-` reads standard input. Each file is one run.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Input format (detected from the content when not given).
    #[arg(long, value_name = "FORMAT", value_parser = results_format, alias = "input-format")]
    pub format: Option<Format>,
    /// Print what was read as results JSON and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Record all files as ONE run (say, several harness outputs of one CI job).
    #[arg(long)]
    pub merge: bool,
    /// Record results again that were recorded before with the same context.
    #[arg(long)]
    pub force: bool,
    /// Record a file that holds no results as a run of 0 series (refused
    /// by default: a harness that crashed leaves one; `sloe check` never
    /// passes it).
    #[arg(long)]
    pub allow_empty: bool,
    /// What is printed: a line per run, or JSON (`sloe.ingest/v1`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct SloIngestArgs {
    /// SLI events in JSON lines; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Record the files even if the same content was ingested before.
    #[arg(long)]
    pub force: bool,
    /// Read and check the files, print what would be recorded, store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep one-minute buckets this many days, then roll them into hours (0 keeps every minute).
    // `--keep-minutes` was the first name; it read as a count of minutes.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 35,
        alias = "keep-minutes"
    )]
    pub keep_minute_buckets_days: u32,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sloe run                          every [[benchmark]] of the config
  sloe run sort-numbers gzip        a subset, by name
  sloe run --name sort -- sort -n data.txt
  sloe run --shell -- 'seq 1 100000 | wc -l'
  sloe run --stage test -- cargo test
  sloe run --ab                     benchmarks with a baseline_command, A/B
  sloe run --ab --baseline-command './old --fast' -- ./new --fast")]
pub struct RunArgs {
    /// Benchmarks of the config to run (default: all of them).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// An ad-hoc command to measure instead of the config's benchmarks.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
    /// The ad-hoc command's benchmark name (default: the command line).
    #[arg(long, value_name = "NAME", conflicts_with = "stage")]
    pub name: Option<String>,
    /// Time one CI step as one sample: output streams through, and the
    /// command's failure fails sloe (exit 2) whatever the budgets say.
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Run the ad-hoc command through `sh -c` (its start-up time is subtracted).
    #[arg(long)]
    pub shell: bool,
    /// A/B mode: run each benchmark's `baseline_command` interleaved with its
    /// command on this machine (A B A B ...) and judge the paired
    /// executions instead of history; only benchmarks with a
    /// `baseline_command` (or the ad-hoc command with --baseline-command).
    #[arg(long, conflicts_with = "stage")]
    pub ab: bool,
    /// The ad-hoc command's A/B baseline (with --ab): a command line, split
    /// on whitespace, or run through `sh -c` with --shell.
    #[arg(long, value_name = "CMD", requires = "ab")]
    pub baseline_command: Option<String>,
    /// Exactly this many timed runs, at least 1 (overrides the config); in A/B mode, pairs.
    #[arg(long, value_name = "N", conflicts_with = "stage", value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: Option<u32>,
    /// Untimed warm-up runs first (overrides the config).
    #[arg(long, value_name = "N", conflicts_with = "stage")]
    pub warmup: Option<u32>,
    /// Keep running until the timed runs add up to this, e.g. 3s (overrides the config).
    #[arg(long, value_name = "TIME", conflicts_with = "stage", value_parser = time)]
    pub min_time: Option<Duration>,
    /// Kill an execution's process group after this long, e.g. 10min.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub timeout: Option<Duration>,
    /// Sample CPU % and memory of each execution this often, e.g. 100ms
    /// (overrides the config): adds cpu_burst and cpu_sustained and keeps
    /// the timeline with the run.
    #[arg(long, value_name = "TIME", value_parser = positive_time)]
    pub sample_interval: Option<Duration>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Show every result's evidence, not only findings.
    #[arg(long, short)]
    pub verbose: bool,
    /// Where reports are written (default: reports/ beside the config).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The command to run, after `--`.
    #[arg(last = true, value_name = "CMD", required = true)]
    pub command: Vec<String>,
    /// Sample CPU % and memory this often.
    #[arg(long, value_name = "TIME", default_value = "100ms", value_parser = positive_time)]
    pub interval: Duration,
    /// The window of the sustained CPU figure (the highest mean over any such window).
    #[arg(long, value_name = "TIME", default_value = "5min", value_parser = time)]
    pub window: Duration,
    /// Run the command through `sh -c`.
    #[arg(long)]
    pub shell: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sloe check                        the latest recorded run
  sloe check --run 12               a recorded run
  sloe check results.json           results files, judged as one run and NOT recorded
                                    (pull requests whose runs must not enter history)")]
pub struct CheckArgs {
    /// Results files (any format `sloe ingest` reads; `-` reads standard
    /// input) to judge as one run without recording them.
    #[arg(value_name = "FILE", conflicts_with = "run")]
    pub files: Vec<String>,
    /// The run to judge (default: the latest recorded).
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
    /// Format of the FILEs (detected from the content when not given).
    #[arg(long, value_name = "FORMAT", value_parser = results_format, requires = "files")]
    pub input_format: Option<Format>,
    /// Judge files that hold no results (refused by default); the check
    /// then reports the empty run as a finding, never a pass.
    #[arg(long, requires = "files")]
    pub allow_empty: bool,
    /// What is printed: the verdict as text, or the report JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, alias = "output")]
    pub format: OutputFormat,
    /// Show every result's evidence, not only findings.
    #[arg(long, short)]
    pub verbose: bool,
    /// Where reports are written (default: reports/ beside the config).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Compare with the base branch's runs up to this commit (default for a
    /// branch's run: `git merge-base <commit> <base_branch>`). A pinned
    /// baseline still wins.
    #[arg(long, value_name = "SHA")]
    pub base_commit: Option<String>,
    /// The context of the FILEs' run (as `sloe ingest` resolves it).
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Comma-separated formats: json, md, html, junit.
    #[arg(long, default_value = "json,md,html,junit", value_name = "LIST", value_parser = report_formats)]
    pub format: ReportFormats,
    /// Directory the files go to (default: the config's `[report] out`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// History the dashboard plots, e.g. 30d (default: `[report] since`, 90d).
    #[arg(long, value_name = "SPAN", value_parser = time_span)]
    pub since: Option<TimeSpan>,
    /// The run to report on (default: the latest recorded).
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Benchmark name or glob (`build:*`); without it, lists runs.
    pub benchmark: Option<String>,
    /// How many runs to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// List where each series' level shifted (change points, PELT) with the
    /// commit and size, over the last max(--limit, 200) runs of the base
    /// branch (other branches' runs are no part of its series); the
    /// benchmark glob defaults to all.
    #[arg(long)]
    pub changes: bool,
}

#[derive(Debug, Subcommand)]
pub enum BaselineAction {
    /// Pin a run as the baseline (default: the latest run).
    Set {
        #[arg(long, value_name = "ID")]
        run: Option<i64>,
        /// Pin only for this testbed (default: for every testbed).
        #[arg(long)]
        testbed: Option<String>,
    },
    /// Show the pinned baseline.
    Show {
        #[arg(long)]
        testbed: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Unpin the baseline; recent base-branch runs are used again.
    Clear {
        #[arg(long)]
        testbed: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the config's JSON Schema.
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum SloAction {
    /// Read SLO specs (sloe.toml, OpenSLO v1, Sloth) and report every error.
    Validate(SloValidateArgs),
    /// Write Prometheus recording and alerting rules for the SLOs with a PromQL SLI.
    Rules(SloRulesArgs),
    /// Compute SLIs, error budgets, burn rates and alerts; exit 1 when a page fires or a budget is spent.
    Status(SloStatusArgs),
    /// Record SLI events (JSON lines) in the store, all files in one transaction.
    Ingest(SloIngestArgs),
}

#[derive(Debug, Args)]
pub struct SloValidateArgs {
    /// Spec files or folders (folders are searched for .yaml, .yml and
    /// .toml files; default: the config's [[slo]] tables).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct SloRulesArgs {
    /// Spec files or folders (default: the config's [[slo]] tables).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write the rules here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The period of Sloth specs, which name none (Sloth's --default-slo-period).
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub sloth_period: String,
}

#[derive(Debug, Args)]
pub struct SloStatusArgs {
    /// Spec files or folders (default: the config's [[slo]] tables).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// SLI events in JSON lines.
    #[arg(long, value_name = "FILE")]
    pub events: Vec<PathBuf>,
    /// The time of judgement, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Read the good and total events of PromQL SLIs from this Prometheus
    /// (queries should count events in the window: `sum(increase(x[{{window}}]))`).
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

impl ContextArgs {
    /// What the flags say about a run's context.
    pub fn partial(&self) -> Partial {
        Partial {
            commit: self.commit.clone(),
            branch: self.branch.clone(),
            testbed: self.testbed.clone(),
            environment: self.environment.clone(),
            timestamp: self.timestamp,
            fingerprint: None,
        }
    }
}

/// The report formats of `sloe report --format`, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFormats(pub Vec<ReportFormat>);

// Value parsers: each error reads after clap's "invalid value 'X' for '--flag':".

fn report_formats(list: &str) -> Result<ReportFormats, String> {
    comma_list(list, |s| match s {
        "json" => Ok(ReportFormat::Json),
        "md" | "markdown" => Ok(ReportFormat::Md),
        "html" => Ok(ReportFormat::Html),
        "junit" | "xml" => Ok(ReportFormat::Junit),
        other => Err(format!(
            "unknown report format {other:?}; expected json, md, html or junit"
        )),
    })
    .map(ReportFormats)
}

/// A comma-separated list; blanks between commas are ignored.
fn comma_list<T>(list: &str, item: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(item)
        .collect()
}

fn time_span(text: &str) -> Result<TimeSpan, String> {
    let q: Quantity = text.parse().map_err(|e| format!("{e}"))?;
    if q.dimension() != Some(Dimension::Time) || q.value <= 0.0 {
        return Err(format!(
            "{text:?}: expected a length of time like 30d, 12h or 90min"
        ));
    }
    Ok(TimeSpan(q))
}

/// A time like 500ms, 3s or 10min (`--timeout`, `--min-time`, `--window`).
fn time(text: &str) -> Result<Duration, String> {
    let q: Quantity = text.parse().map_err(|e| format!("{e}"))?;
    if q.dimension() != Some(Dimension::Time) || q.value < 0.0 {
        return Err(format!(
            "expected a time like 500ms, 3s or 10min, found {q}"
        ));
    }
    Ok(Duration::from_nanos(q.canonical().round() as u64))
}

/// A time above zero (`--sample-interval`, `--interval`).
fn positive_time(text: &str) -> Result<Duration, String> {
    let d = time(text)?;
    if d.is_zero() {
        return Err("expected a time above zero, like 100ms".to_owned());
    }
    Ok(d)
}

/// A count of runs: zero would judge nothing and say so only by silence.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("expected at least 1 run, found 0".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("expected a whole number of runs like 30 ({e})")),
    }
}

fn timestamp(text: &str) -> Result<Timestamp, String> {
    let ts: Timestamp = text
        .parse()
        .map_err(|e| format!("expected an RFC 3339 timestamp like 2026-11-20T10:00:00Z ({e})"))?;
    if !sloe_app::ingest::storable(ts) {
        return Err(
            "expected a time from 1677-09-21 to 2262-04-11 UTC, the range the store keeps"
                .to_owned(),
        );
    }
    Ok(ts)
}

fn statistic(text: &str) -> Result<Statistic, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn results_format(text: &str) -> Result<Format, String> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_formats_are_a_comma_list() {
        assert_eq!(
            report_formats("json, md,,html,junit").expect("valid").0,
            vec![
                ReportFormat::Json,
                ReportFormat::Md,
                ReportFormat::Html,
                ReportFormat::Junit
            ]
        );
        assert_eq!(
            report_formats("markdown,xml").expect("aliases").0,
            vec![ReportFormat::Md, ReportFormat::Junit]
        );
        let e = report_formats("json,pdf").expect_err("pdf is unknown");
        assert!(e.contains("\"pdf\""), "{e}");
    }

    #[test]
    fn a_time_span_is_a_positive_time() {
        assert_eq!(
            time_span("30d").expect("valid").nanoseconds(),
            30.0 * 86_400e9
        );
        assert!(
            time_span("4GiB")
                .expect_err("a size")
                .contains("length of time")
        );
        assert!(
            time_span("0d")
                .expect_err("empty")
                .contains("length of time")
        );
        assert!(time_span("soon").is_err());
    }

    #[test]
    fn run_and_monitor_times_are_durations() {
        assert_eq!(time("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(time("0s"), Ok(Duration::ZERO));
        assert!(
            time("3GiB")
                .expect_err("a size")
                .contains("expected a time")
        );
        assert!(time("-1s").is_err());
        assert!(
            positive_time("0ms")
                .expect_err("zero")
                .contains("above zero")
        );
        use clap::Parser;
        let cli = Cli::try_parse_from(["sloe", "monitor", "--", "true"]).expect("parses");
        let Command::Monitor(args) = cli.command else {
            panic!("not monitor");
        };
        assert_eq!(
            (args.interval, args.window),
            (Duration::from_millis(100), Duration::from_secs(300))
        );
    }

    #[test]
    fn flags_parse_into_types() {
        use clap::Parser;
        let cli = Cli::try_parse_from(["sloe", "report", "--since", "12h", "--format", "md"])
            .expect("parses");
        let Command::Report(args) = cli.command else {
            panic!("not report");
        };
        assert_eq!(args.format.0, vec![ReportFormat::Md]);
        assert_eq!(args.since.expect("since").nanoseconds(), 12.0 * 3600e9);
        assert!(Cli::try_parse_from(["sloe", "report", "--format", "pdf"]).is_err());
        assert!(Cli::try_parse_from(["sloe", "ingest", "--timestamp", "yesterday", "f"]).is_err());
        assert!(Cli::try_parse_from(["sloe", "budget", "suggest", "--statistic", "p200"]).is_err());
    }
}
