//! Issue 15, item 7: how a store is opened. Reads work on a store sloe may
//! not write; a file that was not closed cleanly is checked, and a damaged
//! one stops writes; sloe adds its tables to no one else's database; a
//! migration that fails is named. SQLite only where the case is (read-only
//! files, damaged pages); both backends where it applies (foreign tables,
//! migration errors), PostgreSQL in a fresh database of its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sloe_core::model::{Direction, NewRun, RunContext, Series};
use sloe_core::units::Unit;
use sloe_store::{PostgresStore, RunQuery, SqliteStore, Store, StoreError};
use sloe_testkit::pg::Database;

fn run(n: usize) -> NewRun {
    NewRun {
        context: RunContext {
            commit: Some(format!("{n:040x}")),
            branch: Some("main".to_owned()),
            testbed: Some("ci".to_owned()),
            environment: None,
            timestamp: Timestamp::from_second(1_790_000_000 + i64::try_from(n).unwrap_or(0))
                .expect("timestamp"),
            ci: BTreeMap::new(),
            fingerprint: None,
        },
        series: (0..20)
            .map(|b| Series {
                benchmark: format!("bench-{b}"),
                measure: "wall_time".to_owned(),
                unit: Unit::Milliseconds,
                direction: Direction::LowerIsBetter,
                values: (0..50).map(|i| f64::from(i) * 1.5 + 1e6).collect(),
                round_size: None,
            })
            .collect(),
    }
}

/// A store at `dir/history.db` holding `runs` runs, closed cleanly.
fn store_with_runs(dir: &Path, runs: usize) -> PathBuf {
    let path = dir.join("history.db");
    let store = SqliteStore::open(&path).expect("open");
    for n in 0..runs {
        store.insert_run(&run(n)).expect("record");
    }
    drop(store);
    path
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn files_in(dir: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| {
            let len = e.metadata().map_or(0, |m| m.len());
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .collect();
    out.sort();
    out
}

/// Whether this process can write into a folder whose mode forbids it
/// (root, or CAP_DAC_OVERRIDE): then `chmod` cannot make a folder
/// read-only for the test.
fn mode_bits_bind_us(dir: &Path) -> bool {
    let probe = dir.join("probe");
    match std::fs::write(&probe, b"x") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(_) => true,
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

// ---------------------------------------------------------------------------
// Read-only

/// The case of the issue: WAL wants its `-shm` file beside the database,
/// and a folder sloe cannot write has none. A `-shm` that cannot be created
/// is made here by a directory of that name, which stops root as well as
/// anyone (tests may run as root, where `chmod a-w` stops nothing).
#[test]
fn issue15_a_store_whose_shm_cannot_be_created_is_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = store_with_runs(dir.path(), 3);
    assert!(
        !sidecar(&path, "-shm").exists(),
        "a clean close leaves no -shm"
    );
    std::fs::create_dir(sidecar(&path, "-shm")).expect("block the -shm");
    let before = files_in(dir.path());
    let bytes = std::fs::read(&path).expect("read");

    // Reading works, and changes nothing.
    let store = SqliteStore::open_read_only(&path)
        .unwrap_or_else(|e| panic!("failed to {e}: a read-only open must read"));
    assert_eq!(store.count_runs().expect("count"), 3);
    let listed = store.list_runs(&RunQuery::default()).expect("list");
    assert_eq!(listed.len(), 3);
    let run = store.run(listed[0].id).expect("read").expect("the run");
    assert_eq!(run.series.len(), 20);
    drop(store);
    // SQLite may leave an empty `-wal` where the folder lets it; nothing
    // else is created or changed.
    let after: Vec<(String, u64)> = files_in(dir.path())
        .into_iter()
        .filter(|(name, len)| !(name.ends_with("-wal") && *len == 0))
        .collect();
    assert_eq!(after, before, "reading created or changed files");
    assert_eq!(std::fs::read(&path).expect("read"), bytes);
}

/// `chmod -R a-w .sloe`, as the issue reproduced it, where the mode binds
/// this process (not as root: there the test above stands in for it).
#[cfg(unix)]
#[test]
fn issue15_a_read_only_folder_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sloe = dir.path().join(".sloe");
    std::fs::create_dir(&sloe).expect("mkdir");
    let path = store_with_runs(&sloe, 2);
    set_mode(&path, 0o444);
    set_mode(&sloe, 0o555);
    if !mode_bits_bind_us(&sloe) {
        set_mode(&sloe, 0o755);
        eprintln!("running as root: chmod stops nothing here; the -shm test covers the case");
        return;
    }
    let read = SqliteStore::open_read_only(&path).map(|s| s.count_runs());
    set_mode(&sloe, 0o755);
    assert_eq!(
        read.expect("open read-only").expect("count"),
        2,
        "a read-only folder must be readable"
    );
}

#[test]
fn issue15_a_read_only_open_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = store_with_runs(dir.path(), 1);
    let before = std::fs::read(&path).expect("read");
    let store = SqliteStore::open_read_only(&path).expect("open read-only");
    let e = store
        .insert_run(&run(99))
        .expect_err("a read-only store refuses writes");
    assert!(e.to_string().contains("readonly"), "{e}");
    drop(store);
    assert_eq!(std::fs::read(&path).expect("read"), before);
    assert_eq!(
        SqliteStore::open(&path)
            .expect("open")
            .count_runs()
            .expect("count"),
        1
    );
}

#[test]
fn issue15_a_read_only_open_creates_no_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing.db");
    assert!(SqliteStore::open_read_only(&path).is_err());
    assert!(!path.exists());
}

// ---------------------------------------------------------------------------
// Damage

/// The page a table's b-tree starts at, 1-based.
fn root_page(path: &Path, table: &str) -> u64 {
    let conn = rusqlite::Connection::open(path).expect("open");
    let page: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .expect("rootpage");
    u64::try_from(page).expect("a page number")
}

fn page_size(path: &Path) -> u64 {
    let conn = rusqlite::Connection::open(path).expect("open");
    let size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page_size");
    u64::try_from(size).expect("a page size")
}

/// Overwrites page `page` (1-based) of `path` with garbage.
fn damage_page(path: &Path, page: u64, size: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for damage");
    f.seek(SeekFrom::Start((page - 1) * size)).expect("seek");
    let garbage: Vec<u8> = (0..size).map(|i| (i * 7 + 13) as u8).collect();
    f.write_all(&garbage).expect("write garbage");
    f.sync_all().expect("sync");
}

/// A copy of a store as a crash leaves it: the database and a WAL with
/// committed frames not yet checkpointed, in folder `to`.
fn crashed_copy(path: &Path, to: &Path) -> PathBuf {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "user_version", 7)
        .expect("write a frame");
    let copy = to.join("history.db");
    std::fs::copy(path, &copy).expect("copy db");
    std::fs::copy(sidecar(path, "-wal"), sidecar(&copy, "-wal")).expect("copy wal");
    drop(conn);
    copy
}

/// A file not closed cleanly, with a damaged page: opening it to write is
/// refused with the file named and what to do, and nothing is written.
#[test]
fn issue15_a_damaged_page_found_on_an_unclean_open_stops_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = store_with_runs(dir.path(), 40);
    let (root, size) = (root_page(&path, "results"), page_size(&path));
    let crash = tempfile::tempdir().expect("tempdir");
    let copy = crashed_copy(&path, crash.path());
    assert!(
        std::fs::metadata(sidecar(&copy, "-wal"))
            .expect("wal")
            .len()
            > 32,
        "the copy has WAL frames"
    );
    damage_page(&copy, root, size);
    let e = SqliteStore::open(&copy).expect_err("a damaged file must not be opened to write");
    assert!(matches!(e, StoreError::Damaged { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains(&copy.display().to_string()), "{message}");
    assert!(message.contains(".recover"), "{message}");
    assert!(message.contains("backup"), "{message}");

    // The same crash without the damage opens and records as before.
    let clean = tempfile::tempdir().expect("tempdir");
    let copy = crashed_copy(&path, clean.path());
    let store = SqliteStore::open(&copy).expect("an undamaged crashed copy opens");
    store.insert_run(&run(41)).expect("record");
    assert_eq!(store.count_runs().expect("count"), 41);
}

/// Damage met by a write on a file that looked clean says the same, and
/// the file is left as it was.
#[test]
fn issue15_a_write_that_meets_a_damaged_page_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = store_with_runs(dir.path(), 40);
    let (root, size) = (root_page(&path, "results"), page_size(&path));
    damage_page(&path, root, size);
    let before = std::fs::read(&path).expect("read");
    let store = SqliteStore::open(&path).expect("a file closed cleanly is trusted on open");
    let e = store
        .insert_run(&run(41))
        .expect_err("a write into a damaged b-tree must fail");
    assert!(matches!(e, StoreError::Damaged { .. }), "{e:?}");
    assert!(e.to_string().contains(".recover"), "{e}");
    drop(store);
    assert_eq!(std::fs::read(&path).expect("read"), before);
}

// ---------------------------------------------------------------------------
// Foreign tables

#[test]
fn issue15_sqlite_refuses_a_file_with_other_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE orders (id INTEGER PRIMARY KEY);
         INSERT INTO customers (name) VALUES ('ada');",
    )
    .expect("someone else's schema");
    drop(conn);
    let e = SqliteStore::open(&path).expect_err("must refuse");
    assert!(matches!(e, StoreError::ForeignTables { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("customers, orders"), "{message}");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(tables, 2, "nothing of sloe's was added");
}

#[test]
fn issue15_postgres_refuses_a_database_with_other_tables() {
    let Some(db) = Database::fresh("sloe_i15_foreign") else {
        return;
    };
    db.client()
        .batch_execute(
            "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE invoices (id int);",
        )
        .expect("someone else's schema");
    let e = PostgresStore::connect(db.url()).expect_err("must refuse");
    assert!(matches!(e, StoreError::ForeignTables { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains(db.name()), "{message}");
    assert!(message.contains("customers, invoices"), "{message}");
    let sloe_tables: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('runs', 'schema_migrations')",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(sloe_tables, 0, "nothing of sloe's was added");
}

// ---------------------------------------------------------------------------
// Migration errors

fn assert_names_migration_6(e: &StoreError) {
    assert!(matches!(e, StoreError::Migrate { version: 6, .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("0006_digest"), "{message}");
    assert!(message.contains("digest"), "{message}");
    assert!(
        !message.contains("ALTER TABLE") && !message.contains("CREATE INDEX"),
        "the migration's SQL is not the message: {message}"
    );
}

/// A database whose schema already has what migration 6 adds, while its
/// record of migrations says 6 (and what came after) never ran.
#[test]
fn issue15_sqlite_migration_error_names_the_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = store_with_runs(dir.path(), 1);
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute("DELETE FROM schema_migrations WHERE version >= 6", [])
        .expect("forget migration 6");
    drop(conn);
    let e = SqliteStore::open(&path).expect_err("migration 6 conflicts");
    assert_names_migration_6(&e);
}

#[test]
fn issue15_postgres_migration_error_names_the_migration() {
    let Some(db) = Database::fresh("sloe_i15_migrate") else {
        return;
    };
    drop(PostgresStore::connect(db.url()).expect("a fresh store"));
    db.client()
        .batch_execute("DELETE FROM schema_migrations WHERE version >= 6")
        .expect("forget migration 6");
    let e = PostgresStore::connect(db.url()).expect_err("migration 6 conflicts");
    assert_names_migration_6(&e);
}
