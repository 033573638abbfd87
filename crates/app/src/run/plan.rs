//! What `sloe run` executes: the config's benchmarks (or one ad-hoc
//! command, or one CI stage) with the caller's overrides, each turned into
//! invocations and a way of measuring them, all checked before anything
//! runs.

use std::time::Duration;

use sloe_core::config::{BenchmarkConfig, CommandSpec, did_you_mean};
use sloe_core::{Dimension, Quantity};
use sloe_formats::Format;
use sloe_runner::{Invocation, Output, Plan, Program};

use crate::{AppError, Result, Settings};

/// The window of `cpu_sustained` when none is configured.
pub const DEFAULT_SUSTAINED_WINDOW: Duration = Duration::from_secs(300);

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The config's benchmarks: those `names`, or all of them. With `ab`,
    /// only those with a `baseline_command`, each interleaved with it.
    Config { names: Vec<String>, ab: bool },
    /// One ad-hoc command, named `name` (default: the command line).
    Command {
        command: Vec<String>,
        name: Option<String>,
        /// Through `sh -c`, the words joined by spaces.
        shell: bool,
        /// A/B mode against this command line (split on whitespace, or
        /// through `sh -c` with `shell`).
        baseline: Option<String>,
    },
    /// One CI step, timed as one sample with its output streaming through.
    Stage {
        name: String,
        command: Vec<String>,
        shell: bool,
    },
}

/// What the caller overrides in every benchmark's plan and invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Exactly this many timed runs (pairs in A/B mode).
    pub runs: Option<u32>,
    pub warmup: Option<u32>,
    pub min_time: Option<Duration>,
    pub timeout: Option<Duration>,
    pub sample_interval: Option<Duration>,
}

impl Target {
    /// Whether the run leaves out benchmarks of the config on purpose
    /// (chosen names, `--ab`, an ad-hoc command or a stage): then budgets
    /// for the others are said when judging it, not blocked on as missing.
    pub fn is_partial(&self) -> bool {
        match self {
            Target::Config { names, ab } => !names.is_empty() || *ab,
            Target::Command { .. } | Target::Stage { .. } => true,
        }
    }
}

/// The settings a run of `target` is judged with: for a partial run
/// ([`Target::is_partial`]), `policy.fail_on` without `missing`.
pub fn judging_settings(settings: &Settings, target: &Target) -> Settings {
    let mut judging = settings.clone();
    if target.is_partial() {
        judging
            .config
            .policy
            .fail_on
            .retain(|f| *f != sloe_core::config::FailOn::Missing);
    }
    judging
}

/// Everything a run is asked to do, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    pub target: Target,
    pub overrides: Overrides,
}

/// How one benchmark is measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
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

/// One benchmark, ready to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub name: String,
    pub invocation: Invocation,
    pub prepare: Option<Invocation>,
    pub cleanup: Option<Invocation>,
    pub mode: Mode,
    /// The window of `cpu_sustained`, when sampling.
    pub sustained_window: Duration,
}

/// Turns the options and the config into what to execute, checking
/// everything before anything runs.
pub fn plan(settings: &Settings, options: &RunOptions) -> Result<Vec<Job>> {
    let o = &options.overrides;
    match &options.target {
        Target::Stage {
            name,
            command,
            shell,
        } => {
            let mut invocation = Invocation::new(program(command, *shell));
            invocation.output = Output::Inherit;
            invocation.timeout = o.timeout;
            invocation.sample_interval = o.sample_interval;
            Ok(vec![Job {
                name: name.clone(),
                invocation,
                prepare: None,
                cleanup: None,
                mode: Mode::Stage,
                sustained_window: DEFAULT_SUSTAINED_WINDOW,
            }])
        }
        Target::Command {
            command,
            name,
            shell,
            baseline,
        } => {
            let mut invocation = Invocation::new(program(command, *shell));
            invocation.timeout = o.timeout;
            invocation.sample_interval = o.sample_interval;
            let mut plan = Plan::DEFAULT;
            apply_overrides(&mut plan, o);
            let mode = match baseline {
                Some(line) => {
                    let mut baseline = Invocation::new(if *shell {
                        Program::Shell(line.clone())
                    } else {
                        Program::Argv(line.split_whitespace().map(str::to_owned).collect())
                    });
                    baseline.timeout = o.timeout;
                    Mode::Ab { plan, baseline }
                }
                None => Mode::Timed(plan),
            };
            Ok(vec![Job {
                name: name.clone().unwrap_or_else(|| invocation.program.display()),
                invocation,
                prepare: None,
                cleanup: None,
                mode,
                sustained_window: DEFAULT_SUSTAINED_WINDOW,
            }])
        }
        Target::Config { names, ab } => from_config(settings, names, *ab, o),
    }
}

fn program(command: &[String], shell: bool) -> Program {
    if shell {
        Program::Shell(command.join(" "))
    } else {
        Program::Argv(command.to_vec())
    }
}

/// The config's benchmarks named (all when none are), checked as a whole
/// first: unknown names and A/B mode without baselines fail before any
/// benchmark is planned.
fn from_config(settings: &Settings, names: &[String], ab: bool, o: &Overrides) -> Result<Vec<Job>> {
    let defined = &settings.config.benchmarks;
    if defined.is_empty() {
        return Err(AppError::Usage(
            "find benchmarks to run: the config defines no [[benchmark]]; add one, or give a command: `sloe run -- CMD ARGS...`"
                .to_owned(),
        ));
    }
    let known: Vec<&str> = defined.iter().map(|b| b.name.as_str()).collect();
    for name in names {
        if !known.contains(&name.as_str()) {
            let hint = did_you_mean(name, &known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(AppError::Usage(format!(
                "find benchmark `{name}`{hint}: the config defines {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if ab {
        if let Some(b) = defined
            .iter()
            .find(|b| names.contains(&b.name) && b.baseline_command.is_none())
        {
            return Err(AppError::Usage(format!(
                "run benchmark `{}` in A/B mode: it has no baseline_command; add `baseline_command = ...` to its [[benchmark]], or leave it out of `sloe run --ab`",
                b.name
            )));
        }
        if !defined.iter().any(|b| b.baseline_command.is_some()) {
            return Err(AppError::Usage(
                "run in A/B mode: no [[benchmark]] has a baseline_command; add one, or give both commands: `sloe run --ab --baseline-command 'CMD_A' -- CMD_B ARGS...`"
                    .to_owned(),
            ));
        }
    }
    defined
        .iter()
        .filter(|b| names.is_empty() || names.contains(&b.name))
        .filter(|b| !ab || b.baseline_command.is_some())
        .map(|b| job_from_config(settings, b, o))
        .collect()
}

/// The caller's overrides win over the config's plan; an exact number of
/// runs replaces the adaptive plan but keeps its warm-up.
fn apply_overrides(plan: &mut Plan, o: &Overrides) {
    if let Some(t) = o.min_time {
        plan.min_time = t;
    }
    if let Some(w) = o.warmup {
        plan.warmup = w;
    }
    if let Some(n) = o.runs {
        *plan = Plan::exact(n.max(1), plan.warmup);
    }
}

fn job_from_config(settings: &Settings, b: &BenchmarkConfig, o: &Overrides) -> Result<Job> {
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
    invocation.timeout = match (o.timeout, &b.timeout) {
        (Some(t), _) => Some(t),
        (None, Some(q)) => Some(quantity_duration(q, &what("timeout"))?),
        (None, None) => None,
    };
    invocation.sample_interval = match (o.sample_interval, &b.sample_interval) {
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
            .map_err(|e| AppError::Usage(format!("read {}: {e}", what("parse"))))?;
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
        apply_overrides(&mut plan, o);
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

/// A config quantity as a duration: a time, not negative.
fn quantity_duration(q: &Quantity, what: &str) -> Result<Duration> {
    if q.dimension() != Some(Dimension::Time) || q.value < 0.0 {
        return Err(AppError::Usage(format!(
            "read {what}: expected a time like 500ms, 3s or 10min, found {q}"
        )));
    }
    Ok(Duration::from_nanos(q.canonical().round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::test_support::settings;

    const CONFIG: &str = r#"
[[benchmark]]
name = "parse-small"
command = ["parse", "small.json"]
warmup = 2
min_runs = 5
max_runs = 50
min_time = "1s"
timeout = "10s"
cwd = "bench"

[[benchmark]]
name = "parse-large"
command = "parse large.json | wc -l"
baseline_command = "old-parse large.json | wc -l"
runs = 7
prepare = ["rm", "-f", "cache"]
sustained_window = "30s"

[[benchmark]]
name = "gbench"
command = ["./bench"]
parse = "gbench"
"#;

    fn config(names: &[&str], ab: bool, overrides: Overrides) -> Result<Vec<Job>> {
        plan(
            &settings(CONFIG),
            &RunOptions {
                target: Target::Config {
                    names: names.iter().map(|n| (*n).to_owned()).collect(),
                    ab,
                },
                overrides,
            },
        )
    }

    fn names(jobs: &[Job]) -> Vec<&str> {
        jobs.iter().map(|j| j.name.as_str()).collect()
    }

    #[test]
    fn every_configured_benchmark_by_default_each_measured_its_own_way() {
        let jobs = config(&[], false, Overrides::default()).expect("plans");
        assert_eq!(names(&jobs), ["parse-small", "parse-large", "gbench"]);
        assert_eq!(
            jobs[0].mode,
            Mode::Timed(Plan {
                warmup: 2,
                min_runs: 5,
                max_runs: 50,
                min_time: Duration::from_secs(1),
            })
        );
        assert_eq!(jobs[0].invocation.timeout, Some(Duration::from_secs(10)));
        assert_eq!(
            jobs[0].invocation.cwd.as_deref(),
            Some(std::path::Path::new("./bench"))
        );
        let Mode::Ab { plan, baseline } = &jobs[1].mode else {
            panic!("parse-large has a baseline_command: {:?}", jobs[1].mode);
        };
        assert_eq!(*plan, Plan::exact(7, 0));
        assert_eq!(
            baseline.program,
            Program::Shell("old-parse large.json | wc -l".to_owned())
        );
        assert!(jobs[1].prepare.is_some());
        assert_eq!(jobs[1].sustained_window, Duration::from_secs(30));
        assert_eq!(jobs[2].mode, Mode::Parse(Format::Gbench));
        assert_eq!(jobs[2].invocation.output, Output::Capture);
        assert_eq!(jobs[2].sustained_window, DEFAULT_SUSTAINED_WINDOW);
    }

    #[test]
    fn overrides_win_over_the_config_and_exact_runs_keep_the_warm_up() {
        let overrides = Overrides {
            runs: Some(3),
            timeout: Some(Duration::from_secs(2)),
            sample_interval: Some(Duration::from_millis(20)),
            ..Overrides::default()
        };
        let jobs = config(&["parse-small"], false, overrides).expect("plans");
        assert_eq!(names(&jobs), ["parse-small"]);
        assert_eq!(jobs[0].mode, Mode::Timed(Plan::exact(3, 2)));
        assert_eq!(jobs[0].invocation.timeout, Some(Duration::from_secs(2)));
        assert_eq!(
            jobs[0].invocation.sample_interval,
            Some(Duration::from_millis(20))
        );

        let overrides = Overrides {
            warmup: Some(0),
            min_time: Some(Duration::from_millis(200)),
            ..Overrides::default()
        };
        let jobs = config(&["parse-small"], false, overrides).expect("plans");
        let Mode::Timed(plan) = jobs[0].mode else {
            panic!("{:?}", jobs[0].mode);
        };
        assert_eq!(
            (plan.warmup, plan.min_runs, plan.max_runs, plan.min_time),
            (0, 5, 50, Duration::from_millis(200))
        );
    }

    #[test]
    fn ab_mode_takes_the_benchmarks_with_a_baseline_and_refuses_one_without() {
        let jobs = config(&[], true, Overrides::default()).expect("plans");
        assert_eq!(names(&jobs), ["parse-large"]);
        let e = config(&["parse-small"], true, Overrides::default()).expect_err("refused");
        assert!(matches!(e, AppError::Usage(_)), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("run benchmark `parse-small` in A/B mode: it has no baseline_command"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_name_is_refused_with_a_suggestion() {
        let e = config(&["parse-smal"], false, Overrides::default()).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "find benchmark `parse-smal` (did you mean `parse-small`?): the config defines `parse-small`, `parse-large`, `gbench`"
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn a_config_without_benchmarks_asks_for_one_or_a_command() {
        let e = plan(
            &settings(""),
            &RunOptions {
                target: Target::Config {
                    names: Vec::new(),
                    ab: false,
                },
                overrides: Overrides::default(),
            },
        )
        .expect_err("refused");
        assert!(
            e.to_string()
                .contains("the config defines no [[benchmark]]"),
            "{e}"
        );
    }

    #[test]
    fn an_ad_hoc_command_is_named_by_its_line_and_may_be_ab() {
        let options = |shell: bool, baseline: Option<&str>| RunOptions {
            target: Target::Command {
                command: vec!["sleep".to_owned(), "0.1".to_owned()],
                name: None,
                shell,
                baseline: baseline.map(str::to_owned),
            },
            overrides: Overrides {
                runs: Some(4),
                ..Overrides::default()
            },
        };
        let jobs = plan(&settings(""), &options(false, None)).expect("plans");
        assert_eq!(names(&jobs), ["sleep 0.1"]);
        assert_eq!(
            jobs[0].invocation.program,
            Program::Argv(vec!["sleep".to_owned(), "0.1".to_owned()])
        );
        assert_eq!(jobs[0].mode, Mode::Timed(Plan::exact(4, 0)));

        let jobs = plan(&settings(""), &options(false, Some("sleep  0.2"))).expect("plans");
        let Mode::Ab { plan: p, baseline } = &jobs[0].mode else {
            panic!("{:?}", jobs[0].mode);
        };
        assert_eq!(*p, Plan::exact(4, 0));
        assert_eq!(
            baseline.program,
            Program::Argv(vec!["sleep".to_owned(), "0.2".to_owned()])
        );

        let jobs = plan(&settings(""), &options(true, Some("sleep 0.2"))).expect("plans");
        assert_eq!(
            jobs[0].invocation.program,
            Program::Shell("sleep 0.1".to_owned())
        );
        let Mode::Ab { baseline, .. } = &jobs[0].mode else {
            panic!("{:?}", jobs[0].mode);
        };
        assert_eq!(baseline.program, Program::Shell("sleep 0.2".to_owned()));
    }

    #[test]
    fn a_stage_streams_its_output_and_is_measured_once() {
        let jobs = plan(
            &settings(""),
            &RunOptions {
                target: Target::Stage {
                    name: "ci:test".to_owned(),
                    command: vec!["make".to_owned(), "test".to_owned()],
                    shell: false,
                },
                overrides: Overrides {
                    timeout: Some(Duration::from_secs(600)),
                    ..Overrides::default()
                },
            },
        )
        .expect("plans");
        assert_eq!(names(&jobs), ["ci:test"]);
        assert_eq!(jobs[0].mode, Mode::Stage);
        assert_eq!(jobs[0].invocation.output, Output::Inherit);
        assert_eq!(jobs[0].invocation.timeout, Some(Duration::from_secs(600)));
    }

    #[test]
    fn contradictory_benchmark_settings_are_refused_before_anything_runs() {
        // Refused when the config is read or when the run is planned:
        // either way before anything runs.
        let refused = |config: &str| {
            let settings =
                match Settings::from_text(config, std::path::Path::new("sloe.toml"), None) {
                    Ok(settings) => settings,
                    Err(e) => return e.to_string(),
                };
            plan(
                &settings,
                &RunOptions {
                    target: Target::Config {
                        names: Vec::new(),
                        ab: false,
                    },
                    overrides: Overrides::default(),
                },
            )
            .expect_err("refused")
            .to_string()
        };
        let bench = "[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\n";
        let e = refused(&format!(
            "{bench}baseline_command = [\"true\"]\nparse = \"hyperfine\"\n"
        ));
        assert!(
            e.contains("baseline_command") && e.contains("A/B mode times two commands"),
            "{e}"
        );
        let e = refused(&format!("{bench}min_runs = 9\nmax_runs = 3\n"));
        assert!(
            e.contains("min_runs = 9") && e.contains("max_runs = 3"),
            "{e}"
        );
        let e = refused(&format!("{bench}timeout = \"3GiB\"\n"));
        assert!(
            e.contains("timeout") && e.contains("expected a time like 500ms"),
            "{e}"
        );
        let e = refused(&format!("{bench}sample_interval = \"0ms\"\n"));
        assert!(
            e.contains("sample_interval") && e.contains("expected a time above zero"),
            "{e}"
        );
    }
}
