//! Against a real Prometheus (Debian's `prometheus` package): series are
//! backfilled with `promtool tsdb create-blocks-from openmetrics`, then a
//! server started on a free loopback port answers the queries. Skipped only
//! when `SLOE_SKIP` names `prometheus`.

use super::*;
use crate::testing::TestServer;

/// Two counters over two hours, one sample a minute: 1000 requests a
/// minute, 10 of them errors; so after m minutes, total = 1000 m and
/// good = 990 m.
fn series(start: i64) -> String {
    let mut out = String::from("# HELP http_requests Requests.\n# TYPE http_requests counter\n");
    for m in 0..=120i64 {
        let t = start + 60 * m;
        out.push_str(&format!(
            "http_requests_total{{code=\"200\"}} {} {t}\n",
            990 * m
        ));
        out.push_str(&format!(
            "http_requests_total{{code=\"500\"}} {} {t}\n",
            10 * m
        ));
    }
    out.push_str("# EOF\n");
    out
}

#[test]
fn reads_good_and_total_from_a_real_prometheus() {
    let start: Timestamp = "2026-11-20T10:00:00Z".parse().expect("ts");
    let Some(server) = TestServer::start(&series(start.as_second())) else {
        return;
    };
    let prom = Prometheus::new(&format!("{}/", server.base()));
    // At 11:00, 60 minutes in: total = 60,000, good = 59,400.
    let at: Timestamp = "2026-11-20T11:00:00Z".parse().expect("ts");
    let counts = prom
        .good_total(
            r#"sum(http_requests_total{code!~"5.."})"#,
            "sum(http_requests_total)",
            at,
        )
        .expect("query");
    assert_eq!(
        counts,
        GoodTotal {
            good: 59_400.0,
            total: 60_000.0
        }
    );
    // A window: the increase over [30m] ending at 11:00 is 30 minutes'
    // worth, exactly, when samples sit on the window's edges:
    // total 30,000, good 29,700.
    let window = prom
        .good_total(
            r#"sum(http_requests_total{code!~"5.."}) - sum(http_requests_total{code!~"5.."} offset 30m)"#,
            "sum(http_requests_total) - sum(http_requests_total offset 30m)",
            at,
        )
        .expect("query");
    assert_eq!((window.good, window.total), (29_700.0, 30_000.0));
    // No series: nothing counted.
    assert_eq!(prom.instant("sum(nothing_here)", at).expect("query"), 0.0);
    assert_eq!(prom.instant("vector(3)", at).expect("query"), 3.0);
    assert_eq!(prom.instant("scalar(vector(4))", at).expect("query"), 4.0);

    // A range query: the total at 10:10, 10:20, ... 11:00 is 1,000 a
    // minute so far; one step per 10 minutes, 6 values.
    let range = prom
        .range(
            "sum(http_requests_total)",
            "2026-11-20T10:10:00Z".parse().expect("ts"),
            at,
            jiff::SignedDuration::from_mins(10),
        )
        .expect("range query");
    let expected: Vec<(Timestamp, f64)> = (1..=6)
        .map(|k| {
            let t = start
                .checked_add(jiff::SignedDuration::from_mins(10 * k))
                .expect("ts");
            (t, 10_000.0 * k as f64)
        })
        .collect();
    assert_eq!(range, expected);
    // The same in pieces of 4 steps (two requests): the same values.
    let pieces = prom
        .range_in_pieces(
            "sum(http_requests_total)",
            "2026-11-20T10:10:00Z".parse().expect("ts"),
            at,
            jiff::SignedDuration::from_mins(10),
            4,
        )
        .expect("range query");
    assert_eq!(pieces, expected);
    // Before the series began: no values at all.
    let before = prom
        .range(
            "sum(http_requests_total)",
            "2026-11-19T10:00:00Z".parse().expect("ts"),
            "2026-11-19T11:00:00Z".parse().expect("ts"),
            jiff::SignedDuration::from_mins(10),
        )
        .expect("range query");
    assert!(before.is_empty(), "{before:?}");
}

#[test]
fn errors_name_the_url_and_prometheus_message() {
    let Some(server) = TestServer::start(&series(1_795_000_000)) else {
        return;
    };
    let prom = Prometheus::new(server.base());
    let at = Timestamp::from_second(1_795_000_600).expect("ts");
    let err = prom.instant("sum(rate(x[5m]", at).expect_err("bad query");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "query Prometheus at {}/api/v1/query: bad_data:",
            server.base()
        )),
        "{msg}"
    );
    assert!(msg.contains("parse error"), "{msg}");
    let err = prom
        .instant("http_requests_total", at)
        .expect_err("two series");
    assert!(err.to_string().contains("returned 2 series"), "{err}");
}

#[test]
fn an_unreachable_server_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let prom =
        Prometheus::with_timeout(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
    let err = prom
        .instant("up", Timestamp::UNIX_EPOCH)
        .expect_err("nothing listens");
    assert!(
        err.to_string().starts_with(&format!(
            "query Prometheus at http://127.0.0.1:{port}/api/v1/query: "
        )),
        "{err}"
    );
}
