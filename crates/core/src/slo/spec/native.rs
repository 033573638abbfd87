//! sloe's own `[[slo]]` tables (in sloe.toml, or the same schema in YAML or
//! JSON), validated into [`Slo`] as the config is read, so an error points
//! at its table.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{
    AlertTarget, Alerting, Budgeting, Origin, PromSli, Sli, Slo, SpecError, SpecFile, SpecFormat,
    check_objective_percent, parse_duration,
};
use crate::config::{Document, Percent, Syntax};
use crate::slo::alerts::{AlertRule, AlertSeverity, default_rules};
use crate::slo::history::SuiteRate;
use crate::slo::window::Window;
use crate::units::{Dimension, Quantity};

/// An `[[slo]]` table as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "an `[[slo]]` table with `name`, `objective` and `sli`"
)]
pub struct SloSpec {
    /// Unique name of the SLO.
    name: String,
    /// The service it belongs to (default: the name).
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// Target share of good events (or timeslices), below 100%: "99.9%".
    objective: Percent,
    /// Rolling length ("30d", "4w", "12h") or calendar period ("day", "week", "month", "quarter", "year"); default "30d".
    #[serde(default)]
    window: Option<String>,
    /// IANA time zone of a calendar window (default UTC).
    #[serde(default)]
    time_zone: Option<String>,
    /// "occurrences" (default) or "timeslices".
    #[serde(default)]
    budgeting: Option<BudgetingWord>,
    /// Length of a timeslice (default "5m").
    #[serde(default)]
    timeslice: Option<String>,
    /// Share of good events that makes a timeslice good (default: the objective).
    #[serde(default)]
    timeslice_target: Option<Percent>,
    /// Where good and total events come from.
    sli: SliSpec,
    /// Labels put on generated rules.
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    alerting: Option<AlertingSpec>,
    /// How long without an event before status calls the SLO stale ("30m"; default: `policy.slo_stale_after`, 10m).
    #[serde(default)]
    stale_after: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    expecting = "\"occurrences\" or \"timeslices\""
)]
enum BudgetingWord {
    Occurrences,
    Timeslices,
}

/// Exactly one of `events`, `prometheus`, `history` and `junit`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "an SLI: a table with one of `events`, `prometheus`, `history` and `junit`"
)]
struct SliSpec {
    /// The event stream (pushed with `sloe slo ingest`).
    #[serde(default)]
    events: Option<String>,
    /// With `events`: a raw event is good only when its value is at most this ("300ms").
    #[serde(default)]
    threshold: Option<Quantity>,
    /// PromQL queries; `{{window}}` is replaced by the window.
    #[serde(default)]
    prometheus: Option<PromSpec>,
    /// CI runs from sloe's history as events.
    #[serde(default)]
    history: Option<HistorySpec>,
    /// JUnit runs from sloe's history (`sloe ingest` of JUnit XML) as events.
    #[serde(default)]
    junit: Option<JunitSpec>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a `prometheus` SLI: a table with `good` or `bad` and `total`, or `error_ratio`"
)]
struct PromSpec {
    /// Good events, e.g. `sum(rate(http_requests_total{code!~"5.."}[{{window}}]))`.
    #[serde(default)]
    good: Option<String>,
    /// Bad events (instead of `good`).
    #[serde(default)]
    bad: Option<String>,
    /// All events.
    #[serde(default)]
    total: Option<String>,
    /// A query that is itself the error ratio (instead of the others).
    #[serde(default)]
    error_ratio: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a `history` SLI: a table with `benchmark`, `measure` and `threshold`"
)]
struct HistorySpec {
    benchmark: String,
    #[serde(default = "wall_time")]
    measure: String,
    /// A run is good when its value is at most this.
    threshold: Quantity,
}

/// `sli = { junit = { suite = "*", rate = "pass" } }`: each recorded run's
/// matching suites, counting their test cases that ran.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a `junit` SLI: a table with `suite` and `rate`"
)]
struct JunitSpec {
    /// Glob on the suite name (`<testsuite name>`); default "*", every suite.
    #[serde(default = "every_suite")]
    suite: String,
    /// "pass": good test cases passed (failures and errors are bad);
    /// "not_flaky": good test cases were not flaky (passed only on a retry).
    /// Skipped test cases count in neither.
    rate: RateWord,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", expecting = "\"pass\" or \"not_flaky\"")]
enum RateWord {
    Pass,
    NotFlaky,
}

fn every_suite() -> String {
    "*".to_owned()
}

fn wall_time() -> String {
    "wall_time".to_owned()
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "an `alerting` table")]
struct AlertingSpec {
    /// Alert name in generated rules.
    #[serde(default)]
    name: Option<String>,
    /// Events a long window needs before a rule may fire (default 1).
    #[serde(default)]
    min_events: Option<u64>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    /// Labels of the page alert (e.g. `severity = "critical"`); `page = false` turns it off.
    #[serde(default)]
    page_labels: BTreeMap<String, String>,
    #[serde(default)]
    ticket_labels: BTreeMap<String, String>,
    #[serde(default)]
    page: Option<bool>,
    #[serde(default)]
    ticket: Option<bool>,
    /// Burn-rate rows replacing the SRE workbook's defaults.
    #[serde(default)]
    rules: Option<Vec<RuleSpec>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "an alert rule: a table with `severity`, `long_window`, `short_window` and `budget`"
)]
struct RuleSpec {
    /// "page" or "ticket".
    severity: SeverityWord,
    long_window: String,
    short_window: String,
    /// Share of the period's budget the long window may spend: "2%".
    budget: Percent,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", expecting = "\"page\" or \"ticket\"")]
enum SeverityWord {
    Page,
    Ticket,
}

impl TryFrom<SloSpec> for Slo {
    type Error = String;

    fn try_from(s: SloSpec) -> Result<Self, Self::Error> {
        let name = s.name;
        let at = |m: String| format!("slo {name:?}: {m}");
        let percent = check_objective_percent(s.objective.0).map_err(at)?;
        let window_text = s.window.as_deref().unwrap_or("30d");
        let mut window: Window = window_text.parse().map_err(|e| at(format!("{e}")))?;
        if let Some(tz) = &s.time_zone {
            let zone =
                TimeZone::get(tz).map_err(|e| at(format!("unknown time_zone {tz:?}: {e}")))?;
            if matches!(window, Window::Rolling(_)) {
                return Err(at(format!(
                    "time_zone {tz:?} applies only to calendar windows (day, week, month, quarter, year), not {window_text:?}"
                )));
            }
            window = window.in_zone(zone);
        }
        let budgeting = match s.budgeting.unwrap_or(BudgetingWord::Occurrences) {
            BudgetingWord::Occurrences => {
                if s.timeslice.is_some() || s.timeslice_target.is_some() {
                    return Err(at(
                        "`timeslice` and `timeslice_target` need budgeting = \"timeslices\""
                            .to_owned(),
                    ));
                }
                Budgeting::Occurrences
            }
            BudgetingWord::Timeslices => {
                let slice = match &s.timeslice {
                    Some(t) => parse_duration(t).map_err(|m| at(format!("timeslice: {m}")))?,
                    None => SignedDuration::from_mins(5),
                };
                let target = s.timeslice_target.map_or(percent, |p| p.0);
                if !(target > 0.0 && target <= 100.0) {
                    return Err(at(format!(
                        "timeslice_target {target}% must be above 0% and at most 100%"
                    )));
                }
                Budgeting::Timeslices {
                    slice,
                    slice_target: target / 100.0,
                }
            }
        };
        let sli = sli(s.sli).map_err(at)?;
        let alerting = alerting(s.alerting.unwrap_or_default()).map_err(at)?;
        // `parse_duration` refuses a zero length: a status is never stale at once.
        let stale_after = s
            .stale_after
            .as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|m| at(format!("stale_after: {m}")))?;
        Ok(Slo {
            service: s.service.unwrap_or_else(|| name.clone()),
            name,
            description: s.description,
            objective_percent: percent,
            window,
            budgeting,
            sli,
            alerting,
            labels: s.labels,
            stale_after,
            origin: Origin::default(),
        })
    }
}

fn sli(s: SliSpec) -> Result<Sli, String> {
    if s.threshold.is_some() && s.events.is_none() {
        return Err("sli.threshold goes with sli.events".to_owned());
    }
    let set = [
        s.events.is_some(),
        s.prometheus.is_some(),
        s.history.is_some(),
        s.junit.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if set == 0 {
        return Err(
            "sli is empty; expected one of `events`, `prometheus`, `history` or `junit`".to_owned(),
        );
    }
    if set > 1 {
        return Err(
            "sli sets more than one of `events`, `prometheus`, `history` and `junit`; expected one"
                .to_owned(),
        );
    }
    if let Some(stream) = s.events {
        if let Some(t) = &s.threshold
            && t.dimension() != Some(Dimension::Time)
        {
            return Err(format!(
                "sli.threshold {t} is not a length of time; expected e.g. \"300ms\""
            ));
        }
        return Ok(Sli::Events {
            stream,
            threshold: s.threshold,
        });
    }
    if let Some(p) = s.prometheus {
        let prom = match (p.good, p.bad, p.total, p.error_ratio) {
            (Some(good), None, Some(total), None) => PromSli::GoodTotal { good, total },
            (None, Some(error), Some(total), None) => PromSli::ErrorTotal { error, total },
            (None, None, None, Some(q)) => PromSli::ErrorRatio(q),
            _ => {
                return Err(
                    "sli.prometheus needs `good` and `total`, `bad` and `total`, or `error_ratio` alone"
                        .to_owned(),
                );
            }
        };
        return Ok(Sli::Prometheus(prom));
    }
    if let Some(h) = s.history {
        return Ok(Sli::History {
            benchmark: h.benchmark,
            measure: h.measure,
            threshold: h.threshold,
        });
    }
    let j = s.junit.ok_or_else(|| "sli is empty".to_owned())?;
    if let Err(e) = glob::Pattern::new(&j.suite) {
        return Err(format!(
            "sli.junit.suite {:?} is not a valid glob: {e}",
            j.suite
        ));
    }
    Ok(Sli::Junit {
        suite: j.suite,
        rate: match j.rate {
            RateWord::Pass => SuiteRate::Pass,
            RateWord::NotFlaky => SuiteRate::NotFlaky,
        },
    })
}

fn alerting(a: AlertingSpec) -> Result<Alerting, String> {
    let rules = match a.rules {
        None => default_rules(),
        Some(rows) => rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let long_window = parse_duration(&r.long_window)
                    .map_err(|m| format!("alerting.rules[{i}].long_window: {m}"))?;
                let short_window = parse_duration(&r.short_window)
                    .map_err(|m| format!("alerting.rules[{i}].short_window: {m}"))?;
                if short_window >= long_window {
                    return Err(format!(
                        "alerting.rules[{i}]: short_window must be shorter than long_window"
                    ));
                }
                let fraction = r.budget.fraction();
                if !(fraction > 0.0 && fraction <= 1.0) {
                    return Err(format!(
                        "alerting.rules[{i}].budget must be above 0% and at most 100%"
                    ));
                }
                Ok(AlertRule {
                    severity: match r.severity {
                        SeverityWord::Page => AlertSeverity::Page,
                        SeverityWord::Ticket => AlertSeverity::Ticket,
                    },
                    long_window,
                    short_window,
                    budget_fraction: fraction,
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Alerting {
        name: a.name,
        labels: a.labels,
        annotations: a.annotations,
        page: AlertTarget {
            enabled: a.page.unwrap_or(true),
            labels: a.page_labels,
            annotations: BTreeMap::new(),
        },
        ticket: AlertTarget {
            enabled: a.ticket.unwrap_or(true),
            labels: a.ticket_labels,
            annotations: BTreeMap::new(),
        },
        rules,
        min_events: a.min_events.unwrap_or(1),
        conditions: Vec::new(),
    })
}

/// Reads the `[[slo]]` tables of a sloe config file.
pub fn read(text: &str, file: &str, syntax: Syntax) -> Result<SpecFile, SpecError> {
    let config = Document::parse(text, file, syntax)
        .and_then(|d| d.resolve(None))
        .map_err(|e| {
            let mut e = SpecError::from(e);
            // A check of a whole `[[slo]]` table points at that table.
            let nth = e
                .field
                .as_deref()
                .and_then(|k| k.strip_prefix("slo["))
                .and_then(|k| k.split(']').next())
                .and_then(|n| n.parse::<usize>().ok());
            if let (Some(n), Syntax::Toml) = (nth, syntax)
                && let Some(line) = slo_lines(text).get(n)
                && e.line.is_none_or(|l| l < *line)
            {
                e.line = Some(*line);
                e.column = None;
            }
            e
        })?;
    Ok(SpecFile {
        slos: with_origin(config.slos, text, file),
        ..SpecFile::default()
    })
}

/// Fills in where each `[[slo]]` of a config file was read.
pub fn with_origin(mut slos: Vec<Slo>, text: &str, file: &str) -> Vec<Slo> {
    let lines = slo_lines(text);
    for (i, s) in slos.iter_mut().enumerate() {
        s.origin = Origin {
            file: file.to_owned(),
            line: lines.get(i).copied(),
            format: SpecFormat::Sloe,
        };
    }
    slos
}

fn slo_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[slo]]"))
        .map(|(i, _)| i + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sli: &str) -> Result<Slo, SpecError> {
        let text = format!("[[slo]]\nname = \"tests\"\nobjective = \"99%\"\nsli = {sli}\n");
        read(&text, "sloe.toml", Syntax::Toml).map(|f| f.slos[0].clone())
    }

    #[test]
    fn stale_after_is_an_slo_length_above_zero_or_an_error() {
        let read_one = |extra: &str| {
            let text = format!(
                "[[slo]]\nname = \"api\"\nobjective = \"99%\"\n{extra}sli = {{ events = \"api\" }}\n"
            );
            read(&text, "sloe.toml", Syntax::Toml).map(|f| f.slos[0].clone())
        };
        assert_eq!(read_one("").expect("valid").stale_after, None);
        let s = read_one("stale_after = \"30m\"\n").expect("valid");
        assert_eq!(s.stale_after, Some(SignedDuration::from_mins(30)));
        let e = read_one("stale_after = \"0m\"\n").expect_err("zero");
        assert!(
            e.to_string().contains("stale_after: expected a length"),
            "{e}"
        );
        let e = read_one("stale_after = \"a while\"\n").expect_err("not a length");
        assert!(
            e.to_string().contains("stale_after: expected a length"),
            "{e}"
        );
    }

    #[test]
    fn junit_sli_pass_and_not_flaky() {
        let s = one("{ junit = { suite = \"core*\", rate = \"pass\" } }").expect("valid");
        assert_eq!(
            s.sli,
            Sli::Junit {
                suite: "core*".into(),
                rate: SuiteRate::Pass
            }
        );
        // the suite defaults to every suite
        let s = one("{ junit = { rate = \"not_flaky\" } }").expect("valid");
        assert_eq!(
            s.sli,
            Sli::Junit {
                suite: "*".into(),
                rate: SuiteRate::NotFlaky
            }
        );
        assert_eq!(s.sli.describe(), "junit suites \"*\" not_flaky rate");
    }

    #[test]
    fn a_wrong_shape_is_said_without_rust_type_names() {
        for (sli, says) in [
            ("\"api\"", "expected an SLI: a table with one of `events`"),
            (
                "{ prometheus = \"x\" }",
                "expected a `prometheus` SLI: a table",
            ),
            ("{ history = 5 }", "expected a `history` SLI: a table"),
            ("{ junit = [] }", "expected a `junit` SLI: a table"),
        ] {
            let e = one(sli).expect_err(sli).to_string();
            assert!(e.contains(says), "{sli}: {says:?} not in {e}");
            for rust in ["struct", "enum", "Spec", "Word"] {
                assert!(!e.contains(rust), "{rust:?} in {e}");
            }
        }
    }

    #[test]
    fn junit_sli_mistakes_name_line_and_field() {
        let e = one("{ junit = { rate = \"pas\" } }").expect_err("misspelt rate");
        assert_eq!(e.line, Some(4), "{e}");
        assert_eq!(e.field.as_deref(), Some("slo[0].sli.junit.rate"), "{e}");
        assert!(e.message.contains("did you mean `pass`"), "{e}");
        let e = one("{ junit = { suite = \"x\" } }").expect_err("no rate");
        assert!(e.to_string().contains("rate"), "{e}");
        let e = one("{ junit = { rate = \"pass\", suit = \"x\" } }").expect_err("typo");
        assert!(e.message.contains("did you mean `suite`"), "{e}");
        let e = one("{ junit = { rate = \"pass\", suite = \"[\" } }").expect_err("bad glob");
        assert!(e.message.contains("not a valid glob"), "{e}");
        let e = one("{ events = \"api\", junit = { rate = \"pass\" } }").expect_err("two");
        assert!(e.message.contains("more than one"), "{e}");
    }
}
