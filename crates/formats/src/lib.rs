//! sloe-formats: readers for what benchmark harnesses write.
//!
//! Each format lives in its own module and turns bytes into a
//! [`Parsed`] run: context hints from the file plus series of samples in
//! canonical units. Readers are pure (bytes in, values out); the CLI does
//! the file I/O. This crate depends on sloe-core only.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;
use sloe_core::Series;

pub mod asv;
pub mod bdn;
pub mod catch2;
mod common;
pub mod criterion;
pub mod gbench;
pub mod gnu_time;
pub mod gobench;
pub mod hyperfine;
pub mod iai;
pub mod jmh;
pub mod json;
mod json_stream;
pub mod junit;
pub mod libtest;
pub mod pytest_benchmark;
mod xml;

/// A harness format sloe can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// sloe's own results JSON.
    Json,
    /// criterion.rs console output, or one file of `target/criterion`.
    Criterion,
    /// hyperfine `--export-json`.
    Hyperfine,
    /// Google Benchmark `--benchmark_format=json`.
    Gbench,
    /// `go test -bench` text.
    Gobench,
    /// `cargo bench` libtest text.
    Libtest,
    /// pytest-benchmark `--benchmark-json` or a saved run.
    PytestBenchmark,
    /// JMH `-rf json`.
    Jmh,
    /// BenchmarkDotNet JSON exporter (full or brief).
    Bdn,
    /// iai and iai-callgrind text.
    Iai,
    /// Catch2 XML reporter.
    Catch2,
    /// JUnit XML test reports.
    Junit,
    /// airspeed velocity results JSON.
    Asv,
    /// GNU `/usr/bin/time -v` output.
    GnuTime,
}

impl Format {
    /// Every format, in the order detection tries them: the most specific
    /// content first, sloe's own JSON and the loosest text formats last.
    pub const ALL: &[Format] = &[
        Format::Jmh,
        Format::Bdn,
        Format::Gbench,
        Format::PytestBenchmark,
        Format::Hyperfine,
        Format::Asv,
        Format::Json,
        Format::Catch2,
        Format::Junit,
        Format::GnuTime,
        Format::Iai,
        Format::Criterion,
        Format::Libtest,
        Format::Gobench,
    ];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Criterion => "criterion",
            Format::Hyperfine => "hyperfine",
            Format::Gbench => "gbench",
            Format::Gobench => "gobench",
            Format::Libtest => "libtest",
            Format::PytestBenchmark => "pytest-benchmark",
            Format::Jmh => "jmh",
            Format::Bdn => "bdn",
            Format::Iai => "iai",
            Format::Catch2 => "catch2",
            Format::Junit => "junit",
            Format::Asv => "asv",
            Format::GnuTime => "gnu-time",
        }
    }

    /// Reads `input`; `origin` names the file in messages. A byte-order
    /// mark at the start is skipped.
    pub fn read(self, input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
        let input = input.strip_prefix(BOM).unwrap_or(input);
        match self {
            Format::Json => json::read(input, origin),
            Format::Criterion => criterion::read(input, origin),
            Format::Hyperfine => hyperfine::read(input, origin),
            Format::Gbench => gbench::read(input, origin),
            Format::Gobench => gobench::read(input, origin),
            Format::Libtest => libtest::read(input, origin),
            Format::PytestBenchmark => pytest_benchmark::read(input, origin),
            Format::Jmh => jmh::read(input, origin),
            Format::Bdn => bdn::read(input, origin),
            Format::Iai => iai::read(input, origin),
            Format::Catch2 => catch2::read(input, origin),
            Format::Junit => junit::read(input, origin),
            Format::Asv => asv::read(input, origin),
            Format::GnuTime => gnu_time::read(input, origin),
        }
    }

    /// Whether the reader streams: it reads from a [`BufRead`] as the
    /// bytes arrive, in memory bounded by what the file holds rather than
    /// by its size.
    pub fn streams(self) -> bool {
        matches!(self, Format::Gbench | Format::Junit | Format::Catch2)
    }

    /// Reads from a stream: a streaming reader (see [`Format::streams`])
    /// parses as the bytes arrive; the others read the whole input first.
    pub fn read_from(self, mut input: impl BufRead, origin: &str) -> Result<Parsed, FormatError> {
        match self {
            Format::Gbench => gbench::read_from(input, origin),
            Format::Junit => junit::read_from(input, origin),
            Format::Catch2 => catch2::read_from(input, origin),
            _ => {
                let mut bytes = Vec::new();
                input.read_to_end(&mut bytes).map_err(|e| FormatError {
                    origin: origin.to_owned(),
                    line: None,
                    column: None,
                    field: None,
                    message: format!("read it: {e}"),
                })?;
                self.read(&bytes, origin)
            }
        }
    }

    /// Whether `input` looks like this format (content only).
    pub fn looks_like(self, input: &[u8]) -> bool {
        match self {
            Format::Json => json::looks_like(input),
            Format::Criterion => criterion::looks_like(input),
            Format::Hyperfine => hyperfine::looks_like(input),
            Format::Gbench => gbench::looks_like(input),
            Format::Gobench => gobench::looks_like(input),
            Format::Libtest => libtest::looks_like(input),
            Format::PytestBenchmark => pytest_benchmark::looks_like(input),
            Format::Jmh => jmh::looks_like(input),
            Format::Bdn => bdn::looks_like(input),
            Format::Iai => iai::looks_like(input),
            Format::Catch2 => catch2::looks_like(input),
            Format::Junit => junit::looks_like(input),
            Format::Asv => asv::looks_like(input),
            Format::GnuTime => gnu_time::looks_like(input),
        }
    }

    /// Words in a file name that hint at this format.
    fn name_hints(self) -> &'static [&'static str] {
        match self {
            Format::Json => &["sloe"],
            Format::Criterion => &["criterion", "estimates.json", "sample.json"],
            Format::Hyperfine => &["hyperfine"],
            Format::Gbench => &["gbench", "google", "benchmark_format"],
            Format::Gobench => &["go"],
            Format::Libtest => &["libtest", "cargo"],
            Format::PytestBenchmark => &["pytest"],
            Format::Jmh => &["jmh"],
            Format::Bdn => &["benchmarkdotnet", "bdn", "-report-full", "-report-brief"],
            Format::Iai => &["iai", "callgrind", "gungraun"],
            Format::Catch2 => &["catch"],
            Format::Junit => &["junit", "test-", "surefire", "xunit"],
            Format::Asv => &["asv"],
            Format::GnuTime => &["time"],
        }
    }

    /// Picks the format whose content `input` looks like. When several
    /// fit, a hint in `origin`'s file name decides; else the most specific.
    /// Only the first [`DETECT_PREFIX`] bytes are looked at, so a caller
    /// that streams a file needs to hold no more than that to detect it;
    /// an empty or whitespace-only input is named as such.
    pub fn detect(input: &[u8], origin: &str) -> Result<Format, FormatError> {
        let input = &input[..input.len().min(DETECT_PREFIX)];
        let input = input.strip_prefix(BOM).unwrap_or(input);
        if let Some(message) = blank(input) {
            return Err(FormatError {
                origin: origin.to_owned(),
                line: None,
                column: None,
                field: None,
                message,
            });
        }
        let candidates: Vec<Format> = Format::ALL
            .iter()
            .copied()
            .filter(|f| f.looks_like(input))
            .collect();
        let file = origin.to_lowercase();
        let hinted = || {
            candidates
                .iter()
                .copied()
                .find(|f| f.name_hints().iter().any(|h| file.contains(h)))
        };
        match candidates.as_slice() {
            [] => Err(FormatError {
                origin: origin.to_owned(),
                line: None,
                column: None,
                field: None,
                message: format!(
                    "detect its format: it looks like none of {}; pass --format",
                    Format::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            [one] => Ok(*one),
            [first, ..] => Ok(hinted().unwrap_or(*first)),
        }
    }
}

/// How much of an input [`Format::detect`] looks at: the most any format's
/// `looks_like` reads (catch2's reports open with a long preamble).
pub const DETECT_PREFIX: usize = 1 << 20;

/// A UTF-8 byte-order mark, which some editors and PowerShell put at the
/// start of a file; readers and detection skip it.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why `input` (after any byte-order mark) holds no results at all: it is
/// empty or only whitespace; `None` when it holds something.
pub fn blank(input: &[u8]) -> Option<String> {
    let input = input.strip_prefix(BOM).unwrap_or(input);
    if input.is_empty() {
        Some("the input is empty; expected results (did the harness write nothing?)".to_owned())
    } else if input.iter().all(u8::is_ascii_whitespace) {
        Some(format!(
            "the input holds only whitespace ({} bytes); expected results (did the harness write nothing?)",
            input.len()
        ))
    } else {
        None
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown format {s:?}; expected one of {}",
                    Format::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// What a directory that holds no results is told: what was looked for
/// (a directory is read only as criterion's `target/criterion` tree), and
/// which of its files do look like results, as `(file, format)`, so the
/// user can pass those instead.
pub fn directory_holds_nothing(found: &[(String, Format)]) -> String {
    let others: Vec<&str> = Format::ALL
        .iter()
        .filter(|f| **f != Format::Criterion)
        .map(|f| f.name())
        .collect();
    let mut msg = format!(
        "find results in it: a directory is read as criterion's target/criterion tree, \
         and it holds no <benchmark>/new/sample.json, estimates.json or benchmark.json; \
         the other formats ({}) are read from files: pass the file",
        others.join(", ")
    );
    if !found.is_empty() {
        let files: Vec<String> = found
            .iter()
            .map(|(f, fmt)| format!("{f} ({fmt})"))
            .collect();
        msg.push_str(&format!(", such as {}", files.join(", ")));
    }
    msg
}

/// Context a results file states about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileContext {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub environment: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub ci: BTreeMap<String, String>,
    /// The machine facts and toolchain versions the file states (a
    /// harness's CPU model beats the local reading).
    pub fingerprint: Option<sloe_core::Fingerprint>,
}

/// What a reader found in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub context: FileContext,
    pub series: Vec<Series>,
    /// What the file lacks that a reader of the results should know (the
    /// run is still read): lowercase sentences, one per finding.
    pub warnings: Vec<String>,
}

/// Input that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct FormatError {
    pub origin: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// JSON-style path to the offending field (`results[3].unit`).
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "read {}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}
