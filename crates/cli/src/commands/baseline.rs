//! `sloe baseline set|show|clear`: pin, show or unpin the run others are
//! compared with.

use serde_json::json;
use sloe_app::{Result, Settings, baseline};
use sloe_core::RunId;

use crate::Outcome;
use crate::args::{BaselineAction, OutputFormat};

pub fn run(settings: &Settings, action: BaselineAction) -> Result<Outcome> {
    // Pinning and unpinning write; showing only reads (read-only open).
    // Unpinning where nothing is recorded has nothing to change.
    let store = match action {
        BaselineAction::Show { .. } => settings.open_store_to_read()?,
        BaselineAction::Clear { .. } => settings.open_store_to_change()?,
        _ => settings.open_store()?,
    };
    let store = store.as_ref();
    let scope = |t: &Option<String>| {
        t.as_deref()
            .map_or_else(|| "every testbed".to_owned(), |t| format!("testbed `{t}`"))
    };
    match action {
        BaselineAction::Set { run, testbed } => {
            let id = baseline::pin(store, run.map(RunId), testbed.as_deref())?;
            println!("pinned run {id} as the baseline for {}", scope(&testbed));
        }
        BaselineAction::Show { testbed, format } => {
            let run = baseline::pinned(store, testbed.as_deref())?;
            match (format, run) {
                (OutputFormat::Json, run) => {
                    let v = run.as_ref().map(|r| {
                        let c = &r.header.context;
                        json!({"run_id": r.header.id, "commit": c.commit, "branch": c.branch,
                               "testbed": c.testbed, "timestamp": c.timestamp.to_string()})
                    });
                    println!(
                        "{}",
                        crate::output::pretty_json(&json!({"pinned": v}), "the baseline")?
                    );
                }
                (OutputFormat::Text, Some(r)) => {
                    let c = &r.header.context;
                    println!(
                        "pinned baseline for {}: run {} (commit {}, branch {}, {})",
                        scope(&testbed),
                        r.header.id,
                        c.commit.as_deref().unwrap_or("-"),
                        c.branch.as_deref().unwrap_or("-"),
                        c.timestamp
                    );
                }
                (OutputFormat::Text, None) => println!(
                    "no pinned baseline for {}: runs are compared with recent runs of `{}`",
                    scope(&testbed),
                    settings.config.project.base_branch
                ),
            }
        }
        BaselineAction::Clear { testbed } => {
            if baseline::unpin(store, testbed.as_deref())? {
                println!("unpinned the baseline for {}", scope(&testbed));
            } else {
                println!("no baseline was pinned for {}", scope(&testbed));
            }
        }
    }
    Ok(Outcome::Ok)
}
