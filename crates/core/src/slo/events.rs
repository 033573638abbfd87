//! SLI events in JSON lines (DESIGN.md, "SLO status JSON"), read as a
//! stream and folded into one-minute buckets.
//!
//! Each line names its event **stream** and is either pre-aggregated
//! (`{"stream":"api","ts":"…","good":990,"total":1000}`) or one raw event
//! (`{"stream":"api","ts":"…","value":0.183,"ok":true}`, `value` in seconds
//! unless `unit` names another time unit). A raw event is good when `ok` is
//! not false and, for an SLO with a latency threshold, `value` is at most
//! the threshold; so one raw stream feeds an availability SLO and a latency
//! SLO at once.
//!
//! The reader never holds the whole input: [`EventReader::next_event`]
//! parses one line at a time out of a [`BufRead`] the caller opened. Errors
//! name the file, the line, the field and what was expected.
//!
//! Kept buckets ([`EventBucket`]) are threshold-independent: good and total
//! as `ok` judges them, plus a [`LatencyHistogram`] of the raw events that
//! were ok, so any threshold can be asked later (see the histogram for the
//! approximation and its bound).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::slo::counts::{Counts, MinuteCounts};
use crate::units::{Dimension, Unit};

/// A UTF-8 byte-order mark, accepted (and dropped) at the start of an input.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The most events one bucket holds: what the store keeps (a signed 64-bit
/// integer). A count above it is refused when read, and adding to a bucket
/// past it is an error ([`CountOverflow`]), never clamped: a clamped bucket
/// would silently lose its bad events.
pub const MAX_COUNT: u64 = i64::MAX as u64;

/// Adding events to a bucket would take one of its counts past
/// [`MAX_COUNT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the {field} count of the bucket would exceed {max}, the most a bucket holds", max = MAX_COUNT)]
pub struct CountOverflow {
    /// `good`, `total` or `latency` (a histogram bin).
    pub field: &'static str,
}

impl CountOverflow {
    /// The error of the line that overflowed, naming its field.
    pub fn at(self, file: &str, line: u64) -> EventError {
        EventError::Invalid {
            file: file.to_owned(),
            line,
            field: Some(self.field.to_owned()),
            problem: format!(
                "field `{}`: adding this line's events to its minute: {self}",
                self.field
            ),
        }
    }
}

/// Why a file of events could not be read. Messages read after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("read events from {file}: {cause}")]
    Io { file: String, cause: std::io::Error },
    #[error("read events at {file}:{line}: {problem}")]
    Invalid {
        file: String,
        line: u64,
        /// The JSON field at fault, if one is (`good`, `ts`, …).
        field: Option<String>,
        problem: String,
    },
}

impl EventError {
    /// The 1-based line at fault, if the error is about a line.
    pub fn line(&self) -> Option<u64> {
        match self {
            EventError::Io { .. } => None,
            EventError::Invalid { line, .. } => Some(*line),
        }
    }
}

/// What one line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Pre-aggregated: `good` of `total` events (`good <= total`).
    Counts(Counts),
    /// One event, judged `ok` by its producer, with its latency if it gave
    /// a `value`.
    Raw {
        ok: bool,
        latency: Option<SignedDuration>,
    },
}

/// One line of an events file, borrowing its stream name from the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    pub stream: Cow<'a, str>,
    pub at: Timestamp,
    pub kind: EventKind,
}

impl Event<'_> {
    /// The event as its parsed content, into `out` (cleared first): bytes
    /// that do not depend on how the line was written (key order,
    /// whitespace, line ending, escapes, how a number is spelled, the
    /// `unit` of a value, the offset of `ts`). Two lines that say the same
    /// thing give the same bytes; ingest de-duplication digests these.
    pub fn canonical(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&(self.stream.len() as u64).to_le_bytes());
        out.extend_from_slice(self.stream.as_bytes());
        out.extend_from_slice(&self.at.as_nanosecond().to_le_bytes());
        match self.kind {
            EventKind::Counts(c) => {
                out.push(0);
                out.extend_from_slice(&c.good.to_le_bytes());
                out.extend_from_slice(&c.total.to_le_bytes());
            }
            EventKind::Raw { ok, latency } => {
                out.push(1);
                out.push(u8::from(ok));
                match latency {
                    None => out.push(0),
                    Some(l) => {
                        out.push(1);
                        out.extend_from_slice(&l.as_nanos().to_le_bytes());
                    }
                }
            }
        }
    }
}

/// How an SLO judges events: by `ok` alone, or also by a latency threshold
/// (good when ok and `value <= threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Classification {
    #[default]
    Availability,
    Latency {
        threshold: SignedDuration,
    },
}

impl Classification {
    /// Good and total of one event, judged exactly.
    pub fn judge(self, kind: EventKind) -> Counts {
        match kind {
            EventKind::Counts(c) => c,
            EventKind::Raw { ok, latency } => {
                let within = match (self, latency) {
                    (Classification::Availability, _) => true,
                    (Classification::Latency { threshold }, Some(l)) => l <= threshold,
                    // A raw event without a value was judged by its producer
                    // alone; a latency SLO has nothing more to judge it by.
                    (Classification::Latency { .. }, None) => true,
                };
                Counts {
                    good: u64::from(ok && within),
                    total: 1,
                }
            }
        }
    }
}

/// The fields a line may have. Numbers stay [`serde_json::Number`] so that a
/// wrong number names its field (serde's own message does not).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow, default)]
    stream: Option<Text<'a>>,
    #[serde(borrow, default)]
    ts: Option<Text<'a>>,
    #[serde(default)]
    good: Option<serde_json::Number>,
    #[serde(default)]
    total: Option<serde_json::Number>,
    #[serde(default)]
    value: Option<serde_json::Number>,
    #[serde(default)]
    ok: Option<bool>,
    #[serde(borrow, default)]
    unit: Option<Text<'a>>,
}

/// A string field that borrows from the line unless it has escapes.
/// (serde borrows a `Cow<str>` field only when it is not inside an
/// `Option`; inside one it allocates a `String` for every line.)
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(Visit).map(Text)
    }
}

/// Reads events one line at a time. Blank lines are skipped.
#[derive(Debug)]
pub struct EventReader<R> {
    input: R,
    file: String,
    buf: Vec<u8>,
    line: u64,
    /// The last `ts` text and its parse: files of many events per second
    /// repeat timestamps, and parsing one costs more than comparing it.
    last_ts: Vec<u8>,
    last_at: Option<Timestamp>,
    minute: MinuteCache,
}

/// The minute of the last fully parsed `YYYY-MM-DDTHH:MM:SS[.f]Z`
/// timestamp: a log's timestamps change every line but share their minute
/// for many lines, and within it only seconds and fraction need reading.
/// Anything but that exact UTC form takes jiff's full parse.
#[derive(Debug, Default)]
struct MinuteCache {
    /// `YYYY-MM-DDTHH:MM:` of the minute that `start` is.
    prefix: [u8; 17],
    start: Option<Timestamp>,
}

impl MinuteCache {
    /// Seconds and nanoseconds of `ts` after its minute, if `ts` is
    /// `…:SS[.fraction]Z` with at most 9 fraction digits and SS < 60.
    fn offset(ts: &[u8]) -> Option<i64> {
        let digit = |b: u8| b.is_ascii_digit().then(|| i64::from(b - b'0'));
        let (last, rest) = ts.split_last()?;
        if *last != b'Z' || rest.len() < 19 {
            return None;
        }
        let ss = digit(rest[17])? * 10 + digit(rest[18])?;
        if ss >= 60 {
            return None;
        }
        let mut nanos = ss * 1_000_000_000;
        match &rest[19..] {
            [] => {}
            [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
                let mut f = 0;
                for &b in frac {
                    f = f * 10 + digit(b)?;
                }
                nanos += f * 10i64.pow(9 - frac.len() as u32);
            }
            _ => return None,
        }
        Some(nanos)
    }

    fn at(&self, ts: &[u8]) -> Option<Timestamp> {
        let start = self.start?;
        if ts.get(..17)? != self.prefix {
            return None;
        }
        start
            .checked_add(SignedDuration::from_nanos(Self::offset(ts)?))
            .ok()
    }

    /// Remembers the minute of `ts`, which jiff parsed as `at`.
    fn learn(&mut self, ts: &[u8], at: Timestamp) {
        let shape = ts.len() >= 20
            && ts[..17].iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                10 => *b == b'T',
                13 | 16 => *b == b':',
                _ => b.is_ascii_digit(),
            });
        let start = shape
            .then(|| Self::offset(ts))
            .flatten()
            .and_then(|n| at.checked_sub(SignedDuration::from_nanos(n)).ok());
        match start {
            Some(start) => {
                self.prefix.copy_from_slice(&ts[..17]);
                self.start = Some(start);
            }
            None => self.start = None,
        }
    }
}

impl<R: BufRead> EventReader<R> {
    /// `file` names the input in errors (`-` reads as `<stdin>` if the
    /// caller says so).
    pub fn new(input: R, file: impl Into<String>) -> EventReader<R> {
        EventReader {
            input,
            file: file.into(),
            buf: Vec::with_capacity(256),
            line: 0,
            last_ts: Vec::new(),
            last_at: None,
            minute: MinuteCache::default(),
        }
    }

    /// The number of the line read last (1-based; 0 before the first).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next event, `None` at the end of the input.
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, EventError> {
        loop {
            self.buf.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.buf)
                .map_err(|cause| EventError::Io {
                    file: self.file.clone(),
                    cause,
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.line == 1 && self.buf.starts_with(UTF8_BOM) {
                // Editors on Windows start a UTF-8 file with a byte-order mark.
                self.buf.drain(..UTF8_BOM.len());
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        let line = self.line;
        let file = &self.file;
        let invalid = |field: Option<&str>, problem: String| EventError::Invalid {
            file: file.clone(),
            line,
            field: field.map(str::to_owned),
            problem,
        };
        let parsed: Line<'_> = match serde_json::from_slice(&self.buf) {
            Ok(l) => l,
            Err(e) => return Err(syntax_error(&self.buf, e, &invalid)),
        };
        let field = |name: &'static str, problem: String| {
            invalid(Some(name), format!("field `{name}`: {problem}"))
        };
        let stream = match parsed.stream.map(|t| t.0) {
            Some(s) if s.contains('\0') => {
                return Err(field(
                    "stream",
                    format!("{s:?} holds a NUL character; expected a stream name without one"),
                ));
            }
            Some(s) if !s.trim().is_empty() => s,
            Some(_) => return Err(field("stream", "is empty; expected a stream name".into())),
            None => {
                return Err(field(
                    "stream",
                    "is missing; expected the event stream's name, e.g. \"stream\":\"api\"".into(),
                ));
            }
        };
        let Some(Text(ts)) = parsed.ts else {
            return Err(field(
                "ts",
                "is missing; expected an RFC 3339 timestamp, e.g. \"ts\":\"2026-11-20T10:00:30Z\""
                    .into(),
            ));
        };
        let at = match self.last_at {
            Some(at) if self.last_ts == ts.as_bytes() => at,
            _ if let Some(at) = self.minute.at(ts.as_bytes()) => at,
            _ => {
                let at: Timestamp = ts.parse().map_err(|e| {
                    field(
                        "ts",
                        format!(
                            "{ts:?} is not a timestamp ({e}); expected RFC 3339 with an offset, e.g. 2026-11-20T10:00:30Z"
                        ),
                    )
                })?;
                self.last_ts.clear();
                self.last_ts.extend_from_slice(ts.as_bytes());
                self.last_at = Some(at);
                self.minute.learn(ts.as_bytes(), at);
                at
            }
        };
        let raw = parsed.value.is_some() || parsed.ok.is_some() || parsed.unit.is_some();
        let kind = match (parsed.good, parsed.total) {
            (Some(good), Some(total)) => {
                if raw {
                    let name = if parsed.value.is_some() {
                        "value"
                    } else if parsed.ok.is_some() {
                        "ok"
                    } else {
                        "unit"
                    };
                    return Err(field(
                        name,
                        "is set on a pre-aggregated line (one with good and total); expected either good and total, or a raw event with value/ok".into(),
                    ));
                }
                let good = count(&good).map_err(|p| field("good", p))?;
                let total = count(&total).map_err(|p| field("total", p))?;
                if good > total {
                    return Err(field(
                        "good",
                        format!("{good} is more than total ({total}); expected good <= total"),
                    ));
                }
                EventKind::Counts(Counts { good, total })
            }
            (Some(_), None) => {
                return Err(field(
                    "total",
                    "is missing; a line with good needs total too".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(field(
                    "good",
                    "is missing; a line with total needs good too".into(),
                ));
            }
            (None, None) => {
                if !raw {
                    return Err(invalid(
                        None,
                        "the line has neither good/total nor value/ok; expected {\"stream\":…,\"ts\":…,\"good\":990,\"total\":1000} or {\"stream\":…,\"ts\":…,\"value\":0.183,\"ok\":true}".into(),
                    ));
                }
                let unit = match parsed.unit.as_ref().map(|t| t.0.as_ref()) {
                    None => Unit::Seconds,
                    Some(u) => match Unit::parse_known(u) {
                        Some(unit) if unit.dimension() == Some(Dimension::Time) => unit,
                        _ => {
                            return Err(field(
                                "unit",
                                format!(
                                    "{u:?} is not a time unit; expected ns, us, ms, s, min or h"
                                ),
                            ));
                        }
                    },
                };
                if parsed.value.is_none() && parsed.unit.is_some() {
                    return Err(field(
                        "value",
                        "is missing though unit is given; expected the event's latency".into(),
                    ));
                }
                let latency = match parsed.value {
                    None => None,
                    Some(v) => Some(latency(&v, &unit).map_err(|p| field("value", p))?),
                };
                EventKind::Raw {
                    ok: parsed.ok.unwrap_or(true),
                    latency,
                }
            }
        };
        Ok(Some(Event { stream, at, kind }))
    }
}

/// A syntax or shape error from serde, with the field named when serde
/// knows it (re-parsed through `serde_path_to_error`, only on failure).
fn syntax_error(
    buf: &[u8],
    e: serde_json::Error,
    invalid: &dyn Fn(Option<&str>, String) -> EventError,
) -> EventError {
    let object = buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if object && e.to_string().starts_with("number out of range") {
        // `1e999`: name the field and the number as written.
        let end = buf.len().min(e.column());
        let start = buf[..end]
            .iter()
            .rposition(|b| !(b.is_ascii_digit() || b"+-.eE".contains(b)))
            .map_or(0, |i| i + 1);
        let written = String::from_utf8_lossy(&buf[start..end]);
        let mut de = serde_json::Deserializer::from_slice(buf);
        let path = match serde_path_to_error::deserialize::<_, Line<'_>>(&mut de) {
            Err(pe) => pe.path().to_string(),
            Ok(_) => String::new(),
        };
        let problem = format!(
            "{written} is too large for a number (it overflows to infinity); expected a finite number"
        );
        return if path.is_empty() || path == "." {
            invalid(None, problem)
        } else {
            invalid(Some(&path), format!("field `{path}`: {problem}"))
        };
    }
    if e.is_syntax() || e.is_eof() || !object {
        return invalid(
            None,
            format!(
                "not a JSON object ({} at column {}); expected one event per line, e.g. {{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":990,\"total\":1000}}",
                strip_position(&e.to_string()),
                e.column()
            ),
        );
    }
    let mut de = serde_json::Deserializer::from_slice(buf);
    match serde_path_to_error::deserialize::<_, Line<'_>>(&mut de) {
        Err(pe) => {
            let path = pe.path().to_string();
            let inner = pe.into_inner();
            let message = strip_position(&inner.to_string());
            if path.is_empty() || path == "." {
                invalid(None, message)
            } else {
                invalid(Some(&path), format!("field `{path}`: {message}"))
            }
        }
        Ok(_) => invalid(None, strip_position(&e.to_string())),
    }
}

/// serde_json ends messages with "at line 1 column 17"; the line is ours.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn count(n: &serde_json::Number) -> Result<u64, String> {
    let c = n
        .as_u64()
        .ok_or_else(|| format!("{n} is not a count; expected a whole number >= 0"))?;
    if c > MAX_COUNT {
        return Err(format!(
            "{n} is more than the store holds; expected a whole number from 0 to {MAX_COUNT}"
        ));
    }
    Ok(c)
}

/// Latencies are kept in whole nanoseconds: rounding there makes `0.3` s
/// exactly 300 ms, so a `300ms` threshold judges it as written.
fn latency(v: &serde_json::Number, unit: &Unit) -> Result<SignedDuration, String> {
    let x = v.as_f64().ok_or_else(|| format!("{v} is not a number"))?;
    if x < 0.0 {
        return Err(format!("{v} is negative; expected a latency >= 0"));
    }
    let ns = unit.to_canonical(x).round();
    // i64 nanoseconds hold 292 years.
    if !ns.is_finite() || ns >= 9.2e18 {
        return Err(format!(
            "{v} {} is too large; expected a latency under 292 years",
            unit.symbol()
        ));
    }
    Ok(SignedDuration::from_nanos(ns as i64))
}

/// Latencies of ok raw events, counted in bins fine enough that any latency
/// threshold can be judged later.
///
/// A latency of `n` whole nanoseconds is kept under its bin's upper bound:
/// `n` itself up to 1 µs, above that `n` rounded **up** to three significant
/// digits (1234 ns → 1240 ns, 0.1834 s → 0.184 s). So "latency ≤ T" is
/// exact whenever `T` has at most three significant digits in nanoseconds
/// (300 ms, 250 ms, 1.25 s, 20 s, 125 µs — every threshold people write);
/// any other `T` is judged as if rounded down to three significant digits,
/// which is less than 1 % lower (the widest bin, just above a power of ten,
/// is 1 % of its value), so such an SLO can only count too few good events,
/// never too many. A bin costs the same whatever the traffic; at most 900
/// bins per decade of latency exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// Upper bound in nanoseconds → events.
    bins: BTreeMap<u64, u64>,
}

impl LatencyHistogram {
    /// The upper bound of the bin `ns` falls in.
    pub fn bin_of(ns: u64) -> u64 {
        if ns <= 1000 {
            return ns;
        }
        let digits = ns.ilog10() + 1;
        let step = 10u64.pow(digits - 3);
        ns.div_ceil(step).saturating_mul(step)
    }

    pub fn record(&mut self, latency: SignedDuration) {
        self.record_n(nanos(latency), 1);
    }

    fn record_n(&mut self, ns: u64, n: u64) {
        let e = self.bins.entry(Self::bin_of(ns)).or_insert(0);
        *e = e.saturating_add(n);
    }

    /// Builds a histogram from `(upper bound ns, events)` pairs, as
    /// [`LatencyHistogram::bins`] gives them (bounds are re-binned, so any
    /// pairs are accepted).
    pub fn from_bins(bins: impl IntoIterator<Item = (u64, u64)>) -> LatencyHistogram {
        let mut h = LatencyHistogram::default();
        for (ns, n) in bins {
            if n > 0 {
                h.record_n(ns, n);
            }
        }
        h
    }

    /// `(upper bound ns, events)` in ascending order of bound.
    pub fn bins(&self) -> impl ExactSizeIterator<Item = (u64, u64)> + '_ {
        self.bins.iter().map(|(&k, &v)| (k, v))
    }

    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    /// All events.
    pub fn total(&self) -> u64 {
        self.bins.values().fold(0u64, |a, &n| a.saturating_add(n))
    }

    /// Events whose latency is at most `threshold` (see the type's doc for
    /// when this is exact).
    pub fn count_at_most(&self, threshold: SignedDuration) -> u64 {
        if threshold.is_negative() {
            return 0;
        }
        self.bins
            .range(..=nanos(threshold))
            .fold(0u64, |a, (_, &n)| a.saturating_add(n))
    }

    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (&k, &n) in &other.bins {
            let e = self.bins.entry(k).or_insert(0);
            *e = e.saturating_add(n);
        }
    }

    /// Adds `other`'s events unless a bin would pass [`MAX_COUNT`]; on
    /// error nothing changed.
    pub fn try_merge(&mut self, other: &LatencyHistogram) -> Result<(), CountOverflow> {
        let overflow = other.bins.iter().any(|(k, &n)| {
            let have = self.bins.get(k).copied().unwrap_or(0);
            have.checked_add(n).is_none_or(|sum| sum > MAX_COUNT)
        });
        if overflow {
            return Err(CountOverflow { field: "latency" });
        }
        self.merge(other);
        Ok(())
    }
}

/// `have + add` if it stays within [`MAX_COUNT`].
fn checked_count(have: u64, add: u64, field: &'static str) -> Result<u64, CountOverflow> {
    have.checked_add(add)
        .filter(|&n| n <= MAX_COUNT)
        .ok_or(CountOverflow { field })
}

fn nanos(d: SignedDuration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(if d.is_negative() { 0 } else { u64::MAX })
}

/// The events of one stream in one time bucket, kept without judging them
/// against any threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBucket {
    /// Start of the bucket (a whole minute, or a whole hour once compacted).
    pub start: Timestamp,
    /// One minute, or longer for compacted old data.
    pub width: SignedDuration,
    /// Good events as `ok` (or the pre-aggregated `good`) judges them.
    pub good: u64,
    pub total: u64,
    /// Latencies of the raw events that were ok and gave a value.
    pub latency: LatencyHistogram,
}

impl EventBucket {
    /// An empty bucket.
    pub fn new(start: Timestamp, width: SignedDuration) -> EventBucket {
        EventBucket {
            start,
            width,
            good: 0,
            total: 0,
            latency: LatencyHistogram::default(),
        }
    }

    /// Adds one event (its time is not checked against the bucket).
    pub fn add(&mut self, kind: EventKind) {
        match kind {
            EventKind::Counts(c) => {
                self.good = self.good.saturating_add(c.good);
                self.total = self.total.saturating_add(c.total);
            }
            EventKind::Raw { ok, latency } => {
                self.total = self.total.saturating_add(1);
                if ok {
                    self.good = self.good.saturating_add(1);
                    if let Some(l) = latency {
                        self.latency.record(l);
                    }
                }
            }
        }
    }

    /// Adds one event unless a count would pass [`MAX_COUNT`]; on error
    /// the bucket is unchanged.
    pub fn try_add(&mut self, kind: EventKind) -> Result<(), CountOverflow> {
        let (good, total) = match kind {
            EventKind::Counts(c) => (c.good, c.total),
            EventKind::Raw { ok, .. } => (u64::from(ok), 1),
        };
        let good = checked_count(self.good, good, "good")?;
        let total = checked_count(self.total, total, "total")?;
        if let EventKind::Raw {
            ok: true,
            latency: Some(l),
        } = kind
        {
            let bin = LatencyHistogram::bin_of(nanos(l));
            if checked_count(
                self.latency.bins.get(&bin).copied().unwrap_or(0),
                1,
                "latency",
            )
            .is_err()
            {
                return Err(CountOverflow { field: "latency" });
            }
            self.latency.record(l);
        }
        self.good = good;
        self.total = total;
        Ok(())
    }

    /// Adds another bucket's events to this one unless a count would pass
    /// [`MAX_COUNT`]; on error the bucket is unchanged.
    pub fn try_merge(&mut self, other: &EventBucket) -> Result<(), CountOverflow> {
        let good = checked_count(self.good, other.good, "good")?;
        let total = checked_count(self.total, other.total, "total")?;
        self.latency.try_merge(&other.latency)?;
        self.good = good;
        self.total = total;
        Ok(())
    }

    /// Adds another bucket's events to this one (saturating; see
    /// [`EventBucket::try_merge`] for the checked form).
    pub fn merge(&mut self, other: &EventBucket) {
        self.good = self.good.saturating_add(other.good);
        self.total = self.total.saturating_add(other.total);
        self.latency.merge(&other.latency);
    }

    /// Good and total under `class`. For a latency threshold, the ok raw
    /// events with a value count as good only when within the threshold
    /// (through the histogram); pre-aggregated counts and ok events without
    /// a value keep their `ok` verdict.
    pub fn counts(&self, class: Classification) -> Counts {
        match class {
            Classification::Availability => Counts {
                good: self.good,
                total: self.total,
            },
            Classification::Latency { threshold } => {
                let with_value = self.latency.total();
                let within = self.latency.count_at_most(threshold);
                Counts {
                    good: self.good.saturating_sub(with_value).saturating_add(within),
                    total: self.total,
                }
            }
        }
    }
}

/// Prefix-summed minute counts of `buckets` under `class`, for constant-time
/// window lookups. A bucket wider than a minute counts at its start.
pub fn minute_counts(buckets: &[EventBucket], class: Classification) -> MinuteCounts {
    let events: Vec<(Timestamp, u64, u64)> = buckets
        .iter()
        .map(|b| {
            let c = b.counts(class);
            (b.start, c.good, c.total)
        })
        .collect();
    MinuteCounts::from_events(&events)
}

/// Reads every event of `stream` in `input` and counts them per minute,
/// judged exactly by `class` (no histogram rounding). Other streams are
/// checked and skipped; any bad line fails the whole read.
pub fn fold_stream<R: BufRead>(
    input: R,
    file: &str,
    stream: &str,
    class: Classification,
) -> Result<MinuteCounts, EventError> {
    let mut reader = EventReader::new(input, file);
    let mut minutes: BTreeMap<i64, Counts> = BTreeMap::new();
    while let Some(ev) = reader.next_event()? {
        if ev.stream != stream {
            continue;
        }
        let c = class.judge(ev.kind);
        let m = minutes.entry(minute_of(ev.at)).or_default();
        m.good = m.good.saturating_add(c.good);
        m.total = m.total.saturating_add(c.total);
    }
    let events: Vec<(Timestamp, u64, u64)> = minutes
        .into_iter()
        .filter_map(|(m, c)| Some((Timestamp::from_second(m * 60).ok()?, c.good, c.total)))
        .collect();
    Ok(MinuteCounts::from_events(&events))
}

fn minute_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(60)
}

/// Events of several streams gathered into one-minute [`EventBucket`]s:
/// what one `sloe slo ingest` stores, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct EventBatch {
    streams: HashMap<String, BTreeMap<i64, EventBucket>>,
    events: u64,
}

impl EventBatch {
    /// Reads all of `input`; the first bad line fails the read.
    pub fn read<R: BufRead>(input: R, file: &str) -> Result<EventBatch, EventError> {
        let mut batch = EventBatch::default();
        let mut reader = EventReader::new(input, file);
        while let Some(ev) = reader.next_event()? {
            if let Err(e) = batch.add(&ev) {
                return Err(e.at(file, reader.line()));
            }
        }
        Ok(batch)
    }

    /// Adds one event to its minute; on [`CountOverflow`] nothing changed.
    pub fn add(&mut self, ev: &Event<'_>) -> Result<(), CountOverflow> {
        let minutes = match self.streams.get_mut(ev.stream.as_ref()) {
            Some(m) => m,
            None => self.streams.entry(ev.stream.to_string()).or_default(),
        };
        let m = minute_of(ev.at);
        minutes
            .entry(m)
            .or_insert_with(|| {
                EventBucket::new(
                    Timestamp::from_second(m * 60).unwrap_or(ev.at),
                    SignedDuration::from_mins(1),
                )
            })
            .try_add(ev.kind)?;
        self.events += 1;
        Ok(())
    }

    /// Lines read.
    pub fn events(&self) -> u64 {
        self.events
    }

    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// Stream names, sorted.
    pub fn stream_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.streams.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The buckets of `stream` in time order (empty for an unknown stream).
    pub fn buckets(&self, stream: &str) -> Vec<EventBucket> {
        self.streams
            .get(stream)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every stream with its buckets in time order, streams sorted by name.
    pub fn into_streams(self) -> Vec<(String, Vec<EventBucket>)> {
        let mut out: Vec<(String, Vec<EventBucket>)> = self
            .streams
            .into_iter()
            .map(|(s, m)| (s, m.into_values().collect()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn read_all(text: &str) -> Result<Vec<Event<'static>>, EventError> {
        let mut r = EventReader::new(text.as_bytes(), "events.jsonl");
        let mut out = Vec::new();
        while let Some(ev) = r.next_event()? {
            out.push(Event {
                stream: Cow::Owned(ev.stream.into_owned()),
                at: ev.at,
                kind: ev.kind,
            });
        }
        Ok(out)
    }

    fn error(text: &str) -> String {
        read_all(text).expect_err(text).to_string()
    }

    #[test]
    fn both_forms_of_design_md_parse() {
        let events = read_all(
            "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":990,\"total\":1000}\n\
             \n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:31+01:00\",\"value\":0.183,\"ok\":true}\r\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:32Z\",\"value\":250,\"unit\":\"ms\"}\n\
             {\"stream\":\"web\",\"ts\":\"2026-11-20T10:00:33Z\",\"ok\":false}",
        )
        .expect("valid");
        assert_eq!(events.len(), 4);
        assert_eq!(
            events[0].kind,
            EventKind::Counts(Counts {
                good: 990,
                total: 1000
            })
        );
        assert_eq!(events[1].at, ts("2026-11-20T09:00:31Z"));
        assert_eq!(
            events[1].kind,
            EventKind::Raw {
                ok: true,
                latency: Some(SignedDuration::from_millis(183))
            }
        );
        assert_eq!(
            events[2].kind,
            EventKind::Raw {
                ok: true,
                latency: Some(SignedDuration::from_millis(250))
            }
        );
        assert_eq!(
            events[3].kind,
            EventKind::Raw {
                ok: false,
                latency: None
            }
        );
    }

    #[test]
    fn errors_name_file_line_field_and_expectation() {
        let ok = "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":1,\"total\":1}\n";
        let cases = [
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":1001,\"total\":1000}",
                "field `good`: 1001 is more than total (1000); expected good <= total",
            ),
            (
                "{\"stream\":\"api\",\"good\":1,\"total\":1}",
                "field `ts`: is missing; expected an RFC 3339 timestamp",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"yesterday\",\"good\":1,\"total\":1}",
                "field `ts`: \"yesterday\" is not a timestamp",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"value\":-0.5}",
                "field `value`: -0.5 is negative; expected a latency >= 0",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":1.5,\"total\":2}",
                "field `good`: 1.5 is not a count; expected a whole number >= 0",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":-1,\"total\":2}",
                "field `good`: -1 is not a count",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":1}",
                "field `total`: is missing",
            ),
            (
                "{\"ts\":\"2026-11-20T10:00:30Z\",\"good\":1,\"total\":1}",
                "field `stream`: is missing",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"ok\":\"yes\"}",
                "field `ok`: invalid type: string \"yes\", expected a boolean",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"value\":1,\"unit\":\"GiB\"}",
                "field `unit`: \"GiB\" is not a time unit",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":1,\"total\":1,\"ok\":true}",
                "field `ok`: is set on a pre-aggregated line",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"latency\":1}",
                "unknown field `latency`",
            ),
            (
                "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\"}",
                "neither good/total nor value/ok",
            ),
            ("{\"stream\":\"api\",", "not a JSON object"),
            ("[1,2]", "not a JSON object"),
        ];
        for (line, expected) in cases {
            let msg = error(&format!("{ok}{line}\n{ok}"));
            assert!(
                msg.starts_with("read events at events.jsonl:2: "),
                "{line}: {msg}"
            );
            assert!(msg.contains(expected), "{line}: {msg}");
            assert!(!msg.contains("line 1"), "{line}: {msg}");
        }
    }

    #[test]
    fn errors_carry_line_and_field() {
        let err = read_all("\n\n{\"stream\":\"a\",\"ts\":\"2026-11-20T10:00:30Z\",\"value\":-1}")
            .expect_err("negative");
        assert_eq!(err.line(), Some(3));
        match err {
            EventError::Invalid { field, .. } => assert_eq!(field.as_deref(), Some("value")),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn hostile_lines_name_their_field_and_value() {
        // issue 15: a number that overflows to infinity names field and text
        let e = error(r#"{"stream":"api","ts":"2026-11-20T10:00:45Z","value":1e999}"#);
        assert!(
            e.contains("events.jsonl:1: field `value`: 1e999 is too large"),
            "{e}"
        );
        let e = error(r#"{"stream":"api","ts":"2026-11-20T10:00:45Z","good":1,"total":-2e400}"#);
        assert!(e.contains("field `total`: -2e400 is too large"), "{e}");
        // a NUL in a stream name
        let e = error(r#"{"stream":"a\u0000pi","ts":"2026-11-20T10:00:45Z","ok":true}"#);
        assert!(e.contains("field `stream`") && e.contains("NUL"), "{e}");
        // counts past what the store holds
        let e = error(
            r#"{"stream":"api","ts":"2026-11-20T10:00:45Z","good":18446744073709551615,"total":18446744073709551615}"#,
        );
        assert!(
            e.contains("field `good`: 18446744073709551615 is more than the store holds"),
            "{e}"
        );
        // a timestamp outside what a timestamp holds names file and line
        let e = error(
            "\n{\"stream\":\"api\",\"ts\":\"-009999-01-01T00:00:00Z\",\"good\":1,\"total\":1}",
        );
        assert!(e.contains("events.jsonl:2: field `ts`"), "{e}");
        // a byte-order mark at the start is accepted
        let events =
            read_all("\u{feff}{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:45Z\",\"ok\":true}\n")
                .expect("BOM");
        assert_eq!(events[0].stream, "api");
    }

    #[test]
    fn a_sum_past_what_a_bucket_holds_is_refused_not_clamped() {
        let text = format!(
            "{{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:05Z\",\"good\":900,\"total\":1000}}\n{{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:45Z\",\"good\":{MAX_COUNT},\"total\":{MAX_COUNT}}}\n"
        );
        let e = EventBatch::read(text.as_bytes(), "events.jsonl")
            .expect_err("overflow")
            .to_string();
        assert!(e.contains("events.jsonl:2: field `good`"), "{e}");
        assert!(e.contains("would exceed"), "{e}");
        let mut bucket = EventBucket::new(ts("2026-11-20T10:00:00Z"), SignedDuration::from_mins(1));
        bucket
            .try_add(EventKind::Counts(Counts { good: 9, total: 10 }))
            .expect("fits");
        let full = EventBucket {
            good: MAX_COUNT,
            total: MAX_COUNT,
            ..bucket.clone()
        };
        assert_eq!(
            bucket.clone().try_merge(&full),
            Err(CountOverflow { field: "good" })
        );
        let mut unchanged = bucket.clone();
        let _ = unchanged.try_merge(&full);
        assert_eq!(unchanged, bucket);
    }

    #[test]
    fn escaped_stream_names_are_read() {
        let ev = read_all("{\"stream\":\"a\\u0062\",\"ts\":\"2026-11-20T10:00:30Z\",\"ok\":true}")
            .expect("valid");
        assert_eq!(ev[0].stream, "ab");
    }

    #[test]
    fn histogram_is_exact_for_three_significant_digits() {
        assert_eq!(LatencyHistogram::bin_of(0), 0);
        assert_eq!(LatencyHistogram::bin_of(999), 999);
        assert_eq!(LatencyHistogram::bin_of(1000), 1000);
        assert_eq!(LatencyHistogram::bin_of(1001), 1010);
        assert_eq!(LatencyHistogram::bin_of(1234), 1240);
        assert_eq!(LatencyHistogram::bin_of(300_000_000), 300_000_000);
        assert_eq!(LatencyHistogram::bin_of(300_000_001), 301_000_000);
        let mut h = LatencyHistogram::default();
        for ms in [299, 300, 301, 183] {
            h.record(SignedDuration::from_millis(ms));
        }
        h.record(SignedDuration::from_nanos(300_000_001));
        assert_eq!(h.count_at_most(SignedDuration::from_millis(300)), 3);
        assert_eq!(h.count_at_most(SignedDuration::from_millis(301)), 5);
        assert_eq!(h.count_at_most(SignedDuration::from_millis(182)), 0);
        assert_eq!(h.total(), 5);
        // A threshold with more digits is judged as if rounded down:
        // 300.5 ms → 300 ms (the 300.000001 ms event is not counted).
        assert_eq!(h.count_at_most(SignedDuration::from_micros(300_500)), 3);
    }

    #[test]
    fn one_raw_stream_feeds_availability_and_latency() {
        // 4 raw events in one minute: ok 100 ms, ok 400 ms, failed 50 ms, ok
        // without a value; plus a pre-aggregated 9 of 10.
        let batch = EventBatch::read(
            "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:01Z\",\"value\":0.1}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:02Z\",\"value\":0.4,\"ok\":true}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:03Z\",\"value\":50,\"unit\":\"ms\",\"ok\":false}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:04Z\",\"ok\":true}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:05Z\",\"good\":9,\"total\":10}\n"
                .as_bytes(),
            "f",
        )
        .expect("valid");
        let b = batch.buckets("api");
        assert_eq!(b.len(), 1);
        // availability: ok events 3 + 9 good of 4 + 10 = 14
        assert_eq!(
            b[0].counts(Classification::Availability),
            Counts {
                good: 12,
                total: 14
            }
        );
        // 300 ms: the 400 ms event turns bad: 11 of 14
        let latency = Classification::Latency {
            threshold: SignedDuration::from_millis(300),
        };
        assert_eq!(
            b[0].counts(latency),
            Counts {
                good: 11,
                total: 14
            }
        );
        // the exact fold of the file agrees
        let exact = fold_stream(
            "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:01Z\",\"value\":0.1}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:02Z\",\"value\":0.4,\"ok\":true}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:03Z\",\"value\":50,\"unit\":\"ms\",\"ok\":false}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:04Z\",\"ok\":true}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:05Z\",\"good\":9,\"total\":10}\n\
             {\"stream\":\"web\",\"ts\":\"2026-11-20T10:00:05Z\",\"good\":0,\"total\":10}\n"
                .as_bytes(),
            "f",
            "api",
            latency,
        )
        .expect("valid");
        assert_eq!(
            exact.range(ts("2026-11-20T10:00:00Z"), ts("2026-11-20T10:01:00Z")),
            Counts {
                good: 11,
                total: 14
            }
        );
        assert_eq!(
            minute_counts(&b, latency)
                .range(ts("2026-11-20T10:00:00Z"), ts("2026-11-20T10:01:00Z")),
            Counts {
                good: 11,
                total: 14
            }
        );
    }

    fn line(stream: u8, second: i64, kind: &(bool, u64, u64, u64)) -> String {
        let t = Timestamp::from_second(1_795_000_000 + second).expect("ts");
        let (raw, a, b, ms) = *kind;
        if raw {
            format!(
                "{{\"stream\":\"s{stream}\",\"ts\":\"{t}\",\"value\":{ms},\"unit\":\"ms\",\"ok\":{}}}",
                a % 2 == 0
            )
        } else {
            format!(
                "{{\"stream\":\"s{stream}\",\"ts\":\"{t}\",\"good\":{},\"total\":{}}}",
                a.min(b),
                a.max(b)
            )
        }
    }

    /// Timestamps within a minute read through the minute cache exactly
    /// as jiff parses them; other forms (offsets, no `Z`, leap seconds,
    /// lower-case) go to jiff.
    #[test]
    fn the_minute_cache_reads_what_jiff_reads() {
        let lines = [
            "2026-11-20T10:00:30Z",
            "2026-11-20T10:00:31.5Z",
            "2026-11-20T10:00:31.123456789Z",
            "2026-11-20T10:00:59.999Z",
            "2026-11-20T10:00:00.000000001Z",
            "2026-11-20T10:00:07+01:00",
            "2026-11-20T10:00:08Z",
            "2026-11-20t10:00:09z",
            "2026-11-20T10:00:10.Z",
            "2026-11-20T10:01:00Z",
            "2026-11-20T10:00:11Z",
        ];
        let text: String = lines
            .iter()
            .map(|t| format!("{{\"stream\":\"a\",\"ts\":\"{t}\",\"ok\":true}}\n"))
            .collect();
        let mut r = EventReader::new(text.as_bytes(), "events.jsonl");
        for t in lines {
            match (r.next_event(), t.parse::<Timestamp>()) {
                (Ok(Some(ev)), Ok(want)) => assert_eq!(ev.at, want, "{t}"),
                (Err(e), Err(_)) => assert_eq!(e.line(), Some(r.line()), "{t}"),
                (got, want) => panic!("{t}: read {got:?}, jiff {want:?}"),
            }
        }
    }

    proptest! {
        /// Any run of timestamps, as the reader sees them, is what jiff parses.
        #[test]
        fn timestamps_read_as_jiff_parses_them(
            steps in proptest::collection::vec((0i64..200_000_000_000, 0usize..10), 1..40),
        ) {
            let start = ts("2026-11-20T23:58:00Z");
            let mut text = String::new();
            let mut want = Vec::new();
            let mut t = start;
            for (step, digits) in steps {
                t = t.checked_add(SignedDuration::from_nanos(step)).expect("time");
                let s = t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
                let frac = format!("{:09}", t.subsec_nanosecond());
                let s = if digits == 0 { format!("{s}Z") } else { format!("{s}.{}Z", &frac[..digits]) };
                want.push(s.parse::<Timestamp>().expect("jiff"));
                text.push_str(&format!("{{\"stream\":\"a\",\"ts\":\"{s}\",\"ok\":true}}\n"));
            }
            let got: Vec<Timestamp> = read_all(&text).expect("read").iter().map(|e| e.at).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn bucketing_preserves_totals_and_ignores_order(
            lines in proptest::collection::vec(
                (0u8..3, 0i64..10_000, (any::<bool>(), 0u64..1000, 0u64..1000, 0u64..2000)),
                0..60,
            ),
            threshold in (1i64..1000, 0u32..3),
        ) {
            // thresholds of three significant digits: exact through the histogram
            let threshold_ms = threshold.0 * 10i64.pow(threshold.1);
            let text: Vec<String> = lines.iter().map(|(s, t, k)| line(*s, *t, k)).collect();
            let mut reversed = text.clone();
            reversed.reverse();
            let a = EventBatch::read(text.join("\n").as_bytes(), "a").expect("valid");
            let b = EventBatch::read(reversed.join("\n").as_bytes(), "b").expect("valid");
            prop_assert_eq!(a.events(), lines.len() as u64);
            let a = a.into_streams();
            prop_assert_eq!(&a, &b.into_streams());
            let class = Classification::Latency { threshold: SignedDuration::from_millis(threshold_ms) };
            for (stream, buckets) in &a {
                // totals over buckets are the totals over the lines
                let mut expected = Counts::default();
                let mut expected_latency = Counts::default();
                for (s, _, k) in &lines {
                    if format!("s{s}") != *stream { continue; }
                    let (raw, x, y, ms) = *k;
                    let kind = if raw {
                        EventKind::Raw { ok: x % 2 == 0, latency: Some(SignedDuration::from_millis(ms as i64)) }
                    } else {
                        EventKind::Counts(Counts { good: x.min(y), total: x.max(y) })
                    };
                    let c = Classification::Availability.judge(kind);
                    expected.good += c.good;
                    expected.total += c.total;
                    let c = class.judge(kind);
                    expected_latency.good += c.good;
                    expected_latency.total += c.total;
                }
                let all = minute_counts(buckets, Classification::Availability)
                    .range(Timestamp::MIN, Timestamp::MAX);
                prop_assert_eq!(all, expected);
                let all = minute_counts(buckets, class).range(Timestamp::MIN, Timestamp::MAX);
                prop_assert_eq!(all, expected_latency);
                // and the exact fold agrees
                let folded = fold_stream(text.join("\n").as_bytes(), "a", stream, class).expect("valid");
                prop_assert_eq!(folded.range(Timestamp::MIN, Timestamp::MAX), expected_latency);
            }
        }

        #[test]
        fn histogram_never_overcounts(ns in proptest::collection::vec(0u64..10_000_000_000, 0..50), t in 0u64..10_000_000_000) {
            let mut h = LatencyHistogram::default();
            for &n in &ns { h.record(SignedDuration::from_nanos(n as i64)); }
            let exact = ns.iter().filter(|&&n| n <= t).count() as u64;
            let approx = h.count_at_most(SignedDuration::from_nanos(t as i64));
            prop_assert!(approx <= exact);
            // every missed event lies within 1 % below the threshold
            let lower = ns.iter().filter(|&&n| (n as f64) <= t as f64 * 0.99).count() as u64;
            prop_assert!(approx >= lower);
            prop_assert_eq!(LatencyHistogram::from_bins(h.bins()), h);
        }

        #[test]
        fn arbitrary_lines_never_panic(s in ".{0,200}") {
            let _ = read_all(&s);
        }
    }
}
