use anyhow::{Result, anyhow, bail};
use serde_json::json;
use sloe_core::RunId;

use crate::Outcome;
use crate::args::{BaselineAction, OutputFormat};
use crate::settings::Settings;

pub fn run(settings: &Settings, action: BaselineAction) -> Result<Outcome> {
    let store = settings.open_store()?;
    let scope = |t: &Option<String>| {
        t.as_deref()
            .map_or_else(|| "every testbed".to_owned(), |t| format!("testbed `{t}`"))
    };
    match action {
        BaselineAction::Set { run, testbed } => {
            let id = match run {
                Some(id) => RunId(id),
                None => store.latest_run_id()?.ok_or_else(|| {
                    anyhow!(
                        "pin a baseline: the store {} has no runs yet",
                        store.describe()
                    )
                })?,
            };
            if store.run(id)?.is_none() {
                bail!("pin run {id} as the baseline: there is no such run (see `sloe history`)");
            }
            store.pin_baseline(testbed.as_deref(), id)?;
            println!("pinned run {id} as the baseline for {}", scope(&testbed));
        }
        BaselineAction::Show { testbed, format } => {
            let pinned = store.pinned_baseline(testbed.as_deref())?;
            let run = match pinned {
                Some(id) => store.run(id)?,
                None => None,
            };
            match format {
                OutputFormat::Json => {
                    let v = run.as_ref().map(|r| {
                        let c = &r.header.context;
                        json!({"run_id": r.header.id, "commit": c.commit, "branch": c.branch,
                               "testbed": c.testbed, "timestamp": c.timestamp.to_string()})
                    });
                    println!("{}", serde_json::to_string_pretty(&json!({"pinned": v}))?);
                }
                OutputFormat::Text => match run {
                    Some(r) => {
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
                    None => println!(
                        "no pinned baseline for {}: runs are compared with recent runs of `{}`",
                        scope(&testbed),
                        settings.config.project.base_branch
                    ),
                },
            }
        }
        BaselineAction::Clear { testbed } => {
            if store.clear_baseline(testbed.as_deref())? {
                println!("unpinned the baseline for {}", scope(&testbed));
            } else {
                println!("no baseline was pinned for {}", scope(&testbed));
            }
        }
    }
    Ok(Outcome::Ok)
}
