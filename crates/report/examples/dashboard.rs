//! Writes a synthetic dashboard: `cargo run -p sloe-report --example dashboard -- OUT.html [BENCHMARKS] [RUNS]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).map_or("dashboard.html", String::as_str);
    let n = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(12);
    let runs = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(400);
    let (report, history) = sloe_report::html::synthetic(n, runs);
    if let Err(e) = std::fs::write(
        out,
        sloe_report::html::render(&report, &history, Some("demo")),
    ) {
        eprintln!("error: failed to write {out}: {e}");
        std::process::exit(2);
    }
}
