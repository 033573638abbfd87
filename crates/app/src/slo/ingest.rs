//! SLI events into the store (`sloe slo ingest`): every input is read and
//! checked before anything is recorded, and all of them go into the store
//! in one transaction, so a bad line anywhere stores nothing. The content's
//! SHA-256 is the ingest key: the same input ingested twice counts once.
//!
//! Compaction (minute buckets older than the horizon rolled into hours)
//! runs after the events are committed, in a transaction of its own, in the
//! same process: sloe has no daemon to hand it to, and any later ingest
//! redoes what one leaves undone. So it is best-effort: when it fails, the
//! events are still recorded, the ingest succeeds, and the failure is
//! reported beside the summary (`compaction_error`), never as the ingest's
//! failure, which would invite a retry that counts the events twice (a
//! retry of the same content is skipped, but `--force` would not be).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use jiff::SignedDuration;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sloe_core::slo::EventBatch;
use sloe_core::slo::events::EventReader;
use sloe_store::EventsAdded;

use crate::{AppError, Clock, Result, Settings};

/// One input of events in JSON lines.
pub enum EventInput<'a> {
    /// A file, opened and named by its path.
    File(PathBuf),
    /// Any reader (standard input, a request body), named in messages by `name`.
    Reader {
        name: String,
        input: Box<dyn BufRead + 'a>,
    },
}

impl std::fmt::Debug for EventInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventInput::File(p) => f.debug_tuple("File").field(p).finish(),
            EventInput::Reader { name, .. } => {
                f.debug_struct("Reader").field("name", name).finish()
            }
        }
    }
}

/// How to ingest.
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestOptions {
    /// Record the events even if the same content was ingested before.
    pub force: bool,
    /// Roll one-minute buckets older than this many days into hours
    /// (0 keeps every minute).
    pub keep_minute_buckets_days: u32,
    /// Read and check the inputs, say what would be recorded, and leave
    /// the store alone (not even opened, so none is created).
    pub dry_run: bool,
}

/// What an ingest recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    pub events: u64,
    pub streams: Vec<String>,
    /// Bucket rows written (0 for a duplicate).
    pub buckets: u64,
    /// The same content was ingested before: nothing was recorded.
    pub duplicate: bool,
    /// Minute buckets rolled into hours.
    pub compacted: u64,
    /// Why compaction failed after the events were recorded (they are
    /// recorded, and the next ingest compacts them); `None` when it ran,
    /// found another compaction running, or was not asked for.
    pub compaction_error: Option<String>,
    pub store: String,
    /// A dry run: `buckets` is what would be written, and nothing was.
    pub dry_run: bool,
}

/// Reads `inputs`, records their events in the store of `settings` under
/// the digest of their contents, then compacts buckets older than
/// `keep_minute_buckets_days` before the clock's time. With `dry_run`,
/// stops after the reading: the summary says what would be recorded.
pub fn ingest_events(
    settings: &Settings,
    clock: &dyn Clock,
    inputs: Vec<EventInput<'_>>,
    options: IngestOptions,
) -> Result<IngestSummary> {
    let mut batch = EventBatch::default();
    let mut digests = Vec::with_capacity(inputs.len());
    for input in inputs {
        let digest = match input {
            EventInput::File(path) => {
                let shown = path.display().to_string();
                let f = std::fs::File::open(&path)
                    .map_err(|e| AppError::Input(format!("read {shown}: {e}")))?;
                read_into(&mut batch, BufReader::with_capacity(1 << 16, f), &shown)?
            }
            EventInput::Reader { name, input } => read_into(&mut batch, input, &name)?,
        };
        digests.push(digest);
    }
    let key = (!options.force).then(|| digests.join("+"));
    let events = batch.events();
    let streams = batch.into_streams();
    let names: Vec<String> = streams.iter().map(|(s, _)| s.clone()).collect();
    if options.dry_run {
        // Whether the content was ingested before is the store's to say;
        // a dry run does not open it, so it counts every bucket.
        return Ok(IngestSummary {
            events,
            streams: names,
            buckets: streams.iter().map(|(_, b)| b.len() as u64).sum(),
            duplicate: false,
            compacted: 0,
            compaction_error: None,
            store: settings.config.store.url.clone(),
            dry_run: true,
        });
    }
    // Before anything is recorded: once the events are, nothing may fail.
    let compact_before = if options.keep_minute_buckets_days > 0 {
        let before = clock
            .now()
            .checked_sub(SignedDuration::from_hours(
                24 * i64::from(options.keep_minute_buckets_days),
            ))
            .map_err(|e| AppError::Usage(format!("compute the compaction cut-off: {e}")))?;
        Some(before)
    } else {
        None
    };
    let store = settings.open_store()?;
    let added = store.add_events(key.as_deref(), &streams)?;
    // The events are committed: a failure from here on is a warning.
    let (compacted, compaction_error) = match compact_before.map(|b| store.compact_events(b)) {
        None => (0, None),
        Some(Ok(n)) => (n, None),
        Some(Err(e)) => (0, Some(e.to_string())),
    };
    Ok(IngestSummary {
        events,
        streams: names,
        buckets: match added {
            EventsAdded::Stored { buckets } => buckets,
            EventsAdded::AlreadyIngested => 0,
        },
        duplicate: added == EventsAdded::AlreadyIngested,
        compacted,
        compaction_error,
        store: store.describe(),
        dry_run: false,
    })
}

/// Reads one input's events into `batch`; its content digest.
fn read_into(batch: &mut EventBatch, input: impl BufRead, name: &str) -> Result<String> {
    let mut hashing = Digesting::new(input);
    let mut reader = EventReader::new(&mut hashing, name);
    while let Some(ev) = reader
        .next_event()
        .map_err(|e| AppError::Input(e.to_string()))?
    {
        batch.add(&ev);
    }
    drop(reader);
    Ok(hashing.digest())
}

/// A reader that digests what passes through it.
///
/// SHA-256, because the digest decides whether events are recorded at all:
/// a collision of the FNV-1a (64 bits) used before would silently drop a
/// file's data. Its prefix `sha256:` differs from the old keys'
/// (`fnv1a64:`), so an old key never matches a new one.
struct Digesting<R> {
    inner: R,
    hash: Sha256,
}

impl<R> Digesting<R> {
    fn new(inner: R) -> Digesting<R> {
        Digesting {
            inner,
            hash: Sha256::new(),
        }
    }

    fn digest(self) -> String {
        let sum = self.hash.finalize();
        let mut out = String::with_capacity(7 + 64);
        out.push_str("sha256:");
        for b in sum {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

impl<R: BufRead> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Digesting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            self.hash.update(&buf[..amt]);
        }
        self.inner.consume(amt);
    }
}

impl<R> std::fmt::Debug for Digesting<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Digesting").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use jiff::Timestamp;

    use super::*;
    use crate::FixedClock;

    fn settings(dir: &std::path::Path) -> Settings {
        let path = dir.join("sloe.toml");
        std::fs::write(&path, "").expect("write config");
        Settings::load(Some(&path), None).expect("settings")
    }

    fn reader(text: &str) -> EventInput<'static> {
        EventInput::Reader {
            name: "<test>".into(),
            input: Box::new(Cursor::new(text.as_bytes().to_vec())),
        }
    }

    fn clock() -> FixedClock {
        FixedClock("2026-11-23T12:00:00Z".parse::<Timestamp>().expect("time"))
    }

    const EVENTS: &str = "{\"stream\":\"api\",\"ts\":\"2026-11-23T11:00:00Z\",\"good\":9,\"total\":10}\n{\"stream\":\"web\",\"ts\":\"2026-11-23T11:00:30Z\",\"value\":0.2,\"ok\":true}\n";

    #[test]
    fn the_digest_is_the_sha256_of_the_content() {
        let mut batch = EventBatch::default();
        let digest = read_into(&mut batch, Cursor::new(EVENTS.as_bytes()), "x").expect("read");
        let reference: String = Sha256::digest(EVENTS.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, format!("sha256:{reference}"));
        // the SHA-256 of no bytes, as `sha256sum` prints it (FIPS 180-4 test vector)
        let empty = read_into(&mut EventBatch::default(), Cursor::new(b""), "x").expect("read");
        assert_eq!(
            empty,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(batch.events(), 2);
        // one byte more is another digest
        let other = read_into(
            &mut EventBatch::default(),
            Cursor::new(format!("{EVENTS}\n").as_bytes()),
            "x",
        )
        .expect("read");
        assert_ne!(digest, other);
    }

    #[test]
    fn the_digest_covers_what_a_tiny_buffer_passes_through() {
        // The reader consumes through both `read` and `consume`: the digest
        // must see every byte exactly once however the input is chunked.
        let whole = read_into(
            &mut EventBatch::default(),
            Cursor::new(EVENTS.as_bytes()),
            "x",
        )
        .expect("read");
        let chunked = read_into(
            &mut EventBatch::default(),
            BufReader::with_capacity(3, EVENTS.as_bytes()),
            "x",
        )
        .expect("read");
        assert_eq!(whole, chunked);
    }

    #[test]
    fn the_same_content_twice_is_recorded_once_unless_forced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        let first = ingest_events(
            &settings,
            &clock(),
            vec![reader(EVENTS)],
            IngestOptions::default(),
        )
        .expect("ingest");
        assert_eq!(first.events, 2);
        assert_eq!(first.streams, ["api", "web"]);
        assert!(!first.duplicate);
        assert!(first.buckets > 0);
        let again = ingest_events(
            &settings,
            &clock(),
            vec![reader(EVENTS)],
            IngestOptions::default(),
        )
        .expect("ingest");
        assert!(again.duplicate);
        assert_eq!(again.buckets, 0);
        let forced = ingest_events(
            &settings,
            &clock(),
            vec![reader(EVENTS)],
            IngestOptions {
                force: true,
                keep_minute_buckets_days: 0,
                dry_run: false,
            },
        )
        .expect("ingest");
        assert!(!forced.duplicate);
    }

    #[test]
    fn compaction_counts_from_the_clocks_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        let options = IngestOptions {
            force: false,
            keep_minute_buckets_days: 1,
            dry_run: false,
        };
        // the events are an hour old at the clock's time: kept as minutes
        let kept =
            ingest_events(&settings, &clock(), vec![reader(EVENTS)], options).expect("ingest");
        assert_eq!(kept.compacted, 0);
        // three days later they are older than a day: rolled into hours
        let later = FixedClock(
            clock()
                .0
                .checked_add(SignedDuration::from_hours(72))
                .expect("time"),
        );
        let rolled = ingest_events(
            &settings,
            &later,
            vec![reader(&EVENTS.replace("11:00", "11:01"))],
            options,
        )
        .expect("ingest");
        assert!(rolled.compacted > 0, "{rolled:?}");
    }

    #[test]
    fn a_bad_line_stores_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        let bad = format!(
            "{EVENTS}{{\"stream\":\"api\",\"ts\":\"2026-11-23T11:02:00Z\",\"good\":5,\"total\":4}}\n"
        );
        let err = ingest_events(
            &settings,
            &clock(),
            vec![reader(EVENTS), reader(&bad)],
            IngestOptions::default(),
        )
        .expect_err("bad line");
        assert!(matches!(err, AppError::Input(_)), "{err:?}");
        assert!(err.to_string().contains("<test>:3"), "{err}");
        // nothing stored: the first input is not a duplicate afterwards
        let first = ingest_events(
            &settings,
            &clock(),
            vec![reader(EVENTS)],
            IngestOptions::default(),
        )
        .expect("ingest");
        assert!(!first.duplicate);
    }

    #[test]
    fn a_dry_run_reads_and_counts_but_stores_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        let dry = IngestOptions {
            dry_run: true,
            ..IngestOptions::default()
        };
        let seen = ingest_events(&settings, &clock(), vec![reader(EVENTS)], dry).expect("reads");
        assert!(seen.dry_run);
        assert_eq!(
            (seen.events, seen.streams.clone()),
            (2, vec!["api".to_owned(), "web".to_owned()])
        );
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(files, ["sloe.toml"], "a dry run created a store");
        // A bad line is still an error.
        let bad = "{\"stream\":\"api\"}\n";
        ingest_events(&settings, &clock(), vec![reader(bad)], dry).expect_err("bad line");
        // What it said it would record is what a real ingest records.
        let real = ingest_events(
            &settings,
            &clock(),
            vec![reader(EVENTS)],
            IngestOptions::default(),
        )
        .expect("ingest");
        assert!(!real.duplicate, "the dry run recorded the content");
        assert_eq!((real.events, real.buckets), (seen.events, seen.buckets));
    }
}
