//! The embedded store: one SQLite file in WAL mode.
//!
//! Durability and concurrency come from SQLite itself: `synchronous=FULL`
//! makes a commit durable before it returns, every write runs in a
//! `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so two
//! writers queue instead of failing to upgrade a read lock), and a 10 s busy
//! timeout lets several `sloe` processes share the file. Within one process
//! the threads that share a store (a server's requests) take turns on one
//! connection behind a mutex; every call runs through `off_runtime`, so a
//! tokio worker that calls it hands its other tasks on while SQLite waits.
//!
//! Commands that only read open the file read-only
//! ([`SqliteStore::open_read_only`]): `SQLITE_OPEN_READ_ONLY` first, and
//! where that cannot read (WAL needs its `-shm` file, which a read-only
//! folder cannot hold) the file is opened as `immutable=1`, without locks
//! or the WAL, which is safe because sloe checkpoints the WAL into the file
//! when its last connection closes.
//!
//! A write open checks the file's integrity (`PRAGMA quick_check`) when it
//! was not closed cleanly: a `-wal` file with frames exists before the open
//! (sloe's last connection checkpoints and removes it; a crash, a kill or
//! another process still writing leaves it). A damaged file, found then or
//! by any later statement (`SQLITE_CORRUPT`, `SQLITE_NOTADB`), is
//! [`StoreError::Damaged`]: nothing more is written to it. sloe adds its
//! tables only to a new file or one that holds sloe's own
//! ([`StoreError::ForeignTables`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior, params,
};
use sloe_core::model::{NewRun, Run, RunHeader, RunId, Series, SeriesKey, Timeline};
use sloe_core::slo::EventBucket;

use crate::blocking::off_runtime;
use crate::codec::{self, RawHeader, clamp_ns, saturating_i64};
use crate::error::Fail;
use crate::migrations::{self, LATEST_SCHEMA_VERSION};
use crate::{
    COMPACTED_BUCKET, EventInputBatch, EventInputsAdded, EventsAdded, RunInsert, RunQuery, Store,
    StoreError,
};

type Result<T, E = Fail<rusqlite::Error>> = std::result::Result<T, E>;

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Up to this many keys, [`SqliteStore::results_of_runs`] looks each
/// (key, run) pair up in the series index; beyond it, it reads whole runs.
const PROBE_KEYS_MAX: usize = 16;

const HEADER_COLUMNS: &str =
    "id, commit_id, branch, testbed, environment, timestamp_ns, recorded_at_ns, ci, fingerprint";

/// Runs kept in a SQLite file (or in memory, for tests).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    described: String,
    /// The file, for the advice of [`StoreError::Damaged`]; `None` in memory.
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("store", &self.described)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the file at `path`, creating it and its parent directories if
    /// needed, and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        // Opening may wait for other processes (the busy timeout).
        off_runtime(|| SqliteStore::open_here(path))
    }

    fn open_here(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |cause: Box<dyn std::error::Error + Send + Sync>| StoreError::OpenSqlite {
            path: path.to_owned(),
            cause,
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                open_err(format!("create directory {}: {e}", parent.display()).into())
            })?;
        }
        // Looked at before the open: once open, this connection's own WAL
        // would look the same.
        let unclean = wal_has_frames(path);
        let conn = Connection::open(path).map_err(|e| open_err(e.into()))?;
        let described = format!("sqlite:{}", absolute(path).display());
        let check = if unclean {
            Integrity::QuickCheck
        } else {
            Integrity::Trust
        };
        SqliteStore::setup(conn, described.clone(), Mode::Write(check))
            .map_err(|e| match e {
                Fail::Db(e) if is_damage(&e) => damaged(&described, path, e.to_string()),
                Fail::Db(e) => open_err(e.into()),
                Fail::Corrupt(d) => open_err(d.into()),
                Fail::Store(e) => e,
                // PostgreSQL's network failures; none here.
                other => other.into_store("open", &path.display().to_string()),
            })
            .map(|store| store.at(path))
    }

    /// Opens the file at `path` to read only, for commands that record
    /// nothing: it must exist, and nothing in its folder is created or
    /// changed, so a read-only `.sloe` folder (or a store on read-only
    /// media) can still be read. `SQLITE_OPEN_READ_ONLY` first; when that
    /// cannot read (WAL wants its `-shm` file, which a folder sloe may not
    /// write cannot hold), the file is opened `immutable=1`: no locks, no
    /// WAL. A file whose schema is older than this sloe's is opened to
    /// write instead, once, to bring it up to date.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        off_runtime(|| SqliteStore::open_read_only_here(path))
    }

    fn open_read_only_here(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |cause: Box<dyn std::error::Error + Send + Sync>| StoreError::OpenSqlite {
            path: path.to_owned(),
            cause,
        };
        let described = format!("sqlite:{}", absolute(path).display());
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let read_only = Connection::open_with_flags(path, flags)
            .map_err(Fail::Db)
            .and_then(|conn| {
                conn.busy_timeout(BUSY_TIMEOUT)?;
                schema_version(&conn)?;
                Ok(conn)
            });
        let conn = match read_only {
            Ok(conn) => conn,
            Err(Fail::Db(e)) if cannot_read_in_place(&e) => {
                let uri = immutable_uri(&absolute(path));
                Connection::open_with_flags(&uri, flags | OpenFlags::SQLITE_OPEN_URI)
                    .map_err(|e| open_err(e.into()))?
            }
            Err(Fail::Db(e)) if is_damage(&e) => {
                return Err(damaged(&described, path, e.to_string()));
            }
            Err(Fail::Db(e)) => return Err(open_err(e.into())),
            Err(Fail::Corrupt(d)) => return Err(open_err(d.into())),
            Err(Fail::Store(e)) => return Err(e),
            // PostgreSQL's network failures; none here.
            Err(other) => return Err(other.into_store("open", &path.display().to_string())),
        };
        let version = schema_version(&conn).map_err(|e| match e {
            Fail::Db(e) if is_damage(&e) => damaged(&described, path, e.to_string()),
            Fail::Db(e) => open_err(e.into()),
            Fail::Corrupt(d) => open_err(d.into()),
            Fail::Store(e) => e,
            // PostgreSQL's network failures; none here.
            other => other.into_store("open", &path.display().to_string()),
        })?;
        let latest = i64::from(LATEST_SCHEMA_VERSION);
        if version > latest {
            return Err(StoreError::SchemaTooNew {
                store: described,
                found: version,
                known: LATEST_SCHEMA_VERSION,
            });
        }
        if version < latest {
            drop(conn);
            return SqliteStore::open_here(path);
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            described,
            path: Some(path.to_owned()),
        })
    }

    fn at(mut self, path: &Path) -> SqliteStore {
        self.path = Some(path.to_owned());
        self
    }

    /// A private database that lives as long as the store.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let memory = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| StoreError::OpenSqlite {
            path: memory.clone(),
            cause: e.into(),
        })?;
        SqliteStore::setup(conn, "sqlite::memory:".to_owned(), Mode::Memory).map_err(|e| match e {
            Fail::Store(e) => e,
            other => other.into_store("set up", "sqlite::memory:"),
        })
    }

    fn setup(mut conn: Connection, described: String, mode: Mode) -> Result<SqliteStore> {
        // Several processes opening a new file at once can meet a lock that
        // SQLite reports as busy without waiting (switching to WAL, or WAL
        // recovery), so the whole setup is retried until the busy timeout.
        let start = std::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            match SqliteStore::prepare(&mut conn, &described, mode) {
                Err(Fail::Db(e)) if is_busy(&e) && start.elapsed() < BUSY_TIMEOUT => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(u64::from(5 * attempt.min(20))));
                }
                other => {
                    other?;
                    break;
                }
            }
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            described,
            path: None,
        })
    }

    fn prepare(conn: &mut Connection, described: &str, mode: Mode) -> Result<()> {
        // The busy timeout first: even switching to WAL may wait for another
        // process that is opening the same file.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if let Mode::Write(_) = mode {
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
                if !mode.eq_ignore_ascii_case("wal") {
                    return Err(Fail::Corrupt(format!(
                        "the database refused WAL mode (journal mode is {mode})"
                    )));
                }
            }
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // The WAL is checkpointed when the last connection closes (SQLite's
        // default). Skipping that (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE) saves
        // fsyncs per `sloe ingest` but leaves a WAL that every later process
        // must scan to rebuild its index: measured 3-4x slower `sloe check`
        // on a 1000-run history.
        conn.set_prepared_statement_cache_capacity(64);
        if let Mode::Write(Integrity::QuickCheck) = mode {
            quick_check(conn)?;
        }
        migrate(conn, described)?;
        Ok(())
    }

    /// `e` as the error of `action`; damage to the file says so, and what
    /// to do.
    fn store_error(&self, e: Fail<rusqlite::Error>, action: impl std::fmt::Display) -> StoreError {
        match (e, &self.path) {
            (Fail::Db(e), Some(path)) if is_damage(&e) => {
                damaged(&self.described, path, e.to_string())
            }
            (e, _) => e.into_store(action, &self.described),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-call left no transaction open: rusqlite rolls back on drop.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection, off the caller's runtime: SQLite blocks
    /// on disk and on other processes' locks (up to the busy timeout).
    fn on_connection<T: Send>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send,
    ) -> Result<T> {
        off_runtime(|| f(&mut self.lock()))
    }

    fn with<T: Send>(
        &self,
        action: impl std::fmt::Display,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send,
    ) -> Result<T, StoreError> {
        self.on_connection(f)
            .map_err(|e| self.store_error(e, action))
    }
}

/// How a connection is set up.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// A file to write: WAL, durable commits, migrated.
    Write(Integrity),
    /// A private database in memory.
    Memory,
}

/// Whether a file is checked before it is written.
#[derive(Debug, Clone, Copy)]
enum Integrity {
    /// It was closed cleanly.
    Trust,
    /// It was not (see [`wal_has_frames`]): `PRAGMA quick_check` first.
    QuickCheck,
}

/// Whether `path` has a `-wal` file with frames in it: sloe's last
/// connection to a file checkpoints its WAL and deletes it, so one found
/// before opening means a process died mid-use (or another is using the
/// file now, when the check costs a read of the file and nothing else).
fn wal_has_frames(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    // A WAL header is 32 bytes; anything beyond it is frames.
    std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 32)
}

/// `PRAGMA quick_check`: O(N) in the file's size, but no index is compared
/// to its table (which `integrity_check` would do), so it reads each page
/// once. Refuses the file with the first few problems it names.
fn quick_check(conn: &Connection) -> Result<()> {
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check(3)")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(Fail::Db(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
        Some(format!("quick_check found: {}", problems.join("; "))),
    )))
}

/// Whether SQLite says the file is damaged or is no database at all.
fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

fn damaged(described: &str, path: &Path, detail: String) -> StoreError {
    StoreError::Damaged {
        store: described.to_owned(),
        path: path.to_owned(),
        detail,
    }
}

/// Whether a read-only open failed for want of writing beside the file
/// (the `-shm` of WAL mode, in a folder that is not writable).
fn cannot_read_in_place(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied)
    )
}

/// `file:<path>?immutable=1`, the path percent-encoded where a URI needs it.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{b:02X}")),
            _ if b.is_ascii() && !b.is_ascii_control() => uri.push(char::from(*b)),
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

impl SqliteStore {
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
        let inserted = self.on_connection(|conn| -> Result<RunInsert> {
            // Immediate: the write lock is taken before the digest is looked
            // up, so no other writer records the same results in between.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some((digest, false)) = digest {
                let earlier: Option<i64> = tx
                    .prepare_cached(
                        "SELECT min(id) FROM runs WHERE digest = ?1 AND commit_id IS ?2
                         AND branch IS ?3 AND testbed IS ?4 AND environment IS ?5",
                    )?
                    .query_row(
                        params![digest, ctx.commit, ctx.branch, ctx.testbed, ctx.environment],
                        |r| r.get(0),
                    )?;
                if let Some(earlier) = earlier {
                    return Ok(RunInsert::AlreadyRecorded(RunId(earlier)));
                }
            }
            let id = tx
                .prepare_cached(
                    "INSERT INTO runs (commit_id, branch, testbed, environment, timestamp_ns, recorded_at_ns, ci, fingerprint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .insert(params![
                    ctx.commit,
                    ctx.branch,
                    ctx.testbed,
                    ctx.environment,
                    timestamp,
                    codec::now_ns(),
                    ci,
                    fingerprint
                ])?;
            if let Some((digest, _)) = digest {
                tx.prepare_cached("UPDATE runs SET digest = ?1 WHERE id = ?2")?
                    .execute(params![digest, id])?;
            }
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO results (run_id, position, benchmark, measure, unit, direction, n, samples, round_size)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                let mut blob = Vec::new();
                for (position, s) in run.series.iter().enumerate() {
                    codec::encode_samples(&s.values, &mut blob);
                    insert.execute(params![
                        id,
                        saturating_i64(position),
                        s.benchmark,
                        s.measure,
                        s.unit.symbol(),
                        s.direction.as_str(),
                        saturating_i64(s.values.len()),
                        blob,
                        s.round_size.map(i64::from)
                    ])?;
                }
                let mut insert = tx.prepare_cached(
                    "INSERT INTO timelines (run_id, benchmark, points) VALUES (?1, ?2, ?3)",
                )?;
                for t in timelines {
                    insert.execute(params![id, t.benchmark, codec::timeline_to_json(t)])?;
                }
            }
            tx.commit()?;
            Ok(RunInsert::Recorded(RunId(id)))
        });
        inserted.map_err(|e| match codec::duplicate_series(run) {
            Some(dup) if is_constraint_violation(&e) => dup,
            _ => self.store_error(e, "record run"),
        })
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn schema_version(conn: &Connection) -> Result<i64> {
    let exists: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        )?
        .query_row([], |r| r.get(0))?;
    if !exists {
        return Ok(0);
    }
    Ok(conn
        .prepare_cached("SELECT coalesce(max(version), 0) FROM schema_migrations")?
        .query_row([], |r| r.get(0))?)
}

/// Applies the migrations the file lacks. Several processes may open a new
/// file at once: the check is repeated under the write lock, so each
/// migration runs exactly once.
fn migrate(conn: &mut Connection, described: &str) -> Result<()> {
    let latest = i64::from(LATEST_SCHEMA_VERSION);
    let too_new = |found| {
        Fail::Store(StoreError::SchemaTooNew {
            store: described.to_owned(),
            found,
            known: LATEST_SCHEMA_VERSION,
        })
    };
    let current = schema_version(conn)?;
    if current == latest {
        return Ok(());
    }
    if current > latest {
        return Err(too_new(current));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TEXT NOT NULL
         ) STRICT",
    )?;
    let current = schema_version(&tx)?;
    if current > latest {
        return Err(too_new(current));
    }
    if current == 0 {
        refuse_foreign_tables(&tx, described)?;
    }
    for m in migrations::SQLITE
        .iter()
        .filter(|m| i64::from(m.version) > current)
    {
        let applied = tx.execute_batch(m.sql).and_then(|()| {
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![m.version, jiff::Timestamp::now().to_string()],
            )
        });
        if let Err(e) = applied {
            return Err(Fail::Store(StoreError::Migrate {
                store: described.to_owned(),
                version: m.version,
                name: m.name.to_owned(),
                cause: without_sql(e),
            }));
        }
    }
    tx.commit()?;
    Ok(())
}

/// Refuses a file that holds tables other than sloe's before sloe adds its
/// own: someone's database named by mistake in `[store] url`.
fn refuse_foreign_tables(conn: &Connection, described: &str) -> Result<()> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'
             ORDER BY name LIMIT 4",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if tables.is_empty() {
        return Ok(());
    }
    Err(Fail::Store(StoreError::ForeignTables {
        store: described.to_owned(),
        tables: crate::error::few(tables),
    }))
}

/// The database's message without the statement's SQL text, which
/// rusqlite appends to a syntax or schema error (`... in CREATE TABLE ...`).
fn without_sql(e: rusqlite::Error) -> crate::Cause {
    match e {
        rusqlite::Error::SqlInputError { msg, .. }
        | rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.into(),
        e => Box::new(e),
    }
}

fn read_header(row: &Row<'_>) -> rusqlite::Result<RawHeader> {
    Ok(RawHeader {
        id: row.get(0)?,
        commit: row.get(1)?,
        branch: row.get(2)?,
        testbed: row.get(3)?,
        environment: row.get(4)?,
        timestamp_ns: row.get(5)?,
        recorded_at_ns: row.get(6)?,
        ci: row.get(7)?,
        fingerprint: row.get(8)?,
    })
}

/// Reads `unit, direction, n, samples, round_size` starting at column `at`.
fn read_series(row: &Row<'_>, at: usize, key: SeriesKey) -> Result<Series> {
    let unit = text(row, at)?;
    let direction = text(row, at + 1)?;
    let n: i64 = row.get(at + 2)?;
    let blob = row.get_ref(at + 3)?.as_blob().map_err(corrupt)?;
    let round_size: Option<i64> = row.get(at + 4)?;
    let values = codec::decode_samples(blob).map_err(Fail::Corrupt)?;
    codec::decode_series(key, unit, direction, n, values, round_size).map_err(Fail::Corrupt)
}

fn text<'r>(row: &'r Row<'_>, i: usize) -> Result<&'r str> {
    row.get_ref(i)?.as_str().map_err(corrupt)
}

fn corrupt(e: impl std::fmt::Display) -> Fail<rusqlite::Error> {
    Fail::Corrupt(e.to_string())
}

fn is_constraint_violation(e: &Fail<rusqlite::Error>) -> bool {
    matches!(e, Fail::Db(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation))
}

impl Store for SqliteStore {
    fn describe(&self) -> String {
        self.described.clone()
    }

    fn schema_version(&self) -> Result<u32, StoreError> {
        self.with("read the schema version", |conn| {
            let v = schema_version(conn)?;
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
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {HEADER_COLUMNS} FROM runs WHERE digest = ?1 ORDER BY id"
            ))?;
            let mut rows = stmt.query([digest])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_header(row)?.decode().map_err(Fail::Corrupt)?);
            }
            Ok(out)
        })
    }

    fn timelines(&self, id: RunId) -> Result<Vec<Timeline>, StoreError> {
        self.with(format_args!("read the timelines of run {id}"), |conn| {
            let mut q = conn.prepare_cached(
                "SELECT benchmark, points FROM timelines WHERE run_id = ?1 ORDER BY benchmark",
            )?;
            let rows = q
                .query_map([id.0], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(b, p)| codec::timeline_from_json(b, &p).map_err(Fail::Corrupt))
                .collect()
        })
    }

    fn run(&self, id: RunId) -> Result<Option<Run>, StoreError> {
        self.with(format_args!("read run {id}"), |conn| {
            let header = conn
                .prepare_cached(&format!("SELECT {HEADER_COLUMNS} FROM runs WHERE id = ?1"))?
                .query_row([id.0], read_header)
                .optional()?;
            let Some(header) = header else {
                return Ok(None);
            };
            let header = header.decode().map_err(Fail::Corrupt)?;
            let mut series = Vec::new();
            let mut stmt = conn.prepare_cached(
                "SELECT benchmark, measure, unit, direction, n, samples, round_size
                 FROM results WHERE run_id = ?1 ORDER BY position",
            )?;
            let mut rows = stmt.query([id.0])?;
            while let Some(row) = rows.next()? {
                let key = SeriesKey {
                    benchmark: row.get(0)?,
                    measure: row.get(1)?,
                };
                series.push(read_series(row, 2, key)?);
            }
            Ok(Some(Run { header, series }))
        })
    }

    fn latest_run_id(&self) -> Result<Option<RunId>, StoreError> {
        self.with("find the latest run", |conn| {
            let id: Option<i64> = conn
                .prepare_cached("SELECT max(id) FROM runs")?
                .query_row([], |r| r.get(0))?;
            Ok(id.map(RunId))
        })
    }

    fn list_runs(&self, q: &RunQuery) -> Result<Vec<RunHeader>, StoreError> {
        self.with("list runs", |conn| {
            let mut sql = format!("SELECT {HEADER_COLUMNS} FROM runs WHERE 1 = 1");
            let mut args: Vec<Value> = Vec::new();
            if let Some(branch) = &q.branch {
                args.push(Value::Text(branch.clone()));
                sql.push_str(&format!(" AND branch = ?{}", args.len()));
            }
            if let Some(testbed) = &q.testbed {
                args.push(Value::Text(testbed.clone()));
                sql.push_str(&format!(" AND testbed = ?{}", args.len()));
            }
            if let Some(before) = q.before {
                args.push(Value::Integer(clamp_ns(before)));
                sql.push_str(&format!(" AND timestamp_ns <= ?{}", args.len()));
            }
            if let Some(exclude) = q.exclude {
                args.push(Value::Integer(exclude.0));
                sql.push_str(&format!(" AND id <> ?{}", args.len()));
            }
            args.push(Value::Integer(q.limit.map_or(-1, saturating_i64)));
            args.push(Value::Integer(saturating_i64(q.offset)));
            sql.push_str(&format!(
                " ORDER BY timestamp_ns DESC, id DESC LIMIT ?{} OFFSET ?{}",
                args.len() - 1,
                args.len()
            ));
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_header(row)?.decode().map_err(Fail::Corrupt)?);
            }
            Ok(out)
        })
    }

    fn results_of_runs(
        &self,
        ids: &[RunId],
        keys: Option<&[SeriesKey]>,
    ) -> Result<Vec<(RunId, Series)>, StoreError> {
        self.with("read results", |conn| {
            let mut runs: Vec<RunId> = Vec::with_capacity(ids.len());
            let mut seen = HashSet::with_capacity(ids.len());
            runs.extend(ids.iter().copied().filter(|id| seen.insert(*id)));
            // (run's place in `ids`, position, run, series)
            let mut found: Vec<(usize, i64, RunId, Series)> = Vec::new();
            match keys {
                Some(keys) if keys.len() <= PROBE_KEYS_MAX => {
                    // Few keys: one lookup per run and key in the
                    // (run_id, benchmark, measure) index.
                    let mut stmt = conn.prepare_cached(
                        "SELECT position, unit, direction, n, samples, round_size FROM results
                         WHERE run_id = ?1 AND benchmark = ?2 AND measure = ?3",
                    )?;
                    let keys: HashSet<&SeriesKey> = keys.iter().collect();
                    for (place, id) in runs.iter().enumerate() {
                        for key in &keys {
                            let mut rows = stmt.query(params![id.0, key.benchmark, key.measure])?;
                            while let Some(row) = rows.next()? {
                                let series = read_series(row, 1, (*key).clone())?;
                                found.push((place, row.get(0)?, *id, series));
                            }
                        }
                    }
                }
                _ => {
                    // Many keys or all: read each run's rows in order and
                    // skip the unwanted ones before decoding them.
                    let wanted: Option<HashMap<&str, HashSet<&str>>> = keys.map(|keys| {
                        let mut m: HashMap<&str, HashSet<&str>> = HashMap::new();
                        for k in keys {
                            m.entry(k.benchmark.as_str())
                                .or_default()
                                .insert(k.measure.as_str());
                        }
                        m
                    });
                    let mut stmt = conn.prepare_cached(
                        "SELECT position, benchmark, measure, unit, direction, n, samples, round_size
                         FROM results WHERE run_id = ?1 ORDER BY position",
                    )?;
                    for (place, id) in runs.iter().enumerate() {
                        let mut rows = stmt.query([id.0])?;
                        while let Some(row) = rows.next()? {
                            let benchmark = text(row, 1)?;
                            let measure = text(row, 2)?;
                            if let Some(wanted) = &wanted
                                && !wanted.get(benchmark).is_some_and(|m| m.contains(measure))
                            {
                                continue;
                            }
                            let key = SeriesKey {
                                benchmark: benchmark.to_owned(),
                                measure: measure.to_owned(),
                            };
                            let series = read_series(row, 3, key)?;
                            found.push((place, row.get(0)?, *id, series));
                        }
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
                           r.recorded_at_ns, r.ci, r.fingerprint, s.benchmark, s.measure, s.unit, s.direction, s.n, s.samples, s.round_size";
            let (mut stmt, args) = match benchmark_glob {
                Some(glob) => (
                    conn.prepare_cached(&format!(
                        "SELECT {columns}
                         FROM (SELECT id FROM runs AS r0
                               WHERE EXISTS (SELECT 1 FROM results AS s0
                                             WHERE s0.run_id = r0.id AND s0.benchmark GLOB ?1)
                                 AND (?3 IS NULL OR r0.branch = ?3)
                               ORDER BY timestamp_ns DESC, id DESC LIMIT ?2) AS picked
                         JOIN runs AS r ON r.id = picked.id
                         JOIN results AS s ON s.run_id = r.id
                         WHERE s.benchmark GLOB ?1
                         ORDER BY r.timestamp_ns DESC, r.id DESC, s.position"
                    ))?,
                    vec![
                        Value::Text(codec::glob_to_sqlite(glob)),
                        Value::Integer(limit),
                        branch.map_or(Value::Null, |b| Value::Text(b.to_owned())),
                    ],
                ),
                None => (
                    conn.prepare_cached(&format!(
                        "SELECT {columns}
                         FROM (SELECT id FROM runs WHERE (?2 IS NULL OR branch = ?2)
                               ORDER BY timestamp_ns DESC, id DESC LIMIT ?1) AS picked
                         JOIN runs AS r ON r.id = picked.id
                         JOIN results AS s ON s.run_id = r.id
                         ORDER BY r.timestamp_ns DESC, r.id DESC, s.position"
                    ))?,
                    vec![
                        Value::Integer(limit),
                        branch.map_or(Value::Null, |b| Value::Text(b.to_owned())),
                    ],
                ),
            };
            let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
            let mut out: Vec<(RunHeader, Series)> = Vec::new();
            let mut header: Option<RunHeader> = None;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let current = match header.take() {
                    Some(h) if h.id.0 == id => h,
                    _ => read_header(row)?.decode().map_err(Fail::Corrupt)?,
                };
                let key = SeriesKey {
                    benchmark: row.get(9)?,
                    measure: row.get(10)?,
                };
                let series = read_series(row, 11, key)?;
                out.push((current.clone(), series));
                header = Some(current);
            }
            Ok(out)
        })
    }

    fn count_runs(&self) -> Result<u64, StoreError> {
        self.with("count runs", |conn| {
            let n: i64 = conn
                .prepare_cached("SELECT count(*) FROM runs")?
                .query_row([], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn recorded_series(&self, limit_runs: usize) -> Result<Vec<SeriesKey>, StoreError> {
        self.with("list the recorded series", |conn| {
            // The subquery walks the newest ids; `results_run_series` (led
            // by run_id) covers benchmark and measure without the samples.
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT benchmark, measure FROM results
                 WHERE run_id IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?1)
                 ORDER BY benchmark, measure",
            )?;
            let keys = stmt
                .query_map([saturating_i64(limit_runs)], |r| {
                    Ok(SeriesKey {
                        benchmark: r.get(0)?,
                        measure: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<SeriesKey>>>()?;
            Ok(keys)
        })
    }

    fn pin_baseline(&self, testbed: Option<&str>, run: RunId) -> Result<(), StoreError> {
        self.with(format_args!("pin run {run} as the baseline"), |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pinned = tx
                .prepare_cached(
                    "INSERT INTO pinned_baselines (testbed, run_id, pinned_at_ns)
                     SELECT ?1, id, ?3 FROM runs WHERE id = ?2
                     ON CONFLICT (testbed) DO UPDATE
                     SET run_id = excluded.run_id, pinned_at_ns = excluded.pinned_at_ns",
                )?
                .execute(params![testbed.unwrap_or(""), run.0, codec::now_ns()])?;
            if pinned == 0 {
                return Err(Fail::Store(StoreError::RunNotFound(run)));
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn pinned_baseline(&self, testbed: Option<&str>) -> Result<Option<RunId>, StoreError> {
        self.with("read the pinned baseline", |conn| {
            let id: Option<i64> = conn
                .prepare_cached(
                    "SELECT run_id FROM pinned_baselines WHERE testbed IN (?1, '')
                     ORDER BY testbed = '' LIMIT 1",
                )?
                .query_row([testbed.unwrap_or("")], |r| r.get(0))
                .optional()?;
            Ok(id.map(RunId))
        })
    }

    fn clear_baseline(&self, testbed: Option<&str>) -> Result<bool, StoreError> {
        self.with("clear the pinned baseline", |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx
                .prepare_cached("DELETE FROM pinned_baselines WHERE testbed = ?1")?
                .execute([testbed.unwrap_or("")])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    fn add_events(
        &self,
        key: Option<&str>,
        streams: &[(String, Vec<EventBucket>)],
    ) -> Result<EventsAdded, StoreError> {
        codec::validate_buckets(streams)?;
        let merged = codec::merged_buckets(streams)?;
        self.with("record SLI events", |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(key) = key {
                let fresh = tx
                    .prepare_cached(
                        "INSERT INTO event_ingests (key, recorded_at_ns, buckets) VALUES (?1, ?2, ?3)
                         ON CONFLICT (key) DO NOTHING",
                    )?
                    .execute(params![key, codec::now_ns(), saturating_i64(merged.len())])?;
                if fresh == 0 {
                    return Ok(EventsAdded::AlreadyIngested);
                }
            }
            for ((stream, start), bucket) in &merged {
                upsert_bucket(&tx, stream, *start, bucket)?;
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
        self.with("record SLI events", |conn| {
            // IMMEDIATE: the write lock is taken before the keys are looked
            // up, so a concurrent ingest of the same content waits and then
            // finds them.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut duplicate = Vec::with_capacity(inputs.len());
            for input in inputs {
                let key = &input.key;
                let fresh = tx
                    .prepare_cached(
                        "INSERT INTO event_inputs (digest, records, first, recorded_at_ns, buckets)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (digest, records) DO NOTHING",
                    )?
                    .execute(params![
                        key.digest,
                        codec::count_to_i64(key.records).map_err(Fail::Store)?,
                        key.first,
                        codec::now_ns(),
                        saturating_i64(input.streams.iter().map(|(_, b)| b.len()).sum()),
                    ])?;
                duplicate.push(fresh == 0 && !force);
            }
            let merged = codec::fresh_buckets(inputs, &duplicate).map_err(Fail::Store)?;
            for ((stream, start), bucket) in &merged {
                upsert_bucket(&tx, stream, *start, bucket)?;
            }
            tx.commit()?;
            Ok(EventInputsAdded {
                buckets: merged.len() as u64,
                duplicate,
            })
        })
    }

    fn event_inputs_starting_with(&self, first: &str) -> Result<Vec<(String, u64)>, StoreError> {
        self.with("look up earlier SLI event ingests", |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT digest, records FROM event_inputs WHERE first = ?1 ORDER BY records, digest",
            )?;
            let rows = stmt
                .query_map([first], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows
                .into_iter()
                .map(|(d, n)| (d, u64::try_from(n).unwrap_or(0)))
                .collect())
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
                let mut stmt = conn.prepare_cached(
                    "SELECT start_s, width_s, good, total, latency FROM event_buckets
                 WHERE stream = ?1 AND start_s >= ?2 AND start_s < ?3 ORDER BY start_s",
                )?;
                let mut rows = stmt.query(params![stream, from_second(from), from_second(to)])?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(read_bucket(row)?);
                }
                Ok(out)
            },
        )
    }

    fn event_streams(&self) -> Result<Vec<String>, StoreError> {
        self.with("list SLI event streams", |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT DISTINCT stream FROM event_buckets ORDER BY stream")?;
            let names = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(names)
        })
    }

    fn compact_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        let width = COMPACTED_BUCKET.as_secs();
        // Only whole hours before `before` are rolled up.
        let cut = from_second(before).div_euclid(width) * width;
        self.with("compact old SLI events", |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut old = Vec::new();
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT stream, start_s, width_s, good, total, latency FROM event_buckets
                     WHERE start_s < ?1 AND width_s < ?2",
                )?;
                let mut rows = stmt.query(params![cut, width])?;
                while let Some(row) = rows.next()? {
                    let stream: String = row.get(0)?;
                    let bucket = codec::decode_bucket(
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get_ref(5)?.as_blob().map_err(corrupt)?,
                    )
                    .map_err(Fail::Corrupt)?;
                    old.push((stream, bucket));
                }
            }
            let rolled = old.len() as u64;
            if rolled == 0 {
                return Ok(0);
            }
            tx.prepare_cached("DELETE FROM event_buckets WHERE start_s < ?1 AND width_s < ?2")?
                .execute(params![cut, width])?;
            for ((stream, start), bucket) in
                codec::compacted(old, COMPACTED_BUCKET).map_err(Fail::Store)?
            {
                upsert_bucket(&tx, &stream, start, &bucket)?;
            }
            tx.commit()?;
            Ok(rolled)
        })
    }
}

fn from_second(t: Timestamp) -> i64 {
    t.as_second()
}

fn read_bucket(row: &Row<'_>) -> Result<EventBucket> {
    codec::decode_bucket(
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get_ref(4)?.as_blob().map_err(corrupt)?,
    )
    .map_err(Fail::Corrupt)
}

/// Adds `bucket` to the row of (`stream`, `start`), creating it if needed.
fn upsert_bucket(
    tx: &rusqlite::Transaction<'_>,
    stream: &str,
    start: i64,
    bucket: &EventBucket,
) -> Result<()> {
    let existing = tx
        .prepare_cached(
            "SELECT start_s, width_s, good, total, latency FROM event_buckets
             WHERE stream = ?1 AND start_s = ?2",
        )?
        .query_row(params![stream, start], |row| {
            Ok(read_bucket(row).map_err(|e| match e {
                Fail::Db(e) => e.to_string(),
                Fail::Corrupt(d) => d,
                Fail::Store(e) => e.to_string(),
                // PostgreSQL's network failures; none here.
                other => other.into_store("read an event bucket", "").to_string(),
            }))
        })
        .optional()?;
    let merged = match existing {
        Some(row) => {
            let mut row = row.map_err(Fail::Corrupt)?;
            codec::add_bucket(&mut row, stream, bucket).map_err(Fail::Store)?;
            row
        }
        None => bucket.clone(),
    };
    tx.prepare_cached(
        "INSERT INTO event_buckets (stream, start_s, width_s, good, total, latency)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (stream, start_s) DO UPDATE SET width_s = excluded.width_s,
             good = excluded.good, total = excluded.total, latency = excluded.latency",
    )?
    .execute(params![
        stream,
        start,
        merged.width.as_secs(),
        codec::count_to_i64(merged.good).map_err(Fail::Store)?,
        codec::count_to_i64(merged.total).map_err(Fail::Store)?,
        codec::encode_latency(&merged.latency),
    ])?;
    Ok(())
}
