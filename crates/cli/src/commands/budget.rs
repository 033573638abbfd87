//! `sloe budget suggest`: budgets proposed from history, as config lines.

use sloe_app::{Result, Settings, suggest};
use sloe_core::Direction;
use sloe_core::units::Scale;

use crate::Outcome;
use crate::args::BudgetAction;

pub fn run(settings: &Settings, action: BudgetAction) -> Result<Outcome> {
    let BudgetAction::Suggest {
        benchmark,
        measures,
        runs,
        statistic,
    } = action;
    let store = settings.open_store_to_read()?;
    let glob = benchmark.as_deref().unwrap_or("*");
    let proposals = suggest::budgets(
        settings,
        store.as_ref(),
        &suggest::Request {
            benchmark: glob,
            measures: &measures,
            runs,
            statistic,
        },
    )?;
    let base = &proposals.base_branch;
    for p in &proposals.budgets {
        let (bench, measure) = (&p.benchmark, &p.measure);
        let Some(s) = &p.suggestion else {
            println!(
                "# {bench} {measure}: too few runs of `{base}` with positive values to suggest a budget ({}; need 3)",
                p.runs
            );
            continue;
        };
        let (bound, pct) = match p.direction {
            Direction::LowerIsBetter => ("max", "p95"),
            Direction::HigherIsBetter => ("min", "p5"),
        };
        let scale = Scale::for_values(&p.unit, &[s.percentile_level, s.canonical()]);
        let covers = if p.benchmarks.len() > 1 {
            let shown = p.benchmarks.iter().take(8).cloned().collect::<Vec<_>>();
            let more = p.benchmarks.len() - shown.len();
            format!(
                " (one limit fits all {}: {}{})",
                p.benchmarks.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        };
        println!(
            "# {bench} {measure}{covers}: {pct} of {} runs of `{base}` is {}, run-to-run noise {:.1} %, headroom {:.1} % (2 sigma, at least 2 %), rounded {}",
            s.runs,
            scale.show(s.percentile_level),
            s.noise * 100.0,
            s.headroom * 100.0,
            if bound == "max" { "up" } else { "down" },
        );
        println!("[[budget]]");
        println!("benchmark = {}", serde_json::Value::from(bench.as_str()));
        println!("measure = {}", serde_json::Value::from(measure.as_str()));
        println!("statistic = \"{statistic}\"");
        println!("{bound} = {}", serde_json::Value::from(s.limit_text()));
        println!();
    }
    if proposals.budgets.is_empty() {
        println!(
            "# no recorded values for {glob:?} in runs of `{base}` in {}",
            store.describe()
        );
    }
    if measures.is_empty() && !proposals.other_measures.is_empty() {
        println!(
            "# also recorded: {} (add `--measure NAME` for budgets on them)",
            proposals.other_measures.join(", ")
        );
    }
    Ok(Outcome::Ok)
}
