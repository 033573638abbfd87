//! A real Prometheus (Debian's `prometheus` package) for tests, shared by
//! this crate's tests and the CLI's end-to-end tests (feature `testing`).
//! Series are backfilled with `promtool tsdb create-blocks-from
//! openmetrics`, then a server started on a free loopback port answers
//! queries. [`TestServer::start`] returns `None` (the test skips) only when
//! `SLOE_SKIP` names `prometheus`; when Prometheus is not installed it fails
//! the test and says how to install it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Prometheus server over backfilled series; killed when dropped.
#[derive(Debug)]
pub struct TestServer {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

use sloe_testkit::Need;

fn installed(bin: &str) -> bool {
    Command::new(bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl TestServer {
    /// Starts Prometheus on `openmetrics` (ending in `# EOF`) backfilled,
    /// or `None` when `SLOE_SKIP` names `prometheus`. Panics when anything
    /// fails on the way, Prometheus missing included: these are tests.
    pub fn start(openmetrics: &str) -> Option<TestServer> {
        if sloe_testkit::skip(Need::Prometheus) {
            return None;
        }
        for bin in ["prometheus", "promtool"] {
            if !installed(bin) {
                sloe_testkit::missing(Need::Prometheus, &format!("`{bin}` was not found on PATH"));
            }
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let input = dir.path().join("series.om");
        std::fs::write(&input, openmetrics).expect("write series");
        let out = Command::new("promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&input)
            .arg(&data)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 1m\n").expect("write config");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log")).expect("log file"))
            .spawn()
            .expect("start prometheus");
        let server = TestServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        wait_ready(&server.base, server.dir.path());
        Some(server)
    }

    /// The server's base URL, `http://127.0.0.1:<port>`.
    pub fn base(&self) -> &str {
        &self.base
    }
}

fn wait_ready(base: &str, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if ureq::get(&format!("{base}/-/ready")).call().is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "prometheus did not become ready: {}",
        std::fs::read_to_string(dir.join("log")).unwrap_or_default()
    );
}
