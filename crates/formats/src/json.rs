//! sloe's results JSON (DESIGN.md, "Results JSON"): one run per file.
//!
//! ```json
//! { "context": { "commit": "a1b2c3d", "branch": "main", "testbed": "ci-linux",
//!                "environment": "ci", "timestamp": "2026-11-20T10:00:00Z" },
//!   "results": [ { "benchmark": "transpile-simple", "measure": "wall_time", "unit": "ms",
//!                  "values": [0.84, 0.85, 0.83] } ] }
//! ```
//! Each result has `value` or `values`; `unit` defaults to the measure's
//! canonical unit; `direction` (`lower_is_better` / `higher_is_better`)
//! defaults from the measure and unit.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sloe_core::config::measure_dimension;
use sloe_core::{Direction, Fingerprint, Series, Unit};

use crate::{FileContext, FormatError, Parsed};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultsFile {
    #[serde(default)]
    context: Option<ContextJson>,
    results: Vec<ResultJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextJson {
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    testbed: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    ci: BTreeMap<String, String>,
    #[serde(default)]
    fingerprint: Option<FingerprintJson>,
}

/// `context.fingerprint`: the environment the results were measured in,
/// as `sloe history --format json` shows it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FingerprintJson {
    #[serde(default)]
    cpu: Option<String>,
    #[serde(default)]
    cores: Option<u32>,
    #[serde(default)]
    memory_gib: Option<f64>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    kernel: Option<String>,
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    toolchains: BTreeMap<String, String>,
}

impl From<FingerprintJson> for Fingerprint {
    fn from(f: FingerprintJson) -> Fingerprint {
        Fingerprint {
            cpu: f.cpu,
            cores: f.cores,
            memory_gib: f.memory_gib,
            os: f.os,
            kernel: f.kernel,
            arch: f.arch,
            toolchains: f.toolchains,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultJson {
    benchmark: String,
    #[serde(default)]
    measure: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    values: Option<Vec<f64>>,
}

/// Whether `input` looks like sloe's results JSON.
pub fn looks_like(input: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&input[..input.len().min(4096)]);
    text.trim_start().starts_with('{') && text.contains("\"results\"")
}

/// The number literal as written around `line` and `column` (1-based,
/// where serde_json stopped reading it).
fn number_at(input: &[u8], line: usize, column: usize) -> Option<&str> {
    let text = std::str::from_utf8(input).ok()?;
    let line = text.lines().nth(line.checked_sub(1)?)?.as_bytes();
    let is_num = |b: &u8| b.is_ascii_digit() || matches!(b, b'e' | b'E' | b'+' | b'-' | b'.');
    let at = column.min(line.len());
    let start = line[..at]
        .iter()
        .rposition(|b| !is_num(b))
        .map_or(0, |i| i + 1);
    let end = at
        + line[at..]
            .iter()
            .position(|b| !is_num(b))
            .unwrap_or(line.len() - at);
    std::str::from_utf8(&line[start..end])
        .ok()
        .filter(|s| !s.is_empty())
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = |line, column, field: Option<String>, message: String| FormatError {
        origin: origin.to_owned(),
        line,
        column,
        field,
        message,
    };
    let mut de = serde_json::Deserializer::from_slice(input);
    let file: ResultsFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        let mut msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        if msg.starts_with("number out of range") {
            let written = number_at(input, inner.line(), inner.column()).unwrap_or("?");
            msg = format!(
                "the number {written} is out of range (it overflows to infinity); expected a finite number"
            );
        }
        err(
            Some(inner.line()),
            Some(inner.column()),
            (!path.is_empty() && path != ".").then_some(path),
            msg,
        )
    })?;
    de.end().map_err(|e| {
        err(
            Some(e.line()),
            Some(e.column()),
            None,
            "expected the end of the document after the results object".into(),
        )
    })?;

    let mut context = FileContext::default();
    if let Some(c) = file.context {
        context.commit = c.commit.filter(|s| !s.is_empty());
        context.branch = c.branch.filter(|s| !s.is_empty());
        context.testbed = c.testbed.filter(|s| !s.is_empty());
        context.environment = c.environment.filter(|s| !s.is_empty());
        context.ci = c.ci;
        context.fingerprint = c
            .fingerprint
            .map(Fingerprint::from)
            .filter(|f| !f.is_empty());
        if let Some(ts) = c.timestamp {
            context.timestamp = Some(ts.parse().map_err(|e| {
                err(None, None, Some("context.timestamp".into()), format!("expected an RFC 3339 timestamp like 2026-11-20T10:00:00Z, found {ts:?} ({e})"))
            })?);
        }
    }

    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut series = Vec::with_capacity(file.results.len());
    for (i, r) in file.results.into_iter().enumerate() {
        let field = |name: &str| Some(format!("results[{i}]{name}"));
        if r.benchmark.trim().is_empty() {
            return Err(err(
                None,
                None,
                field(".benchmark"),
                "expected a non-empty benchmark name".into(),
            ));
        }
        let measure = r.measure.unwrap_or_else(|| "wall_time".to_owned());
        if measure.trim().is_empty() {
            return Err(err(
                None,
                None,
                field(".measure"),
                "expected a non-empty measure name".into(),
            ));
        }
        let known = measure_dimension(&measure);
        let unit = match r.unit.as_deref() {
            Some(u) => Unit::parse(u),
            None => known.map_or(Unit::Count, |d| d.canonical_unit()),
        };
        if let Some(want) = known
            && unit.dimension() != Some(want)
        {
            return Err(err(
                None,
                None,
                field(".unit"),
                format!(
                    "unit {:?} does not fit measure `{measure}`; expected a unit of {want:?}",
                    unit.symbol()
                ),
            ));
        }
        let direction = match r.direction.as_deref() {
            Some(d) => Direction::parse(d).ok_or_else(|| {
                err(
                    None,
                    None,
                    field(".direction"),
                    format!("expected lower_is_better or higher_is_better, found {d:?}"),
                )
            })?,
            None => Direction::default_for(&measure, &unit),
        };
        let single = r.value.is_some();
        let raw = match (r.value, r.values) {
            (Some(v), None) => vec![v],
            (None, Some(vs)) if !vs.is_empty() => vs,
            (None, Some(_)) => {
                return Err(err(
                    None,
                    None,
                    field(".values"),
                    "expected at least one value".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(err(
                    None,
                    None,
                    field(""),
                    "has both `value` and `values`; expected one of them".into(),
                ));
            }
            (None, None) => {
                return Err(err(
                    None,
                    None,
                    field(""),
                    "has no `value` or `values`".into(),
                ));
            }
        };
        let key = (r.benchmark.clone(), measure.clone());
        if let Some(first) = seen.insert(key, i) {
            return Err(err(
                None,
                None,
                field(""),
                format!(
                    "repeats benchmark {:?} measure `{measure}` of results[{first}]; put all its samples in one `values` list",
                    r.benchmark
                ),
            ));
        }
        let values: Vec<f64> = raw.iter().map(|v| unit.to_canonical(*v)).collect();
        for (j, v) in values.iter().enumerate() {
            if let Some(why) = unit.absurd(*v) {
                let at = if single {
                    ".value".to_owned()
                } else {
                    format!(".values[{j}]")
                };
                return Err(err(None, None, field(&at), why));
            }
        }
        series.push(Series {
            benchmark: r.benchmark,
            measure,
            values,
            unit,
            direction,
            round_size: None,
        });
    }
    Ok(Parsed {
        context,
        series,
        warnings: Vec::new(),
    })
}

/// Writes a run back as results JSON (what `--dry-run` prints).
pub fn write(parsed: &Parsed) -> serde_json::Value {
    #[derive(Serialize)]
    struct Out<'a> {
        benchmark: &'a str,
        measure: &'a str,
        unit: &'a str,
        direction: &'a str,
        values: Vec<f64>,
    }
    let results: Vec<Out<'_>> = parsed
        .series
        .iter()
        .map(|s| Out {
            benchmark: &s.benchmark,
            measure: &s.measure,
            unit: s.unit.symbol(),
            direction: s.direction.as_str(),
            values: s.values.iter().map(|v| s.unit.from_canonical(*v)).collect(),
        })
        .collect();
    let c = &parsed.context;
    let mut doc = serde_json::json!({
        "context": {
            "commit": c.commit, "branch": c.branch, "testbed": c.testbed,
            "environment": c.environment,
            "timestamp": c.timestamp.map(|t| t.to_string()),
        },
        "results": results,
    });
    if let (Some(fp), Some(context)) = (&c.fingerprint, doc["context"].as_object_mut()) {
        context.insert("fingerprint".to_owned(), serde_json::json!(fp));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> Result<Parsed, FormatError> {
        read(s.as_bytes(), "r.json")
    }

    #[test]
    fn negative_and_overflowing_values_name_their_field() {
        let e = read_str(r#"{"results": [{"benchmark": "a", "unit": "s", "values": [1, -2]}]}"#)
            .expect_err("a negative time");
        assert_eq!(
            e.to_string(),
            "read r.json: field `results[0].values[1]`: expected a time of zero or more, found -2 s"
        );
        let e = read_str(
            r#"{"results": [{"benchmark": "a", "measure": "peak_rss", "unit": "GiB", "value": 1e300}]}"#,
        )
        .expect_err("bytes beyond f64");
        assert_eq!(e.field.as_deref(), Some("results[0].value"), "{e}");
        // A percentage may be negative.
        read_str(
            r#"{"results": [{"benchmark": "a", "measure": "delta", "unit": "%", "value": -3}]}"#,
        )
        .expect("a negative percentage");
    }

    #[test]
    fn reads_the_design_example() {
        let p = read_str(
            r#"{ "context": { "commit": "a1b2c3d", "branch": "main", "testbed": "ci-linux",
               "environment": "ci", "timestamp": "2026-11-20T10:00:00Z" },
  "results": [ { "benchmark": "transpile-simple", "measure": "wall_time", "unit": "ms",
                 "values": [0.84, 0.85, 0.83] },
               { "benchmark": "build:full", "measure": "peak_rss", "unit": "bytes", "value": 3221225472 } ] }"#,
        )
        .expect("valid");
        assert_eq!(p.context.commit.as_deref(), Some("a1b2c3d"));
        assert_eq!(
            p.context.timestamp.map(|t| t.to_string()).as_deref(),
            Some("2026-11-20T10:00:00Z")
        );
        assert_eq!(p.series[0].values, vec![840_000.0, 850_000.0, 830_000.0]);
        assert_eq!(p.series[0].unit, Unit::Milliseconds);
        assert_eq!(p.series[1].values, vec![3221225472.0]);
        assert_eq!(p.series[1].direction, Direction::LowerIsBetter);
    }

    #[test]
    fn throughput_is_higher_is_better() {
        let p = read_str(
            r#"{"results":[{"benchmark":"q","measure":"throughput","unit":"/s","value":5}]}"#,
        )
        .expect("valid");
        assert_eq!(p.series[0].direction, Direction::HigherIsBetter);
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = read_str("{\"results\": [\n {\"benchmark\": \"a\", \"values\": [1, \"x\"]}\n]}")
            .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().contains("results[0].values[1]"), "{e}");
        let e = read_str(
            r#"{"results":[{"benchmark":"a","measure":"wall_time","unit":"GiB","value":1}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("results[0].unit"), "{e}");
        let e = read_str(r#"{"results":[{"benchmark":"a","valuse":[1]}]}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `valuse`"), "{e}");
        let e = read_str(r#"{"results":[{"benchmark":"a"}]}"#).unwrap_err();
        assert!(e.to_string().contains("no `value` or `values`"), "{e}");
        let e = read_str(r#"{"context":{"timestamp":"yesterday"},"results":[]}"#).unwrap_err();
        assert!(e.to_string().contains("context.timestamp"), "{e}");
        let e =
            read_str(r#"{"results":[{"benchmark":"a","value":1},{"benchmark":"a","value":2}]}"#)
                .unwrap_err();
        assert!(e.to_string().contains("repeats"), "{e}");
        let e = read_str("").unwrap_err();
        assert!(e.line.is_some(), "{e}");
        let e = read_str("{\"results\": []} trailing").unwrap_err();
        assert!(e.to_string().contains("end of the document"), "{e}");
    }

    proptest::proptest! {
        // Untrusted input never panics.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = read(&bytes, "f");
        }

        #[test]
        fn arbitrary_results_never_panic(unit in "\\PC{0,6}", measure in "\\PC{0,12}", v in proptest::num::f64::ANY) {
            let doc = serde_json::json!({"results": [{"benchmark": "b", "measure": measure, "unit": unit, "value": v}]});
            let _ = read(doc.to_string().as_bytes(), "f");
        }
    }

    #[test]
    fn a_fingerprint_round_trips_and_its_unknown_keys_are_errors() {
        let src = r#"{"context":{"fingerprint":{"cpu":"AMD EPYC","cores":2,"memory_gib":23.5,"toolchains":{"python":"3.12"}}},"results":[{"benchmark":"x","value":1}]}"#;
        let p = read_str(src).expect("valid");
        let fp = p.context.fingerprint.clone().expect("a fingerprint");
        assert_eq!(fp.cpu.as_deref(), Some("AMD EPYC"));
        assert_eq!(fp.memory_gib, Some(23.5));
        let again = read(&serde_json::to_vec(&write(&p)).expect("json"), "w").expect("valid");
        assert_eq!(again, p);
        let e = read_str(r#"{"context":{"fingerprint":{"gpu":"x"}},"results":[]}"#).unwrap_err();
        assert!(e.to_string().contains("gpu"), "{e}");
    }

    #[test]
    fn write_round_trips() {
        let src = r#"{"context":{"branch":"b"},"results":[{"benchmark":"x","unit":"us","values":[1.5,2.5]}]}"#;
        let p = read_str(src).expect("valid");
        let again = read(&serde_json::to_vec(&write(&p)).expect("json"), "w").expect("valid");
        assert_eq!(again, p);
    }
}
