use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use jiff::Timestamp;
use sloe_core::evaluate::{self, Baseline};
use sloe_core::report::{OverallStatus, Report};
use sloe_core::{Run, RunId, SeriesKey};
use sloe_report::terminal::Style;
use sloe_store::{BaselineQuery, Store};

use crate::Outcome;
use crate::args::{CheckArgs, OutputFormat};
use crate::settings::{Settings, write_atomic};

pub fn run(settings: &Settings, args: &CheckArgs) -> Result<Outcome> {
    let store = settings.open_store()?;
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

/// Judges run `id` (default: the latest), writes its reports, prints it,
/// and says whether policy blocks: what `sloe check` does, and what
/// `sloe run` does after recording.
pub fn judge_and_report(
    settings: &Settings,
    store: &dyn Store,
    id: Option<RunId>,
    options: &ReportOptions<'_>,
) -> Result<Outcome> {
    let report = judge(settings, store, id, options.base_commit)?;
    let json = sloe_report::json::render(&report);
    let dir = settings.report_dir(options.report_dir);
    let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%S%.3fZ").to_string();
    write_atomic(
        &dir.join(format!("sloe-report-{stamp}.json")),
        json.as_bytes(),
    )?;
    write_atomic(&dir.join("sloe-report-latest.json"), json.as_bytes())?;
    let annotations = super::report::publish(settings, store, &report, &dir)?;
    match options.format {
        OutputFormat::Json => {
            print!("{json}");
            // stdout carries the JSON; GitHub reads workflow commands from stderr too.
            eprint!("{annotations}");
        }
        OutputFormat::Text => print!(
            "{}",
            sloe_report::terminal::render(
                &report,
                Style {
                    fancy: super::fancy_output(),
                    verbose: options.verbose
                }
            )
        ),
    }
    if options.format == OutputFormat::Text {
        print!("{annotations}");
    }
    Ok(if report.summary.status == OverallStatus::Failed {
        Outcome::Blocked
    } else {
        Outcome::Ok
    })
}

/// Judges run `id` (default: the latest) against budgets and baseline.
/// For a run off the base branch the baseline ends at the merge-base
/// (`base_commit`, else `git merge-base`), when that commit was recorded.
pub fn judge(
    settings: &Settings,
    store: &dyn Store,
    id: Option<RunId>,
    base_commit: Option<&str>,
) -> Result<Report> {
    let id = match id {
        Some(id) => id,
        None => store.latest_run_id()?.ok_or_else(|| {
            anyhow!(
                "find a run to check: the store {} has no runs yet; record one with `sloe ingest FILE`",
                store.describe()
            )
        })?,
    };
    let Some(run) = store.run(id)? else {
        bail!(
            "find run {id} in {}: there is no such run (see `sloe history`)",
            store.describe()
        );
    };
    judge_run(settings, store, &run, base_commit)
}

/// Judges `run` (recorded or not: `sloe run` judges a provisional run to
/// decide what to re-measure) against budgets and baseline.
pub fn judge_run(
    settings: &Settings,
    store: &dyn Store,
    run: &Run,
    base_commit: Option<&str>,
) -> Result<Report> {
    let id = run.header.id;
    let config = &settings.config;
    let testbed = run.header.context.testbed.clone();
    let baseline = match store.pinned_baseline(testbed.as_deref())? {
        Some(pinned) if pinned != id => {
            let pinned_run = store.run(pinned)?.ok_or_else(|| {
                anyhow!("read pinned baseline run {pinned}: it is missing from the store")
            })?;
            Baseline::Pinned {
                description: format!(
                    "pinned run {pinned}{}",
                    pinned_run
                        .header
                        .context
                        .commit
                        .as_deref()
                        .map(|c| format!(" (commit {})", short(c)))
                        .unwrap_or_default()
                ),
                run: pinned_run,
            }
        }
        _ => {
            let branch = config.project.base_branch.clone();
            let mut q = BaselineQuery {
                branch: Some(branch.clone()),
                testbed: testbed.clone(),
                before: Some(run.header.context.timestamp),
                exclude: Some(id),
            };
            let off_base = run.header.context.branch.as_deref() != Some(branch.as_str());
            let merge_base = match base_commit {
                Some(c) => Some(c.to_owned()),
                None if off_base => git_merge_base(
                    &settings.base_dir,
                    run.header.context.commit.as_deref(),
                    &branch,
                ),
                None => None,
            };
            let mut until = String::new();
            if let Some(mb) = merge_base.as_deref() {
                match sloe_store::find_commit_run(store, &q, mb)? {
                    Some(h) => {
                        q.before = Some(h.context.timestamp.min(run.header.context.timestamp));
                        until = format!(" up to the merge-base {}", short(mb));
                    }
                    None => {
                        until = format!(
                            " (merge-base {} not recorded on `{branch}`: runs before this one)",
                            short(mb)
                        );
                    }
                }
            }
            let keys: Vec<SeriesKey> = run.series.iter().map(|s| s.key()).collect();
            // The baseline runs, then (for the slow-creep check) the anchor
            // runs `creep_window` runs back.
            let history = config.regression.history;
            let wanted = match config.regression.creep_window {
                0 => history,
                w => history.max(w + history),
            };
            let found = sloe_store::baseline_history(store, &q, &keys, wanted)?;
            let runs: BTreeMap<SeriesKey, Vec<Vec<f64>>> = found
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().map(|(_, s)| s.values).collect()))
                .collect();
            Baseline::History {
                description: format!(
                    "up to {} recent runs of `{branch}`{} before this run{until}",
                    config.regression.history,
                    testbed
                        .as_deref()
                        .map(|t| format!(" on testbed `{t}`"))
                        .unwrap_or_default()
                ),
                runs,
            }
        }
    };
    Ok(evaluate::evaluate(
        config,
        run,
        &baseline,
        env!("CARGO_PKG_VERSION"),
    ))
}

/// `git merge-base <commit> <base>` in `dir` (the commit defaults to
/// `HEAD`); `None` outside a git work tree or when git does not know them.
fn git_merge_base(dir: &Path, commit: Option<&str>, base: &str) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["merge-base", commit.unwrap_or("HEAD"), base])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!sha.is_empty()).then_some(sha)
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
