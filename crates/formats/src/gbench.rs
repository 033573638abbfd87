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
//!
//! The document is read as a stream ([`read_from`]): each row is decoded
//! into a few numbers as it passes, so memory grows with the values read,
//! not with the size of the file.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use sloe_core::{Direction, Fingerprint, Unit};

use crate::common::{Errors, SeriesSet, head, starts_with, time_unit};
use crate::json_stream::{self, Pos};
use crate::{FileContext, FormatError, Parsed};

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
    read_from(input, origin)
}

/// Reads the document from a stream, in memory bounded by what it holds:
/// one row at a time is cut out and decoded.
pub fn read_from(input: impl BufRead, origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let mut rows = Rows::default();
    if !json_stream::walk(
        input,
        "benchmarks",
        &err,
        &mut Decoder {
            rows: &mut rows,
            origin,
        },
    )? {
        return Err(FormatError {
            line: Some(1),
            ..err.whole("missing field `benchmarks`")
        });
    }
    assemble(rows, origin)
}

/// Decodes the members and rows the walker cuts out.
struct Decoder<'a> {
    rows: &'a mut Rows,
    origin: &'a str,
}

impl Decoder<'_> {
    fn error(&self, e: &serde_json::Error, at: Pos, path: String) -> FormatError {
        let p = at.of(e);
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        FormatError {
            origin: self.origin.to_owned(),
            line: Some(p.line),
            column: Some(p.column),
            field: Some(path),
            message: msg,
        }
    }
}

impl json_stream::Handler for Decoder<'_> {
    fn member(&mut self, key: &str, value: &[u8], at: Pos) -> Result<(), FormatError> {
        let decoded = if key == "context" {
            serde_json::from_slice::<Context>(value).map(|c| {
                self.rows.fingerprint = c.fingerprint();
                self.rows.date = c.date;
            })
        } else {
            serde_json::from_slice::<IgnoredAny>(value).map(|_| ())
        };
        decoded.map_err(|e| self.error(&e, at, key.to_owned()))
    }

    fn element(&mut self, index: usize, value: &[u8], at: Pos) -> Result<(), FormatError> {
        self.rows.at = At::Row(index, None);
        // Read as bytes, serde_json checks each string is UTF-8; one check
        // of the whole row costs less. A row that is not UTF-8 is read as
        // bytes, so that serde_json names the place.
        let decoded = match std::str::from_utf8(value) {
            Ok(text) => decode_row(self.rows, &mut serde_json::Deserializer::from_str(text)),
            Err(_) => decode_row(self.rows, &mut serde_json::Deserializer::from_slice(value)),
        };
        decoded.map_err(|e| {
            let path = self.rows.at.path(&self.rows.names);
            self.error(&e, at, path)
        })
    }
}

/// Reads one row (the whole input) into `rows`.
fn decode_row<'de, R: serde_json::de::Read<'de>>(
    rows: &mut Rows,
    de: &mut serde_json::Deserializer<R>,
) -> Result<(), serde_json::Error> {
    RowSeed(rows).deserialize(&mut *de)?;
    de.end()
}

/// One row, reduced to what is kept. Names are interned in [`Rows`].
#[derive(Debug, Default)]
struct Row {
    run: u32,
    aggregate: Option<Aggregate>,
    error: bool,
    real_time: Option<f64>,
    cpu_time: Option<f64>,
    time_unit: Option<u32>,
    /// (interned counter name, value), sorted by name.
    counters: Vec<(u32, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Mean,
    Median,
    /// Another aggregate (stddev, cv, ...), or one not in time units.
    Other,
}

/// Everything read: rows and the strings they name.
#[derive(Debug, Default)]
struct Rows {
    names: Vec<String>,
    index: hashbrown::HashMap<String, u32>,
    rows: Vec<Row>,
    date: Option<String>,
    fingerprint: Option<Fingerprint>,
    /// Where the reader is, to name the field of an error (kept by hand:
    /// a path tracker allocating per key halved the throughput).
    at: At,
}

#[derive(Debug, Default, Clone, Copy)]
enum At {
    #[default]
    Top,
    Row(usize, Option<Field>),
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Known(&'static str),
    Counter(u32),
}

impl At {
    fn path(self, names: &[String]) -> String {
        match self {
            At::Top => String::new(),
            At::Row(i, None) => format!("benchmarks[{i}]"),
            At::Row(i, Some(Field::Known(k))) => format!("benchmarks[{i}].{k}"),
            At::Row(i, Some(Field::Counter(k))) => {
                format!(
                    "benchmarks[{i}].{}",
                    names.get(k as usize).map_or("?", String::as_str)
                )
            }
        }
    }
}

impl Rows {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
}

/// Turns the rows into series, counting each run once.
fn assemble(rows: Rows, origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let mut context = FileContext::default();
    if let Some(date) = &rows.date {
        // Old versions print `2019/11/16-12:03:35` without an offset; that
        // says too little to be a timestamp, so it is left out.
        context.timestamp = date.parse().ok();
    }
    context.fingerprint = rows.fingerprint.clone();
    let with_repetitions: HashSet<u32> = rows
        .rows
        .iter()
        .filter(|r| r.aggregate.is_none())
        .map(|r| r.run)
        .collect();
    // For aggregate-only benchmarks: the aggregate that stands in.
    let mut stand_in: HashMap<u32, Aggregate> = HashMap::new();
    for r in &rows.rows {
        if with_repetitions.contains(&r.run) {
            continue;
        }
        match r.aggregate {
            Some(Aggregate::Mean) => {
                stand_in.insert(r.run, Aggregate::Mean);
            }
            Some(Aggregate::Median) => {
                stand_in.entry(r.run).or_insert(Aggregate::Median);
            }
            _ => {}
        }
    }

    let mut warnings = Vec::new();
    if !stand_in.is_empty() {
        let mut names: Vec<&str> = stand_in
            .keys()
            .map(|&run| rows.names[run as usize].as_str())
            .collect();
        names.sort_unstable();
        // A mean alone is one sample: no spread, so no test can say whether
        // a change is noise. The run is kept, but the user must know why
        // comparisons on it are weak.
        warnings.push(format!(
            "{origin}: {} benchmark{} ({}) hold only aggregates (--benchmark_report_aggregates_only): \
             per-repetition samples are missing, so the {} stands in as one sample; \
             drop that flag (or use --benchmark_display_aggregates_only) to keep every repetition",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            abbreviate(&names),
            if stand_in.values().all(|a| *a == Aggregate::Mean) { "mean" } else { "mean (else median)" },
        ));
    }

    let mut set = SeriesSet::default();
    for (i, r) in rows.rows.iter().enumerate() {
        if r.error {
            continue;
        }
        if let Some(a) = r.aggregate
            && stand_in.get(&r.run) != Some(&a)
        {
            continue;
        }
        let run = rows.names[r.run as usize].as_str();
        let unit_name = r
            .time_unit
            .map_or("ns", |u| rows.names[u as usize].as_str());
        let (unit, factor) = time_unit(unit_name).ok_or_else(|| {
            err.field(
                format!("benchmarks[{i}].time_unit"),
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
        for &(k, v) in &r.counters {
            let k = rows.names[k as usize].as_str();
            if k == "bytes_per_second" || k == "items_per_second" {
                let unit = if k == "bytes_per_second" {
                    Unit::BytesPerSecond
                } else {
                    Unit::PerSecond
                };
                set.push(run, k, unit, v);
            } else {
                set.push(run, k, Unit::Count, v);
            }
        }
    }
    Ok(Parsed {
        context,
        series: set.into_series(),
        warnings,
    })
}

/// The first few of `names`, and how many more, for one line of a warning.
fn abbreviate(names: &[&str]) -> String {
    const SHOWN: usize = 3;
    let mut out = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}

#[derive(Debug, Default, serde::Deserialize)]
struct Context {
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    num_cpus: Option<u32>,
    /// Since 1.5.1: `release` or `debug`, which changes timings as much
    /// as a machine does.
    #[serde(default)]
    library_build_type: Option<String>,
    /// Since 1.8.
    #[serde(default)]
    library_version: Option<String>,
}

impl Context {
    /// What the context says about the environment. `mhz_per_cpu` is left
    /// out: on VMs it is the clock of the moment, which jitters from run to
    /// run and would split one machine's history.
    fn fingerprint(&self) -> Option<Fingerprint> {
        let mut fp = Fingerprint {
            cores: self.num_cpus.filter(|&n| n > 0),
            ..Fingerprint::default()
        };
        for (name, v) in [
            ("google-benchmark", &self.library_version),
            ("google-benchmark build", &self.library_build_type),
        ] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                fp.toolchains.insert(name.to_owned(), v.to_owned());
            }
        }
        (!fp.is_empty()).then_some(fp)
    }
}

/// A row key: the fields sloe reads, a non-counter to skip, or a counter
/// (interned, so a name repeated on every row is allocated once).
enum RowKey {
    Name,
    RunName,
    RunType,
    AggregateName,
    AggregateUnit,
    ErrorOccurred,
    RealTime,
    CpuTime,
    TimeUnit,
    Skip,
    Counter(u32),
}

impl RowKey {
    fn field(&self) -> Field {
        Field::Known(match self {
            RowKey::Name => "name",
            RowKey::RunName => "run_name",
            RowKey::RunType => "run_type",
            RowKey::AggregateName => "aggregate_name",
            RowKey::AggregateUnit => "aggregate_unit",
            RowKey::ErrorOccurred => "error_occurred",
            RowKey::RealTime => "real_time",
            RowKey::CpuTime => "cpu_time",
            RowKey::TimeUnit => "time_unit",
            RowKey::Skip => return Field::Known("?"),
            RowKey::Counter(k) => return Field::Counter(*k),
        })
    }
}

/// A string field's value, interned (names and units repeat across rows).
struct Interned<'a>(&'a mut Rows);

impl<'de> DeserializeSeed<'de> for Interned<'_> {
    type Value = Option<u32>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Interned<'_> {
    type Value = Option<u32>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u32>, E> {
        Ok(Some(self.0.intern(v)))
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<u32>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<u32>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_str(self)
    }
}

struct RowKeySeed<'a>(&'a mut Rows);

impl<'de> DeserializeSeed<'de> for RowKeySeed<'_> {
    type Value = RowKey;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RowKey, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for RowKeySeed<'_> {
    type Value = RowKey;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RowKey, E> {
        Ok(match v {
            "name" => RowKey::Name,
            "run_name" => RowKey::RunName,
            "run_type" => RowKey::RunType,
            "aggregate_name" => RowKey::AggregateName,
            "aggregate_unit" => RowKey::AggregateUnit,
            "error_occurred" => RowKey::ErrorOccurred,
            "real_time" => RowKey::RealTime,
            "cpu_time" => RowKey::CpuTime,
            "time_unit" => RowKey::TimeUnit,
            k if NOT_COUNTERS.contains(&k) => RowKey::Skip,
            k => RowKey::Counter(self.0.intern(k)),
        })
    }
}

struct RowSeed<'a>(&'a mut Rows);

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a benchmark row object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let rows = self.0;
        let mut name: Option<u32> = None;
        let mut run_name: Option<u32> = None;
        let mut run_type: Option<u32> = None;
        let mut aggregate_name: Option<u32> = None;
        let mut aggregate_unit: Option<u32> = None;
        let mut row = Row::default();
        let i = match rows.at {
            At::Row(i, _) => i,
            _ => rows.rows.len(),
        };
        while let Some(key) = map.next_key_seed(RowKeySeed(&mut *rows))? {
            rows.at = At::Row(i, Some(key.field()));
            match key {
                RowKey::Name => name = map.next_value_seed(Interned(&mut *rows))?,
                RowKey::RunName => run_name = map.next_value_seed(Interned(&mut *rows))?,
                RowKey::RunType => run_type = map.next_value_seed(Interned(&mut *rows))?,
                RowKey::AggregateName => {
                    aggregate_name = map.next_value_seed(Interned(&mut *rows))?;
                }
                RowKey::AggregateUnit => {
                    aggregate_unit = map.next_value_seed(Interned(&mut *rows))?;
                }
                RowKey::ErrorOccurred => {
                    row.error = map.next_value::<Option<bool>>()? == Some(true);
                }
                RowKey::RealTime => row.real_time = map.next_value()?,
                RowKey::CpuTime => row.cpu_time = map.next_value()?,
                RowKey::TimeUnit => row.time_unit = map.next_value_seed(Interned(&mut *rows))?,
                RowKey::Skip => {
                    map.next_value::<IgnoredAny>()?;
                }
                RowKey::Counter(k) => {
                    if let Number(Some(v)) = map.next_value()? {
                        row.counters.push((k, v));
                    }
                }
            }
        }
        rows.at = At::Row(i, None);
        let name = name.ok_or_else(|| de::Error::missing_field("name"))?;
        row.run = run_name.unwrap_or(name);
        let text = |i: Option<u32>| i.map(|i| rows.names[i as usize].as_str());
        if text(run_type) == Some("aggregate") {
            row.aggregate = Some(match text(aggregate_name) {
                _ if text(aggregate_unit).is_some_and(|u| u != "time") => Aggregate::Other,
                Some("mean") => Aggregate::Mean,
                Some("median") => Aggregate::Median,
                _ => Aggregate::Other,
            });
        }
        let names = &rows.names;
        row.counters
            .sort_by(|a, b| names[a.0 as usize].cmp(&names[b.0 as usize]));
        rows.rows.push(row);
        Ok(())
    }
}

/// A counter's value: a number, or anything else (ignored).
struct Number(Option<f64>);

impl<'de> serde::Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Number, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Number, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Number, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
        }
        d.deserialize_any(V)
    }
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

    #[test]
    fn a_malformed_row_names_its_field_and_line() {
        let doc = b"{\"benchmarks\":[\n{\"name\":\"a\",\"real_time\":1},\n{\"name\":\"b\",\"real_time\":\"fast\"}]}";
        for e in [
            read(doc, "g.json").unwrap_err(),
            read_from(&doc[..], "g.json").unwrap_err(),
        ] {
            assert_eq!(e.field.as_deref(), Some("benchmarks[1].real_time"), "{e}");
            assert_eq!(e.line, Some(3), "{e}");
        }
        let e = read(b"{\"benchmarks\":[{\"real_time\":1}]}", "g.json").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("benchmarks[0]"), "{e}");
        assert!(e.message.contains("missing field `name`"), "{e}");
        let e = read(b"{\"context\":{}}", "g.json").unwrap_err();
        assert!(e.message.contains("missing field `benchmarks`"), "{e}");
    }
}
