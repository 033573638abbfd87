//! Budgets proposed from history (`sloe budget suggest`): per series, a
//! high percentile of recent runs of the base branch plus headroom from
//! their run-to-run noise (`sloe_core::suggest`).

use std::collections::BTreeMap;

use sloe_core::stats::Statistic;
use sloe_core::suggest::{self, Suggestion};
use sloe_core::{Direction, Unit};
use sloe_store::Store;

use crate::{Result, Settings};

/// What history proposes for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub benchmark: String,
    pub measure: String,
    pub unit: Unit,
    pub direction: Direction,
    /// Runs whose statistic could be computed.
    pub runs: usize,
    /// `None` with too few runs or non-positive values.
    pub suggestion: Option<Suggestion>,
}

/// Proposals for every series of benchmarks matching `glob`.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposals {
    /// Learnt from runs of the base branch; `false` when none was found
    /// and every branch's runs were used.
    pub from_base_branch: bool,
    /// In (benchmark, measure) order.
    pub series: Vec<Proposal>,
}

/// Proposes budgets on `statistic` for the series matching `glob` from the
/// latest `runs` runs that have them (those of the base branch when any
/// is).
pub fn budgets(
    settings: &Settings,
    store: &dyn Store,
    glob: &str,
    runs: usize,
    statistic: Statistic,
) -> Result<Proposals> {
    let base = &settings.config.project.base_branch;
    let rows = store.series_history(Some(glob), runs.max(1))?;
    let on_base = |branch: Option<&str>| branch == Some(base.as_str());
    let from_base_branch = rows
        .iter()
        .any(|(r, _)| on_base(r.context.branch.as_deref()));
    // (benchmark, measure) → per-run statistics, unit, direction
    let mut series: BTreeMap<(String, String), (Vec<f64>, Unit, Direction)> = BTreeMap::new();
    for (r, s) in &rows {
        if from_base_branch && !on_base(r.context.branch.as_deref()) {
            continue;
        }
        if let Some(v) = statistic.compute(&s.values) {
            series
                .entry((s.benchmark.clone(), s.measure.clone()))
                .or_insert_with(|| (Vec::new(), s.unit.clone(), s.direction))
                .0
                .push(v);
        }
    }
    let series = series
        .into_iter()
        .map(
            |((benchmark, measure), (values, unit, direction))| Proposal {
                benchmark,
                measure,
                unit,
                direction,
                runs: values.len(),
                suggestion: suggest::suggest(&values, direction),
            },
        )
        .collect();
    Ok(Proposals {
        from_base_branch,
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{around, record, settings, store};

    #[test]
    fn budgets_are_learnt_from_the_base_branch_when_it_has_runs() {
        let store = store();
        let config = settings("");
        for i in 0..4 {
            record(&store, "topic", &format!("t{i}"), i, &around(500.0));
        }
        let topic_only = budgets(&config, &store, "*", 30, Statistic::Median).expect("proposes");
        assert!(!topic_only.from_base_branch);
        assert_eq!(topic_only.series[0].runs, 4);

        for i in 0..5 {
            let level = [100.0, 101.0, 99.0, 100.5, 99.5][i];
            record(
                &store,
                "main",
                &format!("c{i}"),
                10 + i as i64,
                &around(level),
            );
        }
        let proposals = budgets(&config, &store, "*", 30, Statistic::Median).expect("proposes");
        assert!(proposals.from_base_branch);
        let p = &proposals.series[0];
        assert_eq!(
            (p.benchmark.as_str(), p.measure.as_str(), p.runs),
            ("parse", "wall_time", 5)
        );
        let s = p.suggestion.expect("a suggestion");
        // Above every main run, far below the topic branch's 500 ms.
        assert!(s.limit > 101e6 && s.limit < 120e6, "{}", s.limit);

        let few = budgets(&config, &store, "*", 2, Statistic::Median).expect("proposes");
        assert_eq!(few.series[0].suggestion, None, "two runs are too few");
        assert!(
            budgets(&config, &store, "none*", 30, Statistic::Median)
                .expect("proposes")
                .series
                .is_empty()
        );
    }
}
