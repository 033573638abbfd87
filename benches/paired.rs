//! Shared by the whole-process bench binaries (included with `#[path]`):
//! times a command of the `sloe` binary under test, and, with
//! `SLOE_COMPARE_BIN=/path/to/other/sloe`, the same command of another
//! build in interleaved pairs (which goes first alternates), so that a
//! before/after comparison sees the same machine state. This machine's
//! speed swings within seconds: only such paired figures compare builds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The binaries a bench runs: the one under test and, optionally, another.
#[derive(Debug)]
pub struct Bins {
    pub this: PathBuf,
    pub other: Option<PathBuf>,
}

impl Bins {
    /// `this` is the bench's own build of sloe; `SLOE_COMPARE_BIN` names another.
    pub fn new(this: &str) -> Bins {
        Bins {
            this: PathBuf::from(this),
            other: std::env::var_os("SLOE_COMPARE_BIN")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }
}

fn run_once(label: &str, mut c: Command) -> Duration {
    let start = Instant::now();
    let out = c.output().expect("run sloe");
    let took = start.elapsed();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{label}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Times `repeat` executions of `cmd(bin)`; returns this build's times in
/// ms. With another build, each repetition runs both (alternating which
/// first, `setup` before each execution) and prints the median of the
/// per-pair ratios this/other.
pub fn time(
    label: &str,
    repeat: usize,
    bins: &Bins,
    mut setup: impl FnMut(),
    mut cmd: impl FnMut(&Path) -> Command,
) -> Vec<f64> {
    let mut this = Vec::with_capacity(repeat);
    let mut other = Vec::with_capacity(repeat);
    for i in 0..repeat {
        match &bins.other {
            None => {
                setup();
                this.push(ms(run_once(label, cmd(&bins.this))));
            }
            Some(o) => {
                let mut one = |bin: &Path| {
                    setup();
                    ms(run_once(label, cmd(bin)))
                };
                if i % 2 == 0 {
                    this.push(one(&bins.this));
                    other.push(one(o));
                } else {
                    other.push(one(o));
                    this.push(one(&bins.this));
                }
            }
        }
    }
    let mut ratios: Vec<f64> = this.iter().zip(&other).map(|(a, b)| a / b).collect();
    ratios.sort_by(f64::total_cmp);
    let mut sorted = this.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{label:<58} min {:>8.2} ms   median {:>8.2} ms   max {:>8.2} ms   (n = {repeat})",
        sorted[0],
        median(&sorted),
        sorted[repeat - 1]
    );
    if !other.is_empty() {
        let mut o = other.clone();
        o.sort_by(f64::total_cmp);
        println!(
            "{:<58} other build: median {:>8.2} ms; this/other per pair: median {:.3} (min {:.3}, max {:.3})",
            "",
            median(&o),
            median(&ratios),
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
    this
}
