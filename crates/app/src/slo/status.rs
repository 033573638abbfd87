//! The status of every SLO, whatever its SLI: events (files given plus the
//! store), CI history, JUnit suites, and PromQL queries to Prometheus.
//! Which windows to read comes from the core
//! ([`sloe_core::slo::status::windows_needed`]); this module only fetches
//! them and hands the counts to the core's `status`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use sloe_core::slo::MinuteCounts;
use sloe_core::slo::counts::{Counts, WindowCounts};
use sloe_core::slo::events::{Classification, EventBatch, EventBucket, minute_counts};
use sloe_core::slo::history;
use sloe_core::slo::policy::{self, SloVerdict};
use sloe_core::slo::rules::prom_duration;
use sloe_core::slo::spec::{PromSli, Sli, Slo, with_window};
use sloe_core::slo::status::{StatusReport, WindowsNeeded, windows_needed};
use sloe_promql::Prometheus;
use sloe_store::Store;

use crate::{AppError, Clock, Result, Settings};

/// Where the SLIs come from, beyond the store.
#[derive(Debug, Default, Clone)]
pub struct StatusOptions {
    /// JSON-lines files of SLI events, added to the store's events.
    pub events: Vec<PathBuf>,
    /// The Prometheus to ask for PromQL SLIs; without one they are skipped.
    pub prometheus: Option<String>,
}

/// The status of a set of SLOs and what policy makes of it.
#[derive(Debug)]
pub struct StatusOutcome {
    pub report: StatusReport,
    /// SLOs without status: their SLI cannot be judged with what was given.
    pub skipped: Vec<Skipped>,
    /// What policy (`policy.slo_fail_on`) makes of each of `report.slos`.
    pub verdicts: Vec<SloVerdict>,
    /// A state policy names holds for at least one SLO.
    pub blocked: bool,
}

/// An SLO left without status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub slo: String,
    /// Why, as a sentence fragment.
    pub reason: String,
}

impl Skipped {
    fn new(slo: &Slo) -> Skipped {
        Skipped {
            slo: slo.name.clone(),
            reason: format!(
                "its SLI is {}; sloe computes status from SLI events",
                slo.sli.describe()
            ),
        }
    }
}

/// The status of each of `slos` at `clock`'s time, judged by the policy of
/// `settings`.
pub fn status(
    settings: &Settings,
    clock: &dyn Clock,
    slos: &[Slo],
    options: &StatusOptions,
) -> Result<StatusOutcome> {
    let at = clock.now();
    let from_files = read_event_files(&options.events)?;
    let store = open_existing_store(settings)?;
    let prometheus = options.prometheus.as_deref().map(Prometheus::new);

    let mut statuses = Vec::new();
    let mut skipped = Vec::new();
    let stale_default = settings.config.policy.slo_stale_after.0;
    for slo in slos {
        // An SLO without its own `stale_after` takes the policy's.
        let with_default;
        let slo = if slo.stale_after.is_none() {
            let mut s = slo.clone();
            s.stale_after = Some(stale_default);
            with_default = s;
            &with_default
        } else {
            slo
        };
        let needed = windows_needed(slo, at);
        let one = match &slo.sli {
            Sli::History {
                benchmark,
                measure,
                threshold,
            } => {
                // CI runs as events: each run's matching series, judged against the threshold.
                let rows = match &store {
                    Some(store) => store.series_history(Some(benchmark), None, usize::MAX)?,
                    None => Vec::new(),
                };
                let events = history::threshold_events(&rows, benchmark, measure, threshold)
                    .map_err(|e| AppError::Input(e.to_string()))?;
                sloe_core::slo::status::status(slo, &MinuteCounts::from_events(&events), at)
            }
            Sli::Junit { suite, rate } => {
                // JUnit runs as events: each run's matching suites, counting their test
                // cases. The store's pattern knows only `*` and `?`: read every suite,
                // filter in the core.
                let rows = match &store {
                    Some(store) => store.series_history(Some("suite:*"), None, usize::MAX)?,
                    None => Vec::new(),
                };
                let events = history::suite_events(&rows, suite, *rate)
                    .map_err(|e| AppError::Input(e.to_string()))?;
                sloe_core::slo::status::status(slo, &MinuteCounts::from_events(&events), at)
            }
            Sli::Prometheus(prom) => {
                let (Some(client), Some(url)) = (&prometheus, &options.prometheus) else {
                    skipped.push(Skipped::new(slo));
                    continue;
                };
                let counts = prometheus_counts(client, prom, &needed).map_err(|e| match e {
                    PromFailure::Query(e) => {
                        AppError::Upstream(format!("read SLO {} from {url}: {e}", slo.name))
                    }
                    PromFailure::Unjudgeable(why) => {
                        AppError::Input(format!("read SLO {} from {url}: {why}", slo.name))
                    }
                })?;
                sloe_core::slo::status::status(slo, &counts, at)
            }
            Sli::Events { stream, threshold } => {
                let class = match threshold {
                    Some(t) => Classification::Latency {
                        threshold: SignedDuration::from_nanos(t.canonical().round() as i64),
                    },
                    None => Classification::Availability,
                };
                let mut buckets = from_files.get(stream).cloned().unwrap_or_default();
                if let Some(store) = &store {
                    buckets.extend(stored_buckets(store.as_ref(), stream, &needed)?);
                }
                sloe_core::slo::status::status(slo, &minute_counts(&buckets, class), at)
            }
            _ => {
                skipped.push(Skipped::new(slo));
                continue;
            }
        };
        statuses.push(one);
    }
    let fail_on = &settings.config.policy.slo_fail_on;
    let verdicts: Vec<SloVerdict> = statuses
        .iter()
        .map(|s| policy::verdict(s, fail_on))
        .collect();
    Ok(StatusOutcome {
        report: StatusReport::new(at, statuses),
        skipped,
        blocked: verdicts.contains(&SloVerdict::Blocking),
        verdicts,
    })
}

/// Events of the files, per stream.
fn read_event_files(paths: &[PathBuf]) -> Result<BTreeMap<String, Vec<EventBucket>>> {
    let mut out: BTreeMap<String, Vec<EventBucket>> = BTreeMap::new();
    for path in paths {
        let shown = path.display().to_string();
        let file =
            File::open(path).map_err(|e| AppError::Input(format!("read events {shown}: {e}")))?;
        let batch = EventBatch::read(BufReader::new(file), &shown)
            .map_err(|e| AppError::Input(e.to_string()))?;
        for (stream, buckets) in batch.into_streams() {
            out.entry(stream).or_default().extend(buckets);
        }
    }
    Ok(out)
}

/// The stored buckets of `stream` that any window status reads can hold.
fn stored_buckets(
    store: &dyn Store,
    stream: &str,
    needed: &WindowsNeeded,
) -> Result<Vec<EventBucket>> {
    let later = needed
        .at
        .checked_add(SignedDuration::from_mins(1))
        .unwrap_or(Timestamp::MAX);
    Ok(store.event_buckets(stream, needed.earliest(), later)?)
}

/// The store, when one exists: status never creates an empty database.
fn open_existing_store(settings: &Settings) -> Result<Option<Box<dyn Store>>> {
    let url = &settings.config.store.url;
    if let Some(path) = url.strip_prefix("sqlite://")
        && !settings.base_dir.join(path).exists()
    {
        return Ok(None);
    }
    // Status reads only: opened read-only, so a read-only store works.
    settings.open_store_to_read().map(Some)
}

/// Why Prometheus could not give an SLO's counts.
#[derive(Debug)]
enum PromFailure {
    /// The query failed (the server, the network, the answer's shape).
    Query(String),
    /// The SLI cannot be judged from what Prometheus answers.
    Unjudgeable(&'static str),
}

impl From<sloe_promql::PromError> for PromFailure {
    fn from(e: sloe_promql::PromError) -> Self {
        PromFailure::Query(e.to_string())
    }
}

impl From<jiff::Error> for PromFailure {
    fn from(e: jiff::Error) -> Self {
        PromFailure::Query(format!("compute a query window: {e}"))
    }
}

const ERROR_RATIO_REFUSED: &str = "judge an error-ratio query: status needs good and total events (write `good` or `bad` with `total`)";

type PromResult<T> = std::result::Result<T, PromFailure>;

/// The counts of every window in `needed`, queried from Prometheus.
fn prometheus_counts(
    prom: &Prometheus,
    sli: &PromSli,
    needed: &WindowsNeeded,
) -> PromResult<WindowCounts> {
    let at = needed.at;
    let mut out = WindowCounts {
        at,
        ..WindowCounts::default()
    };
    for w in &needed.ending_now {
        out.windows
            .push((*w, prometheus_window(prom, sli, *w, at)?));
    }
    if let Some(slice) = needed.slice {
        out.earlier.extend(prometheus_slices(
            prom,
            sli,
            needed.start,
            needed.upto,
            slice,
        )?);
    }
    for (end, w) in &needed.earlier {
        // A slice read already may be the same window.
        if !out.earlier.iter().any(|(e, l, _)| e == end && l == w) {
            let counts = prometheus_window(prom, sli, *w, *end)?;
            out.earlier.push((*end, *w, counts));
        }
    }
    Ok(out)
}

/// The counts of the slices `[start, start + slice)`, ... up to `upto` (the
/// last one cut short at `upto`), as status walks them: one range query
/// per count for the whole slices, an instant query for a partial one.
fn prometheus_slices(
    prom: &Prometheus,
    sli: &PromSli,
    start: Timestamp,
    upto: Timestamp,
    slice: SignedDuration,
) -> PromResult<Vec<(Timestamp, SignedDuration, Counts)>> {
    if !slice.is_positive() || upto <= start {
        return Ok(Vec::new());
    }
    let whole = upto.duration_since(start).as_secs() / slice.as_secs().max(1);
    let whole = i32::try_from(whole)
        .map_err(|_| PromFailure::Query("count the timeslices of the window: too many".into()))?;
    let mut out = Vec::new();
    if whole > 0 {
        let first = start.checked_add(slice)?;
        let last = start.checked_add(slice * whole)?;
        let text = prom_duration(slice);
        let (good_q, total_q, good_is_bad) = match sli {
            PromSli::GoodTotal { good, total } => (good, total, false),
            PromSli::ErrorTotal { error, total } => (error, total, true),
            PromSli::ErrorRatio(_) => return Err(PromFailure::Unjudgeable(ERROR_RATIO_REFUSED)),
        };
        let good = prom.range(&with_window(good_q, &text), first, last, slice)?;
        let total = prom.range(&with_window(total_q, &text), first, last, slice)?;
        // The API keeps milliseconds: put each answer back on its slice's end.
        let slice_end = |t: Timestamp| -> Option<Timestamp> {
            let k = t.duration_since(first).as_secs_f64() / slice.as_secs_f64();
            let k = i32::try_from(k.round() as i64).ok()?;
            first.checked_add(slice * k).ok()
        };
        let good: BTreeMap<Timestamp, f64> = good
            .into_iter()
            .filter_map(|(t, v)| Some((slice_end(t)?, v)))
            .collect();
        for (t, total) in total {
            let Some(t) = slice_end(t) else { continue };
            let g = good.get(&t).copied().unwrap_or(0.0);
            let g = if good_is_bad { total - g } else { g };
            out.push((t, slice, whole_events(g, total)));
        }
        let rest = upto.duration_since(last);
        if rest.is_positive() {
            out.push((upto, rest, prometheus_window(prom, sli, rest, upto)?));
        }
    } else {
        let len = upto.duration_since(start);
        out.push((upto, len, prometheus_window(prom, sli, len, upto)?));
    }
    Ok(out)
}

/// Prometheus counts are floats (`increase` extrapolates); a window holds whole events.
fn whole_events(good: f64, total: f64) -> Counts {
    let events = |v: f64| v.max(0.0).round() as u64;
    let total = events(total);
    Counts {
        good: events(good).min(total),
        total,
    }
}

/// Good and total events over the window of length `w` ending at `at`.
fn prometheus_window(
    prom: &Prometheus,
    sli: &PromSli,
    w: SignedDuration,
    at: Timestamp,
) -> PromResult<Counts> {
    let text = prom_duration(w);
    let (good, total) = match sli {
        PromSli::GoodTotal { good, total } => {
            let gt = prom.good_total(&with_window(good, &text), &with_window(total, &text), at)?;
            (gt.good, gt.total)
        }
        PromSli::ErrorTotal { error, total } => {
            let gt = prom.good_total(&with_window(error, &text), &with_window(total, &text), at)?;
            (gt.total - gt.good, gt.total)
        }
        PromSli::ErrorRatio(_) => return Err(PromFailure::Unjudgeable(ERROR_RATIO_REFUSED)),
    };
    Ok(whole_events(good, total))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;

    use super::*;
    use crate::FixedClock;
    use crate::slo::ingest::{EventInput, IngestOptions, ingest_events};

    const AT: &str = "2026-11-23T12:00:00Z";

    fn at() -> Timestamp {
        AT.parse().expect("time")
    }

    /// Settings of a `sloe.toml` in `dir` holding `toml`.
    fn settings(dir: &Path, toml: &str) -> Settings {
        let path = dir.join("sloe.toml");
        std::fs::write(&path, toml).expect("write config");
        Settings::load(Some(&path), None).expect("settings")
    }

    const API_SLO: &str = "[[slo]]\nname = \"api\"\nobjective = \"99%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n";

    /// Minute aggregates of stream `api` for the `minutes` minutes before
    /// `end`, `bad(m)` failed of 1,000 in minute m (0 = oldest).
    fn events(end: Timestamp, minutes: i64, bad: impl Fn(i64) -> u64) -> String {
        let mut text = String::new();
        for m in 0..minutes {
            let t = end
                .checked_sub(SignedDuration::from_mins(minutes - m))
                .expect("time");
            text.push_str(&format!(
                "{{\"stream\":\"api\",\"ts\":\"{t}\",\"good\":{},\"total\":1000}}\n",
                1000 - bad(m)
            ));
        }
        text
    }

    fn slos(settings: &Settings) -> Vec<Slo> {
        crate::slo::load_or_config(settings, &[])
            .expect("slos")
            .slos
    }

    #[test]
    fn events_of_a_file_judged_at_the_clocks_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path(), API_SLO);
        // two hours; the last ten minutes at 200 bad of 1,000: burn 20 over 5m
        let file = dir.path().join("events.jsonl");
        std::fs::write(&file, events(at(), 120, |m| if m >= 110 { 200 } else { 0 }))
            .expect("write events");
        let options = StatusOptions {
            events: vec![file],
            prometheus: None,
        };
        let out = status(&settings, &FixedClock(at()), &slos(&settings), &options).expect("status");
        assert_eq!(out.report.at, at());
        let s = &out.report.slos[0];
        assert_eq!((s.events.good, s.events.total), (118_000, 120_000));
        let burn_5m = s.burn_rates.get("5m").expect("5m");
        assert!((burn_5m - 20.0).abs() < 1e-9, "{burn_5m}");
        // budget 0.01 × 120,000 = 1,200, consumed 2,000: exhausted, so blocked
        assert!(s.exhausted());
        assert!(out.blocked);
        assert!(out.skipped.is_empty());
        // no store file appears: status never creates one
        assert!(!dir.path().join(".sloe/sloe.db").exists());

        // An hour later the bad minutes have left the 5m and 1h windows.
        let later = at()
            .checked_add(SignedDuration::from_hours(1))
            .expect("time");
        let out =
            status(&settings, &FixedClock(later), &slos(&settings), &options).expect("status");
        assert_eq!(out.report.at, later);
        // they hold no event at all now: unknown, not 0
        let rates = &out.report.slos[0].burn_rates;
        assert_eq!(rates.0[0], ("5m".to_owned(), None));
        assert_eq!(rates.0[2], ("1h".to_owned(), None));
        assert!(rates.get("2h").is_some_and(|b| b > 0.0));
        // the last event came at 11:59, an hour back: stale
        let s = &out.report.slos[0];
        assert_eq!(
            s.last_event,
            Some("2026-11-23T11:59:00Z".parse().expect("time"))
        );
        assert!(s.stale);
    }

    #[test]
    fn policy_decides_what_blocks() {
        let dir = tempfile::tempdir().expect("tempdir");
        // a budget spent but no page firing: blocking only under `exhausted`
        let text = events(at(), 120, |m| if m < 10 { 300 } else { 0 });
        let file = dir.path().join("events.jsonl");
        std::fs::write(&file, text).expect("write events");
        let options = StatusOptions {
            events: vec![file],
            prometheus: None,
        };
        for (policy, blocked) in [("", true), ("[policy]\nslo_fail_on = [\"page\"]\n", false)] {
            let settings = settings(dir.path(), &format!("{policy}{API_SLO}"));
            let out =
                status(&settings, &FixedClock(at()), &slos(&settings), &options).expect("status");
            assert!(out.report.slos[0].exhausted());
            assert!(!out.report.slos[0].paging());
            assert_eq!(out.blocked, blocked, "{policy:?}");
            // the slow-burn ticket row fires, which `page` alone lets pass
            let expected = if blocked {
                SloVerdict::Blocking
            } else {
                SloVerdict::Alerting
            };
            assert_eq!(out.verdicts, [expected]);
        }
    }

    #[test]
    fn events_ingested_into_the_store_are_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path(), API_SLO);
        // ingested: four days; status reads the store from the earliest
        // window on (30 days back), so all of it counts
        let text = events(at(), 4 * 1440, |m| u64::from(m % 100 == 0));
        let input = EventInput::Reader {
            name: "<test>".into(),
            input: Box::new(Cursor::new(text.into_bytes())),
        };
        ingest_events(
            &settings,
            &FixedClock(at()),
            vec![input],
            IngestOptions::default(),
        )
        .expect("ingest");
        let out = status(
            &settings,
            &FixedClock(at()),
            &slos(&settings),
            &StatusOptions::default(),
        )
        .expect("status");
        let s = &out.report.slos[0];
        assert_eq!(s.events.total, 4 * 1440 * 1000);
        assert_eq!(s.events.good, 4 * 1440 * 1000 - 4 * 1440 / 100 - 1);
        assert!(!out.blocked);
    }

    #[test]
    fn a_promql_sli_without_prometheus_is_skipped_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(
            dir.path(),
            "[[slo]]\nname = \"api\"\nobjective = \"99%\"\nwindow = \"30d\"\nsli = { prometheus = { good = \"sum(rate(ok[{{window}}]))\", total = \"sum(rate(all[{{window}}]))\" } }\n",
        );
        let out = status(
            &settings,
            &FixedClock(at()),
            &slos(&settings),
            &StatusOptions::default(),
        )
        .expect("status");
        assert!(out.report.slos.is_empty());
        assert_eq!(out.skipped.len(), 1);
        assert_eq!(out.skipped[0].slo, "api");
        assert!(
            out.skipped[0].reason.contains("its SLI is"),
            "{:?}",
            out.skipped
        );
        assert!(!out.blocked);

        // an unreachable Prometheus is an upstream error naming the SLO
        let options = StatusOptions {
            events: Vec::new(),
            prometheus: Some("http://127.0.0.1:9".into()),
        };
        let err = status(&settings, &FixedClock(at()), &slos(&settings), &options)
            .expect_err("unreachable");
        assert!(matches!(err, AppError::Upstream(_)), "{err:?}");
        assert_eq!(err.http_status(), 502);
        assert!(
            err.to_string()
                .starts_with("read SLO api from http://127.0.0.1:9"),
            "{err}"
        );
    }

    #[test]
    fn history_and_junit_slis_without_a_store_have_no_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(
            dir.path(),
            "[[slo]]\nname = \"builds\"\nobjective = \"80%\"\nwindow = \"30d\"\nsli = { history = { benchmark = \"build:*\", measure = \"wall_time\", threshold = \"20s\" } }\n",
        );
        let out = status(
            &settings,
            &FixedClock(at()),
            &slos(&settings),
            &StatusOptions::default(),
        )
        .expect("status");
        let s = &out.report.slos[0];
        assert_eq!(s.events.total, 0);
        assert_eq!(s.sli, None);
        assert!(!out.blocked);
    }

    #[test]
    fn a_bad_events_file_is_an_input_error_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(dir.path(), API_SLO);
        let file = dir.path().join("bad.jsonl");
        std::fs::write(
            &file,
            "{\"stream\":\"api\",\"ts\":\"2026-11-23T11:00:00Z\",\"good\":5,\"total\":4}\n",
        )
        .expect("write");
        let options = StatusOptions {
            events: vec![file],
            prometheus: None,
        };
        let err =
            status(&settings, &FixedClock(at()), &slos(&settings), &options).expect_err("bad line");
        assert!(matches!(err, AppError::Input(_)), "{err:?}");
        assert!(err.to_string().contains("bad.jsonl:1"), "{err}");
    }

    #[test]
    fn a_misspelt_stream_has_no_data_and_blocks_when_policy_says() {
        // `events = "apii"` while the events are sent to `api`.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("events.jsonl");
        std::fs::write(&file, events(at(), 120, |_| 0)).expect("write events");
        let options = StatusOptions {
            events: vec![file],
            prometheus: None,
        };
        let typo = API_SLO.replace("events = \"api\"", "events = \"apii\"");
        for (policy, blocked, verdict) in [
            ("", false, SloVerdict::NoData),
            (
                "[policy]\nslo_fail_on = [\"no_data\"]\n",
                true,
                SloVerdict::Blocking,
            ),
            (
                "[policy]\nslo_fail_on = [\"stale\"]\n",
                true,
                SloVerdict::Blocking,
            ),
        ] {
            let settings = settings(dir.path(), &format!("{policy}{typo}"));
            let out =
                status(&settings, &FixedClock(at()), &slos(&settings), &options).expect("status");
            let s = &out.report.slos[0];
            assert!(s.no_data());
            assert_eq!(s.last_event, None);
            assert_eq!(out.verdicts, [verdict], "{policy:?}");
            assert_eq!(out.blocked, blocked, "{policy:?}");
        }
        // spelt right, the same events are judged: ok
        let settings = settings(dir.path(), API_SLO);
        let out = status(&settings, &FixedClock(at()), &slos(&settings), &options).expect("status");
        assert_eq!(out.verdicts, [SloVerdict::Ok]);
    }

    #[test]
    fn stale_after_comes_from_the_slo_then_the_policy() {
        // Events until 11:40, judged at noon: 20 minutes without one.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("events.jsonl");
        let end = at()
            .checked_sub(SignedDuration::from_mins(19))
            .expect("time");
        std::fs::write(&file, events(end, 120, |_| 0)).expect("write events");
        let options = StatusOptions {
            events: vec![file],
            prometheus: None,
        };
        let own = API_SLO.replace(
            "window = \"30d\"\n",
            "window = \"30d\"\nstale_after = \"1h\"\n",
        );
        for (config, stale_after, stale) in [
            (API_SLO.to_owned(), "10m", true),
            (
                format!("[policy]\nslo_stale_after = \"30m\"\n{API_SLO}"),
                "30m",
                false,
            ),
            (
                format!("[policy]\nslo_stale_after = \"5m\"\n{own}"),
                "1h",
                false,
            ),
        ] {
            let settings = settings(dir.path(), &config);
            let out =
                status(&settings, &FixedClock(at()), &slos(&settings), &options).expect("status");
            let s = &out.report.slos[0];
            assert_eq!(
                s.last_event,
                Some("2026-11-23T11:40:00Z".parse().expect("time"))
            );
            assert_eq!(s.stale_after, stale_after, "{config}");
            assert_eq!(s.stale, stale, "{config}");
            let verdict = if stale {
                SloVerdict::Stale
            } else {
                SloVerdict::Ok
            };
            assert_eq!(out.verdicts, [verdict], "{config}");
        }
    }
}
