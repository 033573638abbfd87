//! `sloe ingest`: read results files (or standard input) and record each as
//! a run, or with `--dry-run` show what was read.

use sloe_app::context::process_env;
use sloe_app::{Result, Settings, SystemClock, ingest};

use crate::Outcome;
use crate::args::IngestArgs;

pub fn run(settings: &Settings, args: &IngestArgs) -> Result<Outcome> {
    let inputs = ingest::read(
        &args.files,
        args.format,
        args.merge,
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
    for input in inputs {
        let r = ingest::record(
            settings,
            store.as_ref(),
            input,
            &given,
            &process_env,
            &SystemClock,
        )?;
        println!(
            "recorded run {} from {}: {} series, {} samples",
            r.id, r.origin, r.series, r.samples
        );
    }
    Ok(Outcome::Ok)
}
