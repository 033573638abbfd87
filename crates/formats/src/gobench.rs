//! `go test -bench` output (the Go benchmark format), with `-benchmem` and
//! custom metrics (`b.ReportMetric`).
//!
//! A result line is `BenchmarkName[-GOMAXPROCS] <iterations> <value> <unit>
//! [<value> <unit>...]`; other lines (configuration `key: value`, `PASS`,
//! `ok pkg 1.2s`, `-v` name-only lines, free text) are skipped. The
//! benchmark is the name as printed, sub-benchmarks and the `-N` suffix
//! included. Repeated lines (`-count=10`) are samples of one series.
//!
//! | unit | measure | sloe unit |
//! |---|---|---|
//! | `ns/op` | `wall_time` | ns |
//! | `B/op` | `alloc_bytes` | bytes |
//! | `allocs/op` | `allocs` | count |
//! | `MB/s` | `bytes_per_second` (higher is better) | B/s |
//! | any other | the unit's own name | kept as given |
//!
//! A `Unit <unit> better=higher|lower` metadata line sets a custom unit's
//! direction; otherwise units ending in `/s` are higher-is-better.

use std::collections::HashMap;

use sloe_core::{Direction, Fingerprint, Unit};

use crate::common::{Errors, SeriesSet, head, number, text};
use crate::{FileContext, FormatError, Parsed};

/// Whether `line` is a result line (by its shape, not its values).
fn is_result(line: &str) -> bool {
    let mut f = line.split_whitespace();
    f.next()
        .is_some_and(|n| n.starts_with("Benchmark") && n.len() > "Benchmark".len())
        && f.next()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && f.next().is_some()
}

/// Whether `input` looks like `go test -bench` output.
pub fn looks_like(input: &[u8]) -> bool {
    head(input, 65536).lines().any(is_result)
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let text = text(input, &err)?;
    let mut better: HashMap<String, Direction> = HashMap::new();
    let mut set = SeriesSet::default();
    let mut fingerprint = Fingerprint::default();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        // The header `go test -bench` prints: `goos: linux`, `goarch:
        // amd64`, `cpu: Intel(R) Xeon(R) ...` (since Go 1.16).
        if let Some(cpu) = line
            .strip_prefix("cpu:")
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            fingerprint.cpu.get_or_insert_with(|| cpu.to_owned());
            continue;
        }
        if let Some(arch) = line
            .strip_prefix("goarch:")
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            fingerprint
                .arch
                .get_or_insert_with(|| sloe_core::fingerprint::normalize_arch(arch));
            continue;
        }
        let mut fields = line.split_whitespace();
        if let (Some("Unit"), Some(unit)) = (fields.next(), fields.next()) {
            for kv in fields {
                match kv {
                    "better=higher" => {
                        better.insert(unit.to_owned(), Direction::HigherIsBetter);
                    }
                    "better=lower" => {
                        better.insert(unit.to_owned(), Direction::LowerIsBetter);
                    }
                    _ => {}
                }
            }
            continue;
        }
        if !is_result(line) {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let name = fields[0];
        let pairs = &fields[2..];
        if !pairs.len().is_multiple_of(2) {
            return Err(err.line(
                n,
                format!(
                    "expected value-unit pairs after the iteration count of {name}, found an odd number of fields"
                ),
            ));
        }
        for pair in pairs.chunks(2) {
            let (value, unit) = (pair[0], pair[1]);
            let v = number(value).ok_or_else(|| {
                err.line(
                    n,
                    format!("expected a number before {unit:?}, found {value:?}"),
                )
            })?;
            let (measure, u, v) = match unit {
                "ns/op" => ("wall_time", Unit::Nanoseconds, v),
                "B/op" => ("alloc_bytes", Unit::Bytes, v),
                "allocs/op" => ("allocs", Unit::Count, v),
                "MB/s" => ("bytes_per_second", Unit::BytesPerSecond, v * 1e6),
                other => (other, Unit::Other(other.to_owned()), v),
            };
            if let Some(why) = u.absurd(u.to_canonical(v)) {
                return Err(err.line(n, format!("{name} {measure}: {why}")));
            }
            let direction = better
                .get(unit)
                .copied()
                .unwrap_or_else(|| Direction::default_for(measure, &u));
            set.push_with(name, measure, u, direction, v);
        }
    }
    if set.is_empty() {
        return Err(err.whole(
            "find a benchmark result; expected a line like `BenchmarkX-8  1000  123 ns/op`",
        ));
    }
    Ok(Parsed {
        context: FileContext {
            fingerprint: (!fingerprint.is_empty()).then_some(fingerprint),
            ..FileContext::default()
        },
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_pairs_name_the_line() {
        let e = read(b"goos: linux\nBenchmarkA-8 10 5 ns/op 3\n", "g.txt").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = read(b"BenchmarkA-8 10 five ns/op\n", "g.txt").unwrap_err();
        assert!(e.to_string().contains("\"five\""), "{e}");
        assert!(read(b"PASS\n", "g.txt").is_err());
    }

    #[test]
    fn a_negative_time_names_the_line() {
        let e = read(b"goos: linux\nBenchmarkA-8 10 -5 ns/op\n", "g.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "read g.txt:2: BenchmarkA-8 wall_time: expected a time of zero or more, found -5 ns"
        );
        // A metric of the harness's own may be negative.
        read(b"BenchmarkA-8 10 5 ns/op -3 delta\n", "g.txt").expect("a negative own metric");
    }

    #[test]
    fn unit_metadata_sets_direction() {
        let p = read(b"Unit score better=higher\nBenchmarkA 1 5 score\n", "g.txt").expect("valid");
        assert_eq!(p.series[0].direction, Direction::HigherIsBetter);
    }
}
