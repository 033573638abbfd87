//! Sloth specs: the `prometheus/v1` file, the `sloth.slok.dev/v1`
//! PrometheusServiceLevel custom resource (the same fields in camelCase) and
//! the AlertWindows kind.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::{Deserialize, Deserializer};

use super::{
    AlertTarget, AlertWindows, Alerting, Budgeting, DocContext, Origin, PromSli, Sli, Slo,
    SpecError, SpecFile, SpecFormat, check_objective_percent, parse_duration,
};
use crate::slo::alerts::{AlertRule, AlertSeverity, default_rules};
use crate::slo::window::Window;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceLevel {
    /// `prometheus/v1` in the plain file; absent in the custom resource.
    #[serde(default, rename = "version")]
    _version: Option<String>,
    service: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    slos: Vec<SlothSlo>,
    /// Plugins are Sloth's own; read only to accept the field.
    #[serde(default, rename = "slo_plugins", alias = "sloPlugins")]
    _slo_plugins: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSlo {
    name: String,
    objective: Objective,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    sli: SlothSli,
    #[serde(default)]
    alerting: SlothAlerting,
    #[serde(default, rename = "plugins")]
    _plugins: Option<serde::de::IgnoredAny>,
}

/// An objective in percent, checked where it is read so the error has its position.
#[derive(Debug, Clone, Copy)]
struct Objective(f64);

impl<'de> Deserialize<'de> for Objective {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        check_objective_percent(v)
            .map(Objective)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSliFields {
    #[serde(default)]
    events: Option<SlothEvents>,
    #[serde(default)]
    raw: Option<SlothRaw>,
    #[serde(default)]
    plugin: Option<SlothPlugin>,
}

/// Exactly one of events, raw and plugin.
#[derive(Debug)]
struct SlothSli(Sli);

impl<'de> Deserialize<'de> for SlothSli {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = SlothSliFields::deserialize(d)?;
        let sli = match (f.events, f.raw, f.plugin) {
            (Some(e), None, None) => Sli::Prometheus(PromSli::ErrorTotal {
                error: e.error_query,
                total: e.total_query,
            }),
            (None, Some(r), None) => Sli::Prometheus(PromSli::ErrorRatio(r.error_ratio_query)),
            (None, None, Some(p)) => Sli::Plugin { id: p.id },
            (None, None, None) => {
                return Err(serde::de::Error::custom(
                    "the SLI is empty; expected one of `events` (error_query and total_query), `raw` (error_ratio_query) or `plugin`",
                ));
            }
            _ => {
                return Err(serde::de::Error::custom(
                    "the SLI sets more than one of `events`, `raw` and `plugin`; expected exactly one",
                ));
            }
        };
        Ok(SlothSli(sli))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothEvents {
    #[serde(alias = "errorQuery")]
    error_query: String,
    #[serde(alias = "totalQuery")]
    total_query: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothRaw {
    #[serde(alias = "errorRatioQuery")]
    error_ratio_query: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothPlugin {
    id: String,
    /// The plugin's own options.
    #[serde(default, rename = "options")]
    _options: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothAlerting {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default, alias = "pageAlert")]
    page_alert: SlothAlert,
    #[serde(default, alias = "ticketAlert")]
    ticket_alert: SlothAlert,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothAlert {
    #[serde(default)]
    disable: bool,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

impl From<SlothAlert> for AlertTarget {
    fn from(a: SlothAlert) -> Self {
        AlertTarget {
            enabled: !a.disable,
            labels: a.labels,
            annotations: a.annotations,
        }
    }
}

/// Sloth's default SLO period.
const DEFAULT_PERIOD_DAYS: i64 = 30;

fn convert(body: ServiceLevel, cx: &DocContext<'_>, format: SpecFormat) -> Vec<Slo> {
    let mut seen = 0usize;
    body.slos
        .into_iter()
        .map(|s| {
            // The line of this SLO's `- name:` entry, for listings.
            let line = cx
                .text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.trim_start().starts_with("- name:"))
                .nth(seen)
                .map(|(i, _)| i + 1 + cx.line_offset);
            seen += 1;
            let mut labels = body.labels.clone();
            labels.extend(s.labels);
            Slo {
                name: s.name,
                service: body.service.clone(),
                description: s.description,
                objective_percent: s.objective.0,
                window: Window::Rolling(SignedDuration::from_hours(24 * DEFAULT_PERIOD_DAYS)),
                budgeting: Budgeting::Occurrences,
                sli: s.sli.0,
                alerting: Alerting {
                    name: s.alerting.name,
                    labels: s.alerting.labels,
                    annotations: s.alerting.annotations,
                    page: s.alerting.page_alert.into(),
                    ticket: s.alerting.ticket_alert.into(),
                    rules: default_rules(),
                    min_events: 1,
                    conditions: Vec::new(),
                },
                labels,
                stale_after: None,
                origin: Origin {
                    file: cx.file.to_owned(),
                    line,
                    format,
                },
            }
        })
        .collect()
}

/// Reads a `version: prometheus/v1` document.
pub(super) fn read_prometheus_v1(
    cx: &DocContext<'_>,
    spec: &mut SpecFile,
) -> Result<(), SpecError> {
    let doc: ServiceLevel = cx.deserialize()?;
    spec.slos.extend(convert(doc, cx, SpecFormat::Sloth));
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kubernetes<S> {
    /// Read before, to choose the format.
    #[serde(rename = "apiVersion")]
    _api_version: String,
    #[serde(rename = "kind")]
    _kind: String,
    /// Kubernetes metadata is not part of the SLO.
    #[serde(default, rename = "metadata")]
    _metadata: Option<serde::de::IgnoredAny>,
    spec: S,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowsSpec {
    #[serde(rename = "sloPeriod")]
    slo_period: String,
    page: WindowPair,
    ticket: WindowPair,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowPair {
    quick: WindowRow,
    slow: WindowRow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowRow {
    #[serde(rename = "errorBudgetPercent")]
    error_budget_percent: f64,
    #[serde(rename = "shortWindow")]
    short_window: String,
    #[serde(rename = "longWindow")]
    long_window: String,
}

/// Reads a `sloth.slok.dev/v1` document: PrometheusServiceLevel or AlertWindows.
pub(super) fn read_kubernetes(
    cx: &DocContext<'_>,
    kind: Option<&str>,
    spec: &mut SpecFile,
) -> Result<(), Vec<SpecError>> {
    match kind {
        Some("PrometheusServiceLevel") => {
            let doc: Kubernetes<ServiceLevel> = cx.deserialize().map_err(|e| vec![e])?;
            spec.slos
                .extend(convert(doc.spec, cx, SpecFormat::SlothKubernetes));
            Ok(())
        }
        Some("AlertWindows") => {
            let doc: Kubernetes<WindowsSpec> = cx.deserialize().map_err(|e| vec![e])?;
            let w = doc.spec;
            let at = |key: &str, field: &str, msg: String| {
                cx.error_near(key, &format!("spec.{field}"), msg)
            };
            let period = parse_duration(&w.slo_period)
                .map_err(|m| vec![at("sloPeriod:", "sloPeriod", m)])?;
            let mut rules = Vec::new();
            let mut errors = Vec::new();
            for (severity, pair, name) in [
                (AlertSeverity::Page, &w.page, "page"),
                (AlertSeverity::Ticket, &w.ticket, "ticket"),
            ] {
                for (row, speed) in [(&pair.quick, "quick"), (&pair.slow, "slow")] {
                    let field = format!("{name}.{speed}");
                    let long = parse_duration(&row.long_window);
                    let short = parse_duration(&row.short_window);
                    match (long, short) {
                        (Ok(long_window), Ok(short_window)) => {
                            if !(row.error_budget_percent > 0.0 && row.error_budget_percent <= 100.0) {
                                errors.push(at(
                                    "errorBudgetPercent:",
                                    &field,
                                    format!(
                                        "errorBudgetPercent {} must be above 0 and at most 100",
                                        row.error_budget_percent
                                    ),
                                ));
                            }
                            rules.push(AlertRule {
                                severity,
                                long_window,
                                short_window,
                                budget_fraction: row.error_budget_percent / 100.0,
                            });
                        }
                        (Err(m), _) | (_, Err(m)) => errors.push(at("Window:", &field, m)),
                    }
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            spec.alert_windows.push(AlertWindows {
                period,
                rules,
                origin: Origin {
                    file: cx.file.to_owned(),
                    line: cx.first_line().map(|l| l + cx.line_offset),
                    format: SpecFormat::SlothKubernetes,
                },
            });
            Ok(())
        }
        other => Err(vec![cx.error_near(
            "kind:",
            "kind",
            format!(
                "unknown sloth.slok.dev/v1 kind {:?}; expected PrometheusServiceLevel or AlertWindows",
                other.unwrap_or("")
            ),
        )]),
    }
}
