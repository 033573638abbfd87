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
    let settings = Settings::load(global)?;
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
    if !matches!(slo.budgeting, Budgeting::Occurrences) {
        return Err(anyhow!(
            "judge {} budgeting through Prometheus: only occurrences can be read with --prometheus",
            slo.budgeting.as_str()
        ));
    }
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
        .chain([end.min(at).duration_since(start)])
        .filter(|w| w.is_positive())
        .collect();
    windows.sort();
    windows.dedup();
    let mut out = WindowCounts {
        at,
        windows: Vec::new(),
    };
    // Prometheus counts are floats; a window holds whole events.
    let events = |v: f64| v.max(0.0).round() as u64;
    for w in windows {
        let text = prom_duration(w);
        let (good, total) = match sli {
            PromSli::GoodTotal { good, total } => {
                let gt =
                    prom.good_total(&with_window(good, &text), &with_window(total, &text), at)?;
                (gt.good, gt.total)
            }
            PromSli::ErrorTotal { error, total } => {
                let gt =
                    prom.good_total(&with_window(error, &text), &with_window(total, &text), at)?;
                (gt.total - gt.good, gt.total)
            }
            PromSli::ErrorRatio(_) => {
                return Err(anyhow!(
                    "judge an error-ratio query: status needs good and total events (write `good` or `bad` with `total`)"
                ));
            }
        };
        let total = events(total);
        out.windows.push((
            w,
            Counts {
                good: events(good).min(total),
                total,
            },
        ));
    }
    Ok(out)
}

fn blocks(s: &SloStatus, fail_on: &[SloFailOn]) -> bool {
    fail_on.iter().any(|f| match f {
        SloFailOn::Page => s.paging(),
        SloFailOn::Ticket => s.alerts.iter().any(|a| a.firing),
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
    settings.open_store().map(Some)
}

fn pct(v: f64) -> String {
    format!("{:.3}%", v * 100.0)
}

fn terminal(report: &StatusReport, fail_on: &[SloFailOn]) -> String {
    let mut out = String::new();
    if report.slos.is_empty() {
        out.push_str("no SLO with an events SLI to judge\n");
        return out;
    }
    for s in &report.slos {
        let verdict = if blocks(s, fail_on) {
            "BLOCKING"
        } else if s.alerts.iter().any(|a| a.firing) {
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
        if let Some(when) = s.forecast.exhausted_at {
            out.push_str(&format!(
                "  budget exhausted by {when} at the last hour's burn\n"
            ));
        }
    }
    out
}
