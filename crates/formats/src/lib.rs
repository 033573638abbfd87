//! sloe-formats: readers for what benchmark harnesses write.
//!
//! Each format lives in its own module and turns bytes into a
//! [`Parsed`] run: context hints from the file plus series of samples in
//! canonical units. Readers are pure (bytes in, values out); the CLI does
//! the file I/O. This crate depends on sloe-core only.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;
use sloe_core::Series;

pub mod json;

/// A harness format sloe can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// sloe's own results JSON.
    Json,
}

impl Format {
    pub const ALL: &[Format] = &[Format::Json];

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
        }
    }

    /// Reads `input`; `origin` names the file in messages.
    pub fn read(self, input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
        match self {
            Format::Json => json::read(input, origin),
        }
    }

    /// Picks the format whose content `input` looks like.
    pub fn detect(input: &[u8], origin: &str) -> Result<Format, FormatError> {
        if json::looks_like(input) {
            return Ok(Format::Json);
        }
        Err(FormatError {
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
        })
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

/// Context a results file states about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileContext {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub environment: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub ci: BTreeMap<String, String>,
}

/// What a reader found in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub context: FileContext,
    pub series: Vec<Series>,
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
