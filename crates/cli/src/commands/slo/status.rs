//! `sloe slo status`: each SLO's status from SLI events (`--events FILE`
//! plus the events recorded in the store), CI history, JUnit suites or
//! Prometheus, in the terminal or as the `sloe.slo-status/v1` JSON. Exit 1
//! when policy blocks (a page fires or a budget is spent, by default), 2 on
//! bad specs or events. Flags → `sloe_app::slo::status` → print.

use std::io::Write;

use jiff::SignedDuration;
use jiff::Timestamp;
use sloe_app::slo::StatusOptions;
use sloe_app::{AppError, Clock, FixedClock, Result, SystemClock};
use sloe_core::slo::policy::SloVerdict;
use sloe_core::slo::rules::prom_duration;
use sloe_core::slo::spec::percent_as_written;
use sloe_core::slo::status::{SloStatus, StatusReport};

use crate::Outcome;
use crate::args::{Global, OutputFormat, SloStatusArgs};

pub fn run(global: &Global, args: &SloStatusArgs) -> Result<Outcome> {
    let settings = super::settings(global)?;
    let loaded = super::load_or_config(&settings, &args.paths)?;
    let clock: Box<dyn Clock> = match &args.at {
        Some(t) => Box::new(FixedClock(t.parse::<Timestamp>().map_err(|e| {
            AppError::Usage(format!(
                "read --at {t:?}: expected an RFC 3339 time like 2026-11-23T12:00:00Z: {e}"
            ))
        })?)),
        None => Box::new(SystemClock),
    };
    let options = StatusOptions {
        events: args.events.clone(),
        prometheus: args.prometheus.clone(),
    };
    let out = sloe_app::slo::status(&settings, clock.as_ref(), &loaded.slos, &options)?;
    for s in &out.skipped {
        crate::output::note(format_args!("no status for SLO {}: {}", s.slo, s.reason));
    }
    let text = match args.format {
        OutputFormat::Json => crate::output::pretty_json(&out.report, "the SLO status")? + "\n",
        OutputFormat::Text => terminal(&out.report, &out.verdicts),
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|source| AppError::Write {
            path: "standard output".into(),
            source,
        })?;
    Ok(if out.blocked {
        Outcome::Blocked
    } else {
        Outcome::Ok
    })
}

fn pct(v: f64) -> String {
    format!("{:.3}%", v * 100.0)
}

/// A burn rate to two places, `-` when unknown (a window without events).
fn burn(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}

/// When the last event came and whether that is too long ago.
fn last_event_line(s: &SloStatus, at: Timestamp) -> String {
    let stale = if s.stale {
        format!(": STALE (stale after {})", s.stale_after)
    } else {
        String::new()
    };
    match s.last_event {
        Some(t) => {
            let age = at
                .duration_since(t)
                .round(jiff::Unit::Second)
                .unwrap_or(SignedDuration::ZERO);
            format!("  last event {t}, {} ago{stale}\n", prom_duration(age))
        }
        // A query engine answers counts of windows, not when events came.
        None if !s.no_data() && !s.stale => format!(
            "  last event: time unknown, some in the last {}\n",
            s.stale_after
        ),
        None => format!("  last event: none in the windows read{stale}\n"),
    }
}

fn terminal(report: &StatusReport, verdicts: &[SloVerdict]) -> String {
    let mut out = String::new();
    if report.slos.is_empty() {
        out.push_str(
            "no SLO to judge: status reads events, history and junit SLIs, and PromQL ones with --prometheus\n",
        );
        return out;
    }
    for (s, verdict) in report.slos.iter().zip(verdicts) {
        let verdict = verdict.as_str();
        out.push_str(&format!(
            "{}  [{verdict}]  objective {}%  window {} ({})\n",
            s.name,
            percent_as_written(s.objective * 100.0),
            s.window,
            s.budgeting
        ));
        out.push_str(&format!(
            "  sli {}   events {} good of {}\n",
            s.sli.map_or_else(|| "-".to_owned(), pct),
            s.events.good,
            s.events.total
        ));
        out.push_str(&last_event_line(s, report.at));
        if s.no_data() {
            // A budget over no events is whole by arithmetic, not by merit.
            out.push_str("  error budget: unknown, no event in the window\n");
        } else {
            out.push_str(&format!(
                "  error budget: {:.1} allowed, {:.1} consumed, {:.1}% remaining{}\n",
                s.error_budget.total,
                s.error_budget.consumed,
                s.error_budget.remaining * 100.0,
                if s.exhausted() { " (exhausted)" } else { "" }
            ));
        }
        let rates: Vec<String> = s
            .burn_rates
            .0
            .iter()
            .map(|(w, v)| format!("{w} {}", burn(*v)))
            .collect();
        out.push_str(&format!("  burn rates: {}\n", rates.join("  ")));
        for a in &s.alerts {
            out.push_str(&format!(
                "  {:<6} {:>3}/{:<3} above {:<6} long {} short {}  {}\n",
                a.severity,
                a.long_window,
                a.short_window,
                format!("{:.2}", a.burn_rate),
                burn(a.long_burn_rate),
                burn(a.short_burn_rate),
                if a.firing { "FIRING" } else { "quiet" }
            ));
        }
        for c in &s.conditions {
            out.push_str(&format!(
                "  condition {} [{}{}]  {} burn {}, fires when {} {}{}  ",
                c.name,
                c.severity,
                if c.page { ", pages" } else { "" },
                c.lookback_window,
                burn(c.burn_rate),
                c.op,
                c.threshold,
                c.alert_after
                    .as_deref()
                    .map(|a| format!(" for {a}"))
                    .unwrap_or_default(),
            ));
            out.push_str(if c.firing { "FIRING\n" } else { "quiet\n" });
        }
        match s.forecast.exhausted_at {
            Some(when) if s.exhausted() => {
                out.push_str(&format!("  budget exhausted since {when}\n"));
            }
            None if s.exhausted() => out.push_str(
                "  budget exhausted (when is not known: the queried windows do not say)\n",
            ),
            Some(when) => out.push_str(&format!(
                "  budget exhausted by {when} at the last hour's burn\n"
            )),
            None => {}
        }
    }
    out
}
