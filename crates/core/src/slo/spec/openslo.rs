//! OpenSLO v1: Service, SLO, SLI, AlertPolicy, AlertCondition,
//! AlertNotificationTarget and DataSource objects, one per document or as a
//! list. `indicatorRef`, `alertPolicyRef`, `conditionRef` and `targetRef`
//! are resolved against the objects of the same file.
//!
//! Durations follow OpenSLO: `m` is a minute and `M` a month, so a calendar
//! window of `1m` is an error rather than a month read by mistake.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{
    AlertCondition, Alerting, Budgeting, DocContext, Origin, PromSli, Sli, Slo, SpecError,
    SpecFile, SpecFormat, check_objective_percent, parse_duration,
};
use crate::slo::window::{CalendarUnit, Window, parse_length};

/// Any OpenSLO object, its spec still unread.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Object {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    kind: String,
    metadata: Metadata,
    #[serde(default)]
    spec: serde_yaml_ng::Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: String,
    #[serde(default, rename = "displayName")]
    display_name: Option<String>,
    /// A string or a list of strings per label.
    #[serde(default)]
    labels: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(default, rename = "annotations")]
    _annotations: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SloSpec {
    #[serde(default)]
    description: Option<String>,
    service: String,
    #[serde(default)]
    indicator: Option<Inline<SliSpec>>,
    #[serde(default, rename = "indicatorRef")]
    indicator_ref: Option<String>,
    #[serde(rename = "timeWindow")]
    time_window: Vec<TimeWindow>,
    #[serde(rename = "budgetingMethod")]
    budgeting_method: String,
    objectives: Vec<Objective>,
    #[serde(default, rename = "alertPolicies")]
    alert_policies: Option<Vec<RefOr<PolicySpec>>>,
}

/// An inline object: `metadata` and `spec` (and optionally `kind`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, bound = "S: Deserialize<'de>")]
struct Inline<S> {
    #[serde(default, rename = "apiVersion")]
    _api_version: Option<String>,
    #[serde(default, rename = "kind")]
    _kind: Option<String>,
    #[serde(default, rename = "metadata")]
    _metadata: Option<serde::de::IgnoredAny>,
    spec: S,
}

/// A reference (`alertPolicyRef`, `conditionRef`, `targetRef`) or an inline object.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, bound = "S: Deserialize<'de>")]
struct RefOr<S> {
    #[serde(
        default,
        rename = "alertPolicyRef",
        alias = "conditionRef",
        alias = "targetRef"
    )]
    reference: Option<String>,
    #[serde(default, rename = "kind")]
    _kind: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    spec: Option<S>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SliSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default, rename = "ratioMetric")]
    ratio_metric: Option<RatioMetric>,
    #[serde(default, rename = "thresholdMetric")]
    threshold_metric: Option<MetricHolder>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioMetric {
    #[serde(default, rename = "counter")]
    _counter: Option<bool>,
    #[serde(default)]
    good: Option<MetricHolder>,
    #[serde(default)]
    bad: Option<MetricHolder>,
    #[serde(default)]
    total: Option<MetricHolder>,
    #[serde(default)]
    raw: Option<MetricHolder>,
    #[serde(default, rename = "rawType")]
    raw_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricHolder {
    #[serde(rename = "metricSource")]
    metric_source: MetricSource,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricSource {
    #[serde(default, rename = "metricSourceRef")]
    metric_source_ref: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    spec: BTreeMap<String, serde_yaml_ng::Value>,
}

impl MetricSource {
    fn source(&self) -> String {
        self.kind
            .clone()
            .or_else(|| self.metric_source_ref.clone())
            .unwrap_or_else(|| "unknown".to_owned())
    }

    fn is_prometheus(&self) -> bool {
        self.source().to_ascii_lowercase().contains("prometheus")
    }

    /// The query: `spec.query` or `spec.promql`, else the spec as text.
    fn query(&self) -> String {
        ["query", "promql"]
            .iter()
            .find_map(|k| self.spec.get(*k).and_then(|v| v.as_str()))
            .map(|q| q.trim().to_owned())
            .unwrap_or_else(|| {
                self.spec
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("…")))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeWindow {
    duration: String,
    #[serde(default, rename = "isRolling")]
    is_rolling: Option<bool>,
    #[serde(default)]
    calendar: Option<Calendar>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Calendar {
    #[serde(default, rename = "startTime")]
    _start_time: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "timeZone")]
    time_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Objective {
    #[serde(default, rename = "displayName")]
    display_name: Option<String>,
    #[serde(default)]
    op: Option<String>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    target: Option<f64>,
    #[serde(default, rename = "targetPercent")]
    target_percent: Option<f64>,
    #[serde(default, rename = "timeSliceTarget")]
    time_slice_target: Option<f64>,
    #[serde(default, rename = "timeSliceWindow")]
    time_slice_window: Option<String>,
    #[serde(default)]
    indicator: Option<Inline<SliSpec>>,
    #[serde(default, rename = "indicatorRef")]
    indicator_ref: Option<String>,
    #[serde(default, rename = "compositeWeight")]
    _composite_weight: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default, rename = "alertWhenNoData")]
    _no_data: Option<bool>,
    #[serde(default, rename = "alertWhenResolved")]
    _resolved: Option<bool>,
    #[serde(default, rename = "alertWhenBreaching")]
    _breaching: Option<bool>,
    #[serde(default)]
    conditions: Vec<RefOr<ConditionSpec>>,
    #[serde(default, rename = "notificationTargets")]
    notification_targets: Vec<RefOr<TargetSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    severity: String,
    condition: BurnRate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BurnRate {
    kind: String,
    op: String,
    threshold: f64,
    #[serde(rename = "lookbackWindow")]
    lookback_window: String,
    #[serde(default, rename = "alertAfter")]
    alert_after: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    target: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataSourceSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, rename = "connectionDetails")]
    _connection_details: Option<serde::de::IgnoredAny>,
}

/// An object read, with the line of its `name:` for messages.
struct Read<T> {
    name: String,
    line: Option<usize>,
    metadata: Metadata,
    spec: T,
}

#[derive(Default)]
struct Objects {
    slos: Vec<Read<SloSpec>>,
    slis: BTreeMap<String, SliSpec>,
    policies: BTreeMap<String, PolicySpec>,
    conditions: BTreeMap<String, ConditionSpec>,
    targets: BTreeMap<String, TargetSpec>,
}

/// Reads an OpenSLO document: one object or a list of them.
pub(super) fn read_list(cx: &DocContext<'_>, spec: &mut SpecFile) -> Result<(), Vec<SpecError>> {
    let objects: Vec<Object> = match cx.deserialize::<serde_yaml_ng::Value>() {
        Ok(v) if v.is_sequence() => cx.deserialize().map_err(|e| vec![e])?,
        Ok(_) => vec![cx.deserialize().map_err(|e| vec![e])?],
        Err(e) => return Err(vec![e]),
    };
    let mut errors = Vec::new();
    let mut found = Objects::default();
    for (i, o) in objects.into_iter().enumerate() {
        let name = o.metadata.name.clone();
        let line = cx.find(&format!("name: {name}"));
        let field = |rest: &str| {
            if rest.is_empty() {
                format!("{}[{i}]", o.kind)
            } else {
                format!("{} {name}: spec.{rest}", o.kind)
            }
        };
        if let Some(api) = o.api_version.as_deref()
            && api != "openslo/v1"
        {
            errors.push(cx.error(
                line,
                &field(""),
                format!("unsupported apiVersion {api:?}; expected openslo/v1"),
            ));
            continue;
        }
        macro_rules! spec_of {
            ($t:ty) => {
                match serde_path_to_error::deserialize::<_, $t>(o.spec.clone()) {
                    Ok(s) => s,
                    Err(e) => {
                        let path = e.path().to_string();
                        errors.push(cx.error(
                            line,
                            &field(&path),
                            super::improve(&e.into_inner().to_string()),
                        ));
                        continue;
                    }
                }
            };
        }
        match o.kind.as_str() {
            "SLO" => {
                let s = spec_of!(SloSpec);
                found.slos.push(Read {
                    name,
                    line,
                    metadata: o.metadata,
                    spec: s,
                });
            }
            "SLI" => {
                let s = spec_of!(SliSpec);
                found.slis.insert(name, s);
            }
            "AlertPolicy" => {
                let s = spec_of!(PolicySpec);
                found.policies.insert(name, s);
            }
            "AlertCondition" => {
                let s = spec_of!(ConditionSpec);
                found.conditions.insert(name, s);
            }
            "AlertNotificationTarget" => {
                let s = spec_of!(TargetSpec);
                spec.others
                    .push(format!("AlertNotificationTarget {name} ({})", s.target));
                found.targets.insert(name, s);
            }
            "Service" => {
                let _s = spec_of!(ServiceSpec);
                spec.others.push(format!("Service {name}"));
            }
            "DataSource" => {
                let s = spec_of!(DataSourceSpec);
                spec.others.push(format!("DataSource {name} ({})", s.kind));
            }
            other => errors.push(cx.error(
                line,
                "kind",
                format!(
                    "unknown OpenSLO kind {other:?}; expected SLO, SLI, Service, AlertPolicy, AlertCondition, AlertNotificationTarget or DataSource"
                ),
            )),
        }
    }
    for name in found.slis.keys() {
        spec.others.push(format!("SLI {name}"));
    }
    for name in found.policies.keys() {
        spec.others.push(format!("AlertPolicy {name}"));
    }
    for name in found.conditions.keys() {
        spec.others.push(format!("AlertCondition {name}"));
    }
    let slos = std::mem::take(&mut found.slos);
    for slo in slos {
        match convert(cx, &found, slo) {
            Ok(mut s) => spec.slos.append(&mut s),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn convert(
    cx: &DocContext<'_>,
    found: &Objects,
    slo: Read<SloSpec>,
) -> Result<Vec<Slo>, Vec<SpecError>> {
    let name = &slo.name;
    let s = &slo.spec;
    let err = |needle: &str, field: &str, msg: String| {
        let line = slo
            .line
            .and_then(|from| {
                cx.text
                    .lines()
                    .enumerate()
                    .skip(from.saturating_sub(1))
                    .find(|(_, l)| l.contains(needle))
                    .map(|(i, _)| i + 1)
            })
            .or(slo.line);
        cx.error(line, &format!("SLO {name}: spec.{field}"), msg)
    };
    let mut errors = Vec::new();

    let window = match s.time_window.as_slice() {
        [w] => match time_window(w) {
            Ok(w) => Some(w),
            Err(m) => {
                errors.push(err("duration:", "timeWindow[0].duration", m));
                None
            }
        },
        _ => {
            errors.push(err(
                "timeWindow:",
                "timeWindow",
                format!(
                    "expected exactly one time window, found {}",
                    s.time_window.len()
                ),
            ));
            None
        }
    };

    let resolve_sli = |sli: (&Option<Inline<SliSpec>>, &Option<String>), field: &str| match sli {
        (Some(i), None) => Ok(i.spec.clone()),
        (None, Some(r)) => found.slis.get(r).cloned().ok_or_else(|| {
            err(
                "indicatorRef:",
                field,
                format!(
                    "indicatorRef {r:?} names no SLI in this file; expected one of: {}",
                    names(found.slis.keys())
                ),
            )
        }),
        (Some(_), Some(_)) => Err(err(
            "indicatorRef:",
            field,
            "sets both `indicator` and `indicatorRef`; expected one".to_owned(),
        )),
        (None, None) => Err(err(
            "service:",
            field,
            "has no SLI; expected `indicator` or `indicatorRef`".to_owned(),
        )),
    };

    let conditions = match alert_conditions(found, s.alert_policies.as_deref().unwrap_or(&[])) {
        Ok(c) => c,
        Err(m) => {
            errors.push(err("alertPolicies:", "alertPolicies", m));
            Vec::new()
        }
    };

    let many = s.objectives.len() > 1;
    if s.objectives.is_empty() {
        errors.push(err(
            "objectives:",
            "objectives",
            "expected at least one objective".to_owned(),
        ));
    }
    let mut out = Vec::new();
    for (i, o) in s.objectives.iter().enumerate() {
        let field = format!("objectives[{i}]");
        let sli_spec = if o.indicator.is_some() || o.indicator_ref.is_some() {
            resolve_sli(
                (&o.indicator, &o.indicator_ref),
                &format!("{field}.indicator"),
            )
        } else {
            resolve_sli((&s.indicator, &s.indicator_ref), "indicator")
        };
        let sli = match sli_spec
            .and_then(|spec| sli_of(&spec, o).map_err(|m| err("Metric:", "indicator.spec", m)))
        {
            Ok(sli) => sli,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let percent = match (o.target, o.target_percent) {
            (Some(t), None) => t * 100.0,
            (None, Some(p)) => p,
            _ => {
                errors.push(err(
                    "target",
                    &field,
                    "expected exactly one of `target` (0.999) and `targetPercent` (99.9)"
                        .to_owned(),
                ));
                continue;
            }
        };
        let percent = match check_objective_percent(percent) {
            Ok(p) => p,
            Err(m) => {
                errors.push(err("target", &format!("{field}.target"), m));
                continue;
            }
        };
        let budgeting = match budgeting(&s.budgeting_method, o) {
            Ok(b) => b,
            Err(m) => {
                errors.push(err("budgetingMethod:", "budgetingMethod", m));
                continue;
            }
        };
        let Some(window) = window.clone() else {
            continue;
        };
        let label = o
            .display_name
            .clone()
            .unwrap_or_else(|| format!("objective-{i}"));
        let mut labels = BTreeMap::new();
        for (k, v) in &slo.metadata.labels {
            labels.insert(k.clone(), label_value(v));
        }
        out.push(Slo {
            name: if many {
                format!("{name}/{}", label.to_ascii_lowercase().replace(' ', "-"))
            } else {
                name.clone()
            },
            service: s.service.clone(),
            description: s
                .description
                .clone()
                .or_else(|| slo.metadata.display_name.clone()),
            objective_percent: percent,
            window,
            budgeting,
            sli,
            alerting: Alerting {
                conditions: conditions.clone(),
                ..Alerting::default()
            },
            labels,
            stale_after: None,
            origin: Origin {
                file: cx.file.to_owned(),
                line: slo.line.map(|l| l + cx.line_offset),
                format: SpecFormat::OpenSlo,
            },
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn names<'a>(it: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = it.map(String::as_str).collect();
    if v.is_empty() {
        "(none defined)".to_owned()
    } else {
        v.join(", ")
    }
}

fn label_value(v: &serde_yaml_ng::Value) -> String {
    match v {
        serde_yaml_ng::Value::Sequence(items) => {
            items.iter().map(label_value).collect::<Vec<_>>().join(",")
        }
        serde_yaml_ng::Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// A window from OpenSLO's `timeWindow`: rolling `2w`, or a calendar
/// `1d`, `1w`, `1M`, `1Q` or `1Y` in the calendar's time zone.
fn time_window(w: &TimeWindow) -> Result<Window, String> {
    let d = w.duration.trim();
    let rolling = w.is_rolling.unwrap_or(w.calendar.is_none());
    if rolling {
        if d.ends_with(['M', 'Q', 'Y', 'y']) {
            return Err(format!(
                "a rolling window of {d} has no fixed length (M is months); expected days or weeks like 28d or 4w, or a calendar window"
            ));
        }
        return parse_length(d).map(Window::Rolling).ok_or_else(|| {
            format!("expected a duration like 30d, 2w or 12h (m is minutes, M months), found {d:?}")
        });
    }
    let unit = match d {
        "1d" | "1D" => CalendarUnit::Day,
        "1w" | "1W" => CalendarUnit::Week,
        "1M" => CalendarUnit::Month,
        "1Q" => CalendarUnit::Quarter,
        "1Y" | "1y" => CalendarUnit::Year,
        "1m" => {
            return Err(
                "a calendar window of 1m is one minute (OpenSLO writes a month as 1M); expected 1d, 1w, 1M, 1Q or 1Y".to_owned(),
            );
        }
        other => {
            return Err(format!(
                "a calendar window of {other:?} is not supported; expected 1d, 1w, 1M (month), 1Q or 1Y"
            ));
        }
    };
    let tz = match w.calendar.as_ref().and_then(|c| c.time_zone.as_deref()) {
        Some(name) => {
            TimeZone::get(name).map_err(|e| format!("unknown time zone {name:?}: {e}"))?
        }
        None => TimeZone::UTC,
    };
    Ok(Window::Calendar { unit, tz })
}

fn budgeting(method: &str, o: &Objective) -> Result<Budgeting, String> {
    let slice = || -> Result<jiff::SignedDuration, String> {
        let w = o
            .time_slice_window
            .as_deref()
            .ok_or("time-slice budgeting needs `timeSliceWindow` (like 1m or 5m)")?;
        parse_duration(w)
    };
    match method {
        "Occurrences" => Ok(Budgeting::Occurrences),
        "Timeslices" => {
            let t = o
                .time_slice_target
                .ok_or("Timeslices needs `timeSliceTarget` (like 0.95)")?;
            if !(t > 0.0 && t <= 1.0) {
                return Err(format!("timeSliceTarget {t} must be above 0 and at most 1"));
            }
            Ok(Budgeting::Timeslices {
                slice: slice()?,
                slice_target: t,
            })
        }
        "RatioTimeslices" => Ok(Budgeting::RatioTimeslices { slice: slice()? }),
        other => Err(format!(
            "unknown budgetingMethod {other:?}; expected Occurrences, Timeslices or RatioTimeslices"
        )),
    }
}

fn sli_of(spec: &SliSpec, o: &Objective) -> Result<Sli, String> {
    match (&spec.ratio_metric, &spec.threshold_metric) {
        (Some(r), None) => ratio(r),
        (None, Some(t)) => Ok(Sli::Threshold {
            source: t.metric_source.source(),
            query: t.metric_source.query(),
            op: o.op.clone(),
            value: o.value,
        }),
        (Some(_), Some(_)) => {
            Err("sets both ratioMetric and thresholdMetric; expected one".to_owned())
        }
        (None, None) => Err("expected ratioMetric or thresholdMetric".to_owned()),
    }
}

fn ratio(r: &RatioMetric) -> Result<Sli, String> {
    let q = |m: &Option<MetricHolder>| m.as_ref().map(|m| m.metric_source.query());
    let sources: Vec<&MetricSource> = [&r.good, &r.bad, &r.total, &r.raw]
        .into_iter()
        .flatten()
        .map(|m| &m.metric_source)
        .collect();
    let Some(first) = sources.first() else {
        return Err("ratioMetric needs good or bad with total, or raw".to_owned());
    };
    let prometheus = sources.iter().all(|s| s.is_prometheus());
    if let Some(raw) = &r.raw {
        let query = raw.metric_source.query();
        let error = match r.raw_type.as_deref() {
            Some("failure") => query,
            Some("success") => format!("1 - ({query})"),
            other => {
                return Err(format!(
                    "raw ratioMetric needs rawType success or failure, found {other:?}"
                ));
            }
        };
        return Ok(if prometheus {
            Sli::Prometheus(PromSli::ErrorRatio(error))
        } else {
            Sli::External {
                source: first.source(),
                good: None,
                bad: Some(error),
                total: None,
            }
        });
    }
    let (good, bad, total) = (q(&r.good), q(&r.bad), q(&r.total));
    let Some(total_q) = total.clone() else {
        return Err("ratioMetric needs `total`".to_owned());
    };
    if good.is_some() == bad.is_some() {
        return Err("ratioMetric needs exactly one of `good` and `bad` beside `total`".to_owned());
    }
    if !prometheus {
        return Ok(Sli::External {
            source: first.source(),
            good,
            bad,
            total,
        });
    }
    Ok(Sli::Prometheus(match (good, bad) {
        (Some(good), None) => PromSli::GoodTotal {
            good,
            total: total_q,
        },
        (None, Some(error)) => PromSli::ErrorTotal {
            error,
            total: total_q,
        },
        _ => {
            return Err(
                "ratioMetric needs exactly one of `good` and `bad` beside `total`".to_owned(),
            );
        }
    }))
}

fn alert_conditions(
    found: &Objects,
    policies: &[RefOr<PolicySpec>],
) -> Result<Vec<AlertCondition>, String> {
    let mut out = Vec::new();
    for p in policies {
        let (policy_name, policy) = match (&p.reference, &p.spec) {
            (Some(r), _) => (
                r.clone(),
                found.policies.get(r).cloned().ok_or_else(|| {
                    format!(
                        "alertPolicyRef {r:?} names no AlertPolicy in this file; expected one of: {}",
                        names(found.policies.keys())
                    )
                })?,
            ),
            (None, Some(s)) => (
                p.metadata.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
                s.clone(),
            ),
            (None, None) => return Err("an alert policy needs `alertPolicyRef` or a `spec`".to_owned()),
        };
        let targets: Vec<String> = policy
            .notification_targets
            .iter()
            .map(|t| {
                t.reference
                    .clone()
                    .or_else(|| t.metadata.as_ref().map(|m| m.name.clone()))
                    .unwrap_or_default()
            })
            .collect();
        for c in &policy.conditions {
            let (cname, cond) = match (&c.reference, &c.spec) {
                (Some(r), _) => (
                    r.clone(),
                    found.conditions.get(r).cloned().ok_or_else(|| {
                        format!(
                            "conditionRef {r:?} in policy {policy_name:?} names no AlertCondition in this file; expected one of: {}",
                            names(found.conditions.keys())
                        )
                    })?,
                ),
                (None, Some(s)) => (
                    c.metadata.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
                    s.clone(),
                ),
                (None, None) => return Err("an alert condition needs `conditionRef` or a `spec`".to_owned()),
            };
            if cond.condition.kind != "burnrate" {
                return Err(format!(
                    "condition {cname:?} has kind {:?}; expected burnrate",
                    cond.condition.kind
                ));
            }
            let op = &cond.condition.op;
            if crate::slo::conditions::ConditionOp::parse(op).is_none() {
                let words = crate::slo::conditions::ConditionOp::WORDS;
                let hint = crate::config::did_you_mean(op, &words)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "condition {cname:?} has op {op:?}{hint}; expected one of lt, lte, gt, gte"
                ));
            }
            out.push(AlertCondition {
                name: cname,
                policy: policy_name.clone(),
                severity: cond.severity.clone(),
                op: cond.condition.op.clone(),
                threshold: cond.condition.threshold,
                lookback_window: parse_duration(&cond.condition.lookback_window)?,
                alert_after: cond
                    .condition
                    .alert_after
                    .as_deref()
                    .map(parse_duration)
                    .transpose()?,
                notification_targets: targets.clone(),
            });
        }
    }
    Ok(out)
}
