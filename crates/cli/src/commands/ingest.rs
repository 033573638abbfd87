use std::io::Read;

use anyhow::{Context, Result, anyhow};
use sloe_core::NewRun;
use sloe_formats::{Format, Parsed};

use crate::Outcome;
use crate::args::IngestArgs;
use crate::context;
use crate::settings::Settings;

pub fn run(settings: &Settings, args: &IngestArgs) -> Result<Outcome> {
    let format = args
        .format
        .as_deref()
        .map(|f| {
            f.parse::<Format>()
                .map_err(|e| anyhow!("read --format: {e}"))
        })
        .transpose()?;
    // Read and check every file before recording any, so bad input leaves
    // the store untouched.
    let mut parsed: Vec<(String, Parsed)> = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let (origin, bytes) = if file == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("read standard input")?;
            ("<stdin>".to_owned(), buf)
        } else {
            let bytes = std::fs::read(file).map_err(|e| anyhow!("read {file}: {e}"))?;
            (file.clone(), bytes)
        };
        let fmt = match format {
            Some(f) => f,
            None => Format::detect(&bytes, &origin)?,
        };
        parsed.push((origin.clone(), fmt.read(&bytes, &origin)?));
    }

    if args.dry_run {
        let docs: Vec<serde_json::Value> = parsed
            .iter()
            .map(|(_, p)| {
                let mut p = p.clone();
                let c = &args.context;
                p.context.commit = c.commit.clone().or(p.context.commit);
                p.context.branch = c.branch.clone().or(p.context.branch);
                p.context.testbed = c.testbed.clone().or(p.context.testbed);
                p.context.environment = c.environment.clone().or(p.context.environment);
                sloe_formats::json::write(&p)
            })
            .collect();
        let out = if docs.len() == 1 {
            docs[0].clone()
        } else {
            serde_json::Value::Array(docs)
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(Outcome::Ok);
    }

    let store = settings.open_store()?;
    for (origin, p) in parsed {
        let ctx = context::resolve(&args.context, &p.context, settings)?;
        let samples: usize = p.series.iter().map(|s| s.values.len()).sum();
        let series = p.series.len();
        let id = store.insert_run(&NewRun {
            context: ctx,
            series: p.series,
        })?;
        println!("recorded run {id} from {origin}: {series} series, {samples} samples");
    }
    Ok(Outcome::Ok)
}
