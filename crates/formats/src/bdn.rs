//! BenchmarkDotNet's JSON exporter (full, brief, and their compressed
//! single-line variants; 0.9.x's older schema too).
//!
//! The benchmark is `FullName` (else `Namespace.Type.Method`) followed by
//! `(Parameters)` when the method has parameters, as BDN lists them. Its
//! `wall_time` samples, in nanoseconds per operation, are the workload
//! result iterations of `Measurements` (full export), else
//! `Statistics.OriginalValues`, else `Statistics.Mean` (brief exports of
//! old versions). With `[MemoryDiagnoser]`: `allocated_bytes` (bytes per
//! operation), and `gen0_collections`, `gen1_collections`,
//! `gen2_collections` per 1000 operations, as BDN's summary table shows.
//! `HostEnvironmentInfo` gives the fingerprint: `ProcessorName`,
//! `LogicalCoreCount`, `OsVersion`, `Architecture`, and the .NET runtime's
//! and BenchmarkDotNet's versions.

use serde::Deserialize;
use sloe_core::{Direction, Fingerprint, Unit};

use crate::common::{Errors, SeriesSet, head, parse_json, starts_with};
use crate::{FileContext, FormatError, Parsed};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    benchmarks: Vec<Bench>,
    #[serde(default)]
    host_environment_info: Option<HostInfo>,
}

/// Values kept loose: 0.9.x writes some as objects (`ProcessorName` is a
/// lazy value, `{"IsValueCreated": true, "Value": "..."}`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HostInfo {
    #[serde(default)]
    processor_name: serde_json::Value,
    #[serde(default)]
    logical_core_count: serde_json::Value,
    /// 0.9.x's name for the logical cores.
    #[serde(default)]
    processor_count: serde_json::Value,
    #[serde(default)]
    os_version: serde_json::Value,
    #[serde(default)]
    architecture: serde_json::Value,
    #[serde(default)]
    runtime_version: serde_json::Value,
    /// 0.9.x's name for the runtime.
    #[serde(default)]
    clr_version: serde_json::Value,
    #[serde(default)]
    benchmark_dot_net_version: serde_json::Value,
}

/// A string, a number, or 0.9.x's lazy `{"Value": ...}`, as text.
fn loose(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Object(mut o) => o.remove("Value").and_then(loose),
        _ => None,
    }
}

impl HostInfo {
    fn fingerprint(self) -> Option<Fingerprint> {
        let mut fp = Fingerprint {
            cpu: loose(self.processor_name),
            cores: loose(self.logical_core_count)
                .or_else(|| loose(self.processor_count))
                .and_then(|n| n.parse().ok())
                .filter(|&n| n > 0),
            os: loose(self.os_version),
            arch: loose(self.architecture).map(|a| sloe_core::fingerprint::normalize_arch(&a)),
            ..Fingerprint::default()
        };
        for (name, v) in [
            (
                ".net",
                loose(self.runtime_version).or_else(|| loose(self.clr_version)),
            ),
            ("benchmarkdotnet", loose(self.benchmark_dot_net_version)),
        ] {
            if let Some(v) = v {
                fp.toolchains.insert(name.to_owned(), v);
            }
        }
        (!fp.is_empty()).then_some(fp)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Bench {
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    r#type: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    parameters: Option<String>,
    #[serde(default)]
    statistics: Option<Statistics>,
    #[serde(default)]
    memory: Option<Memory>,
    #[serde(default)]
    measurements: Option<Vec<Measurement>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Statistics {
    #[serde(default)]
    original_values: Option<Vec<f64>>,
    #[serde(default)]
    mean: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Memory {
    #[serde(default)]
    gen0_collections: Option<f64>,
    #[serde(default)]
    gen1_collections: Option<f64>,
    #[serde(default)]
    gen2_collections: Option<f64>,
    #[serde(default)]
    total_operations: Option<f64>,
    #[serde(default)]
    bytes_allocated_per_operation: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Measurement {
    iteration_mode: String,
    iteration_stage: String,
    operations: f64,
    nanoseconds: f64,
}

/// Whether `input` looks like BenchmarkDotNet JSON.
pub fn looks_like(input: &[u8]) -> bool {
    let text = head(input, 65536);
    starts_with(input, b'{')
        && text.contains("\"Benchmarks\"")
        && (text.contains("\"HostEnvironmentInfo\"") || text.contains("\"Statistics\""))
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let file: File = parse_json(input, origin)?;
    let fingerprint = file.host_environment_info.and_then(HostInfo::fingerprint);
    let mut set = SeriesSet::default();
    let lower = Direction::LowerIsBetter;
    for (i, b) in file.benchmarks.into_iter().enumerate() {
        let mut name = match (&b.full_name, &b.namespace, &b.r#type, &b.method) {
            (Some(f), ..) if !f.is_empty() => f.clone(),
            (_, ns, Some(t), Some(m)) => match ns.as_deref() {
                Some(ns) if !ns.is_empty() => format!("{ns}.{t}.{m}"),
                _ => format!("{t}.{m}"),
            },
            _ => {
                return Err(err.field(
                    format!("Benchmarks[{i}]"),
                    "expected FullName, or Type and Method",
                ));
            }
        };
        if let Some(p) = b.parameters.as_deref().filter(|p| !p.is_empty()) {
            name = format!("{name}({p})");
        }
        let from_measurements: Vec<f64> = b
            .measurements
            .iter()
            .flatten()
            .filter(|m| m.iteration_mode == "Workload" && m.iteration_stage == "Result")
            .filter(|m| m.operations > 0.0)
            .map(|m| m.nanoseconds / m.operations)
            .collect();
        let values = if !from_measurements.is_empty() {
            from_measurements
        } else {
            match b.statistics {
                Some(Statistics {
                    original_values: Some(v),
                    ..
                }) if !v.is_empty() => v,
                Some(Statistics { mean: Some(m), .. }) => vec![m],
                _ => Vec::new(),
            }
        };
        if values.is_empty() {
            // A benchmark that failed to run has no statistics; BDN keeps
            // it in the export, and so it says nothing to record.
            continue;
        }
        set.extend_with(&name, "wall_time", Unit::Nanoseconds, lower, values);
        if let Some(m) = b.memory {
            if let Some(bytes) = m.bytes_allocated_per_operation {
                set.push_with(&name, "allocated_bytes", Unit::Bytes, lower, bytes);
            }
            if let Some(ops) = m.total_operations.filter(|o| *o > 0.0) {
                for (measure, n) in [
                    ("gen0_collections", m.gen0_collections),
                    ("gen1_collections", m.gen1_collections),
                    ("gen2_collections", m.gen2_collections),
                ] {
                    if let Some(n) = n {
                        set.push_with(&name, measure, Unit::Count, lower, n / ops * 1000.0);
                    }
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
