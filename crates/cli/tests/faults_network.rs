//! Fault injection on the network (issue 15, items 3 and 4): a TCP proxy
//! on loopback between `sloe` and PostgreSQL that freezes (stops
//! forwarding, keeps both sockets open, as a hung middlebox does: the
//! kernel still acknowledges) or cuts (closes both sides) a connection when
//! it sees a chosen message from sloe.
//!
//! - Frozen mid-transaction: sloe exits within `statement_timeout` plus
//!   the reply margin with a message naming the setting, nothing of the
//!   run is stored, and the server ended the idle transaction, so another
//!   writer of the same results is not blocked.
//! - Frozen before the connection is open: sloe exits within
//!   `connect_timeout`.
//! - Cut right after COMMIT is sent: sloe says the outcome is unknown
//!   (exit 75), and a retry records the run exactly once.
//!
//! Counts of tries: `SLOE_FAULT_TRIES` when set, otherwise a short default.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Output;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sloe_testkit::pg::Database;

mod common;

use common::Project;

/// What the proxy does when it sees `pattern` in what sloe sends (once per
/// proxy: later connections pass through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Forward the chunk holding the pattern, then forward nothing more
    /// either way, keeping both sockets open.
    Freeze,
    /// Forward the chunk holding the pattern, then close both sockets.
    Cut,
}

struct Proxy {
    addr: SocketAddr,
    fired: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Listens on 127.0.0.1 and forwards each connection to `upstream`.
    fn start(upstream: SocketAddr, pattern: &'static [u8], fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("nonblocking accept");
        let addr = listener.local_addr().expect("proxy address");
        let fired = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let (f, s, socks) = (fired.clone(), stop.clone(), sockets.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let Ok(server) = TcpStream::connect(upstream) else {
                            continue;
                        };
                        client
                            .set_nonblocking(false)
                            .expect("blocking client socket");
                        let keep = |t: &TcpStream| t.try_clone().expect("clone socket");
                        socks
                            .lock()
                            .expect("sockets")
                            .extend([keep(&client), keep(&server)]);
                        // Set once the fault fired on this connection: the
                        // other direction stops forwarding too.
                        let frozen = Arc::new(AtomicBool::new(false));
                        let (c2s_from, c2s_to) = (keep(&client), keep(&server));
                        let (fired, stop, fz) = (f.clone(), s.clone(), frozen.clone());
                        std::thread::spawn(move || {
                            forward(c2s_from, c2s_to, Some((pattern, fault, &fired)), &fz, &stop)
                        });
                        let stop = s.clone();
                        std::thread::spawn(move || forward(server, client, None, &frozen, &stop));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => return,
                }
            }
        });
        Proxy {
            addr,
            fired,
            stop,
            sockets,
        }
    }

    fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for s in self.sockets.lock().expect("sockets").iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Copies `from` to `to` until either closes; with a trigger, applies the
/// fault (once per proxy) when a chunk holds the pattern.
fn forward(
    mut from: TcpStream,
    mut to: TcpStream,
    trigger: Option<(&[u8], Fault, &AtomicBool)>,
    frozen: &AtomicBool,
    stop: &AtomicBool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    // The end of the previous chunk, so a pattern split across reads is seen.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            // Swallowed: nothing reaches the other side any more.
            continue;
        }
        let chunk = &buf[..n];
        if let Some((pattern, fault, fired)) = trigger {
            let mut seen = std::mem::take(&mut tail);
            seen.extend_from_slice(chunk);
            let hit = seen.windows(pattern.len()).any(|w| w == pattern);
            tail = seen[seen.len().saturating_sub(pattern.len())..].to_vec();
            if hit && !fired.swap(true, Ordering::SeqCst) {
                let _ = to.write_all(chunk);
                let _ = to.flush();
                match fault {
                    Fault::Freeze => {
                        frozen.store(true, Ordering::SeqCst);
                        // Keep both sockets open, reading nothing, until the
                        // test ends.
                        while !stop.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    Fault::Cut => {
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    }
                }
                return;
            }
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    if frozen.load(Ordering::SeqCst) {
        // A frozen middlebox passes no close either: the server ending
        // its session must not reach sloe.
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        return;
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// The test server's address, user and a URL for `db` through `addr`.
fn url_via(db: &Database, addr: SocketAddr) -> String {
    let config = postgres::Config::from_str(db.url()).expect("the database URL");
    format!(
        "postgres://{}@{addr}/{}?sslmode=disable",
        config.get_user().unwrap_or("postgres"),
        db.name()
    )
}

fn upstream(db: &Database) -> SocketAddr {
    let config = postgres::Config::from_str(db.url()).expect("the database URL");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .expect("resolve the test server")
        .next()
        .expect("an address")
}

fn tries(default: u32) -> u32 {
    std::env::var("SLOE_FAULT_TRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The short timeouts of these tests, and the reply margin sloe adds.
const STATEMENT_TIMEOUT_S: u64 = 2;
const REPLY_MARGIN_S: u64 = 2;
const CONNECT_TIMEOUT_S: u64 = 2;
/// What the machine may add to a bound: starting sloe, a busy CI host.
const SLACK: Duration = Duration::from_secs(3);

fn project(url: &str) -> Project {
    let p = Project::new(&format!(
        r#"
[store]
url = "{url}"
connect_timeout = "{CONNECT_TIMEOUT_S}s"
statement_timeout = "{STATEMENT_TIMEOUT_S}s"
lock_timeout = "1s"
idle_in_transaction_timeout = "1s"
"#
    ));
    p.write(
        "r.json",
        &serde_json::json!({
            "context": {"branch": "main", "commit": "0123456789abcdef0123456789abcdef01234567", "testbed": "tb"},
            "results": [{"benchmark": "parse", "measure": "wall_time", "unit": "ms", "values": [8.0, 8.1, 7.9]}],
        })
        .to_string(),
    );
    p
}

fn run(p: &Project, args: &[&str]) -> (i32, String, Duration) {
    let started = Instant::now();
    let out: Output = p
        .sloe()
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run sloe");
    let took = started.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text, took)
}

fn count(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).expect(sql).get(0)
}

/// Runs and series in the database, read directly.
fn stored(db: &Database) -> (i64, i64) {
    let mut c = db.client();
    (
        count(&mut c, "SELECT count(*) FROM runs"),
        count(&mut c, "SELECT count(*) FROM results"),
    )
}

/// Sessions on `db` other than this check's, in a transaction.
fn open_transactions(db: &Database) -> i64 {
    let mut c = db.client();
    c.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
         AND state LIKE 'idle in transaction%'",
        &[&db.name()],
    )
    .expect("pg_stat_activity")
    .get(0)
}

/// Creates sloe's tables directly, so the faults hit the run's writes.
fn migrate(p: &Project, db: &Database) {
    let (code, text, _) = run(p, &["--store", db.url(), "history"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_frozen_connection_mid_transaction_ends_within_the_timeout_and_blocks_no_one() {
    for attempt in 0..tries(1) {
        let Some(db) = Database::fresh("sloe_fault_freeze") else {
            return;
        };
        // Frozen once the run's row is inserted and the digest's advisory
        // lock is held: the next statement never reaches the server, the
        // server's answers never reach sloe.
        let proxy = Proxy::start(upstream(&db), b"UPDATE runs SET digest", Fault::Freeze);
        let p = project(&url_via(&db, proxy.addr));
        migrate(&p, &db);

        let (code, text, took) = run(&p, &["ingest", "r.json"]);
        eprintln!("frozen mid-transaction, try {attempt}: exit {code} after {took:?}: {text}");
        assert!(
            proxy.fired(),
            "try {attempt}: the proxy never froze: {text}"
        );
        let bound = Duration::from_secs(STATEMENT_TIMEOUT_S + REPLY_MARGIN_S) + SLACK;
        assert!(
            took <= bound,
            "try {attempt}: sloe took {took:?}, more than {bound:?}: {text}"
        );
        assert_eq!(code, 2, "try {attempt}: {text}");
        assert!(
            text.contains(&format!(
                "no reply within {}s",
                STATEMENT_TIMEOUT_S + REPLY_MARGIN_S
            )) && text.contains(&format!(
                "statement_timeout = \"{STATEMENT_TIMEOUT_S}s\" in [store]"
            )),
            "try {attempt}: the message names the wait and the setting: {text}"
        );

        // The server ended the idle transaction (idle_in_transaction_timeout
        // = 1s, well within sloe's wait): nothing partial is stored and no
        // session holds a lock.
        assert_eq!(stored(&db), (0, 0), "try {attempt}: nothing partial");
        assert_eq!(open_transactions(&db), 0, "try {attempt}");

        // Another writer of the same results (same digest, so the same
        // advisory lock) is not blocked: it records at once.
        let (code, text, took) = run(&p, &["--store", db.url(), "ingest", "r.json"]);
        assert_eq!(code, 0, "try {attempt}: {text}");
        assert!(
            took < Duration::from_secs(1) + SLACK,
            "try {attempt}: {took:?}"
        );
        assert_eq!(stored(&db), (1, 1), "try {attempt}");
        drop(proxy);
    }
}

#[test]
fn a_connection_frozen_before_it_opens_ends_within_the_connect_timeout() {
    let Some(db) = Database::fresh("sloe_fault_connect") else {
        return;
    };
    // The first bytes sloe sends are the startup message: the server's
    // answer never comes back.
    let proxy = Proxy::start(upstream(&db), b"user", Fault::Freeze);
    let p = project(&url_via(&db, proxy.addr));
    let (code, text, took) = run(&p, &["history"]);
    eprintln!("frozen before the connection opened: exit {code} after {took:?}: {text}");
    assert!(proxy.fired(), "{text}");
    assert_eq!(code, 2, "{text}");
    assert!(
        took <= Duration::from_secs(CONNECT_TIMEOUT_S) + SLACK,
        "sloe took {took:?}: {text}"
    );
    assert!(
        text.contains(&format!(
            "no answer within {CONNECT_TIMEOUT_S}s (connect_timeout in [store]"
        )),
        "{text}"
    );
}

#[test]
fn a_connection_cut_after_commit_says_the_outcome_is_unknown_and_a_retry_records_once() {
    let mut committed = 0;
    let attempts = tries(3);
    for attempt in 0..attempts {
        let Some(db) = Database::fresh("sloe_fault_cut") else {
            return;
        };
        let proxy = Proxy::start(upstream(&db), b"COMMIT\0", Fault::Cut);
        let p = project(&url_via(&db, proxy.addr));
        migrate(&p, &db);

        let (code, text, _) = run(&p, &["ingest", "r.json"]);
        eprintln!("cut after COMMIT, try {attempt}: exit {code}: {text}");
        assert!(proxy.fired(), "try {attempt}: {text}");
        assert_eq!(code, 75, "try {attempt}: {text}");
        assert!(
            text.contains("the connection failed after COMMIT was sent")
                && text.contains("whether it was recorded is unknown")
                && text.contains("the retry is safe"),
            "try {attempt}: {text}"
        );
        // The server got COMMIT before the connection closed: whether it
        // committed is what the client cannot know; the database says.
        let (runs, _) = stored(&db);
        assert!(runs <= 1, "try {attempt}: {runs} runs");
        committed += runs;

        // The retry (through the proxy, which passes later connections)
        // recognises the run, or records it once when it was not committed.
        let (code, text, _) = run(&p, &["ingest", "r.json"]);
        assert_eq!(code, 0, "try {attempt}: {text}");
        if runs == 1 {
            assert!(
                text.contains("already recorded as run"),
                "try {attempt}: {text}"
            );
        }
        assert_eq!(stored(&db), (1, 1), "try {attempt}: recorded exactly once");
        drop(proxy);
    }
    eprintln!("cut after COMMIT: {attempts} tries, the server had committed in {committed}");
}

/// The same for SLI events: `sloe slo ingest` cut after its COMMIT says
/// the outcome is unknown and that the retry is safe, and the retry counts
/// every event exactly once (events are de-duplicated by their content).
#[test]
fn events_cut_after_commit_say_the_outcome_is_unknown_and_a_retry_counts_once() {
    let attempts = tries(2);
    let mut committed = 0;
    for attempt in 0..attempts {
        let Some(db) = Database::fresh("sloe_fault_cut_events") else {
            return;
        };
        let proxy = Proxy::start(upstream(&db), b"COMMIT\0", Fault::Cut);
        let p = project(&url_via(&db, proxy.addr));
        migrate(&p, &db);
        let lines: String = (0..30)
            .map(|m| {
                format!(
                    "{{\"stream\":\"api\",\"ts\":\"2026-11-20T10:{m:02}:00Z\",\"good\":{},\"total\":100}}\n",
                    90 + m % 10
                )
            })
            .collect();
        p.write("e.jsonl", &lines);
        let want: (i64, i64) = ((0..30).map(|m| 90 + m % 10).sum(), 3000);
        let totals = |db: &Database| -> (i64, i64) {
            let row = db
                .client()
                .query_one(
                    "SELECT COALESCE(sum(good), 0)::bigint, COALESCE(sum(total), 0)::bigint FROM event_buckets",
                    &[],
                )
                .expect("sum the buckets");
            (row.get(0), row.get(1))
        };
        let args = [
            "slo",
            "ingest",
            "--keep-minute-buckets-days",
            "0",
            "e.jsonl",
        ];

        let (code, text, _) = run(&p, &args);
        eprintln!("events cut after COMMIT, try {attempt}: exit {code}: {text}");
        assert!(proxy.fired(), "try {attempt}: {text}");
        assert_eq!(code, 75, "try {attempt}: {text}");
        assert!(
            text.contains("record SLI events")
                && text.contains("whether it was recorded is unknown")
                && text.contains("events already recorded are skipped"),
            "try {attempt}: {text}"
        );
        let after_cut = totals(&db);
        assert!(
            after_cut == (0, 0) || after_cut == want,
            "try {attempt}: all or nothing, found {after_cut:?}"
        );
        committed += u32::from(after_cut == want);

        let (code, text, _) = run(&p, &args);
        assert_eq!(code, 0, "try {attempt}: {text}");
        assert_eq!(totals(&db), want, "try {attempt}: counted exactly once");
        drop(proxy);
    }
    eprintln!("events cut after COMMIT: {attempts} tries, the server had committed in {committed}");
}
