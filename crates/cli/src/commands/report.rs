//! `sloe report`, and the report files and CI outputs every check writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use jiff::SignedDuration;
use sloe_core::config::ReportFormat;
use sloe_core::report::Report;
use sloe_core::stats::Statistic;
use sloe_core::{RunId, SeriesKey, Unit};
use sloe_report::html::{History, HistoryRun, HistorySeries};
use sloe_store::{RunQuery, Store};

use crate::Outcome;
use crate::args::ReportArgs;
use crate::settings::{Settings, write_atomic};

/// `sloe report --format json,md,html,junit --out DIR [--since 30d] [--run ID]`.
pub fn run(settings: &Settings, args: &ReportArgs) -> Result<Outcome> {
    let store = settings.open_store()?;
    let report = super::check::judge(settings, store.as_ref(), args.run.map(RunId), None)?;
    let formats = parse_formats(&args.format)?;
    let since = match &args.since {
        Some(s) => parse_since(s)?,
        None => settings.config.report.since.nanoseconds(),
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| settings.report_dir(None));
    for path in write(
        settings,
        store.as_ref(),
        &report,
        &formats,
        &dir,
        since,
        "sloe-report",
    )? {
        println!("wrote {}", path.display());
    }
    Ok(Outcome::Ok)
}

fn parse_formats(list: &str) -> Result<Vec<ReportFormat>> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "json" => Ok(ReportFormat::Json),
            "md" | "markdown" => Ok(ReportFormat::Md),
            "html" => Ok(ReportFormat::Html),
            "junit" | "xml" => Ok(ReportFormat::Junit),
            other => Err(anyhow!(
                "read --format: unknown report format {other:?}; expected json, md, html or junit"
            )),
        })
        .collect()
}

fn parse_since(text: &str) -> Result<f64> {
    let q: sloe_core::Quantity = text.parse().map_err(|e| anyhow!("read --since: {e}"))?;
    if q.dimension() != Some(sloe_core::Dimension::Time) || q.value <= 0.0 {
        return Err(anyhow!(
            "read --since {text:?}: expected a length of time like 30d, 12h or 90min"
        ));
    }
    Ok(q.canonical())
}

/// Writes `report` in `formats` to `dir` as `<stem>.<ext>`; returns the paths.
pub fn write(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    formats: &[ReportFormat],
    dir: &Path,
    since_ns: f64,
    stem: &str,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for format in formats {
        let (ext, text) = match format {
            ReportFormat::Json => ("json", sloe_report::json::render(report)),
            ReportFormat::Md => ("md", sloe_report::markdown::render(report)),
            ReportFormat::Junit => ("junit.xml", sloe_report::junit::render(report)),
            ReportFormat::Html => {
                let history = history(settings, store, report, since_ns)?;
                (
                    "html",
                    sloe_report::html::render(
                        report,
                        &history,
                        settings.config.project.name.as_deref(),
                    ),
                )
            }
        };
        let path = dir.join(format!("{stem}.{ext}"));
        write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// The dashboard's history: runs of the base branch on the judged run's
/// testbed within `since_ns` before it, plus the judged run itself; per
/// result, its statistic in every run, in the result's unit.
pub fn history(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    since_ns: f64,
) -> Result<History> {
    let judged = RunId(report.metadata.run_id);
    let run = store
        .run(judged)?
        .ok_or_else(|| anyhow!("read run {judged} for the dashboard: it is missing"))?;
    let ctx = &run.header.context;
    let span = SignedDuration::from_nanos(since_ns.min(i64::MAX as f64) as i64);
    let from = ctx
        .timestamp
        .checked_sub(span)
        .unwrap_or(jiff::Timestamp::MIN);
    let mut headers = store.list_runs(&RunQuery {
        branch: Some(settings.config.project.base_branch.clone()),
        testbed: ctx.testbed.clone(),
        before: Some(ctx.timestamp),
        exclude: Some(judged),
        limit: Some(5000),
        offset: 0,
    })?;
    headers.retain(|h| h.context.timestamp >= from);
    headers.reverse(); // oldest first
    headers.push(run.header.clone());
    let ids: Vec<RunId> = headers.iter().map(|h| h.id).collect();
    let keys: Vec<SeriesKey> = run.series.iter().map(|s| s.key()).collect();
    let mut samples: BTreeMap<(RunId, SeriesKey), Vec<f64>> = BTreeMap::new();
    for (id, s) in store.results_of_runs(&ids, Some(&keys))? {
        samples.insert((id, s.key()), s.values);
    }
    let series = report
        .results
        .iter()
        .map(|r| {
            let key = SeriesKey {
                benchmark: r.benchmark.clone(),
                measure: r.measure.clone(),
            };
            let stat: Option<Statistic> = r.statistic.parse().ok();
            let unit = Unit::parse(&r.unit);
            let values: Vec<Option<f64>> = ids
                .iter()
                .map(|id| {
                    let v = samples.get(&(*id, key.clone()))?;
                    stat?.compute(v).map(|x| unit.from_canonical(x))
                })
                .collect();
            // Change points (PELT, as `sloe history --changes`) over the
            // runs that have the series, mapped back to run positions.
            let present: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
            let ys: Vec<f64> = present.iter().filter_map(|&i| values[i]).collect();
            let change_points = sloe_core::changepoint::detect(&ys)
                .iter()
                .filter_map(|c| present.get(c.index).copied())
                .collect();
            HistorySeries {
                benchmark: r.benchmark.clone(),
                measure: r.measure.clone(),
                statistic: r.statistic.clone(),
                values,
                change_points,
            }
        })
        .collect();
    let runs = headers
        .iter()
        .map(|h| HistoryRun {
            id: h.id.0,
            timestamp: h.context.timestamp.as_second(),
            commit: h.context.commit.clone(),
            branch: h.context.branch.clone(),
        })
        .collect();
    Ok(History {
        runs,
        series,
        timelines: store.timelines(judged)?,
    })
}

/// What a check leaves for CI and people besides the terminal: the report
/// files `[report]` asks for, the GitHub step summary and annotations, and
/// GitLab's JUnit and metrics reports. Returns annotation lines to print.
pub fn publish(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    dir: &Path,
) -> Result<String> {
    let cfg = &settings.config.report;
    let mut formats: Vec<ReportFormat> = cfg
        .formats
        .iter()
        .copied()
        .filter(|f| *f != ReportFormat::Json)
        .collect();
    let gitlab = std::env::var("GITLAB_CI").is_ok_and(|v| v == "true");
    if gitlab && !formats.contains(&ReportFormat::Junit) {
        formats.push(ReportFormat::Junit);
    }
    write(
        settings,
        store,
        report,
        &formats,
        dir,
        cfg.since.nanoseconds(),
        "sloe-report-latest",
    )?;
    if gitlab {
        write_atomic(
            &dir.join("metrics.txt"),
            sloe_report::annotations::gitlab_metrics(report).as_bytes(),
        )?;
    }
    let mut annotations = String::new();
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            use std::io::Write;
            let md = sloe_report::markdown::render(report);
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| f.write_all(md.as_bytes()))
                .map_err(|e| {
                    anyhow!(
                        "append to $GITHUB_STEP_SUMMARY {}: {e}",
                        PathBuf::from(&path).display()
                    )
                })?;
        }
        annotations = sloe_report::annotations::github(report);
    }
    Ok(annotations)
}
