use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use jiff::Timestamp;
use sloe_core::evaluate::{self, Baseline};
use sloe_core::report::{OverallStatus, Report};
use sloe_core::{RunId, SeriesKey};
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
        },
    )
}

/// How a verdict is shown and where its reports go.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions<'a> {
    pub format: OutputFormat,
    pub verbose: bool,
    pub report_dir: Option<&'a Path>,
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
    let report = judge(settings, store, id)?;
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
pub fn judge(settings: &Settings, store: &dyn Store, id: Option<RunId>) -> Result<Report> {
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
            let q = BaselineQuery {
                branch: Some(branch.clone()),
                testbed: testbed.clone(),
                before: Some(run.header.context.timestamp),
                exclude: Some(id),
            };
            let keys: Vec<SeriesKey> = run.series.iter().map(|s| s.key()).collect();
            let found = sloe_store::baseline_history(store, &q, &keys, config.regression.history)?;
            let runs: BTreeMap<SeriesKey, Vec<Vec<f64>>> = found
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().map(|(_, s)| s.values).collect()))
                .collect();
            Baseline::History {
                description: format!(
                    "up to {} recent runs of `{branch}`{} before this run",
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
        &run,
        &baseline,
        env!("CARGO_PKG_VERSION"),
    ))
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
