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
    let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '_').collect();
    let v: f64 = cleaned.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Series collected in first-seen order; samples of the same
/// (benchmark, measure) are appended to one series. The index holds
/// positions only, hashed by (benchmark, measure), so looking a sample's
/// series up allocates nothing.
#[derive(Default)]
pub(crate) struct SeriesSet {
    index: hashbrown::HashTable<usize>,
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

fn key_hash(hasher: &hashbrown::DefaultHashBuilder, benchmark: &str, measure: &str) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = hasher.build_hasher();
    benchmark.hash(&mut h);
    measure.hash(&mut h);
    h.finish()
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
        let hash = key_hash(hasher, benchmark, measure);
        let found = index
            .find(hash, |&i| {
                series[i].benchmark == benchmark && series[i].measure == measure
            })
            .copied();
        let i = match found {
            Some(i) => i,
            None => {
                series.push(Series {
                    benchmark: benchmark.to_owned(),
                    measure: measure.to_owned(),
                    unit: unit.clone(),
                    direction,
                    values: Vec::new(),
                    round_size: None,
                });
                let i = series.len() - 1;
                index.insert_unique(hash, i, |&j| {
                    key_hash(hasher, &series[j].benchmark, &series[j].measure)
                });
                i
            }
        };
        let s = &mut series[i];
        // A later sample in another unit of the same dimension is still
        // canonical; the first unit stays the display unit.
        s.values
            .extend(values.into_iter().map(|v| unit.to_canonical(v)));
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
