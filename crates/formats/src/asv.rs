//! airspeed velocity (asv) results files: `results/<machine>/<commit>-<env>.json`,
//! format version 2 (`result_columns`) and the older version 1.
//!
//! The benchmark is asv's dotted name; a parameterized benchmark gives one
//! benchmark per parameter combination, named as asv prints it:
//! `module.Class.time_x(10, 'a')`. The unit is not in the results file
//! (it lives in `benchmarks.json`), so it follows asv's naming rules:
//! `time_*` and `timeraw_*` are `wall_time` in seconds, `mem_*` is
//! `memory` in bytes, `peakmem_*` is `peak_rss` in bytes, and `track_*`
//! is a plain count under measure `value`. Samples are the `samples`
//! column when asv kept them, else the result. `null` (failed or skipped)
//! and NaN results are left out. Context: `commit_hash` → commit, `date`
//! → timestamp, `params.machine` → testbed; the fingerprint from the
//! machine facts asv copies into `params` (`cpu`, `num_cpu`, `arch`) and
//! the environment's `python`.
//!
//! Version 1 files may contain a bare `NaN`, which is not JSON; it is read
//! as `null`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use sloe_core::{Direction, Fingerprint, Unit};

use crate::common::{Errors, SeriesSet, head, parse_json, starts_with};
use crate::{FileContext, FormatError, Parsed};

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    commit_hash: Option<String>,
    #[serde(default)]
    date: Option<i64>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    result_columns: Option<Vec<String>>,
    results: BTreeMap<String, Value>,
}

/// Whether `input` looks like an asv results file.
pub fn looks_like(input: &[u8]) -> bool {
    let text = head(input, 65536);
    starts_with(input, b'{')
        && text.contains("\"results\"")
        && (text.contains("\"result_columns\"") || text.contains("\"commit_hash\""))
}

/// Replaces bare `NaN`, `Infinity` and `-Infinity` outside strings by `null`.
fn without_nan(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        let rest = &input[i..];
        if b == b'"' {
            in_string = true;
        } else if let Some(n) = [&b"-Infinity"[..], b"Infinity", b"NaN"]
            .iter()
            .find(|t| rest.starts_with(t))
            .map(|t| t.len())
        {
            out.extend_from_slice(b"null");
            i += n;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

fn measure_of(name: &str) -> (&'static str, Unit) {
    let last = name.rsplit('.').next().unwrap_or(name);
    if last.starts_with("time_") || last.starts_with("timeraw_") {
        ("wall_time", Unit::Seconds)
    } else if last.starts_with("peakmem_") {
        ("peak_rss", Unit::Bytes)
    } else if last.starts_with("mem_") {
        ("memory", Unit::Bytes)
    } else {
        ("value", Unit::Count)
    }
}

/// asv's rendering of one parameter combination: `(10, 'a')`.
fn combinations(params: &[Value]) -> Vec<String> {
    let mut out = vec![Vec::<String>::new()];
    for axis in params {
        let values: Vec<String> = match axis {
            Value::Array(vs) => vs
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            other => vec![other.to_string()],
        };
        out = out
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    out.into_iter()
        .map(|p| format!("({})", p.join(", ")))
        .collect()
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let cleaned;
    let input =
        if input.windows(3).any(|w| w == b"NaN") || input.windows(8).any(|w| w == b"Infinity") {
            cleaned = without_nan(input);
            &cleaned[..]
        } else {
            input
        };
    let file: File = parse_json(input, origin)?;
    let mut context = FileContext {
        commit: file.commit_hash.filter(|c| !c.is_empty()),
        ..FileContext::default()
    };
    if let Some(ms) = file.date {
        context.timestamp = Some(jiff::Timestamp::from_millisecond(ms).map_err(|e| {
            err.field(
                "date",
                format!("expected milliseconds since 1970, found {ms} ({e})"),
            )
        })?);
    }
    if let Some(Value::String(m)) = file.params.get("machine") {
        context.testbed = Some(m.clone());
    }
    context.fingerprint = fingerprint(&file.params);

    let mut set = SeriesSet::default();
    let dir = Direction::LowerIsBetter;
    for (name, row) in &file.results {
        let (measure, unit) = measure_of(name);
        let field = |f: &str| format!("results.{name}{f}");
        // (result list, params, samples) whatever the version.
        let (results, params, samples): (Value, Value, Value) = match &file.result_columns {
            Some(cols) => {
                let Value::Array(cells) = row else {
                    return Err(err.field(field(""), "expected a row aligned with result_columns"));
                };
                let col = |c: &str| {
                    cols.iter()
                        .position(|x| x == c)
                        .and_then(|i| cells.get(i))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                (col("result"), col("params"), col("samples"))
            }
            None => match row {
                Value::Object(o) => (
                    o.get("result").cloned().unwrap_or(Value::Null),
                    o.get("params").cloned().unwrap_or(Value::Null),
                    o.get("samples").cloned().unwrap_or(Value::Null),
                ),
                other => (other.clone(), Value::Null, Value::Null),
            },
        };
        let results: Vec<Value> = match results {
            Value::Array(v) => v,
            Value::Null => continue,
            v @ Value::Number(_) => vec![v],
            _ => return Err(err.field(field(".result"), "expected a number, a list or null")),
        };
        let names: Vec<String> = match &params {
            Value::Array(axes) if !axes.is_empty() => {
                let count = axes.iter().fold(1usize, |n, a| {
                    n.saturating_mul(a.as_array().map_or(1, Vec::len))
                });
                if count != results.len() {
                    return Err(err.field(
                        field(".params"),
                        format!(
                            "has {count} parameter combinations for {} results",
                            results.len()
                        ),
                    ));
                }
                combinations(axes)
                    .into_iter()
                    .map(|c| format!("{name}{c}"))
                    .collect()
            }
            _ => vec![name.clone()],
        };
        if names.len() != results.len() {
            return Err(err.field(
                field(".result"),
                format!(
                    "has {} results for {} parameter combinations",
                    results.len(),
                    names.len()
                ),
            ));
        }
        let samples = match samples {
            Value::Array(s) => s,
            _ => Vec::new(),
        };
        for (k, (bench, result)) in names.iter().zip(&results).enumerate() {
            let kept: Vec<f64> = match samples.get(k) {
                Some(Value::Array(s)) => s.iter().filter_map(Value::as_f64).collect(),
                _ => Vec::new(),
            };
            let values = if !kept.is_empty() {
                kept
            } else if let Some(v) = result.as_f64() {
                vec![v]
            } else {
                continue;
            };
            set.extend_with(bench, measure, unit.clone(), dir, values);
        }
    }
    Ok(Parsed {
        context,
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

/// What asv's `params` say about the environment; asv writes numbers
/// such as `num_cpu` as strings.
fn fingerprint(params: &BTreeMap<String, Value>) -> Option<Fingerprint> {
    let text = |k: &str| match params.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut fp = Fingerprint {
        cpu: text("cpu"),
        cores: text("num_cpu")
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0),
        arch: text("arch").map(|a| sloe_core::fingerprint::normalize_arch(&a)),
        ..Fingerprint::default()
    };
    if let Some(python) = text("python") {
        fp.toolchains.insert("python".to_owned(), python);
    }
    (!fp.is_empty()).then_some(fp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_outside_strings_becomes_null() {
        assert_eq!(
            without_nan(br#"{"a": NaN, "b": "NaN", "c": -Infinity}"#),
            br#"{"a": null, "b": "NaN", "c": null}"#.to_vec()
        );
    }

    #[test]
    fn parameters_name_the_benchmarks() {
        let doc =
            br#"{"commit_hash":"abc","date":1367127519000,"params":{"machine":"m"},"version":1,
          "results":{"time_x":{"params":[["1","2"],["'a'"]],"result":[0.5,null]},"mem_y":7}}"#;
        let p = read(doc, "a.json").expect("valid");
        assert_eq!(p.series[0].benchmark, "mem_y");
        assert_eq!(p.series[1].benchmark, "time_x(1, 'a')");
        assert_eq!(p.series[1].values, vec![0.5e9]);
        assert_eq!(p.series.len(), 2);
        assert_eq!(p.context.testbed.as_deref(), Some("m"));
    }
}
