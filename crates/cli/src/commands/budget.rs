//! `sloe budget suggest`: budgets proposed from history, as config lines.

use std::collections::BTreeMap;

use anyhow::Result;
use sloe_core::suggest;
use sloe_core::{Direction, Quantity, Unit};

use crate::Outcome;
use crate::args::BudgetAction;
use crate::settings::Settings;

pub fn run(settings: &Settings, action: BudgetAction) -> Result<Outcome> {
    let BudgetAction::Suggest {
        benchmark,
        runs,
        statistic,
    } = action;
    let stat = statistic;
    let store = settings.open_store()?;
    let glob = benchmark.as_deref().unwrap_or("*");
    let base = &settings.config.project.base_branch;
    let rows = store.series_history(Some(glob), runs.max(1))?;
    let on_base = rows
        .iter()
        .any(|(r, _)| r.context.branch.as_deref() == Some(base.as_str()));
    // (benchmark, measure) → per-run statistics, unit, direction
    let mut series: BTreeMap<(String, String), (Vec<f64>, Unit, Direction)> = BTreeMap::new();
    for (r, s) in &rows {
        if on_base && r.context.branch.as_deref() != Some(base.as_str()) {
            continue;
        }
        if let Some(v) = stat.compute(&s.values) {
            series
                .entry((s.benchmark.clone(), s.measure.clone()))
                .or_insert_with(|| (Vec::new(), s.unit.clone(), s.direction))
                .0
                .push(v);
        }
    }
    let source = if on_base {
        format!("runs of `{base}`")
    } else {
        "runs (no run of the base branch found)".to_owned()
    };
    let mut printed = 0;
    for ((bench, measure), (values, unit, direction)) in &series {
        let Some(s) = suggest::suggest(values, *direction) else {
            println!(
                "# {bench} {measure}: too few runs with positive values to suggest a budget ({})",
                values.len()
            );
            continue;
        };
        let shown = |v: f64| {
            let u = unit
                .dimension()
                .map_or_else(|| unit.clone(), |d| Unit::readable_for(d, v));
            Quantity {
                value: u.from_canonical(v),
                unit: u,
            }
        };
        let (bound, pct) = match direction {
            Direction::LowerIsBetter => ("max", "p95"),
            Direction::HigherIsBetter => ("min", "p5"),
        };
        println!(
            "# {bench} {measure}: {pct} of {} {source} is {}, run-to-run noise {:.1} %, headroom 2 sigma",
            s.runs,
            shown(s.percentile_level),
            s.noise * 100.0
        );
        println!("[[budget]]");
        println!("benchmark = {}", serde_json::to_string(bench)?);
        println!("measure = {}", serde_json::to_string(measure)?);
        println!("statistic = \"{stat}\"");
        println!("{bound} = \"{}\"", shown(s.limit));
        println!();
        printed += 1;
    }
    if printed == 0 && series.is_empty() {
        println!("# no recorded values for {glob:?} in {}", store.describe());
    }
    Ok(Outcome::Ok)
}
