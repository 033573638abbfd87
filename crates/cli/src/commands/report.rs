//! `sloe report`: render a run's verdict as files (json, md, html, junit).

use sloe_app::outputs;
use sloe_app::{Result, Settings};
use sloe_core::RunId;

use crate::Outcome;
use crate::args::ReportArgs;

/// `sloe report --format json,md,html,junit --out DIR [--since 30d] [--run ID]`.
pub fn run(settings: &Settings, args: &ReportArgs) -> Result<Outcome> {
    let store = settings.open_store_to_read()?;
    let report = super::check::judge(settings, store.as_ref(), args.run.map(RunId), None)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| settings.report_dir(None));
    let since = args.since.as_ref().unwrap_or(&settings.config.report.since);
    let written = outputs::of_report(
        settings,
        store.as_ref(),
        &report,
        &args.format.0,
        &dir,
        since,
    )?;
    written.write()?;
    for path in written.paths() {
        println!("wrote {}", path.display());
    }
    Ok(Outcome::Ok)
}
