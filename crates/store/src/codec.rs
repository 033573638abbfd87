//! How domain values become column values and back, the same for every
//! backend: timestamps as integer nanoseconds, units as their symbols,
//! directions as words, CI metadata as a JSON object.

use std::collections::{BTreeMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use sloe_core::fingerprint::Fingerprint;
use sloe_core::model::{
    Direction, NewRun, RunContext, RunHeader, RunId, Series, SeriesKey, Timeline,
};
use sloe_core::slo::events::MAX_COUNT;
use sloe_core::slo::{EventBucket, LatencyHistogram};
use sloe_core::units::Unit;

use crate::StoreError;

/// Nanoseconds since the Unix epoch; the range of an `i64` (1677 to 2262).
pub(crate) fn timestamp_to_ns(ts: Timestamp) -> Result<i64, StoreError> {
    i64::try_from(ts.as_nanosecond()).map_err(|_| StoreError::TimestampOutOfRange(ts))
}

pub(crate) fn ns_to_timestamp(ns: i64) -> Result<Timestamp, String> {
    Timestamp::from_nanosecond(i128::from(ns)).map_err(|e| format!("timestamp {ns} ns: {e}"))
}

/// A `before` bound as nanoseconds; bounds beyond what runs can have clamp.
pub(crate) fn clamp_ns(ts: Timestamp) -> i64 {
    let ns = ts.as_nanosecond();
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

pub(crate) fn saturating_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The current time, as the store records it.
pub(crate) fn now_ns() -> i64 {
    // An i64 of nanoseconds lasts until 2262.
    i64::try_from(Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

/// Checks what the database cannot: every sample is a finite number, the
/// rounds divide the samples and the timestamp fits. Duplicate series are left to the database's unique index
/// (see [`duplicate_series`]) so a failing insert is a real mid-transaction
/// failure, which the contract tests rely on to prove atomicity.
pub(crate) fn validate(run: &NewRun) -> Result<(), StoreError> {
    timestamp_to_ns(run.context.timestamp)?;
    let nul = |field: &str, value: &str| -> Result<(), StoreError> {
        if value.contains('\0') {
            return Err(StoreError::NulInText {
                field: field.to_owned(),
                value: value.to_owned(),
            });
        }
        Ok(())
    };
    let c = &run.context;
    for (field, value) in [
        ("commit", &c.commit),
        ("branch", &c.branch),
        ("testbed", &c.testbed),
        ("environment", &c.environment),
    ] {
        nul(field, value.as_deref().unwrap_or_default())?;
    }
    for (k, v) in &c.ci {
        nul("CI variable", k)?;
        nul(&format!("CI variable {k}"), v)?;
    }
    for s in &run.series {
        nul("benchmark name", &s.benchmark)?;
        nul("measure name", &s.measure)?;
    }
    for s in &run.series {
        if let Some(k) = s.round_size
            && (k == 0 || !s.values.len().is_multiple_of(k as usize))
        {
            return Err(StoreError::BadRounds {
                benchmark: s.benchmark.clone(),
                measure: s.measure.clone(),
                samples: s.values.len(),
                round_size: k,
            });
        }
        if let Some((index, &value)) = s.values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(StoreError::NonFiniteSample {
                benchmark: s.benchmark.clone(),
                measure: s.measure.clone(),
                index,
                value,
            });
        }
    }
    Ok(())
}

/// Checks timelines before a transaction starts: finite, non-negative
/// points and one timeline per benchmark.
pub(crate) fn validate_timelines(timelines: &[Timeline]) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    for t in timelines {
        let bad = |problem: String| StoreError::BadTimeline {
            benchmark: t.benchmark.clone(),
            problem,
        };
        if !seen.insert(t.benchmark.as_str()) {
            return Err(bad("appears more than once in the run".to_owned()));
        }
        if let Some((i, p)) = t.points.iter().enumerate().find(|(_, p)| {
            !(p.at_ms.is_finite()
                && p.at_ms >= 0.0
                && p.cpu_percent.is_finite()
                && p.cpu_percent >= 0.0)
        }) {
            return Err(bad(format!(
                "has an invalid point at index {i} (at_ms {}, cpu_percent {}); expected finite, non-negative numbers",
                p.at_ms, p.cpu_percent
            )));
        }
    }
    Ok(())
}

/// A timeline's points as stored (a JSON array).
pub(crate) fn timeline_to_json(t: &Timeline) -> String {
    // Finite numbers always serialize.
    serde_json::to_string(&t.points).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn timeline_from_json(benchmark: String, points: &str) -> Result<Timeline, String> {
    serde_json::from_str(points)
        .map(|points| Timeline { benchmark, points })
        .map_err(|e| format!("timeline points: {e}"))
}

/// The first series key that appears twice in `run`, to explain a unique
/// constraint violation.
pub(crate) fn duplicate_series(run: &NewRun) -> Option<StoreError> {
    let mut seen = HashSet::new();
    run.series
        .iter()
        .find(|s| !seen.insert((s.benchmark.as_str(), s.measure.as_str())))
        .map(|s| StoreError::DuplicateSeries {
            benchmark: s.benchmark.clone(),
            measure: s.measure.clone(),
        })
}

pub(crate) fn ci_to_json(ci: &BTreeMap<String, String>) -> String {
    // A map of strings always serializes.
    serde_json::to_string(ci).unwrap_or_else(|_| "{}".to_owned())
}

pub(crate) fn fingerprint_to_json(fingerprint: Option<&Fingerprint>) -> Option<String> {
    // Strings, numbers and a map of strings always serialize.
    fingerprint.and_then(|f| serde_json::to_string(f).ok())
}

pub(crate) fn fingerprint_from_json(text: Option<&str>) -> Result<Option<Fingerprint>, String> {
    text.map(|t| serde_json::from_str(t).map_err(|e| format!("environment fingerprint {t:?}: {e}")))
        .transpose()
}

pub(crate) fn ci_from_json(text: &str) -> Result<BTreeMap<String, String>, String> {
    serde_json::from_str(text).map_err(|e| format!("CI metadata {text:?}: {e}"))
}

/// Samples as little-endian f64s, appended to `buf`.
pub(crate) fn encode_samples(values: &[f64], buf: &mut Vec<u8>) {
    buf.clear();
    buf.reserve(values.len() * 8);
    for v in values {
        buf.extend_from_slice(&v.to_le_bytes());
    }
}

pub(crate) fn decode_samples(bytes: &[u8]) -> Result<Vec<f64>, String> {
    if !bytes.len().is_multiple_of(8) {
        return Err(format!(
            "samples blob of {} bytes is not a whole number of f64s",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            f64::from_le_bytes(b)
        })
        .collect())
}

/// A run header as read from a row, before it is checked.
pub(crate) struct RawHeader {
    pub id: i64,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub environment: Option<String>,
    pub timestamp_ns: i64,
    pub recorded_at_ns: i64,
    pub ci: String,
    pub fingerprint: Option<String>,
}

impl RawHeader {
    pub(crate) fn decode(self) -> Result<RunHeader, String> {
        Ok(RunHeader {
            id: RunId(self.id),
            context: RunContext {
                commit: self.commit,
                branch: self.branch,
                testbed: self.testbed,
                environment: self.environment,
                timestamp: ns_to_timestamp(self.timestamp_ns)?,
                ci: ci_from_json(&self.ci)?,
                fingerprint: fingerprint_from_json(self.fingerprint.as_deref())?.map(Box::new),
            },
            recorded_at: ns_to_timestamp(self.recorded_at_ns)?,
        })
    }
}

pub(crate) fn decode_series(
    key: SeriesKey,
    unit: &str,
    direction: &str,
    n: i64,
    values: Vec<f64>,
    round_size: Option<i64>,
) -> Result<Series, String> {
    let direction = Direction::parse(direction).ok_or_else(|| {
        format!(
            "series {}/{}: unknown direction {direction:?}",
            key.benchmark, key.measure
        )
    })?;
    if usize::try_from(n).ok() != Some(values.len()) {
        return Err(format!(
            "series {}/{}: {} samples stored where {n} were recorded",
            key.benchmark,
            key.measure,
            values.len()
        ));
    }
    let round_size = match round_size {
        None => None,
        Some(k) => match u32::try_from(k) {
            Ok(k) if k > 0 && values.len().is_multiple_of(k as usize) => Some(k),
            _ => {
                return Err(format!(
                    "series {}/{}: rounds of {k} samples cannot hold its {} samples",
                    key.benchmark,
                    key.measure,
                    values.len()
                ));
            }
        },
    };
    Ok(Series {
        benchmark: key.benchmark,
        measure: key.measure,
        unit: Unit::parse(unit),
        direction,
        values,
        round_size,
    })
}

/// A history glob (`*` any run of characters, `?` one character, nothing
/// else special) as a SQLite `GLOB` pattern: `[` would open a character
/// class there, and `[[]` is how GLOB spells a literal `[`.
pub(crate) fn glob_to_sqlite(glob: &str) -> String {
    glob.replace('[', "[[]")
}

/// A history glob as a PostgreSQL `LIKE … ESCAPE '\'` pattern.
pub(crate) fn glob_to_like(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len() + 4);
    for c in glob.chars() {
        match c {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_round_trip_bit_for_bit() {
        let values = [
            0.0,
            -0.0,
            1.5,
            f64::MIN_POSITIVE,
            f64::MAX,
            1e-300,
            0.1 + 0.2,
        ];
        let mut buf = Vec::new();
        encode_samples(&values, &mut buf);
        assert_eq!(buf.len(), values.len() * 8);
        let back = decode_samples(&buf).expect("a whole number of f64s");
        assert_eq!(
            back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert!(decode_samples(&[0; 7]).is_err());
    }

    #[test]
    fn timestamps_keep_nanoseconds_and_refuse_what_does_not_fit() {
        let ts: Timestamp = "2026-11-20T10:00:00.123456789Z"
            .parse()
            .expect("valid timestamp");
        let ns = timestamp_to_ns(ts).expect("in range");
        assert_eq!(ns_to_timestamp(ns).expect("in range"), ts);
        let far: Timestamp = "2300-01-01T00:00:00Z".parse().expect("valid timestamp");
        assert!(matches!(
            timestamp_to_ns(far),
            Err(StoreError::TimestampOutOfRange(_))
        ));
    }

    #[test]
    fn globs_translate_with_their_metacharacters_escaped() {
        assert_eq!(glob_to_like("build:*"), "build:%");
        assert_eq!(glob_to_like("a?c"), "a_c");
        assert_eq!(glob_to_like("100%_done\\x*"), "100\\%\\_done\\\\x%");
        assert_eq!(glob_to_sqlite("bench[1]*"), "bench[[]1]*");
    }
}

/// A latency histogram as bytes: for each bin in ascending order, the
/// difference of its upper bound (ns) to the previous one, then its count,
/// both LEB128 varints. A minute of typical traffic has tens of bins.
pub(crate) fn encode_latency(h: &LatencyHistogram) -> Vec<u8> {
    let mut out = Vec::with_capacity(h.bins().len() * 4);
    let mut prev = 0u64;
    for (bound, n) in h.bins() {
        put_varint(&mut out, bound - prev);
        put_varint(&mut out, n);
        prev = bound;
    }
    out
}

pub(crate) fn decode_latency(mut bytes: &[u8]) -> Result<LatencyHistogram, String> {
    let mut bins = Vec::new();
    let mut bound = 0u64;
    while !bytes.is_empty() {
        let delta = get_varint(&mut bytes)?;
        let n = get_varint(&mut bytes)?;
        bound = bound
            .checked_add(delta)
            .ok_or("latency histogram bound overflows")?;
        bins.push((bound, n));
    }
    Ok(LatencyHistogram::from_bins(bins))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let Some((&b, rest)) = bytes.split_first() else {
            return Err("latency histogram ends inside a number".to_owned());
        };
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("latency histogram number is longer than 64 bits".to_owned())
}

/// A bucket read back from its columns.
pub(crate) fn decode_bucket(
    start_s: i64,
    width_s: i64,
    good: i64,
    total: i64,
    latency: &[u8],
) -> Result<EventBucket, String> {
    let start =
        Timestamp::from_second(start_s).map_err(|e| format!("bucket start {start_s} s: {e}"))?;
    let good = u64::try_from(good).map_err(|_| format!("negative good count {good}"))?;
    let total = u64::try_from(total).map_err(|_| format!("negative total count {total}"))?;
    Ok(EventBucket {
        start,
        width: SignedDuration::from_secs(width_s),
        good,
        total,
        latency: decode_latency(latency)?,
    })
}

/// A count as it is written: at most `i64::MAX` ([`MAX_COUNT`]), which
/// [`validate_buckets`] and the checked merges keep.
pub(crate) fn count_to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| {
        StoreError::BadEvents(format!(
            "count {n} is more than the store holds (at most {MAX_COUNT})"
        ))
    })
}

/// `into` plus `bucket` of `stream`, checked: a count past [`MAX_COUNT`] is
/// an error naming the stream and bucket, never clamped.
pub(crate) fn add_bucket(
    into: &mut EventBucket,
    stream: &str,
    bucket: &EventBucket,
) -> Result<(), StoreError> {
    into.try_merge(bucket).map_err(|e| {
        StoreError::BadEvents(format!(
            "stream {stream:?}: bucket at {}: {e} (it holds good {} of {}, the ingest adds {} of {}); nothing recorded",
            into.start, into.good, into.total, bucket.good, bucket.total
        ))
    })?;
    into.width = into.width.max(bucket.width);
    Ok(())
}

/// Checks what the database cannot before an event ingest: stream names
/// are neither empty nor hold NUL, widths are positive whole seconds, good
/// <= total <= [`MAX_COUNT`].
pub(crate) fn validate_buckets(streams: &[(String, Vec<EventBucket>)]) -> Result<(), StoreError> {
    for (stream, buckets) in streams {
        if stream.is_empty() {
            return Err(StoreError::BadEvents(
                "a stream has an empty name".to_owned(),
            ));
        }
        if stream.contains('\0') {
            return Err(StoreError::BadEvents(format!(
                "stream {stream:?}: the name holds a NUL character; expected a stream name without one"
            )));
        }
        for b in buckets {
            let width = b.width.as_secs();
            if width <= 0 || b.width.subsec_nanos() != 0 {
                return Err(StoreError::BadEvents(format!(
                    "stream {stream:?}: bucket at {} is {:?} wide; expected whole seconds > 0",
                    b.start, b.width
                )));
            }
            if b.good > b.total {
                return Err(StoreError::BadEvents(format!(
                    "stream {stream:?}: bucket at {} has good {} > total {}",
                    b.start, b.good, b.total
                )));
            }
            if b.total > MAX_COUNT {
                return Err(StoreError::BadEvents(format!(
                    "stream {stream:?}: bucket at {} has total {}, more than the store holds (at most {MAX_COUNT})",
                    b.start, b.total
                )));
            }
        }
    }
    Ok(())
}

/// Buckets to write, merged by (stream, start): a batch may name a bucket
/// twice (two files merged by the caller) but the table's key may not.
/// Sums are checked ([`add_bucket`]).
pub(crate) fn merged_buckets<'a>(
    streams: impl IntoIterator<Item = &'a (String, Vec<EventBucket>)>,
) -> Result<BTreeMap<(&'a str, i64), EventBucket>, StoreError> {
    let mut out: BTreeMap<(&str, i64), EventBucket> = BTreeMap::new();
    for (stream, buckets) in streams {
        for b in buckets {
            match out.entry((stream.as_str(), b.start.as_second())) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(b.clone());
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    add_bucket(o.get_mut(), stream, b)?;
                }
            }
        }
    }
    Ok(out)
}

/// The buckets of the `inputs` the store has not seen before
/// (`duplicate[i]` false), merged as [`merged_buckets`] merges them: what
/// an event ingest writes once its keys are claimed.
pub(crate) fn fresh_buckets<'a>(
    inputs: &'a [crate::EventInputBatch],
    duplicate: &[bool],
) -> Result<BTreeMap<(&'a str, i64), EventBucket>, StoreError> {
    merged_buckets(
        inputs
            .iter()
            .zip(duplicate)
            .filter(|(_, dup)| !**dup)
            .flat_map(|(input, _)| &input.streams),
    )
}

/// For compaction: buckets older than `before` regrouped into whole
/// `width`s (starting at multiples of `width` since the epoch), keyed by
/// (stream, start seconds).
pub(crate) fn compacted(
    rows: Vec<(String, EventBucket)>,
    width: SignedDuration,
) -> Result<BTreeMap<(String, i64), EventBucket>, StoreError> {
    let w = width.as_secs().max(1);
    let mut out: BTreeMap<(String, i64), EventBucket> = BTreeMap::new();
    for (stream, b) in rows {
        let start = b.start.as_second().div_euclid(w) * w;
        let key = (stream, start);
        let e = out.entry(key.clone()).or_insert_with(|| {
            EventBucket::new(Timestamp::from_second(start).unwrap_or(b.start), width)
        });
        // Checked like an ingest's sums: an hour whose minutes add past
        // what the store holds fails the compaction, never clamps.
        add_bucket(e, &key.0, &b)?;
    }
    Ok(out)
}

#[cfg(test)]
mod event_tests {
    use super::*;

    /// Issue 15, item 1, for compaction: minutes whose sum no bucket can
    /// hold fail the roll-up instead of clamping the hour to i64::MAX.
    #[test]
    fn compaction_refuses_an_hour_past_what_a_bucket_holds() {
        let minute = |m: i64, good: u64, total: u64| {
            let start = Timestamp::from_second(1_795_168_800 + 60 * m).expect("a time");
            let mut b = EventBucket::new(start, SignedDuration::from_mins(1));
            b.good = good;
            b.total = total;
            ("api".to_owned(), b)
        };
        let max = sloe_core::slo::events::MAX_COUNT;
        let rows = vec![minute(0, 900, 1000), minute(1, max - 10, max - 10)];
        let e = compacted(rows, SignedDuration::from_hours(1)).expect_err("overflows");
        assert!(e.to_string().contains("\"api\""), "{e}");
        let fits = vec![minute(0, 900, 1000), minute(1, 5, 10)];
        let hours = compacted(fits, SignedDuration::from_hours(1)).expect("fits");
        let hour = hours.values().next().expect("one hour");
        assert_eq!((hour.good, hour.total), (905, 1010));
    }

    #[test]
    fn latency_histograms_round_trip() {
        let h = LatencyHistogram::from_bins([(0, 1), (999, 2), (1240, 3), (u64::MAX, 4)]);
        let bytes = encode_latency(&h);
        assert_eq!(decode_latency(&bytes), Ok(h));
        assert_eq!(decode_latency(&[]), Ok(LatencyHistogram::default()));
        assert!(decode_latency(&[0x80]).is_err());
    }
}
