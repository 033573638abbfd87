//! Judging a run: which baseline it is compared with (a pinned run, or the
//! base branch's recent runs on its testbed, up to the merge-base for a run
//! off the base branch) and the verdict `sloe check`, `sloe run`, `sloe
//! report` and the server all give.

use std::collections::BTreeMap;
use std::path::Path;

use sloe_core::budget;
use sloe_core::config::{ConfigError, UnmatchedBudgets};
use sloe_core::evaluate::{self, Baseline};
use sloe_core::report::Report;
use sloe_core::{Run, RunId, SeriesKey};
use sloe_store::{BaselineQuery, Store};

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
    let baseline = baseline(settings, store, run, merge_base)?;
    Ok(evaluate::evaluate_with_names(
        config,
        run,
        &baseline,
        &recorded,
        env!("CARGO_PKG_VERSION"),
    ))
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
/// runs `creep_window` further back for the slow-creep check.
pub fn baseline(
    settings: &Settings,
    store: &dyn Store,
    run: &Run,
    merge_base: MergeBase<'_>,
) -> Result<Baseline> {
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
        return Ok(Baseline::Pinned {
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
        });
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
    let found = sloe_store::baseline_history(store, &q, &keys, wanted)?;
    let runs: BTreeMap<SeriesKey, Vec<Vec<f64>>> = found
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|(_, s)| s.values).collect()))
        .collect();
    Ok(Baseline::History {
        description: format!(
            "up to {history} recent runs of `{branch}`{} before this run{until}",
            testbed
                .as_deref()
                .map(|t| format!(" on testbed `{t}`"))
                .unwrap_or_default()
        ),
        runs,
    })
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

        // A budget that matches nothing: a finding by default, an error
        // when policy says so, and the store's names feed the did-you-mean.
        let typo = "[[budget]]\nbenchmark = \"prase\"\nmax = \"1s\"\n";
        let report = judge(&settings(typo), &store, None, MergeBase::Unknown).expect("judges");
        assert_eq!(report.summary.status, OverallStatus::Warning);
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
