//! History queries: recorded runs, one benchmark's values across runs, and
//! where each series' level shifted (change points).

use std::collections::BTreeMap;

use jiff::Timestamp;
use sloe_core::changepoint;
use sloe_core::stats::median;
use sloe_core::{RunHeader, Series, Unit};
use sloe_store::{RunQuery, Store};

use crate::Result;

/// The latest `limit` runs, newest first.
pub fn runs(store: &dyn Store, limit: usize) -> Result<Vec<RunHeader>> {
    Ok(store.list_runs(&RunQuery {
        limit: Some(limit),
        ..RunQuery::default()
    })?)
}

/// The series of benchmarks matching `glob` in the latest `limit` runs that
/// have them, each with its run.
pub fn values(store: &dyn Store, glob: &str, limit: usize) -> Result<Vec<(RunHeader, Series)>> {
    Ok(store.series_history(Some(glob), None, limit)?)
}

/// How far back `sloe history --changes` looks at least: change-point
/// detection needs runs on both sides of a shift.
pub const MIN_CHANGE_RUNS: usize = 200;

/// The series of benchmarks matching `glob` (`*` and `?` wildcards, as
/// [`Store::series_history`] reads them) in the latest `limit` runs of
/// `branch` that have them, each with its run, newest first.
///
/// What the base branch's own series are made of: change points, creep
/// and suggested budgets read only these, so a branch's runs are never
/// blamed on (or learnt as) the base branch.
pub fn branch_series(
    store: &dyn Store,
    branch: &str,
    glob: &str,
    limit: usize,
) -> Result<Vec<(RunHeader, Series)>> {
    Ok(store.series_history(Some(glob), Some(branch), limit)?)
}

/// Whether `name` matches `glob`: `*` any run of characters, `?` one
/// character, anything else itself (the store's history globs).
pub(crate) fn wildcard(glob: &str, name: &str) -> bool {
    let (g, n): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    // Greedy with backtracking to the last `*`: linear in practice.
    let (mut gi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == n[ni]) {
            gi += 1;
            ni += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ni));
            gi += 1;
        } else if let Some((sg, sn)) = star {
            gi = sg + 1;
            ni = sn + 1;
            star = Some((sg, sn + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

/// One shift in a series' level.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub benchmark: String,
    pub measure: String,
    pub testbed: Option<String>,
    /// The first run at the new level.
    pub run_id: i64,
    pub commit: Option<String>,
    pub timestamp: Timestamp,
    /// The levels before and after, canonical.
    pub before: f64,
    pub after: f64,
    /// Relative change, `after / before - 1`.
    pub change: f64,
    pub unit: Unit,
}

/// Change points (PELT) of the per-run medians of each series of
/// benchmarks matching `glob`, per testbed, over the last
/// max(`limit`, [`MIN_CHANGE_RUNS`]) runs of the base branch `base_branch`
/// (other branches' runs are no points of its series, so a shift is
/// never attributed to a branch's commit); series in name order, shifts
/// oldest first.
pub fn changes(
    store: &dyn Store,
    base_branch: &str,
    glob: &str,
    limit: usize,
) -> Result<Vec<Shift>> {
    let rows = branch_series(store, base_branch, glob, limit.max(MIN_CHANGE_RUNS))?;
    // (benchmark, measure, testbed) → (run, median, unit)
    type Points<'a> = Vec<(&'a RunHeader, f64, &'a Unit)>;
    let mut series: BTreeMap<(&str, &str, Option<&str>), Points<'_>> = BTreeMap::new();
    for (r, s) in &rows {
        if let Some(m) = median(&s.values) {
            series
                .entry((&s.benchmark, &s.measure, r.context.testbed.as_deref()))
                .or_default()
                .push((r, m, &s.unit));
        }
    }
    let mut shifts = Vec::new();
    for ((benchmark, measure, testbed), mut points) in series {
        points.sort_by_key(|(r, _, _)| (r.context.timestamp, r.id.0));
        let values: Vec<f64> = points.iter().map(|(_, m, _)| *m).collect();
        for cp in changepoint::detect(&values) {
            let (r, _, unit) = points[cp.index];
            shifts.push(Shift {
                benchmark: benchmark.to_owned(),
                measure: measure.to_owned(),
                testbed: testbed.map(str::to_owned),
                run_id: r.id.0,
                commit: r.context.commit.clone(),
                timestamp: r.context.timestamp,
                before: cp.before,
                after: cp.after,
                change: cp.change,
                unit: unit.clone(),
            });
        }
    }
    Ok(shifts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{around, at, record, store};
    use sloe_core::RunId;

    #[test]
    fn a_level_shift_is_found_at_the_first_run_of_the_new_level() {
        let store = store();
        for i in 0..8 {
            let level = if i < 4 { 100.0 } else { 120.0 };
            record(&store, "main", &format!("c{i}"), i, &around(level));
        }
        let shifts = changes(&store, "main", "*", 20).expect("changes");
        assert_eq!(shifts.len(), 1, "{shifts:?}");
        let s = &shifts[0];
        assert_eq!(
            (
                s.benchmark.as_str(),
                s.measure.as_str(),
                s.testbed.as_deref()
            ),
            ("parse", "wall_time", Some("tb"))
        );
        assert_eq!((s.run_id, s.commit.as_deref()), (5, Some("c4")));
        assert_eq!(s.timestamp, at(4));
        assert!((s.change - 0.2).abs() < 0.01, "{}", s.change);
        assert!(
            changes(&store, "main", "other*", 20)
                .expect("changes")
                .is_empty()
        );
    }

    #[test]
    fn a_branch_run_never_moves_the_base_branch_change_points() {
        let store = store();
        for i in 0..8 {
            record(&store, "main", &format!("c{i}"), i, &around(100.0));
            // A branch's runs in between, at a level far from main's.
            record(&store, "topic", &format!("t{i}"), i, &around(180.0));
        }
        assert_eq!(changes(&store, "main", "*", 20).expect("changes"), []);
        let topic = changes(&store, "topic", "*", 20).expect("changes");
        assert!(topic.is_empty(), "{topic:?}");
    }

    #[test]
    fn branch_series_reads_one_branch_up_to_a_limit_of_runs() {
        let store = store();
        for i in 0..5 {
            record(&store, "main", &format!("c{i}"), i, &around(100.0));
            record(&store, "topic", &format!("t{i}"), i, &around(200.0));
        }
        let rows = branch_series(&store, "main", "pa*", 3).expect("rows");
        let commits: Vec<&str> = rows
            .iter()
            .map(|(r, _)| r.context.commit.as_deref().expect("commit"))
            .collect();
        assert_eq!(commits, ["c4", "c3", "c2"]);
        assert!(
            branch_series(&store, "main", "x*", 3)
                .expect("rows")
                .is_empty()
        );
        // Newer runs of main without the benchmark: paged past (pages of
        // 3, 6, 12 runs), not counted.
        for i in 0..10 {
            let mut run = store.run(RunId(1)).expect("reads").expect("a run");
            run.series[0].benchmark = "lex".to_owned();
            run.header.context.timestamp = at(100 + i);
            store
                .insert_run(&sloe_core::NewRun {
                    context: run.header.context,
                    series: run.series,
                })
                .expect("records");
        }
        let rows = branch_series(&store, "main", "pa*", 3).expect("rows");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0.context.commit.as_deref(), Some("c4"));
    }

    #[test]
    fn wildcards_as_the_store_reads_them() {
        for (g, n, m) in [
            ("*", "anything", true),
            ("pa*", "parse", true),
            ("p?rse", "parse", true),
            ("*se", "parse", true),
            ("*a*e", "parse", true),
            ("pa", "parse", false),
            ("[p]arse", "parse", false),
            ("[p]arse", "[p]arse", true),
            ("", "", true),
            ("?", "", false),
        ] {
            assert_eq!(wildcard(g, n), m, "{g} {n}");
        }
    }

    #[test]
    fn runs_and_values_are_newest_first() {
        let store = store();
        for i in 0..3 {
            record(&store, "main", &format!("c{i}"), i, &around(100.0));
        }
        let ids: Vec<i64> = runs(&store, 2)
            .expect("runs")
            .iter()
            .map(|r| r.id.0)
            .collect();
        assert_eq!(ids, [3, 2]);
        let rows = values(&store, "pa*", 10).expect("values");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0.id.0, 3);
        assert_eq!(rows[0].1.benchmark, "parse");
    }
}
