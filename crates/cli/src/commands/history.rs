use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::json;
use sloe_core::changepoint;
use sloe_core::stats::median;
use sloe_core::units::format_number;
use sloe_core::{RunHeader, Unit};
use sloe_store::RunQuery;

use crate::Outcome;
use crate::args::{HistoryArgs, OutputFormat};
use crate::settings::Settings;

pub fn run(settings: &Settings, args: &HistoryArgs) -> Result<Outcome> {
    let store = settings.open_store()?;
    if args.changes {
        return changes(store.as_ref(), args);
    }
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

/// One shift in a series' level, for `sloe history --changes`.
struct Shift {
    benchmark: String,
    measure: String,
    testbed: Option<String>,
    run_id: i64,
    commit: Option<String>,
    timestamp: String,
    before: f64,
    after: f64,
    change: f64,
    unit: Unit,
}

/// (benchmark, measure, testbed)
type SeriesId = (String, String, Option<String>);
/// A run, its median and unit.
type Point<'a> = (&'a RunHeader, f64, Unit);

/// `sloe history --changes [GLOB]`: change points of each series' per-run
/// medians, per testbed, oldest first.
fn changes(store: &dyn sloe_store::Store, args: &HistoryArgs) -> Result<Outcome> {
    let glob = args.benchmark.as_deref().unwrap_or("*");
    let rows = store.series_history(Some(glob), args.limit.max(200))?;
    let mut series: BTreeMap<SeriesId, Vec<Point<'_>>> = BTreeMap::new();
    for (r, s) in &rows {
        if let Some(m) = median(&s.values) {
            series
                .entry((
                    s.benchmark.clone(),
                    s.measure.clone(),
                    r.context.testbed.clone(),
                ))
                .or_default()
                .push((r, m, s.unit.clone()));
        }
    }
    let mut shifts = Vec::new();
    for ((benchmark, measure, testbed), mut points) in series {
        points.sort_by_key(|(r, _, _)| (r.context.timestamp, r.id.0));
        let values: Vec<f64> = points.iter().map(|(_, m, _)| *m).collect();
        for cp in changepoint::detect(&values) {
            let (r, _, unit) = &points[cp.index];
            shifts.push(Shift {
                benchmark: benchmark.clone(),
                measure: measure.clone(),
                testbed: testbed.clone(),
                run_id: r.id.0,
                commit: r.context.commit.clone(),
                timestamp: r
                    .context
                    .timestamp
                    .strftime("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
                before: cp.before,
                after: cp.after,
                change: cp.change,
                unit: unit.clone(),
            });
        }
    }
    match args.format {
        OutputFormat::Json => {
            let v: Vec<_> = shifts
                .iter()
                .map(|s| {
                    json!({"benchmark": s.benchmark, "measure": s.measure, "testbed": s.testbed,
                           "run_id": s.run_id, "commit": s.commit, "timestamp": s.timestamp,
                           "unit": s.unit.symbol(),
                           "before": s.unit.from_canonical(s.before),
                           "after": s.unit.from_canonical(s.after), "change": s.change})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        OutputFormat::Text => {
            if shifts.is_empty() {
                println!(
                    "no change points in the history of {glob:?} in {}",
                    store.describe()
                );
            }
            for s in &shifts {
                let show = |v: f64| {
                    let unit = s
                        .unit
                        .dimension()
                        .map_or_else(|| s.unit.clone(), |d| Unit::readable_for(d, v));
                    match unit {
                        Unit::Count => format_number(unit.from_canonical(v)),
                        ref u => format!("{} {u}", format_number(u.from_canonical(v))),
                    }
                };
                println!(
                    "{} {}{}: {:+.1} % at run {} (commit {}, {}): {} -> {}",
                    s.benchmark,
                    s.measure,
                    s.testbed
                        .as_deref()
                        .map(|t| format!(" on {t}"))
                        .unwrap_or_default(),
                    s.change * 100.0,
                    s.run_id,
                    s.commit
                        .as_deref()
                        .map_or("-", |c| c.get(..12).unwrap_or(c)),
                    s.timestamp,
                    show(s.before),
                    show(s.after)
                );
            }
        }
    }
    Ok(Outcome::Ok)
}
