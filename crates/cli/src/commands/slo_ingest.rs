//! `sloe slo ingest FILE...`: SLI events (JSON lines) into the store.
//!
//! Every file is read and checked before anything is recorded, and all of
//! them go into the store in one transaction: a bad line anywhere exits 2
//! with file:line and stores nothing. The content's digest is the ingest
//! key, so the same file ingested twice counts once (`--force` records it
//! again).

use std::hash::Hasher;
use std::io::{BufRead, BufReader, Read};

use anyhow::{Context, Result};
use serde::Serialize;
use sloe_core::slo::EventBatch;
use sloe_core::slo::events::EventReader;
use sloe_store::EventsAdded;

use crate::Outcome;
use crate::args::{Global, OutputFormat, SloIngestArgs};

#[derive(Debug, Serialize)]
struct Summary {
    events: u64,
    streams: Vec<String>,
    buckets: u64,
    duplicate: bool,
    compacted: u64,
    store: String,
}

pub fn run(global: &Global, args: &SloIngestArgs) -> Result<Outcome> {
    let settings = crate::settings::load(global)?;
    let mut batch = EventBatch::default();
    let mut digests = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let digest = if file == "-" {
            read_into(&mut batch, std::io::stdin().lock(), "<stdin>")?
        } else {
            let f = std::fs::File::open(file).with_context(|| format!("read {file}"))?;
            read_into(&mut batch, BufReader::with_capacity(1 << 16, f), file)?
        };
        digests.push(digest);
    }
    let key = (!args.force).then(|| digests.join("+"));
    let events = batch.events();
    let streams = batch.into_streams();
    let names: Vec<String> = streams.iter().map(|(s, _)| s.clone()).collect();
    let store = settings.open_store()?;
    let added = store.add_events(key.as_deref(), &streams)?;
    let compacted = if args.keep_minutes > 0 {
        let before = jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(
                24 * i64::from(args.keep_minutes),
            ))
            .context("compute the compaction cut-off")?;
        store.compact_events(before)?
    } else {
        0
    };
    let summary = Summary {
        events,
        streams: names,
        buckets: match added {
            EventsAdded::Stored { buckets } => buckets,
            EventsAdded::AlreadyIngested => 0,
        },
        duplicate: added == EventsAdded::AlreadyIngested,
        compacted,
        store: store.describe(),
    };
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
        OutputFormat::Text if summary.duplicate => println!(
            "already ingested: the same events were recorded in {} before; nothing recorded (--force records them again)",
            summary.store
        ),
        OutputFormat::Text => println!(
            "recorded {} events of {} stream(s) ({}) in {} minute bucket(s) in {}",
            summary.events,
            summary.streams.len(),
            summary.streams.join(", "),
            summary.buckets,
            summary.store
        ),
    }
    Ok(Outcome::Ok)
}

/// Reads one file's events into `batch`; its content digest.
fn read_into(batch: &mut EventBatch, input: impl BufRead, file: &str) -> Result<String> {
    let mut hashing = Digesting::new(input);
    let mut reader = EventReader::new(&mut hashing, file);
    while let Some(ev) = reader.next_event()? {
        batch.add(&ev);
    }
    drop(reader);
    Ok(hashing.digest())
}

/// A reader that digests what passes through it (FNV-1a, 64 bits, plus the
/// length): enough to recognise a file ingested again, not a security
/// boundary.
struct Digesting<R> {
    inner: R,
    hash: Fnv1a,
    len: u64,
}

impl<R> Digesting<R> {
    fn new(inner: R) -> Digesting<R> {
        Digesting {
            inner,
            hash: Fnv1a::default(),
            len: 0,
        }
    }

    fn digest(&self) -> String {
        format!("fnv1a64:{:016x}:{}", self.hash.finish(), self.len)
    }
}

impl<R: BufRead> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.write(&buf[..n]);
        self.len += n as u64;
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
            self.hash.write(&buf[..amt]);
            self.len += amt as u64;
        }
        self.inner.consume(amt);
    }
}

#[derive(Debug, Clone, Copy)]
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl<R> std::fmt::Debug for Digesting<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Digesting").field("len", &self.len).finish()
    }
}
