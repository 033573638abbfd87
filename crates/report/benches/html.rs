//! Rendering the HTML dashboard for 200 benchmarks × 500 runs.
//! `cargo bench -p sloe-report --bench html` prints min / median / max and the size.

#[path = "../../../benches/emit.rs"]
mod emit;
use emit::emit_results;

use std::time::Instant;

fn main() {
    let (report, history) = sloe_report::html::synthetic(200, 500);
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let start = Instant::now();
        let html = sloe_report::html::render(&report, &history, Some("bench"));
        times.push(start.elapsed().as_secs_f64() * 1e3);
        size = std::hint::black_box(html).len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "html dashboard, 200 benchmarks × 500 runs: min {:.1} ms, median {:.1} ms, max {:.1} ms (n = 20); {:.2} MB",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        size as f64 / 1e6
    );
    let mut md_times = Vec::new();
    let mut chars = 0;
    for _ in 0..20 {
        let start = Instant::now();
        chars = std::hint::black_box(sloe_report::markdown::render(&report))
            .chars()
            .count();
        md_times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    md_times.sort_by(f64::total_cmp);
    println!(
        "markdown, 200 results: median {:.2} ms, {chars} characters",
        md_times[md_times.len() / 2]
    );
    emit_results(
        "report",
        &[
            ("report:html-200x500".to_owned(), times),
            ("report:markdown-200".to_owned(), md_times),
        ],
    );
}
