//! `sloe history`: recorded runs, one benchmark's values across runs, or
//! (`--changes`) where each series' level shifted.

use std::collections::BTreeMap;

use serde_json::json;
use sloe_app::history::{self, Shift};
use sloe_app::{Result, Settings};
use sloe_core::stats::median;
use sloe_core::units::Scale;
use sloe_core::{RunHeader, Series};
use sloe_store::Store;

use crate::Outcome;
use crate::args::{HistoryArgs, OutputFormat};

pub fn run(settings: &Settings, args: &HistoryArgs) -> Result<Outcome> {
    let store = settings.open_store_to_read()?;
    let store = store.as_ref();
    if args.changes {
        let glob = args.benchmark.as_deref().unwrap_or("*");
        let base = &settings.config.project.base_branch;
        let shifts = history::changes(store, base, glob, args.limit)?;
        print_changes(store, base, glob, &shifts, args.format)?;
        return Ok(Outcome::Ok);
    }
    match &args.benchmark {
        None => print_runs(store, &history::runs(store, args.limit)?, args.format)?,
        Some(glob) => print_values(
            store,
            glob,
            &history::values(store, glob, args.limit)?,
            args.format,
        )?,
    }
    Ok(Outcome::Ok)
}

fn print_runs(store: &dyn Store, runs: &[RunHeader], format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Json => {
            let v: Vec<_> = runs
                .iter()
                .map(|r| {
                    let c = &r.context;
                    json!({"id": r.id, "timestamp": c.timestamp.to_string(), "commit": c.commit,
                           "branch": c.branch, "testbed": c.testbed, "environment": c.environment,
                           "ci": c.ci, "fingerprint": c.fingerprint,
                           "recorded_at": r.recorded_at.to_string()})
                })
                .collect();
            println!("{}", crate::output::pretty_json(&json!(v), "the history")?);
        }
        OutputFormat::Text if runs.is_empty() => {
            println!("no runs recorded in {}", store.describe());
        }
        OutputFormat::Text => {
            println!(
                "{:>6}  {:<20}  {:<12}  {:<20}  testbed",
                "run", "timestamp", "commit", "branch"
            );
            for r in runs {
                let c = &r.context;
                println!(
                    "{:>6}  {:<20}  {:<12}  {:<20}  {}",
                    r.id,
                    c.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    short(c.commit.as_deref()),
                    c.branch.as_deref().unwrap_or("-"),
                    c.testbed.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}

fn print_values(
    store: &dyn Store,
    glob: &str,
    rows: &[(RunHeader, Series)],
    format: OutputFormat,
) -> Result<()> {
    match format {
        OutputFormat::Json => {
            let v: Vec<_> = rows
                .iter()
                .map(|(r, s)| {
                    let values: Vec<f64> = s.values.iter().map(|v| s.unit.from_canonical(*v)).collect();
                    json!({"run_id": r.id, "timestamp": r.context.timestamp.to_string(),
                           "commit": r.context.commit, "branch": r.context.branch, "testbed": r.context.testbed,
                           "fingerprint": r.context.fingerprint,
                           "benchmark": s.benchmark, "measure": s.measure, "unit": s.unit.symbol(),
                           "direction": s.direction.as_str(),
                           "median": median(&values), "values": values})
                })
                .collect();
            println!("{}", crate::output::pretty_json(&json!(v), "the history")?);
        }
        OutputFormat::Text if rows.is_empty() => {
            println!("no recorded values for {glob:?} in {}", store.describe());
        }
        OutputFormat::Text => {
            println!(
                "{:>6}  {:<20}  {:<12}  {:<16}  {:<24}  {:<12}  {:>12}  {:>4}",
                "run", "timestamp", "commit", "branch", "benchmark", "measure", "median", "n"
            );
            // One unit per series, from all its medians, so a column of
            // one benchmark never jumps between `999 µs` and `1.001 ms`.
            let mut medians: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
            for (_, s) in rows {
                if let Some(m) = median(&s.values) {
                    medians
                        .entry((&s.benchmark, &s.measure))
                        .or_default()
                        .push(m);
                }
            }
            for (r, s) in rows {
                let c = &r.context;
                let m = median(&s.values).unwrap_or(f64::NAN);
                let scale = Scale::for_values(
                    &s.unit,
                    medians
                        .get(&(s.benchmark.as_str(), s.measure.as_str()))
                        .map_or(&[][..], Vec::as_slice),
                );
                println!(
                    "{:>6}  {:<20}  {:<12}  {:<16}  {:<24}  {:<12}  {:>12}  {:>4}",
                    r.id,
                    c.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    short(c.commit.as_deref()),
                    c.branch.as_deref().unwrap_or("-"),
                    s.benchmark,
                    s.measure,
                    cell(&scale, m),
                    s.values.len()
                );
            }
        }
    }
    Ok(())
}

fn print_changes(
    store: &dyn Store,
    base: &str,
    glob: &str,
    shifts: &[Shift],
    format: OutputFormat,
) -> Result<()> {
    match format {
        OutputFormat::Json => {
            let v: Vec<_> = shifts
                .iter()
                .map(|s| {
                    json!({"benchmark": s.benchmark, "measure": s.measure, "testbed": s.testbed,
                           "run_id": s.run_id, "commit": s.commit, "timestamp": stamp(s),
                           "unit": s.unit.symbol(),
                           "before": s.unit.from_canonical(s.before),
                           "after": s.unit.from_canonical(s.after), "change": s.change})
                })
                .collect();
            println!("{}", crate::output::pretty_json(&json!(v), "the history")?);
        }
        OutputFormat::Text => {
            if shifts.is_empty() {
                println!(
                    "no change points in the history of {glob:?} on `{base}` in {}",
                    store.describe()
                );
            }
            for s in shifts {
                // Before and after in one unit, so the step reads at a glance.
                let scale = Scale::for_values(&s.unit, &[s.before, s.after]);
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
                    short(s.commit.as_deref()),
                    stamp(s),
                    cell(&scale, s.before),
                    cell(&scale, s.after)
                );
            }
        }
    }
    Ok(())
}

/// A canonical value in `scale`, the number and unit apart (a table cell
/// reads `12.5 %`, where a quantity in prose reads `12.5%`).
fn cell(scale: &Scale, canonical: f64) -> String {
    match scale.symbol() {
        "" => scale.number(canonical),
        u => format!("{} {u}", scale.number(canonical)),
    }
}

fn short(commit: Option<&str>) -> &str {
    commit.map_or("-", |c| c.get(..12).unwrap_or(c))
}

fn stamp(s: &Shift) -> String {
    s.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
