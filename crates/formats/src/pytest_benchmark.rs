//! pytest-benchmark `--benchmark-json` output and saved runs
//! (`.benchmarks/*/NNNN_*.json`, old 2.x schema included).
//!
//! The benchmark is the test's `fullname` (`bench.py::test_fib[10]`,
//! unique across modules), else its `name`. `stats.data` (seconds per
//! iteration of each round, present with `--benchmark-save-data` or in
//! JSON exports) gives the `wall_time` samples; without it, or when the
//! list holds anything but numbers (a list cut short by hand, as in some
//! published examples), `stats.mean` is the one sample. `commit_info` gives the commit and branch,
//! `datetime` the timestamp (pytest-benchmark writes UTC), `machine_info`
//! the fingerprint (py-cpuinfo's CPU brand and count, `machine`, the
//! kernel `release`, the Python implementation and version) and `version`
//! pytest-benchmark's own.

use serde::Deserialize;
use sloe_core::{Direction, Fingerprint, Unit};

use crate::common::{Errors, SeriesSet, head, parse_json, starts_with};
use crate::{FileContext, FormatError, Parsed};

#[derive(Debug, Deserialize)]
struct File {
    benchmarks: Vec<Bench>,
    #[serde(default)]
    commit_info: Option<CommitInfo>,
    #[serde(default)]
    datetime: Option<String>,
    #[serde(default)]
    machine_info: Option<MachineInfo>,
    #[serde(default)]
    version: Option<String>,
}

/// What pytest-benchmark's `machine_info` says (Python's `platform` and
/// py-cpuinfo); every field optional, older versions write fewer.
#[derive(Debug, Default, Deserialize)]
struct MachineInfo {
    #[serde(default)]
    machine: Option<String>,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    python_implementation: Option<String>,
    #[serde(default)]
    python_version: Option<String>,
    #[serde(default)]
    cpu: Option<CpuInfo>,
}

#[derive(Debug, Default, Deserialize)]
struct CpuInfo {
    /// py-cpuinfo ≥ 7 writes `brand_raw`, older versions `brand`.
    #[serde(default)]
    brand_raw: Option<String>,
    #[serde(default)]
    brand: Option<String>,
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct CommitInfo {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    branch: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Bench {
    #[serde(default)]
    fullname: Option<String>,
    name: String,
    stats: Stats,
}

#[derive(Debug, Deserialize)]
struct Stats {
    mean: f64,
    /// Numbers, unless someone cut the list short with a note.
    #[serde(default)]
    data: Option<Vec<serde_json::Value>>,
}

/// Whether `input` looks like pytest-benchmark JSON.
pub fn looks_like(input: &[u8]) -> bool {
    let text = head(input, 65536);
    starts_with(input, b'{')
        && text.contains("\"benchmarks\"")
        && text.contains("\"stats\"")
        && (text.contains("\"machine_info\"") || text.contains("\"fullname\""))
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let file: File = parse_json(input, origin)?;
    let mut context = FileContext::default();
    if let Some(c) = file.commit_info {
        context.commit = c.id.filter(|s| !s.is_empty());
        context.branch = c.branch.filter(|s| !s.is_empty() && s != "(unknown)");
    }
    context.fingerprint = fingerprint(file.machine_info, file.version);
    if let Some(dt) = &file.datetime {
        context.timestamp = Some(timestamp(dt).ok_or_else(|| {
            err.field(
                "datetime",
                format!("expected an ISO 8601 date and time, found {dt:?}"),
            )
        })?);
    }
    let mut set = SeriesSet::default();
    for b in file.benchmarks {
        let name = b.fullname.unwrap_or(b.name);
        let data: Option<Vec<f64>> = b
            .stats
            .data
            .filter(|d| !d.is_empty())
            .and_then(|d| d.iter().map(serde_json::Value::as_f64).collect());
        let values = data.unwrap_or_else(|| vec![b.stats.mean]);
        set.extend_with(
            &name,
            "wall_time",
            Unit::Seconds,
            Direction::LowerIsBetter,
            values,
        );
    }
    Ok(Parsed {
        context,
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

/// The environment `machine_info` and the plugin's `version` state.
fn fingerprint(info: Option<MachineInfo>, version: Option<String>) -> Option<Fingerprint> {
    let known = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let info = info.unwrap_or_default();
    let cpu = info.cpu.unwrap_or_default();
    let mut fp = Fingerprint {
        cpu: known(cpu.brand_raw).or_else(|| known(cpu.brand)),
        cores: cpu.count.filter(|&c| c > 0),
        kernel: known(info.release),
        arch: known(info.machine).map(|a| sloe_core::fingerprint::normalize_arch(&a)),
        ..Fingerprint::default()
    };
    if let Some(v) = known(info.python_version) {
        let python = match known(info.python_implementation) {
            Some(imp) => format!("{imp} {v}"),
            None => v,
        };
        fp.toolchains.insert("python".to_owned(), python);
    }
    if let Some(v) = known(version) {
        fp.toolchains.insert("pytest-benchmark".to_owned(), v);
    }
    (!fp.is_empty()).then_some(fp)
}

/// An RFC 3339 timestamp, or a civil date-time taken as UTC.
fn timestamp(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse() {
        return Some(t);
    }
    let civil: jiff::civil::DateTime = s.parse().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_without_offset_is_utc() {
        let p = read(
            br#"{"benchmarks":[{"name":"t","stats":{"mean":1e-6}}],"datetime":"2019-11-17T02:22:16.817862"}"#,
            "p.json",
        )
        .expect("valid");
        assert_eq!(
            p.context.timestamp.map(|t| t.to_string()).as_deref(),
            Some("2019-11-17T02:22:16.817862Z")
        );
        assert_eq!(p.series[0].values, vec![1000.0]);
        let e = read(br#"{"benchmarks":[],"datetime":"soon"}"#, "p.json").unwrap_err();
        assert!(e.to_string().contains("datetime"), "{e}");
    }
}
