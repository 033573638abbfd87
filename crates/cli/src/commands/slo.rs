//! `sloe slo validate|rules|status`: read SLO specs from files, folders or
//! the config, then hand them to the core (status) or the rules renderer.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
use sloe_core::slo::rules;
use sloe_core::slo::spec::{self, AlertWindows, Slo, SpecError, SpecFormat};

use crate::Outcome;
use crate::args::{Global, OutputFormat, SloAction, SloRulesArgs, SloValidateArgs};

pub fn run(global: &Global, action: SloAction) -> Result<Outcome> {
    match action {
        SloAction::Validate(args) => validate(&args),
        SloAction::Rules(args) => rules(global, &args),
        SloAction::Status(args) => status::run(global, &args),
        SloAction::Ingest(args) => super::slo_ingest::run(global, &args),
    }
}

mod status;

/// Specs read from paths.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: Vec<String>,
    pub slos: Vec<Slo>,
    pub alert_windows: Vec<AlertWindows>,
    pub others: Vec<String>,
    pub errors: Vec<SpecError>,
}

/// Files under `path`: itself, or the spec files of a folder, sorted.
fn spec_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("read {}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("read folder {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            spec_files(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "toml"))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads every spec under `paths`; unreadable files are errors, not failures.
pub fn load(paths: &[PathBuf]) -> Result<Loaded> {
    let mut files = Vec::new();
    for p in paths {
        spec_files(p, &mut files)?;
    }
    let mut loaded = Loaded::default();
    for f in files {
        let shown = f.display().to_string();
        let text = std::fs::read_to_string(&f).with_context(|| format!("read {shown}"))?;
        let read = spec::read(&text, &shown);
        loaded.slos.extend(read.spec.slos);
        loaded.alert_windows.extend(read.spec.alert_windows);
        loaded.others.extend(read.spec.others);
        loaded.errors.extend(read.errors);
        loaded.files.push(shown);
    }
    Ok(loaded)
}

/// The SLOs of `paths`, or of the config when none are given; any bad spec fails.
pub fn load_or_config(global: &Global, paths: &[PathBuf]) -> Result<Loaded> {
    let loaded = if paths.is_empty() {
        let settings = crate::settings::load(global)?;
        let file = global
            .config
            .as_ref()
            .map_or_else(|| "sloe.toml".to_owned(), |p| p.display().to_string());
        let mut slos = settings.config.slos;
        for s in &mut slos {
            s.origin.file.clone_from(&file);
        }
        Loaded {
            files: vec![file],
            slos,
            ..Loaded::default()
        }
    } else {
        load(paths)?
    };
    if let Some(first) = loaded.errors.first() {
        for e in &loaded.errors[1..] {
            eprintln!("error: failed to {e}");
        }
        return Err(anyhow!("{first}"));
    }
    Ok(loaded)
}

fn validate(args: &SloValidateArgs) -> Result<Outcome> {
    let loaded = load(&args.paths)?;
    match args.format {
        OutputFormat::Json => {
            let slos: Vec<_> = loaded
                .slos
                .iter()
                .map(|s| {
                    json!({
                        "name": s.name, "service": s.service, "objective": s.objective(),
                        "window": s.window.to_string(), "budgeting": s.budgeting.as_str(),
                        "sli": s.sli.describe(), "format": s.origin.format.as_str(),
                        "file": s.origin.file, "line": s.origin.line,
                    })
                })
                .collect();
            let errors: Vec<_> = loaded
                .errors
                .iter()
                .map(|e| {
                    json!({"file": e.file, "line": e.line, "column": e.column,
                           "field": e.field, "message": e.message})
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "files": loaded.files, "slos": slos,
                    "alert_windows": loaded.alert_windows.len(),
                    "others": loaded.others, "errors": errors,
                }))?
            );
        }
        OutputFormat::Text => {
            for s in &loaded.slos {
                println!(
                    "{}:{}  {}  service {}  objective {}%  window {}  {}  sli {}",
                    s.origin.file,
                    s.origin.line.map_or_else(String::new, |l| l.to_string()),
                    s.name,
                    s.service,
                    s.objective_percent,
                    s.window,
                    s.budgeting.as_str(),
                    s.sli.describe()
                );
            }
            for w in &loaded.alert_windows {
                println!(
                    "{}:{}  alert windows for a {}-day period ({} rows)",
                    w.origin.file,
                    w.origin.line.map_or_else(String::new, |l| l.to_string()),
                    w.period.as_hours() / 24,
                    w.rules.len()
                );
            }
            for o in &loaded.others {
                println!("  also read: {o}");
            }
            println!(
                "{} SLO{} read from {} file{}",
                loaded.slos.len(),
                if loaded.slos.len() == 1 { "" } else { "s" },
                loaded.files.len(),
                if loaded.files.len() == 1 { "" } else { "s" },
            );
            for e in &loaded.errors {
                eprintln!("error: failed to {e}");
            }
        }
    }
    if !loaded.errors.is_empty() {
        bail!(
            "validate SLO specs: {} error{}",
            loaded.errors.len(),
            if loaded.errors.len() == 1 { "" } else { "s" }
        );
    }
    Ok(Outcome::Ok)
}

fn rules(global: &Global, args: &SloRulesArgs) -> Result<Outcome> {
    let mut loaded = load_or_config(global, &args.paths)?;
    let sloth_period =
        sloe_core::slo::window::parse_length(&args.sloth_period).ok_or_else(|| {
            anyhow!(
                "read --sloth-period {:?}: expected a length like 30d, 4w or 7d",
                args.sloth_period
            )
        })?;
    for slo in &mut loaded.slos {
        if matches!(
            slo.origin.format,
            SpecFormat::Sloth | SpecFormat::SlothKubernetes
        ) {
            slo.window = sloe_core::slo::Window::Rolling(sloth_period);
        }
    }
    // AlertWindows read beside the specs replace the default rows of the
    // SLOs with the same period (Sloth's --slo-period-windows-path).
    for slo in &mut loaded.slos {
        let period = rules::rules_period(&slo.window);
        if let Some(w) = loaded.alert_windows.iter().find(|w| w.period == period) {
            slo.alerting.rules.clone_from(&w.rules);
        }
    }
    let version = format!("sloe {}", env!("CARGO_PKG_VERSION"));
    let (file, skipped) = rules::generate(&loaded.slos, &version);
    for s in &skipped {
        eprintln!("note: no rules for SLO {}: {}", s.slo, s.reason);
    }
    let yaml = file.to_yaml(&version);
    match &args.out {
        Some(path) => {
            sloe_app::files::write_atomic(path, yaml.as_bytes())?;
            eprintln!(
                "wrote {} rule groups for {} SLOs to {}",
                file.groups.len(),
                loaded.slos.len() - skipped.len(),
                path.display()
            );
        }
        None => std::io::Write::write_all(&mut std::io::stdout(), yaml.as_bytes())
            .context("write the rules to standard output")?,
    }
    Ok(Outcome::Ok)
}
