//! Helpers every reader shares: error construction, JSON decoding with
//! field paths, number parsing, and a series collector that keeps the
//! order in which a harness printed its benchmarks.

use serde::de::DeserializeOwned;
use sloe_core::{Direction, Series, Unit};

use crate::FormatError;

/// Builds [`FormatError`]s for one input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Errors<'a> {
    pub origin: &'a str,
}

impl Errors<'_> {
    pub fn whole(&self, message: impl Into<String>) -> FormatError {
        FormatError {
            origin: self.origin.to_owned(),
            line: None,
            column: None,
            field: None,
            message: message.into(),
        }
    }

    pub fn line(&self, line: usize, message: impl Into<String>) -> FormatError {
        FormatError {
            line: Some(line),
            ..self.whole(message)
        }
    }

    pub fn field(&self, field: impl Into<String>, message: impl Into<String>) -> FormatError {
        FormatError {
            field: Some(field.into()),
            ..self.whole(message)
        }
    }
}

/// Decodes a JSON document, naming the line, column and field path of
/// the first problem.
pub(crate) fn parse_json<T: DeserializeOwned>(
    input: &[u8],
    origin: &str,
) -> Result<T, FormatError> {
    let mut de = serde_json::Deserializer::from_slice(input);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        FormatError {
            origin: origin.to_owned(),
            line: Some(inner.line()),
            column: Some(inner.column()),
            field: (!path.is_empty() && path != ".").then_some(path),
            message: msg,
        }
    })?;
    de.end().map_err(|e| FormatError {
        origin: origin.to_owned(),
        line: Some(e.line()),
        column: Some(e.column()),
        field: None,
        message: "expected the end of the document".into(),
    })?;
    Ok(value)
}

/// The first `n` bytes of `input` as text, for detection.
pub(crate) fn head(input: &[u8], n: usize) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&input[..input.len().min(n)])
}

/// Whether `input` starts (after whitespace) with `c`.
pub(crate) fn starts_with(input: &[u8], c: u8) -> bool {
    input
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == c)
}

/// `input` as UTF-8 text; a byte-order mark is dropped.
pub(crate) fn text<'a>(input: &'a [u8], err: &Errors<'_>) -> Result<&'a str, FormatError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    std::str::from_utf8(input).map_err(|e| {
        let line = input[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        err.line(line, "read the text: it is not valid UTF-8")
    })
}

/// Parses a number as harnesses print it: `1,234.5`, `1_000`, `-3e2`.
pub(crate) fn number(s: &str) -> Option<f64> {
    if let Some(v) = short_decimal(s) {
        return Some(v);
    }
    // Most numbers have no separators: parse them without a copy.
    let v: f64 = if s.bytes().any(|b| b == b',' || b == b'_') {
        let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '_').collect();
        cleaned.parse().ok()?
    } else {
        s.parse().ok()?
    };
    v.is_finite().then_some(v)
}

/// `digits[.digits]` with at most 15 digits, as test reports write
/// seconds (`0.123`), exactly as `str::parse` reads it: the digits are an
/// exact integer and 10^k (k ≤ 15) an exact power, so one correctly
/// rounded division gives the correctly rounded value (Clinger's fast
/// path, which `str::parse` takes too, after more work to get there).
fn short_decimal(s: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut point = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    // At least one digit on each side of a point, as in `0.5` (`.5` and
    // `5.` are valid too, but rare: leave them to `str::parse`).
    let decimals = match point {
        None => 0,
        Some(p) if p > 0 && p + 1 < b.len() => b.len() - p - 1,
        Some(_) => return None,
    };
    if digits > 15 {
        return None;
    }
    Some(mantissa as f64 / POW10[decimals])
}

/// Series collected in first-seen order; samples of the same
/// (benchmark, measure) are appended to one series. The index holds
/// positions only, hashed by (benchmark, measure), so looking a sample's
/// series up allocates nothing.
#[derive(Default)]
pub(crate) struct SeriesSet {
    /// Each series' position and a 32-bit hash of its key: the table
    /// grows without re-reading (and re-hashing) every key, and a
    /// lookup compares strings only when the hashes agree, in the space
    /// a `usize` would take.
    index: hashbrown::HashTable<(u32, u32)>,
    hasher: hashbrown::DefaultHashBuilder,
    series: Vec<Series>,
}

impl std::fmt::Debug for SeriesSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeriesSet")
            .field("series", &self.series)
            .finish()
    }
}

fn key_hash(hasher: &hashbrown::DefaultHashBuilder, benchmark: &str, measure: &str) -> u32 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = hasher.build_hasher();
    benchmark.hash(&mut h);
    measure.hash(&mut h);
    let h = h.finish();
    (h ^ (h >> 32)) as u32
}

/// The table's hash of a 32-bit key hash: hashbrown takes its control
/// byte from the top bits and the bucket from the bottom ones.
fn table_hash(h: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(h)
}

impl SeriesSet {
    /// Adds `value` (in `unit`) with the measure's default direction.
    pub fn push(&mut self, benchmark: &str, measure: &str, unit: Unit, value: f64) {
        let direction = Direction::default_for(measure, &unit);
        self.push_with(benchmark, measure, unit, direction, value);
    }

    /// Adds `value` (in `unit`) with an explicit direction.
    pub fn push_with(
        &mut self,
        benchmark: &str,
        measure: &str,
        unit: Unit,
        direction: Direction,
        value: f64,
    ) {
        self.extend_with(benchmark, measure, unit, direction, [value]);
    }

    /// Adds several values (in `unit`) with an explicit direction.
    pub fn extend_with(
        &mut self,
        benchmark: &str,
        measure: &str,
        unit: Unit,
        direction: Direction,
        values: impl IntoIterator<Item = f64>,
    ) {
        let SeriesSet {
            index,
            hasher,
            series,
        } = self;
        let values = values.into_iter();
        let hash = key_hash(hasher, benchmark, measure);
        let found = index
            .find(table_hash(hash), |&(i, h)| {
                let s = &series[i as usize];
                h == hash && s.benchmark == benchmark && s.measure == measure
            })
            .copied();
        let i = match found {
            Some((i, _)) => i as usize,
            None => {
                series.push(Series {
                    benchmark: benchmark.to_owned(),
                    measure: measure.to_owned(),
                    unit: unit.clone(),
                    direction,
                    // Most series get one sample, or all of theirs at once.
                    values: Vec::with_capacity(values.size_hint().0),
                    round_size: None,
                });
                let i = series.len() - 1;
                let at = u32::try_from(i).expect("fewer than 2^32 series");
                index.insert_unique(table_hash(hash), (at, hash), |&(_, h)| table_hash(h));
                i
            }
        };
        let s = &mut series[i];
        // A later sample in another unit of the same dimension is still
        // canonical; the first unit stays the display unit.
        s.values.extend(values.map(|v| unit.to_canonical(v)));
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    pub fn into_series(self) -> Vec<Series> {
        self.series
    }
}

/// A time unit as harnesses spell it, with picoseconds folded into
/// nanoseconds (sloe's smallest unit): returns the unit and a factor to
/// apply to the value first.
pub(crate) fn time_unit(symbol: &str) -> Option<(Unit, f64)> {
    match symbol {
        "ps" => Some((Unit::Nanoseconds, 1e-3)),
        "ns" => Some((Unit::Nanoseconds, 1.0)),
        "us" | "µs" | "μs" => Some((Unit::Microseconds, 1.0)),
        "ms" => Some((Unit::Milliseconds, 1.0)),
        "s" => Some((Unit::Seconds, 1.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn short_decimals_read_as_str_parse_reads_them(s in "[0-9]{0,9}(\\.[0-9]{0,9})?") {
            if let Some(v) = short_decimal(&s) {
                prop_assert_eq!(Some(v.to_bits()), s.parse::<f64>().ok().map(f64::to_bits), "{}", s);
            }
        }

        #[test]
        fn numbers_read_as_before(s in "[-+]?[0-9,_]{0,8}(\\.[0-9]{0,17})?(e[-+]?[0-9]{1,3})?") {
            let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '_').collect();
            let before = cleaned.parse::<f64>().ok().filter(|v| v.is_finite());
            prop_assert_eq!(number(&s).map(f64::to_bits), before.map(f64::to_bits), "{}", s);
        }
    }

    #[test]
    fn short_decimals_cover_report_times() {
        assert_eq!(short_decimal("0.123"), Some(0.123));
        assert_eq!(short_decimal("12"), Some(12.0));
        assert_eq!(short_decimal("1234567.12345678"), Some(1234567.12345678));
        for odd in ["", ".5", "5.", "1.2.3", "-1", "1e3", "1234567890123456"] {
            assert_eq!(short_decimal(odd), None, "{odd}");
        }
    }
}
