//! The dashboard in a real browser: headless Chromium (Debian's `chromium`
//! package; `.ci/run` installs it) loads the file, runs its script, and we
//! read the live DOM back. No console output is allowed, every result gets
//! one rendered chart, and the 7/30/90-day range changes what is plotted.
//! A screenshot is written to `target/sloe-dashboard.png` for people.
//! Without Chromium and ChromeDriver these tests fail, unless `SLOE_SKIP`
//! names `browser`.

use std::path::{Path, PathBuf};
use std::process::Command;

use sloe_report::html;
use sloe_testkit::Need;

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
    sloe_testkit::missing(
        Need::Browser,
        "no Chromium at /usr/bin/chromium, chromium-browser or google-chrome",
    );
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

fn timelines(dom: &str) -> usize {
    dom.matches("<svg class=\"timeline\"").count()
}

/// Points plotted in the trend charts (`data-points` of each).
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
    if sloe_testkit::skip(Need::Browser) {
        return;
    }
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
    // the synthetic run sampled its first three benchmarks
    assert_eq!(timelines(&week.html), 3);
    assert!(week.html.contains("CPU burst "), "timeline summary missing");
}

#[test]
fn one_benchmark() {
    if sloe_testkit::skip(Need::Browser) {
        return;
    }
    let file = write_dashboard("1.html", 1, 30);
    let dom = load(&file, "range=30");
    assert!(dom.console.is_empty(), "console output: {:#?}", dom.console);
    assert_eq!(charts(&dom.html), 1);
    assert!(plotted_points(&dom.html) > 0);
    assert_eq!(timelines(&dom.html), 1);
}

#[test]
fn inconclusive_is_amber_with_its_card_and_unmatched_budgets_are_listed() {
    use sloe_core::budget::{Severity, Status};
    use sloe_core::regression::Regression;
    use sloe_core::report::{Finding, FindingKind, OverallStatus};

    if sloe_testkit::skip(Need::Browser) {
        return;
    }
    let (mut report, history) = html::synthetic(1, 30);
    let r = &mut report.results[0];
    (r.status, r.regression, r.blocking) = (Status::Pass, Regression::Inconclusive, false);
    report.summary.status = OverallStatus::Warning;
    report.summary.inconclusive = 1;
    report.violations = vec![Finding {
        benchmark: "*".into(),
        measure: "wal_time".into(),
        kind: FindingKind::UnmatchedBudget,
        severity: Severity::Warning,
        message: "budget 2 (benchmark `*`, measure `wal_time`) matches nothing in this run: no series has measure `wal_time` (did you mean `wall_time`?)".into(),
        blocking: false,
    }];
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboards");
    std::fs::create_dir_all(&dir).expect("create dir");
    let file = dir.join("inconclusive.html");
    std::fs::write(&file, html::render(&report, &history, Some("browser test")))
        .expect("write html");
    let dom = load(&file, "range=30");
    assert!(dom.console.is_empty(), "console output: {:#?}", dom.console);
    assert!(
        dom.html
            .contains("<div class=\"card warn\"><b>1</b>inconclusive</div>"),
        "{}",
        dom.html
    );
    assert!(
        dom.html
            .contains("<span class=\"badge warn\">pass, inconclusive</span>"),
        "{}",
        dom.html
    );
    assert!(
        dom.html.contains("did you mean `wall_time`?"),
        "{}",
        dom.html
    );
    assert!(
        !dom.html
            .contains("<ul class=\"unmatched\" id=\"unmatched\" hidden"),
        "the unmatched list is shown"
    );
    // Only the warnings filter shows it, never the passing one.
    assert_eq!(charts(&load(&file, "range=30&filter=warn").html), 1);
    assert_eq!(charts(&load(&file, "range=30&filter=ok").html), 0);
}

#[test]
fn no_benchmarks() {
    if sloe_testkit::skip(Need::Browser) {
        return;
    }
    let file = write_dashboard("0.html", 0, 0);
    let dom = load(&file, "");
    assert!(dom.console.is_empty(), "console output: {:#?}", dom.console);
    assert_eq!(charts(&dom.html), 0);
    assert!(dom.html.contains("No results in this run."));
    assert_eq!(timelines(&dom.html), 0);
    assert!(
        dom.html
            .contains("<section id=\"timelines-section\" hidden")
    );
}

#[test]
fn screenshot_for_people() {
    if sloe_testkit::skip(Need::Browser) {
        return;
    }
    let file = write_dashboard("screenshot.html", 12, 400);
    screenshot(&file, "sloe-dashboard.png", "1280,1400", "range=90");
}

/// Series from 20 ns to 2 s: each chart reads in its own unit, a budget
/// far above its series is a marker at the edge rather than a line that
/// flattens it, level shifts are marked, and the axes are labelled. The
/// screenshot `target/sloe-dashboard-units.png` is for people to look at.
#[test]
fn charts_read_in_their_own_units_and_keep_far_budgets_at_the_edge() {
    if sloe_testkit::skip(Need::Browser) {
        return;
    }
    let (report, history) = html::synthetic_spanning(200);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboards");
    std::fs::create_dir_all(&dir).expect("create dir");
    let file = dir.join("units.html");
    std::fs::write(&file, html::render(&report, &history, Some("units"))).expect("write html");
    let dom = load(&file, "range=90&sort=name");
    assert!(dom.console.is_empty(), "console output: {:#?}", dom.console);
    assert_eq!(charts(&dom.html), 5);
    // Charts sorted by name: build, encode, hash, parse-tiny, transpile.
    let svgs: Vec<&str> = dom
        .html
        .split("<svg class=\"trend\"")
        .skip(1)
        .map(|s| s.split("</svg>").next().unwrap_or(""))
        .collect();
    let attr = |svg: &str, name: &str| {
        svg.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("")
            .to_owned()
    };
    let unit = |svg: &str| {
        svg.split("class=\"yunit\"")
            .nth(1)
            .and_then(|rest| rest.split('>').nth(1))
            .and_then(|rest| rest.split('<').next())
            .unwrap_or("")
            .to_owned()
    };
    let units: Vec<String> = svgs.iter().map(|s| unit(s)).collect();
    assert_eq!(units, ["s", "MB/s", "ns", "µs", "ms"]);
    let limits: Vec<String> = svgs.iter().map(|s| attr(s, "data-limit")).collect();
    assert_eq!(limits, ["line", "none", "line", "above", "line"]);
    assert!(
        svgs[3].contains("budget 1.1 s above"),
        "no edge marker for the far budget: {}",
        svgs[3]
    );
    // The synthetic hash series shifts once, two thirds in.
    assert_eq!(attr(svgs[2], "data-shifts"), "1");
    assert!(svgs[2].contains("level shift at run "), "{}", svgs[2]);
    for svg in &svgs {
        assert!(
            svg.matches("class=\"xtick\"").count() >= 2,
            "time axis: {svg}"
        );
        assert!(
            svg.matches("class=\"ytick\"").count() >= 2,
            "value axis: {svg}"
        );
    }

    screenshot(
        &file,
        "sloe-dashboard-units.png",
        "1280,900",
        "range=90&sort=name",
    );
}

/// A minimal W3C WebDriver client over chromedriver, for a real click.
struct Driver {
    child: std::process::Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                sloe_testkit::missing(Need::Browser, &format!("failed to start chromedriver: {e}"))
            });
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = base_args(profile.path());
        args.retain(|a| !a.starts_with("--virtual-time-budget"));
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium(), "args": args},
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let mut session = None;
        for _ in 0..100 {
            match ureq::post(&format!("{base}/session")).send_json(caps.clone()) {
                Ok(resp) => {
                    let v: serde_json::Value = resp.into_json().expect("json");
                    session = v["value"]["sessionId"].as_str().map(str::to_owned);
                    break;
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
        let session = session.expect("a WebDriver session");
        Driver {
            child,
            base,
            session,
            _profile: profile,
        }
    }

    fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        match ureq::post(&url).send_json(body) {
            Ok(r) => r.into_json::<serde_json::Value>().expect("json")["value"].clone(),
            Err(ureq::Error::Status(code, r)) => panic!(
                "{path}: HTTP {code}: {}",
                r.into_string().unwrap_or_default()
            ),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    fn script(&self, source: &str) -> serde_json::Value {
        self.post(
            "execute/sync",
            serde_json::json!({"script": source, "args": []}),
        )
    }

    fn click(&self, css: &str) {
        let el = self.post(
            "element",
            serde_json::json!({"using": "css selector", "value": css}),
        );
        let id = el
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .expect("element id")
            .to_owned();
        self.post(&format!("element/{id}/click"), serde_json::json!({}));
    }

    fn console(&self) -> Vec<String> {
        let url = format!("{}/session/{}/se/log", self.base, self.session);
        let v: serde_json::Value = ureq::post(&url)
            .send_json(serde_json::json!({"type": "browser"}))
            .expect("browser log")
            .into_json()
            .expect("json");
        v["value"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["message"].to_string())
            .collect()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn clicking_the_range_toggle_changes_the_plotted_points() {
    if sloe_testkit::skip(Need::Browser) {
        return;
    }
    let file = write_dashboard("click.html", 20, 400);
    let driver = Driver::start();
    driver.post(
        "url",
        serde_json::json!({"url": format!("file://{}", file.display())}),
    );
    let points = || -> u64 {
        driver
            .script("return Array.from(document.querySelectorAll('svg.trend')).reduce((n, s) => n + (+s.getAttribute('data-points')), 0)")
            .as_u64()
            .expect("a count")
    };
    assert_eq!(
        driver.script("return document.querySelectorAll('svg.trend').length"),
        20
    );
    let default_30 = points();
    driver.click("button[data-range='7']");
    let week = points();
    driver.click("button[data-range='90']");
    let quarter = points();
    assert!(
        week < default_30 && default_30 < quarter,
        "7d {week}, 30d {default_30}, 90d {quarter}"
    );
    assert_eq!(
        driver.script("return location.hash"),
        "#range=90&filter=all&sort=status"
    );
    // filtering by name through the search box
    driver.script("var q = document.getElementById('q'); q.value = 'bench-01'; q.dispatchEvent(new Event('input'));");
    assert_eq!(
        driver.script("return document.querySelectorAll('svg.trend').length"),
        10
    );
    let console = driver.console();
    assert!(console.is_empty(), "console output: {console:#?}");
}

/// Takes a screenshot of the dashboard `file` (opened at `#fragment`) into
/// `target/<name>`, for a person to look at.
fn screenshot(file: &Path, name: &str, window: &str, fragment: &str) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf();
    let shot = target.join(name);
    let _ = std::fs::remove_file(&shot);
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(chromium())
        .args(base_args(profile.path()))
        .args([
            &format!("--window-size={window}"),
            &format!("--screenshot={}", shot.display()),
        ])
        .arg(format!("file://{}#{fragment}", file.display()))
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

#[test]
fn branch_runs_are_points_of_their_own_beside_the_base_branch_line() {
    if sloe_testkit::skip(Need::Browser) {
        return;
    }
    let (report, history) = html::synthetic(1, 30);
    // The synthetic history's `feature` runs with a value, by position.
    let branch_points = history
        .runs
        .iter()
        .zip(&history.series[0].values)
        .filter(|(r, v)| r.branch.as_deref() == Some("feature") && v.is_some())
        .count();
    let base_points = history.series[0].values.iter().flatten().count() - branch_points;
    assert!(branch_points > 0 && base_points > 0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboards");
    std::fs::create_dir_all(&dir).expect("create dir");
    let file = dir.join("branch-runs.html");
    std::fs::write(&file, html::render(&report, &history, Some("branch runs")))
        .expect("write html");
    let dom = load(&file, "range=90");
    assert!(dom.console.is_empty(), "console output: {:#?}", dom.console);
    let html = &dom.html;
    assert!(html.contains("◇ branch runs"), "legend");
    assert!(
        html.contains(&format!("data-branch-points=\"{branch_points}\"")),
        "{branch_points} branch points"
    );
    assert_eq!(html.matches("<path class=\"br\"").count(), branch_points);
    // The line joins the base branch's runs only.
    let line = html
        .split("<polyline class=\"line\" points=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a line");
    assert_eq!(line.split(' ').count(), base_points);
}
