//! The dashboard in a real browser: headless Chromium (Debian's `chromium`
//! package; `.ci/run` installs it) loads the file, runs its script, and we
//! read the live DOM back. No console output is allowed, every result gets
//! one rendered chart, and the 7/30/90-day range changes what is plotted.
//! A screenshot is written to `target/sloe-dashboard.png` for people.

use std::path::{Path, PathBuf};
use std::process::Command;

use sloe_report::html;

fn chromium() -> PathBuf {
    for candidate in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("this test needs headless Chromium: `apt-get install -y chromium` (.ci/run does it)");
}

fn base_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

struct Dom {
    html: String,
    console: Vec<String>,
}

/// Loads `file#hash` and returns the DOM after scripts ran, with every
/// console message the page produced.
fn load(file: &Path, hash: &str) -> Dom {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(chromium())
        .args(base_args(profile.path()))
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(format!("file://{}#{hash}", file.display()))
        .output()
        .expect("start chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    Dom {
        html: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
    }
}

fn charts(dom: &str) -> usize {
    dom.matches("<svg class=\"trend\"").count()
}

fn plotted_points(dom: &str) -> usize {
    dom.split("data-points=\"")
        .skip(1)
        .map(|rest| {
            rest.split('"')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .expect("a number")
        })
        .sum()
}

fn write_dashboard(name: &str, benchmarks: usize, runs: usize) -> PathBuf {
    let (report, history) = html::synthetic(benchmarks, runs);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboards");
    std::fs::create_dir_all(&dir).expect("create dir");
    let path = dir.join(name);
    std::fs::write(&path, html::render(&report, &history, Some("browser test")))
        .expect("write html");
    path
}

#[test]
fn five_hundred_benchmarks_render_and_the_range_toggle_works() {
    let file = write_dashboard("500.html", 500, 400);
    let week = load(&file, "range=7");
    assert!(
        week.console.is_empty(),
        "console output: {:#?}",
        week.console
    );
    assert_eq!(charts(&week.html), 500);
    let quarter = load(&file, "range=90");
    assert!(
        quarter.console.is_empty(),
        "console output: {:#?}",
        quarter.console
    );
    assert_eq!(charts(&quarter.html), 500);
    let (p7, p90) = (plotted_points(&week.html), plotted_points(&quarter.html));
    assert!(
        p7 > 0 && p90 > 3 * p7,
        "7 days plotted {p7} points, 90 days {p90}"
    );
    // the filter in the URL applies too: 1 in 5 synthetic results violates
    let failing = load(&file, "range=30&filter=fail");
    assert_eq!(charts(&failing.html), 100);
}

#[test]
fn one_benchmark() {
    let file = write_dashboard("1.html", 1, 30);
    let dom = load(&file, "range=30");
    assert!(dom.console.is_empty(), "console output: {:#?}", dom.console);
    assert_eq!(charts(&dom.html), 1);
    assert!(plotted_points(&dom.html) > 0);
}

#[test]
fn no_benchmarks() {
    let file = write_dashboard("0.html", 0, 0);
    let dom = load(&file, "");
    assert!(dom.console.is_empty(), "console output: {:#?}", dom.console);
    assert_eq!(charts(&dom.html), 0);
    assert!(dom.html.contains("No results in this run."));
}

#[test]
fn screenshot_for_people() {
    let file = write_dashboard("screenshot.html", 12, 400);
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf();
    let shot = target.join("sloe-dashboard.png");
    let _ = std::fs::remove_file(&shot);
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(chromium())
        .args(base_args(profile.path()))
        .args([
            "--window-size=1280,1400",
            &format!("--screenshot={}", shot.display()),
        ])
        .arg(format!("file://{}#range=90", file.display()))
        .output()
        .expect("start chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "screenshot {} is {size} bytes",
        shot.display()
    );
}
