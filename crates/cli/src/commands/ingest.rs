use std::io::{BufRead, Read};

use anyhow::{Context, Result, anyhow};
use sloe_core::NewRun;
use sloe_formats::{Format, Parsed};

use crate::Outcome;
use crate::args::IngestArgs;
use crate::context;
use crate::settings::Settings;

pub fn run(settings: &Settings, args: &IngestArgs) -> Result<Outcome> {
    let format = args.format;
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
        } else if std::path::Path::new(file).is_dir() {
            // A directory is criterion's target/criterion tree.
            if format.is_some_and(|f| f != Format::Criterion) {
                return Err(anyhow!(
                    "read {file}: it is a directory; only --format criterion reads a directory (target/criterion)"
                ));
            }
            let files = criterion_tree(std::path::Path::new(file))?;
            parsed.push((
                file.clone(),
                sloe_formats::criterion::read_tree(&files, file)?,
            ));
            continue;
        } else {
            match open_file(file, format)? {
                Opened::Whole(bytes) => (file.clone(), bytes),
                Opened::Stream(fmt, input) => {
                    parsed.push((file.clone(), fmt.read_from(input, file)?));
                    continue;
                }
            }
        };
        let fmt = match format {
            Some(f) => f,
            None => Format::detect(&bytes, &origin)?,
        };
        parsed.push((origin.clone(), fmt.read(&bytes, &origin)?));
    }

    if args.merge && parsed.len() > 1 {
        parsed = vec![merge(parsed)?];
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
        let ctx = context::resolve(&args.context, &p.context, settings);
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

/// How much of a file is read to detect its format before deciding
/// whether to stream it.
const HEAD: usize = 64 * 1024;

/// A results file: read whole, or a large file of a streaming format
/// (detected from its first [`HEAD`] bytes) left to stream.
enum Opened {
    Whole(Vec<u8>),
    Stream(Format, Box<dyn BufRead>),
}

fn open_file(file: &str, format: Option<Format>) -> Result<Opened> {
    let mut f = std::fs::File::open(file).map_err(|e| anyhow!("read {file}: {e}"))?;
    let mut head = Vec::with_capacity(HEAD);
    (&mut f)
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| anyhow!("read {file}: {e}"))?;
    if head.len() < HEAD {
        return Ok(Opened::Whole(head));
    }
    let fmt = match format {
        Some(f) => Some(f),
        None => Format::detect(&head, file).ok(),
    };
    if let Some(fmt) = fmt.filter(|f| f.streams()) {
        let rest = std::io::BufReader::with_capacity(HEAD, f);
        return Ok(Opened::Stream(
            fmt,
            Box::new(std::io::Cursor::new(head).chain(rest)),
        ));
    }
    f.read_to_end(&mut head)
        .map_err(|e| anyhow!("read {file}: {e}"))?;
    Ok(Opened::Whole(head))
}

/// The `new/` files of a `target/criterion` tree, as (path relative to
/// `root`, bytes) pairs.
fn criterion_tree(root: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| anyhow!("read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| anyhow!("read {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let in_new = path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == "new");
            let wanted = path.file_name().is_some_and(|n| {
                n == "benchmark.json" || n == "estimates.json" || n == "sample.json"
            });
            if in_new && wanted {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                let bytes =
                    std::fs::read(&path).map_err(|e| anyhow!("read {}: {e}", path.display()))?;
                out.push((rel.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Joins several files into one run: the first file's context, every
/// series; a series in two files is an error naming both.
fn merge(parsed: Vec<(String, Parsed)>) -> Result<(String, Parsed)> {
    let mut origins: Vec<String> = Vec::new();
    let mut seen: std::collections::HashMap<(String, String), String> =
        std::collections::HashMap::new();
    let mut out: Option<Parsed> = None;
    for (origin, p) in parsed {
        for s in &p.series {
            if let Some(first) =
                seen.insert((s.benchmark.clone(), s.measure.clone()), origin.clone())
            {
                return Err(anyhow!(
                    "merge {origin} into one run: benchmark {:?} measure `{}` is already in {first}",
                    s.benchmark,
                    s.measure
                ));
            }
        }
        match &mut out {
            None => out = Some(p),
            Some(acc) => acc.series.extend(p.series),
        }
        origins.push(origin);
    }
    let merged = out.ok_or_else(|| anyhow!("merge results: no files were given"))?;
    Ok((origins.join(" + "), merged))
}
