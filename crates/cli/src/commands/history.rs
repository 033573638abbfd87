use anyhow::Result;
use serde_json::json;
use sloe_core::Unit;
use sloe_core::stats::median;
use sloe_core::units::format_number;
use sloe_store::RunQuery;

use crate::Outcome;
use crate::args::{HistoryArgs, OutputFormat};
use crate::settings::Settings;

pub fn run(settings: &Settings, args: &HistoryArgs) -> Result<Outcome> {
    let store = settings.open_store()?;
    match &args.benchmark {
        None => {
            let runs = store.list_runs(&RunQuery {
                limit: Some(args.limit),
                ..RunQuery::default()
            })?;
            match args.format {
                OutputFormat::Json => {
                    let v: Vec<_> = runs
                        .iter()
                        .map(|r| {
                            let c = &r.context;
                            json!({"id": r.id, "timestamp": c.timestamp.to_string(), "commit": c.commit,
                                   "branch": c.branch, "testbed": c.testbed, "environment": c.environment,
                                   "ci": c.ci, "recorded_at": r.recorded_at.to_string()})
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                OutputFormat::Text => {
                    if runs.is_empty() {
                        println!("no runs recorded in {}", store.describe());
                    } else {
                        println!(
                            "{:>6}  {:<20}  {:<12}  {:<20}  testbed",
                            "run", "timestamp", "commit", "branch"
                        );
                        for r in &runs {
                            let c = &r.context;
                            println!(
                                "{:>6}  {:<20}  {:<12}  {:<20}  {}",
                                r.id,
                                c.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                                c.commit
                                    .as_deref()
                                    .map_or("-", |s| s.get(..12).unwrap_or(s)),
                                c.branch.as_deref().unwrap_or("-"),
                                c.testbed.as_deref().unwrap_or("-")
                            );
                        }
                    }
                }
            }
        }
        Some(glob) => {
            let rows = store.series_history(Some(glob), args.limit)?;
            match args.format {
                OutputFormat::Json => {
                    let v: Vec<_> = rows
                        .iter()
                        .map(|(r, s)| {
                            let values: Vec<f64> = s.values.iter().map(|v| s.unit.from_canonical(*v)).collect();
                            json!({"run_id": r.id, "timestamp": r.context.timestamp.to_string(),
                                   "commit": r.context.commit, "branch": r.context.branch, "testbed": r.context.testbed,
                                   "benchmark": s.benchmark, "measure": s.measure, "unit": s.unit.symbol(),
                                   "direction": s.direction.as_str(),
                                   "median": median(&values), "values": values})
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                OutputFormat::Text => {
                    if rows.is_empty() {
                        println!("no recorded values for {glob:?} in {}", store.describe());
                    } else {
                        println!(
                            "{:>6}  {:<20}  {:<12}  {:<16}  {:<24}  {:<12}  {:>12}  {:>4}",
                            "run",
                            "timestamp",
                            "commit",
                            "branch",
                            "benchmark",
                            "measure",
                            "median",
                            "n"
                        );
                        for (r, s) in &rows {
                            let c = &r.context;
                            let m = median(&s.values).unwrap_or(f64::NAN);
                            let unit = s
                                .unit
                                .dimension()
                                .map_or_else(|| s.unit.clone(), |d| Unit::readable_for(d, m));
                            let shown = match unit {
                                Unit::Count => format_number(unit.from_canonical(m)),
                                ref u => format!("{} {u}", format_number(u.from_canonical(m))),
                            };
                            println!(
                                "{:>6}  {:<20}  {:<12}  {:<16}  {:<24}  {:<12}  {:>12}  {:>4}",
                                r.id,
                                c.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                                c.commit
                                    .as_deref()
                                    .map_or("-", |s| s.get(..12).unwrap_or(s)),
                                c.branch.as_deref().unwrap_or("-"),
                                s.benchmark,
                                s.measure,
                                shown,
                                s.values.len()
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(Outcome::Ok)
}
