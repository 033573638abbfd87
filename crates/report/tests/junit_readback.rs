//! The JUnit XML sloe writes, read back by a JUnit parser: sloe-formats'
//! streaming quick-xml reader, the one `sloe ingest --format junit` uses on
//! Maven Surefire, pytest, jest and nextest output.

use sloe_formats::Format;

#[test]
fn junit_report_reads_back_with_its_counts() {
    let (mut report, _) = sloe_report::html::synthetic(10, 3);
    // one result without enough baseline runs: its regression case is skipped
    report.results[3].regression = sloe_core::regression::Regression::InsufficientData;
    let xml = sloe_report::junit::render(&report);
    let parsed = Format::Junit
        .read(xml.as_bytes(), "sloe.junit.xml")
        .expect("valid JUnit XML");
    let count = |measure: &str| -> f64 {
        parsed
            .series
            .iter()
            .find(|s| s.benchmark == "suite:sloe check" && s.measure == measure)
            .map(|s| s.values.iter().sum())
            .unwrap_or_else(|| {
                panic!(
                    "no {measure} count in {:?}",
                    parsed
                        .series
                        .iter()
                        .map(|s| (&s.benchmark, &s.measure))
                        .collect::<Vec<_>>()
                )
            })
    };
    // 10 budgeted results → a budget case and a regression case each
    assert_eq!(count("tests"), 20.0);
    // synthetic: results 0 and 5 are blocking violations
    assert_eq!(count("failures"), 2.0);
    assert_eq!(count("skipped"), 1.0);
    let cases = parsed
        .series
        .iter()
        .filter(|s| s.benchmark.starts_with("test:"))
        .count();
    // every case that ran has its time; the skipped one has none (a skipped
    // test is not a 0 s sample)
    assert_eq!(cases, 19);
}
