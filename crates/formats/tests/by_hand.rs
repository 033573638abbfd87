//! Per format, a few values checked by hand against the fixture file (the
//! comment names the line), so a snapshot accepted in haste cannot hide a
//! wrong unit or a misread column.

use std::path::{Path, PathBuf};

use sloe_core::{Direction, Unit};
use sloe_formats::{Format, Parsed, criterion};

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn read(format: Format, rel: &str) -> Parsed {
    let bytes = std::fs::read(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    format
        .read(&bytes, rel)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The series of (benchmark, measure); panics with the names found.
fn series<'a>(p: &'a Parsed, benchmark: &str, measure: &str) -> &'a sloe_core::Series {
    p.series
        .iter()
        .find(|s| s.benchmark == benchmark && s.measure == measure)
        .unwrap_or_else(|| {
            let names: Vec<_> = p
                .series
                .iter()
                .map(|s| format!("{} / {}", s.benchmark, s.measure))
                .collect();
            panic!("no {benchmark} / {measure} among {names:#?}")
        })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[track_caller]
fn assert_close(got: f64, want: f64) {
    assert!(close(got, want), "got {got}, want {want}");
}

#[test]
fn criterion_console() {
    // bencher_failed.txt line 43: `tracing_file time: [52.371 µs 60.753 µs 71.099 µs]`
    let p = read(Format::Criterion, "criterion/console/bencher_failed.txt");
    let s = series(&p, "tracing_file", "wall_time");
    assert_eq!(s.unit, Unit::Microseconds);
    assert_close(s.values[0], 60_753.0);
    // bencher_dogfood.txt lines 25-26: the name wraps onto its own line.
    let p = read(Format::Criterion, "criterion/console/bencher_dogfood.txt");
    assert_close(
        series(&p, "Adapter::Magic (JSON)", "wall_time").values[0],
        3_463.2,
    );
    // run3_improved.txt lines 20-21: `thrpt: [7.1880 Gelem/s 7.3136 Gelem/s 7.4296 Gelem/s]`
    let p = read(
        Format::Criterion,
        "criterion/generated/console/criterion_0.5.1_run3_improved.txt",
    );
    let t = series(&p, "hash/fold scaled", "throughput");
    assert_eq!(t.direction, Direction::HigherIsBetter);
    assert_close(t.values[0], 7.3136e9);
    assert_close(
        series(&p, "hash/fold scaled", "wall_time").values[0],
        136.73,
    );
}

/// Every file of a `target/criterion` tree, relative to it.
fn tree(rel: &str) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                out.push((
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&p).expect("read"),
                ));
            }
        }
    }
    let root = path(rel);
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

#[test]
fn criterion_tree() {
    let p = criterion::read_tree(&tree("criterion/target-criterion"), "target-criterion")
        .expect("tree reads");
    let names: Vec<(&str, &str, usize)> = p
        .series
        .iter()
        .map(|s| (s.benchmark.as_str(), s.measure.as_str(), s.values.len()))
        .collect();
    // Names come from benchmark.json's full_id (hashes/ahash → Hashes/AHash);
    // `fib 20` has no benchmark.json, so its directory names it.
    assert_eq!(
        names,
        vec![
            ("basic lincomb", "wall_time", 100),
            ("big_file_tail", "wall_time", 1),
            ("fib 20", "wall_time", 1),
            ("get/deduplicate get/1024", "wall_time", 1),
            ("get/moka get/8192", "wall_time", 100),
            ("Hashes/AHash", "wall_time", 1),
        ]
    );
    // basic lincomb/new/sample.json: iters[0] = 1372.0 with times[0]; the
    // sample is times[0] / iters[0] ns.
    let sample: serde_json::Value = serde_json::from_slice(
        &std::fs::read(path(
            "criterion/target-criterion/basic lincomb/new/sample.json",
        ))
        .expect("read"),
    )
    .expect("json");
    let want =
        sample["times"][0].as_f64().expect("time") / sample["iters"][0].as_f64().expect("iters");
    assert_close(p.series[0].values[0], want);
    // hashes/ahash/new/estimates.json: the mean's point estimate.
    assert_close(p.series[5].values[0], 748_680.666_666_666_6);

    // generated tree: benchmark.json declares {"Elements":1000}.
    let p = criterion::read_tree(
        &tree("criterion/generated/target-criterion"),
        "generated/target-criterion",
    )
    .expect("tree reads");
    let t = series(&p, "hash/fold scaled", "throughput");
    let w = series(&p, "hash/fold scaled", "wall_time");
    assert_eq!(t.values.len(), 20);
    assert_close(t.values[0], 1000.0 / (w.values[0] / 1e9));
}

#[test]
fn hyperfine() {
    // bencher_two.json line 72 ff: command "sleep 0.2", first time 0.21231231072000004 s,
    // user 0.001013969230769231 s.
    let p = read(Format::Hyperfine, "hyperfine/bencher_two.json");
    let w = series(&p, "sleep 0.2", "wall_time");
    assert_eq!(w.values.len(), 13);
    assert_close(w.values[0], 0.212_312_310_720_000_04e9);
    assert_close(
        series(&p, "sleep 0.2", "user_time").values[0],
        0.001_013_969_230_769_231e9,
    );
}

#[test]
fn gbench() {
    // gb_1.7.1_repetitions_with_aggregates.json from line 336: five BM_StringSort
    // repetitions in us (349.87..., ...), then _mean/_median/_stddev/_cv.
    let p = read(
        Format::Gbench,
        "google-benchmark/generated/gb_1.7.1_repetitions_with_aggregates.json",
    );
    let s = series(&p, "BM_StringSort", "wall_time");
    assert_eq!(s.values.len(), 5, "aggregates are not samples");
    assert_eq!(s.unit, Unit::Microseconds);
    assert_close(s.values[0], 349.874_836_735_014_07e3);
    assert_close(
        series(&p, "BM_StringSort", "strings").values[4],
        5_238_111.871_263_886,
    );
    // aggregates_only: BM_VectorSum/1024_mean real_time 668.5095276365662 ns.
    let p = read(
        Format::Gbench,
        "google-benchmark/generated/gb_1.7.1_aggregates_only.json",
    );
    let s = series(&p, "BM_VectorSum/1024", "wall_time");
    assert_eq!(s.values, vec![668.509_527_636_566_2]);
    let b = series(&p, "BM_VectorSum/1024", "bytes_per_second");
    assert_eq!(b.direction, Direction::HigherIsBetter);
    assert_close(b.values[0], 6_153_277_212.031_161);
    // Issue 14: a mean alone is read, but the run says what it lacks.
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    let w = &p.warnings[0];
    assert!(w.contains("per-repetition samples are missing"), "{w}");
    assert!(w.contains("--benchmark_report_aggregates_only"), "{w}");
    assert!(w.contains("BM_VectorSum/1024"), "{w}");
    // With the repetitions present nothing is missing.
    let p = read(
        Format::Gbench,
        "google-benchmark/generated/gb_1.7.1_repetitions_with_aggregates.json",
    );
    assert_eq!(p.warnings, Vec::<String>::new());
}

#[test]
fn gobench() {
    // bencher_three_arm64.txt line 6:
    // `BenchmarkFib20WithAuxMetric-8  46714  25829 ns/op  4.000 auxMetricUnits`
    let p = read(Format::Gobench, "go-bench/bencher_three_arm64.txt");
    assert_eq!(
        series(&p, "BenchmarkFib20WithAuxMetric-8", "wall_time").values,
        vec![25_829.0]
    );
    let aux = series(&p, "BenchmarkFib20WithAuxMetric-8", "auxMetricUnits");
    assert_eq!(aux.unit, Unit::Other("auxMetricUnits".into()));
    assert_eq!(aux.values, vec![4.0]);
    // golang_perf_suffixarray_benchmem.txt line 15:
    // `.../bits=64-8  250  5146381 ns/op  19.43 MB/s  802897 B/op  2 allocs/op`
    let p = read(
        Format::Gobench,
        "go-bench/golang_perf_suffixarray_benchmem.txt",
    );
    let b = "BenchmarkNew/text=opticks/size=100K/bits=64-8";
    assert_eq!(series(&p, b, "wall_time").values.len(), 10);
    assert_eq!(series(&p, b, "wall_time").values[0], 5_146_381.0);
    assert_close(series(&p, b, "bytes_per_second").values[0], 19.43e6);
    assert_eq!(series(&p, b, "alloc_bytes").values[0], 802_897.0);
    assert_eq!(series(&p, b, "allocs").values[0], 2.0);
}

#[test]
fn libtest() {
    // gab_cargo_output.txt line 9: `test bench_fib_20 ... bench: 18,149 ns/iter (+/- 755)`
    let p = read(Format::Libtest, "rust-libtest/gab_cargo_output.txt");
    assert_eq!(
        series(&p, "bench_fib_20", "wall_time").values,
        vec![18_149.0]
    );
    // gab_cargo_output3_decimal.txt line 9: `18,794.12 ns/iter`
    let p = read(
        Format::Libtest,
        "rust-libtest/gab_cargo_output3_decimal.txt",
    );
    assert_close(series(&p, "bench_fib_20", "wall_time").values[0], 18_794.12);
    // bencher_failed.txt: benchmark_b FAILED and is left out.
    let p = read(Format::Libtest, "rust-libtest/bencher_failed.txt");
    assert_eq!(p.series.len(), 2);
}

#[test]
fn pytest_benchmark() {
    // gab_pytest_several_units.json: test_sleep_2 data [2.005173128, ...] s.
    let p = read(
        Format::PytestBenchmark,
        "pytest-benchmark/gab_pytest_several_units.json",
    );
    let s = series(&p, "bench.py::test_sleep_2", "wall_time");
    assert_eq!(s.values.len(), 5);
    assert_close(s.values[0], 2.005_173_128e9);
    assert_eq!(
        p.context.commit.as_deref(),
        Some("b8e9e2af2493a1ee2f3fa758a9572cd9972e6db7")
    );
}

#[test]
fn jmh() {
    // jcasbin_jmh-result_params.json: BenchmarkMemory.measureMemory, scenario=ACL,
    // mode ss, rawData [[364.5893, 369.9723, 357.575399]] ms/op.
    let p = read(Format::Jmh, "jmh/jcasbin_jmh-result_params.json");
    let s = series(
        &p,
        "org.casbin.jcasbin.main.benchmark.BenchmarkMemory.measureMemory:scenario=ACL",
        "single_shot_time",
    );
    assert_eq!(s.unit, Unit::Milliseconds);
    assert_close(s.values[0], 364.5893e6);
    assert_eq!(s.values.len(), 3);
    // hollow: the first thrpt result is in ops/ms; 47.896... ops/ms = 47896... /s.
    let p = read(Format::Jmh, "jmh/hollow_jmh-result_all_modes.json");
    let t = &p.series[0];
    assert_eq!(t.measure, "throughput");
    assert_eq!(t.direction, Direction::HigherIsBetter);
    assert!(
        t.values.iter().any(|v| close(*v, 47_896.326_944_146_53)),
        "{:?}",
        t.values
    );
}

#[test]
fn bdn() {
    // bencher_two_v0.9.9.json line 105: Sleep20 Statistics.Mean 20360791.931687497 ns.
    let p = read(Format::Bdn, "benchmarkdotnet/bencher_two_v0.9.9.json");
    assert_eq!(
        series(
            &p,
            "BenchmarkDotNet.Samples.Intro.IntroJsonExport.Sleep20",
            "wall_time"
        )
        .values,
        vec![20_360_791.931_687_497]
    );
    // bencher_memory.json lines 78-82: Gen0Collections 184 over TotalOperations
    // 8388608, BytesAllocatedPerOperation 368.
    let p = read(Format::Bdn, "benchmarkdotnet/bencher_memory.json");
    let b = "BenchmarkDotNet.Samples.Memory.AllocEmptyList";
    assert_eq!(series(&p, b, "allocated_bytes").values, vec![368.0]);
    assert_close(
        series(&p, b, "gen0_collections").values[0],
        184.0 / 8_388_608.0 * 1000.0,
    );
}

#[test]
fn iai() {
    // iai_two.txt lines 4 and 8: Instructions 1735, Estimated Cycles 2404.
    let p = read(Format::Iai, "iai/iai_two.txt");
    let first = &p.series[0].benchmark;
    assert_eq!(series(&p, first, "instructions").values, vec![1735.0]);
    assert_eq!(series(&p, first, "estimated_cycles").values, vec![2404.0]);
    // iai_callgrind_regressions.txt: `Instructions: 1734|1650` keeps the new value.
    let p = read(Format::Iai, "iai/iai_callgrind_regressions.txt");
    let b = "rust_iai_callgrind::bench_fibonacci_group::bench_fibonacci short:10";
    assert_eq!(series(&p, b, "instructions").values, vec![1734.0]);
    assert_eq!(p.series.len(), 12, "the Regressions: block adds nothing");
}

#[test]
fn catch2() {
    // catch2_v2.13.10_benchmark_reporter_xml.xml line 13: fib 20 mean 18277.7 ns.
    let p = read(
        Format::Catch2,
        "catch2/generated/catch2_v2.13.10_benchmark_reporter_xml.xml",
    );
    let s = series(&p, "fib 20", "wall_time");
    assert_eq!(s.unit, Unit::Nanoseconds);
    assert_eq!(s.values, vec![18_277.7]);
}

#[test]
fn junit() {
    // java_pulsar_808_tests.xml line 2: <testsuites tests="808" failures="1"
    // skipped="14">; testVersionStrings is there twice: skipped at line 2
    // (time="0.099"), run and failed at line 5 (0.017 s). A skipped test
    // ran nothing, so only the second is a timing (issue 14).
    let p = read(Format::Junit, "junit/java_pulsar_808_tests.xml");
    let total = |m: &str| -> f64 {
        p.series
            .iter()
            .filter(|s| s.benchmark.starts_with("suite:") && s.measure == m)
            .flat_map(|s| s.values.iter())
            .sum()
    };
    assert_eq!(total("tests"), 808.0);
    assert_eq!(total("failures"), 1.0);
    assert_eq!(total("skipped"), 14.0);
    let s = series(
        &p,
        "test:org.apache.pulsar.AddMissingPatchVersionTest::testVersionStrings",
        "wall_time",
    );
    assert_eq!(s.unit, Unit::Seconds);
    assert_eq!(s.values.len(), 1, "{:?}", s.values);
    assert_close(s.values[0], 0.017e9);
    // nextest_fixture-project-junit.xml line 79: test_flaky_mod_4 passed after a
    // <flakyFailure>; test_failure_assert failed.
    let p = read(Format::Junit, "junit/nextest_fixture-project-junit.xml");
    assert_eq!(
        series(&p, "suite:fixture-project::basic", "flaky").values,
        vec![1.0]
    );
    assert_eq!(
        series(&p, "suite:fixture-project::basic", "failures").values,
        vec![1.0]
    );
}

#[test]
fn asv() {
    // asv_example_results_v1_edgecases.json: line 26 `"time_units.mem_unit": 344`,
    // line 42 `"time_secondary.track_value": 42`, and a bare NaN.
    let p = read(Format::Asv, "asv/asv_example_results_v1_edgecases.json");
    let m = series(&p, "time_units.mem_unit", "memory");
    assert_eq!(
        (m.unit.clone(), m.values.clone()),
        (Unit::Bytes, vec![344.0])
    );
    assert_eq!(
        series(&p, "time_secondary.track_value", "value").values,
        vec![42.0]
    );
    assert!(!p.series.iter().any(|s| s.benchmark == "time_AAA_skip"));
    // django v2: the first row's samples column, in seconds.
    let p = read(
        Format::Asv,
        "asv/django_results_v2_03988c5a-conda-py3.13.json",
    );
    let s = series(
        &p,
        "data_struct_benchmarks.multi_value_dict.benchmark.MultiValueDictBench.time_multi_value_dict",
        "wall_time",
    );
    assert_eq!(s.values.len(), 10);
    assert_close(s.values[0], 0.202_927_073_000_012_1e9);
    assert_eq!(p.context.testbed.as_deref(), Some("ubuntu-latest"));
}

#[test]
fn detection_failure_lists_what_was_tried() {
    let e = Format::detect(b"hello, world\n", "notes.txt").unwrap_err();
    let msg = e.to_string();
    for f in Format::ALL {
        assert!(msg.contains(f.name()), "{msg}");
    }
    assert!(
        msg.starts_with("read notes.txt: detect its format"),
        "{msg}"
    );
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(*f));
    }
    assert_eq!(Format::ALL.len(), 14);
}
