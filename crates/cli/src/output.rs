//! What the CLI shows while it works, on standard error: progress bars on a
//! terminal (plain lines in CI logs), one summary line per measured
//! benchmark, notes, warnings about outliers, `sloe monitor`'s live view
//! and its closing line; and the look of all output that `--color` and
//! `--quiet` choose. Results go to standard output through `sloe-report`.

use std::io::{IsTerminal, Write};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sloe_app::run::Event;
use sloe_core::units::{Scale, format_number, readable};
use sloe_core::{Unit, stats};
use sloe_runner::sample::{burst, sustained};
use sloe_runner::{Measurement, Phase, Plan, Sample, Samples};

use crate::args::{ColorChoice, Global};

/// What the global flags say about the look of the output.
#[derive(Debug, Clone, Copy)]
struct Look {
    color: ColorChoice,
    quiet: bool,
}

/// Set once by `main` from the flags, before any command prints; read
/// wherever something prints, so commands need not pass it along.
static LOOK: OnceLock<Look> = OnceLock::new();

/// Takes `--color` and `--quiet` for the rest of the process.
pub fn configure(global: &Global) {
    let _ = LOOK.set(Look {
        color: global.color,
        quiet: global.quiet,
    });
}

fn look() -> Look {
    LOOK.get().copied().unwrap_or(Look {
        color: ColorChoice::Auto,
        quiet: false,
    })
}

/// Emoji and colors: as `--color` says; with `auto` (the default) only on a
/// terminal and never with NO_COLOR set. An explicit `--color always` wins
/// over NO_COLOR, as in cargo: the flag is the more specific wish.
pub fn fancy_output() -> bool {
    match look().color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `--quiet`: no progress bars and no notes.
pub fn quiet() -> bool {
    look().quiet
}

/// A `note: ...` line on standard error, unless `--quiet`.
pub fn note(text: std::fmt::Arguments<'_>) {
    if !quiet() {
        eprintln!("note: {text}");
    }
}

/// Writes `text` to standard output in one piece. (A closed pipe never gets
/// here: `main` lets SIGPIPE end the process, see there.)
pub fn print_stdout(text: &[u8]) -> sloe_app::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text)
        .and_then(|()| out.flush())
        .map_err(|source| sloe_app::AppError::Write {
            path: "standard output".into(),
            source,
        })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Shows `sloe run`'s events as they come.
#[derive(Debug, Default)]
pub struct RunView {
    progress: Option<Progress>,
}

impl RunView {
    pub fn show(&mut self, event: Event<'_>) {
        // Quiet keeps the warnings: they say the results may be unsound.
        if quiet() && !matches!(event, Event::Outliers { .. } | Event::Warning { .. }) {
            return;
        }
        match event {
            Event::StageStarted { name, program } => {
                eprintln!("sloe: stage `{name}`: {}", program.display());
            }
            Event::ParseStarted { name, format } => {
                eprintln!("sloe: benchmark `{name}`: reading its {format} output");
            }
            Event::AbStarted {
                name,
                baseline,
                candidate,
            } => eprintln!(
                "sloe: benchmark `{name}` in A/B mode: A = {}, B = {}, interleaved",
                baseline.display(),
                candidate.display()
            ),
            Event::TimedStarted { name, plan } => {
                self.progress = Some(Progress::new(name, plan));
            }
            Event::Progress(phase) => {
                if let Some(p) = &self.progress {
                    p.update(phase);
                }
            }
            Event::TimedFinished => {
                if let Some(p) = self.progress.take() {
                    p.finish();
                }
            }
            Event::Measured { name, samples } => eprintln!("{}", summary(name, samples)),
            Event::Outliers {
                name,
                samples,
                runs,
            } => eprintln!("{}", outliers(name, samples, runs)),
            Event::Warning { name, message } => eprintln!("warning: benchmark `{name}`: {message}"),
            Event::Confirming {
                name,
                p_value,
                screen,
                rounds,
                size,
            } => eprintln!(
                "sloe: `{name}` may be slower (one-sided p {} ≤ {screen}); confirming with {rounds} more round{} of {size} run{}",
                if p_value < 0.001 {
                    "< 0.001".to_owned()
                } else {
                    format!("= {p_value:.3}")
                },
                plural(rounds),
                plural(size)
            ),
            Event::Recorded {
                id,
                store,
                benchmarks,
            } => eprintln!(
                "recorded run {id} in {store}: {benchmarks} benchmark{}",
                plural(benchmarks)
            ),
        }
    }
}

/// One line per benchmark: mean ± σ, median, range, CPU, memory.
pub fn summary(name: &str, samples: &Samples) -> String {
    let ms = &samples.measurements;
    let wall: Vec<f64> = samples.wall_ns();
    let t = |v: Option<f64>| {
        v.map_or_else(
            || "-".to_owned(),
            |v| readable(&Unit::Nanoseconds, v).to_string(),
        )
    };
    let user: Vec<f64> = ms.iter().map(|m| m.user.as_nanos() as f64).collect();
    let sys: Vec<f64> = ms.iter().map(|m| m.sys.as_nanos() as f64).collect();
    let rss = ms.iter().map(|m| m.peak_rss).max().unwrap_or(0);
    let runs = ms.len();
    // The wall times of one benchmark share one unit, σ included.
    let scale = Scale::for_values(&Unit::Nanoseconds, &wall);
    let w = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| scale.show(v));
    let mut line = if runs == 1 {
        format!("{name}: {}", w(wall.first().copied()))
    } else {
        format!(
            "{name}: {} ± {} (mean ± σ), median {}, range {} … {}",
            w(stats::mean(&wall)),
            w(stats::std_dev(&wall)),
            w(stats::median(&wall)),
            w(wall.iter().copied().reduce(f64::min)),
            w(wall.iter().copied().reduce(f64::max)),
        )
    };
    line.push_str(&format!(
        "; user {}, sys {}, peak RSS {}; {runs} run{}",
        t(stats::mean(&user)),
        t(stats::mean(&sys)),
        readable(&Unit::Bytes, rss as f64),
        plural(runs)
    ));
    if let Some(o) = samples.shell_overhead {
        line.push_str(&format!(
            " (shell start-up {} subtracted)",
            readable(&Unit::Nanoseconds, o.wall.as_nanos() as f64)
        ));
    }
    line
}

/// The warning about a benchmark's outlying wall times (`runs`, 0-based).
fn outliers(name: &str, samples: &Samples, runs: &[usize]) -> String {
    let named: Vec<String> = runs
        .iter()
        .map(|&i| {
            let wall = samples
                .measurements
                .get(i)
                .map_or(0.0, |m| m.wall.as_nanos() as f64);
            format!("run {} ({})", i + 1, readable(&Unit::Nanoseconds, wall))
        })
        .collect();
    format!(
        "warning: benchmark `{name}`: {} of {} wall times are outliers (modified z-score above {}): {}; other programs or a cold cache may have disturbed them (try warm-up runs)",
        runs.len(),
        samples.measurements.len(),
        stats::OUTLIER_THRESHOLD,
        named.join(", ")
    )
}

/// A progress bar on a terminal; a plain line in CI logs.
#[derive(Debug)]
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(name: &str, plan: &Plan) -> Progress {
        if !std::io::stderr().is_terminal() {
            eprintln!(
                "sloe: benchmark `{name}`: {} warm-up run{}, {}",
                plan.warmup,
                if plan.warmup == 1 { "" } else { "s" },
                if plan.min_runs == plan.max_runs {
                    format!("{} timed runs", plan.min_runs)
                } else {
                    format!(
                        "at least {} timed runs and {}",
                        plan.min_runs,
                        format_number(plan.min_time.as_secs_f64()) + " s"
                    )
                }
            );
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(
            Some(u64::from(plan.min_runs)),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(name.to_owned());
        Progress { bar: Some(bar) }
    }

    fn update(&self, phase: Phase) {
        let Some(bar) = &self.bar else { return };
        match phase {
            Phase::Warmup { done, total } => {
                bar.set_message("warm-up");
                bar.set_length(u64::from(total));
                bar.set_position(u64::from(done));
            }
            Phase::Run { done, expected } => {
                bar.set_message("");
                bar.set_length(u64::from(expected));
                bar.set_position(u64::from(done));
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `sloe monitor`'s closing line: times, CPU (mean, sustained over
/// `window`, burst) and peak memory of one sampled execution of `first`.
pub fn monitor_summary(
    first: &str,
    m: &Measurement,
    window: Duration,
    interval: Duration,
) -> String {
    let timeline = &m.timeline;
    let peak_sampled = timeline.iter().map(|s| s.rss).max().unwrap_or(0);
    format!(
        "sloe monitor: {first}: {} wall, {} user, {} sys; CPU {:.0} % mean, {:.0} % sustained over {}, {:.0} % burst; peak RSS {} ({} samples every {})",
        readable(&Unit::Nanoseconds, m.wall.as_nanos() as f64),
        readable(&Unit::Nanoseconds, m.user.as_nanos() as f64),
        readable(&Unit::Nanoseconds, m.sys.as_nanos() as f64),
        m.cpu_percent(),
        sustained(timeline, window),
        readable(&Unit::Nanoseconds, window.as_nanos() as f64),
        burst(timeline),
        readable(&Unit::Bytes, m.peak_rss.max(peak_sampled) as f64),
        timeline.len(),
        readable(&Unit::Nanoseconds, interval.as_nanos() as f64),
    )
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

/// `sloe monitor`'s live view: shows samples as they come, one updating
/// line on a terminal, a line per second otherwise.
pub fn monitor_live(rx: mpsc::Receiver<Sample>, window: Duration) {
    if quiet() {
        // Keep receiving, as the live view would, so the sampler's sends
        // never meet a closed channel.
        rx.iter().for_each(drop);
        return;
    }
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
            readable(&Unit::Nanoseconds, s.at.as_nanos() as f64),
            s.cpu_percent,
            sparkline(&recent),
            burst(&all),
            sustained(&all, window),
            readable(&Unit::Bytes, s.rss as f64)
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

/// `value` as indented JSON, for `--format json`. Serialising sloe's own
/// types cannot fail; should it, the error says what was being written.
pub fn pretty_json<T: serde::Serialize>(value: &T, what: &str) -> sloe_app::Result<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| sloe_app::AppError::Input(format!("write {what} as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use sloe_runner::{Exit, ShellOverhead};

    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn samples(walls: &[u64], shell: Option<ShellOverhead>) -> Samples {
        Samples {
            measurements: walls
                .iter()
                .map(|&w| Measurement {
                    wall: ms(w),
                    user: Duration::from_micros(500),
                    sys: Duration::ZERO,
                    peak_rss: 2 << 20,
                    io: None,
                    exit: Exit::Code(0),
                    stdout: None,
                    stderr_tail: None,
                    timeline: Vec::new(),
                })
                .collect(),
            shell_overhead: shell,
        }
    }

    #[test]
    fn a_summary_reads_mean_spread_median_range_cpu_and_memory() {
        let shell = ShellOverhead {
            wall: Duration::from_micros(1500),
            ..ShellOverhead::default()
        };
        assert_eq!(
            summary("work", &samples(&[1, 2, 3], Some(shell))),
            "work: 2 ms ± 1 ms (mean ± σ), median 2 ms, range 1 ms … 3 ms; user 500 µs, sys 0 ns, peak RSS 2 MiB; 3 runs (shell start-up 1.5 ms subtracted)"
        );
        assert_eq!(
            summary("stage", &samples(&[1500], None)),
            "stage: 1.5 s; user 500 µs, sys 0 ns, peak RSS 2 MiB; 1 run"
        );
    }

    #[test]
    fn outliers_are_named_by_run_number_and_time() {
        assert_eq!(
            outliers("work", &samples(&[10, 11, 40], None), &[2]),
            "warning: benchmark `work`: 1 of 3 wall times are outliers (modified z-score above 3.5): run 3 (40 ms); other programs or a cold cache may have disturbed them (try warm-up runs)"
        );
    }

    #[test]
    fn sparkline_scales_to_the_highest() {
        assert_eq!(sparkline(&[0.0, 50.0, 100.0]), "▁▅█");
        assert_eq!(sparkline(&[0.0, 200.0]), "▁█");
    }
}
