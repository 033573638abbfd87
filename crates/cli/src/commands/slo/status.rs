//! `sloe slo status`: each SLO's status from SLI events (`--events FILE`
//! plus the events recorded in the store), in the terminal or as the
//! `sloe.slo-status/v1` JSON. Exit 1 when policy blocks (a page fires or a
//! budget is spent, by default), 2 on bad specs or events.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Write};

use anyhow::{Context, Result, anyhow};
use jiff::{SignedDuration, Timestamp};
use sloe_core::config::SloFailOn;
use sloe_core::slo::MinuteCounts;
use sloe_core::slo::counts::{Counts, WindowCounts};
use sloe_core::slo::events::{Classification, EventBatch, EventBucket, minute_counts};
use sloe_core::slo::history;
use sloe_core::slo::rules::prom_duration;
use sloe_core::slo::spec::Sli;
use sloe_core::slo::spec::{Budgeting, PromSli, Slo, with_window};
use sloe_core::slo::status::BURN_WINDOWS_MINUTES;
use sloe_core::slo::status::{SloStatus, StatusReport, status};
use sloe_promql::Prometheus;

use crate::Outcome;
use crate::args::{Global, OutputFormat, SloStatusArgs};
use crate::settings::Settings;

pub fn run(global: &Global, args: &SloStatusArgs) -> Result<Outcome> {
    let loaded = super::load_or_config(global, &args.paths)?;
    let settings = crate::settings::load(global)?;
    let at = match &args.at {
        Some(t) => t.parse::<Timestamp>().map_err(|e| {
            anyhow!("read --at {t:?}: expected an RFC 3339 time like 2026-11-23T12:00:00Z: {e}")
        })?,
        None => Timestamp::now(),
    };

    // Events from the files, per stream.
    let mut from_files: BTreeMap<String, Vec<EventBucket>> = BTreeMap::new();
    for path in &args.events {
        let shown = path.display().to_string();
        let file = File::open(path).with_context(|| format!("read events {shown}"))?;
        let batch = EventBatch::read(BufReader::new(file), &shown)?;
        for (stream, buckets) in batch.into_streams() {
            from_files.entry(stream).or_default().extend(buckets);
        }
    }
    let store = open_existing_store(&settings)?;

    let mut statuses = Vec::new();
    for slo in &loaded.slos {
        if let Sli::History {
            benchmark,
            measure,
            threshold,
        } = &slo.sli
        {
            // CI runs as events: each run's matching series, judged against the threshold.
            let rows = match &store {
                Some(store) => store
                    .series_history(Some(benchmark), usize::MAX)
                    .with_context(|| format!("read the history of {benchmark:?}"))?,
                None => Vec::new(),
            };
            let events = history::threshold_events(&rows, benchmark, measure, threshold)?;
            statuses.push(status(slo, &MinuteCounts::from_events(&events), at));
            continue;
        }
        if let Sli::Junit { suite, rate } = &slo.sli {
            // JUnit runs as events: each run's matching suites, counting their test cases.
            // The store's pattern knows only `*` and `?`: read every suite, filter in the core.
            let rows = match &store {
                Some(store) => store
                    .series_history(Some("suite:*"), usize::MAX)
                    .context("read the history of the JUnit suites")?,
                None => Vec::new(),
            };
            let events = history::suite_events(&rows, suite, *rate)?;
            statuses.push(status(slo, &MinuteCounts::from_events(&events), at));
            continue;
        }
        if let (Sli::Prometheus(prom), Some(url)) = (&slo.sli, &args.prometheus) {
            let counts = prometheus_counts(&Prometheus::new(url), slo, prom, at)
                .with_context(|| format!("read SLO {} from {url}", slo.name))?;
            statuses.push(status(slo, &counts, at));
            continue;
        }
        let Sli::Events { stream, threshold } = &slo.sli else {
            eprintln!(
                "note: no status for SLO {}: its SLI is {}; sloe computes status from SLI events",
                slo.name,
                slo.sli.describe()
            );
            continue;
        };
        let class = match threshold {
            Some(t) => Classification::Latency {
                threshold: SignedDuration::from_nanos(t.canonical().round() as i64),
            },
            None => Classification::Availability,
        };
        let mut buckets = from_files.get(stream).cloned().unwrap_or_default();
        if let Some(store) = &store {
            let (start, _) = slo.window.bounds(at);
            let three_days = at
                .checked_sub(SignedDuration::from_hours(72))
                .unwrap_or(Timestamp::MIN);
            let from = start.min(three_days);
            let later = at
                .checked_add(SignedDuration::from_mins(1))
                .unwrap_or(Timestamp::MAX);
            buckets.extend(
                store
                    .event_buckets(stream, from, later)
                    .with_context(|| format!("read events of stream {stream:?} from the store"))?,
            );
        }
        let counts = minute_counts(&buckets, class);
        statuses.push(status(slo, &counts, at));
    }

    let fail_on = &settings.config.policy.slo_fail_on;
    let blocked = statuses.iter().any(|s| blocks(s, fail_on));
    let report = StatusReport::new(at, statuses);
    let text = match args.format {
        OutputFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        OutputFormat::Text => terminal(&report, fail_on),
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("write the status to standard output")?;
    Ok(if blocked {
        Outcome::Blocked
    } else {
        Outcome::Ok
    })
}

/// The windows status reads, all ending at `at`, queried from Prometheus.
fn prometheus_counts(
    prom: &Prometheus,
    slo: &Slo,
    sli: &PromSli,
    at: Timestamp,
) -> Result<WindowCounts> {
    let (start, end) = slo.window.bounds(at);
    let mut windows: Vec<SignedDuration> = BURN_WINDOWS_MINUTES
        .iter()
        .map(|m| SignedDuration::from_mins(*m))
        .chain(
            slo.alerting
                .rules
                .iter()
                .flat_map(|r| [r.long_window, r.short_window]),
        )
        .chain(slo.alerting.conditions.iter().map(|c| c.lookback_window))
        .chain([end.min(at).duration_since(start)])
        .filter(|w| w.is_positive())
        .collect();
    windows.sort();
    windows.dedup();
    let mut out = WindowCounts {
        at,
        ..WindowCounts::default()
    };
    for w in windows {
        out.windows.push((w, prometheus_window(prom, sli, w, at)?));
    }
    // Timeslices: every slice of the window so far, by range queries.
    if let Budgeting::Timeslices { slice, .. } | Budgeting::RatioTimeslices { slice } =
        slo.budgeting
    {
        out.earlier
            .extend(prometheus_slices(prom, sli, start, end.min(at), slice)?);
    }
    // An AlertCondition's alertAfter: its lookback window at each minute back.
    for c in &slo.alerting.conditions {
        let Some(after) = c.alert_after else { continue };
        let minutes = (after.as_secs().max(0) + 59) / 60;
        for k in 1..=minutes {
            let t = at.checked_sub(SignedDuration::from_mins(k))?;
            if !out
                .earlier
                .iter()
                .any(|(e, w, _)| *e == t && *w == c.lookback_window)
            {
                let counts = prometheus_window(prom, sli, c.lookback_window, t)?;
                out.earlier.push((t, c.lookback_window, counts));
            }
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
) -> Result<Vec<(Timestamp, SignedDuration, Counts)>> {
    if !slice.is_positive() || upto <= start {
        return Ok(Vec::new());
    }
    let whole = upto.duration_since(start).as_secs() / slice.as_secs().max(1);
    let whole = i32::try_from(whole).context("count the timeslices of the window")?;
    let mut out = Vec::new();
    if whole > 0 {
        let first = start.checked_add(slice)?;
        let last = start.checked_add(slice * whole)?;
        let text = prom_duration(slice);
        let (good_q, total_q, good_is_bad) = match sli {
            PromSli::GoodTotal { good, total } => (good, total, false),
            PromSli::ErrorTotal { error, total } => (error, total, true),
            PromSli::ErrorRatio(_) => return Err(error_ratio_refused()),
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

fn error_ratio_refused() -> anyhow::Error {
    anyhow!(
        "judge an error-ratio query: status needs good and total events (write `good` or `bad` with `total`)"
    )
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
) -> Result<Counts> {
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
        PromSli::ErrorRatio(_) => return Err(error_ratio_refused()),
    };
    Ok(whole_events(good, total))
}

fn blocks(s: &SloStatus, fail_on: &[SloFailOn]) -> bool {
    fail_on.iter().any(|f| match f {
        SloFailOn::Page => s.paging(),
        SloFailOn::Ticket => s.alerting(),
        SloFailOn::Exhausted => s.exhausted(),
    })
}

/// The store, when one exists: status never creates an empty database.
fn open_existing_store(settings: &Settings) -> Result<Option<Box<dyn sloe_store::Store>>> {
    let url = &settings.config.store.url;
    if let Some(path) = url.strip_prefix("sqlite://")
        && !settings.base_dir.join(path).exists()
    {
        return Ok(None);
    }
    Ok(settings.open_store().map(Some)?)
}

fn pct(v: f64) -> String {
    format!("{:.3}%", v * 100.0)
}

fn terminal(report: &StatusReport, fail_on: &[SloFailOn]) -> String {
    let mut out = String::new();
    if report.slos.is_empty() {
        out.push_str(
            "no SLO to judge: status reads events, history and junit SLIs, and PromQL ones with --prometheus\n",
        );
        return out;
    }
    for s in &report.slos {
        let verdict = if blocks(s, fail_on) {
            "BLOCKING"
        } else if s.alerting() {
            "alerting"
        } else {
            "ok"
        };
        out.push_str(&format!(
            "{}  [{verdict}]  objective {}  window {} ({})\n",
            s.name,
            pct(s.objective),
            s.window,
            s.budgeting
        ));
        out.push_str(&format!(
            "  sli {}   events {} good of {}\n",
            s.sli.map_or_else(|| "-".to_owned(), pct),
            s.events.good,
            s.events.total
        ));
        out.push_str(&format!(
            "  error budget: {:.1} allowed, {:.1} consumed, {:.1}% remaining{}\n",
            s.error_budget.total,
            s.error_budget.consumed,
            s.error_budget.remaining * 100.0,
            if s.exhausted() { " (exhausted)" } else { "" }
        ));
        let rates: Vec<String> = s
            .burn_rates
            .0
            .iter()
            .map(|(w, v)| format!("{w} {v:.2}"))
            .collect();
        out.push_str(&format!("  burn rates: {}\n", rates.join("  ")));
        for a in &s.alerts {
            out.push_str(&format!(
                "  {:<6} {:>3}/{:<3} above {:<6} long {:.2} short {:.2}  {}\n",
                a.severity,
                a.long_window,
                a.short_window,
                format!("{:.2}", a.burn_rate),
                a.long_burn_rate,
                a.short_burn_rate,
                if a.firing { "FIRING" } else { "quiet" }
            ));
        }
        for c in &s.conditions {
            out.push_str(&format!(
                "  condition {} [{}{}]  {} burn {:.2}, fires when {} {}{}  ",
                c.name,
                c.severity,
                if c.page { ", pages" } else { "" },
                c.lookback_window,
                c.burn_rate,
                c.op,
                c.threshold,
                c.alert_after
                    .as_deref()
                    .map(|a| format!(" for {a}"))
                    .unwrap_or_default(),
            ));
            out.push_str(if c.firing { "FIRING\n" } else { "quiet\n" });
        }
        if let Some(when) = s.forecast.exhausted_at {
            out.push_str(&format!(
                "  budget exhausted by {when} at the last hour's burn\n"
            ));
        }
    }
    out
}
