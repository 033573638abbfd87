//! `sloe budget suggest`: budgets proposed from history, as config lines.

use sloe_app::{Result, Settings, suggest};
use sloe_core::Direction;
use sloe_core::units::readable;

use crate::Outcome;
use crate::args::BudgetAction;

pub fn run(settings: &Settings, action: BudgetAction) -> Result<Outcome> {
    let BudgetAction::Suggest {
        benchmark,
        runs,
        statistic,
    } = action;
    let store = settings.open_store_to_read()?;
    let glob = benchmark.as_deref().unwrap_or("*");
    let proposals = suggest::budgets(settings, store.as_ref(), glob, runs, statistic)?;
    let source = if proposals.from_base_branch {
        format!("runs of `{}`", settings.config.project.base_branch)
    } else {
        "runs (no run of the base branch found)".to_owned()
    };
    for p in &proposals.series {
        let (bench, measure) = (&p.benchmark, &p.measure);
        let Some(s) = p.suggestion else {
            println!(
                "# {bench} {measure}: too few runs with positive values to suggest a budget ({})",
                p.runs
            );
            continue;
        };
        let (bound, pct) = match p.direction {
            Direction::LowerIsBetter => ("max", "p95"),
            Direction::HigherIsBetter => ("min", "p5"),
        };
        println!(
            "# {bench} {measure}: {pct} of {} {source} is {}, run-to-run noise {:.1} %, headroom 2 sigma",
            s.runs,
            readable(&p.unit, s.percentile_level),
            s.noise * 100.0
        );
        println!("[[budget]]");
        println!("benchmark = {}", serde_json::Value::from(bench.as_str()));
        println!("measure = {}", serde_json::Value::from(measure.as_str()));
        println!("statistic = \"{statistic}\"");
        println!("{bound} = \"{}\"", readable(&p.unit, s.limit));
        println!();
    }
    if proposals.series.is_empty() {
        println!("# no recorded values for {glob:?} in {}", store.describe());
    }
    Ok(Outcome::Ok)
}
