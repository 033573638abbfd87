//! `sloe slo ingest FILE...`: SLI events (JSON lines) into the store.
//! Flags → `sloe_app::slo::ingest_events` → print.
//!
//! Every file is read and checked before anything is recorded, and all of
//! them go into the store in one transaction: a bad line anywhere exits 2
//! with file:line and stores nothing. Events are de-duplicated by their
//! parsed content (`sloe_app::slo::ingest`): the same events ingested twice
//! count once, a grown file adds only its new lines (`--force` records
//! everything again). `--dry-run` stops after the check and says what would be
//! recorded.
//! A compaction that fails after the events were recorded is a warning on
//! stderr (and `compaction_error` in the JSON), exit 0: the events are
//! stored, and a retry would count them twice.

use std::io::BufReader;
use std::path::PathBuf;

use sloe_app::Result;
use sloe_app::SystemClock;
use sloe_app::slo::{EventInput, IngestOptions, ingest_events};

use crate::Outcome;
use crate::args::{Global, OutputFormat, SloIngestArgs};

pub fn run(global: &Global, args: &SloIngestArgs) -> Result<Outcome> {
    let settings = super::slo::settings(global)?;
    let inputs = args
        .files
        .iter()
        .map(|file| {
            if file == "-" {
                // Unlocked: a lock held per input would hang on a second `-`.
                EventInput::Reader {
                    name: "<stdin>".to_owned(),
                    input: Box::new(BufReader::with_capacity(1 << 16, std::io::stdin())),
                }
            } else {
                EventInput::File(PathBuf::from(file))
            }
        })
        .collect();
    let options = IngestOptions {
        force: args.force,
        keep_minute_buckets_days: args.keep_minute_buckets_days,
        dry_run: args.dry_run,
    };
    let summary = ingest_events(&settings, &SystemClock, inputs, options)?;
    if let Some(e) = &summary.compaction_error {
        // The events are recorded; only the roll-up into hours waits.
        eprintln!(
            "warning: the events are recorded, but compacting old minute buckets failed (the next ingest compacts them; do not ingest these events again): failed to {e}"
        );
    }
    match args.format {
        OutputFormat::Json => println!(
            "{}",
            crate::output::pretty_json(&summary, "the ingest summary")?
        ),
        OutputFormat::Text if summary.duplicate => println!(
            "already ingested: the same events were recorded in {} before; nothing recorded (--force records them again)",
            summary.store
        ),
        OutputFormat::Text => {
            let what = format!(
                "{} events of {} stream(s) ({}) in {} minute bucket(s) in {}",
                summary.events,
                summary.streams.len(),
                summary.streams.join(", "),
                summary.buckets,
                summary.store
            );
            let skipped = if summary.skipped > 0 {
                format!(
                    "; {} event(s) skipped as already recorded (--force records them again)",
                    summary.skipped
                )
            } else {
                String::new()
            };
            if summary.dry_run {
                println!("would record {what}{skipped} (dry run: nothing recorded)");
            } else {
                println!("recorded {what}{skipped}");
            }
        }
    }
    Ok(Outcome::Ok)
}
