//! `sloe monitor -- CMD`: run a command with its output streaming through
//! and show its process tree's CPU % and memory live, then the burst and
//! sustained CPU and the peak memory. Records nothing.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sloe_core::{Dimension, Quantity, Unit};
use sloe_runner::sample::{burst, sustained};
use sloe_runner::{Executor, Invocation, Output, Program, Sample, SystemExecutor};

use crate::Outcome;
use crate::args::MonitorArgs;

pub fn run(args: &MonitorArgs) -> Result<Outcome> {
    let interval = super::run::duration(&args.interval, "--interval")?;
    if interval.is_zero() {
        bail!("read --interval: expected a time above zero, like 100ms");
    }
    let window = super::run::duration(&args.window, "--window")?;
    let Some(first) = args.command.first() else {
        bail!("monitor: no command given; expected `sloe monitor -- CMD ARGS...`");
    };
    let program = if args.shell {
        Program::Shell(args.command.join(" "))
    } else {
        Program::Argv(args.command.clone())
    };
    let mut inv = Invocation::new(program);
    inv.output = Output::Inherit;
    inv.sample_interval = Some(interval);
    sloe_runner::interrupt::install()?;

    let (tx, rx) = mpsc::channel::<Sample>();
    let view = std::thread::spawn(move || live_view(rx, window));
    let mut exec = SystemExecutor::with_live_samples(tx);
    let result = exec.execute(&inv);
    drop(exec);
    let _ = view.join();
    let m = result.map_err(|e| {
        if sloe_runner::interrupt::requested() {
            anyhow::Error::new(super::run::Interrupted)
        } else {
            anyhow!(e)
        }
    })?;

    let timeline = &m.timeline;
    let peak_sampled = timeline.iter().map(|s| s.rss).max().unwrap_or(0);
    eprintln!(
        "sloe monitor: {first}: {} wall, {} user, {} sys; CPU {:.0} % mean, {:.0} % sustained over {}, {:.0} % burst; peak RSS {} ({} samples every {})",
        show(Dimension::Time, m.wall.as_nanos() as f64),
        show(Dimension::Time, m.user.as_nanos() as f64),
        show(Dimension::Time, m.sys.as_nanos() as f64),
        m.cpu_percent(),
        sustained(timeline, window),
        show(Dimension::Time, window.as_nanos() as f64),
        burst(timeline),
        show(Dimension::Bytes, m.peak_rss.max(peak_sampled) as f64),
        timeline.len(),
        show(Dimension::Time, interval.as_nanos() as f64),
    );
    if !m.exit.success() {
        bail!(
            "monitor `{}`: it ended with {}",
            inv.program.display(),
            m.exit
        );
    }
    Ok(Outcome::Ok)
}

fn show(dimension: Dimension, canonical: f64) -> String {
    let unit = Unit::readable_for(dimension, canonical);
    Quantity::new(unit.from_canonical(canonical), unit).to_string()
}

/// A CPU sparkline of the last samples, 0–100 % per core scaled to the
/// highest seen.
fn sparkline(cpu: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = cpu.iter().copied().fold(100.0, f64::max);
    cpu.iter()
        .map(|c| BARS[((c / top) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect()
}

/// Shows samples as they come: one updating line on a terminal, a line
/// per second otherwise.
fn live_view(rx: mpsc::Receiver<Sample>, window: Duration) {
    let terminal = std::io::stderr().is_terminal();
    let bar = terminal.then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    });
    let mut all: Vec<Sample> = Vec::new();
    let mut printed = Duration::ZERO;
    for s in rx {
        all.push(s);
        let recent: Vec<f64> = all
            .iter()
            .rev()
            .take(30)
            .rev()
            .map(|s| s.cpu_percent)
            .collect();
        let line = format!(
            "{:>8} cpu {:>4.0} % {} burst {:.0} % sustained {:.0} % rss {}",
            show(Dimension::Time, s.at.as_nanos() as f64),
            s.cpu_percent,
            sparkline(&recent),
            burst(&all),
            sustained(&all, window),
            show(Dimension::Bytes, s.rss as f64)
        );
        match &bar {
            Some(bar) => {
                bar.set_message(line);
                bar.tick();
            }
            None if s.at >= printed + Duration::from_secs(1) => {
                printed = s.at;
                eprintln!("sloe monitor: {line}");
            }
            None => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_highest() {
        assert_eq!(sparkline(&[0.0, 50.0, 100.0]), "▁▅█");
        assert_eq!(sparkline(&[0.0, 200.0]), "▁█");
    }
}
