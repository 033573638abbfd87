//! Judging a run: which baseline it is compared with (a pinned run, or the
//! base branch's recent runs on its testbed, up to the merge-base for a run
//! off the base branch) and the verdict `sloe check`, `sloe run`, `sloe
//! report` and the server all give. Under `regression.same_environment`
//! (the default) the baseline holds only runs measured on the judged run's
//! environment ([`EnvironmentScreen`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sloe_core::budget;
use sloe_core::config::{ConfigError, UnmatchedBudgets};
use sloe_core::evaluate::{self, Baseline};
use sloe_core::report::Report;
use sloe_core::{Fingerprint, Run, RunHeader, RunId, SeriesKey};
use sloe_store::{BaselineQuery, SqliteStore, Store};

use crate::outputs::{self, Ci, Outputs};
use crate::{AppError, Clock, Result, Settings};

/// Where the baseline of a run off the base branch ends. Finding a
/// merge-base needs the repository, which only the caller has.
#[derive(Clone, Copy)]
pub enum MergeBase<'a> {
    /// This commit of the base branch (`--base-commit`).
    Commit(&'a str),
    /// For a run off the base branch, ask `find(run's commit, base
    /// branch)` (the CLI asks `git merge-base`).
    Find(&'a dyn Fn(Option<&str>, &str) -> Option<String>),
    /// None: the base branch's runs before the run.
    Unknown,
}

impl std::fmt::Debug for MergeBase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MergeBase::Commit(c) => f.debug_tuple("Commit").field(c).finish(),
            MergeBase::Find(_) => f.write_str("Find(..)"),
            MergeBase::Unknown => f.write_str("Unknown"),
        }
    }
}

/// Loads run `id` (default: the latest recorded).
pub fn load_run(store: &dyn Store, id: Option<RunId>) -> Result<Run> {
    let id = match id {
        Some(id) => id,
        None => store.latest_run_id()?.ok_or_else(|| AppError::NoRuns {
            store: store.describe(),
        })?,
    };
    store.run(id)?.ok_or_else(|| AppError::NoSuchRun {
        id: id.0,
        store: store.describe(),
    })
}

/// Judges run `id` (default: the latest recorded) against its budgets and
/// baseline.
pub fn judge(
    settings: &Settings,
    store: &dyn Store,
    id: Option<RunId>,
    merge_base: MergeBase<'_>,
) -> Result<Report> {
    let run = load_run(store, id)?;
    judge_run(settings, store, &run, merge_base)
}

/// Judges `run`, recorded or not (`sloe run` judges a provisional run to
/// decide what to re-measure), against its budgets and baseline.
///
/// Budgets cannot silently switch off: a budget whose limit cannot judge
/// a series it matches (a unitless limit on a series with a unit, or a
/// limit of another dimension) is a config error, and so, under
/// `policy.unmatched_budgets = "error"`, is a budget that matches nothing,
/// in this run nor in the store's recent runs (otherwise a finding in the
/// report; a budget whose series this run left out is only said).
pub fn judge_run(
    settings: &Settings,
    store: &dyn Store,
    run: &Run,
    merge_base: MergeBase<'_>,
) -> Result<Report> {
    let config = &settings.config;
    if let Some(m) = budget::unit_mismatches(&config.budgets, &run.series).first() {
        return Err(budget_error(settings, m.key(), m.message()));
    }
    // The store's names only matter for a budget that matches nothing.
    let recorded = if evaluate::unmatched_budgets(config, run, &[]).is_empty() {
        Vec::new()
    } else {
        store.recorded_series(RECORDED_RUNS)?
    };
    if config.policy.unmatched_budgets == UnmatchedBudgets::Error
        && let Some(u) = evaluate::unmatched_budgets(config, run, &recorded)
            .iter()
            .find(|u| !u.seen_before)
    {
        return Err(budget_error(
            settings,
            format!("budget[{}]", u.index),
            format!("{} (`policy.unmatched_budgets = \"error\"`)", u.message()),
        ));
    }
    let (baseline, screened) = gather(settings, store, run, merge_base)?;
    let mut report =
        evaluate::evaluate_with_names(config, run, &baseline, &recorded, env!("CARGO_PKG_VERSION"));
    let m = &mut report.metadata;
    if screened.excluded > 0 {
        m.baseline_excluded
            .insert("different_environment".to_owned(), screened.excluded);
    }
    m.baseline_differences = screened.differences.into_iter().collect();
    m.baseline_unknown_environment = screened.unknown;
    Ok(report)
}

/// Which baseline runs the judged run's environment left out, and how many
/// kept runs have no fingerprint to compare.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Screened {
    /// Runs left out for a different environment.
    pub excluded: usize,
    /// What differed, as `kernel 6.1.0 → 6.8.0`, each once.
    pub differences: BTreeSet<String>,
    /// Runs kept though recorded without a fingerprint.
    pub unknown: usize,
}

impl Screened {
    /// What the baseline description adds: `; 3 runs on another
    /// environment left out (kernel 6.1.0 → 6.8.0); 2 runs of unknown
    /// environment kept`.
    fn describe(&self) -> String {
        let runs = |n: usize| {
            if n == 1 {
                "1 run".to_owned()
            } else {
                format!("{n} runs")
            }
        };
        let mut out = String::new();
        if self.excluded > 0 {
            const SHOWN: usize = 3;
            let mut what: Vec<&str> = self
                .differences
                .iter()
                .take(SHOWN)
                .map(String::as_str)
                .collect();
            let more = self.differences.len().saturating_sub(SHOWN);
            let more = format!("{more} more");
            if self.differences.len() > SHOWN {
                what.push(&more);
            }
            out.push_str(&format!(
                "; {} on a different environment left out ({}; `regression.same_environment = false` keeps them)",
                runs(self.excluded),
                what.join(", ")
            ));
        }
        if self.unknown > 0 {
            out.push_str(&format!(
                "; {} of unknown environment (recorded before sloe kept fingerprints) kept",
                runs(self.unknown)
            ));
        }
        out
    }
}

/// Decides, run header by run header, whether a baseline candidate was
/// measured on the judged run's environment: every fact both fingerprints
/// know must match (`Fingerprint::differences`). A candidate without a
/// fingerprint is kept; without a fingerprint of its own, or with
/// `same_environment = false`, the judged run keeps every candidate.
struct EnvironmentScreen<'a> {
    judged: Option<&'a Fingerprint>,
    /// The runs left out with what differed, newest first.
    left_out: Vec<(RunHeader, Vec<String>)>,
}

impl EnvironmentScreen<'_> {
    fn keep(&mut self, h: &RunHeader) -> bool {
        let (Some(judged), Some(theirs)) = (self.judged, h.context.fingerprint.as_deref()) else {
            return true;
        };
        let diffs = judged.differences(theirs);
        if diffs.is_empty() {
            return true;
        }
        self.left_out
            .push((h.clone(), diffs.iter().map(ToString::to_string).collect()));
        false
    }

    /// What was left out and what was kept blind, counting only the runs
    /// the baseline would have used: runs that hold one of the judged
    /// series (one more read, of the left-out runs only) and, when every
    /// series got all the runs it wanted, no older than the oldest one used.
    fn screened(
        self,
        store: &dyn Store,
        keys: &[SeriesKey],
        found: &BTreeMap<SeriesKey, Vec<(RunHeader, sloe_core::Series)>>,
        wanted: usize,
    ) -> Result<Screened> {
        let used: BTreeMap<RunId, &RunHeader> =
            found.values().flatten().map(|(h, _)| (h.id, h)).collect();
        let full = found.values().all(|runs| runs.len() >= wanted);
        let oldest = used.values().map(|h| (h.context.timestamp, h.id)).min();
        let mut out = Screened {
            unknown: used
                .values()
                .filter(|h| self.judged.is_some() && h.context.fingerprint.is_none())
                .count(),
            ..Screened::default()
        };
        let candidates: Vec<(RunHeader, Vec<String>)> = self
            .left_out
            .into_iter()
            .filter(|(h, _)| !(full && oldest.is_some_and(|o| (h.context.timestamp, h.id) < o)))
            .collect();
        let ids: Vec<RunId> = candidates.iter().map(|(h, _)| h.id).collect();
        let relevant: BTreeSet<RunId> = if ids.is_empty() {
            BTreeSet::new()
        } else {
            store
                .results_of_runs(&ids, Some(keys))?
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        };
        for (h, diffs) in candidates {
            if !relevant.contains(&h.id) {
                continue;
            }
            out.excluded += 1;
            out.differences.extend(diffs);
        }
        Ok(out)
    }
}

/// How many of the newest runs a did-you-mean for a budget that matches
/// nothing reads names from.
const RECORDED_RUNS: usize = 200;

/// A config error found only once a run shows what the budgets met.
fn budget_error(settings: &Settings, key: String, message: String) -> AppError {
    AppError::Config(ConfigError {
        file: settings.path.as_deref().map_or_else(
            || "(built-in defaults)".to_owned(),
            |p| p.display().to_string(),
        ),
        line: None,
        column: None,
        key: Some(key),
        message,
    })
}

/// What `run` is compared with: the run pinned for its testbed, else the
/// last `regression.history` runs of the base branch on its testbed before
/// it (ending at the merge-base when that commit was recorded), plus the
/// runs `creep_window` further back for the slow-creep check. Under
/// `regression.same_environment`, only runs on the run's environment.
pub fn baseline(
    settings: &Settings,
    store: &dyn Store,
    run: &Run,
    merge_base: MergeBase<'_>,
) -> Result<Baseline> {
    gather(settings, store, run, merge_base).map(|(baseline, _)| baseline)
}

/// [`baseline`], with what the environment screen left out.
fn gather(
    settings: &Settings,
    store: &dyn Store,
    run: &Run,
    merge_base: MergeBase<'_>,
) -> Result<(Baseline, Screened)> {
    let id = run.header.id;
    let ctx = &run.header.context;
    let config = &settings.config;
    let testbed = ctx.testbed.clone();
    if let Some(pinned) = store.pinned_baseline(testbed.as_deref())?
        && pinned != id
    {
        let pinned_run = store
            .run(pinned)?
            .ok_or(AppError::PinnedRunMissing { id: pinned.0 })?;
        // A pin is an explicit choice: kept whatever its environment, but
        // a different one is said.
        let differs = match (
            ctx.fingerprint.as_deref(),
            pinned_run.header.context.fingerprint.as_deref(),
        ) {
            (Some(judged), Some(theirs)) => {
                let diffs: Vec<String> = judged
                    .differences(theirs)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                if diffs.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", measured on a different environment ({})",
                        diffs.join(", ")
                    )
                }
            }
            _ => String::new(),
        };
        return Ok((
            Baseline::Pinned {
                description: format!(
                    "pinned run {pinned}{}{differs}",
                    pinned_run
                        .header
                        .context
                        .commit
                        .as_deref()
                        .map(|c| format!(" (commit {})", short(c)))
                        .unwrap_or_default()
                ),
                run: pinned_run,
            },
            Screened::default(),
        ));
    }
    let branch = config.project.base_branch.clone();
    let mut q = BaselineQuery {
        branch: Some(branch.clone()),
        testbed: testbed.clone(),
        before: Some(ctx.timestamp),
        exclude: Some(id),
    };
    let off_base = ctx.branch.as_deref() != Some(branch.as_str());
    let merge_base = match merge_base {
        MergeBase::Commit(c) => Some(c.to_owned()),
        MergeBase::Find(find) if off_base => find(ctx.commit.as_deref(), &branch),
        MergeBase::Find(_) | MergeBase::Unknown => None,
    };
    let mut until = String::new();
    if let Some(mb) = merge_base.as_deref() {
        match sloe_store::find_commit_run(store, &q, mb)? {
            Some(h) => {
                q.before = Some(h.context.timestamp.min(ctx.timestamp));
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
    let history = config.regression.history;
    let wanted = match config.regression.creep_window {
        0 => history,
        w => history.max(w + history),
    };
    let mut screen = EnvironmentScreen {
        judged: ctx
            .fingerprint
            .as_deref()
            .filter(|_| config.regression.same_environment),
        left_out: Vec::new(),
    };
    let found =
        sloe_store::baseline_history_where(store, &q, &keys, wanted, &mut |h| screen.keep(h))?;
    let screened = screen.screened(store, &keys, &found, wanted)?;
    let runs: BTreeMap<SeriesKey, Vec<Vec<f64>>> = found
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|(_, s)| s.values).collect()))
        .collect();
    let description = format!(
        "up to {history} recent runs of `{branch}`{} before this run{until}{}",
        testbed
            .as_deref()
            .map(|t| format!(" on testbed `{t}`"))
            .unwrap_or_default(),
        screened.describe()
    );
    Ok((Baseline::History { description, runs }, screened))
}

/// A commit as people quote it.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// A verdict and what it leaves behind.
#[derive(Debug, Clone)]
pub struct Checked {
    pub report: Report,
    pub outputs: Outputs,
}

/// What `sloe check` (and `sloe run`, once it recorded) does: judges run
/// `id` (default: the latest) and decides the outputs of the check in
/// `report_dir`, for `ci`.
pub fn check(
    settings: &Settings,
    store: &dyn Store,
    id: Option<RunId>,
    merge_base: MergeBase<'_>,
    report_dir: &Path,
    ci: &Ci,
    clock: &dyn Clock,
) -> Result<Checked> {
    let mut report = judge(settings, store, id, merge_base)?;
    // Rounded once here, every renderer of the outputs and the front end's
    // view borrows it instead of rounding a copy of its own.
    sloe_report::display::round(&mut report);
    let outputs = outputs::of_check(settings, store, &report, report_dir, ci, clock)?;
    Ok(Checked { report, outputs })
}

/// What `sloe check FILE...` does: judges `run`, read from results files
/// and never recorded, against its budgets and the history in `store`
/// (`None`: no store exists yet, so budgets alone judge it and the
/// baseline says so), and decides the outputs of the check. Reads the
/// store only. Results the store already holds with the same context (the
/// same digest, as `sloe ingest` would skip them) are judged as that run,
/// so that they are not their own baseline.
pub fn check_unrecorded(
    settings: &Settings,
    store: Option<&dyn Store>,
    run: &Run,
    merge_base: MergeBase<'_>,
    report_dir: &Path,
    ci: &Ci,
    clock: &dyn Clock,
) -> Result<Checked> {
    // No store: an empty one in memory stands in, so that every phase
    // (baseline, dashboard) runs as it would and finds nothing.
    let empty;
    let history: &dyn Store = match store {
        Some(store) => store,
        None => {
            empty = SqliteStore::open_in_memory()?;
            &empty
        }
    };
    let recorded;
    let mut run = run;
    if let Some(store) = store
        && let Some(earlier) = recorded_as(store, run)?
    {
        recorded = Run {
            header: earlier,
            series: run.series.clone(),
        };
        run = &recorded;
    }
    let mut report = judge_run(settings, history, run, merge_base)?;
    if store.is_none() {
        report.metadata.baseline =
            "no history: nothing is recorded yet, so only budgets judge these results".to_owned();
    }
    sloe_report::display::round(&mut report);
    let outputs =
        outputs::of_check_run(settings, history, &report, Some(run), report_dir, ci, clock)?;
    Ok(Checked { report, outputs })
}

/// The recorded run holding `run`'s results in its context, if any (see
/// `Store::insert_run_once` for what counts as the same context).
fn recorded_as(store: &dyn Store, run: &Run) -> Result<Option<sloe_core::RunHeader>> {
    let ctx = &run.header.context;
    Ok(store
        .runs_with_digest(&crate::ingest::digest(&run.series))?
        .into_iter()
        .find(|h| {
            let c = &h.context;
            (&c.commit, &c.branch, &c.testbed, &c.environment)
                == (&ctx.commit, &ctx.branch, &ctx.testbed, &ctx.environment)
        }))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use sloe_core::regression::Regression;
    use sloe_core::report::OverallStatus;

    use super::*;
    use crate::testing::{around, main_history, record, settings, store};

    fn wall(report: &Report) -> &sloe_core::report::ResultEntry {
        report
            .results
            .iter()
            .find(|r| r.benchmark == "parse" && r.measure == "wall_time")
            .expect("a wall_time result")
    }

    #[test]
    fn a_run_is_judged_against_recent_runs_of_the_base_branch() {
        let store = store();
        main_history(&store);
        let slow = record(&store, "main", "c6", 10, &around(130.0));
        let report = judge(
            &settings(""),
            &store,
            None,
            MergeBase::Find(&|_, _| panic!("a run on the base branch has no merge-base")),
        )
        .expect("judges");
        assert_eq!(report.metadata.run_id, slow.0);
        assert_eq!(
            report.metadata.baseline,
            "up to 10 recent runs of `main` on testbed `tb` before this run"
        );
        assert_eq!(wall(&report).regression, Regression::Regression);
        assert_eq!(wall(&report).baseline_runs, 6);
        assert_eq!(report.summary.status, OverallStatus::Failed);
    }

    #[test]
    fn a_pinned_run_wins_over_history() {
        let store = store();
        main_history(&store);
        let pinned = record(&store, "main", "0123456789abcdef", 7, &around(130.0));
        store.pin_baseline(None, pinned).expect("pins");
        let run = record(&store, "main", "c8", 8, &around(130.0));
        let report = judge(&settings(""), &store, Some(run), MergeBase::Unknown).expect("judges");
        assert_eq!(
            report.metadata.baseline,
            format!("pinned run {pinned} (commit 0123456789ab)")
        );
        assert_eq!(wall(&report).regression, Regression::None);
    }

    #[test]
    fn a_branch_is_compared_up_to_its_merge_base() {
        let store = store();
        main_history(&store);
        // main got slower after the branch left it at c2.
        for minute in 6..12 {
            record(
                &store,
                "main",
                &format!("late{minute}"),
                minute,
                &around(130.0),
            );
        }
        let branch = record(&store, "topic", "t1", 20, &around(130.0));
        let asked = Cell::new(0);
        let find = |commit: Option<&str>, base: &str| {
            asked.set(asked.get() + 1);
            assert_eq!((commit, base), (Some("t1"), "main"));
            Some("c2".to_owned())
        };
        let config = settings("[regression]\nhistory = 3\n");
        let report = judge(&config, &store, Some(branch), MergeBase::Find(&find)).expect("judges");
        assert_eq!(asked.get(), 1);
        assert_eq!(
            report.metadata.baseline,
            "up to 3 recent runs of `main` on testbed `tb` before this run up to the merge-base c2"
        );
        assert_eq!(wall(&report).regression, Regression::Regression);

        // The caller's commit wins, and one nobody recorded says so.
        let report =
            judge(&config, &store, Some(branch), MergeBase::Commit("nowhere")).expect("judges");
        assert!(
            report
                .metadata
                .baseline
                .ends_with("(merge-base nowhere not recorded on `main`: runs before this one)"),
            "{}",
            report.metadata.baseline
        );
        assert_eq!(wall(&report).regression, Regression::None);
    }

    /// Records a `main` run of `parse` on `kernel` (`None`: no fingerprint).
    fn record_on(store: &dyn Store, minutes: i64, kernel: Option<&str>, ms: f64) -> RunId {
        record_of(store, "parse", minutes, kernel, ms)
    }

    fn record_of(
        store: &dyn Store,
        benchmark: &str,
        minutes: i64,
        kernel: Option<&str>,
        ms: f64,
    ) -> RunId {
        store
            .insert_run(&sloe_core::NewRun {
                context: sloe_core::RunContext {
                    commit: Some(format!("k{minutes}")),
                    branch: Some("main".into()),
                    testbed: Some("tb".into()),
                    environment: None,
                    timestamp: crate::testing::at(minutes),
                    ci: BTreeMap::new(),
                    fingerprint: kernel.map(|k| {
                        Box::new(Fingerprint {
                            cpu: Some("cpu".into()),
                            kernel: Some(k.into()),
                            ..Fingerprint::default()
                        })
                    }),
                },
                series: vec![sloe_core::Series {
                    benchmark: benchmark.into(),
                    measure: "wall_time".into(),
                    unit: sloe_core::Unit::Milliseconds,
                    direction: sloe_core::Direction::LowerIsBetter,
                    values: around(ms).iter().map(|v| v * 1e6).collect(),
                    round_size: None,
                }],
            })
            .expect("records")
    }

    #[test]
    fn runs_on_another_environment_are_left_out_and_counted() {
        let store = crate::testing::store();
        // Old runs without a fingerprint, then runs on kernel 6.1 and 6.8.
        record_on(&store, 0, None, 100.0);
        for (minute, kernel) in [
            (1, "6.1.0"),
            (2, "6.8.0"),
            (3, "6.1.0"),
            (4, "6.8.0"),
            (5, "6.1.0"),
        ] {
            record_on(&store, minute, Some(kernel), 100.0);
        }
        // Another kernel's run of another benchmark was never a candidate.
        record_of(&store, "other", 6, Some("7.0.0"), 100.0);
        let judged = record_on(&store, 10, Some("6.1.0"), 100.0);
        let report =
            judge(&settings(""), &store, Some(judged), MergeBase::Unknown).expect("judges");
        let m = &report.metadata;
        assert_eq!(m.baseline_excluded.get("different_environment"), Some(&2));
        assert_eq!(m.baseline_differences, ["kernel 6.8.0 → 6.1.0"]);
        assert_eq!(m.baseline_unknown_environment, 1);
        assert!(
            m.baseline
                .contains("2 runs on a different environment left out (kernel 6.8.0 → 6.1.0;")
                && m.baseline.contains("1 run of unknown environment"),
            "{}",
            m.baseline
        );
        assert_eq!(
            m.fingerprint.as_ref().and_then(|f| f.kernel.as_deref()),
            Some("6.1.0")
        );

        // A pinned run on another kernel is kept, and the description says so.
        let pinned = record_on(&store, 4, Some("6.8.0"), 100.0);
        store.pin_baseline(Some("tb"), pinned).expect("pins");
        let report =
            judge(&settings(""), &store, Some(judged), MergeBase::Unknown).expect("judges");
        assert_eq!(
            report.metadata.baseline,
            format!(
                "pinned run {pinned} (commit k4), measured on a different environment (kernel 6.8.0 → 6.1.0)"
            )
        );
        store.clear_baseline(Some("tb")).expect("unpins");

        let report = judge(
            &settings("[regression]\nsame_environment = false\n"),
            &store,
            Some(judged),
            MergeBase::Unknown,
        )
        .expect("judges");
        assert!(report.metadata.baseline_excluded.is_empty());
        assert_eq!(
            report.metadata.baseline,
            "up to 10 recent runs of `main` on testbed `tb` before this run"
        );
    }

    #[test]
    fn budgets_that_cannot_judge_are_config_errors_with_exit_2() {
        let store = store();
        let run = record(&store, "main", "c0", 0, &around(100.0));
        // A measure of its own in ms (the run says so), a unitless limit.
        let mut custom = store.run(run).expect("reads").expect("the run");
        custom.series[0].measure = "latency".into();
        let config =
            settings("[[budget]]\nbenchmark = \"parse\"\nmeasure = \"latency\"\nmax = 120\n");
        let e = judge_run(&config, &store, &custom, MergeBase::Unknown).expect_err("unitless");
        assert!(matches!(e, AppError::Config(_)), "{e}");
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "read config sloe.toml: key `budget[0].max`: budget for \"parse\" (measure `latency`) on benchmark `parse`: limit `120` has no unit, but the run measured `latency` in ms; write `max = \"120 ms\"` or the time unit you meant"
        );

        // A budget that matches nothing anywhere: a warning, even under
        // the default policy's `missing` (nothing went missing: issue 15),
        // an error when policy says so, and the store's names feed the
        // did-you-mean.
        let typo = "[[budget]]\nbenchmark = \"prase\"\nmax = \"1s\"\n";
        let report = judge(&settings(typo), &store, None, MergeBase::Unknown).expect("judges");
        assert_eq!(report.summary.status, OverallStatus::Warning);
        assert!(!report.violations[0].blocking);
        let strict = settings(&format!(
            "[policy]\nfail_on = [\"violation\", \"warning\"]\n{typo}"
        ));
        let strict = judge(&strict, &store, None, MergeBase::Unknown).expect("judges");
        assert_eq!(strict.summary.status, OverallStatus::Failed);
        assert!(strict.violations[0].blocking);
        assert!(
            report.violations[0]
                .message
                .ends_with("(did you mean `parse`?)"),
            "{:?}",
            report.violations
        );
        let strict = settings(&format!("[policy]\nunmatched_budgets = \"error\"\n{typo}"));
        let e = judge(&strict, &store, None, MergeBase::Unknown).expect_err("an error");
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .contains("key `budget[0]`: budget 1 (benchmark `prase`"),
            "{e}"
        );
    }

    #[test]
    fn missing_runs_are_typed_errors() {
        let store = store();
        let e = judge(&settings(""), &store, None, MergeBase::Unknown).expect_err("no runs");
        assert!(matches!(e, AppError::NoRuns { .. }), "{e}");
        record(&store, "main", "c0", 0, &around(100.0));
        let e = judge(&settings(""), &store, Some(RunId(42)), MergeBase::Unknown)
            .expect_err("no run 42");
        assert!(matches!(e, AppError::NoSuchRun { id: 42, .. }), "{e}");
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.http_status(), 404);
    }
}
