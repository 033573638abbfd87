//! JMH `-rf json`: a list of results, one per (benchmark, mode, params).
//!
//! The benchmark is JMH's fully qualified method name; with `@Param`s it is
//! followed by them as JMH lists them: `pkg.Class.method:k1=v1,k2=v2` (keys
//! sorted). Each mode is its own measure, in the unit of `scoreUnit`:
//!
//! | mode | measure | direction |
//! |---|---|---|
//! | `thrpt` | `throughput` (ops/s, ops/ms, ... → /s) | higher is better |
//! | `avgt` | `wall_time` (time per op) | lower is better |
//! | `sample` | `sample_time` (time per op) | lower is better |
//! | `ss` | `single_shot_time` (time per op) | lower is better |
//!
//! Samples are the measurement iterations of `primaryMetric.rawData` (one
//! per fork and iteration); in sample mode, each iteration's histogram
//! (`rawDataHistogram`) is reduced to its mean. Without raw data, `score`
//! is the one sample. Secondary metrics other than sample mode's
//! percentiles (`method·p0.50`, derived from the same samples) become
//! measures named after the part behind `·` (`gc.alloc.rate`).

use std::collections::BTreeMap;

use serde::Deserialize;
use sloe_core::{Direction, Fingerprint, Unit};

use crate::common::{Errors, SeriesSet, head, parse_json, starts_with, time_unit};
use crate::{FileContext, FormatError, Parsed};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Result1 {
    benchmark: String,
    #[serde(default)]
    jdk_version: Option<String>,
    #[serde(default)]
    vm_name: Option<String>,
    #[serde(default)]
    vm_version: Option<String>,
    mode: String,
    #[serde(default)]
    params: Option<BTreeMap<String, String>>,
    primary_metric: Metric,
    #[serde(default)]
    secondary_metrics: BTreeMap<String, Metric>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    score: Score,
    score_unit: String,
    #[serde(default)]
    raw_data: Option<Vec<Vec<Score>>>,
    /// fork → iteration → [value, count] pairs.
    #[serde(default)]
    raw_data_histogram: Option<Vec<Vec<Histogram>>>,
}

/// One iteration's sample-mode histogram: (value, count) pairs.
type Histogram = Vec<(Score, Score)>;

/// JMH writes `"NaN"` as a string for missing scores.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Score {
    Number(f64),
    Text(#[expect(dead_code, reason = "only the number is used")] String),
}

impl Score {
    fn get(&self) -> Option<f64> {
        match *self {
            Score::Number(v) if v.is_finite() => Some(v),
            _ => None,
        }
    }
}

/// Whether `input` looks like JMH JSON.
pub fn looks_like(input: &[u8]) -> bool {
    let text = head(input, 65536);
    starts_with(input, b'[') && text.contains("\"primaryMetric\"")
}

/// A JMH score unit as (sloe unit, factor, is a rate).
fn unit(score_unit: &str) -> Option<(Unit, f64, bool)> {
    let (num, den) = score_unit.split_once('/')?;
    if num == "ops" {
        let (per, f) = time_unit(den)?;
        // ops per `den` → ops per second.
        return Some((Unit::PerSecond, 1e9 / per.to_canonical(f), true));
    }
    if den == "op" {
        let (u, f) = time_unit(num)?;
        return Some((u, f, false));
    }
    None
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let results: Vec<Result1> = parse_json(input, origin)?;
    let fingerprint = results.first().and_then(fingerprint);
    let mut set = SeriesSet::default();
    for (i, r) in results.iter().enumerate() {
        let mut name = r.benchmark.clone();
        if let Some(params) = r.params.as_ref().filter(|p| !p.is_empty()) {
            name.push(':');
            let list: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            name.push_str(&list.join(","));
        }
        let measure = match r.mode.as_str() {
            "thrpt" => "throughput",
            "avgt" => "wall_time",
            "sample" => "sample_time",
            "ss" => "single_shot_time",
            other => {
                return Err(err.field(
                    format!("[{i}].mode"),
                    format!("expected thrpt, avgt, sample or ss, found {other:?}"),
                ));
            }
        };
        let m = &r.primary_metric;
        let (u, factor, rate) = unit(&m.score_unit).ok_or_else(|| {
            err.field(
                format!("[{i}].primaryMetric.scoreUnit"),
                format!(
                    "expected a unit like ops/s or ms/op, found {:?}",
                    m.score_unit
                ),
            )
        })?;
        if rate != (measure == "throughput") {
            return Err(err.field(
                format!("[{i}].primaryMetric.scoreUnit"),
                format!(
                    "unit {:?} does not fit mode {:?}; expected {}",
                    m.score_unit,
                    r.mode,
                    if rate {
                        "a time per op"
                    } else {
                        "ops per time"
                    }
                ),
            ));
        }
        let direction = if rate {
            Direction::HigherIsBetter
        } else {
            Direction::LowerIsBetter
        };
        set.extend_with(
            &name,
            measure,
            u,
            direction,
            samples(m).into_iter().map(|v| v * factor),
        );
        let method = r.benchmark.rsplit('.').next().unwrap_or(&r.benchmark);
        for (key, sm) in &r.secondary_metrics {
            let label = key
                .strip_prefix(method)
                .and_then(|k| k.strip_prefix('·'))
                .unwrap_or(key);
            if label.starts_with('p') && label[1..].parse::<f64>().is_ok() {
                continue;
            }
            let values = samples(sm);
            match unit(&sm.score_unit) {
                Some((u, f, rate)) => {
                    let d = if rate {
                        Direction::HigherIsBetter
                    } else {
                        Direction::LowerIsBetter
                    };
                    set.extend_with(&name, label, u, d, values.into_iter().map(|v| v * f));
                }
                None => {
                    let u = Unit::parse(&sm.score_unit);
                    let d = Direction::default_for(label, &u);
                    set.extend_with(&name, label, u, d, values);
                }
            }
        }
    }
    Ok(Parsed {
        context: FileContext {
            fingerprint,
            ..FileContext::default()
        },
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

/// The JVM the (first) result ran on: `jdkVersion`, `vmName` and
/// `vmVersion`, which JMH writes on every result since 1.x.
fn fingerprint(r: &Result1) -> Option<Fingerprint> {
    let known = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut fp = Fingerprint::default();
    if let Some(jdk) = known(&r.jdk_version) {
        fp.toolchains.insert("jdk".to_owned(), jdk);
    }
    let vm = [known(&r.vm_name), known(&r.vm_version)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !vm.is_empty() {
        fp.toolchains.insert("jvm".to_owned(), vm);
    }
    (!fp.is_empty()).then_some(fp)
}

/// The per-iteration samples of a metric, else its score.
fn samples(m: &Metric) -> Vec<f64> {
    let mut out = Vec::new();
    if let Some(forks) = &m.raw_data {
        out.extend(forks.iter().flatten().filter_map(|s| s.get()));
    } else if let Some(forks) = &m.raw_data_histogram {
        for iteration in forks.iter().flatten() {
            let (mut sum, mut n) = (0.0, 0.0);
            for (v, c) in iteration {
                if let (Some(v), Some(c)) = (v.get(), c.get()) {
                    sum += v * c;
                    n += c;
                }
            }
            if n > 0.0 {
                out.push(sum / n);
            }
        }
    }
    if out.is_empty() {
        out.extend(m.score.get());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_get_measures_units_and_directions() {
        let doc = br#"[
 {"benchmark":"a.B.m","mode":"thrpt","primaryMetric":{"score":2,"scoreUnit":"ops/ms","rawData":[[1,3]]},"secondaryMetrics":{}},
 {"benchmark":"a.B.m","mode":"sample","primaryMetric":{"score":2,"scoreUnit":"us/op","rawDataHistogram":[[[[1,1],[3,1]]]]},
  "secondaryMetrics":{"m\u00b7p0.50":{"score":2,"scoreUnit":"us/op"}}}]"#;
        let p = read(doc, "j.json").expect("valid");
        assert_eq!(p.series.len(), 2);
        assert_eq!(p.series[0].values, vec![1000.0, 3000.0]);
        assert_eq!(p.series[0].direction, Direction::HigherIsBetter);
        assert_eq!(p.series[1].measure, "sample_time");
        assert_eq!(p.series[1].values, vec![2000.0]);
    }

    #[test]
    fn a_rate_unit_in_avgt_mode_is_refused() {
        let doc =
            br#"[{"benchmark":"a","mode":"avgt","primaryMetric":{"score":1,"scoreUnit":"ops/s"}}]"#;
        let e = read(doc, "j.json").unwrap_err();
        assert!(e.to_string().contains("[0].primaryMetric.scoreUnit"), "{e}");
    }
}
