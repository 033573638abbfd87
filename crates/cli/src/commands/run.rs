//! `sloe run`: flags → [`RunOptions`], then `sloe_app::run` plans, measures,
//! confirms and records the run while [`RunView`] shows its progress, then
//! the run is judged and reported exactly as `sloe check` does. Nothing is
//! recorded unless every benchmark was measured.

use anyhow::{Result, anyhow, bail};
use jiff::Timestamp;
use sloe_app::run::{Overrides, Recording, RunOptions, Target};
use sloe_app::{AppError, SystemClock};
use sloe_core::context::Partial;
use sloe_runner::SystemExecutor;

use super::check::{self, ReportOptions};
use crate::Outcome;
use crate::args::{ContextArgs, RunArgs};
use crate::output::RunView;
use crate::settings::Settings;

/// Ctrl-C stopped the run; `main` exits 130 like a shell would.
#[derive(Debug, thiserror::Error)]
#[error(
    "finish the run: interrupted (Ctrl-C); the process group was killed and nothing was recorded"
)]
pub struct Interrupted;

pub fn run(settings: &Settings, args: &RunArgs) -> Result<Outcome> {
    let options = options(args)?;
    let app_settings = sloe_app::Settings {
        config: settings.config.clone(),
        base_dir: settings.base_dir.clone(),
        env: settings.env.clone(),
        path: None,
    };
    let jobs = sloe_app::run::plan(&app_settings, &options).map_err(app_error)?;
    let given = given(&args.context)?;
    sloe_runner::interrupt::install()?;
    let mut view = RunView::default();
    let recorded = sloe_app::run::measure_and_record(
        &app_settings,
        &jobs,
        &mut SystemExecutor::default(),
        &Recording {
            given: &given,
            env: &sloe_app::context::process_env,
            clock: &SystemClock,
        },
        &mut |store, run| {
            check::judge_run(settings, store, run, None)
                .map_err(|e| AppError::Input(format!("{e:#}")))
        },
        &mut |event| view.show(event),
    )
    .map_err(app_error)?;
    check::judge_and_report(
        settings,
        recorded.store.as_ref(),
        Some(recorded.id),
        &ReportOptions {
            format: args.format,
            verbose: args.verbose,
            report_dir: args.report_dir.as_deref(),
            base_commit: None,
        },
    )
}

/// Ctrl-C keeps its own exit code.
fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Interrupted => anyhow::Error::new(Interrupted),
        e => anyhow::Error::new(e),
    }
}

/// What the flags ask to measure; flags that exclude each other are
/// refused here, before the config is looked at.
fn options(args: &RunArgs) -> Result<RunOptions> {
    let overrides = Overrides {
        runs: args.runs,
        warmup: args.warmup,
        min_time: args.min_time,
        timeout: args.timeout,
        sample_interval: args.sample_interval,
    };
    let target = if let Some(stage) = &args.stage {
        if args.command.is_empty() {
            bail!(
                "run stage `{stage}`: no command given; expected `sloe run --stage {stage} -- CMD ARGS...`"
            );
        }
        if !args.names.is_empty() {
            bail!("run stage `{stage}`: benchmark names and --stage exclude each other");
        }
        Target::Stage {
            name: stage.clone(),
            command: args.command.clone(),
            shell: args.shell,
        }
    } else if !args.command.is_empty() {
        if !args.names.is_empty() {
            bail!(
                "run `{}`: benchmark names and an ad-hoc command exclude each other; name the command with --name",
                args.command.join(" ")
            );
        }
        let baseline = if args.ab {
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
            Some(line.to_owned())
        } else {
            None
        };
        Target::Command {
            command: args.command.clone(),
            name: args.name.clone(),
            shell: args.shell,
            baseline,
        }
    } else {
        if args.name.is_some() || args.shell || args.baseline_command.is_some() {
            bail!(
                "run: --name, --shell and --baseline-command apply to an ad-hoc command, given after `--`"
            );
        }
        Target::Config {
            names: args.names.clone(),
            ab: args.ab,
        }
    };
    Ok(RunOptions { target, overrides })
}

/// The run's context as the flags give it.
fn given(flags: &ContextArgs) -> Result<Partial> {
    let timestamp = flags
        .timestamp
        .as_deref()
        .map(|t| {
            t.parse::<Timestamp>().map_err(|e| {
                anyhow!("read --timestamp {t:?}: expected an RFC 3339 timestamp like 2026-11-20T10:00:00Z ({e})")
            })
        })
        .transpose()?;
    Ok(Partial {
        commit: flags.commit.clone(),
        branch: flags.branch.clone(),
        testbed: flags.testbed.clone(),
        environment: flags.environment.clone(),
        timestamp,
    })
}
