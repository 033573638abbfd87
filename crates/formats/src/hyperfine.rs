//! hyperfine `--export-json`: one benchmark per command.
//!
//! ```json
//! { "results": [ { "command": "sleep 0.1", "mean": 0.101, "user": 0.0011,
//!                  "system": 0.0008, "times": [0.1009, 0.1012],
//!                  "memory_usage_byte": [1703936, 1708032],
//!                  "parameters": { "delay_ms": "10" } } ] }
//! ```
//! The benchmark is the command as hyperfine prints it (parameters are
//! already substituted into it). Every run's time becomes a `wall_time`
//! sample (seconds); without `times`, the mean is the one sample.
//! `user_time` and `sys_time` are hyperfine's means; `peak_rss` comes from
//! `memory_usage_byte` (hyperfine ≥ 1.19) when present.

use serde::Deserialize;
use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, parse_json, starts_with};
use crate::{FileContext, FormatError, Parsed};

#[derive(Debug, Deserialize)]
struct File {
    results: Vec<Result1>,
}

#[derive(Debug, Deserialize)]
struct Result1 {
    command: String,
    mean: f64,
    #[serde(default)]
    user: Option<f64>,
    #[serde(default)]
    system: Option<f64>,
    #[serde(default)]
    times: Option<Vec<f64>>,
    #[serde(default)]
    memory_usage_byte: Option<Vec<f64>>,
}

/// Whether `input` looks like hyperfine's JSON export.
pub fn looks_like(input: &[u8]) -> bool {
    let text = head(input, 8192);
    starts_with(input, b'{')
        && text.contains("\"results\"")
        && text.contains("\"command\"")
        && text.contains("\"mean\"")
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let file: File = parse_json(input, origin)?;
    let mut set = SeriesSet::default();
    let lower = Direction::LowerIsBetter;
    for (i, r) in file.results.into_iter().enumerate() {
        if r.command.is_empty() {
            return Err(err.field(format!("results[{i}].command"), "expected a command"));
        }
        let times = match r.times {
            Some(t) if !t.is_empty() => t,
            _ => vec![r.mean],
        };
        set.extend_with(&r.command, "wall_time", Unit::Seconds, lower, times);
        if let Some(u) = r.user {
            set.push_with(&r.command, "user_time", Unit::Seconds, lower, u);
        }
        if let Some(s) = r.system {
            set.push_with(&r.command, "sys_time", Unit::Seconds, lower, s);
        }
        if let Some(m) = r.memory_usage_byte.filter(|m| !m.is_empty()) {
            set.extend_with(&r.command, "peak_rss", Unit::Bytes, lower, m);
        }
    }
    Ok(Parsed {
        context: FileContext::default(),
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_times_and_memory() {
        let p = read(
            br#"{"results":[{"command":"a","mean":0.5,"user":0.1,"system":0.2,"times":[0.4,0.6],"memory_usage_byte":[1024]}]}"#,
            "h.json",
        )
        .expect("valid");
        assert_eq!(p.series[0].values, vec![0.4e9, 0.6e9]);
        assert_eq!(p.series[3].measure, "peak_rss");
        assert_eq!(p.series[3].values, vec![1024.0]);
    }

    #[test]
    fn errors_name_the_field() {
        let e = read(br#"{"results":[{"command":"a","mean":"x"}]}"#, "h.json").unwrap_err();
        assert!(e.to_string().contains("results[0].mean"), "{e}");
    }
}
