//! `sloe slo validate|rules|status|ingest`: flags → one `sloe_app::slo`
//! use case → print.

use serde_json::json;
use sloe_app::slo::{self as app, Loaded};
use sloe_app::{AppError, Result};
use sloe_core::slo::spec::percent_as_written;

use crate::Outcome;
use crate::args::{Global, OutputFormat, SloAction, SloRulesArgs, SloValidateArgs};

pub fn run(global: &Global, action: SloAction) -> Result<Outcome> {
    match action {
        SloAction::Validate(args) => validate(global, &args),
        SloAction::Rules(args) => rules(global, &args),
        SloAction::Status(args) => status::run(global, &args),
        SloAction::Ingest(args) => super::slo_ingest::run(global, &args),
    }
}

mod status;

/// The settings `--config` and `--env` name.
pub fn settings(global: &Global) -> Result<sloe_app::Settings> {
    crate::settings::load(global)
}

/// The SLOs of `paths`, or of the config when none are given. Every spec
/// error but the first is printed here; the first is the command's error.
pub fn load_or_config(
    settings: &sloe_app::Settings,
    paths: &[std::path::PathBuf],
) -> Result<Loaded> {
    app::load_or_config(settings, paths).map_err(|e| match e {
        AppError::Specs(errors) if !errors.is_empty() => {
            for e in &errors[1..] {
                eprintln!("error: failed to {e}");
            }
            AppError::Specs(errors.into_iter().take(1).collect())
        }
        other => other,
    })
}

fn validate(global: &Global, args: &SloValidateArgs) -> Result<Outcome> {
    // Without paths, the config's [[slo]] tables, as `rules` and `status`
    // read them; the config is read (and checked) only then.
    let loaded = if args.paths.is_empty() {
        load_or_config(&settings(global)?, &[])?
    } else {
        app::load(&args.paths)?
    };
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
                crate::output::pretty_json(
                    &json!({
                        "files": loaded.files, "slos": slos,
                        "alert_windows": loaded.alert_windows.len(),
                        "others": loaded.others, "errors": errors,
                    }),
                    "the SLO specs"
                )?
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
                    percent_as_written(s.objective_percent),
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
        return Err(AppError::Input(format!(
            "validate SLO specs: {} error{}",
            loaded.errors.len(),
            if loaded.errors.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(Outcome::Ok)
}

fn rules(global: &Global, args: &SloRulesArgs) -> Result<Outcome> {
    let loaded = load_or_config(&settings(global)?, &args.paths)?;
    let sloth_period =
        sloe_core::slo::window::parse_length(&args.sloth_period).ok_or_else(|| {
            AppError::Usage(format!(
                "read --sloth-period {:?}: expected a length like 30d, 4w or 7d",
                args.sloth_period
            ))
        })?;
    let version = format!("sloe {}", env!("CARGO_PKG_VERSION"));
    let out = app::rules(loaded, sloth_period, &version);
    for s in &out.skipped {
        crate::output::note(format_args!("no rules for SLO {}: {}", s.slo, s.reason));
    }
    let yaml = out.file.to_yaml(&version);
    match &args.out {
        Some(path) => {
            sloe_app::files::write_atomic(path, yaml.as_bytes())?;
            eprintln!(
                "wrote {} rule groups for {} SLOs to {}",
                out.file.groups.len(),
                out.slos,
                path.display()
            );
        }
        None => std::io::Write::write_all(&mut std::io::stdout(), yaml.as_bytes()).map_err(
            |source| AppError::Write {
                path: "standard output".into(),
                source,
            },
        )?,
    }
    Ok(Outcome::Ok)
}
