//! `sloe run`: flags → [`RunOptions`], then `sloe_app::run` plans, measures,
//! confirms and records the run while [`RunView`] shows its progress, then
//! the run is judged and reported exactly as `sloe check` does. Nothing is
//! recorded unless every benchmark was measured.

use sloe_app::check::MergeBase;
use sloe_app::context::process_env;
use sloe_app::run::{Overrides, Recording, RunOptions, Target};
use sloe_app::{AppError, Result, Settings, SystemClock};
use sloe_runner::SystemExecutor;

use super::check::{self, ReportOptions};
use crate::Outcome;
use crate::args::RunArgs;
use crate::output::RunView;

pub fn run(settings: &Settings, args: &RunArgs) -> Result<Outcome> {
    let options = options(args)?;
    let jobs = sloe_app::run::plan(settings, &options)?;
    settings.check_can_record()?;
    sloe_runner::interrupt::install()?;
    let mut view = RunView::default();
    let git = check::git_in(settings);
    let recorded = sloe_app::run::measure_and_record(
        settings,
        &jobs,
        &mut SystemExecutor::default().with_intermediary(sloe_runner::spawn::THIS_PROGRAM),
        &Recording {
            given: &args.context.partial(),
            env: &process_env,
            clock: &SystemClock,
        },
        MergeBase::Find(git.as_ref()),
        &mut |event| view.show(event),
    )?;
    check::judge_and_report(
        &sloe_app::run::judging_settings(settings, &options.target),
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

/// What the flags ask to measure; flags that exclude each other are
/// refused here, before the config is looked at.
fn options(args: &RunArgs) -> Result<RunOptions> {
    let usage = |message: String| Err(AppError::Usage(message));
    let overrides = Overrides {
        runs: args.runs,
        warmup: args.warmup,
        min_time: args.min_time,
        timeout: args.timeout,
        sample_interval: args.sample_interval,
    };
    let target = if let Some(stage) = &args.stage {
        if args.command.is_empty() {
            return usage(format!(
                "run stage `{stage}`: no command given; expected `sloe run --stage {stage} -- CMD ARGS...`"
            ));
        }
        if !args.names.is_empty() {
            return usage(format!(
                "run stage `{stage}`: benchmark names and --stage exclude each other"
            ));
        }
        Target::Stage {
            name: stage.clone(),
            command: args.command.clone(),
            shell: args.shell,
        }
    } else if !args.command.is_empty() {
        let line = args.command.join(" ");
        if !args.names.is_empty() {
            return usage(format!(
                "run `{line}`: benchmark names and an ad-hoc command exclude each other; name the command with --name"
            ));
        }
        let baseline = match args.baseline_command.as_deref() {
            _ if !args.ab => None,
            Some(baseline) if !baseline.trim().is_empty() => Some(baseline.to_owned()),
            _ => {
                return usage(format!(
                    "run `{line}` in A/B mode: no baseline command given; expected `sloe run --ab --baseline-command 'CMD_A' -- CMD_B ARGS...`"
                ));
            }
        };
        Target::Command {
            command: args.command.clone(),
            name: args.name.clone(),
            shell: args.shell,
            baseline,
        }
    } else {
        if args.name.is_some() || args.shell || args.baseline_command.is_some() {
            return usage(
                "run: --name, --shell and --baseline-command apply to an ad-hoc command, given after `--`"
                    .to_owned(),
            );
        }
        Target::Config {
            names: args.names.clone(),
            ab: args.ab,
        }
    };
    Ok(RunOptions { target, overrides })
}
