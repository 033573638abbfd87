//! OpenSLO v1: Service, SLO, SLI, AlertPolicy, AlertCondition,
//! AlertNotificationTarget and DataSource objects, one per document or as a
//! list, in any number of documents and files. `indicatorRef`,
//! `alertPolicyRef`, `conditionRef` and `targetRef` (and `metricSourceRef`,
//! for a data source's type) are resolved once everything given to one
//! command was read: the same file's objects first, then the other files'.
//! A composite SLO (each objective with its own indicator, weighted by
//! `compositeWeight`) becomes one [`Slo`] with [`Sli::Composite`].
//!
//! Durations follow OpenSLO: `m` is a minute and `M` a month, so a calendar
//! window of `1m` is an error rather than a month read by mistake.

use std::collections::BTreeMap;
use std::rc::Rc;

use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{
    AlertCondition, Alerting, Budgeting, Component, DocContext, Origin, PromSli, ReadOutcome, Sli,
    Slo, SpecError, SpecFormat, check_objective_percent, parse_duration,
};
use crate::slo::window::{CalendarUnit, Window, parse_length};

// Every struct names what it expects in OpenSLO's words (`expecting`):
// serde's default names the Rust type ("expected struct Metadata").

/// Any OpenSLO object, its spec still unread.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an OpenSLO object: a mapping with `apiVersion`, `kind`, `metadata` and `spec`"
)]
struct Object {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    kind: String,
    metadata: Metadata,
    #[serde(default)]
    spec: serde_yaml_ng::Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "`metadata`: a mapping with `name` (and optionally `displayName`, `labels`, `annotations`)"
)]
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
#[serde(
    deny_unknown_fields,
    expecting = "an SLO's `spec`: a mapping with `service`, `indicator` or `indicatorRef`, `timeWindow`, `budgetingMethod` and `objectives`"
)]
struct SloSpec {
    #[serde(default)]
    description: Option<String>,
    service: String,
    #[serde(default)]
    indicator: Option<InlineSli>,
    #[serde(default, rename = "indicatorRef")]
    indicator_ref: Option<String>,
    #[serde(rename = "timeWindow")]
    time_window: Vec<TimeWindow>,
    #[serde(rename = "budgetingMethod")]
    budgeting_method: String,
    objectives: Vec<Objective>,
    #[serde(default, rename = "alertPolicies")]
    alert_policies: Option<Vec<PolicyItem>>,
}

/// An inline indicator: `metadata` and `spec` (and optionally `kind`).
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an inline SLI: a mapping with `metadata` and `spec`"
)]
struct InlineSli {
    #[serde(default, rename = "apiVersion")]
    _api_version: Option<String>,
    #[serde(default, rename = "kind")]
    _kind: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
    spec: SliSpec,
}

/// An entry of a list that holds either a reference or an inline object
/// (`alertPolicies`, `conditions`, `notificationTargets`): one struct per
/// list, so the reference key is the one OpenSLO names there.
macro_rules! ref_or_inline {
    ($name:ident, $spec:ty, $key:literal, $kind:literal, $expecting:literal) => {
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields, expecting = $expecting)]
        struct $name {
            #[serde(default, rename = $key)]
            reference: Option<String>,
            #[serde(default, rename = "apiVersion")]
            _api_version: Option<String>,
            #[serde(default)]
            kind: Option<String>,
            #[serde(default)]
            metadata: Option<Metadata>,
            #[serde(default)]
            spec: Option<$spec>,
        }

        impl $name {
            /// The `kind` of an inline object when it is not the one this list holds.
            fn wrong_kind(&self) -> Option<String> {
                self.kind
                    .as_deref()
                    .filter(|k| *k != $kind)
                    .map(|k| format!("an inline object here has kind {k:?}; expected {}", $kind))
            }
        }
    };
}

ref_or_inline!(
    PolicyItem,
    PolicySpec,
    "alertPolicyRef",
    "AlertPolicy",
    "an alert policy: `alertPolicyRef: <name>` or an inline AlertPolicy with `kind`, `metadata` and `spec`"
);
ref_or_inline!(
    ConditionItem,
    ConditionSpec,
    "conditionRef",
    "AlertCondition",
    "an alert condition: `conditionRef: <name>` or an inline AlertCondition with `kind`, `metadata` and `spec`"
);
ref_or_inline!(
    TargetItem,
    TargetSpec,
    "targetRef",
    "AlertNotificationTarget",
    "a notification target: `targetRef: <name>` or an inline AlertNotificationTarget with `kind`, `metadata` and `spec`"
);

#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an SLI's `spec`: a mapping with `ratioMetric` or `thresholdMetric`"
)]
struct SliSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default, rename = "ratioMetric")]
    ratio_metric: Option<RatioMetric>,
    #[serde(default, rename = "thresholdMetric")]
    threshold_metric: Option<MetricHolder>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "`ratioMetric`: a mapping with `good` or `bad` and `total`, or `raw` and `rawType`"
)]
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
#[serde(
    deny_unknown_fields,
    expecting = "a metric: a mapping with `metricSource`"
)]
struct MetricHolder {
    #[serde(rename = "metricSource")]
    metric_source: MetricSource,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "`metricSource`: a mapping with `type` or `metricSourceRef`, and `spec`"
)]
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
#[serde(
    deny_unknown_fields,
    expecting = "a time window: a mapping with `duration` and `isRolling` or `calendar`"
)]
struct TimeWindow {
    duration: String,
    #[serde(default, rename = "isRolling")]
    is_rolling: Option<bool>,
    #[serde(default)]
    calendar: Option<Calendar>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "`calendar`: a mapping with `startTime` and `timeZone`"
)]
struct Calendar {
    #[serde(default, rename = "startTime")]
    _start_time: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "timeZone")]
    time_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an objective: a mapping with `target` or `targetPercent`"
)]
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
    indicator: Option<InlineSli>,
    #[serde(default, rename = "indicatorRef")]
    indicator_ref: Option<String>,
    #[serde(default, rename = "compositeWeight")]
    composite_weight: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an AlertPolicy's `spec`: a mapping with `conditions` and `notificationTargets`"
)]
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
    conditions: Vec<ConditionItem>,
    #[serde(default, rename = "notificationTargets")]
    notification_targets: Vec<TargetItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an AlertCondition's `spec`: a mapping with `severity` and `condition`"
)]
struct ConditionSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    severity: String,
    condition: BurnRate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "`condition`: a mapping with `kind: burnrate`, `op`, `threshold` and `lookbackWindow`"
)]
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
#[serde(
    deny_unknown_fields,
    expecting = "an AlertNotificationTarget's `spec`: a mapping with `target`"
)]
struct TargetSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    target: String,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a Service's `spec`: a mapping (optionally with `description`)"
)]
struct ServiceSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a DataSource's `spec`: a mapping with `type` (and optionally `connectionDetails`)"
)]
struct DataSourceSpec {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, rename = "connectionDetails")]
    _connection_details: Option<serde::de::IgnoredAny>,
}

/// One YAML document, kept until every file was read: errors found while
/// resolving references point into it.
struct Doc {
    file: String,
    text: String,
    line_offset: usize,
}

impl Doc {
    fn cx(&self) -> DocContext<'_> {
        DocContext {
            file: &self.file,
            text: &self.text,
            line_offset: self.line_offset,
        }
    }
}

/// An object read: its name, its document, the line of its `name:` and its spec.
struct Read<T> {
    name: String,
    doc: Rc<Doc>,
    line: Option<usize>,
    metadata: Metadata,
    spec: T,
}

impl<T> Read<T> {
    /// `file:line` of this object, for messages that list definitions.
    fn place(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{}", self.doc.file, l + self.doc.line_offset),
            None => self.doc.file.clone(),
        }
    }

    /// The first line at or after this object's `name:` holding `needle`.
    fn line_of(&self, needle: &str) -> Option<usize> {
        self.line
            .and_then(|from| find_from(&self.doc.text, from, needle))
            .or(self.line)
    }

    /// An error at the first line holding `needle` in this object, in the
    /// field `spec.<field>` of `<kind> <name>`.
    fn error(&self, kind: &str, needle: &str, field: &str, message: String) -> SpecError {
        self.doc.cx().error(
            self.line_of(needle),
            &format!("{kind} {}: spec.{field}", self.name),
            message,
        )
    }
}

/// The first line (1-based) at or after line `from` holding `needle`.
fn find_from(text: &str, from: usize, needle: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
}

/// The line of the `name: <name>` key at or after line `from` (quotes
/// allowed), so `api` does not match `name: api-errors`.
fn name_line(text: &str, from: usize, name: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim().trim_start_matches("- ").trim_start();
            t.strip_prefix("name:").is_some_and(|v| {
                let v = v.split(" #").next().unwrap_or(v).trim();
                v.trim_matches(|c| c == '"' || c == '\'') == name
            })
        })
        .map(|(i, _)| i + 1)
}

/// An SLO waiting for the objects it names, and where its SLOs and
/// errors go among those of the files read (so order follows the files).
struct PendingSlo {
    read: Read<SloSpec>,
    slo_at: usize,
    error_at: usize,
}

/// The OpenSLO objects of every document read so far.
#[derive(Default)]
pub(super) struct Collector {
    slos: Vec<PendingSlo>,
    slis: Vec<Read<SliSpec>>,
    policies: Vec<Read<PolicySpec>>,
    conditions: Vec<Read<ConditionSpec>>,
    targets: Vec<Read<TargetSpec>>,
    sources: Vec<Read<DataSourceSpec>>,
    /// `(kind, name)` of the objects whose spec could not be read.
    unreadable: Vec<(String, String)>,
}

/// Reads an OpenSLO document (one object or a list of them) into
/// `collector`; SLOs are converted by [`Collector::resolve`], once every
/// file was read.
pub(super) fn read_list(cx: &DocContext<'_>, out: &mut ReadOutcome, collector: &mut Collector) {
    let objects: Vec<Object> = match cx.deserialize::<serde_yaml_ng::Value>() {
        Ok(v) if v.is_sequence() => match cx.deserialize() {
            Ok(o) => o,
            Err(e) => return out.errors.push(e),
        },
        Ok(_) => match cx.deserialize() {
            Ok(o) => vec![o],
            Err(e) => return out.errors.push(e),
        },
        Err(e) => return out.errors.push(e),
    };
    let doc = Rc::new(Doc {
        file: cx.file.to_owned(),
        text: cx.text.to_owned(),
        line_offset: cx.line_offset,
    });
    let mut cursor = 1;
    for (i, o) in objects.into_iter().enumerate() {
        let name = o.metadata.name.clone();
        let line = name_line(cx.text, cursor, &name).or_else(|| name_line(cx.text, 1, &name));
        if let Some(l) = line {
            cursor = l + 1;
        }
        let field = |rest: &str| {
            if rest.is_empty() || rest == "." {
                format!("{}[{i}]", o.kind)
            } else {
                format!("{} {name}: spec.{rest}", o.kind)
            }
        };
        if let Some(api) = o.api_version.as_deref()
            && api != "openslo/v1"
        {
            out.errors.push(cx.error(
                line,
                &field(""),
                format!("unsupported apiVersion {api:?}; expected openslo/v1"),
            ));
            continue;
        }
        macro_rules! spec_of {
            ($t:ty) => {
                match serde_path_to_error::deserialize::<_, $t>(o.spec.clone()) {
                    Ok(s) => Read {
                        name: name.clone(),
                        doc: Rc::clone(&doc),
                        line,
                        metadata: o.metadata.clone(),
                        spec: s,
                    },
                    Err(e) => {
                        let path = e.path().to_string();
                        let at = line.map(|l| cx.locate(l, &path));
                        collector.unreadable.push((o.kind.clone(), name.clone()));
                        out.errors.push(cx.error(
                            at,
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
                let read = spec_of!(SloSpec);
                collector.slos.push(PendingSlo {
                    read,
                    slo_at: out.spec.slos.len(),
                    error_at: out.errors.len(),
                });
            }
            "SLI" => {
                collector.slis.push(spec_of!(SliSpec));
                out.spec.others.push(format!("SLI {name}"));
            }
            "AlertPolicy" => {
                collector.policies.push(spec_of!(PolicySpec));
                out.spec.others.push(format!("AlertPolicy {name}"));
            }
            "AlertCondition" => {
                collector.conditions.push(spec_of!(ConditionSpec));
                out.spec.others.push(format!("AlertCondition {name}"));
            }
            "AlertNotificationTarget" => {
                let r = spec_of!(TargetSpec);
                out.spec.others.push(format!(
                    "AlertNotificationTarget {name} ({})",
                    r.spec.target
                ));
                collector.targets.push(r);
            }
            "Service" => {
                let _s = spec_of!(ServiceSpec);
                out.spec.others.push(format!("Service {name}"));
            }
            "DataSource" => {
                let r = spec_of!(DataSourceSpec);
                out.spec
                    .others
                    .push(format!("DataSource {name} ({})", r.spec.kind));
                collector.sources.push(r);
            }
            other => {
                let hint = crate::config::did_you_mean(other, &KINDS)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                out.errors.push(cx.error(
                    cx.find("kind:").or(line),
                    "kind",
                    format!(
                        "unknown OpenSLO kind {other:?}{hint}; expected SLO, SLI, Service, AlertPolicy, AlertCondition, AlertNotificationTarget or DataSource"
                    ),
                ));
            }
        }
    }
}

/// The kinds of OpenSLO v1.
const KINDS: [&str; 7] = [
    "SLO",
    "SLI",
    "Service",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
    "DataSource",
];

/// The one object of `items` named `name`: the same file's first, then
/// any file's. None is an error naming the kind, with a did-you-mean among
/// the names of that kind; two are an error naming both places.
fn lookup<'a, T>(
    items: &'a [Read<T>],
    key: &str,
    kind: &str,
    name: &str,
    from_file: &str,
) -> Result<&'a Read<T>, String> {
    let same_file: Vec<&Read<T>> = items
        .iter()
        .filter(|r| r.name == name && r.doc.file == from_file)
        .collect();
    let found = if same_file.is_empty() {
        items.iter().filter(|r| r.name == name).collect()
    } else {
        same_file
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut known: Vec<&str> = items.iter().map(|r| r.name.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            if known.is_empty() {
                return Err(format!(
                    "{key} {name:?} names no {kind}, and no {kind} was read; give the file that defines it (`kind: {kind}`) to the same command, or put it in another document (`---`) of this file"
                ));
            }
            let hint = crate::config::did_you_mean(name, &known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Err(format!(
                "{key} {name:?} names no {kind} in the files read{hint}; the {kind} names read: {}",
                known.join(", ")
            ))
        }
        many => Err(format!(
            "{key} {name:?} is ambiguous: {kind} {name} is defined {} times ({}); expected one definition",
            many.len(),
            many.iter()
                .map(|r| r.place())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An SLI found for an objective, with the object that holds it (the SLO
/// when inline, the SLI when referenced) for errors in it.
struct FoundSli<'a> {
    name: Option<String>,
    spec: SliSpec,
    /// Errors in the SLI point into this object's document.
    holder: Holder<'a>,
}

enum Holder<'a> {
    Slo(&'a Read<SloSpec>),
    Sli(&'a Read<SliSpec>),
}

impl Collector {
    /// [`lookup`], or `Err(None)` when the object named could not be read:
    /// its own error says why, a second one would only repeat it.
    fn lookup<'a, T>(
        &self,
        items: &'a [Read<T>],
        key: &str,
        kind: &str,
        name: &str,
        from_file: &str,
    ) -> Result<&'a Read<T>, Option<String>> {
        lookup(items, key, kind, name, from_file).map_err(|m| {
            let unreadable = self.unreadable.iter().any(|(k, n)| k == kind && n == name);
            (!unreadable).then_some(m)
        })
    }

    /// Converts every SLO read, its references resolved against every
    /// object read, and puts the SLOs and errors in file order.
    pub(super) fn resolve(self, out: &mut ReadOutcome) {
        let mut emitted: Vec<SpecError> = Vec::new();
        let mut results = Vec::new();
        for p in &self.slos {
            let (slos, errors) = self.convert(&p.read);
            // A bad reference in an AlertPolicy that several SLOs name is said once.
            let errors: Vec<SpecError> = errors
                .into_iter()
                .filter(|e| {
                    if emitted.contains(e) {
                        false
                    } else {
                        emitted.push(e.clone());
                        true
                    }
                })
                .collect();
            results.push((p.slo_at, p.error_at, slos, errors));
        }
        for (slo_at, error_at, slos, errors) in results.into_iter().rev() {
            out.spec.slos.splice(slo_at..slo_at, slos);
            out.errors.splice(error_at..error_at, errors);
        }
    }

    /// An SLO's [`Slo`]s, or its errors: those in its own file first, by line.
    fn convert(&self, slo: &Read<SloSpec>) -> (Vec<Slo>, Vec<SpecError>) {
        let (slos, mut errors) = self.convert_unsorted(slo);
        errors.sort_by_key(|e| (e.file != slo.doc.file, e.file.clone(), e.line));
        (slos, errors)
    }

    fn convert_unsorted(&self, slo: &Read<SloSpec>) -> (Vec<Slo>, Vec<SpecError>) {
        let name = &slo.name;
        let s = &slo.spec;
        let err = |needle: &str, field: &str, msg: String| slo.error("SLO", needle, field, msg);
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

        let conditions = self.alert_conditions(slo, &mut errors);

        if s.objectives.is_empty() {
            errors.push(err(
                "objectives:",
                "objectives",
                "expected at least one objective".to_owned(),
            ));
        }
        // go-sdk's rule: an objective with its own indicator makes a composite SLO.
        let composite = s
            .objectives
            .iter()
            .any(|o| o.indicator.is_some() || o.indicator_ref.is_some());
        if composite && (s.indicator.is_some() || s.indicator_ref.is_some()) {
            errors.push(err(
                if s.indicator_ref.is_some() { "indicatorRef:" } else { "indicator:" },
                "indicator",
                "an SLI is given both on the SLO and on its objectives; expected the SLO's (one SLI for every objective) or each objective's (a composite SLO)".to_owned(),
            ));
            return (Vec::new(), errors);
        }

        let mut parts = Vec::new();
        for (i, o) in s.objectives.iter().enumerate() {
            let field = format!("objectives[{i}]");
            let entry = slo
                .line
                .and_then(|from| slo.doc.cx().list_entry(from, "objectives", i));
            let near = |needle: &str| {
                entry
                    .and_then(|(a, b)| {
                        slo.doc
                            .text
                            .lines()
                            .enumerate()
                            .take(b.saturating_sub(1))
                            .skip(a - 1)
                            .find(|(_, l)| l.contains(needle))
                            .map(|(k, _)| k + 1)
                    })
                    .or(entry.map(|(a, _)| a))
                    .or_else(|| slo.line_of(needle))
            };
            let at = |needle: &str, field: &str, msg: String| {
                slo.doc
                    .cx()
                    .error(near(needle), &format!("SLO {name}: spec.{field}"), msg)
            };
            if let Some(w) = o.composite_weight {
                if !composite {
                    errors.push(at(
                        "compositeWeight",
                        &format!("{field}.compositeWeight"),
                        "compositeWeight weighs the objectives of a composite SLO, where each objective names its own `indicator` or `indicatorRef`; this objective has none".to_owned(),
                    ));
                } else if !(w.is_finite() && w > 0.0) {
                    errors.push(at(
                        "compositeWeight",
                        &format!("{field}.compositeWeight"),
                        format!("compositeWeight {w} must be above 0"),
                    ));
                }
            }
            let found = if composite {
                self.find_sli(
                    slo,
                    (&o.indicator, &o.indicator_ref),
                    &format!("{field}.indicator"),
                    &at,
                )
            } else {
                self.find_sli(
                    slo,
                    (&s.indicator, &s.indicator_ref),
                    "indicator",
                    &|n: &str, f: &str, m: String| err(n, f, m),
                )
            };
            let Some(found) = found.map_err(|e| errors.extend(e)).ok() else {
                continue;
            };
            let sli = match sli_of(&self.with_source_types(found.spec.clone(), &found), o) {
                Ok(sli) => sli,
                Err(m) => {
                    errors.push(match found.holder {
                        Holder::Slo(_) if composite => {
                            at("indicator:", &format!("{field}.indicator.spec"), m)
                        }
                        Holder::Slo(_) => err("Metric:", "indicator.spec", m),
                        Holder::Sli(r) => r.error("SLI", "Metric:", "", m),
                    });
                    continue;
                }
            };
            let percent = match (o.target, o.target_percent) {
                (Some(t), None) => t * 100.0,
                (None, Some(p)) => p,
                _ => {
                    errors.push(at(
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
                    errors.push(at("target", &format!("{field}.target"), m));
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
            parts.push((i, o, found.name, sli, percent, budgeting));
        }
        let Some(window) = window else {
            return (Vec::new(), errors);
        };
        if !errors.is_empty() {
            return (Vec::new(), errors);
        }

        let mut labels = BTreeMap::new();
        for (k, v) in &slo.metadata.labels {
            labels.insert(k.clone(), label_value(v));
        }
        let base = |name: String, percent: f64, budgeting: Budgeting, sli: Sli| Slo {
            name,
            service: s.service.clone(),
            description: s
                .description
                .clone()
                .or_else(|| slo.metadata.display_name.clone()),
            objective_percent: percent,
            window: window.clone(),
            budgeting,
            sli,
            alerting: Alerting {
                conditions: conditions.clone(),
                ..Alerting::default()
            },
            labels: labels.clone(),
            stale_after: None,
            origin: Origin {
                file: slo.doc.file.clone(),
                line: slo.line.map(|l| l + slo.doc.line_offset),
                format: SpecFormat::OpenSlo,
            },
        };
        if composite && parts.len() > 1 {
            let total: f64 = parts
                .iter()
                .map(|(_, o, ..)| o.composite_weight.unwrap_or(1.0))
                .sum();
            let mean = parts
                .iter()
                .map(|(_, o, _, _, p, _)| o.composite_weight.unwrap_or(1.0) * p)
                .sum::<f64>()
                / total;
            let budgeting = parts[0].5;
            let components = parts
                .into_iter()
                .map(|(i, o, sli_name, sli, percent, budgeting)| Component {
                    name: o
                        .display_name
                        .clone()
                        .or(sli_name)
                        .unwrap_or_else(|| format!("objective-{i}")),
                    objective_percent: percent,
                    weight: o.composite_weight.unwrap_or(1.0),
                    budgeting,
                    sli,
                })
                .collect();
            return (
                vec![base(
                    name.clone(),
                    mean,
                    budgeting,
                    Sli::Composite(components),
                )],
                errors,
            );
        }
        let many = parts.len() > 1;
        let out = parts
            .into_iter()
            .map(|(i, o, _, sli, percent, budgeting)| {
                let label = o
                    .display_name
                    .clone()
                    .unwrap_or_else(|| format!("objective-{i}"));
                let name = if many {
                    format!("{name}/{}", label.to_ascii_lowercase().replace(' ', "-"))
                } else {
                    name.clone()
                };
                base(name, percent, budgeting, sli)
            })
            .collect();
        (out, errors)
    }

    /// The SLI an SLO or objective names, inline or by `indicatorRef`.
    fn find_sli<'a>(
        &'a self,
        slo: &'a Read<SloSpec>,
        (inline, reference): (&Option<InlineSli>, &Option<String>),
        field: &str,
        at: &dyn Fn(&str, &str, String) -> SpecError,
    ) -> Result<FoundSli<'a>, Option<SpecError>> {
        match (inline, reference) {
            (Some(i), None) => Ok(FoundSli {
                name: i.metadata.as_ref().map(|m| m.name.clone()),
                spec: i.spec.clone(),
                holder: Holder::Slo(slo),
            }),
            (None, Some(r)) => {
                let found = self
                    .lookup(&self.slis, "indicatorRef", "SLI", r, &slo.doc.file)
                    .map_err(|m| {
                        m.map(|m| at(&format!("indicatorRef: {r}"), &format!("{field}Ref"), m))
                    })?;
                Ok(FoundSli {
                    name: Some(found.name.clone()),
                    spec: found.spec.clone(),
                    holder: Holder::Sli(found),
                })
            }
            (Some(_), Some(_)) => Err(Some(at(
                "indicatorRef:",
                field,
                "sets both `indicator` and `indicatorRef`; expected one".to_owned(),
            ))),
            (None, None) => Err(Some(at(
                if field == "indicator" {
                    "service:"
                } else {
                    "target"
                },
                field,
                "has no SLI; expected `indicator` or `indicatorRef`".to_owned(),
            ))),
        }
    }

    /// `spec` with each metric source's `type` taken from the DataSource
    /// its `metricSourceRef` names, when it gives none (OpenSLO lets the
    /// type be inferred so).
    fn with_source_types(&self, mut spec: SliSpec, found: &FoundSli<'_>) -> SliSpec {
        let file = match found.holder {
            Holder::Slo(r) => &r.doc.file,
            Holder::Sli(r) => &r.doc.file,
        };
        let fill = |m: &mut Option<MetricHolder>| {
            if let Some(m) = m
                && m.metric_source.kind.is_none()
                && let Some(r) = &m.metric_source.metric_source_ref
                && let Ok(ds) = self.lookup(&self.sources, "metricSourceRef", "DataSource", r, file)
            {
                m.metric_source.kind = Some(ds.spec.kind.clone());
            }
        };
        if let Some(r) = &mut spec.ratio_metric {
            fill(&mut r.good);
            fill(&mut r.bad);
            fill(&mut r.total);
            fill(&mut r.raw);
        }
        fill(&mut spec.threshold_metric);
        spec
    }

    /// The burn-rate conditions of an SLO's alert policies, references
    /// resolved; errors point at the reference or the object at fault.
    fn alert_conditions(
        &self,
        slo: &Read<SloSpec>,
        errors: &mut Vec<SpecError>,
    ) -> Vec<AlertCondition> {
        let mut out = Vec::new();
        let policies = slo.spec.alert_policies.as_deref().unwrap_or(&[]);
        for (i, p) in policies.iter().enumerate() {
            let field = format!("alertPolicies[{i}]");
            // The policy, and the object its conditions and targets are written in.
            let (policy_name, policy, owner): (String, &PolicySpec, Owner<'_>) = match (
                &p.reference,
                &p.spec,
            ) {
                (Some(r), None) => {
                    match self.lookup(
                        &self.policies,
                        "alertPolicyRef",
                        "AlertPolicy",
                        r,
                        &slo.doc.file,
                    ) {
                        Ok(found) => (r.clone(), &found.spec, Owner::Policy(found)),
                        Err(m) => {
                            errors.extend(m.map(|m| {
                                slo.error(
                                    "SLO",
                                    &format!("alertPolicyRef: {r}"),
                                    &format!("{field}.alertPolicyRef"),
                                    m,
                                )
                            }));
                            continue;
                        }
                    }
                }
                (None, Some(spec)) => {
                    if let Some(m) = p.wrong_kind() {
                        errors.push(slo.error("SLO", "kind:", &format!("{field}.kind"), m));
                        continue;
                    }
                    (
                        p.metadata
                            .as_ref()
                            .map(|m| m.name.clone())
                            .unwrap_or_default(),
                        spec,
                        Owner::Slo(slo, field.clone()),
                    )
                }
                (Some(_), Some(_)) => {
                    errors.push(slo.error(
                        "SLO",
                        "alertPolicyRef:",
                        &field,
                        "sets both `alertPolicyRef` and an inline `spec`; expected one".to_owned(),
                    ));
                    continue;
                }
                (None, None) => {
                    errors.push(slo.error(
                            "SLO",
                            "alertPolicies:",
                            &field,
                            "an alert policy needs `alertPolicyRef: <name>` or an inline AlertPolicy with `metadata` and `spec`".to_owned(),
                        ));
                    continue;
                }
            };
            let mut targets = Vec::new();
            for (j, t) in policy.notification_targets.iter().enumerate() {
                let tfield = format!("notificationTargets[{j}]");
                match (&t.reference, &t.spec) {
                    (Some(r), None) => {
                        match self.lookup(&self.targets, "targetRef", "AlertNotificationTarget", r, owner.file()) {
                            Ok(found) => targets.push(found.name.clone()),
                            Err(m) => errors.extend(m.map(|m| {
                                owner.error(&format!("targetRef: {r}"), &format!("{tfield}.targetRef"), m)
                            })),
                        }
                    }
                    (None, Some(_)) => match t.wrong_kind() {
                        Some(m) => errors.push(owner.error("kind:", &format!("{tfield}.kind"), m)),
                        None => targets.push(
                            t.metadata.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
                        ),
                    },
                    (Some(_), Some(_)) => errors.push(owner.error(
                        "targetRef:",
                        &tfield,
                        "sets both `targetRef` and an inline `spec`; expected one".to_owned(),
                    )),
                    (None, None) => errors.push(owner.error(
                        "notificationTargets:",
                        &tfield,
                        "a notification target needs `targetRef: <name>` or an inline AlertNotificationTarget with `metadata` and `spec`".to_owned(),
                    )),
                }
            }
            for (j, c) in policy.conditions.iter().enumerate() {
                let cfield = format!("conditions[{j}]");
                let (cname, cond, cowner, at) = match (&c.reference, &c.spec) {
                    (Some(r), None) => {
                        match self.lookup(
                            &self.conditions,
                            "conditionRef",
                            "AlertCondition",
                            r,
                            owner.file(),
                        ) {
                            Ok(found) => (
                                r.clone(),
                                &found.spec,
                                Owner::Condition(found),
                                "condition".to_owned(),
                            ),
                            Err(m) => {
                                errors.extend(m.map(|m| {
                                    owner.error(
                                        &format!("conditionRef: {r}"),
                                        &format!("{cfield}.conditionRef"),
                                        m,
                                    )
                                }));
                                continue;
                            }
                        }
                    }
                    (None, Some(_)) if c.wrong_kind().is_some() => {
                        let m = c.wrong_kind().unwrap_or_default();
                        errors.push(owner.error("kind:", &format!("{cfield}.kind"), m));
                        continue;
                    }
                    (None, Some(spec)) => (
                        c.metadata
                            .as_ref()
                            .map(|m| m.name.clone())
                            .unwrap_or_default(),
                        spec,
                        owner.clone(),
                        format!("{cfield}.spec.condition"),
                    ),
                    (Some(_), Some(_)) => {
                        errors.push(
                            owner.error(
                                "conditionRef:",
                                &cfield,
                                "sets both `conditionRef` and an inline `spec`; expected one"
                                    .to_owned(),
                            ),
                        );
                        continue;
                    }
                    (None, None) => {
                        errors.push(owner.error(
                            "conditions:",
                            &cfield,
                            "an alert condition needs `conditionRef: <name>` or an inline AlertCondition with `metadata` and `spec`".to_owned(),
                        ));
                        continue;
                    }
                };
                match condition(&cname, &policy_name, cond, &targets) {
                    Ok(c) => out.push(c),
                    Err((needle, m)) => errors.push(cowner.error(needle, &at, m)),
                }
            }
        }
        out
    }
}

/// The object an alert policy's parts are written in, for errors.
#[derive(Clone)]
enum Owner<'a> {
    /// Inline in an SLO, under `alertPolicies[i]`.
    Slo(&'a Read<SloSpec>, String),
    Policy(&'a Read<PolicySpec>),
    Condition(&'a Read<ConditionSpec>),
}

impl Owner<'_> {
    fn file(&self) -> &str {
        match self {
            Owner::Slo(r, _) => &r.doc.file,
            Owner::Policy(r) => &r.doc.file,
            Owner::Condition(r) => &r.doc.file,
        }
    }

    fn error(&self, needle: &str, field: &str, message: String) -> SpecError {
        match self {
            Owner::Slo(r, prefix) => {
                r.error("SLO", needle, &format!("{prefix}.spec.{field}"), message)
            }
            Owner::Policy(r) => r.error("AlertPolicy", needle, field, message),
            Owner::Condition(r) => r.error("AlertCondition", needle, field, message),
        }
    }
}

/// One burn-rate condition, checked; an error comes with a text to find its line by.
fn condition(
    name: &str,
    policy: &str,
    cond: &ConditionSpec,
    targets: &[String],
) -> Result<AlertCondition, (&'static str, String)> {
    if cond.condition.kind != "burnrate" {
        return Err((
            "kind:",
            format!(
                "condition {name:?} has kind {:?}; expected burnrate",
                cond.condition.kind
            ),
        ));
    }
    let op = &cond.condition.op;
    if crate::slo::conditions::ConditionOp::parse(op).is_none() {
        let words = crate::slo::conditions::ConditionOp::WORDS;
        let hint = crate::config::did_you_mean(op, &words)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err((
            "op:",
            format!("condition {name:?} has op {op:?}{hint}; expected one of lt, lte, gt, gte"),
        ));
    }
    Ok(AlertCondition {
        name: name.to_owned(),
        policy: policy.to_owned(),
        severity: cond.severity.clone(),
        op: op.clone(),
        threshold: cond.condition.threshold,
        lookback_window: parse_duration(&cond.condition.lookback_window)
            .map_err(|m| ("lookbackWindow:", m))?,
        alert_after: cond
            .condition
            .alert_after
            .as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|m| ("alertAfter:", m))?,
        notification_targets: targets.to_vec(),
    })
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
