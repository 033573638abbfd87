//! `sloe check`: judge a run, write what a check leaves, print the verdict;
//! exit 1 when policy blocks. `sloe run` ends the same way. `sloe check
//! FILE...` judges results files as one run the same way without recording
//! them.

use std::path::Path;

use sloe_app::check::Checked;
use sloe_app::check::{self as app, MergeBase};
use sloe_app::context::{git_merge_base, process_env};
use sloe_app::outputs::Ci;
use sloe_app::{Result, Settings, SystemClock, ingest};
use sloe_core::RunId;
use sloe_core::report::{OverallStatus, Report};
use sloe_report::terminal::Style;
use sloe_store::Store;

use crate::Outcome;
use crate::args::{CheckArgs, OutputFormat};

pub fn run(settings: &Settings, args: &CheckArgs) -> Result<Outcome> {
    if !args.files.is_empty() {
        return files(settings, args);
    }
    let store = settings.open_store_to_read()?;
    judge_and_report(
        settings,
        store.as_ref(),
        args.run.map(RunId),
        &ReportOptions {
            format: args.format,
            verbose: args.verbose,
            report_dir: args.report_dir.as_deref(),
            base_commit: args.base_commit.as_deref(),
        },
    )
}

/// How a verdict is shown and where its reports go.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions<'a> {
    pub format: OutputFormat,
    pub verbose: bool,
    pub report_dir: Option<&'a Path>,
    /// The base branch's commit the baseline ends at (`--base-commit`).
    pub base_commit: Option<&'a str>,
}

/// Judges run `id` (default: the latest), writes what the check leaves,
/// prints the verdict, and says whether policy blocks.
pub fn judge_and_report(
    settings: &Settings,
    store: &dyn Store,
    id: Option<RunId>,
    options: &ReportOptions<'_>,
) -> Result<Outcome> {
    let git = git_in(settings);
    let checked = app::check(
        settings,
        store,
        id,
        merge_base(options.base_commit, &git),
        &settings.report_dir(options.report_dir),
        &Ci::detect(&process_env),
        &SystemClock,
    )?;
    show(&checked, options)
}

/// `sloe check FILE...`: reads the files as `sloe ingest --merge` would,
/// judges them as one run against budgets and the store's history (when
/// there is a store), records nothing, and shows the verdict as `sloe
/// check` does.
fn files(settings: &Settings, args: &CheckArgs) -> Result<Outcome> {
    let mut inputs = ingest::read(
        &args.files,
        args.input_format,
        true,
        args.allow_empty,
        &mut std::io::stdin().lock(),
    )?;
    for w in inputs.iter().flat_map(|i| &i.parsed.warnings) {
        eprintln!("warning: {w}");
    }
    let input = inputs.remove(0);
    let origin = input.origin.clone();
    let run = ingest::unrecorded(
        settings,
        input,
        &args.context.partial(),
        &process_env,
        &SystemClock,
    );
    let store = settings.open_existing_store()?;
    let git = git_in(settings);
    let checked = app::check_unrecorded(
        settings,
        store.as_deref(),
        &run,
        merge_base(args.base_commit.as_deref(), &git),
        &settings.report_dir(args.report_dir.as_deref()),
        &Ci::detect(&process_env),
        &SystemClock,
    )?;
    let outcome = show(
        &checked,
        &ReportOptions {
            format: args.format,
            verbose: args.verbose,
            report_dir: args.report_dir.as_deref(),
            base_commit: args.base_commit.as_deref(),
        },
    )?;
    match checked.report.metadata.run_id {
        0 => eprintln!("not recorded: {origin} was judged only; `sloe ingest` records results"),
        id => eprintln!(
            "not recorded again: {origin} holds the results of run {id} (same context), judged as that run"
        ),
    }
    Ok(outcome)
}

/// Writes what the check leaves and prints the verdict.
fn show(checked: &Checked, options: &ReportOptions<'_>) -> Result<Outcome> {
    checked.outputs.write()?;
    let annotations = &checked.outputs.annotations;
    match options.format {
        OutputFormat::Json => {
            print!("{}", checked.outputs.json.as_deref().unwrap_or_default());
            // stdout carries the JSON; GitHub reads workflow commands from stderr too.
            eprint!("{annotations}");
        }
        OutputFormat::Text => {
            let style = Style {
                fancy: super::fancy_output(),
                verbose: options.verbose,
            };
            print!("{}", sloe_report::terminal::render(&checked.report, style));
            print!("{annotations}");
        }
    }
    Ok(outcome(&checked.report))
}

/// Judges run `id` (default: the latest) against its budgets and
/// baseline; the baseline of a run off the base branch ends at
/// `base_commit`, else at `git merge-base`.
pub fn judge(
    settings: &Settings,
    store: &dyn Store,
    id: Option<RunId>,
    base_commit: Option<&str>,
) -> Result<Report> {
    let git = git_in(settings);
    app::judge(settings, store, id, merge_base(base_commit, &git))
}

/// Exit 1 exactly when the report's status is `failed`.
pub fn outcome(report: &Report) -> Outcome {
    if report.summary.status == OverallStatus::Failed {
        Outcome::Blocked
    } else {
        Outcome::Ok
    }
}

/// `git merge-base` in the config's directory.
pub(super) type Git<'a> = Box<dyn Fn(Option<&str>, &str) -> Option<String> + 'a>;

pub(super) fn git_in(settings: &Settings) -> Git<'_> {
    Box::new(move |commit, base| git_merge_base(&settings.base_dir, commit, base))
}

fn merge_base<'a>(base_commit: Option<&'a str>, git: &'a Git<'_>) -> MergeBase<'a> {
    match base_commit {
        Some(commit) => MergeBase::Commit(commit),
        None => MergeBase::Find(git.as_ref()),
    }
}
