//! The shared store: a PostgreSQL database that many CI runners and
//! `sloe serve` replicas write to at once.
//!
//! A pool of connections serves the threads of one process (a server's
//! requests): opened as calls need them, at most `pool_size` (from the URL,
//! default [`DEFAULT_POOL_SIZE`]); each prepares its statements once. TLS is
//! what the URL's `sslmode` asks, as libpq reads it: `disable`, `prefer`
//! (the default: encrypted when the server offers it), `require` (encrypted,
//! certificate unchecked), `verify-ca` and `verify-full` (checked against
//! the system's roots or `sslrootcert`). The driver blocks on a tokio
//! runtime of its own, so every call, and closing, runs through
//! [`off_runtime`]. Writes are single transactions; the server's
//! `synchronous_commit` (on by default) makes a commit durable before it
//! returns. Migrations run under a transaction-level advisory lock, so
//! concurrent first opens apply each migration once.
//!
//! Many writers at once (CI runners ingesting in parallel) never deadlock
//! each other by design, and what the server still aborts is re-run:
//!
//! - SLI event writes and compaction are ordered by one transaction-level
//!   advisory lock per schema: `add_events` holds it shared (ingests run
//!   side by side, each upserting its buckets in one sorted order, so their
//!   row locks never cross), compaction holds it exclusive (it waits for the
//!   ingests in flight and runs alone, so no ingest holds a row it deletes
//!   or rewrites, whatever the order). A second advisory lock lets one
//!   compaction run at a time: one that finds another running skips, as
//!   that one does the work (what it cannot see yet, the next one does).
//! - Every write method re-runs its whole transaction when the server
//!   aborted it as a deadlock victim or a serialization failure (SQLSTATE
//!   40P01, 40001), up to [`WRITE_ATTEMPTS`] times with jittered,
//!   doubling back-off. Such an abort rolled everything back, so a re-run
//!   never counts anything twice.
//!
//! No wait is unbounded ([`PostgresTimeouts`], `[store]` in the config):
//! opening a connection gives up after `connect`; each session sets the
//! server's `statement_timeout`, `lock_timeout` and
//! `idle_in_transaction_session_timeout` (so a session whose client stalled
//! is ended and its locks released); TCP keepalives and `tcp_user_timeout`
//! drop a dead peer; and, since a frozen peer still acknowledges, the
//! client ([`crate::pg_client`]) waits at most `statement` plus
//! [`REPLY_MARGIN`] for any reply, then closes the connection
//! ([`StoreError::Stalled`]). A COMMIT without an answer leaves the outcome
//! unknown ([`StoreError::OutcomeUnknown`]).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Row, Statement};
use r2d2::{ManageConnection, Pool, PooledConnection};
use sloe_core::model::{NewRun, Run, RunHeader, RunId, Series, SeriesKey, Timeline};
use sloe_core::slo::EventBucket;
use tokio_postgres::Config;
use tokio_postgres::config::Host;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::blocking::off_runtime;
use crate::codec::{self, RawHeader, clamp_ns, saturating_i64};
use crate::error::{Cause, Fail, IntoCause, PostgresCause};
use crate::migrations::{self, LATEST_SCHEMA_VERSION};
use crate::pg_client::{Client, ConnectError, Transaction};
use crate::postgres_url;
use crate::tls;
use crate::{
    COMPACTED_BUCKET, EventInputBatch, EventInputsAdded, EventsAdded, RunInsert, RunQuery, Store,
    StoreError,
};

type Result<T, E = Fail<postgres::Error>> = std::result::Result<T, E>;

/// How much longer than `statement_timeout` sloe waits for a reply before
/// it gives up on the connection: the server's own timeout error should
/// come first, over a slow network too.
pub const REPLY_MARGIN: Duration = Duration::from_secs(2);

/// The timeouts of every PostgreSQL connection (`[store]` in the config);
/// `None` is no limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresTimeouts {
    /// Opening a connection: TCP connect, TLS and authentication.
    pub connect: Option<Duration>,
    /// The server's `statement_timeout`; sloe waits this plus
    /// [`REPLY_MARGIN`] for any reply.
    pub statement: Option<Duration>,
    /// The server's `lock_timeout`.
    pub lock: Option<Duration>,
    /// The server's `idle_in_transaction_session_timeout`.
    pub idle_in_transaction: Option<Duration>,
    /// `tcp_user_timeout`, and the scale of the keepalive probes.
    pub network: Option<Duration>,
}

impl Default for PostgresTimeouts {
    /// The defaults of `[store]`.
    fn default() -> Self {
        PostgresTimeouts {
            connect: Some(Duration::from_secs(10)),
            statement: Some(Duration::from_secs(60)),
            lock: Some(Duration::from_secs(30)),
            idle_in_transaction: Some(Duration::from_secs(30)),
            network: Some(Duration::from_secs(30)),
        }
    }
}

impl PostgresTimeouts {
    /// The longest sloe waits for one reply.
    fn reply(&self) -> Option<Duration> {
        self.statement.map(|s| s + REPLY_MARGIN)
    }

    /// The session settings that make the server enforce them.
    fn session_settings(&self) -> String {
        let ms = |d: Option<Duration>| d.map_or(0, |d| d.as_millis().clamp(1, i32::MAX as u128));
        format!(
            "SET statement_timeout = {}; SET lock_timeout = {}; SET idle_in_transaction_session_timeout = {}",
            ms(self.statement),
            ms(self.lock),
            ms(self.idle_in_transaction)
        )
    }

    /// Keepalives and `tcp_user_timeout` on `config`.
    fn apply_network(&self, config: &mut Config) {
        config.keepalives(true);
        if let Some(network) = self.network {
            // An idle connection is probed after a third of the timeout and
            // dropped after three unanswered probes.
            let probe = (network / 3).max(Duration::from_secs(1));
            config.keepalives_idle(probe);
            config.keepalives_interval(probe / 3);
            config.keepalives_retries(3);
            config.tcp_user_timeout(network);
        }
    }
}

/// A length of time as a config file writes it: `30s`, `1500ms`.
pub(crate) fn written(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The most connections a store opens unless its URL says `pool_size`:
/// r2d2's default, ample for a server on a small database host.
pub const DEFAULT_POOL_SIZE: u32 = 10;

/// A connection idle longer than this is pinged before use: the driver
/// notices a connection the server closed (a restart, an idle timeout) only
/// when a query fails, and one just used is very likely still open.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(5);

/// How many times a write transaction runs when the server keeps aborting
/// it as a deadlock victim or a serialization failure.
const WRITE_ATTEMPTS: u32 = 8;

/// The back-off before the second attempt; it doubles per attempt up to
/// [`RETRY_BACKOFF_MAX`], and each wait is drawn from its upper half, so
/// writers that collided do not collide again in step.
const RETRY_BACKOFF_FIRST: Duration = Duration::from_millis(10);
const RETRY_BACKOFF_MAX: Duration = Duration::from_millis(640);

/// The first key of the advisory locks on SLI event buckets ("slev" in
/// ASCII); the second is the hash of the schema and the lock's name, so
/// stores in different schemas of one database do not wait for each other.
const EVENT_LOCK_SPACE: i32 = 0x736c_6576;

/// Held shared by `add_events`, exclusive by compaction.
const BUCKETS_LOCK: &str =
    "SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema() || ' event_buckets'))";
const BUCKETS_LOCK_EXCLUSIVE: &str =
    "SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || ' event_buckets'))";
/// Taken (or not) by compaction only: false when another compaction runs.
const COMPACTION_LOCK: &str =
    "SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema() || ' compaction'))";

const HEADER_COLUMNS: &str = "id, commit_id, branch, testbed, environment, timestamp_ns, recorded_at_ns, ci::text, fingerprint::text";

/// Runs kept in a PostgreSQL database, optionally in a schema of their own.
pub struct PostgresStore {
    /// `None` only once [`Drop`] has taken it.
    pool: Option<Pool<Manager>>,
    described: String,
    timeouts: PostgresTimeouts,
}

struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
    /// When a call last finished with it.
    used: Instant,
}

impl Connection {
    /// The statement for `sql`, prepared on first use.
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// Opens the pool's connections.
struct Manager {
    config: Config,
    timeouts: PostgresTimeouts,
    tls: MakeRustlsConnect,
    schema: Option<String>,
    /// The connection opened to migrate, handed out as the pool's first: a
    /// short-lived process connects once.
    spare: Mutex<Option<Connection>>,
}

impl ManageConnection for Manager {
    type Connection = Connection;
    type Error = ConnectCause;

    fn connect(&self) -> Result<Connection, ConnectCause> {
        let spare = self
            .spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match spare {
            Some(conn) => Ok(conn),
            None => open_connection(
                &self.config,
                &self.tls,
                self.schema.as_deref(),
                &self.timeouts,
            ),
        }
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), ConnectCause> {
        if conn.used.elapsed() < IDLE_BEFORE_PING {
            return Ok(());
        }
        conn.client
            .simple_query("")
            .map(drop)
            .map_err(|e| ConnectCause::Db(PostgresCause(e)))
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.client.is_closed()
    }
}

/// Why a connection could not be opened, in words.
#[derive(Debug)]
enum ConnectCause {
    Db(PostgresCause),
    TimedOut(Duration),
    Runtime(std::io::Error),
}

impl std::fmt::Display for ConnectCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectCause::Db(e) => e.fmt(f),
            ConnectCause::TimedOut(limit) => write!(
                f,
                "no answer within {} (connect_timeout in [store]; raise it if the server is this slow to accept)",
                written(*limit)
            ),
            ConnectCause::Runtime(e) => write!(f, "start the connection's runtime: {e}"),
        }
    }
}

impl std::error::Error for ConnectCause {}

fn open_connection(
    config: &Config,
    tls: &MakeRustlsConnect,
    schema: Option<&str>,
    timeouts: &PostgresTimeouts,
) -> Result<Connection, ConnectCause> {
    let mut client = Client::connect(config, tls.clone(), timeouts.connect, timeouts.reply())
        .map_err(|e| match e {
            ConnectError::Db(e) => ConnectCause::Db(PostgresCause(e)),
            ConnectError::TimedOut(limit) => ConnectCause::TimedOut(limit),
            ConnectError::Runtime(e) => ConnectCause::Runtime(e),
        })?;
    // The session keeps these: the server bounds every statement, lock wait
    // and idle transaction, and tables are created and found in `schema`.
    let mut settings = timeouts.session_settings();
    if let Some(schema) = schema {
        settings.push_str(&format!("; SET search_path TO {}", quote_ident(schema)));
    }
    client
        .batch_execute(&settings)
        .map_err(|e| match client.stalled() {
            Some(waited) => ConnectCause::TimedOut(waited),
            None => ConnectCause::Db(PostgresCause(e)),
        })?;
    Ok(Connection {
        client,
        statements: HashMap::new(),
        used: Instant::now(),
    })
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("store", &self.described)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing a connection blocks on the driver's runtime, which panics
        // where the last handle may go: in a task on a tokio worker.
        if let Some(pool) = self.pool.take() {
            off_runtime(move || drop(pool));
        }
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db?...`, or libpq's
    /// `key=value` form) and brings the schema up to date.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_in(url, None, &PostgresTimeouts::default())
    }

    /// Like [`PostgresStore::connect`], with `timeouts` (`[store]`) on
    /// every connection.
    pub fn connect_with(
        url: &str,
        timeouts: &PostgresTimeouts,
    ) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_in(url, None, timeouts)
    }

    /// Like [`PostgresStore::connect`], keeping every table in `schema`
    /// (created if missing): several sloe projects, or tests, can share one
    /// database without seeing each other's runs.
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_in(url, Some(schema), &PostgresTimeouts::default())
    }

    fn connect_in(
        url: &str,
        schema: Option<&str>,
        timeouts: &PostgresTimeouts,
    ) -> Result<PostgresStore, StoreError> {
        off_runtime(|| PostgresStore::connect_here(url, schema, timeouts))
    }

    fn connect_here(
        url: &str,
        schema: Option<&str>,
        timeouts: &PostgresTimeouts,
    ) -> Result<PostgresStore, StoreError> {
        let bad_url = |reason: String| StoreError::BadUrl {
            url: redact(url),
            reason,
        };
        let options = postgres_url::split(url).map_err(bad_url)?;
        let mut config =
            Config::from_str(&options.driver_url).map_err(|e| bad_url(e.to_string()))?;
        if let Some(connect) = timeouts.connect {
            // Each host's TCP connect; the whole opening is bounded too.
            config.connect_timeout(connect);
        }
        timeouts.apply_network(&mut config);
        if config.get_application_name().is_none() {
            config.application_name("sloe");
        }
        let mut described = describe(&config);
        if let Some(schema) = schema {
            described.push_str(&format!(" (schema {schema})"));
        }
        let connect_err = |cause: Cause| StoreError::ConnectPostgres {
            store: described.clone(),
            cause,
        };
        let tls = tls::connector(options.verify, options.root_cert.as_deref())
            .map_err(|e| connect_err(e.into()))?;
        let mut conn = open_connection(&config, &tls, schema, timeouts)
            .map_err(|e| connect_err(Box::new(e)))?;
        migrate(&mut conn, schema, &described).map_err(|e| {
            let e = explain_stall(e, conn.client.stalled(), timeouts);
            match e {
                Fail::Store(e) => e,
                other => other.into_store("set up", &described),
            }
        })?;
        let manager = Manager {
            config,
            timeouts: timeouts.clone(),
            tls,
            schema: schema.map(str::to_owned),
            spare: Mutex::new(Some(conn)),
        };
        let pool = Pool::builder()
            .max_size(options.pool_size.unwrap_or(DEFAULT_POOL_SIZE))
            // Opened as calls need them, none up front: the CLI makes one
            // call at a time and should connect once.
            .min_idle(Some(0))
            // r2d2 needs a bound; the connection's own comes first.
            .connection_timeout(
                timeouts
                    .connect
                    .map_or(Duration::from_secs(3600), |c| c + REPLY_MARGIN),
            )
            .build_unchecked(manager);
        Ok(PostgresStore {
            pool: Some(pool),
            described,
            timeouts: timeouts.clone(),
        })
    }

    /// Runs `f` on a pooled connection, off the caller's runtime.
    fn on_connection<T: Send>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send,
    ) -> Result<T> {
        off_runtime(|| {
            let mut conn = self.checkout()?;
            let out =
                f(&mut conn).map_err(|e| explain_stall(e, conn.client.stalled(), &self.timeouts));
            conn.used = Instant::now();
            // Dropped here, off the runtime: a broken connection is closed
            // on its way back to the pool.
            drop(conn);
            out
        })
    }

    fn checkout(&self) -> Result<PooledConnection<Manager>> {
        let pool = self
            .pool
            .as_ref()
            .expect("the pool is taken only when the store is dropped");
        pool.get().map_err(|e| {
            Fail::Store(StoreError::ConnectPostgres {
                store: self.described.clone(),
                cause: Box::new(e),
            })
        })
    }

    fn with<T: Send>(
        &self,
        action: impl std::fmt::Display,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send,
    ) -> Result<T, StoreError> {
        self.on_connection(f)
            .map_err(|e| e.into_store(action, &self.described))
    }

    /// Runs the write transaction `f` on a pooled connection, off the
    /// caller's runtime, and runs it again (after a jittered back-off,
    /// without holding a connection) while the server aborts it as a
    /// deadlock victim or a serialization failure, up to [`WRITE_ATTEMPTS`]
    /// times in all. `f` must do all its writing in one transaction that it
    /// commits last: an abort rolled the attempt back entirely.
    fn retrying<T: Send>(
        &self,
        f: impl Fn(&mut Connection) -> Result<T> + Send + Sync,
    ) -> Result<T> {
        off_runtime(|| {
            let mut attempt = 1;
            loop {
                let out = (|| {
                    let mut conn = self.checkout()?;
                    // A stall or a server timeout is named as in
                    // `on_connection` (neither is retried).
                    let out = f(&mut conn)
                        .map_err(|e| explain_stall(e, conn.client.stalled(), &self.timeouts));
                    conn.used = Instant::now();
                    drop(conn);
                    out
                })();
                match out {
                    Err(e) if attempt < WRITE_ATTEMPTS && is_retryable(&e) => {
                        std::thread::sleep(retry_backoff(attempt));
                        attempt += 1;
                    }
                    out => return out,
                }
            }
        })
    }

    /// [`PostgresStore::retrying`], its error named by `action`.
    fn write<T: Send>(
        &self,
        action: impl std::fmt::Display,
        f: impl Fn(&mut Connection) -> Result<T> + Send + Sync,
    ) -> Result<T, StoreError> {
        self.retrying(f)
            .map_err(|e| e.into_store(action, &self.described))
    }
}

/// Whether the server aborted (and rolled back) the transaction so that
/// running it again may succeed: a deadlock victim (40P01) or a
/// serialization failure (40001).
fn is_retryable(e: &Fail<postgres::Error>) -> bool {
    match e {
        Fail::Db(e) => matches!(
            e.code(),
            Some(code) if *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
        ),
        _ => false,
    }
}

/// The wait after failed attempt `attempt` (1 for the first): a random
/// point in the upper half of `RETRY_BACKOFF_FIRST * 2^(attempt-1)`,
/// capped at [`RETRY_BACKOFF_MAX`].
fn retry_backoff(attempt: u32) -> Duration {
    let ceiling = RETRY_BACKOFF_FIRST
        .saturating_mul(1_u32 << attempt.saturating_sub(1).min(16))
        .min(RETRY_BACKOFF_MAX);
    let half = ceiling / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(fastrand::u64(0..=nanos))
}

/// `e`, told apart: a reply that never came (the connection stalled, after
/// `stalled`) and a timeout the server enforced name the `[store]` setting.
fn explain_stall(
    e: Fail<postgres::Error>,
    stalled: Option<Duration>,
    timeouts: &PostgresTimeouts,
) -> Fail<postgres::Error> {
    match (e, stalled) {
        (Fail::Db(_), Some(waited)) => Fail::Stalled {
            waited,
            statement_timeout: timeouts.statement.map(written),
        },
        (Fail::Unknown(_), Some(waited)) => Fail::Unknown(Box::new(crate::error::Stall {
            waited,
            statement_timeout: timeouts.statement.map(written),
        })),
        (Fail::Db(e), None) => match server_timeout(&e, timeouts) {
            Some(setting) => Fail::ServerTimeout {
                setting,
                cause: e.into_cause(),
            },
            None => Fail::Db(e),
        },
        (other, _) => other,
    }
}

/// The `[store]` setting, and its value, of a timeout the server enforced.
fn server_timeout(e: &postgres::Error, timeouts: &PostgresTimeouts) -> Option<String> {
    let db = e.as_db_error()?;
    let message = db.message();
    let (key, value) =
        if *db.code() == SqlState::QUERY_CANCELED && message.contains("statement timeout") {
            ("statement_timeout", timeouts.statement)
        } else if *db.code() == SqlState::LOCK_NOT_AVAILABLE && message.contains("lock timeout") {
            ("lock_timeout", timeouts.lock)
        } else if message.contains("idle-in-transaction timeout") {
            ("idle_in_transaction_timeout", timeouts.idle_in_transaction)
        } else {
            return None;
        };
    Some(format!(
        "{key} = \"{}\"",
        value.map_or_else(|| "0s".to_owned(), written)
    ))
}

/// `postgres://user@host:port/db`, never with a password.
fn describe(config: &Config) -> String {
    let mut out = String::from("postgres://");
    if let Some(user) = config.get_user() {
        out.push_str(user);
        out.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let host = match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .collect();
    out.push_str(&hosts.join(","));
    if let Some(db) = config.get_dbname() {
        out.push('/');
        out.push_str(db);
    }
    out
}

/// A URL for an error message: the password, if any, replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(connection string)".to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let tail = tail.split_once('?').map_or(tail, |(path, _)| path);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => format!("{scheme}://{authority}{tail}"),
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Applies the migrations the database lacks, under an advisory lock held
/// until the transaction ends, so concurrent first opens wait for each other.
fn migrate(conn: &mut Connection, schema: Option<&str>, described: &str) -> Result<()> {
    let latest = i64::from(LATEST_SCHEMA_VERSION);
    let too_new = |found| {
        Fail::Store(StoreError::SchemaTooNew {
            store: described.to_owned(),
            found,
            known: LATEST_SCHEMA_VERSION,
        })
    };
    // Fast path, without taking the lock or needing CREATE rights.
    let current = current_version(&mut conn.client)?;
    if current == latest {
        return Ok(());
    }
    if current > latest {
        return Err(too_new(current));
    }
    let mut tx = conn.client.transaction()?;
    let lock_key = format!("sloe-store migrations {}", schema.unwrap_or(""));
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&lock_key])?;
    if let Some(schema) = schema {
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(schema)
        ))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let current: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations",
            &[],
        )?
        .get(0);
    if current > latest {
        return Err(too_new(current));
    }
    if current == 0 {
        refuse_foreign_tables(&mut tx, described)?;
    }
    for m in migrations::POSTGRES
        .iter()
        .filter(|m| i64::from(m.version) > current)
    {
        let version = i32::try_from(m.version).unwrap_or(i32::MAX);
        let applied = tx.batch_execute(m.sql).and_then(|()| {
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&version],
            )
        });
        if let Err(e) = applied {
            return Err(Fail::Store(StoreError::Migrate {
                store: described.to_owned(),
                version: m.version,
                name: m.name.to_owned(),
                cause: e.into_cause(),
            }));
        }
    }
    tx.commit()?;
    Ok(())
}

/// Refuses a schema that holds tables other than sloe's before sloe adds
/// its own: someone's database named by mistake in `[store] url`.
fn refuse_foreign_tables(tx: &mut Transaction<'_>, described: &str) -> Result<()> {
    let tables: Vec<String> = tx
        .query(
            "SELECT c.relname::text FROM pg_class c
             WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
               AND c.relname <> 'schema_migrations'
             ORDER BY c.relname LIMIT 4",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tables.is_empty() {
        return Ok(());
    }
    Err(Fail::Store(StoreError::ForeignTables {
        store: described.to_owned(),
        tables: crate::error::few(tables),
    }))
}

fn current_version(client: &mut Client) -> Result<i64> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations",
            &[],
        )?
        .get(0))
}

fn read_header(row: &Row, at: usize) -> Result<RawHeader> {
    Ok(RawHeader {
        id: row.try_get(at)?,
        commit: row.try_get(at + 1)?,
        branch: row.try_get(at + 2)?,
        testbed: row.try_get(at + 3)?,
        environment: row.try_get(at + 4)?,
        timestamp_ns: row.try_get(at + 5)?,
        recorded_at_ns: row.try_get(at + 6)?,
        ci: row.try_get(at + 7)?,
        fingerprint: row.try_get(at + 8)?,
    })
}

fn decode_header(row: &Row, at: usize) -> Result<RunHeader> {
    read_header(row, at)?.decode().map_err(Fail::Corrupt)
}

/// Reads `benchmark, measure, unit, direction, n, samples, round_size` from
/// column `at`.
fn read_series(row: &Row, at: usize) -> Result<Series> {
    let key = SeriesKey {
        benchmark: row.try_get(at)?,
        measure: row.try_get(at + 1)?,
    };
    let unit: &str = row.try_get(at + 2)?;
    let direction: &str = row.try_get(at + 3)?;
    let n: i32 = row.try_get(at + 4)?;
    let values: Vec<f64> = row.try_get(at + 5)?;
    let round_size: Option<i32> = row.try_get(at + 6)?;
    codec::decode_series(
        key,
        unit,
        direction,
        i64::from(n),
        values,
        round_size.map(i64::from),
    )
    .map_err(Fail::Corrupt)
}

/// The first key of the advisory locks that serialise inserts of one
/// digest ("sloe" in ASCII); the second is the digest's hash.
const DIGEST_LOCK_SPACE: i32 = 0x736c_6f65;

impl PostgresStore {
    /// Records `run` with its timelines; with a digest, under it, unless
    /// (not forced) the same results and context were recorded before.
    fn insert(
        &self,
        run: &NewRun,
        timelines: &[Timeline],
        digest: Option<(&str, bool)>,
    ) -> Result<RunInsert, StoreError> {
        codec::validate(run)?;
        codec::validate_timelines(timelines)?;
        let ctx = &run.context;
        let timestamp = codec::timestamp_to_ns(ctx.timestamp)?;
        let ci = codec::ci_to_json(&ctx.ci);
        let fingerprint = codec::fingerprint_to_json(ctx.fingerprint.as_deref());
        let n = run.series.len();
        // Column arrays for one multi-row insert: a single round trip however
        // many series the run has. Each series' samples are a slice of one
        // flat array, since PostgreSQL arrays cannot be ragged.
        let mut positions = Vec::with_capacity(n);
        let mut benchmarks = Vec::with_capacity(n);
        let mut measures = Vec::with_capacity(n);
        let mut units = Vec::with_capacity(n);
        let mut directions = Vec::with_capacity(n);
        let mut counts = Vec::with_capacity(n);
        let mut starts = Vec::with_capacity(n);
        let mut round_sizes: Vec<Option<i32>> = Vec::with_capacity(n);
        let mut samples: Vec<f64> = Vec::new();
        for (position, s) in run.series.iter().enumerate() {
            positions.push(i32::try_from(position).unwrap_or(i32::MAX));
            benchmarks.push(s.benchmark.as_str());
            measures.push(s.measure.as_str());
            units.push(s.unit.symbol());
            directions.push(s.direction.as_str());
            counts.push(i32::try_from(s.values.len()).unwrap_or(i32::MAX));
            starts.push(i32::try_from(samples.len() + 1).unwrap_or(i32::MAX));
            round_sizes.push(s.round_size.map(|k| i32::try_from(k).unwrap_or(i32::MAX)));
            samples.extend_from_slice(&s.values);
        }
        let inserted = self.retrying(|conn| -> Result<RunInsert> {
            let insert_run = conn.prepare(
                "INSERT INTO runs (commit_id, branch, testbed, environment, timestamp_ns, recorded_at_ns, ci, fingerprint)
                 VALUES ($1, $2, $3, $4, $5, $6, ($7::text)::jsonb, ($8::text)::jsonb) RETURNING id",
            )?;
            let insert_results = conn.prepare(
                "INSERT INTO results (run_id, position, benchmark, measure, unit, direction, n, samples, round_size)
                 SELECT $1, t.position, t.benchmark, t.measure, t.unit, t.direction, t.n,
                        coalesce(($8::float8[])[t.start : t.start + t.n - 1], '{}'), t.round_size
                 FROM unnest($2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int4[], $9::int4[], $10::int4[])
                      AS t (position, benchmark, measure, unit, direction, n, start, round_size)",
            )?;
            let mut tx = conn.client.transaction()?;
            if let Some((digest, force)) = digest {
                // Held to the end of the transaction: a concurrent insert of
                // the same results waits here, then sees this one's run.
                tx.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                    &[&DIGEST_LOCK_SPACE, &digest],
                )?;
                if !force {
                    let earlier: Option<i64> = tx
                        .query_one(
                            "SELECT min(id) FROM runs WHERE digest = $1
                             AND commit_id IS NOT DISTINCT FROM $2 AND branch IS NOT DISTINCT FROM $3
                             AND testbed IS NOT DISTINCT FROM $4 AND environment IS NOT DISTINCT FROM $5",
                            &[&digest, &ctx.commit, &ctx.branch, &ctx.testbed, &ctx.environment],
                        )?
                        .try_get(0)?;
                    if let Some(earlier) = earlier {
                        return Ok(RunInsert::AlreadyRecorded(RunId(earlier)));
                    }
                }
            }
            let id: i64 = tx
                .query_one(
                    &insert_run,
                    &[
                        &ctx.commit,
                        &ctx.branch,
                        &ctx.testbed,
                        &ctx.environment,
                        &timestamp,
                        &codec::now_ns(),
                        &ci,
                        &fingerprint,
                    ],
                )?
                .get(0);
            if let Some((digest, _)) = digest {
                tx.execute(
                    "UPDATE runs SET digest = $1 WHERE id = $2",
                    &[&digest, &id],
                )?;
            }
            if n > 0 {
                tx.execute(
                    &insert_results,
                    &[
                        &id,
                        &positions,
                        &benchmarks,
                        &measures,
                        &units,
                        &directions,
                        &counts,
                        &samples,
                        &starts,
                        &round_sizes,
                    ],
                )?;
            }
            for t in timelines {
                tx.execute(
                    "INSERT INTO timelines (run_id, benchmark, points) VALUES ($1, $2, $3)",
                    &[&id, &t.benchmark, &codec::timeline_to_json(t)],
                )?;
            }
            // Past this point a failure leaves the outcome unknown.
            tx.commit().map_err(commit_failed)?;
            Ok(RunInsert::Recorded(RunId(id)))
        });
        inserted.map_err(|e| match codec::duplicate_series(run) {
            Some(dup) if is_unique_violation(&e) => dup,
            _ => match e {
                Fail::Unknown(cause) => StoreError::OutcomeUnknown {
                    action: "record run".to_owned(),
                    store: self.described.clone(),
                    cause,
                    retry: if digest.is_some() {
                        crate::error::Retry::Safe
                    } else {
                        crate::error::Retry::CheckFirst
                    },
                },
                e => e.into_store("record run", &self.described),
            },
        })
    }
}

/// A failed COMMIT: the server's answer (it refused) is a plain failure;
/// no answer (the connection failed or stalled after COMMIT was sent)
/// leaves the outcome unknown.
fn commit_failed(e: postgres::Error) -> Fail<postgres::Error> {
    if e.as_db_error().is_some() {
        Fail::Db(e)
    } else {
        Fail::Unknown(e.into_cause())
    }
}

fn is_unique_violation(e: &Fail<postgres::Error>) -> bool {
    matches!(e, Fail::Db(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION))
}

const SERIES_COLUMNS: &str = "benchmark, measure, unit, direction, n, samples, round_size";
const RESULT_SERIES_COLUMNS: &str =
    "r.benchmark, r.measure, r.unit, r.direction, r.n, r.samples, r.round_size";

/// Up to this many keys, [`PostgresStore::results_of_runs`] probes the
/// series index for each (key, run); beyond it, it reads whole runs.
const PROBE_KEYS_MAX: usize = 16;

impl Store for PostgresStore {
    fn describe(&self) -> String {
        self.described.clone()
    }

    fn schema_version(&self) -> Result<u32, StoreError> {
        self.with("read the schema version", |conn| {
            let v = current_version(&mut conn.client)?;
            u32::try_from(v).map_err(|_| Fail::Corrupt(format!("schema version {v}")))
        })
    }

    fn insert_run_with_timelines(
        &self,
        run: &NewRun,
        timelines: &[Timeline],
    ) -> Result<RunId, StoreError> {
        self.insert(run, timelines, None).map(RunInsert::id)
    }

    fn insert_run_once(
        &self,
        run: &NewRun,
        digest: &str,
        force: bool,
    ) -> Result<RunInsert, StoreError> {
        self.insert(run, &[], Some((digest, force)))
    }

    fn runs_with_digest(&self, digest: &str) -> Result<Vec<RunHeader>, StoreError> {
        self.with("look up runs by digest", |conn| {
            let stmt = conn.prepare(&format!(
                "SELECT {HEADER_COLUMNS} FROM runs WHERE digest = $1 ORDER BY id"
            ))?;
            conn.client
                .query(&stmt, &[&digest])?
                .iter()
                .map(|row| decode_header(row, 0))
                .collect()
        })
    }

    fn timelines(&self, id: RunId) -> Result<Vec<Timeline>, StoreError> {
        self.with(format_args!("read the timelines of run {id}"), |conn| {
            let q = conn.prepare(
                "SELECT benchmark, points FROM timelines WHERE run_id = $1 ORDER BY benchmark",
            )?;
            conn.client
                .query(&q, &[&id.0])?
                .iter()
                .map(|row| {
                    codec::timeline_from_json(row.get(0), row.get::<_, &str>(1))
                        .map_err(Fail::Corrupt)
                })
                .collect()
        })
    }

    fn run(&self, id: RunId) -> Result<Option<Run>, StoreError> {
        self.with(format_args!("read run {id}"), |conn| {
            let header =
                conn.prepare(&format!("SELECT {HEADER_COLUMNS} FROM runs WHERE id = $1"))?;
            let Some(row) = conn.client.query_opt(&header, &[&id.0])? else {
                return Ok(None);
            };
            let header = decode_header(&row, 0)?;
            let results = conn.prepare(&format!(
                "SELECT {SERIES_COLUMNS} FROM results WHERE run_id = $1 ORDER BY position"
            ))?;
            let series = conn
                .client
                .query(&results, &[&id.0])?
                .iter()
                .map(|row| read_series(row, 0))
                .collect::<Result<Vec<_>>>()?;
            Ok(Some(Run { header, series }))
        })
    }

    fn latest_run_id(&self) -> Result<Option<RunId>, StoreError> {
        self.with("find the latest run", |conn| {
            let stmt = conn.prepare("SELECT max(id) FROM runs")?;
            let id: Option<i64> = conn.client.query_one(&stmt, &[])?.try_get(0)?;
            Ok(id.map(RunId))
        })
    }

    fn list_runs(&self, q: &RunQuery) -> Result<Vec<RunHeader>, StoreError> {
        self.with("list runs", |conn| {
            let before = q.before.map(clamp_ns);
            let exclude = q.exclude.map(|id| id.0);
            let limit = q.limit.map(saturating_i64);
            let offset = saturating_i64(q.offset);
            let mut sql = format!("SELECT {HEADER_COLUMNS} FROM runs WHERE true");
            let mut args: Vec<&(dyn ToSql + Sync)> = Vec::new();
            if let Some(branch) = &q.branch {
                args.push(branch);
                sql.push_str(&format!(" AND branch = ${}", args.len()));
            }
            if let Some(testbed) = &q.testbed {
                args.push(testbed);
                sql.push_str(&format!(" AND testbed = ${}", args.len()));
            }
            if let Some(before) = &before {
                args.push(before);
                sql.push_str(&format!(" AND timestamp_ns <= ${}", args.len()));
            }
            if let Some(exclude) = &exclude {
                args.push(exclude);
                sql.push_str(&format!(" AND id <> ${}", args.len()));
            }
            args.push(&limit);
            args.push(&offset);
            sql.push_str(&format!(
                " ORDER BY timestamp_ns DESC, id DESC LIMIT ${} OFFSET ${}",
                args.len() - 1,
                args.len()
            ));
            let stmt = conn.prepare(&sql)?;
            conn.client
                .query(&stmt, &args)?
                .iter()
                .map(|row| decode_header(row, 0))
                .collect()
        })
    }

    fn results_of_runs(
        &self,
        ids: &[RunId],
        keys: Option<&[SeriesKey]>,
    ) -> Result<Vec<(RunId, Series)>, StoreError> {
        self.with("read results", |conn| {
            let mut places: HashMap<i64, usize> = HashMap::with_capacity(ids.len());
            let mut run_ids: Vec<i64> = Vec::with_capacity(ids.len());
            for id in ids {
                if let std::collections::hash_map::Entry::Vacant(place) = places.entry(id.0) {
                    place.insert(run_ids.len());
                    run_ids.push(id.0);
                }
            }
            let mut found: Vec<(usize, i32, RunId, Series)> = Vec::new();
            let mut push = |row: &Row| -> Result<()> {
                let id: i64 = row.try_get(0)?;
                let position: i32 = row.try_get(1)?;
                let place = places.get(&id).copied().unwrap_or(usize::MAX);
                found.push((place, position, RunId(id), read_series(row, 2)?));
                Ok(())
            };
            match keys {
                Some(keys) if keys.len() <= PROBE_KEYS_MAX => {
                    // Few keys: one probe of the series index per (key, run),
                    // cheap even when a key is in none of thousands of runs.
                    // Spelled as a join so the planner probes on all three
                    // columns instead of filtering a key's every run.
                    let keys: HashSet<&SeriesKey> = keys.iter().collect();
                    let benchmarks: Vec<&str> = keys.iter().map(|k| k.benchmark.as_str()).collect();
                    let measures: Vec<&str> = keys.iter().map(|k| k.measure.as_str()).collect();
                    let stmt = conn.prepare(&format!(
                        "SELECT r.run_id, r.position, {RESULT_SERIES_COLUMNS}
                         FROM unnest($2::text[], $3::text[]) AS k (benchmark, measure)
                         CROSS JOIN unnest($1::int8[]) AS i (id)
                         JOIN results AS r
                           ON r.benchmark = k.benchmark AND r.measure = k.measure AND r.run_id = i.id"
                    ))?;
                    for row in conn
                        .client
                        .query(&stmt, &[&run_ids, &benchmarks, &measures])?
                    {
                        push(&row)?;
                    }
                }
                keys => {
                    // Many keys or all: whole runs through the primary key,
                    // unwanted series skipped before their samples are read.
                    let wanted: Option<HashSet<(&str, &str)>> = keys.map(|keys| {
                        keys.iter()
                            .map(|k| (k.benchmark.as_str(), k.measure.as_str()))
                            .collect()
                    });
                    let stmt = conn.prepare(&format!(
                        "SELECT run_id, position, {SERIES_COLUMNS} FROM results WHERE run_id = ANY($1)"
                    ))?;
                    for row in conn.client.query(&stmt, &[&run_ids])? {
                        if let Some(wanted) = &wanted {
                            let benchmark: &str = row.try_get(2)?;
                            let measure: &str = row.try_get(3)?;
                            if !wanted.contains(&(benchmark, measure)) {
                                continue;
                            }
                        }
                        push(&row)?;
                    }
                }
            }
            found.sort_by_key(|(place, position, _, _)| (*place, *position));
            Ok(found.into_iter().map(|(_, _, id, s)| (id, s)).collect())
        })
    }

    fn series_history(
        &self,
        benchmark_glob: Option<&str>,
        branch: Option<&str>,
        limit_runs: usize,
    ) -> Result<Vec<(RunHeader, Series)>, StoreError> {
        self.with("read the history", |conn| {
            let limit = saturating_i64(limit_runs);
            let columns = "r.id, r.commit_id, r.branch, r.testbed, r.environment, r.timestamp_ns, \
                           r.recorded_at_ns, r.ci::text, r.fingerprint::text, \
                           s.benchmark, s.measure, s.unit, s.direction, s.n, s.samples, s.round_size";
            let rows = match benchmark_glob {
                Some(glob) => {
                    let pattern = codec::glob_to_like(glob);
                    let stmt = conn.prepare(&format!(
                        r"WITH picked AS (
                              SELECT id, timestamp_ns FROM runs
                              WHERE EXISTS (SELECT 1 FROM results
                                            WHERE run_id = runs.id AND benchmark LIKE $1 ESCAPE '\')
                                AND ($3::text IS NULL OR branch = $3)
                              ORDER BY timestamp_ns DESC, id DESC LIMIT $2)
                          SELECT {columns}
                          FROM picked JOIN runs AS r ON r.id = picked.id
                          JOIN results AS s ON s.run_id = r.id
                          WHERE s.benchmark LIKE $1 ESCAPE '\'
                          ORDER BY r.timestamp_ns DESC, r.id DESC, s.position"
                    ))?;
                    conn.client.query(&stmt, &[&pattern, &limit, &branch])?
                }
                None => {
                    let stmt = conn.prepare(&format!(
                        "WITH picked AS (
                              SELECT id FROM runs WHERE ($2::text IS NULL OR branch = $2)
                              ORDER BY timestamp_ns DESC, id DESC LIMIT $1)
                          SELECT {columns}
                          FROM picked JOIN runs AS r ON r.id = picked.id
                          JOIN results AS s ON s.run_id = r.id
                          ORDER BY r.timestamp_ns DESC, r.id DESC, s.position"
                    ))?;
                    conn.client.query(&stmt, &[&limit, &branch])?
                }
            };
            let mut out: Vec<(RunHeader, Series)> = Vec::with_capacity(rows.len());
            let mut header: Option<RunHeader> = None;
            for row in &rows {
                let id: i64 = row.try_get(0)?;
                let current = match header.take() {
                    Some(h) if h.id.0 == id => h,
                    _ => decode_header(row, 0)?,
                };
                out.push((current.clone(), read_series(row, 9)?));
                header = Some(current);
            }
            Ok(out)
        })
    }

    fn count_runs(&self) -> Result<u64, StoreError> {
        self.with("count runs", |conn| {
            let stmt = conn.prepare("SELECT count(*) FROM runs")?;
            let n: i64 = conn.client.query_one(&stmt, &[])?.try_get(0)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn recorded_series(&self, limit_runs: usize) -> Result<Vec<SeriesKey>, StoreError> {
        self.with("list the recorded series", |conn| {
            let stmt = conn.prepare(
                "SELECT DISTINCT benchmark, measure FROM results
                 WHERE run_id IN (SELECT id FROM runs ORDER BY id DESC LIMIT $1)",
            )?;
            let rows = conn.client.query(&stmt, &[&saturating_i64(limit_runs)])?;
            let mut keys: Vec<SeriesKey> = rows
                .iter()
                .map(|r| SeriesKey {
                    benchmark: r.get(0),
                    measure: r.get(1),
                })
                .collect();
            // By code point, as SQLite sorts, whatever the database's collation.
            keys.sort();
            Ok(keys)
        })
    }

    fn pin_baseline(&self, testbed: Option<&str>, run: RunId) -> Result<(), StoreError> {
        self.write(format_args!("pin run {run} as the baseline"), |conn| {
            let stmt = conn.prepare(
                "INSERT INTO pinned_baselines (testbed, run_id, pinned_at_ns)
                 SELECT $1, id, $3 FROM runs WHERE id = $2
                 ON CONFLICT (testbed) DO UPDATE
                 SET run_id = excluded.run_id, pinned_at_ns = excluded.pinned_at_ns",
            )?;
            let pinned = conn
                .client
                .execute(&stmt, &[&testbed.unwrap_or(""), &run.0, &codec::now_ns()])?;
            if pinned == 0 {
                return Err(Fail::Store(StoreError::RunNotFound(run)));
            }
            Ok(())
        })
    }

    fn pinned_baseline(&self, testbed: Option<&str>) -> Result<Option<RunId>, StoreError> {
        self.with("read the pinned baseline", |conn| {
            let stmt = conn.prepare(
                "SELECT run_id FROM pinned_baselines WHERE testbed IN ($1, '')
                 ORDER BY testbed = '' LIMIT 1",
            )?;
            let row = conn.client.query_opt(&stmt, &[&testbed.unwrap_or("")])?;
            Ok(row.map(|r| r.try_get(0)).transpose()?.map(RunId))
        })
    }

    fn clear_baseline(&self, testbed: Option<&str>) -> Result<bool, StoreError> {
        self.write("clear the pinned baseline", |conn| {
            let stmt = conn.prepare("DELETE FROM pinned_baselines WHERE testbed = $1")?;
            Ok(conn.client.execute(&stmt, &[&testbed.unwrap_or("")])? > 0)
        })
    }

    fn add_events(
        &self,
        key: Option<&str>,
        streams: &[(String, Vec<EventBucket>)],
    ) -> Result<EventsAdded, StoreError> {
        codec::validate_buckets(streams)?;
        let merged = codec::merged_buckets(streams)?;
        self.write("record SLI events", |conn| {
            let claim = conn.prepare(
                "INSERT INTO event_ingests (key, recorded_at_ns, buckets) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO NOTHING",
            )?;
            let stmts = BucketStatements::prepare(conn)?;
            let mut tx = conn.client.transaction()?;
            // Shared with other ingests, exclusive of compaction; taken
            // before any row lock, as compaction takes it.
            tx.execute(BUCKETS_LOCK, &[&EVENT_LOCK_SPACE])?;
            if let Some(key) = key {
                let fresh = tx.execute(
                    &claim,
                    &[&key, &codec::now_ns(), &saturating_i64(merged.len())],
                )?;
                if fresh == 0 {
                    return Ok(EventsAdded::AlreadyIngested);
                }
            }
            // In the map's order, (stream, start) ascending, in every
            // ingest: two ingests lock the rows they share in one order.
            for ((stream, start), bucket) in &merged {
                stmts.upsert(&mut tx, stream, *start, bucket)?;
            }
            tx.commit()?;
            Ok(EventsAdded::Stored {
                buckets: merged.len() as u64,
            })
        })
    }

    fn add_event_inputs(
        &self,
        inputs: &[EventInputBatch],
        force: bool,
    ) -> Result<EventInputsAdded, StoreError> {
        for input in inputs {
            codec::validate_buckets(&input.streams)?;
        }
        let mut records = Vec::with_capacity(inputs.len());
        for input in inputs {
            records.push(codec::count_to_i64(input.key.records)?);
        }
        // Keys are claimed in one order in every transaction, so two ingests
        // claiming the same keys wait on each other instead of deadlocking.
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by(|&a, &b| {
            (&inputs[a].key.digest, records[a]).cmp(&(&inputs[b].key.digest, records[b]))
        });
        // Re-run whole when the server aborts it as a deadlock victim or a
        // serialization failure (`write`).
        self.write("record SLI events", |conn| {
            // The primary key serialises concurrent claims of one key: the
            // second waits for the first to commit, then finds it.
            let claim = conn.prepare(
                "INSERT INTO event_inputs (digest, records, first, recorded_at_ns, buckets)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (digest, records) DO NOTHING",
            )?;
            let stmts = BucketStatements::prepare(conn)?;
            let mut tx = conn.client.transaction()?;
            // Shared with other ingests, exclusive of compaction; taken
            // before any row lock, as compaction takes it.
            tx.execute(BUCKETS_LOCK, &[&EVENT_LOCK_SPACE])?;
            let mut duplicate = vec![false; inputs.len()];
            for &i in &order {
                let input = &inputs[i];
                let buckets = saturating_i64(input.streams.iter().map(|(_, b)| b.len()).sum());
                let fresh = tx.execute(
                    &claim,
                    &[
                        &input.key.digest,
                        &records[i],
                        &input.key.first,
                        &codec::now_ns(),
                        &buckets,
                    ],
                )?;
                duplicate[i] = fresh == 0 && !force;
            }
            let merged = codec::fresh_buckets(inputs, &duplicate).map_err(Fail::Store)?;
            for ((stream, start), bucket) in &merged {
                stmts.upsert(&mut tx, stream, *start, bucket)?;
            }
            // Past this point a failure leaves the outcome unknown.
            tx.commit().map_err(commit_failed)?;
            Ok(EventInputsAdded {
                buckets: merged.len() as u64,
                duplicate,
            })
        })
        .map_err(|e| match e {
            // A retry skips what was recorded, unless forced.
            StoreError::OutcomeUnknown {
                action,
                store,
                cause,
                ..
            } if !force => StoreError::OutcomeUnknown {
                action,
                store,
                cause,
                retry: crate::error::Retry::Events,
            },
            e => e,
        })
    }

    fn event_inputs_starting_with(&self, first: &str) -> Result<Vec<(String, u64)>, StoreError> {
        self.with("look up earlier SLI event ingests", |conn| {
            let stmt = conn.prepare(
                "SELECT digest, records FROM event_inputs WHERE first = $1 ORDER BY records, digest",
            )?;
            let rows = conn.client.query(&stmt, &[&first])?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let records: i64 = row.try_get(1)?;
                out.push((row.try_get(0)?, u64::try_from(records).unwrap_or(0)));
            }
            Ok(out)
        })
    }

    fn event_buckets(
        &self,
        stream: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<EventBucket>, StoreError> {
        self.with(
            format_args!("read SLI events of stream {stream:?}"),
            |conn| {
                let stmt = conn.prepare(
                    "SELECT start_s, width_s, good, total, latency FROM event_buckets
                 WHERE stream = $1 AND start_s >= $2 AND start_s < $3 ORDER BY start_s",
                )?;
                let rows = conn
                    .client
                    .query(&stmt, &[&stream, &from.as_second(), &to.as_second()])?;
                rows.iter().map(|r| read_bucket(r, 0)).collect()
            },
        )
    }

    fn event_streams(&self) -> Result<Vec<String>, StoreError> {
        self.with("list SLI event streams", |conn| {
            let stmt = conn.prepare("SELECT DISTINCT stream FROM event_buckets ORDER BY stream")?;
            let rows = conn.client.query(&stmt, &[])?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn compact_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        let width = COMPACTED_BUCKET.as_secs();
        // Only whole hours before `before` are rolled up.
        let cut = before.as_second().div_euclid(width) * width;
        self.write("compact old SLI events", |conn| {
            let take = conn.prepare(
                "DELETE FROM event_buckets WHERE start_s < $1 AND width_s < $2
                 RETURNING stream, start_s, width_s, good, total, latency",
            )?;
            let stmts = BucketStatements::prepare(conn)?;
            let mut tx = conn.client.transaction()?;
            // One compaction at a time; one that finds another running
            // leaves the work to it (rows it cannot see yet, to the next).
            let alone: bool = tx
                .query_one(COMPACTION_LOCK, &[&EVENT_LOCK_SPACE])?
                .try_get(0)?;
            if !alone {
                return Ok(0);
            }
            // Waits for the ingests in flight, and new ones wait for this:
            // no ingest holds a row this deletes or rewrites.
            tx.execute(BUCKETS_LOCK_EXCLUSIVE, &[&EVENT_LOCK_SPACE])?;
            let rows = tx.query(&take, &[&cut, &width])?;
            let mut old = Vec::with_capacity(rows.len());
            for row in &rows {
                old.push((row.get::<_, String>(0), read_bucket(row, 1)?));
            }
            let rolled = old.len() as u64;
            for ((stream, start), bucket) in
                codec::compacted(old, COMPACTED_BUCKET).map_err(Fail::Store)?
            {
                stmts.upsert(&mut tx, &stream, start, &bucket)?;
            }
            tx.commit()?;
            Ok(rolled)
        })
    }
}

/// `start_s, width_s, good, total, latency` from column `at` on.
fn read_bucket(row: &Row, at: usize) -> Result<EventBucket> {
    let latency: &[u8] = row.try_get(at + 4)?;
    codec::decode_bucket(
        row.try_get(at)?,
        row.try_get(at + 1)?,
        row.try_get(at + 2)?,
        row.try_get(at + 3)?,
        latency,
    )
    .map_err(Fail::Corrupt)
}

/// Adding to a bucket row: make sure it exists (concurrent ingests of the
/// same new bucket must not fail on the key), lock it, merge, write back.
struct BucketStatements {
    ensure: Statement,
    lock: Statement,
    write: Statement,
}

impl BucketStatements {
    fn prepare(conn: &mut Connection) -> Result<BucketStatements> {
        Ok(BucketStatements {
            ensure: conn.prepare(
                "INSERT INTO event_buckets (stream, start_s, width_s, good, total, latency)
                 VALUES ($1, $2, $3, 0, 0, '\\x') ON CONFLICT (stream, start_s) DO NOTHING",
            )?,
            lock: conn.prepare(
                "SELECT start_s, width_s, good, total, latency FROM event_buckets
                 WHERE stream = $1 AND start_s = $2 FOR UPDATE",
            )?,
            write: conn.prepare(
                "UPDATE event_buckets SET width_s = $3, good = $4, total = $5, latency = $6
                 WHERE stream = $1 AND start_s = $2",
            )?,
        })
    }

    fn upsert(
        &self,
        tx: &mut Transaction<'_>,
        stream: &str,
        start: i64,
        bucket: &EventBucket,
    ) -> Result<()> {
        let width = bucket.width.as_secs();
        tx.execute(&self.ensure, &[&stream, &start, &width])?;
        let row = tx.query_one(&self.lock, &[&stream, &start])?;
        let mut merged = read_bucket(&row, 0)?;
        codec::add_bucket(&mut merged, stream, bucket).map_err(Fail::Store)?;
        tx.execute(
            &self.write,
            &[
                &stream,
                &start,
                &merged.width.as_secs(),
                &codec::count_to_i64(merged.good).map_err(Fail::Store)?,
                &codec::count_to_i64(merged.total).map_err(Fail::Store)?,
                &codec::encode_latency(&merged.latency),
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_and_messages_never_show_a_password() {
        let config =
            Config::from_str("postgres://sloe:secret@db.example:6543/history").expect("valid URL");
        assert_eq!(describe(&config), "postgres://sloe@db.example:6543/history");
        assert_eq!(
            redact("postgres://sloe:secret@db.example/history?password=x"),
            "postgres://sloe:***@db.example/history"
        );
        assert_eq!(redact("postgres://db/h"), "postgres://db/h");
    }

    // TLS, against the real server of the contract suite
    // (`SLOE_TEST_POSTGRES_URL`). Debian's PostgreSQL serves TLS out of the
    // box, with the "snakeoil" certificate made at install.

    fn server_url(options: &str) -> String {
        let url = std::env::var("SLOE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}{options}")
    }

    /// Connects with `options`, in a schema dropped afterwards, and says
    /// whether the store's connection is encrypted.
    fn encrypted(options: &str) -> Result<bool, StoreError> {
        encrypted_at(&server_url(options))
    }

    fn encrypted_at(url: &str) -> Result<bool, StoreError> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let schema = format!("sloe_test_tls_{}_{n}", std::process::id());
        let store = PostgresStore::connect_in_schema(url, &schema)?;
        let ssl = store.with("check TLS", |conn| {
            let row = conn.client.query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )?;
            Ok(row.try_get::<_, bool>(0)?)
        });
        let dropped = store.with("drop the test schema", |conn| {
            Ok(conn
                .client
                .batch_execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(&schema)))?)
        });
        dropped?;
        ssl
    }

    fn ok<T>(r: Result<T, StoreError>) -> T {
        r.unwrap_or_else(|e| panic!("failed to {e}"))
    }

    #[test]
    fn sslmode_require_encrypts_and_disable_does_not() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        assert!(ok(encrypted("sslmode=require")));
        assert!(!ok(encrypted("sslmode=disable")));
        // libpq's default, `prefer`, encrypts when the server offers TLS.
        assert!(ok(encrypted("application_name=sloe-prefer")));
    }

    #[test]
    fn libpq_keyword_strings_ask_for_tls_and_pool_size_too() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        let server = Config::from_str(&server_url("sslmode=disable")).expect("the test URL");
        let Some(Host::Tcp(host)) = server.get_hosts().first() else {
            panic!("the test server is reached over TCP");
        };
        let keywords = format!(
            "host={host} port={} user='{}' dbname='{}' sslmode=require pool_size=2",
            server.get_ports().first().copied().unwrap_or(5432),
            server.get_user().unwrap_or("postgres"),
            server.get_dbname().unwrap_or("postgres"),
        );
        assert!(ok(encrypted_at(&keywords)));
    }

    #[test]
    fn verify_full_refuses_a_certificate_no_trusted_root_signed() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/unrelated-root.pem"
        );
        let err = encrypted(&format!("sslmode=verify-full&sslrootcert={root}"))
            .expect_err("an untrusted certificate");
        let msg = err.to_string();
        assert!(msg.starts_with("connect to PostgreSQL store"), "{msg}");
        assert!(
            msg.contains("invalid peer certificate: UnknownIssuer"),
            "{msg}"
        );
        // `require` with a root checks the chain too, as libpq does.
        let err = encrypted(&format!("sslmode=require&sslrootcert={root}"))
            .expect_err("an untrusted certificate");
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    }

    #[test]
    fn verify_ca_trusts_the_root_the_url_names() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        // The server's own certificate, made the one trusted root. It names
        // the machine, not 127.0.0.1: verify-ca accepts it, verify-full not.
        let cert = encrypted_cert_file().expect("the server's certificate file");
        let root = format!("sslrootcert={cert}");
        assert!(ok(encrypted(&format!("sslmode=verify-ca&{root}"))));
        let err = encrypted(&format!("sslmode=verify-full&{root}")).expect_err("a host mismatch");
        assert!(err.to_string().contains("not valid for name"), "{err}");
    }

    #[test]
    fn a_missing_root_certificate_is_named() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        let err = encrypted("sslmode=verify-full&sslrootcert=/nonexistent/root.pem")
            .expect_err("no such file");
        let msg = err.to_string();
        assert!(
            msg.contains("read root certificate /nonexistent/root.pem: "),
            "{msg}"
        );
    }

    /// Where the server keeps its certificate, which is also readable here
    /// when the server is local.
    fn encrypted_cert_file() -> Result<String, postgres::Error> {
        let mut client =
            postgres::Client::connect(&server_url("sslmode=disable"), postgres::NoTls)?;
        client.query_one("SHOW ssl_cert_file", &[])?.try_get(0)
    }

    /// How many connections the server has open under `application_name`.
    fn connections_named(store: &PostgresStore, name: &str) -> i64 {
        ok(store.with("count connections", |conn| {
            let row = conn.client.query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )?;
            Ok(row.try_get(0)?)
        }))
    }

    #[test]
    fn the_pool_opens_connections_as_calls_need_them_up_to_pool_size() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        for (pool_size, expected) in [(Some(2), 2), (None, 6)] {
            let name = format!("sloe-pool-test-{}-{pool_size:?}", std::process::id());
            let size = pool_size.map_or(String::new(), |n| format!("&pool_size={n}"));
            let schema = format!(
                "sloe_test_pool_{}_{}",
                std::process::id(),
                pool_size.is_some()
            );
            let url = server_url(&format!("application_name={name}{size}"));
            let store = ok(PostgresStore::connect_in_schema(&url, &schema));
            // One process, one call at a time: one connection.
            assert_eq!(connections_named(&store, &name), 1);
            std::thread::scope(|scope| {
                for _ in 0..6 {
                    scope.spawn(|| {
                        ok(store.with("wait", |conn| {
                            Ok(conn.client.batch_execute("SELECT pg_sleep(0.2)")?)
                        }))
                    });
                }
            });
            let open = connections_named(&store, &name);
            ok(store.with("drop the test schema", |conn| {
                Ok(conn
                    .client
                    .batch_execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(&schema)))?)
            }));
            assert_eq!(open, expected, "{pool_size:?}");
        }
    }

    /// Issue 15, item 3: a writer waiting on a lock another session holds
    /// gives up at `lock_timeout`, and the error names the setting.
    #[test]
    fn a_lock_wait_ends_at_lock_timeout_naming_the_setting() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        let schema = format!("sloe_test_lock_timeout_{}", std::process::id());
        let timeouts = PostgresTimeouts {
            lock: Some(Duration::from_millis(300)),
            ..PostgresTimeouts::default()
        };
        let store = ok(PostgresStore::connect_in(
            &server_url("sslmode=disable"),
            Some(&schema),
            &timeouts,
        ));
        let digest = "sha256:lock-timeout-test";
        let mut holder = postgres::Client::connect(&server_url("sslmode=disable"), postgres::NoTls)
            .expect("a second connection");
        let mut tx = holder.transaction().expect("begin");
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&DIGEST_LOCK_SPACE, &digest],
        )
        .expect("hold the digest's lock");
        let run = NewRun {
            context: sloe_core::model::RunContext {
                commit: None,
                branch: None,
                testbed: None,
                environment: None,
                timestamp: Timestamp::UNIX_EPOCH,
                ci: Default::default(),
                fingerprint: None,
            },
            series: Vec::new(),
        };
        let started = Instant::now();
        let err = store
            .insert(&run, &[], Some((digest, false)))
            .expect_err("the lock is held");
        let took = started.elapsed();
        drop(tx);
        ok(store.with("drop the test schema", |conn| {
            Ok(conn
                .client
                .batch_execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(&schema)))?)
        }));
        let msg = err.to_string();
        assert!(
            msg.contains("lock timeout") && msg.contains("(lock_timeout = \"300ms\" in [store]"),
            "{msg}"
        );
        assert!(took < Duration::from_secs(3), "{took:?}");
    }

    #[test]
    fn retry_backoff_grows_is_jittered_and_capped() {
        for attempt in 1..=WRITE_ATTEMPTS + 4 {
            let ceiling =
                (RETRY_BACKOFF_FIRST * 2u32.pow(attempt.min(16) - 1)).min(RETRY_BACKOFF_MAX);
            for _ in 0..50 {
                let wait = retry_backoff(attempt);
                assert!(
                    wait >= ceiling / 2 && wait <= ceiling,
                    "{attempt}: {wait:?}"
                );
            }
        }
    }

    /// Issue 15, item 2: a write the server aborts as a deadlock victim is
    /// run again, whole, and counts once. Another session holds the row of
    /// 10:01 and, once the store's transaction holds 10:00 and waits for
    /// 10:01, asks for 10:00: a deadlock, and the store's transaction (whose
    /// 1 s `deadlock_timeout` expires first) is the victim.
    #[test]
    fn a_deadlock_victim_is_run_again_and_counts_once() {
        if sloe_testkit::skip(sloe_testkit::Need::Postgres) {
            return;
        }
        let schema = format!("sloe_test_retry_{}", std::process::id());
        let store = ok(PostgresStore::connect_in_schema(
            &server_url("sslmode=disable"),
            &schema,
        ));
        let events = sloe_core::slo::EventBatch::read(
            "{\"stream\":\"api\",\"ts\":\"2026-11-20T10:00:00Z\",\"good\":1,\"total\":2}\n\
             {\"stream\":\"api\",\"ts\":\"2026-11-20T10:01:00Z\",\"good\":3,\"total\":4}\n"
                .as_bytes(),
            "test",
        )
        .expect("events")
        .into_streams();
        ok(store.add_events(None, &events));
        let (ten, ten_one) = (1_795_168_800_i64, 1_795_168_860_i64);
        let mut other = postgres::Client::connect(&server_url("sslmode=disable"), postgres::NoTls)
            .expect("another session");
        other
            .batch_execute(&format!(
                "SET search_path TO {}; SET deadlock_timeout = '10s'",
                quote_ident(&schema)
            ))
            .expect("set up the session");
        let lock =
            "SELECT good FROM event_buckets WHERE stream = 'api' AND start_s = $1 FOR UPDATE";
        let outcome = std::thread::scope(|scope| {
            let mut tx = other.transaction().expect("begin");
            tx.query_one(lock, &[&ten_one]).expect("lock 10:01");
            let writer = scope.spawn(|| store.add_events(None, &events));
            // The store's transaction locks 10:00, then waits for 10:01.
            std::thread::sleep(Duration::from_millis(300));
            tx.query_one(lock, &[&ten]).expect("lock 10:00");
            // 10:00 is free only because the store's transaction was
            // aborted; its next attempt waits for 10:01 still.
            assert!(!writer.is_finished(), "the store's write ended early");
            tx.commit().expect("commit");
            writer.join().expect("the writer")
        });
        let buckets = store.event_buckets(
            "api",
            Timestamp::from_second(ten).expect("time"),
            Timestamp::from_second(ten_one + 60).expect("time"),
        );
        ok(store.with("drop the test schema", |conn| {
            Ok(conn
                .client
                .batch_execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(&schema)))?)
        }));
        ok(outcome);
        let counts: Vec<(u64, u64)> = ok(buckets).iter().map(|b| (b.good, b.total)).collect();
        assert_eq!(
            counts,
            [(2, 4), (6, 8)],
            "each bucket counted twice, not thrice"
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
