//! Resource sampling over time: every `interval`, the CPU time and
//! resident memory of the whole process group of an execution, read from
//! `/proc/<pid>/stat` of every process in the group.
//!
//! CPU time of a process counts its own and that of the children it has
//! reaped (`utime + stime + cutime + cstime`), so work done by a short-lived
//! grandchild is not lost when it exits: it moves into its parent's
//! counters. The CPU % of an interval is the growth of that sum over the
//! interval's wall time (100 % = one core busy); RSS is the sum of the
//! group's resident sets at the sample.
//!
//! From a timeline come two figures for budgets: **burst**, the highest
//! CPU % of any interval, and **sustained**, the highest mean CPU % over any
//! window of `sustained_window` (as in "at most 80 % sustained over 5 min");
//! a timeline shorter than the window is averaged whole.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One point of a resource timeline.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    /// Since the start of the execution.
    #[serde(with = "millis")]
    pub at: Duration,
    /// CPU use over the interval ending here; 100 = one core.
    pub cpu_percent: f64,
    /// Resident memory of the process group, bytes.
    pub rss: u64,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1e3)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Ok(Duration::try_from_secs_f64(ms.max(0.0) / 1e3).unwrap_or_default())
    }
}

/// CPU % burst (highest interval) of a timeline; 0 when empty.
pub fn burst(timeline: &[Sample]) -> f64 {
    timeline.iter().map(|s| s.cpu_percent).fold(0.0, f64::max)
}

/// The highest mean CPU % over any window of length `window` (by sample
/// times, weighting each interval by its length); a timeline shorter than
/// the window is averaged whole. 0 when empty.
pub fn sustained(timeline: &[Sample], window: Duration) -> f64 {
    if timeline.is_empty() {
        return 0.0;
    }
    // Interval i runs from the previous sample (or 0) to sample i.
    let starts: Vec<f64> = std::iter::once(0.0)
        .chain(timeline.iter().map(|s| s.at.as_secs_f64()))
        .collect();
    let lens: Vec<f64> = timeline
        .iter()
        .enumerate()
        .map(|(i, s)| (s.at.as_secs_f64() - starts[i]).max(0.0))
        .collect();
    let total: f64 = lens.iter().sum();
    let w = window.as_secs_f64();
    if total <= 0.0 {
        return burst(timeline);
    }
    if w <= 0.0 || total <= w {
        return timeline
            .iter()
            .zip(&lens)
            .map(|(s, l)| s.cpu_percent * l)
            .sum::<f64>()
            / total;
    }
    // Sliding window over whole intervals: windows end at each sample; the
    // interval that straddles the window start counts in part.
    let mut best = 0.0f64;
    let mut lo = 0usize;
    let mut acc = 0.0; // cpu·seconds of intervals lo..=hi
    for hi in 0..timeline.len() {
        acc += timeline[hi].cpu_percent * lens[hi];
        let end = timeline[hi].at.as_secs_f64();
        if end < w {
            continue;
        }
        let start = end - w;
        while lo < hi && timeline[lo].at.as_secs_f64() <= start {
            acc -= timeline[lo].cpu_percent * lens[lo];
            lo += 1;
        }
        // Interval `lo` begins at starts[lo] and may begin before `start`.
        let outside = (start - starts[lo]).max(0.0);
        let inside = acc - timeline[lo].cpu_percent * outside;
        best = best.max(inside / w);
    }
    best
}

/// One process's line of `/proc/<pid>/stat`, the fields sampling reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub pgrp: i32,
    /// CPU ticks of the process itself (utime + stime).
    pub own: u64,
    /// CPU ticks of the children it reaped (cutime + cstime).
    pub children: u64,
    /// Resident pages.
    pub rss: u64,
}

/// The CPU ticks (own and of reaped children), RSS pages and process
/// group of one process, from the text of `/proc/<pid>/stat`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    // The command name is in parentheses and may hold spaces or ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    // After the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12)
    // cutime(13) cstime(14) ... rss(21).
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    let pgrp = i32::try_from(num(2)?).ok()?;
    let ticks = |fields: [usize; 2]| -> Option<u64> {
        fields
            .iter()
            .map(|&i| num(i).map(|v| v.max(0) as u64))
            .sum::<Option<u64>>()
    };
    Some(Stat {
        pgrp,
        own: ticks([11, 12])?,
        children: ticks([13, 14])?,
        rss: num(21)?.max(0) as u64,
    })
}

/// CPU ticks and RSS pages summed over the processes of group `pgrp`;
/// of process `leader` (sloe's intermediary), only the CPU time of the
/// children it reaped (the measured command's) counts.
fn read_group(pgrp: i32, leader: Option<i32>) -> (u64, u64) {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (0, 0);
    };
    let (mut ticks, mut pages) = (0u64, 0u64);
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // A process may exit between listing and reading: skip it.
        let Ok(text) = std::fs::read_to_string(format!("/proc/{name}/stat")) else {
            continue;
        };
        let Some(stat) = parse_stat(&text) else {
            continue;
        };
        if stat.pgrp != pgrp {
            continue;
        }
        if leader.is_some_and(|l| name.parse() == Ok(l)) {
            ticks += stat.children;
        } else {
            ticks += stat.own + stat.children;
            pages += stat.rss;
        }
    }
    (ticks, pages)
}

fn sysconf(name: nix::unistd::SysconfVar) -> Option<u64> {
    nix::unistd::sysconf(name)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
        .filter(|v| *v > 0)
}

/// A thread sampling one process group until stopped.
pub(crate) struct Sampler {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    /// Starts sampling group `pgrp` (started at `start`) every `interval`,
    /// sending each sample to `live` too when given; `leader` is the
    /// intermediary's pid, if one runs (see [`read_group`]).
    pub fn start(
        pgrp: i32,
        leader: Option<i32>,
        start: Instant,
        interval: Duration,
        live: Option<mpsc::Sender<Sample>>,
    ) -> Sampler {
        let (stop, stopped) = mpsc::channel::<()>();
        let tick = sysconf(nix::unistd::SysconfVar::CLK_TCK).unwrap_or(100) as f64;
        let page = sysconf(nix::unistd::SysconfVar::PAGE_SIZE).unwrap_or(4096);
        let interval = interval.max(Duration::from_millis(1));
        let handle = std::thread::spawn(move || {
            let mut timeline = Vec::new();
            let (mut last_ticks, _) = read_group(pgrp, leader);
            let mut last_at = start.elapsed();
            let mut next = last_at + interval;
            loop {
                let wait = next.saturating_sub(start.elapsed());
                match stopped.recv_timeout(wait) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
                let (ticks, pages) = read_group(pgrp, leader);
                let at = start.elapsed();
                let dt = (at - last_at).as_secs_f64();
                let cpu = if dt > 0.0 {
                    ticks.saturating_sub(last_ticks) as f64 / tick / dt * 100.0
                } else {
                    0.0
                };
                let s = Sample {
                    at,
                    cpu_percent: cpu,
                    rss: pages * page,
                };
                if let Some(live) = &live {
                    let _ = live.send(s);
                }
                timeline.push(s);
                last_ticks = last_ticks.max(ticks);
                last_at = at;
                next += interval;
                while next < at {
                    next += interval;
                }
            }
            timeline
        });
        Sampler { stop, handle }
    }

    /// Stops sampling and returns the timeline.
    pub fn finish(self) -> Vec<Sample> {
        let _ = self.stop.send(());
        self.handle.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ms: u64, cpu: f64) -> Sample {
        Sample {
            at: Duration::from_millis(ms),
            cpu_percent: cpu,
            rss: 0,
        }
    }

    #[test]
    fn stat_with_spaces_and_parens_in_the_name() {
        // Field layout from proc(5); values made up.
        let text = "4242 (my (odd) cmd) S 1 4240 4240 0 -1 4194304 100 0 0 0 \
                    250 50 7 3 20 0 1 0 12345 104857600 2560 18446744073709551615";
        assert_eq!(
            parse_stat(text),
            Some(Stat {
                pgrp: 4240,
                own: 250 + 50,
                children: 7 + 3,
                rss: 2560
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn burst_is_the_highest_interval() {
        let t = [s(100, 20.0), s(200, 180.0), s(300, 90.0)];
        assert_eq!(burst(&t), 180.0);
        assert_eq!(burst(&[]), 0.0);
    }

    #[test]
    fn sustained_is_the_best_window_mean() {
        // Ten 1 s intervals: 0 % for five seconds, then 100 % for five.
        let t: Vec<Sample> = (1..=10)
            .map(|i| s(i * 1000, if i > 5 { 100.0 } else { 0.0 }))
            .collect();
        // Any 5 s window ending at 10 s is all busy.
        assert!((sustained(&t, Duration::from_secs(5)) - 100.0).abs() < 1e-9);
        // A 10 s window is half busy.
        assert!((sustained(&t, Duration::from_secs(10)) - 50.0).abs() < 1e-9);
        // Windows of 2.5 s end on samples: [7.5, 10] is all busy.
        assert!((sustained(&t, Duration::from_millis(2500)) - 100.0).abs() < 1e-9);
        // A window longer than the timeline averages it whole.
        assert!((sustained(&t, Duration::from_secs(60)) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn sustained_counts_a_straddling_interval_in_part() {
        // Intervals [0,1] at 100 %, [1,2] at 0 %; a 1.5 s window ending at
        // 2 s covers 0.5 s of the first: mean = 0.5·100 / 1.5 = 33.3 %.
        let t = [s(1000, 100.0), s(2000, 0.0)];
        let v = sustained(&t, Duration::from_millis(1500));
        assert!((v - 100.0 / 3.0).abs() < 1e-9, "{v}");
    }

    proptest::proptest! {
        #[test]
        fn sustained_lies_between_the_lowest_interval_and_burst(
            cpus in proptest::collection::vec(0.0f64..400.0, 1..50),
            window_ms in 1u64..10_000,
        ) {
            let t: Vec<Sample> = cpus.iter().enumerate().map(|(i, c)| s((i as u64 + 1) * 100, *c)).collect();
            let low = cpus.iter().copied().fold(f64::INFINITY, f64::min);
            let v = sustained(&t, Duration::from_millis(window_ms));
            proptest::prop_assert!(v <= burst(&t) + 1e-9);
            proptest::prop_assert!(v >= low - 1e-9);
            // A window at least as long as the timeline gives the mean.
            let mean = cpus.iter().sum::<f64>() / cpus.len() as f64;
            let whole = sustained(&t, Duration::from_millis(100 * cpus.len() as u64));
            proptest::prop_assert!((whole - mean).abs() < 1e-6);
        }
    }
}
