//! SLO specs: one model, [`Slo`], read from three formats, one file each:
//! sloe.toml's `[[slo]]` tables (`native.rs`), OpenSLO v1 (`openslo.rs`) and
//! Sloth's `prometheus/v1` and `sloth.slok.dev/v1` (`sloth.rs`).
//!
//! Readers take text and a file name (for messages) and never touch files;
//! [`read_files`] reads several together, so OpenSLO references resolve
//! across documents and files. Every error names the file, the line and
//! column when the YAML parser or the document gives them, and the field,
//! in the words of the format: never a Rust type's name (`improve`).

pub mod native;
pub mod openslo;
pub mod sloth;

use std::collections::BTreeMap;
use std::fmt;

use jiff::SignedDuration;

use crate::Quantity;
use crate::slo::alerts::{AlertRule, default_rules};
use crate::slo::window::Window;

/// One service level objective, whatever format it was written in.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, schemars::JsonSchema)]
#[serde(try_from = "native::SloSpec")]
#[schemars(with = "native::SloSpec")]
pub struct Slo {
    pub name: String,
    pub service: String,
    pub description: Option<String>,
    /// The objective in percent as written (99.9); see [`Slo::objective`].
    pub objective_percent: f64,
    pub window: Window,
    pub budgeting: Budgeting,
    pub sli: Sli,
    pub alerting: Alerting,
    /// Labels put on every generated rule.
    pub labels: BTreeMap<String, String>,
    /// How long without an event before the status is stale; `None`
    /// takes `policy.slo_stale_after`.
    pub stale_after: Option<SignedDuration>,
    pub origin: Origin,
}

impl Slo {
    /// The objective as a fraction (0.999).
    pub fn objective(&self) -> f64 {
        self.objective_percent / 100.0
    }

    /// Sloth's id: `service-name`.
    pub fn id(&self) -> String {
        format!("{}-{}", self.service, self.name)
    }
}

/// Where a spec was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: String,
    pub line: Option<usize>,
    pub format: SpecFormat,
}

/// The format a spec was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpecFormat {
    #[default]
    Sloe,
    OpenSlo,
    Sloth,
    SlothKubernetes,
}

impl SpecFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecFormat::Sloe => "sloe",
            SpecFormat::OpenSlo => "openslo/v1",
            SpecFormat::Sloth => "prometheus/v1",
            SpecFormat::SlothKubernetes => "sloth.slok.dev/v1",
        }
    }
}

/// How the error budget is counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budgeting {
    /// Good events over all events in the window.
    Occurrences,
    /// Good slices over all slices; a slice is good when its ratio reaches `slice_target`.
    Timeslices {
        slice: SignedDuration,
        slice_target: f64,
    },
    /// OpenSLO's RatioTimeslices: the mean of the slices' good ratios.
    RatioTimeslices { slice: SignedDuration },
}

impl Budgeting {
    pub fn as_str(&self) -> &'static str {
        match self {
            Budgeting::Occurrences => "occurrences",
            Budgeting::Timeslices { .. } => "timeslices",
            Budgeting::RatioTimeslices { .. } => "ratio_timeslices",
        }
    }
}

/// Where the SLI's good and total events come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Sli {
    /// A stream of SLI events pushed to sloe; with a threshold (canonical
    /// nanoseconds) a raw event is good only when its value is at most it.
    Events {
        stream: String,
        threshold: Option<Quantity>,
    },
    /// PromQL; `{{window}}` (or Sloth's `{{.window}}`) stands for the window.
    Prometheus(PromSli),
    /// CI runs from sloe's own history as events.
    History {
        benchmark: String,
        measure: String,
        threshold: Quantity,
    },
    /// JUnit runs from sloe's history as events: per run and matching
    /// suite, its test cases that ran, good when they passed (`pass`) or
    /// were not flaky (`not_flaky`).
    Junit {
        suite: String,
        rate: crate::slo::history::SuiteRate,
    },
    /// An OpenSLO threshold metric: a value compared with `op value`.
    Threshold {
        source: String,
        query: String,
        op: Option<String>,
        value: Option<f64>,
    },
    /// Queries for another backend (Datadog, AppDynamics, ...): read, but
    /// sloe can neither generate rules for them nor query them.
    External {
        source: String,
        good: Option<String>,
        bad: Option<String>,
        total: Option<String>,
    },
    /// A Sloth SLI plugin, known only by its id.
    Plugin { id: String },
    /// An OpenSLO composite SLO: several objectives, each on its own SLI,
    /// weighted. Read and validated; how it is judged is not decided here.
    /// Its [`Slo::objective_percent`] is the weighted mean of the
    /// objectives' targets, shown as a summary only.
    Composite(Vec<Component>),
}

/// One objective of a composite SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The objective's `displayName`, else its SLI's name.
    pub name: String,
    pub sli: Sli,
    /// The objective's target in percent (99.9).
    pub objective_percent: f64,
    /// `compositeWeight` (default 1), above 0.
    pub weight: f64,
    pub budgeting: Budgeting,
}

impl Sli {
    pub fn describe(&self) -> String {
        match self {
            Sli::Events { stream, threshold } => match threshold {
                Some(t) => format!("events {stream:?} under {t}"),
                None => format!("events {stream:?}"),
            },
            Sli::Prometheus(p) => match p {
                PromSli::ErrorTotal { .. } => "prometheus error/total".to_owned(),
                PromSli::GoodTotal { .. } => "prometheus good/total".to_owned(),
                PromSli::ErrorRatio(_) => "prometheus error ratio".to_owned(),
            },
            Sli::History {
                benchmark,
                measure,
                threshold,
            } => format!("history {benchmark} {measure} under {threshold}"),
            Sli::Junit { suite, rate } => format!("junit suites {suite:?} {} rate", rate.as_str()),
            Sli::Threshold { source, .. } => format!("{source} threshold metric"),
            Sli::External { source, .. } => format!("{source} ratio metric"),
            Sli::Plugin { id } => format!("sloth plugin {id}"),
            Sli::Composite(parts) => format!(
                "composite of {} weighted objectives ({}), read and validated but not yet judged",
                parts.len(),
                parts
                    .iter()
                    .map(|c| format!(
                        "{} {}% weight {} on {}",
                        c.name,
                        c.objective_percent,
                        c.weight,
                        c.sli.describe()
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// A PromQL SLI, with the window placeholder still in the queries.
#[derive(Debug, Clone, PartialEq)]
pub enum PromSli {
    /// Bad and total events (Sloth's `events`).
    ErrorTotal { error: String, total: String },
    /// Good and total events (sloe's `prometheus`, OpenSLO's ratioMetric).
    GoodTotal { good: String, total: String },
    /// A query that is itself the error ratio (Sloth's `raw`).
    ErrorRatio(String),
}

/// Replaces the window placeholder (`{{window}}`, `{{.window}}`, with or
/// without spaces) in a query.
pub fn with_window(query: &str, window: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + len].trim();
        out.push_str(&rest[..start]);
        if inner == "window" || inner == ".window" {
            out.push_str(window);
        } else {
            out.push_str(&rest[start..start + len + 2]);
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// Alerting of one SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Alerting {
    /// The alert name in generated rules (default: `<service>-<name>` based).
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub page: AlertTarget,
    pub ticket: AlertTarget,
    /// The multiwindow multi-burn-rate rows (default: the SRE workbook's).
    pub rules: Vec<AlertRule>,
    /// Events a long window needs before a rule may fire.
    pub min_events: u64,
    /// OpenSLO alert conditions as read (resolved from references).
    pub conditions: Vec<AlertCondition>,
}

impl Default for Alerting {
    fn default() -> Self {
        Alerting {
            name: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            page: AlertTarget::default(),
            ticket: AlertTarget::default(),
            rules: default_rules(),
            min_events: 1,
            conditions: Vec::new(),
        }
    }
}

/// One severity's alert: on or off, and what it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTarget {
    pub enabled: bool,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl Default for AlertTarget {
    fn default() -> Self {
        AlertTarget {
            enabled: true,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        }
    }
}

/// An OpenSLO AlertCondition (`kind: burnrate`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCondition {
    pub name: String,
    pub policy: String,
    pub severity: String,
    pub op: String,
    pub threshold: f64,
    pub lookback_window: SignedDuration,
    pub alert_after: Option<SignedDuration>,
    pub notification_targets: Vec<String>,
}

/// A set of alert windows (Sloth's `AlertWindows`): the rows for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertWindows {
    pub period: SignedDuration,
    pub rules: Vec<AlertRule>,
    pub origin: Origin,
}

/// Everything one file held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecFile {
    pub slos: Vec<Slo>,
    pub alert_windows: Vec<AlertWindows>,
    /// Other objects read and kept only as names (`Service web`, `DataSource prometheus`).
    pub others: Vec<String>,
}

/// A spec that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field, as a path (`slos[1].objective`), when known.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::config::write_located(
            f,
            &format!("read SLO spec {}", self.file),
            (self.line, self.column),
            self.field.as_deref().map(|k| ("field", k)),
            &self.message,
        )
    }
}

impl From<crate::config::ConfigError> for SpecError {
    fn from(e: crate::config::ConfigError) -> Self {
        SpecError {
            file: e.file,
            line: e.line,
            column: e.column,
            field: e.key,
            // The config's own types may still name themselves.
            message: plain_words(&e.message),
        }
    }
}

/// The result of reading one file: what was read and every error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOutcome {
    pub spec: SpecFile,
    pub errors: Vec<SpecError>,
}

/// Reads a spec file in any supported format, chosen by extension (`.toml`
/// is a sloe config) and, for YAML, by each document's `version` or
/// `apiVersion`. YAML files may hold several documents; OpenSLO references
/// resolve against every document of the file.
pub fn read(text: &str, file: &str) -> ReadOutcome {
    read_files([(file, text)])
}

/// Reads several spec files, given as `(file name, text)`, as one set:
/// an OpenSLO reference resolves against the objects of every document of
/// every file (the referring file's own first). What was read and the
/// errors keep the order of the files.
pub fn read_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    let mut openslo = openslo::Collector::default();
    for (file, text) in files {
        let lower = file.to_ascii_lowercase();
        if lower.ends_with(".toml") || lower.ends_with(".json") {
            let syntax = crate::config::Syntax::from_path(file);
            match native::read(text, file, syntax) {
                Ok(mut spec) => {
                    out.spec.slos.append(&mut spec.slos);
                    out.spec.alert_windows.append(&mut spec.alert_windows);
                    out.spec.others.append(&mut spec.others);
                }
                Err(e) => out.errors.push(e),
            }
            continue;
        }
        read_yaml(text, file, &mut out, &mut openslo);
    }
    openslo.resolve(&mut out);
    out
}

/// One YAML document of a stream: its text and where it starts.
struct YamlDoc<'a> {
    text: &'a str,
    /// Lines before this document in the file.
    line_offset: usize,
}

/// Splits a YAML stream at `---` lines. (serde_yaml_ng reports positions
/// per document, so each is parsed on its own and positions are shifted.)
fn split_documents(text: &str) -> Vec<YamlDoc<'_>> {
    let mut docs = Vec::new();
    let (mut start, mut start_line, mut line_no, mut pos) = (0usize, 0usize, 0usize, 0usize);
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") || bare == "..." {
            docs.push(YamlDoc {
                text: &text[start..pos],
                line_offset: start_line,
            });
            start = pos + line.len();
            start_line = line_no + 1;
        }
        pos += line.len();
        line_no += 1;
    }
    docs.push(YamlDoc {
        text: &text[start..],
        line_offset: start_line,
    });
    docs.into_iter()
        .filter(|d| {
            d.text
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

/// Context for errors inside one document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocContext<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub line_offset: usize,
}

impl DocContext<'_> {
    /// An error at a line of this document (1-based within the document).
    pub fn error(&self, line: Option<usize>, field: &str, message: impl Into<String>) -> SpecError {
        SpecError {
            file: self.file.to_owned(),
            line: line.map(|l| l + self.line_offset),
            column: None,
            field: (!field.is_empty()).then(|| field.to_owned()),
            message: message.into(),
        }
    }

    /// An error at the first line of this document holding `needle`
    /// (a key like `indicatorRef:`), for checks made after parsing.
    pub fn error_near(&self, needle: &str, field: &str, message: impl Into<String>) -> SpecError {
        self.error(self.find(needle), field, message)
    }

    /// The 1-based line (within the document) of the first line holding `needle`.
    pub fn find(&self, needle: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
    }

    /// The lines of the `index`-th entry (0-based) of the block list under
    /// the first `key:` at or after line `from`: its first line and the
    /// line after its last (1-based). None for a flow list (`[a, b]`).
    pub(crate) fn list_entry(
        &self,
        from: usize,
        key: &str,
        index: usize,
    ) -> Option<(usize, usize)> {
        let lines: Vec<&str> = self.text.lines().collect();
        let indent = |l: &str| l.len() - l.trim_start().len();
        let is_item = |l: &str| {
            let t = l.trim_start();
            t == "-" || t.starts_with("- ")
        };
        let head = format!("{key}:");
        let k = (from.saturating_sub(1)..lines.len()).find(|&i| {
            lines[i]
                .trim_start()
                .trim_start_matches("- ")
                .starts_with(&head)
        })?;
        let mut item_indent = None;
        let mut starts = Vec::new();
        let mut end = lines.len();
        for (i, l) in lines.iter().enumerate().skip(k + 1) {
            if l.trim().is_empty() || l.trim_start().starts_with('#') {
                continue;
            }
            let ind = indent(l);
            let item_at = *item_indent.get_or_insert(ind);
            if !is_item(l) && ind <= item_at || ind < item_at {
                end = i;
                break;
            }
            if ind == item_at && is_item(l) {
                starts.push(i);
            }
        }
        let start = *starts.get(index)?;
        let stop = starts.get(index + 1).copied().unwrap_or(end);
        Some((start + 1, stop + 1))
    }

    /// From line `from`, the line of the path's last key (`objective` of
    /// `slos[1].objective`) when it follows within the same entry.
    pub(crate) fn refine_line(&self, from: usize, path: &str) -> usize {
        let Some(key) = path
            .rsplit('.')
            .next()
            .filter(|k| !k.is_empty() && !k.contains('['))
        else {
            return from;
        };
        let needle = format!("{key}:");
        self.text
            .lines()
            .enumerate()
            .skip(from.saturating_sub(1))
            .take(40)
            .find(|(_, l)| {
                let t = l.trim_start().trim_start_matches("- ");
                t.starts_with(&needle)
            })
            .map_or(from, |(i, _)| i + 1)
    }

    /// From line `from` (an object's first line), the line of the field at
    /// `path` (`alertPolicies[0]`, `objectives[1].target`), walking its
    /// keys and list entries; a key not found leaves the line where it was.
    pub(crate) fn locate(&self, from: usize, path: &str) -> usize {
        let mut at = from;
        for segment in path.split('.') {
            let (key, index) = match segment.split_once('[') {
                Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (segment, None),
            };
            if key.is_empty() {
                continue;
            }
            let needle = format!("{key}:");
            let Some(line) = self
                .text
                .lines()
                .enumerate()
                .skip(at.saturating_sub(1))
                .take(40)
                .find(|(_, l)| l.trim_start().trim_start_matches("- ").starts_with(&needle))
                .map(|(i, _)| i + 1)
            else {
                continue;
            };
            at = line;
            if let Some(i) = index {
                match self.list_entry(line, key, i) {
                    Some((start, _)) => at = start,
                    None => break,
                }
            }
        }
        at
    }

    /// The line of the document's first non-comment line.
    pub fn first_line(&self) -> Option<usize> {
        self.text
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|i| i + 1)
    }

    /// Deserializes the document into `T`, with the field path and position of any error.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, SpecError> {
        let de = serde_yaml_ng::Deserializer::from_str(self.text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let (line, column) = inner.location().map(|l| (l.line(), l.column())).unzip();
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            // serde_yaml_ng starts messages with the path, reported separately.
            let msg = match msg.split_once(": ") {
                Some((pre, rest)) if !pre.contains(' ') && path.starts_with(pre) => rest,
                _ => msg,
            }
            .to_owned();
            // A check made after a whole table was read points at the table:
            // move to the field's own line when it is near.
            let refined = line.map(|l| self.refine_line(l, &path));
            let column = column.filter(|_| refined == line);
            let line = refined;
            SpecError {
                file: self.file.to_owned(),
                line: line.map(|l| l + self.line_offset),
                column,
                field: (!path.is_empty() && path != ".").then_some(path),
                message: improve(&msg),
            }
        })
    }
}

/// Puts a serde message in the words of a spec: a did-you-mean on an
/// unknown key, and none of the Rust names serde falls back on (`f64`,
/// `struct Objective`, `unit value`, an untagged enum's name).
pub(crate) fn improve(message: &str) -> String {
    let message = plain_words(message);
    let message = message.as_str();
    let Some(start) = message.find("unknown field `") else {
        return message.to_owned();
    };
    let rest = &message[start + "unknown field `".len()..];
    let Some((field, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match crate::config::did_you_mean(field, &candidates) {
        Some(s) => format!("unknown key `{field}` (did you mean `{s}`?){expected}"),
        None => format!("unknown key `{field}`{expected}"),
    }
}

/// Rewrites the Rust type names serde can put in a message. The readers'
/// structs name what they expect (`serde(expecting)`); this catches what
/// is left: primitives, and any struct or enum still unnamed.
fn plain_words(message: &str) -> String {
    const WORDS: [(&str, &str); 16] = [
        ("unit value", "an empty value"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected u32", "expected a whole number of 0 or more"),
        ("expected u16", "expected a whole number of 0 or more"),
        ("expected u8", "expected a whole number of 0 or more"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected isize", "expected a whole number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
        ("expected a borrowed string", "expected a string"),
        ("expected char", "expected a single character"),
        ("expected option", "expected a value or nothing"),
    ];
    let mut out = message.to_owned();
    for (rust, plain) in WORDS {
        out = replace_word(&out, rust, plain);
    }
    // "data did not match any variant of untagged enum Foo"
    if let Some(i) = out.find("did not match any variant of untagged enum") {
        let rest = &out[i..];
        let end = rest
            .char_indices()
            .skip("did not match any variant of untagged enum ".len())
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(rest.len(), |(j, _)| j);
        out.replace_range(i..i + end, "does not have any of the accepted forms");
    }
    for (word, plain) in [
        ("tuple struct ", "a list"),
        ("unit struct ", "an empty value"),
        ("struct variant ", "a mapping"),
        ("tuple variant ", "a list"),
        ("struct ", "a mapping"),
        ("enum ", "one of the accepted values"),
    ] {
        while let Some(i) = find_word(&out, word) {
            let name_end = out[i + word.len()..]
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | ':' | '<' | '>')))
                .map_or(out.len(), |(j, _)| i + word.len() + j);
            if name_end == i + word.len() {
                break;
            }
            out.replace_range(i..name_end, plain);
        }
    }
    out
}

/// `text` with `word` replaced where it stands as a word (not inside a longer one).
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut out = text.to_owned();
    let mut from = 0;
    while let Some(i) = out[from..].find(word).map(|i| i + from) {
        let end = i + word.len();
        let boundary = out[end..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if boundary {
            out.replace_range(i..end, with);
            from = i + with.len();
        } else {
            from = end;
        }
    }
    out
}

/// Where `word` starts a word of `text` (the start of the text or after a
/// non-letter), outside backquotes.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut quoted = false;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if c == '`' {
            quoted = !quoted;
        }
        if quoted || !text[i..].starts_with(word) {
            continue;
        }
        let before = i.checked_sub(1).map(|j| bytes[j] as char);
        if before.is_none_or(|b| !(b.is_alphanumeric() || b == '_')) {
            return Some(i);
        }
    }
    None
}

/// What a YAML document says it is.
#[derive(Debug, serde::Deserialize)]
struct Head {
    #[serde(default)]
    version: Option<String>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

fn read_yaml(text: &str, file: &str, out: &mut ReadOutcome, openslo: &mut openslo::Collector) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Before any parser sees it: the YAML loader is quadratic in nesting.
    if let Err(e) = crate::limits::check_yaml(text) {
        out.errors.push(SpecError {
            file: file.to_owned(),
            line: e.line,
            column: e.column,
            field: None,
            message: e.message,
        });
        return;
    }
    for doc in split_documents(text) {
        let cx = DocContext {
            file,
            text: doc.text,
            line_offset: doc.line_offset,
        };
        if let Err(e) = read_document(&cx, out, openslo) {
            out.errors.extend(e);
        }
    }
}

fn read_document(
    cx: &DocContext<'_>,
    out: &mut ReadOutcome,
    openslo: &mut openslo::Collector,
) -> Result<(), Vec<SpecError>> {
    let spec = &mut out.spec;
    // A sequence at the top is a list of OpenSLO objects (the go-sdk style).
    let value: serde_yaml_ng::Value = cx.deserialize().map_err(|e| vec![e])?;
    if value.is_sequence() {
        openslo::read_list(cx, out, openslo);
        return Ok(());
    }
    let head: Head = serde_yaml_ng::from_value(value).map_err(|_| {
        vec![cx.error(
            cx.first_line(),
            "",
            "expected a mapping with `version` (Sloth) or `apiVersion` and `kind` (OpenSLO)",
        )]
    })?;
    match (head.version.as_deref(), head.api_version.as_deref()) {
        (Some("prometheus/v1"), _) => sloth::read_prometheus_v1(cx, spec).map_err(|e| vec![e]),
        (Some(v), _) => Err(vec![cx.error_near(
            "version:",
            "version",
            format!("unknown spec version {v:?}; expected \"prometheus/v1\" (Sloth)"),
        )]),
        (None, Some("sloth.slok.dev/v1")) => sloth::read_kubernetes(cx, head.kind.as_deref(), spec),
        (None, Some("openslo/v1")) => {
            openslo::read_list(cx, out, openslo);
            Ok(())
        }
        (None, Some(api)) => Err(vec![cx.error_near(
            "apiVersion:",
            "apiVersion",
            unsupported(api, head.kind.as_deref()),
        )]),
        (None, None) => Err(vec![cx.error(
            cx.first_line(),
            "",
            "expected `version: prometheus/v1` (Sloth) or `apiVersion: openslo/v1` (OpenSLO); found neither",
        )]),
    }
}

fn unsupported(api: &str, kind: Option<&str>) -> String {
    let what = match api {
        "pyrra.dev/v1alpha1" => "Pyrra's ServiceLevelObjective is not supported",
        "sre.google.com/v2" => "google/slo-generator specs are not supported",
        "openslo/v1alpha" | "openslo/v1beta" => "only OpenSLO v1 is supported",
        _ => "unknown apiVersion",
    };
    format!(
        "{what} (apiVersion {api:?}{}); expected openslo/v1, sloth.slok.dev/v1 or a Sloth `version: prometheus/v1` file",
        kind.map(|k| format!(", kind {k:?}")).unwrap_or_default()
    )
}

/// Checks an objective given in percent: above 0 and below 100.
pub fn check_objective_percent(p: f64) -> Result<f64, String> {
    if !p.is_finite() || p <= 0.0 {
        return Err(format!("objective {p}% must be above 0% (and below 100%)"));
    }
    if p >= 100.0 {
        return Err(format!(
            "objective {p}% must be below 100%: a 100% objective leaves no error budget to spend or alert on"
        ));
    }
    Ok(p)
}

/// An objective in percent as a person writes it (`99.9`, `57`): the
/// binary fraction behind it (99.9 / 100 = 0.9990000000000001) is rounded
/// away, ten decimals being far finer than any objective's.
pub fn percent_as_written(percent: f64) -> String {
    let text = format!("{percent:.10}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Parses an alert window length (`5m`, `1h`, `3d`); `M` (month) is not one.
pub(crate) fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    crate::slo::window::parse_length(text).ok_or_else(|| {
        format!("expected a length of time like 5m, 1h, 2d or 2w (m is minutes, M months), found {text:?}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_placeholders() {
        assert_eq!(
            with_window("rate(x[{{.window}}]) / rate(y[{{ window }}])", "5m"),
            "rate(x[5m]) / rate(y[5m])"
        );
        assert_eq!(with_window("{{$labels.x}}", "5m"), "{{$labels.x}}");
    }

    #[test]
    fn documents_split_with_line_offsets() {
        let docs = split_documents("# c\n---\na: 1\n---\n\nb: 2\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].line_offset, 2);
        assert_eq!(docs[1].line_offset, 4);
    }

    fn fixture(rel: &str) -> ReadOutcome {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/slo")
            .join(rel);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
        read(&text, rel)
    }

    fn ok(rel: &str) -> SpecFile {
        let r = fixture(rel);
        assert!(r.errors.is_empty(), "{rel}: {:?}", r.errors);
        r.spec
    }

    fn without_origin(mut slos: Vec<Slo>) -> Vec<Slo> {
        for s in &mut slos {
            s.origin = Origin::default();
        }
        slos
    }

    #[test]
    fn openslo_references_resolve_like_the_go_sdk_inliner() {
        // go-sdk's ReferenceInliner turns inputs/ into outputs/: read both,
        // the SLOs are the same.
        let inputs = ok("go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo.yaml");
        let outputs = ok("go-sdk/pkg/openslosdk/test_data/inline/outputs/v1_slo.yaml");
        assert_eq!(
            without_origin(inputs.slos.clone()),
            without_origin(outputs.slos)
        );
        let two = &inputs.slos[1];
        assert_eq!(two.name, "my-slo-2");
        let conditions: Vec<(&str, &str, f64)> = two
            .alerting
            .conditions
            .iter()
            .map(|c| (c.name.as_str(), c.op.as_str(), c.threshold))
            .collect();
        assert_eq!(
            conditions,
            [
                ("cpu-usage-breach", "lte", 2.0),
                ("memory-usage-breach", "gt", 2.0)
            ]
        );
        assert_eq!(
            two.alerting.conditions[0].alert_after,
            Some(SignedDuration::from_mins(5))
        );
        // calendar week in New York, time slices of one minute (m is minutes)
        assert!(matches!(
            &two.window,
            Window::Calendar { unit: crate::slo::window::CalendarUnit::Week, tz }
                if tz.iana_name() == Some("America/New_York")
        ));
        assert_eq!(
            two.budgeting,
            Budgeting::Timeslices {
                slice: SignedDuration::from_mins(1),
                slice_target: 0.95
            }
        );
        assert!((two.objective() - 0.995).abs() < 1e-12);
    }

    #[test]
    fn openslo_budgeting_methods_and_metrics() {
        let occ = ok("OpenSLO/examples/budgeting-method/occurences-slo.yaml");
        let s = &occ.slos[0];
        assert_eq!(
            s.window,
            Window::Rolling(SignedDuration::from_hours(24 * 14))
        );
        assert_eq!(s.budgeting, Budgeting::Occurrences);
        assert!(
            matches!(&s.sli, Sli::Threshold { op: Some(op), value: Some(v), .. } if op == "lt" && *v == 500.0)
        );
        let ratio = ok("OpenSLO/examples/budgeting-method/ratio-timeslices.yaml");
        assert_eq!(
            ratio.slos[0].budgeting,
            Budgeting::RatioTimeslices {
                slice: SignedDuration::from_mins(1)
            }
        );
        let slos = ok("go-sdk/pkg/openslo/v1/examples/slos.yaml");
        assert!(matches!(
            &slos.slos[0].sli,
            Sli::Prometheus(PromSli::GoodTotal { good, .. }) if good.contains("code=~\"2xx|4xx\"")
        ));
        assert_eq!(
            slos.slos[0].labels.get("team").map(String::as_str),
            Some("team-a,team-b")
        );
    }

    #[test]
    fn openslo_month_is_capital_m() {
        let doc = |duration: &str| {
            format!(
                "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: s\nspec:\n  service: x\n  indicator:\n    metadata:\n      name: i\n    spec:\n      ratioMetric:\n        good:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: good\n        total:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: total\n  timeWindow:\n    - duration: {duration}\n      isRolling: false\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n"
            )
        };
        let month = read(&doc("1M"), "m.yaml");
        assert!(month.errors.is_empty(), "{:?}", month.errors);
        assert!(matches!(
            month.spec.slos[0].window,
            Window::Calendar {
                unit: crate::slo::window::CalendarUnit::Month,
                ..
            }
        ));
        let minute = read(&doc("1m"), "m.yaml");
        let e = &minute.errors[0];
        assert_eq!(e.line, Some(23), "{e}");
        assert!(e.to_string().contains("1m is one minute"), "{e}");
        let full = read(&doc("1M").replace("0.999", "1"), "m.yaml");
        assert!(
            full.errors[0].to_string().contains("must be below 100%"),
            "{}",
            full.errors[0]
        );
    }

    #[test]
    fn openslo_condition_op_is_checked() {
        let doc = |op: &str| {
            format!(
                "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: s\nspec:\n  service: x\n  indicator:\n    metadata:\n      name: i\n    spec:\n      ratioMetric:\n        good:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: good\n        total:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: total\n  timeWindow:\n    - duration: 30d\n      isRolling: true\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n  alertPolicies:\n    - kind: AlertPolicy\n      metadata:\n        name: p\n      spec:\n        conditions:\n          - kind: AlertCondition\n            metadata:\n              name: fast\n            spec:\n              severity: page\n              condition:\n                kind: burnrate\n                op: {op}\n                threshold: 14.4\n                lookbackWindow: 1h\n"
            )
        };
        let good = read(&doc("gte"), "c.yaml");
        assert!(good.errors.is_empty(), "{:?}", good.errors);
        assert_eq!(good.spec.slos[0].alerting.conditions[0].op, "gte");
        let bad = read(&doc("gtt"), "c.yaml");
        let e = &bad.errors[0];
        assert!(e.to_string().contains("did you mean `gt`"), "{e}");
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn sloth_custom_resource_reads_like_the_plain_file() {
        let plain = ok("sloth/examples/getting-started.yml");
        let crd = ok("sloth/examples/k8s-getting-started.yml");
        let strip = |slos: Vec<Slo>| {
            without_origin(slos)
                .into_iter()
                .map(|mut s| {
                    s.description = None;
                    s
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(plain.slos.clone()), strip(crd.slos));
        let s = &plain.slos[0];
        assert_eq!(
            (s.service.as_str(), s.name.as_str()),
            ("myservice", "requests-availability")
        );
        assert_eq!(s.objective_percent, 99.9);
        assert_eq!(s.labels.get("owner").map(String::as_str), Some("myteam"));
        assert_eq!(
            s.alerting.page.labels.get("severity").map(String::as_str),
            Some("pageteam")
        );
    }

    #[test]
    fn sloth_alert_windows() {
        let w = ok("sloth/internal/alert/windows/google-28d.yaml");
        let rows = &w.alert_windows[0];
        assert_eq!(rows.period, SignedDuration::from_hours(24 * 28));
        let factors: Vec<String> = rows
            .rules
            .iter()
            .map(|r| r.factor(rows.period).to_string())
            .collect();
        assert_eq!(
            factors,
            [
                "13.44",
                "5.6000000000000005",
                "2.8000000000000003",
                "0.9333333333333333"
            ]
        );
    }

    fn fixture_text(rel: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/slo")
            .join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
    }

    /// Reads fixtures together, as `sloe slo validate a b c` does.
    fn read_fixtures(rels: &[&str]) -> ReadOutcome {
        let texts: Vec<(&str, String)> = rels.iter().map(|r| (*r, fixture_text(r))).collect();
        read_files(texts.iter().map(|(f, t)| (*f, t.as_str())))
    }

    /// What a message must never show: the names of sloe's Rust types and
    /// serde's words for them.
    fn assert_plain(message: &str) {
        for word in [
            "struct",
            "enum",
            "RefOr",
            "untagged",
            "Inline",
            "Item",
            "Spec",
            "f64",
            "u64",
            "unit value",
            "Option",
            "Vec<",
        ] {
            assert!(!message.contains(word), "{word:?} in: {message}");
        }
    }

    #[test]
    fn openslo_references_resolve_across_documents_and_files() {
        let inline = ok("sloe/openslo/inline/checkout.yaml");
        let multi = ok("sloe/openslo/multi-doc/checkout.yaml");
        let cross = read_fixtures(&[
            "sloe/openslo/cross-file/alerting.yaml",
            "sloe/openslo/cross-file/indicators.yaml",
            "sloe/openslo/cross-file/slos.yaml",
        ]);
        assert!(cross.errors.is_empty(), "{:?}", cross.errors);
        assert_eq!(inline.slos.len(), 1);
        let expected = without_origin(inline.slos.clone());
        assert_eq!(without_origin(multi.slos.clone()), expected);
        assert_eq!(without_origin(cross.spec.slos.clone()), expected);

        let s = &multi.slos[0];
        // The SLI's type comes from the DataSource its metricSourceRef names.
        assert!(
            matches!(&s.sli, Sli::Prometheus(PromSli::ErrorTotal { error, .. }) if error.contains("code=~\"5..\"")),
            "{:?}",
            s.sli
        );
        let c = &s.alerting.conditions[0];
        assert_eq!(
            (
                c.name.as_str(),
                c.policy.as_str(),
                c.op.as_str(),
                c.threshold
            ),
            ("checkout-fast-burn", "checkout-paging", "gte", 14.4)
        );
        assert_eq!(c.notification_targets, ["payments-pager"]);
        assert_eq!(c.alert_after, Some(SignedDuration::from_mins(5)));
        // Origins: the SLO's own document, its `name:` line.
        assert_eq!(s.origin.line, Some(6));
        assert_eq!(
            cross.spec.slos[0].origin.file,
            "sloe/openslo/cross-file/slos.yaml"
        );
        assert_eq!(cross.spec.slos[0].origin.line, Some(6));
        for what in [
            "SLI checkout-errors",
            "DataSource prometheus (Prometheus)",
            "AlertPolicy checkout-paging",
            "AlertCondition checkout-fast-burn",
            "AlertNotificationTarget payments-pager (pagerduty)",
        ] {
            assert!(
                multi.others.iter().any(|o| o == what),
                "{what}: {:?}",
                multi.others
            );
            assert!(
                cross.spec.others.iter().any(|o| o == what),
                "{what}: {:?}",
                cross.spec.others
            );
        }
    }

    #[test]
    fn a_reference_alone_names_file_line_kind_and_what_was_read() {
        // slos.yaml without the files it names: each reference fails where it is written.
        let alone = fixture("sloe/openslo/cross-file/slos.yaml");
        assert!(alone.spec.slos.is_empty());
        let messages: Vec<String> = alone.errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert_eq!(
            messages[1],
            "read SLO spec sloe/openslo/cross-file/slos.yaml:21: field `SLO checkout-availability: spec.alertPolicies[0].alertPolicyRef`: alertPolicyRef \"checkout-paging\" names no AlertPolicy, and no AlertPolicy was read; give the file that defines it (`kind: AlertPolicy`) to the same command, or put it in another document (`---`) of this file"
        );
        // In the order of their lines.
        assert!(
            messages[0].starts_with("read SLO spec sloe/openslo/cross-file/slos.yaml:12: field `SLO checkout-availability: spec.indicatorRef`: indicatorRef \"checkout-errors\" names no SLI"),
            "{}",
            messages[0]
        );
        // With the SLIs but not the alerting: only the policy is missing.
        let some = read_fixtures(&[
            "sloe/openslo/cross-file/indicators.yaml",
            "sloe/openslo/cross-file/slos.yaml",
        ]);
        assert_eq!(some.errors.len(), 1, "{:?}", some.errors);
        assert!(
            some.errors[0].message.contains("AlertPolicy"),
            "{}",
            some.errors[0]
        );
    }

    /// A multi-document OpenSLO file: an SLO naming an SLI and a policy,
    /// with `{sli}`, `{policy}`, `{condition}` and `{target}` as the names
    /// the SLO and the policy look for.
    fn refs_doc(sli: &str, policy: &str, condition: &str, target: &str) -> String {
        format!(
            "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: api\nspec:\n  service: api\n  indicatorRef: {sli}\n  timeWindow:\n    - duration: 30d\n      isRolling: true\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n  alertPolicies:\n    - alertPolicyRef: {policy}\n---\napiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: api-errors\nspec:\n  ratioMetric:\n    good:\n      metricSource:\n        type: Prometheus\n        spec:\n          query: good\n    total:\n      metricSource:\n        type: Prometheus\n        spec:\n          query: total\n---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata:\n  name: paging\nspec:\n  conditions:\n    - conditionRef: {condition}\n  notificationTargets:\n    - targetRef: {target}\n---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata:\n  name: fast-burn\nspec:\n  severity: page\n  condition:\n    kind: burnrate\n    op: gte\n    threshold: 14.4\n    lookbackWindow: 1h\n---\napiVersion: openslo/v1\nkind: AlertNotificationTarget\nmetadata:\n  name: pager\nspec:\n  target: pagerduty\n"
        )
    }

    #[test]
    fn every_unresolved_reference_says_where_what_and_did_you_mean() {
        let good = read(
            &refs_doc("api-errors", "paging", "fast-burn", "pager"),
            "r.yaml",
        );
        assert!(good.errors.is_empty(), "{:?}", good.errors);
        assert_eq!(
            good.spec.slos[0].alerting.conditions[0].notification_targets,
            ["pager"]
        );

        // (names, line, field, message fragment): the line is the reference's own.
        let cases: [(_, usize, &str, &str); 4] = [
            (
                ("api-erors", "paging", "fast-burn", "pager"),
                7,
                "SLO api: spec.indicatorRef",
                "indicatorRef \"api-erors\" names no SLI in the files read (did you mean `api-errors`?); the SLI names read: api-errors",
            ),
            (
                ("api-errors", "pagin", "fast-burn", "pager"),
                15,
                "SLO api: spec.alertPolicies[0].alertPolicyRef",
                "alertPolicyRef \"pagin\" names no AlertPolicy in the files read (did you mean `paging`?); the AlertPolicy names read: paging",
            ),
            (
                ("api-errors", "paging", "fast-brn", "pager"),
                40,
                "AlertPolicy paging: spec.conditions[0].conditionRef",
                "conditionRef \"fast-brn\" names no AlertCondition in the files read (did you mean `fast-burn`?); the AlertCondition names read: fast-burn",
            ),
            (
                ("api-errors", "paging", "fast-burn", "pagr"),
                42,
                "AlertPolicy paging: spec.notificationTargets[0].targetRef",
                "targetRef \"pagr\" names no AlertNotificationTarget in the files read (did you mean `pager`?); the AlertNotificationTarget names read: pager",
            ),
        ];
        for ((sli, policy, condition, target), line, field, message) in cases {
            let r = read(&refs_doc(sli, policy, condition, target), "r.yaml");
            assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
            let e = &r.errors[0];
            assert_eq!(
                (
                    e.file.as_str(),
                    e.line,
                    e.field.as_deref(),
                    e.message.as_str()
                ),
                ("r.yaml", Some(line), Some(field), message)
            );
            assert_plain(&e.to_string());
        }
    }

    #[test]
    fn a_reference_prefers_its_own_file_and_refuses_two_elsewhere() {
        let sli = |file_tag: &str| {
            format!(
                "apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: api-errors\nspec:\n  ratioMetric:\n    good:\n      metricSource:\n        type: Prometheus\n        spec:\n          query: good_{file_tag}\n    total:\n      metricSource:\n        type: Prometheus\n        spec:\n          query: total\n"
            )
        };
        let slo = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: api\nspec:\n  service: api\n  indicatorRef: api-errors\n  timeWindow:\n    - duration: 30d\n      isRolling: true\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n";
        let own = format!("{slo}---\n{}", sli("own"));
        let (a, b) = (sli("a"), sli("b"));
        let r = read_files([("slo.yaml", own.as_str()), ("a.yaml", a.as_str())]);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(
            matches!(&r.spec.slos[0].sli, Sli::Prometheus(PromSli::GoodTotal { good, .. }) if good == "good_own")
        );
        let r = read_files([
            ("slo.yaml", slo),
            ("a.yaml", a.as_str()),
            ("b.yaml", b.as_str()),
        ]);
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert_eq!(
            r.errors[0].message,
            "indicatorRef \"api-errors\" is ambiguous: SLI api-errors is defined 2 times (a.yaml:4, b.yaml:4); expected one definition"
        );
    }

    #[test]
    fn slos_and_errors_keep_the_order_of_the_files() {
        let r = read_fixtures(&[
            "sloth/examples/getting-started.yml",
            "sloe/openslo/multi-doc/checkout.yaml",
            "sloth/examples/raw-home-wifi.yml",
        ]);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let names: Vec<&str> = r.spec.slos.iter().map(|s| s.origin.file.as_str()).collect();
        assert_eq!(
            names,
            [
                "sloth/examples/getting-started.yml",
                "sloe/openslo/multi-doc/checkout.yaml",
                "sloth/examples/raw-home-wifi.yml"
            ]
        );
    }

    #[test]
    fn composite_slos_are_read_with_their_weights() {
        let f = ok("sloe/openslo/composite/checkout-journey.yaml");
        assert_eq!(f.slos.len(), 1);
        let s = &f.slos[0];
        assert_eq!(s.name, "checkout-journey");
        let Sli::Composite(parts) = &s.sli else {
            panic!("expected a composite, read {:?}", s.sli)
        };
        let read: Vec<(&str, f64, f64)> = parts
            .iter()
            .map(|c| (c.name.as_str(), c.objective_percent, c.weight))
            .collect();
        assert_eq!(
            read,
            [
                ("cart", 99.9, 2.0),
                ("payment", 99.5, 1.0),
                ("confirmation-errors", 99.0, 1.0)
            ]
        );
        assert!(
            matches!(&parts[0].sli, Sli::Prometheus(PromSli::ErrorTotal { error, .. }) if error.contains("job=\"cart\""))
        );
        assert!(matches!(
            &parts[2].sli,
            Sli::Prometheus(PromSli::GoodTotal { .. })
        ));
        // The weighted mean of the targets: (2 × 99.9 + 99.5 + 99) / 4.
        assert!((s.objective_percent - (2.0 * 99.9 + 99.5 + 99.0) / 4.0).abs() < 1e-9);
        assert!(
            s.sli.describe().starts_with(
                "composite of 3 weighted objectives (cart 99.9% weight 2 on prometheus error/total"
            ),
            "{}",
            s.sli.describe()
        );
    }

    #[test]
    fn composite_slos_are_validated() {
        let text = fixture_text("sloe/openslo/composite/checkout-journey.yaml");
        let errors = |from: &str, to: &str| -> Vec<SpecError> {
            assert!(text.contains(from), "{from}");
            read(&text.replacen(from, to, 1), "c.yaml").errors
        };
        let one = |from: &str, to: &str| -> SpecError {
            let e = errors(from, to);
            assert_eq!(e.len(), 1, "{from} -> {to}: {e:?}");
            assert_plain(&e[0].to_string());
            e[0].clone()
        };
        let e = one("compositeWeight: 2", "compositeWeight: 0");
        assert_eq!(
            (e.line, e.message.as_str()),
            (Some(16), "compositeWeight 0 must be above 0")
        );
        assert_eq!(
            e.field.as_deref(),
            Some("SLO checkout-journey: spec.objectives[0].compositeWeight")
        );
        let e = one("compositeWeight: 1", "compositeWeight: -1");
        assert_eq!(
            (e.line, e.message.as_str()),
            (Some(20), "compositeWeight -1 must be above 0")
        );
        let e = one(
            "indicatorRef: payment-errors",
            "indicatorRef: paymnt-errors",
        );
        assert_eq!(e.line, Some(21));
        assert!(
            e.message
                .contains("names no SLI in the files read (did you mean `payment-errors`?)"),
            "{e}"
        );
        let e = one("target: 0.999", "target: 1.2");
        assert_eq!(e.line, Some(15), "{e}");
        assert!(e.message.contains("must be below 100%"), "{e}");
        let e = one("targetPercent: 99.5", "targetPercent: 0");
        assert_eq!(e.line, Some(19), "{e}");
        assert!(e.message.contains("must be above 0%"), "{e}");
        let e = one(
            "  budgetingMethod:",
            "  indicatorRef: cart-errors\n  budgetingMethod:",
        );
        assert!(
            e.message.contains("both on the SLO and on its objectives"),
            "{e}"
        );
    }

    #[test]
    fn composite_weight_belongs_to_composite_slos() {
        let text = fixture_text("sloe/openslo/inline/checkout.yaml").replace(
            "      target: 0.999\n",
            "      target: 0.999\n      compositeWeight: 2\n",
        );
        let r = read(&text, "w.yaml");
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert!(
            r.errors[0]
                .message
                .starts_with("compositeWeight weighs the objectives of a composite SLO"),
            "{}",
            r.errors[0]
        );
        assert_eq!(r.errors[0].line, Some(35));
    }

    #[test]
    fn messages_never_name_rust_types() {
        let slo = fixture_text("sloe/openslo/inline/checkout.yaml");
        let multi = fixture_text("sloe/openslo/multi-doc/checkout.yaml");
        // (what to replace, with what, what the message must say instead)
        let cases: &[(&str, &str, &str, &str)] = &[
            // the message seen by a user: `expected struct RefOr`
            (
                &multi,
                "    - alertPolicyRef: checkout-paging",
                "    - checkout-paging",
                "expected an alert policy: `alertPolicyRef: <name>` or an inline AlertPolicy",
            ),
            (
                &multi,
                "    - conditionRef: checkout-fast-burn",
                "    - checkout-fast-burn",
                "expected an alert condition: `conditionRef: <name>`",
            ),
            (
                &multi,
                "    - targetRef: payments-pager",
                "    - payments-pager",
                "expected a notification target: `targetRef: <name>`",
            ),
            (
                &slo,
                "      target: 0.999",
                "      target: high",
                "expected a number",
            ),
            (
                &slo,
                "    threshold: 14.4",
                "    threshold: [1]",
                "expected a number",
            ),
            (
                &slo,
                "  timeWindow:\n    - duration: 28d\n      isRolling: true",
                "  timeWindow: 28d",
                "expected a list",
            ),
            (
                &slo,
                "  objectives:\n    - displayName: Checkout requests that succeed\n      target: 0.999",
                "  objectives:\n    - 0.999",
                "expected an objective: a mapping with `target` or `targetPercent`",
            ),
            (
                &slo,
                "  indicator:\n    metadata:",
                "  indicator: checkout-errors\n  unused:\n    metadata:",
                "expected an inline SLI",
            ),
            (
                &slo,
                "metadata:\n  name: checkout-availability",
                "metadata: checkout-availability\nx:\n  name: checkout-availability",
                "expected `metadata`: a mapping with `name`",
            ),
            (
                &slo,
                "        bad:\n          metricSource:",
                "        bad: 5\n        b:\n          metricSource:",
                "expected a metric: a mapping with `metricSource`",
            ),
            (
                &slo,
                "  service: checkout",
                "  service:",
                "invalid type: an empty value, expected a string",
            ),
            (
                &slo,
                "      isRolling: true",
                "      isRolling: [true]",
                "expected a boolean",
            ),
            (
                &slo,
                "    - kind: AlertPolicy\n      metadata:\n        name: checkout-paging\n      spec:",
                "    - kind: AlertPolicy\n      metadata:\n        name: checkout-paging\n      spec: paging\n      x:",
                "expected an AlertPolicy's `spec`",
            ),
        ];
        for (text, from, to, says) in cases {
            assert!(text.contains(from), "{from}");
            let r = read(&text.replacen(from, to, 1), "t.yaml");
            assert!(!r.errors.is_empty(), "{to}: read without error");
            let message = r.errors[0].to_string();
            assert!(message.contains(says), "{to}: {says:?} not in {message}");
            assert!(r.errors[0].line.is_some(), "{message}");
            for e in &r.errors {
                assert_plain(&e.to_string());
            }
        }
        // The line is the entry's own, not the object's.
        let r = read(
            &multi.replacen(
                "    - alertPolicyRef: checkout-paging",
                "    - checkout-paging",
                1,
            ),
            "t.yaml",
        );
        assert_eq!(r.errors[0].line, Some(21), "{}", r.errors[0]);
        assert_eq!(
            r.errors[0].field.as_deref(),
            Some("SLO checkout-availability: spec.alertPolicies[0]")
        );
        // Sloth's specs too.
        let sloth = fixture_text("sloth/examples/getting-started.yml");
        for (from, to, says) in [
            ("objective: 99.9", "objective: high", "expected a number"),
            (
                "  - name: \"requests-availability\"",
                "  - \"requests-availability\"\n  - x:",
                "expected a mapping",
            ),
        ] {
            assert!(sloth.contains(from), "{from}");
            let r = read(&sloth.replacen(from, to, 1), "s.yml");
            assert!(!r.errors.is_empty(), "{to}");
            let message = r.errors[0].to_string();
            assert!(message.contains(says), "{says:?} not in {message}");
            assert_plain(&message);
        }
    }

    #[test]
    fn plain_words_rewrites_what_serde_names() {
        assert_eq!(
            plain_words("invalid type: string \"x\", expected struct RefOr"),
            "invalid type: string \"x\", expected a mapping"
        );
        assert_eq!(
            plain_words("invalid length 1, expected struct Metadata with 4 elements"),
            "invalid length 1, expected a mapping with 4 elements"
        );
        assert_eq!(
            plain_words("data did not match any variant of untagged enum Level"),
            "data does not have any of the accepted forms"
        );
        assert_eq!(
            plain_words("invalid type: unit value, expected f64"),
            "invalid type: an empty value, expected a number"
        );
        assert_eq!(
            plain_words("expected u64"),
            "expected a whole number of 0 or more"
        );
        // Words inside backquotes are the user's, and `f64x` is not `f64`.
        assert_eq!(
            plain_words("unknown field `struct Foo`, expected f64x"),
            "unknown field `struct Foo`, expected f64x"
        );
    }

    #[test]
    fn objectives() {
        assert!(check_objective_percent(99.9).is_ok());
        // Issue 14: objectives print as written, not as their binary fraction.
        assert_eq!(percent_as_written(0.999 / 1.0 * 100.0), "99.9");
        assert_eq!(percent_as_written(99.9 / 100.0 * 100.0), "99.9");
        assert_eq!(percent_as_written(0.57 * 100.0), "57");
        assert_eq!(percent_as_written(99.95), "99.95");
        assert_eq!(percent_as_written(99.99999), "99.99999");
        assert!(
            check_objective_percent(100.0)
                .unwrap_err()
                .contains("below 100%")
        );
        assert!(
            check_objective_percent(0.0)
                .unwrap_err()
                .contains("above 0%")
        );
    }
}
