//! criterion.rs: its console output, the files it keeps under
//! `target/criterion`, and a whole `target/criterion` tree.
//!
//! **Console.** `name  time: [low estimate high]` gives one `wall_time`
//! sample, the point estimate; a following `thrpt: [...]` line gives a
//! `throughput` sample (elements or bytes per second, higher is better).
//! Names too long for the column stand on the line before `time:`.
//! `change:` blocks (relative changes) are not measurements and are
//! skipped. Output of `--output-format bencher` is libtest's line format
//! and is read as such.
//!
//! **Files.** `new/sample.json` (parallel `iters` and `times`, total ns per
//! sample) gives per-iteration `wall_time` samples `times[i] / iters[i]`;
//! `estimates.json` gives the mean's point estimate as the one sample;
//! criterion 0.3's `raw.csv` gives its per-iteration samples. A single
//! file does not state its benchmark's name, so the name is its directory
//! under `target/criterion` (the path between a `criterion` folder and the
//! `new/` or baseline folder). `benchmark.json` and `tukey.json` hold no
//! measurements, and `change/estimates.json` holds relative changes: they
//! are refused with a reason.
//!
//! **Tree.** [`read_tree`] reads every benchmark directory's `new/`
//! files: the name is `benchmark.json`'s `full_id` as criterion prints it,
//! samples come from `sample.json` (else `estimates.json`), and a declared
//! throughput (`Elements` or `Bytes` per iteration) adds `throughput`
//! samples.

use std::collections::BTreeMap;

use serde::Deserialize;
use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, number, parse_json, starts_with, text, time_unit};
use crate::{FileContext, FormatError, Parsed, libtest};

#[derive(Debug, Deserialize)]
struct Sample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

#[derive(Debug, Deserialize)]
struct Estimates {
    mean: Estimate,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    point_estimate: f64,
}

#[derive(Debug, Deserialize)]
struct BenchmarkJson {
    full_id: String,
    #[serde(default)]
    throughput: Option<BTreeMap<String, f64>>,
}

/// Whether `line` is a console estimate line (`time:` or `thrpt:`).
fn estimate<'a>(line: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let (prefix, rest) = line.split_once(key)?;
    let inner = rest.trim().strip_prefix('[')?;
    let inner = inner.split_once(']')?.0;
    Some((prefix.trim(), inner))
}

/// Whether `input` looks like criterion console output or one of its files.
pub fn looks_like(input: &[u8]) -> bool {
    let text = head(input, 65536);
    if starts_with(input, b'{') {
        return (text.contains("\"iters\"") && text.contains("\"times\""))
            || text.contains("\"median_abs_dev\"")
            || (text.contains("\"full_id\"") && text.contains("\"directory_name\""));
    }
    text.starts_with("group,function,value,throughput_num")
        || text.lines().any(|l| {
            estimate(l, "time:").is_some_and(|(_, inner)| {
                inner.split_whitespace().count() == 6 && !inner.contains('%')
            })
        })
}

/// The benchmark directory a single file lies in (see the module doc).
fn name_from_path(origin: &str) -> Option<String> {
    let parts: Vec<&str> = origin
        .split(['/', '\\'])
        .filter(|p| !p.is_empty())
        .collect();
    // [.., benchmark dirs.., baseline dir, file]
    if parts.len() < 3 {
        return None;
    }
    let end = parts.len() - 2;
    let start = parts[..end]
        .iter()
        .rposition(|p| p.ends_with("criterion"))
        .map_or(end - 1, |i| i + 1);
    (start < end).then(|| parts[start..end].join("/"))
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let file_name = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    if starts_with(input, b'{') || file_name.ends_with(".json") {
        if origin.contains("/change/") || origin.contains("\\change\\") {
            return Err(err.whole(
                "read it as measurements: change/estimates.json holds criterion's relative change against the baseline; give new/sample.json or the benchmark directory",
            ));
        }
        let name = name_from_path(origin).ok_or_else(|| {
            err.whole("name the benchmark: a single criterion file must lie in target/criterion/<benchmark>/new/")
        })?;
        let mut set = SeriesSet::default();
        match file_name {
            "benchmark.json" | "tukey.json" => {
                return Err(err.whole(format!(
                    "find measurements: {file_name} holds none; give new/sample.json, new/estimates.json or the benchmark directory"
                )));
            }
            "estimates.json" => {
                let e: Estimates = parse_json(input, origin)?;
                push_estimates(&mut set, &name, &e);
            }
            _ => {
                let s: Sample = parse_json(input, origin)?;
                push_samples(&mut set, &name, &s, None, &err)?;
            }
        }
        return Ok(Parsed {
            context: FileContext::default(),
            series: set.into_series(),
            warnings: Vec::new(),
        });
    }
    let text = text(input, &err)?;
    if text.starts_with("group,function,value,throughput_num") {
        return read_raw_csv(text, &err);
    }
    read_console(text, &err).or_else(|e| {
        // `--output-format bencher` prints libtest lines.
        if libtest::looks_like(input) {
            libtest::read(input, origin)
        } else {
            Err(e)
        }
    })
}

fn push_estimates(set: &mut SeriesSet, name: &str, e: &Estimates) {
    set.push_with(
        name,
        "wall_time",
        Unit::Nanoseconds,
        Direction::LowerIsBetter,
        e.mean.point_estimate,
    );
}

fn push_samples(
    set: &mut SeriesSet,
    name: &str,
    s: &Sample,
    throughput: Option<(f64, Unit)>,
    err: &Errors<'_>,
) -> Result<(), FormatError> {
    if s.iters.len() != s.times.len() {
        return Err(err.field(
            "times",
            format!(
                "expected as many times as iters, found {} and {}",
                s.times.len(),
                s.iters.len()
            ),
        ));
    }
    if let Some(i) = s.iters.iter().position(|n| *n <= 0.0) {
        return Err(err.field(format!("iters[{i}]"), "expected a positive iteration count"));
    }
    let per_iter: Vec<f64> = s.iters.iter().zip(&s.times).map(|(n, t)| t / n).collect();
    if let Some((per, unit)) = throughput {
        let rates: Vec<f64> = per_iter
            .iter()
            .filter(|t| **t > 0.0)
            .map(|t| per / (t / 1e9))
            .collect();
        set.extend_with(name, "throughput", unit, Direction::HigherIsBetter, rates);
    }
    set.extend_with(
        name,
        "wall_time",
        Unit::Nanoseconds,
        Direction::LowerIsBetter,
        per_iter,
    );
    Ok(())
}

/// criterion 0.3's `raw.csv`.
fn read_raw_csv(text: &str, err: &Errors<'_>) -> Result<Parsed, FormatError> {
    let mut set = SeriesSet::default();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').collect();
        let [group, function, value, _, _, measured, unit, iterations] = cols[..] else {
            return Err(err.line(n + 1, format!("expected 8 columns, found {}", cols.len())));
        };
        let name: Vec<&str> = [group, function, value]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        let (u, f) = time_unit(unit)
            .ok_or_else(|| err.line(n + 1, format!("expected a time unit, found {unit:?}")))?;
        let measured = number(measured).ok_or_else(|| {
            err.line(
                n + 1,
                format!("expected a measured value, found {measured:?}"),
            )
        })?;
        let iterations = number(iterations).filter(|i| *i > 0.0).ok_or_else(|| {
            err.line(
                n + 1,
                format!("expected an iteration count, found {iterations:?}"),
            )
        })?;
        set.push_with(
            &name.join("/"),
            "wall_time",
            u,
            Direction::LowerIsBetter,
            measured * f / iterations,
        );
    }
    Ok(Parsed {
        context: FileContext::default(),
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

/// Parses `value unit` triples of an estimate line; returns the middle one.
fn middle(inner: &str) -> Option<(f64, &str)> {
    let f: Vec<&str> = inner.split_whitespace().collect();
    if f.len() != 6 {
        return None;
    }
    Some((number(f[2])?, f[3]))
}

/// A throughput unit (`Gelem/s`, `MiB/s`, `KB/s`) as a factor to /s, and
/// whether it counts bytes (`B/s`) or elements (`/s`).
fn rate_factor(unit: &str) -> Option<(f64, Unit)> {
    let per = unit.strip_suffix("/s")?;
    let (prefix, rest) = match per {
        p if p.ends_with("elem") => (&p[..p.len() - 4], "elem"),
        p if p.ends_with("iB") => (&p[..p.len() - 2], "iB"),
        p if p.ends_with('B') => (&p[..p.len() - 1], "B"),
        _ => return None,
    };
    let binary = rest == "iB";
    let step: f64 = if binary { 1024.0 } else { 1000.0 };
    let power = match prefix {
        "" => 0,
        "K" | "k" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        _ => return None,
    };
    let canonical = if rest == "elem" {
        Unit::PerSecond
    } else {
        Unit::BytesPerSecond
    };
    Some((step.powi(power), canonical))
}

fn read_console(text: &str, err: &Errors<'_>) -> Result<Parsed, FormatError> {
    let mut set = SeriesSet::default();
    let mut previous = "";
    let mut current: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let trimmed = line.trim();
        if let Some((prefix, inner)) = estimate(line, "time:") {
            if inner.contains('%') || prefix.starts_with("change") {
                // A relative change, not a measurement.
            } else {
                let name = if prefix.is_empty() { previous } else { prefix };
                if name.is_empty() {
                    return Err(err.line(n, "expected a benchmark name before `time:`"));
                }
                let (v, unit) = middle(inner).ok_or_else(|| {
                    err.line(
                        n,
                        "expected `[low unit estimate unit high unit]` after `time:`",
                    )
                })?;
                let (u, f) = time_unit(unit).ok_or_else(|| {
                    err.line(
                        n,
                        format!("expected a time unit (ps, ns, µs, ms, s), found {unit:?}"),
                    )
                })?;
                set.push_with(name, "wall_time", u, Direction::LowerIsBetter, v * f);
                current = Some(name.to_owned());
            }
        } else if let Some((_, inner)) = estimate(line, "thrpt:") {
            if !inner.contains('%')
                && let Some(name) = &current
            {
                let (v, unit) = middle(inner).ok_or_else(|| {
                    err.line(
                        n,
                        "expected `[low unit estimate unit high unit]` after `thrpt:`",
                    )
                })?;
                let (f, rate_unit) = rate_factor(unit).ok_or_else(|| {
                    err.line(
                        n,
                        format!("expected a throughput unit like Melem/s or MiB/s, found {unit:?}"),
                    )
                })?;
                set.push_with(
                    name,
                    "throughput",
                    rate_unit,
                    Direction::HigherIsBetter,
                    v * f,
                );
            }
        } else if !trimmed.is_empty() && !trimmed.starts_with("change:") {
            current = None;
        }
        if !trimmed.is_empty() {
            previous = trimmed;
        }
    }
    if set.is_empty() {
        return Err(err.whole(
            "find a benchmark result; expected a line like `name  time: [1.0 ns 1.1 ns 1.2 ns]`",
        ));
    }
    Ok(Parsed {
        context: FileContext::default(),
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

/// Reads a `target/criterion` tree given as (path relative to the tree,
/// bytes) pairs; only files under a `new/` folder are used. `origin` names
/// the tree in messages.
pub fn read_tree(files: &[(String, Vec<u8>)], origin: &str) -> Result<Parsed, FormatError> {
    // benchmark dir → file name → bytes
    let mut dirs: BTreeMap<String, BTreeMap<&str, (&str, &[u8])>> = BTreeMap::new();
    for (path, bytes) in files {
        let path_norm = path.trim_start_matches("./");
        let Some((dir, file)) = path_norm.rsplit_once("/new/") else {
            continue;
        };
        if file.contains('/') {
            continue;
        }
        dirs.entry(dir.to_owned())
            .or_default()
            .insert(file, (path.as_str(), bytes.as_slice()));
    }
    let mut set = SeriesSet::default();
    for (dir, files) in &dirs {
        let mut name = dir.clone();
        let mut per_iteration = None;
        if let Some((path, bytes)) = files.get("benchmark.json") {
            let b: BenchmarkJson = parse_json(bytes, &format!("{origin}/{path}"))?;
            name = b.full_id;
            per_iteration = b.throughput.and_then(|t| {
                [
                    ("Elements", Unit::PerSecond),
                    ("Bytes", Unit::BytesPerSecond),
                    ("BytesDecimal", Unit::BytesPerSecond),
                ]
                .into_iter()
                .find_map(|(k, unit)| t.get(k).map(|n| (*n, unit)))
            });
        }
        if let Some((path, bytes)) = files.get("sample.json") {
            let where_ = format!("{origin}/{path}");
            let s: Sample = parse_json(bytes, &where_)?;
            push_samples(
                &mut set,
                &name,
                &s,
                per_iteration,
                &Errors { origin: &where_ },
            )?;
        } else if let Some((path, bytes)) = files.get("estimates.json") {
            let e: Estimates = parse_json(bytes, &format!("{origin}/{path}"))?;
            push_estimates(&mut set, &name, &e);
        }
    }
    if set.is_empty() {
        return Err(Errors { origin }.whole(crate::directory_holds_nothing(&[])));
    }
    Ok(Parsed {
        context: FileContext::default(),
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_path() {
        assert_eq!(
            name_from_path("x/target/criterion/get/moka get/8192/new/sample.json").as_deref(),
            Some("get/moka get/8192")
        );
        assert_eq!(
            name_from_path("fib/new/estimates.json").as_deref(),
            Some("fib")
        );
        assert_eq!(name_from_path("estimates.json"), None);
    }

    #[test]
    fn console_reads_time_and_throughput() {
        let out = "\
a/b                     time:   [1.0 ns 2.0 ns 3.0 ns]
                        thrpt:  [1.0 Gelem/s 2.0 Gelem/s 3.0 Gelem/s]
                 change:
                        time:   [-2.3% -1.3% -0.3%] (p = 0.01 < 0.05)
                        thrpt:  [+0.3% +1.3% +2.3%]
a rather long benchmark name
                        time:   [10 ps 20 ps 30 ps]
";
        let p = read(out.as_bytes(), "c.txt").expect("valid");
        assert_eq!(p.series[0].values, vec![2.0]);
        assert_eq!(p.series[1].values, vec![2e9]);
        assert_eq!(p.series[1].direction, Direction::HigherIsBetter);
        assert_eq!(p.series[2].benchmark, "a rather long benchmark name");
        assert!((p.series[2].values[0] - 0.02).abs() < 1e-12);
        let e = read(b"x time: [1 ns 2 furlongs 3 ns]\n", "c.txt").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
    }

    #[test]
    fn tree_uses_full_id_and_throughput() {
        let files = vec![
            (
                "g/f/new/benchmark.json".to_owned(),
                br#"{"full_id":"G/F","directory_name":"g/f","throughput":{"Elements":1000}}"#
                    .to_vec(),
            ),
            (
                "g/f/new/sample.json".to_owned(),
                br#"{"sampling_mode":"Flat","iters":[2,4],"times":[2000,8000]}"#.to_vec(),
            ),
            ("g/f/base/sample.json".to_owned(), b"{}".to_vec()),
        ];
        let p = read_tree(&files, "target/criterion").expect("valid");
        assert_eq!(p.series[0].benchmark, "G/F");
        assert_eq!(p.series[0].measure, "throughput");
        assert_eq!(p.series[0].values, vec![1e9, 5e8]);
        assert_eq!(p.series[1].values, vec![1000.0, 2000.0]);
    }
}
