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
use sloe_core::{Run, RunId, SeriesKey, Unit};
use sloe_report::html::{History, HistoryRun, HistorySeries};
use sloe_store::{RunQuery, Store};

use crate::context::Env;
use crate::files::{append, write_all_atomic};
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
        let files: Vec<(&Path, &[u8])> = self
            .files
            .iter()
            .map(|f| (f.path.as_path(), f.contents.as_bytes()))
            .collect();
        write_all_atomic(&files)?;
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
    of_check_run(settings, store, report, None, dir, ci, clock)
}

/// As [`of_check`], for a report on `unrecorded`, a run judged without
/// being recorded (`sloe check FILE`), when given; else on the store's run
/// the report names.
pub fn of_check_run(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    unrecorded: Option<&Run>,
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
        (store, unrecorded),
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
        files: rendered(
            settings,
            (store, None),
            report,
            formats,
            dir,
            since,
            "sloe-report",
        )?,
        ..Outputs::default()
    })
}

/// `report` rendered in `formats`, as `dir/<stem>.<ext>`; the judged run
/// is the unrecorded one when given, else the store's.
fn rendered(
    settings: &Settings,
    (store, unrecorded): (&dyn Store, Option<&Run>),
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
                    let history = match unrecorded {
                        Some(run) => dashboard_history_of(settings, store, report, run, since)?,
                        None => dashboard_history(settings, store, report, since)?,
                    };
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
/// testbed within `since` before it, plus the judged run itself and, when
/// it is a run of another branch, that branch's earlier runs there too
/// (drawn as branch runs); per result, its statistic in every run, in the
/// result's unit, and where the base branch's level shifted (change
/// points over its runs only: a branch's runs never make a shift of the
/// base branch).
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
    dashboard_history_of(settings, store, report, &run, since)
}

/// As [`dashboard_history`], for `run`, recorded or not.
pub fn dashboard_history_of(
    settings: &Settings,
    store: &dyn Store,
    report: &Report,
    run: &Run,
    since: &TimeSpan,
) -> Result<History> {
    let judged = run.header.id;
    let ctx = &run.header.context;
    let span = SignedDuration::from_nanos(since.nanoseconds().min(i64::MAX as f64) as i64);
    let from = ctx
        .timestamp
        .checked_sub(span)
        .unwrap_or(jiff::Timestamp::MIN);
    let base = &settings.config.project.base_branch;
    let of_branch = |branch: &str| -> Result<Vec<sloe_core::RunHeader>> {
        Ok(store.list_runs(&RunQuery {
            branch: Some(branch.to_owned()),
            testbed: ctx.testbed.clone(),
            before: Some(ctx.timestamp),
            exclude: Some(judged),
            limit: Some(5000),
            offset: 0,
        })?)
    };
    let mut headers = of_branch(base)?;
    if let Some(branch) = ctx.branch.as_deref().filter(|b| *b != base.as_str()) {
        headers.extend(of_branch(branch)?);
    }
    headers.retain(|h| h.context.timestamp >= from);
    // Oldest first, the judged run last.
    headers.sort_by_key(|h| (h.context.timestamp, h.id.0));
    headers.push(run.header.clone());
    let on_base: Vec<bool> = headers
        .iter()
        .map(|h| h.context.branch.as_deref() == Some(base.as_str()))
        .collect();
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
            // base branch's runs that have the series, mapped back to run
            // positions.
            let present: Vec<usize> = (0..values.len())
                .filter(|&i| on_base[i] && values[i].is_some())
                .collect();
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
        base_branch: Some(base.clone()),
        series,
        timelines: store.timelines(judged)?,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::FixedClock;
    use crate::check::{MergeBase, judge};
    use crate::testing::{around, at, main_history, record, settings, store};

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| vars.get(k).cloned()
    }

    fn names(outputs: &Outputs, dir: &Path) -> Vec<String> {
        outputs
            .paths()
            .map(|p| p.strip_prefix(dir).expect("in dir").display().to_string())
            .collect()
    }

    fn slow_run(store: &dyn Store, config: &Settings) -> Report {
        main_history(store);
        record(store, "main", "c6", 10, &around(130.0));
        judge(config, store, None, MergeBase::Unknown).expect("judges")
    }

    #[test]
    fn ci_is_detected_as_the_run_context_detects_it() {
        assert_eq!(Ci::detect(&env(&[])), Ci::default());
        let github = Ci::detect(&env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", "/tmp/summary.md"),
        ]));
        assert!(github.github && !github.gitlab);
        assert_eq!(github.step_summary, Some(PathBuf::from("/tmp/summary.md")));
        // The summary file means nothing outside GitHub Actions.
        let gitlab = Ci::detect(&env(&[
            ("GITLAB_CI", "true"),
            ("GITHUB_STEP_SUMMARY", "/tmp/summary.md"),
        ]));
        assert_eq!(
            gitlab,
            Ci {
                gitlab: true,
                ..Ci::default()
            }
        );
        assert!(!Ci::detect(&env(&[("GITHUB_ACTIONS", "false")])).github);
    }

    #[test]
    fn a_check_outside_ci_leaves_the_json_report_and_the_configured_formats() {
        let store = store();
        let config = settings("[report]\nformats = [\"json\", \"md\", \"html\"]\n");
        let report = slow_run(&store, &config);
        let dir = Path::new("out");
        let clock = FixedClock(at(90) + jiff::SignedDuration::from_millis(250));
        let outputs =
            of_check(&config, &store, &report, dir, &Ci::default(), &clock).expect("outputs");
        assert_eq!(
            names(&outputs, dir),
            [
                "sloe-report-20261101T013000.250Z.json",
                "sloe-report-latest.json",
                "sloe-report-latest.md",
                "sloe-report-latest.html",
            ]
        );
        let json = sloe_report::json::render(&report);
        assert_eq!(outputs.files[0].contents, json);
        assert_eq!(outputs.files[1].contents, json);
        assert_eq!(outputs.json.as_deref(), Some(json.as_str()));
        assert_eq!(
            outputs.files[2].contents,
            sloe_report::markdown::render(&report)
        );
        assert!(outputs.files[3].contents.contains("<html"));
        assert_eq!(outputs.step_summary, None);
        assert_eq!(outputs.annotations, "");
    }

    #[test]
    fn github_gets_a_step_summary_and_annotations_gitlab_junit_and_metrics() {
        let store = store();
        let config = settings("");
        let report = slow_run(&store, &config);
        let dir = Path::new("out");
        let clock = FixedClock(at(90));
        let github = Ci {
            github: true,
            step_summary: Some(PathBuf::from("summary.md")),
            gitlab: false,
        };
        let outputs = of_check(&config, &store, &report, dir, &github, &clock).expect("outputs");
        assert_eq!(outputs.files.len(), 2, "the JSON report only");
        let summary = outputs.step_summary.as_ref().expect("a step summary");
        assert_eq!(summary.path, PathBuf::from("summary.md"));
        assert_eq!(summary.contents, sloe_report::markdown::render(&report));
        assert_eq!(
            outputs.annotations,
            sloe_report::annotations::github(&report)
        );
        assert!(
            outputs.annotations.starts_with("::"),
            "{}",
            outputs.annotations
        );

        let gitlab = Ci {
            gitlab: true,
            ..Ci::default()
        };
        let outputs = of_check(&config, &store, &report, dir, &gitlab, &clock).expect("outputs");
        assert_eq!(
            names(&outputs, dir)[2..],
            ["sloe-report-latest.junit.xml", "metrics.txt"]
        );
        assert_eq!(
            outputs.files[3].contents,
            sloe_report::annotations::gitlab_metrics(&report)
        );
        assert_eq!(outputs.annotations, "");
    }

    #[test]
    fn the_report_command_writes_the_formats_asked_for() {
        let store = store();
        let config = settings("");
        let report = slow_run(&store, &config);
        let dir = tempfile::tempdir().expect("temp dir");
        let since = config.config.report.since.clone();
        let outputs = of_report(
            &config,
            &store,
            &report,
            &[ReportFormat::Junit, ReportFormat::Json],
            dir.path(),
            &since,
        )
        .expect("outputs");
        assert_eq!(
            names(&outputs, dir.path()),
            ["sloe-report.junit.xml", "sloe-report.json"]
        );
        outputs.write().expect("writes");
        let written = std::fs::read_to_string(dir.path().join("sloe-report.json")).expect("json");
        assert_eq!(written, sloe_report::json::render(&report));
    }

    #[test]
    fn the_dashboard_plots_the_base_branch_within_since() {
        let store = store();
        let config = settings("");
        let report = slow_run(&store, &config);
        let span = |text: &str| TimeSpan(text.parse().expect("a quantity"));
        // The judged run is at minute 10, the base runs at minutes 0..5.
        let all = dashboard_history(&config, &store, &report, &span("1h")).expect("history");
        assert_eq!(all.runs.len(), 7);
        assert_eq!(all.runs.last().map(|r| r.id), Some(report.metadata.run_id));
        let recent = dashboard_history(&config, &store, &report, &span("7min")).expect("history");
        let ids: Vec<i64> = recent.runs.iter().map(|r| r.id).collect();
        assert_eq!(ids, [4, 5, 6, 7]);
        assert_eq!(recent.series.len(), 1);
        assert_eq!(recent.series[0].values.len(), 4);
    }

    #[test]
    fn a_branch_run_is_plotted_as_its_own_point_and_never_a_shift_of_main() {
        let store = store();
        let config = settings("");
        for i in 0..8 {
            record(&store, "main", &format!("c{i}"), i, &around(100.0));
        }
        // The branch's earlier run, a run of another branch, and the judged
        // branch run, all far above main.
        for i in 0..3 {
            record(&store, "topic", &format!("t{i}"), 8 + i, &around(200.0));
        }
        record(&store, "other", "o0", 11, &around(300.0));
        let judged = record(&store, "topic", "t3", 12, &around(200.0));
        let report = judge(&config, &store, Some(judged), MergeBase::Unknown).expect("judges");
        assert!(!report.results[0].change_point, "{report:?}");
        let h = dashboard_history(&config, &store, &report, &span_of("1h")).expect("history");
        let branches: Vec<&str> = h
            .runs
            .iter()
            .map(|r| r.branch.as_deref().expect("branch"))
            .collect();
        assert_eq!(
            &branches[6..],
            ["main", "main", "topic", "topic", "topic", "topic"]
        );
        assert_eq!(h.base_branch.as_deref(), Some("main"));
        // Four points at 200 ms after eight at 100 ms: a shift if they
        // were part of the line, none as they are not.
        assert_eq!(h.series[0].values.iter().flatten().count(), 12);
        assert_eq!(h.series[0].change_points, Vec::<usize>::new());
    }

    fn span_of(text: &str) -> TimeSpan {
        TimeSpan(text.parse().expect("a quantity"))
    }
}
