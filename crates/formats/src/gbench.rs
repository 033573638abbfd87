//! Google Benchmark `--benchmark_format=json`.
//!
//! Each row of `benchmarks` is one repetition (`run_type: "iteration"`)
//! or an aggregate over repetitions (`run_type: "aggregate"`, with
//! `aggregate_name` mean/median/stddev/cv). To count every run once, a
//! benchmark's repetition rows are its samples and its aggregates are
//! dropped; only when a file holds aggregates alone
//! (`--benchmark_report_aggregates_only`) does the `mean` aggregate (else
//! `median`) stand in as the one sample.
//!
//! Measures: `wall_time` (`real_time`) and `cpu_time` in `time_unit` per
//! iteration; `bytes_per_second` and `items_per_second` as rates
//! (higher is better); any other user counter as a measure of its own name
//! with a plain count unit. Rows with `error_occurred` are skipped. The
//! benchmark is `run_name` (else `name`), as printed, arguments included.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;
use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, parse_json, starts_with, time_unit};
use crate::{FileContext, FormatError, Parsed};

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    context: Option<Context>,
    benchmarks: Vec<Row>,
}

#[derive(Debug, Deserialize)]
struct Context {
    #[serde(default)]
    date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Row {
    name: String,
    #[serde(default)]
    run_name: Option<String>,
    #[serde(default)]
    run_type: Option<String>,
    #[serde(default)]
    aggregate_name: Option<String>,
    #[serde(default)]
    aggregate_unit: Option<String>,
    #[serde(default)]
    error_occurred: Option<bool>,
    #[serde(default)]
    real_time: Option<f64>,
    #[serde(default)]
    cpu_time: Option<f64>,
    #[serde(default)]
    time_unit: Option<String>,
    #[serde(flatten)]
    extra: HashMap<String, Value>,
}

/// Row keys that are not user counters.
const NOT_COUNTERS: &[&str] = &[
    "family_index",
    "per_family_instance_index",
    "repetitions",
    "repetition_index",
    "threads",
    "iterations",
    "error_message",
    "label",
    "big_o",
    "rms",
    "complexity_n",
];

/// Whether `input` looks like Google Benchmark JSON.
pub fn looks_like(input: &[u8]) -> bool {
    let text = head(input, 65536);
    starts_with(input, b'{')
        && text.contains("\"benchmarks\"")
        && (text.contains("\"time_unit\"")
            || text.contains("\"run_type\"")
            || text.contains("\"library_build_type\""))
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let file: File = parse_json(input, origin)?;
    let mut context = FileContext::default();
    if let Some(date) = file.context.and_then(|c| c.date) {
        // Old versions print `2019/11/16-12:03:35` without an offset; that
        // says too little to be a timestamp, so it is left out.
        context.timestamp = date.parse().ok();
    }
    let with_repetitions: HashSet<&str> = file
        .benchmarks
        .iter()
        .filter(|r| r.run_type.as_deref() != Some("aggregate"))
        .map(|r| r.run_name.as_deref().unwrap_or(&r.name))
        .collect();
    // For aggregate-only benchmarks: the aggregate that stands in.
    let mut stand_in: HashMap<&str, &str> = HashMap::new();
    for r in &file.benchmarks {
        let run = r.run_name.as_deref().unwrap_or(&r.name);
        if r.run_type.as_deref() == Some("aggregate") && !with_repetitions.contains(run) {
            match r.aggregate_name.as_deref() {
                Some("mean") => {
                    stand_in.insert(run, "mean");
                }
                Some("median") => {
                    stand_in.entry(run).or_insert("median");
                }
                _ => {}
            }
        }
    }

    let mut set = SeriesSet::default();
    for (i, r) in file.benchmarks.iter().enumerate() {
        let run = r.run_name.as_deref().unwrap_or(&r.name);
        if r.error_occurred == Some(true) {
            continue;
        }
        if r.run_type.as_deref() == Some("aggregate") {
            let wanted = stand_in.get(run).copied();
            if wanted.is_none() || r.aggregate_name.as_deref() != wanted {
                continue;
            }
            if r.aggregate_unit.as_deref().is_some_and(|u| u != "time") {
                continue;
            }
        }
        let field = |f: &str| format!("benchmarks[{i}].{f}");
        let unit_name = r.time_unit.as_deref().unwrap_or("ns");
        let (unit, factor) = time_unit(unit_name).ok_or_else(|| {
            err.field(
                field("time_unit"),
                format!("expected ns, us, ms or s, found {unit_name:?}"),
            )
        })?;
        let lower = Direction::LowerIsBetter;
        if let Some(t) = r.real_time {
            set.push_with(run, "wall_time", unit.clone(), lower, t * factor);
        }
        if let Some(t) = r.cpu_time {
            set.push_with(run, "cpu_time", unit.clone(), lower, t * factor);
        }
        let mut counters: Vec<(&String, f64)> = r
            .extra
            .iter()
            .filter(|(k, _)| !NOT_COUNTERS.contains(&k.as_str()))
            .filter_map(|(k, v)| v.as_f64().map(|v| (k, v)))
            .collect();
        counters.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in counters {
            if k == "bytes_per_second" || k == "items_per_second" {
                set.push(run, k, Unit::PerSecond, v);
            } else {
                set.push(run, k, Unit::Count, v);
            }
        }
    }
    Ok(Parsed {
        context,
        series: set.into_series(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_are_not_counted_twice() {
        let doc = br#"{"benchmarks":[
          {"name":"a","run_name":"a","run_type":"iteration","real_time":1,"cpu_time":1,"time_unit":"us"},
          {"name":"a","run_name":"a","run_type":"iteration","real_time":3,"cpu_time":3,"time_unit":"us"},
          {"name":"a_mean","run_name":"a","run_type":"aggregate","aggregate_name":"mean","real_time":2,"cpu_time":2,"time_unit":"us"},
          {"name":"b_mean","run_name":"b","run_type":"aggregate","aggregate_name":"mean","real_time":5,"cpu_time":5,"time_unit":"ns"},
          {"name":"b_cv","run_name":"b","run_type":"aggregate","aggregate_name":"cv","aggregate_unit":"percentage","real_time":0.1,"cpu_time":0.1,"time_unit":"ns"}]}"#;
        let p = read(doc, "g.json").expect("valid");
        assert_eq!(p.series[0].values, vec![1000.0, 3000.0]);
        assert_eq!(p.series[2].benchmark, "b");
        assert_eq!(p.series[2].values, vec![5.0]);
    }

    #[test]
    fn bad_time_unit_names_the_field() {
        let e = read(
            br#"{"benchmarks":[{"name":"a","real_time":1,"time_unit":"fortnights"}]}"#,
            "g.json",
        )
        .unwrap_err();
        assert!(e.to_string().contains("benchmarks[0].time_unit"), "{e}");
    }
}
