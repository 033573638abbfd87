//! Change-point detection measured on real annotated series: the TCPD
//! benchmark (van den Burg & Williams 2020) with its human annotations, the
//! TigerBeetle series with Apache Otava's expected change points, and
//! MongoDB's performance series. The fixtures are in `tests/fixtures/changepoint`
//! (where each came from: its `SOURCES.md`).
//!
//! Run with `--nocapture` to see the per-series table.

use std::path::PathBuf;

use serde_json::Value;
use sloe_core::changepoint::{self, ChangePoint};

const MARGIN: usize = 5;

fn fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/changepoint");
    assert!(
        dir.join("SOURCES.md").exists(),
        "change-point fixtures missing at {}: they are part of the repository (git checkout -- {0})",
        dir.display()
    );
    dir
}

fn read(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn indices(cps: &[ChangePoint]) -> Vec<usize> {
    cps.iter().map(|c| c.index).collect()
}

/// A univariate TCPD series with missing values carried forward.
fn tcpd_series(v: &Value) -> Option<Vec<f64>> {
    if v["n_dim"].as_u64()? != 1 {
        return None;
    }
    let raw = v["series"][0]["raw"].as_array()?;
    let mut out = Vec::with_capacity(raw.len());
    let mut last = None;
    for x in raw {
        let value = x.as_f64().or(last)?;
        last = Some(value);
        out.push(value);
    }
    Some(out)
}

#[test]
fn tcpd_f1_against_human_annotations() {
    let dir = fixtures();
    let annotations = read(dir.join("tcpd/annotations.json"));
    let mut names: Vec<String> = std::fs::read_dir(dir.join("tcpd/datasets"))
        .expect("datasets")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    let (mut pelt_sum, mut bs_sum, mut zero_sum, mut count) = ([0.0; 3], [0.0; 3], 0.0, 0);
    println!(
        "{:<22} {:>5} {:>6} {:>6} {:>6}   {:>6} {:>6} {:>6}   {:>6}",
        "series", "n", "P", "R", "F1", "bs P", "bs R", "bs F1", "none"
    );
    for name in &names {
        let Some(series) = tcpd_series(&read(dir.join(format!("tcpd/datasets/{name}.json"))))
        else {
            continue;
        };
        let Some(by_annotator) = annotations[name.as_str()].as_object() else {
            continue;
        };
        let annotators: Vec<Vec<usize>> = by_annotator
            .values()
            .map(|a| {
                a.as_array()
                    .map(|l| {
                        l.iter()
                            .filter_map(|i| i.as_u64())
                            .map(|i| i as usize)
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let pelt =
            changepoint::f1_score(&indices(&changepoint::detect(&series)), &annotators, MARGIN);
        let bs = changepoint::f1_score(
            &indices(&changepoint::detect_binary_segmentation(&series)),
            &annotators,
            MARGIN,
        );
        let zero = changepoint::f1_score(&[], &annotators, MARGIN);
        println!(
            "{name:<22} {:>5} {:>6.3} {:>6.3} {:>6.3}   {:>6.3} {:>6.3} {:>6.3}   {:>6.3}",
            series.len(),
            pelt.0,
            pelt.1,
            pelt.2,
            bs.0,
            bs.1,
            bs.2,
            zero.2
        );
        for (sum, s) in [(&mut pelt_sum, pelt), (&mut bs_sum, bs)] {
            sum[0] += s.0;
            sum[1] += s.1;
            sum[2] += s.2;
        }
        zero_sum += zero.2;
        count += 1;
    }
    let mean = |s: [f64; 3]| s.map(|v| v / f64::from(count));
    let (p, b) = (mean(pelt_sum), mean(bs_sum));
    println!(
        "mean over {count} series: PELT P {:.3} R {:.3} F1 {:.3}; binary segmentation P {:.3} R {:.3} F1 {:.3}; no change points F1 {:.3}",
        p[0],
        p[1],
        p[2],
        b[0],
        b[1],
        b[2],
        zero_sum / f64::from(count)
    );
    assert!(count >= 20, "only {count} TCPD series read");
    // Floors a little under what was measured, so a real regression of the
    // detector fails here.
    assert!(p[2] >= PELT_F1_FLOOR, "PELT mean F1 {:.3}", p[2]);
    assert!(p[1] >= 0.9, "PELT mean recall {:.3}", p[1]);
}

/// Measured 0.495 (binary segmentation 0.524, no change points 0.655 under
/// TCPDBench's convention that index 0 always counts). Most TCPD series
/// are economic trends, where a mean-shift model with noise from
/// successive differences cuts a trend into steps: high recall, low
/// precision. On performance histories (Otava, MongoDB) it does well; see
/// the tests below.
const PELT_F1_FLOOR: f64 = 0.45;

#[test]
fn otava_tigerbeetle_steps_are_found() {
    let dir = fixtures();
    let v = read(dir.join("otava_tigerbeetle_series.json"));
    let values: Vec<f64> = v["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let found = changepoint::detect(&values);
    println!(
        "tigerbeetle: {:?}",
        found
            .iter()
            .map(|c| (c.index, format!("{:+.1}%", c.change * 100.0)))
            .collect::<Vec<_>>()
    );
    // Otava's default settings (p 0.01, magnitude 5 %) expect 15 and 71.
    for expected in [15usize, 71] {
        assert!(
            found.iter().any(|c| c.index.abs_diff(expected) <= MARGIN),
            "no change near {expected}: {found:?}"
        );
    }
    // The single-point drop at 10 is an outlier, not a level.
    assert!(
        !found.iter().any(|c| c.index == 10 || c.index == 11),
        "{found:?}"
    );
}

#[test]
fn mongodb_series_counts() {
    let dir = fixtures();
    for name in ["edivisive_small", "edivisive_medium", "edivisive_large"] {
        let v = read(dir.join(format!("mongodb/{name}.json")));
        let values: Vec<f64> = v["series"]
            .as_array()
            .expect("series")
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        let found = changepoint::detect(&values);
        let expected = v["expected"].as_u64().unwrap_or(0) as usize;
        println!(
            "mongodb {name}: {} points, PELT {} change points, MongoDB e-divisive {expected}",
            values.len(),
            found.len()
        );
        // E-Divisive's count is an algorithm's output, not ground truth:
        // only require the same order of magnitude.
        assert!(
            found.len() <= 3 * expected + 3 && 3 * found.len() + 3 >= expected,
            "{name}: {} vs {expected}",
            found.len()
        );
    }
}

#[test]
fn synthetic_steps() {
    // Steps of 5–20 % under 1 % noise, from a seeded generator: every step
    // found within the margin, nothing else.
    let mut state = 0x5105_cafe_u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (mut tp, mut fp, mut total) = (0, 0, 0);
    for _ in 0..50 {
        let mut values = Vec::new();
        let mut truth = Vec::new();
        let mut level = 100.0;
        for seg in 0..4 {
            if seg > 0 {
                truth.push(values.len());
                let size = 0.05 + 0.15 * uniform();
                level *= if uniform() < 0.5 {
                    1.0 + size
                } else {
                    1.0 / (1.0 + size)
                };
            }
            for _ in 0..(15 + (uniform() * 20.0) as usize) {
                // Sum of uniforms: close enough to normal noise of σ 1 %.
                let e: f64 = (0..12).map(|_| uniform()).sum::<f64>() - 6.0;
                values.push(level * (1.0 + 0.01 * e));
            }
        }
        let found = indices(&changepoint::detect(&values));
        total += truth.len();
        tp += truth
            .iter()
            .filter(|t| found.iter().any(|f| f.abs_diff(**t) <= MARGIN))
            .count();
        fp += found
            .iter()
            .filter(|f| !truth.iter().any(|t| t.abs_diff(**f) <= MARGIN))
            .count();
    }
    println!("synthetic steps: {tp}/{total} found, {fp} false");
    assert!(tp * 100 >= total * 95, "{tp}/{total}");
    assert!(fp * 100 <= total * 5, "{fp} false of {total}");
}
