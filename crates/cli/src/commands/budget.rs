//! `sloe budget suggest`: budgets proposed from history, as config lines.

use sloe_app::{Result, Settings, suggest};
use sloe_core::Direction;
use sloe_core::units::{Quantity, Scale, readable};

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
        // The comment and the limit in one unit; the limit as a quantity
        // the config reads back, to four significant digits.
        let scale = Scale::for_values(&p.unit, &[s.percentile_level, s.limit]);
        let limit = readable(&p.unit, s.limit);
        let limit = Quantity::new(significant(limit.value, 4), limit.unit);
        println!(
            "# {bench} {measure}: {pct} of {} {source} is {}, run-to-run noise {:.1} %, headroom 2 sigma",
            s.runs,
            scale.show(s.percentile_level),
            s.noise * 100.0
        );
        println!("[[budget]]");
        println!("benchmark = {}", serde_json::Value::from(bench.as_str()));
        println!("measure = {}", serde_json::Value::from(measure.as_str()));
        println!("statistic = \"{statistic}\"");
        println!("{bound} = \"{limit}\"");
        println!();
    }
    if proposals.series.is_empty() {
        println!("# no recorded values for {glob:?} in {}", store.describe());
    }
    Ok(Outcome::Ok)
}

/// `v` rounded to `digits` significant digits (`343557857` to `343600000`).
fn significant(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let e = digits - 1 - v.abs().log10().floor() as i32;
    // Dividing by a power of ten below one would leave binary noise.
    if e >= 0 {
        let k = 10f64.powi(e);
        (v * k).round() / k
    } else {
        let k = 10f64.powi(-e);
        (v / k).round() * k
    }
}

#[cfg(test)]
mod tests {
    use super::significant;

    #[test]
    fn limits_keep_four_significant_digits() {
        assert_eq!(significant(343_557_857.0, 4), 343_600_000.0);
        assert_eq!(significant(1.23456, 4), 1.235);
        assert_eq!(significant(0.0, 4), 0.0);
    }
}
