//! JUnit XML test reports (surefire, nextest, pytest `--junitxml`,
//! jest-junit, TestNG, Catch2 `-r junit`, ...), read as a stream so large
//! reports stay in bounded memory.
//!
//! Each `<testcase>` that ran and has a `time` (seconds; a skipped case
//! ran nothing, so it has no timing) is a `wall_time` sample of
//! benchmark `test:<suite>::<case>`, where `<suite>` is the innermost
//! `<testsuite name>` and `<case>` is `<classname>::<name>` when the test
//! case has a class name that differs from the suite name, else `<name>`.
//! A test case repeated in one suite (reruns) adds samples to the same
//! series.
//!
//! Per suite, benchmark `suite:<suite>` gets counts, so that pass-rate and
//! flaky-rate SLOs can be computed (one sample per `<testsuite>` element,
//! counted from its test cases, not from its attributes, which tools fill
//! in unevenly):
//!
//! | measure | what |
//! |---|---|
//! | `tests` | test cases |
//! | `failures` | test cases with `<failure>` |
//! | `errors` | test cases with `<error>` |
//! | `skipped` | test cases with `<skipped>` (or `status="skipped"`/`notrun`) |
//! | `flaky` | test cases that passed after a retry: `<flakyFailure>` or `<flakyError>` (surefire, nextest) without `<failure>` or `<error>` |
//! | `wall_time` | the suite's `time`, when given |

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::Event;
use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, number};
use crate::xml::{XmlStream, attrs};
use crate::{FileContext, FormatError, Parsed};

/// Whether `input` looks like a JUnit XML report.
pub fn looks_like(input: &[u8]) -> bool {
    let t = head(input, 1 << 16);
    t.contains("<testsuite") || t.contains("<testcase")
}

#[derive(Debug, Default)]
struct Suite {
    name: String,
    time: Option<f64>,
    tests: u64,
    failures: u64,
    errors: u64,
    skipped: u64,
    flaky: u64,
}

/// An open `<testcase>`; its benchmark name is kept beside it, in a
/// buffer reused from case to case.
#[derive(Debug, Default)]
struct Case {
    time: Option<f64>,
    failed: bool,
    errored: bool,
    skipped: bool,
    flaky: bool,
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    read_from(input, origin)
}

/// Reads the report from a stream, in memory bounded by what it holds
/// (the open elements and the series), not by the size of the file.
pub fn read_from(input: impl BufRead, origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let mut reader = XmlStream::new(input);
    let mut set = SeriesSet::default();
    let mut suites: Vec<Suite> = Vec::new();
    let mut case: Option<Case> = None;
    // The open case's benchmark name, and the next one's being built.
    let mut case_bench = String::new();
    let mut next_bench = String::new();
    let mut saw_suite = false;
    let time_of = |v: Option<&str>, line: usize, what: &str| -> Result<Option<f64>, FormatError> {
        match v.map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => number(t).filter(|t| *t >= 0.0).map(Some).ok_or_else(|| {
                err.line(
                    line,
                    format!("expected seconds in the `time` of {what}, found {t:?}"),
                )
            }),
        }
    };
    loop {
        let (event, line) = reader.next(&err)?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                match e.name().as_ref() {
                    b"testsuite" => {
                        if let Some(s) = suites.pop() {
                            finish_suite(&mut set, s);
                        }
                    }
                    b"testcase" => {
                        if let Some(c) = case.take() {
                            finish_case(&mut set, &mut suites, &case_bench, c);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.name().as_ref() {
            b"testsuite" => {
                saw_suite = true;
                let [name, time] = attrs(&e, [b"name", b"time"], line, &err)?;
                let time = time_of(time.as_deref(), line, "a testsuite")?;
                let suite = Suite {
                    name: name.map(Cow::into_owned).unwrap_or_default(),
                    time,
                    ..Suite::default()
                };
                if empty {
                    finish_suite(&mut set, suite);
                } else {
                    suites.push(suite);
                }
            }
            b"testcase" => {
                let [name, class, time, status] =
                    attrs(&e, [b"name", b"classname", b"time", b"status"], line, &err)?;
                let name = name.ok_or_else(|| err.line(line, "expected a `name` on <testcase>"))?;
                let class = class.filter(|c| !c.is_empty());
                let time = time_of(time.as_deref(), line, "a testcase")?;
                let suite = suites.last().map_or("", |s| s.name.as_str());
                let b = &mut next_bench;
                b.clear();
                b.push_str("test:");
                b.push_str(suite);
                b.push_str("::");
                if let Some(c) = class.filter(|c| c != suite) {
                    b.push_str(&c);
                    b.push_str("::");
                }
                b.push_str(&name);
                let c = Case {
                    time,
                    skipped: matches!(status.as_deref(), Some("skipped" | "notrun" | "disabled")),
                    ..Case::default()
                };
                if empty {
                    finish_case(&mut set, &mut suites, &next_bench, c);
                } else {
                    std::mem::swap(&mut case_bench, &mut next_bench);
                    case = Some(c);
                }
            }
            b"failure" => {
                if let Some(c) = &mut case {
                    c.failed = true;
                }
            }
            b"error" => {
                if let Some(c) = &mut case {
                    c.errored = true;
                }
            }
            b"skipped" => {
                if let Some(c) = &mut case {
                    c.skipped = true;
                }
            }
            b"flakyFailure" | b"flakyError" => {
                if let Some(c) = &mut case {
                    c.flaky = true;
                }
            }
            _ => {}
        }
    }
    if !saw_suite && set.is_empty() {
        return Err(err.whole("find a test suite: expected <testsuite> or <testcase> elements"));
    }
    // Unclosed elements at the end are a truncated report.
    if !suites.is_empty() || case.is_some() {
        return Err(err.line(
            reader.line(),
            "read the XML: it ends inside a <testsuite> or <testcase>; is the report truncated?",
        ));
    }
    Ok(Parsed {
        context: FileContext::default(),
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

fn finish_case(set: &mut SeriesSet, suites: &mut [Suite], benchmark: &str, c: Case) {
    // A skipped test did not run: its `time` (0 or the skip's own cost)
    // measures nothing, and a series of zeros would pass any budget.
    let ran = !c.skipped || c.failed || c.errored;
    if let Some(t) = c.time.filter(|_| ran) {
        set.push_with(
            benchmark,
            "wall_time",
            Unit::Seconds,
            Direction::LowerIsBetter,
            t,
        );
    }
    if let Some(s) = suites.last_mut() {
        s.tests += 1;
        s.failures += u64::from(c.failed);
        s.errors += u64::from(c.errored);
        s.skipped += u64::from(c.skipped && !c.failed && !c.errored);
        s.flaky += u64::from(c.flaky && !c.failed && !c.errored);
    }
}

fn finish_suite(set: &mut SeriesSet, s: Suite) {
    let bench = format!("suite:{}", s.name);
    let lower = Direction::LowerIsBetter;
    set.push_with(
        &bench,
        "tests",
        Unit::Count,
        Direction::HigherIsBetter,
        s.tests as f64,
    );
    set.push_with(&bench, "failures", Unit::Count, lower, s.failures as f64);
    set.push_with(&bench, "errors", Unit::Count, lower, s.errors as f64);
    set.push_with(&bench, "skipped", Unit::Count, lower, s.skipped as f64);
    set.push_with(&bench, "flaky", Unit::Count, lower, s.flaky as f64);
    if let Some(t) = s.time {
        set.push_with(&bench, "wall_time", Unit::Seconds, lower, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_samples() {
        let doc = br#"<testsuites><testsuite name="s" time="1.5">
<testcase name="a" classname="s" time="0.5"/>
<testcase name="b" classname="k" time="0.25"><failure message="x"/></testcase>
<testcase name="c" classname="s"><skipped/></testcase>
<testcase name="d" classname="s" time="0"><skipped message="not on ci"/></testcase>
<testcase name="e" classname="s" time="0.001" status="notrun"/>
</testsuite></testsuites>"#;
        let p = read(doc, "j.xml").expect("valid");
        let find = |b: &str, m: &str| {
            p.series
                .iter()
                .find(|s| s.benchmark == b && s.measure == m)
                .map(|s| s.values.clone())
        };
        assert_eq!(find("test:s::a", "wall_time"), Some(vec![0.5e9]));
        assert_eq!(find("test:s::k::b", "wall_time"), Some(vec![0.25e9]));
        // Issue 14: skipped tests are counted, not timed.
        assert_eq!(find("test:s::d", "wall_time"), None);
        assert_eq!(find("test:s::e", "wall_time"), None);
        assert_eq!(find("suite:s", "tests"), Some(vec![5.0]));
        assert_eq!(find("suite:s", "failures"), Some(vec![1.0]));
        assert_eq!(find("suite:s", "skipped"), Some(vec![3.0]));
        assert_eq!(find("suite:s", "wall_time"), Some(vec![1.5e9]));
    }

    #[test]
    fn bad_time_and_truncation_name_a_line() {
        let e = read(
            b"<testsuite name=\"s\">\n<testcase name=\"a\" time=\"fast\"/>\n</testsuite>",
            "j.xml",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = read(
            b"<testsuite name=\"s\">\n<testcase name=\"a\" time=\"1\"/>\n",
            "j.xml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}
