//! SLI events into the store (`sloe slo ingest`): every input is read and
//! checked before anything is recorded, and all of them go into the store
//! in one transaction, so a bad line anywhere stores nothing.
//!
//! De-duplication is by what is stored, not by the bytes: each event is
//! normalised to its parsed content ([`sloe_core::slo::Event::canonical`]),
//! a SHA-256 runs over an input's normalised events, and the ingest stores
//! (digest, events) with the digest of its first event. An input ingested
//! before adds nothing; an input whose first N events have the digest of an
//! earlier ingest of N events (a grown log) adds only the rest; an input
//! identical to an earlier one of the same command adds nothing; `force`
//! records everything. Limits (docs/json.md): identical events from two
//! real sources are taken for one; a shorter prefix ingested after its
//! grown version, or a grown input ingested at the same moment as its
//! earlier version, counts the shared events again. Empty inputs are
//! errors; bucket sums past what the store holds fail the whole ingest.
//!
//! Compaction (minute buckets older than the horizon rolled into hours)
//! runs after the events are committed, in a transaction of its own, in the
//! same process: sloe has no daemon to hand it to, and any later ingest
//! redoes what one leaves undone. So it is best-effort: when it fails, the
//! events are still recorded, the ingest succeeds, and the failure is
//! reported beside the summary (`compaction_error`), never as the ingest's
//! failure, which would invite a retry that counts the events twice (a
//! retry of the same events is skipped, but `--force` would not be).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use jiff::SignedDuration;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sloe_core::slo::events::EventReader;
use sloe_core::slo::{Event, EventBatch};
use sloe_store::{EventInputBatch, EventInputKey, Store, StoreError};

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
    /// Record every input whole, even what earlier ingests (or earlier
    /// inputs of this command) already hold.
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
    /// Events (records) read, skipped ones included.
    pub events: u64,
    pub streams: Vec<String>,
    /// Bucket rows written (0 for a duplicate).
    pub buckets: u64,
    /// Every input was ingested before: nothing was recorded.
    pub duplicate: bool,
    /// Events not added because the store (or an earlier input of the same
    /// command) already holds them.
    pub skipped: u64,
    /// Each input in the order given.
    pub inputs: Vec<InputSummary>,
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

/// What became of one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputSummary {
    /// The file's path, or `<stdin>`.
    pub name: String,
    /// Events read.
    pub events: u64,
    /// Of them, events already recorded (the first `skipped` of the input).
    pub skipped: u64,
    /// The whole input was recorded before: nothing of it was added.
    pub duplicate: bool,
}

/// Reads `inputs`, records their events in the store of `settings`
/// de-duplicated by content (see the module doc of
/// [`crate::slo::ingest`]), then compacts buckets older than
/// `keep_minute_buckets_days` before the clock's time. With `dry_run`,
/// stops after the reading: the summary says what would be recorded.
pub fn ingest_events(
    settings: &Settings,
    clock: &dyn Clock,
    inputs: Vec<EventInput<'_>>,
    options: IngestOptions,
) -> Result<IngestSummary> {
    // Opened at the first record (to look up earlier versions of the
    // input), unless nothing is looked up.
    let mut store: Option<Box<dyn Store>> = None;
    let mut read: Vec<ReadInput> = Vec::with_capacity(inputs.len());
    let mut streams: BTreeSet<String> = BTreeSet::new();
    for input in inputs {
        let mut earlier = |first: &str| -> Result<Vec<(String, u64)>> {
            let mut found: Vec<(String, u64)> = read
                .iter()
                .filter(|r| r.key.first == first)
                .map(|r| (r.key.digest.clone(), r.key.records))
                .collect();
            if !options.dry_run {
                if store.is_none() {
                    store = Some(settings.open_store()?);
                }
                if let Some(store) = &store {
                    found.extend(store.event_inputs_starting_with(first)?);
                }
            }
            Ok(found)
        };
        let lookup: Option<&mut Earlier<'_>> = (!options.force).then_some(&mut earlier);
        let one = match input {
            EventInput::File(path) => {
                let shown = path.display().to_string();
                let f = std::fs::File::open(&path)
                    .map_err(|e| AppError::Input(format!("read {shown}: {e}")))?;
                read_input(
                    BufReader::with_capacity(1 << 16, f),
                    shown,
                    lookup,
                    &mut streams,
                )?
            }
            EventInput::Reader { name, input } => read_input(input, name, lookup, &mut streams)?,
        };
        read.push(one);
    }
    // The same content given twice in one command counts once.
    let mut seen: HashSet<(String, u64)> = HashSet::new();
    let mut inputs: Vec<InputSummary> = Vec::with_capacity(read.len());
    let mut batches: Vec<EventInputBatch> = Vec::with_capacity(read.len());
    for r in read {
        let again = !seen.insert((r.key.digest.clone(), r.key.records)) && !options.force;
        inputs.push(InputSummary {
            name: r.name,
            events: r.key.records,
            skipped: if again { r.key.records } else { r.skipped },
            duplicate: again,
        });
        if !again {
            batches.push(EventInputBatch {
                key: r.key,
                streams: r.batch.into_streams(),
            });
        }
    }
    let events = inputs.iter().map(|i| i.events).sum();
    let names: Vec<String> = streams.into_iter().collect();
    if options.dry_run {
        // Whether the content was ingested before is the store's to say;
        // a dry run does not open it, so it counts every bucket it would
        // write but for what this command repeats.
        let buckets = batches
            .iter()
            .flat_map(|b| &b.streams)
            .flat_map(|(s, bs)| bs.iter().map(move |b| (s, b.start)))
            .collect::<HashSet<_>>()
            .len() as u64;
        return Ok(IngestSummary {
            events,
            streams: names,
            buckets,
            duplicate: inputs.iter().all(|i| i.duplicate),
            skipped: inputs.iter().map(|i| i.skipped).sum(),
            inputs,
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
    let store = match store {
        Some(store) => store,
        None => settings.open_store()?,
    };
    let added = store
        .add_event_inputs(&batches, options.force)
        .map_err(|e| match e {
            // A sum past what a bucket holds: the input's fault.
            StoreError::BadEvents(_) => AppError::Input(e.to_string()),
            e => AppError::Store(e),
        })?;
    // The store's verdicts belong to the inputs that were sent.
    let mut verdicts = added.duplicate.iter();
    for input in inputs.iter_mut().filter(|i| !i.duplicate) {
        if verdicts.next() == Some(&true) {
            input.duplicate = true;
            input.skipped = input.events;
        }
    }
    // The events are committed: a failure from here on is a warning.
    let (compacted, compaction_error) = match compact_before.map(|b| store.compact_events(b)) {
        None => (0, None),
        Some(Ok(n)) => (n, None),
        Some(Err(e)) => (0, Some(e.to_string())),
    };
    Ok(IngestSummary {
        events,
        streams: names,
        buckets: added.buckets,
        duplicate: inputs.iter().all(|i| i.duplicate),
        skipped: inputs.iter().map(|i| i.skipped).sum(),
        inputs,
        compacted,
        compaction_error,
        store: store.describe(),
        dry_run: false,
    })
}

/// Looks up, by the digest of an input's first event, the (digest, events)
/// of the ingests it may extend.
type Earlier<'a> = dyn FnMut(&str) -> Result<Vec<(String, u64)>> + 'a;

/// One input, read and checked.
struct ReadInput {
    name: String,
    key: EventInputKey,
    /// The events after the `skipped` first ones.
    batch: EventBatch,
    /// Leading events an earlier ingest (or input) already holds.
    skipped: u64,
}

/// Reads one input: every event is checked and digested; the events after
/// the longest prefix that `earlier` (given the digest of the first event)
/// says is recorded go into the batch. `None` looks nothing up.
fn read_input(
    input: impl BufRead,
    name: String,
    mut earlier: Option<&mut Earlier<'_>>,
    streams: &mut BTreeSet<String>,
) -> Result<ReadInput> {
    let mut reader = EventReader::new(input, name.as_str());
    let mut digest = RecordDigest::default();
    let mut batch = EventBatch::default();
    let mut skipped = 0;
    let mut first = String::new();
    // records → digests of earlier ingests of that many records
    let mut prefixes: HashMap<u64, Vec<String>> = HashMap::new();
    loop {
        let Some(ev) = reader
            .next_event()
            .map_err(|e| AppError::Input(e.to_string()))?
        else {
            break;
        };
        digest.add(&ev);
        if !streams.contains(ev.stream.as_ref()) {
            streams.insert(ev.stream.to_string());
        }
        let added = batch.add(&ev);
        let line = reader.line();
        added.map_err(|e| AppError::Input(e.at(&name, line).to_string()))?;
        let n = digest.records;
        if n == 1 {
            first = digest.value();
            if let Some(earlier) = earlier.as_mut() {
                for (d, records) in earlier(&first)? {
                    prefixes.entry(records).or_default().push(d);
                }
            }
        }
        if let Some(known) = prefixes.get(&n)
            && known.contains(&digest.value())
        {
            // The first n events are recorded: only what follows counts.
            batch = EventBatch::default();
            skipped = n;
        }
    }
    if digest.records == 0 {
        return Err(AppError::Input(format!(
            "read events from {name}: it holds no events (it is empty or only whitespace); expected one JSON event per line, e.g. {{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:30Z\",\"good\":990,\"total\":1000}}"
        )));
    }
    Ok(ReadInput {
        key: EventInputKey {
            digest: digest.value(),
            records: digest.records,
            first,
        },
        name,
        batch,
        skipped,
    })
}

/// SHA-256 running over an input's events normalised to their parsed
/// content ([`sloe_core::slo::Event::canonical`]): CRLF, whitespace, key
/// order, escapes and number spelling do not change it; every event
/// (its stream, time and counts or verdict and latency) does.
#[derive(Default)]
struct RecordDigest {
    hash: Sha256,
    records: u64,
    buf: Vec<u8>,
}

impl RecordDigest {
    fn add(&mut self, ev: &Event<'_>) {
        ev.canonical(&mut self.buf);
        // Each record's encoding is self-delimiting (length-prefixed name,
        // fixed-width fields), so concatenation is unambiguous.
        self.hash.update(&self.buf);
        self.records += 1;
    }

    /// `sha256:<hex>` of the events so far.
    fn value(&self) -> String {
        let sum = self.hash.clone().finalize();
        let mut out = String::with_capacity(7 + 64);
        out.push_str("sha256:");
        for b in sum {
            out.push_str(&format!("{b:02x}"));
        }
        out
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

    fn key(text: &str) -> EventInputKey {
        let mut streams = BTreeSet::new();
        read_input(Cursor::new(text.as_bytes()), "x".into(), None, &mut streams)
            .expect("read")
            .key
    }

    #[test]
    fn the_digest_is_of_the_parsed_records_not_the_bytes() {
        let plain = key(EVENTS);
        assert_eq!(plain.records, 2);
        // CRLF, blank lines, spaces, key order, escapes, number spelling,
        // units and time offsets say the same events: the same key.
        let crlf = EVENTS.replace('\n', "\r\n");
        assert_eq!(key(&crlf), plain);
        let reordered = "\u{feff}{\"total\":10,\"good\":9,\"ts\":\"2026-11-23T12:00:00+01:00\",\"stream\":\"\\u0061pi\"}\n\n  {\"stream\":\"web\",\"ts\":\"2026-11-23T11:00:30Z\",\"value\":200,\"unit\":\"ms\",\"ok\":true}  \n";
        assert_eq!(key(reordered), plain);
        // Any change of what an event says is another key.
        assert_ne!(key(&EVENTS.replace("\"good\":9", "\"good\":8")), plain);
        assert_ne!(key(&EVENTS.replace("0.2", "0.3")), plain);
        assert_ne!(key(&EVENTS.replace("11:00:30", "11:00:31")), plain);
        // The first record's digest is the key of the first line alone.
        let first_line = EVENTS.lines().next().expect("line");
        let alone = key(first_line);
        assert_eq!(alone.first, plain.first);
        assert_eq!(alone.digest, plain.first);
        assert_ne!(plain.digest, plain.first);
    }

    #[test]
    fn the_digest_does_not_depend_on_how_the_input_is_chunked() {
        let mut streams = BTreeSet::new();
        let chunked = read_input(
            BufReader::with_capacity(3, EVENTS.as_bytes()),
            "x".into(),
            None,
            &mut streams,
        )
        .expect("read");
        assert_eq!(chunked.key, key(EVENTS));
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

    fn ingest(settings: &Settings, inputs: Vec<EventInput<'static>>) -> Result<IngestSummary> {
        ingest_events(settings, &clock(), inputs, IngestOptions::default())
    }

    fn stored_api(settings: &Settings) -> (u64, u64) {
        let store = settings.open_store().expect("store");
        let buckets = store
            .event_buckets("api", Timestamp::MIN, Timestamp::MAX)
            .expect("read");
        buckets
            .iter()
            .fold((0, 0), |(g, t), b| (g + b.good, t + b.total))
    }

    #[test]
    fn a_grown_input_adds_only_its_new_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        ingest(&settings, vec![reader(EVENTS)]).expect("ingest");
        assert_eq!(stored_api(&settings), (9, 10));
        let grown = format!(
            "{EVENTS}{{\"stream\":\"api\",\"ts\":\"2026-11-23T11:05:00Z\",\"good\":1,\"total\":2}}\n"
        );
        let second = ingest(&settings, vec![reader(&grown)]).expect("ingest");
        assert_eq!((second.events, second.skipped), (3, 2), "{second:?}");
        assert!(!second.duplicate);
        assert_eq!(stored_api(&settings), (10, 12));
        // and the grown input again, or the first one, adds nothing
        for again in [grown.as_str(), EVENTS] {
            let third = ingest(&settings, vec![reader(again)]).expect("ingest");
            assert!(third.duplicate, "{third:?}");
            assert_eq!(third.buckets, 0);
        }
        assert_eq!(stored_api(&settings), (10, 12));
    }

    #[test]
    fn the_same_input_twice_in_one_command_counts_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        let crlf = EVENTS.replace('\n', "\r\n");
        let s = ingest(&settings, vec![reader(EVENTS), reader(&crlf)]).expect("ingest");
        assert_eq!((s.events, s.skipped), (4, 2), "{s:?}");
        assert!(!s.duplicate);
        assert!(s.inputs[1].duplicate && !s.inputs[0].duplicate, "{s:?}");
        assert_eq!(stored_api(&settings), (9, 10));
        // forced, both count
        let forced = ingest_events(
            &settings,
            &clock(),
            vec![reader(EVENTS), reader(EVENTS)],
            IngestOptions {
                force: true,
                ..IngestOptions::default()
            },
        )
        .expect("ingest");
        assert_eq!(forced.skipped, 0);
        assert_eq!(stored_api(&settings), (27, 30));
    }

    #[test]
    fn an_empty_or_blank_input_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        for text in ["", "  \n\r\n\t\n", "\u{feff}\n"] {
            let err = ingest(&settings, vec![reader(text)]).expect_err("empty");
            assert!(matches!(err, AppError::Input(_)), "{err:?}");
            assert!(
                err.to_string().contains("<test>: it holds no events"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_sum_past_what_a_bucket_holds_stores_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path());
        let first =
            "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:05Z\",\"good\":900,\"total\":1000}\n";
        let max = "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:45Z\",\"good\":9223372036854775807,\"total\":9223372036854775807}\n";
        // in one input: the line that overflows its minute is named
        let err = ingest(&settings, vec![reader(&format!("{first}{max}"))]).expect_err("sum");
        assert!(err.to_string().contains("<test>:2: field `good`"), "{err}");
        // across ingests: the store refuses the sum and keeps its bucket
        ingest(&settings, vec![reader(first)]).expect("ingest");
        let err = ingest(&settings, vec![reader(max)]).expect_err("sum");
        assert!(matches!(err, AppError::Input(_)), "{err:?}");
        assert!(err.to_string().contains("would exceed"), "{err}");
        assert_eq!(stored_api(&settings), (900, 1000));
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
