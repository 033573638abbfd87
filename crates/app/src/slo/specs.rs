//! SLO specs read from files and folders (OpenSLO, Sloth, native TOML) or
//! from the config's `[[slo]]` tables, and the Prometheus rules generated
//! from them.

use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use sloe_core::slo::rules::{self, RuleFile, Skipped};
use sloe_core::slo::spec::{self, AlertWindows, Slo, SpecError, SpecFormat};
use sloe_core::slo::window::Window;

use crate::settings::Limited;
use crate::{AppError, Result, Settings};

/// Specs read from paths.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The files read, as shown in messages.
    pub files: Vec<String>,
    pub slos: Vec<Slo>,
    /// Sloth `AlertWindows` read beside the specs.
    pub alert_windows: Vec<AlertWindows>,
    /// Documents read but not SLOs (OpenSLO services, data sources, ...).
    pub others: Vec<String>,
    /// Every invalid spec: validation reports them all, other use cases
    /// refuse to go on with any.
    pub errors: Vec<SpecError>,
}

impl Loaded {
    /// These specs, or [`AppError::Specs`] when any is invalid.
    pub fn valid(self) -> Result<Loaded> {
        if self.errors.is_empty() {
            Ok(self)
        } else {
            Err(AppError::Specs(self.errors))
        }
    }
}

/// Files under `path`: itself, or the spec files of a folder, sorted.
fn spec_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| AppError::Input(format!("read {}: {e}", path.display())))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| AppError::Input(format!("read folder {}: {e}", path.display())))?
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

/// Reads every spec under `paths` as one set: an OpenSLO reference in one
/// file resolves against the objects of every file read. An unreadable
/// file is an error; an invalid spec is reported in [`Loaded::errors`].
pub fn load(paths: &[PathBuf]) -> Result<Loaded> {
    let mut files = Vec::new();
    for p in paths {
        spec_files(p, &mut files)?;
    }
    let mut texts = Vec::new();
    for f in files {
        let shown = f.display().to_string();
        let text = crate::settings::read_limited(&f).map_err(|e| match e {
            Limited::Io(e) => AppError::Input(format!("read {shown}: {e}")),
            Limited::Over(e) => AppError::Spec(SpecError {
                file: shown.clone(),
                line: e.line,
                column: e.column,
                field: None,
                message: e.message,
            }),
        })?;
        texts.push((shown, text));
    }
    let read = spec::read_files(texts.iter().map(|(f, t)| (f.as_str(), t.as_str())));
    Ok(Loaded {
        files: texts.into_iter().map(|(f, _)| f).collect(),
        slos: read.spec.slos,
        alert_windows: read.spec.alert_windows,
        others: read.spec.others,
        errors: read.errors,
    })
}

/// The SLOs of `paths`, or of the config's `[[slo]]` tables when none are
/// given; any invalid spec is [`AppError::Specs`].
pub fn load_or_config(settings: &Settings, paths: &[PathBuf]) -> Result<Loaded> {
    let loaded = if paths.is_empty() {
        let file = settings.path.as_ref().map_or_else(
            || crate::settings::DEFAULT_CONFIG.to_owned(),
            |p| p.display().to_string(),
        );
        let mut slos = settings.config.slos.clone();
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
    loaded.valid()
}

/// Prometheus rules for a set of SLOs.
#[derive(Debug)]
pub struct RulesOutput {
    pub file: RuleFile,
    /// SLOs without rules (their SLI is not a PromQL one), with the reason.
    pub skipped: Vec<Skipped>,
    /// How many SLOs got rules.
    pub slos: usize,
}

/// The recording and alerting rules of `loaded`'s SLOs. Sloth specs name
/// no period and get `sloth_period`; `AlertWindows` read beside the specs
/// replace the default rows of the SLOs with the same period (Sloth's
/// `--slo-period-windows-path`).
pub fn rules(mut loaded: Loaded, sloth_period: SignedDuration, version: &str) -> RulesOutput {
    for slo in &mut loaded.slos {
        if matches!(
            slo.origin.format,
            SpecFormat::Sloth | SpecFormat::SlothKubernetes
        ) {
            slo.window = Window::Rolling(sloth_period);
        }
        let period = rules::rules_period(&slo.window);
        if let Some(w) = loaded.alert_windows.iter().find(|w| w.period == period) {
            slo.alerting.rules.clone_from(&w.rules);
        }
    }
    let (file, skipped) = rules::generate(&loaded.slos, version);
    RulesOutput {
        file,
        slos: loaded.slos.len() - skipped.len(),
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENSLO: &str = "apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.999
  indicator:
    metadata:
      name: api-errors
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{code!~\"5..\"}[{{window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total[{{window}}]))
";

    #[test]
    fn a_folder_is_read_recursively_in_name_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("b")).expect("mkdir");
        std::fs::write(dir.path().join("b/one.yaml"), OPENSLO).expect("write");
        std::fs::write(dir.path().join("a.yml"), OPENSLO).expect("write");
        std::fs::write(dir.path().join("notes.txt"), "not a spec").expect("write");
        let loaded = load(&[dir.path().to_path_buf()]).expect("load");
        let names: Vec<&str> = loaded
            .files
            .iter()
            .map(|f| f.strip_prefix(&*dir.path().to_string_lossy()).unwrap_or(f))
            .collect();
        assert_eq!(names, ["/a.yml", "/b/one.yaml"]);
        assert_eq!(loaded.slos.len(), 2);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    }

    #[test]
    fn an_invalid_spec_is_reported_by_load_and_refused_by_load_or_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, OPENSLO.replace("0.999", "1.5")).expect("write");
        let loaded = load(std::slice::from_ref(&bad)).expect("load");
        assert_eq!(loaded.errors.len(), 1);
        let settings = Settings::load(None, None).expect("settings");
        match load_or_config(&settings, &[bad]) {
            Err(AppError::Specs(errors)) => assert_eq!(errors.len(), 1),
            other => panic!("expected invalid specs, got {other:?}"),
        }
    }

    #[test]
    fn references_resolve_across_the_files_of_a_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (slo, sli) = OPENSLO
            .split_once("  indicator:\n")
            .expect("the SLO has an inline indicator");
        std::fs::write(
            dir.path().join("a-slo.yaml"),
            format!("{slo}  indicatorRef: api-errors\n"),
        )
        .expect("write");
        // The inline indicator, indented as a top-level SLI object.
        let sli: String = sli
            .lines()
            .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
            .collect();
        std::fs::write(
            dir.path().join("b-sli.yaml"),
            format!("apiVersion: openslo/v1\nkind: SLI\n{sli}"),
        )
        .expect("write");
        let loaded = load(&[dir.path().to_path_buf()]).expect("load");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.slos.len(), 1);
        assert_eq!(loaded.others, ["SLI api-errors"]);
        assert!(loaded.slos[0].origin.file.ends_with("a-slo.yaml"));

        // The SLO's file alone: the reference is an error naming it.
        let alone = load(&[dir.path().join("a-slo.yaml")]).expect("load");
        assert_eq!(alone.errors.len(), 1, "{:?}", alone.errors);
        assert!(
            alone.errors[0]
                .to_string()
                .contains("indicatorRef \"api-errors\" names no SLI"),
            "{}",
            alone.errors[0]
        );
    }

    #[test]
    fn a_missing_path_is_an_input_error_naming_it() {
        let err = load(&[PathBuf::from("/nonexistent/slos")]).expect_err("missing");
        assert!(matches!(err, AppError::Input(_)));
        assert!(err.to_string().contains("/nonexistent/slos"), "{err}");
    }

    #[test]
    fn the_config_slos_name_the_config_file() {
        let settings = Settings::from_text(
            "[[slo]]\nname = \"api\"\nobjective = \"99.9%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n",
            Path::new("conf/sloe.toml"),
            None,
        )
        .expect("settings");
        let loaded = load_or_config(&settings, &[]).expect("load");
        assert_eq!(loaded.files, ["conf/sloe.toml"]);
        assert_eq!(loaded.slos[0].origin.file, "conf/sloe.toml");
    }
}
