//! `sloe ingest`: read results files (or standard input) and record each as
//! a run, or with `--dry-run` show what was read. Results recorded before
//! with the same context are skipped, naming that run (`--force` records
//! them again).

use serde_json::json;
use sloe_app::context::process_env;
use sloe_app::{Result, Settings, SystemClock, ingest};

use crate::Outcome;
use crate::args::{IngestArgs, OutputFormat};

pub fn run(settings: &Settings, args: &IngestArgs) -> Result<Outcome> {
    let inputs = ingest::read(
        &args.files,
        args.format,
        args.merge,
        args.allow_empty,
        &mut std::io::stdin().lock(),
    )?;
    // Said before anything is recorded or printed, so that it shows above
    // the results it qualifies.
    for w in inputs.iter().flat_map(|i| &i.parsed.warnings) {
        eprintln!("warning: {w}");
    }
    let given = args.context.partial();
    if args.dry_run {
        println!(
            "{}",
            crate::output::pretty_json(&ingest::preview(&inputs, &given), "what was read")?
        );
        return Ok(Outcome::Ok);
    }
    let store = settings.open_store()?;
    let mut runs = Vec::with_capacity(inputs.len());
    for input in inputs {
        let r = ingest::record(
            settings,
            store.as_ref(),
            input,
            &given,
            &process_env,
            &SystemClock,
            args.force,
        )?;
        if args.output == OutputFormat::Text {
            println!("{}", said(&r));
        }
        runs.push(r);
    }
    if args.output == OutputFormat::Json {
        let runs: Vec<_> = runs
            .iter()
            .map(|r| {
                json!({
                    "run": r.id.0,
                    "origin": r.origin,
                    "skipped": r.skipped,
                    "series": r.series,
                    "samples": r.samples,
                    "digest": r.digest,
                })
            })
            .collect();
        let doc = json!({
            "schema": "sloe.ingest/v1",
            "store": store.describe(),
            "runs": runs,
        });
        println!(
            "{}",
            crate::output::pretty_json(&doc, "the ingest summary")?
        );
    }
    Ok(Outcome::Ok)
}

/// The line a recorded or skipped run prints.
fn said(r: &ingest::Recorded) -> String {
    if r.skipped {
        format!(
            "skipped {}: already recorded as run {} (same results and context); `--force` records it again",
            r.origin, r.id
        )
    } else {
        format!(
            "recorded run {} from {}: {} series, {} samples",
            r.id, r.origin, r.series, r.samples
        )
    }
}
