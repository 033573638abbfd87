//! How what the runner observed becomes what the store keeps: one series
//! per measure with one sample per execution, and the resource timeline of
//! the last execution.

use std::time::Duration;

use sloe_core::{Dimension, Direction, ResourcePoint, Series, Timeline, Unit, stats};
use sloe_runner::{Samples, sample};

/// The series of a measured benchmark and the timeline of its last
/// execution (when it was sampled).
pub fn recorded(
    name: &str,
    samples: &Samples,
    sustained_window: Duration,
) -> (Vec<Series>, Option<Timeline>) {
    let timeline = samples
        .measurements
        .last()
        .filter(|m| !m.timeline.is_empty())
        .map(|m| Timeline {
            benchmark: name.to_owned(),
            points: m
                .timeline
                .iter()
                .map(|s| ResourcePoint {
                    at_ms: s.at.as_secs_f64() * 1e3,
                    cpu_percent: s.cpu_percent,
                    rss: s.rss,
                })
                .collect(),
        });
    (to_series(name, samples, sustained_window), timeline)
}

/// The measures `sloe run` records, one sample per execution; with
/// sampling, also each execution's CPU burst and sustained CPU.
pub fn to_series(name: &str, samples: &Samples, sustained_window: Duration) -> Vec<Series> {
    let ms = &samples.measurements;
    // Values are canonical (ns, bytes, %); the unit only says how they
    // read best, chosen from the median.
    let series = |measure: &str, dimension: Dimension, values: Vec<f64>| Series {
        benchmark: name.to_owned(),
        measure: measure.to_owned(),
        unit: Unit::readable_for(dimension, stats::median(&values).unwrap_or(0.0)),
        direction: Direction::LowerIsBetter,
        values,
        round_size: None,
    };
    let ns = |d: Duration| d.as_nanos() as f64;
    let mut out = vec![
        series(
            "wall_time",
            Dimension::Time,
            ms.iter().map(|m| ns(m.wall)).collect(),
        ),
        series(
            "user_time",
            Dimension::Time,
            ms.iter().map(|m| ns(m.user)).collect(),
        ),
        series(
            "sys_time",
            Dimension::Time,
            ms.iter().map(|m| ns(m.sys)).collect(),
        ),
        series(
            "cpu_percent",
            Dimension::Percent,
            ms.iter().map(|m| m.cpu_percent()).collect(),
        ),
        series(
            "peak_rss",
            Dimension::Bytes,
            ms.iter().map(|m| m.peak_rss as f64).collect(),
        ),
    ];
    let io: Option<Vec<_>> = ms.iter().map(|m| m.io).collect();
    if let Some(io) = io {
        out.push(series(
            "io_read",
            Dimension::Bytes,
            io.iter().map(|b| b.read as f64).collect(),
        ));
        out.push(series(
            "io_write",
            Dimension::Bytes,
            io.iter().map(|b| b.write as f64).collect(),
        ));
    }
    if !ms.is_empty() && ms.iter().all(|m| !m.timeline.is_empty()) {
        out.push(series(
            "cpu_burst",
            Dimension::Percent,
            ms.iter().map(|m| sample::burst(&m.timeline)).collect(),
        ));
        out.push(series(
            "cpu_sustained",
            Dimension::Percent,
            ms.iter()
                .map(|m| sample::sustained(&m.timeline, sustained_window))
                .collect(),
        ));
    }
    out
}
