//! Budgets proposed from history (`sloe budget suggest`): per series, a
//! high percentile of recent runs of the base branch plus headroom from
//! their run-to-run noise, rounded outward (`sloe_core::suggest`).
//!
//! Only the base branch's runs are read: a branch's runs are not the code
//! a budget should hold. Only `wall_time` and `peak_rss` are proposed
//! unless the caller names measures ([`DEFAULT_MEASURES`]), and the
//! series of one measure share one budget when one limit fits each of
//! them (`sloe_core::suggest::shared`).

use std::collections::BTreeMap;

use sloe_core::model::AB_BASELINE_SUFFIX;
use sloe_core::stats::Statistic;
use sloe_core::suggest::{self, Suggestion};
use sloe_core::{Direction, Unit};
use sloe_store::Store;

use crate::history::{branch_series, wildcard};
use crate::{Result, Settings};

/// The measures proposed when none is named: the two every harness and
/// `sloe run` record and a user budgets first.
pub const DEFAULT_MEASURES: [&str; 2] = ["wall_time", "peak_rss"];

/// What to propose.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    /// Benchmarks (`*` and `?` wildcards).
    pub benchmark: &'a str,
    /// Measure names or globs; empty is [`DEFAULT_MEASURES`].
    pub measures: &'a [String],
    /// How many recent runs of the base branch to learn from.
    pub runs: usize,
    pub statistic: Statistic,
}

/// What history proposes for one budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// A benchmark's name, or the requested glob when the budget is shared.
    pub benchmark: String,
    /// The benchmarks the budget covers (one unless shared).
    pub benchmarks: Vec<String>,
    pub measure: String,
    pub unit: Unit,
    pub direction: Direction,
    /// Runs whose statistic could be computed (the fewest of a shared
    /// budget's series).
    pub runs: usize,
    /// `None` with too few runs or non-positive values.
    pub suggestion: Option<Suggestion>,
}

/// Proposals learnt from the base branch.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposals {
    /// The branch learnt from (`project.base_branch`).
    pub base_branch: String,
    /// In (measure, benchmark) order.
    pub budgets: Vec<Proposal>,
    /// Measures recorded for the benchmarks but not proposed (not
    /// requested), for a hint.
    pub other_measures: Vec<String>,
}

/// Proposes budgets on the request's statistic for the series matching it
/// from the latest runs of the base branch that have them.
pub fn budgets(settings: &Settings, store: &dyn Store, req: &Request<'_>) -> Result<Proposals> {
    let base = settings.config.project.base_branch.clone();
    let rows = branch_series(store, &base, req.benchmark, req.runs.max(1))?;
    let wanted = |measure: &str| {
        if req.measures.is_empty() {
            DEFAULT_MEASURES.contains(&measure)
        } else {
            req.measures.iter().any(|g| wildcard(g, measure))
        }
    };
    // (measure, benchmark) → per-run statistics, unit, direction
    let mut series: BTreeMap<(String, String), (Vec<f64>, Unit, Direction)> = BTreeMap::new();
    let mut other_measures: Vec<String> = Vec::new();
    for (_, s) in &rows {
        // The A side of an A/B benchmark gets no verdict of its own.
        if s.benchmark.ends_with(AB_BASELINE_SUFFIX) {
            continue;
        }
        if !wanted(&s.measure) {
            if !other_measures.contains(&s.measure) {
                other_measures.push(s.measure.clone());
            }
            continue;
        }
        let entry = series
            .entry((s.measure.clone(), s.benchmark.clone()))
            .or_insert_with(|| (Vec::new(), s.unit.clone(), s.direction));
        if let Some(v) = req.statistic.compute(&s.values) {
            entry.0.push(v);
        }
    }
    other_measures.sort();
    let mut per_measure: BTreeMap<String, Vec<Proposal>> = BTreeMap::new();
    for ((measure, benchmark), (values, unit, direction)) in series {
        let suggestion = suggest::suggest(&values, direction, &unit);
        per_measure
            .entry(measure.clone())
            .or_default()
            .push(Proposal {
                benchmarks: vec![benchmark.clone()],
                benchmark,
                measure,
                unit,
                direction,
                runs: values.len(),
                suggestion,
            });
    }
    let budgets = per_measure
        .into_values()
        .flat_map(|proposals| share(req.benchmark, proposals))
        .collect();
    Ok(Proposals {
        base_branch: base,
        budgets,
        other_measures,
    })
}

/// One budget for all of a measure's series when one limit fits each (and
/// every series has a suggestion, one direction and one dimension);
/// otherwise one per series.
fn share(glob: &str, proposals: Vec<Proposal>) -> Vec<Proposal> {
    let [first, rest @ ..] = proposals.as_slice() else {
        return proposals;
    };
    if rest.is_empty()
        || proposals
            .iter()
            .any(|p| p.direction != first.direction || p.unit.canonical() != first.unit.canonical())
    {
        return proposals;
    }
    let suggestions: Option<Vec<&Suggestion>> =
        proposals.iter().map(|p| p.suggestion.as_ref()).collect();
    let Some(one) = suggestions.and_then(|s| suggest::shared(&s, first.direction)) else {
        return proposals;
    };
    vec![Proposal {
        benchmark: glob.to_owned(),
        benchmarks: proposals.iter().map(|p| p.benchmark.clone()).collect(),
        measure: first.measure.clone(),
        unit: first.unit.clone(),
        direction: first.direction,
        runs: one.runs,
        suggestion: Some(one),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{around, at, record, settings, store};
    use sloe_core::{NewRun, RunContext, Series};

    fn req(runs: usize) -> Request<'static> {
        Request {
            benchmark: "*",
            measures: &[],
            runs,
            statistic: Statistic::Median,
        }
    }

    #[test]
    fn budgets_are_learnt_from_the_base_branch_only() {
        let store = store();
        let config = settings("");
        for i in 0..4 {
            record(&store, "topic", &format!("t{i}"), i, &around(500.0));
        }
        let topic_only = budgets(&config, &store, &req(30)).expect("proposes");
        assert_eq!(topic_only.base_branch, "main");
        assert!(topic_only.budgets.is_empty(), "{topic_only:?}");

        for i in 0..5 {
            let level = [100.0, 101.0, 99.0, 100.5, 99.5][i];
            record(
                &store,
                "main",
                &format!("c{i}"),
                10 + i as i64,
                &around(level),
            );
            // The branch's newer runs neither crowd main's out nor count.
            record(
                &store,
                "topic",
                &format!("u{i}"),
                20 + i as i64,
                &around(500.0),
            );
        }
        let proposals = budgets(&config, &store, &req(5)).expect("proposes");
        let p = &proposals.budgets[0];
        assert_eq!(
            (p.benchmark.as_str(), p.measure.as_str(), p.runs),
            ("parse", "wall_time", 5)
        );
        let s = p.suggestion.as_ref().expect("a suggestion");
        // Above every main run, far below the topic branch's 500 ms.
        let limit = s.canonical();
        assert!(limit > 101e6 && limit < 120e6, "{limit}");

        let few = budgets(&config, &store, &req(2)).expect("proposes");
        assert_eq!(few.budgets[0].suggestion, None, "two runs are too few");
        let none = Request {
            benchmark: "none*",
            ..req(30)
        };
        assert!(
            budgets(&config, &store, &none)
                .expect("proposes")
                .budgets
                .is_empty()
        );
    }

    fn record_many(store: &dyn Store, minutes: i64, series: &[(&str, &str, Unit, f64)]) {
        store
            .insert_run(&NewRun {
                context: RunContext {
                    commit: Some(format!("c{minutes}")),
                    branch: Some("main".to_owned()),
                    testbed: Some("tb".to_owned()),
                    environment: None,
                    timestamp: at(minutes),
                    ci: Default::default(),
                    fingerprint: None,
                },
                series: series
                    .iter()
                    .map(|(b, m, unit, v)| Series {
                        benchmark: (*b).to_owned(),
                        measure: (*m).to_owned(),
                        unit: unit.clone(),
                        direction: Direction::LowerIsBetter,
                        values: vec![*v, *v, *v],
                        round_size: None,
                    })
                    .collect(),
            })
            .expect("records");
    }

    #[test]
    fn default_measures_and_one_budget_where_one_limit_fits_all() {
        let store = store();
        let mib = 1024.0 * 1024.0;
        for i in 0..6 {
            let j = 1.0 + 0.001 * i as f64;
            record_many(
                &store,
                i,
                &[
                    ("a", "wall_time", Unit::Milliseconds, 1e6 * j),
                    ("b", "wall_time", Unit::Milliseconds, 300e6 * j),
                    ("a", "peak_rss", Unit::Bytes, 20.0 * mib),
                    ("b", "peak_rss", Unit::Bytes, 21.0 * mib),
                    ("a", "user_time", Unit::Milliseconds, 1e6),
                    ("a@baseline", "wall_time", Unit::Milliseconds, 9e6),
                ],
            );
        }
        let config = settings("");
        let p = budgets(&config, &store, &req(30)).expect("proposes");
        let rows: Vec<(&str, &str)> = p
            .budgets
            .iter()
            .map(|b| (b.measure.as_str(), b.benchmark.as_str()))
            .collect();
        // Memory is alike: one budget; times are 300× apart: one each.
        assert_eq!(
            rows,
            [("peak_rss", "*"), ("wall_time", "a"), ("wall_time", "b")]
        );
        assert_eq!(p.budgets[0].benchmarks, ["a", "b"]);
        assert_eq!(p.other_measures, ["user_time"]);
        // 21 MiB · 1.02 = 21.42 MiB, up to a step of 0.2 MiB (at most 1 %).
        let rss = p.budgets[0].suggestion.as_ref().expect("s");
        assert_eq!(rss.limit_text(), "21.6 MiB");

        let measures = ["user*".to_owned()];
        let wider = Request {
            measures: &measures,
            ..req(30)
        };
        let p = budgets(&config, &store, &wider).expect("proposes");
        assert_eq!(p.budgets.len(), 1);
        assert_eq!(p.budgets[0].measure, "user_time");
    }
}
