//! The outputs of a check: every file and CI artefact a verdict leaves
//! besides the terminal (the report JSON, the `[report]` formats, GitLab's
//! JUnit and metrics, GitHub's step summary and annotations), and the files
//! `sloe report` renders. Decided here once; front ends write what comes
//! back ([`Outputs::write`]) and print the rest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use sloe_core::config::{ReportFormat, TimeSpan};
use sloe_core::report::Report;
use sloe_core::stats::Statistic;
use sloe_core::{RunId, SeriesKey, Unit};
use sloe_report::html::{History, HistoryRun, HistorySeries};
use sloe_store::{RunQuery, Store};

use crate::context::Env;
use crate::files::{append, write_atomic};
use crate::{AppError, Clock, Result, Settings};

/// One file to write whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: PathBuf,
    pub contents: String,
}

/// What a verdict leaves behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    /// Files to write whole, in this order.
    pub files: Vec<OutputFile>,
    /// Markdown to append to GitHub's step summary file.
    pub step_summary: Option<OutputFile>,
    /// GitHub workflow commands (`::error ...`) to print.
    pub annotations: String,
    /// The report JSON, for a front end that shows it (`--format json`).
    pub json: Option<String>,
}

impl Outputs {
    /// Writes the files (each atomically) and appends the step summary.
    pub fn write(&self) -> Result<()> {
        for file in &self.files {
            write_atomic(&file.path, file.contents.as_bytes())?;
        }
        if let Some(summary) = &self.step_summary {
            append(&summary.path, summary.contents.as_bytes()).map_err(|source| {
                AppError::StepSummary {
                    path: summary.path.display().to_string(),
                    source,
                }
            })?;
        }
        Ok(())
    }

    /// The paths of the files, in order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }
}

/// The CI system a check runs in, as far as its outputs are concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ci {
    /// GitHub Actions: annotations, and the step summary.
    pub github: bool,
    /// GitHub's step summary file (`$GITHUB_STEP_SUMMARY`).
    pub step_summary: Option<PathBuf>,
    /// GitLab CI: a JUnit report and `metrics.txt`.
    pub gitlab: bool,
}

impl Ci {
    /// Which CI `env` says this is, as `sloe_core::context::from_ci` reads it.
    pub fn detect(env: Env<'_>) -> Ci {
        let provider = sloe_core::context::from_ci(env)
            .metadata
            .get("provider")
            .cloned();
        let github = provider.as_deref() == Some("github_actions");
        Ci {
            github,
            step_summary: env("GITHUB_STEP_SUMMARY")
                .filter(|p| github && !p.is_empty())
                .map(PathBuf::from),
            gitlab: provider.as_deref() == Some("gitlab_ci"),
        }
    }
}

/// What `sloe check` and `sloe run` leave in `dir`: the report JSON as
/// `sloe-report-<time>.json` and `sloe-report-latest.json`, the `[report]
/// formats` as `sloe-report-latest.*`, and what `ci` reads.
pub fn of_check(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    dir: &Path,
    ci: &Ci,
    clock: &dyn Clock,
) -> Result<Outputs> {
    let json = sloe_report::json::render(report);
    let stamp = clock.now().strftime("%Y%m%dT%H%M%S%.3fZ").to_string();
    let mut files = vec![
        OutputFile {
            path: dir.join(format!("sloe-report-{stamp}.json")),
            contents: json.clone(),
        },
        OutputFile {
            path: dir.join("sloe-report-latest.json"),
            contents: json.clone(),
        },
    ];
    let cfg = &settings.config.report;
    let mut formats: Vec<ReportFormat> = cfg
        .formats
        .iter()
        .copied()
        .filter(|f| *f != ReportFormat::Json)
        .collect();
    if ci.gitlab && !formats.contains(&ReportFormat::Junit) {
        formats.push(ReportFormat::Junit);
    }
    files.extend(rendered(
        settings,
        store,
        report,
        &formats,
        dir,
        &cfg.since,
        "sloe-report-latest",
    )?);
    if ci.gitlab {
        files.push(OutputFile {
            path: dir.join("metrics.txt"),
            contents: sloe_report::annotations::gitlab_metrics(report),
        });
    }
    let (step_summary, annotations) = if ci.github {
        (
            ci.step_summary.as_ref().map(|path| OutputFile {
                path: path.clone(),
                contents: sloe_report::markdown::render(report),
            }),
            sloe_report::annotations::github(report),
        )
    } else {
        (None, String::new())
    };
    Ok(Outputs {
        files,
        step_summary,
        annotations,
        json: Some(json),
    })
}

/// What `sloe report` writes: `report` in `formats` as
/// `dir/sloe-report.<ext>`, the dashboard plotting `since` of history.
pub fn of_report(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    formats: &[ReportFormat],
    dir: &Path,
    since: &TimeSpan,
) -> Result<Outputs> {
    Ok(Outputs {
        files: rendered(settings, store, report, formats, dir, since, "sloe-report")?,
        ..Outputs::default()
    })
}

/// `report` rendered in `formats`, as `dir/<stem>.<ext>`.
fn rendered(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    formats: &[ReportFormat],
    dir: &Path,
    since: &TimeSpan,
    stem: &str,
) -> Result<Vec<OutputFile>> {
    formats
        .iter()
        .map(|format| {
            let (ext, contents) = match format {
                ReportFormat::Json => ("json", sloe_report::json::render(report)),
                ReportFormat::Md => ("md", sloe_report::markdown::render(report)),
                ReportFormat::Junit => ("junit.xml", sloe_report::junit::render(report)),
                ReportFormat::Html => {
                    let history = dashboard_history(settings, store, report, since)?;
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
            Ok(OutputFile {
                path: dir.join(format!("{stem}.{ext}")),
                contents,
            })
        })
        .collect()
}

/// The dashboard's history: runs of the base branch on the judged run's
/// testbed within `since` before it, plus the judged run itself; per
/// result, its statistic in every run, in the result's unit, and where its
/// level shifted.
pub fn dashboard_history(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    since: &TimeSpan,
) -> Result<History> {
    let judged = RunId(report.metadata.run_id);
    let run = store.run(judged)?.ok_or_else(|| AppError::NoSuchRun {
        id: judged.0,
        store: store.describe(),
    })?;
    let ctx = &run.header.context;
    let span = SignedDuration::from_nanos(since.nanoseconds().min(i64::MAX as f64) as i64);
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
