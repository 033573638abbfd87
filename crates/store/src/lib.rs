//! sloe's run history: the [`Store`] trait and its two implementations,
//! [`SqliteStore`] (the embedded default, `.sloe/history.db`) and
//! [`PostgresStore`] (shared by many CI runners and `sloe serve` replicas),
//! with their migrations and the one contract test suite both pass
//! (`tests/contract.rs`).
//!
//! This crate owns how runs, series and pinned baselines are kept: the
//! schema, durability (a write returns only once it is durable), safe
//! concurrent writers and the queries the commands need, including
//! [`baseline_history`]. It speaks the domain types of `sloe-core` and must
//! not depend on the CLI, the server, report renderers or harness formats;
//! it knows nothing of flags, HTTP or terminals, and it makes no verdicts.
//! The store is synchronous on purpose: the CLI is a short-lived process
//! that must start and finish fast. A long-running server shares one store
//! among its threads (both backends are `Send + Sync`; PostgreSQL keeps a
//! pool of connections) and reaches it through [`AsyncStore`], which runs
//! each call on tokio's blocking pool. A store called straight from a tokio
//! runtime thread neither panics nor stalls the runtime's other tasks
//! (`blocking`), but `AsyncStore` is the way in for async code.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use sloe_core::model::{NewRun, Run, RunHeader, RunId, Series, SeriesKey, Timeline};
use sloe_core::slo::EventBucket;

mod async_store;
mod blocking;
mod codec;
mod error;
mod migrations;
mod pg_client;
mod postgres_store;
mod postgres_url;
mod sqlite_store;
mod tls;

pub use async_store::AsyncStore;
pub use error::{Cause, Retry, StoreError};
pub use migrations::LATEST_SCHEMA_VERSION;
pub use postgres_store::{DEFAULT_POOL_SIZE, PostgresStore, PostgresTimeouts, REPLY_MARGIN};
pub use sqlite_store::SqliteStore;

/// Where the history is kept unless the config says otherwise.
pub const DEFAULT_SQLITE_PATH: &str = ".sloe/history.db";

/// Which runs to list, newest first (timestamp descending, then id
/// descending). `None` filters match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunQuery {
    pub branch: Option<String>,
    pub testbed: Option<String>,
    /// Only runs with `timestamp <= before`.
    pub before: Option<Timestamp>,
    /// Leave this run out (the run being judged).
    pub exclude: Option<RunId>,
    /// At most this many runs; `None` is no limit.
    pub limit: Option<usize>,
    /// Skip this many runs first.
    pub offset: usize,
}

/// The runs a baseline is drawn from: a branch on a testbed (`None` = any),
/// up to a time, leaving out the run being judged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineQuery {
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub before: Option<Timestamp>,
    pub exclude: Option<RunId>,
}

impl BaselineQuery {
    /// The page of candidate runs starting at `offset`.
    pub fn page(&self, offset: usize, limit: usize) -> RunQuery {
        RunQuery {
            branch: self.branch.clone(),
            testbed: self.testbed.clone(),
            before: self.before,
            exclude: self.exclude,
            limit: Some(limit),
            offset,
        }
    }
}

/// What [`Store::add_events`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsAdded {
    /// Stored, in this many bucket rows (new or merged into).
    Stored { buckets: u64 },
    /// An ingest with the same key was stored before: nothing changed.
    AlreadyIngested,
}

/// One input of an SLI event ingest, keyed by what it holds (see
/// [`Store::add_event_inputs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInputKey {
    /// Digest of the input's records normalised to their parsed content,
    /// running over all `records` of them (`sha256:<hex>`).
    pub digest: String,
    /// How many records `digest` covers (> 0).
    pub records: u64,
    /// The same running digest after the first record alone: an input that
    /// starts alike (a grown log) finds the earlier ingests it may extend
    /// by it ([`Store::event_inputs_starting_with`]).
    pub first: String,
}

/// One input to record: its key and the buckets of the records it adds
/// (the records an earlier ingest already holds left out by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInputBatch {
    pub key: EventInputKey,
    pub streams: Vec<(String, Vec<EventBucket>)>,
}

/// What [`Store::add_event_inputs`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInputsAdded {
    /// Bucket rows written (new or merged into).
    pub buckets: u64,
    /// For each input in order: it was ingested before (same digest and
    /// record count), so its buckets were not added.
    pub duplicate: Vec<bool>,
}

/// What [`Store::insert_run_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunInsert {
    /// Recorded as this new run.
    Recorded(RunId),
    /// The same results with the same context were recorded before, as this
    /// run (the first of them): nothing changed.
    AlreadyRecorded(RunId),
}

impl RunInsert {
    /// The run the results are recorded as, new or earlier.
    pub fn id(self) -> RunId {
        match self {
            RunInsert::Recorded(id) | RunInsert::AlreadyRecorded(id) => id,
        }
    }
}

/// How long a compacted bucket of old SLI events is: one hour. Windows whose
/// edges fall inside an hour older than the compaction cut-off count that
/// hour whole at its start (at most one hour of error per window edge).
pub const COMPACTED_BUCKET: SignedDuration = SignedDuration::from_hours(1);

/// Keeps and queries recorded runs. Every write is one transaction that is
/// durable when the method returns; several processes may write at once.
pub trait Store: Send + Sync {
    /// Where the store is, for messages: `sqlite:/path/history.db` or
    /// `postgres://user@host:5432/db` (never a password).
    fn describe(&self) -> String;

    /// The newest migration applied to the database.
    fn schema_version(&self) -> Result<u32, StoreError>;

    /// Records a run with all its series, all or nothing. Refuses non-finite
    /// samples, a series key that appears twice and timestamps outside
    /// 1677–2262.
    fn insert_run(&self, run: &NewRun) -> Result<RunId, StoreError> {
        self.insert_run_with_timelines(run, &[])
    }

    /// Records a run with its series and the resource timelines `sloe run`
    /// sampled (at most one per benchmark), all or nothing. Refuses what
    /// [`Store::insert_run`] refuses, non-finite or negative points and a
    /// benchmark with two timelines.
    fn insert_run_with_timelines(
        &self,
        run: &NewRun,
        timelines: &[Timeline],
    ) -> Result<RunId, StoreError>;

    /// Records a run under `digest` (a digest of its results, e.g.
    /// `sha256:<hex>`), unless a run with the same digest and the same
    /// context was recorded before: then nothing changes and the earliest
    /// such run is returned as [`RunInsert::AlreadyRecorded`]. The same
    /// context is the same commit, branch, testbed and environment (a
    /// missing value matches only a missing value); timestamps and CI
    /// metadata do not count. With `force` the run is recorded (under its
    /// digest) whatever was recorded before. The lookup happens inside the
    /// insert's transaction, serialised per digest (SQLite: the write lock
    /// taken when the transaction begins; PostgreSQL: a transaction-scoped
    /// advisory lock on the digest), so two concurrent inserts of the same
    /// results record one run. Refuses what [`Store::insert_run`] refuses.
    fn insert_run_once(
        &self,
        run: &NewRun,
        digest: &str,
        force: bool,
    ) -> Result<RunInsert, StoreError>;

    /// The runs recorded under `digest` (see [`Store::insert_run_once`]),
    /// oldest first (id ascending), whatever their context.
    fn runs_with_digest(&self, digest: &str) -> Result<Vec<RunHeader>, StoreError>;

    /// The resource timelines of run `id`, by benchmark name.
    fn timelines(&self, id: RunId) -> Result<Vec<Timeline>, StoreError>;

    /// A run with all its series in the order they were recorded.
    fn run(&self, id: RunId) -> Result<Option<Run>, StoreError>;

    /// The most recently recorded run (highest id), whatever its timestamp.
    fn latest_run_id(&self) -> Result<Option<RunId>, StoreError>;

    /// Run headers matching `q`, newest first (timestamp desc, id desc).
    fn list_runs(&self, q: &RunQuery) -> Result<Vec<RunHeader>, StoreError>;

    /// The series of the runs `ids` (only those in `keys` when given),
    /// grouped by run in the order `ids` lists them (each run once), each
    /// run's series in recording order. Unknown ids yield nothing.
    fn results_of_runs(
        &self,
        ids: &[RunId],
        keys: Option<&[SeriesKey]>,
    ) -> Result<Vec<(RunId, Series)>, StoreError>;

    /// For `sloe history [BENCHMARK]`: the newest `limit_runs` runs that have
    /// a series whose benchmark matches `benchmark_glob` (`*` and `?`
    /// wildcards, case-sensitive; `None` = every run) on `branch` (`None` =
    /// any branch), newest first, each with its matching series in
    /// recording order.
    fn series_history(
        &self,
        benchmark_glob: Option<&str>,
        branch: Option<&str>,
        limit_runs: usize,
    ) -> Result<Vec<(RunHeader, Series)>, StoreError>;

    fn count_runs(&self) -> Result<u64, StoreError>;

    /// Every (benchmark, measure) the newest `limit_runs` runs (by id)
    /// recorded, each once, sorted: the names a budget that matches
    /// nothing is compared with for a did-you-mean.
    fn recorded_series(&self, limit_runs: usize) -> Result<Vec<SeriesKey>, StoreError>;

    /// Pins `run` as the baseline for `testbed` (`None` = any testbed),
    /// replacing an earlier pin. Fails with [`StoreError::RunNotFound`].
    fn pin_baseline(&self, testbed: Option<&str>, run: RunId) -> Result<(), StoreError>;

    /// The pinned baseline for `testbed`: its own pin wins over the
    /// any-testbed pin. `None` asks for the any-testbed pin only.
    fn pinned_baseline(&self, testbed: Option<&str>) -> Result<Option<RunId>, StoreError>;

    /// Removes the pin for exactly `testbed` (`None` = the any-testbed pin);
    /// whether there was one.
    fn clear_baseline(&self, testbed: Option<&str>) -> Result<bool, StoreError>;

    /// Adds SLI event buckets of several streams (as
    /// `sloe_core::slo::EventBatch::into_streams` gives them), all or
    /// nothing, in one durable transaction. Counts add to what a bucket with
    /// the same stream and start already holds (histograms merge; the wider
    /// width wins). With `key` (e.g. a digest of the ingested file), an
    /// ingest whose key was stored before changes nothing and returns
    /// [`EventsAdded::AlreadyIngested`]. Refuses empty stream names and
    /// names with NUL, widths that are not whole positive seconds, good >
    /// total, counts past `sloe_core::slo::events::MAX_COUNT`, and sums
    /// past it when adding to a stored bucket (nothing is stored then).
    fn add_events(
        &self,
        key: Option<&str>,
        streams: &[(String, Vec<EventBucket>)],
    ) -> Result<EventsAdded, StoreError>;

    /// Adds the SLI events of several inputs, all or nothing, in one durable
    /// transaction, de-duplicated by what they hold: each input's key is
    /// claimed inside the transaction (concurrent ingests of the same
    /// content wait on each other and count once); an input whose
    /// (digest, records) was claimed before adds nothing (`duplicate`),
    /// unless `force`. Counts add to the stored buckets, checked: a sum past
    /// `sloe_core::slo::events::MAX_COUNT` fails the whole call with
    /// [`StoreError::BadEvents`] and stores nothing. Refuses what
    /// [`Store::add_events`] refuses.
    fn add_event_inputs(
        &self,
        inputs: &[EventInputBatch],
        force: bool,
    ) -> Result<EventInputsAdded, StoreError>;

    /// `(digest, records)` of every ingest recorded through
    /// [`Store::add_event_inputs`] whose first record's digest is `first`,
    /// by records ascending.
    fn event_inputs_starting_with(&self, first: &str) -> Result<Vec<(String, u64)>, StoreError>;

    /// The buckets of `stream` that start in `[from, to)`, in time order;
    /// feed them to `sloe_core::slo::events::minute_counts` for
    /// constant-time window lookups.
    fn event_buckets(
        &self,
        stream: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<EventBucket>, StoreError>;

    /// Every stream that has events, sorted.
    fn event_streams(&self) -> Result<Vec<String>, StoreError>;

    /// Rolls every bucket narrower than [`COMPACTED_BUCKET`] of the hours
    /// that end at or before `before` into one bucket per stream and hour,
    /// in one transaction; returns how many buckets were rolled up. Counts
    /// and histograms are kept exactly; only the time resolution coarsens.
    fn compact_events(&self, before: Timestamp) -> Result<u64, StoreError>;
}

/// Where a store URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file (relative paths already joined to the base directory).
    Sqlite(PathBuf),
    /// An in-memory SQLite database (`sqlite::memory:`), gone at exit.
    SqliteMemory,
    /// A PostgreSQL connection URL, as given.
    Postgres(String),
}

impl StoreLocation {
    /// Reads a store URL: `sqlite://relative/or/absolute.db` (an absolute
    /// path reads `sqlite:///abs/path.db`), `sqlite:path`, a bare path, or
    /// `postgres://…`/`postgresql://…`. Relative paths are relative to
    /// `base_dir` (the directory of the config file).
    pub fn parse(url: &str, base_dir: &Path) -> Result<StoreLocation, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = url.trim();
        if trimmed.is_empty() {
            return Err(bad(
                "it is empty; expected sqlite://PATH, postgres://USER@HOST/DB or a file path",
            ));
        }
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Ok(StoreLocation::Postgres(trimmed.to_owned()));
        }
        let path = if let Some(rest) = trimmed.strip_prefix("sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            if rest == ":memory:" {
                return Ok(StoreLocation::SqliteMemory);
            }
            if rest.is_empty() {
                return Err(bad("it names no file; expected sqlite://PATH"));
            }
            rest
        } else if let Some((scheme, _)) = trimmed.split_once("://") {
            return Err(bad(&format!(
                "unknown scheme {scheme:?}; expected sqlite://PATH, postgres://USER@HOST/DB or a file path"
            )));
        } else {
            trimmed
        };
        Ok(StoreLocation::Sqlite(base_dir.join(path)))
    }
}

/// Opens (creating and migrating as needed) the store `url` names; see
/// [`StoreLocation::parse`] for the URL forms.
pub fn open(url: &str, base_dir: &Path) -> Result<Box<dyn Store>, StoreError> {
    open_with(url, base_dir, &PostgresTimeouts::default())
}

/// Like [`open`], with `timeouts` on every PostgreSQL connection.
pub fn open_with(
    url: &str,
    base_dir: &Path,
    timeouts: &PostgresTimeouts,
) -> Result<Box<dyn Store>, StoreError> {
    Ok(match StoreLocation::parse(url, base_dir)? {
        StoreLocation::Sqlite(path) => Box::new(SqliteStore::open(&path)?),
        StoreLocation::SqliteMemory => Box::new(SqliteStore::open_in_memory()?),
        StoreLocation::Postgres(url) => Box::new(PostgresStore::connect_with(&url, timeouts)?),
    })
}

/// Opens the store at `url` for a command that only reads: a SQLite file
/// read-only ([`SqliteStore::open_read_only`]; it must exist), so that a
/// read-only folder or medium can be read. PostgreSQL connects as
/// [`open_with`] does, with `timeouts`.
pub fn open_to_read(
    url: &str,
    base_dir: &Path,
    timeouts: &PostgresTimeouts,
) -> Result<Box<dyn Store>, StoreError> {
    Ok(match StoreLocation::parse(url, base_dir)? {
        StoreLocation::Sqlite(path) => Box::new(SqliteStore::open_read_only(&path)?),
        StoreLocation::SqliteMemory => Box::new(SqliteStore::open_in_memory()?),
        StoreLocation::Postgres(url) => Box::new(PostgresStore::connect_with(&url, timeouts)?),
    })
}

/// The largest page [`baseline_history`] asks for at once.
const MAX_PAGE: usize = 4096;

/// The newest run among the baseline candidates of `q` whose commit is
/// `commit` (or starts with it, for an abbreviated SHA): the merge-base's
/// run, whose timestamp bounds a branch's baseline. `None` when the
/// merge-base was never recorded (then the caller falls back to the runs
/// before the judged one).
pub fn find_commit_run(
    store: &dyn Store,
    q: &BaselineQuery,
    commit: &str,
) -> Result<Option<RunHeader>, StoreError> {
    let commit = commit.trim();
    if commit.is_empty() {
        return Ok(None);
    }
    let mut offset = 0;
    loop {
        let headers = store.list_runs(&q.page(offset, MAX_PAGE))?;
        let exhausted = headers.len() < MAX_PAGE;
        offset += headers.len();
        if let Some(h) = headers.into_iter().find(|h| {
            h.context
                .commit
                .as_deref()
                .is_some_and(|c| c == commit || (commit.len() >= 7 && c.starts_with(commit)))
        }) {
            return Ok(Some(h));
        }
        if exhausted {
            return Ok(None);
        }
    }
}

/// For each wanted series, the series of the last `history` runs matching
/// `q` that have it, newest first. Every key is in the map, possibly with no
/// runs.
///
/// Pages through [`Store::list_runs`] newest first (`history` runs, then
/// twice as many each time) and reads only the series still short of
/// `history` runs, stopping when every key has enough or the runs run out.
/// A series that only older runs have costs more pages, not a full scan of
/// every series.
pub fn baseline_history(
    store: &dyn Store,
    q: &BaselineQuery,
    keys: &[SeriesKey],
    history: usize,
) -> Result<BTreeMap<SeriesKey, Vec<(RunHeader, Series)>>, StoreError> {
    baseline_history_where(store, q, keys, history, &mut |_| true)
}

/// [`baseline_history`] over only the runs `keep` accepts (the judged
/// run's environment, say): `keep` sees each run header paged through once,
/// newest first, before any of its series is read, so a run left out costs
/// no series read and the runs kept still fill `history` per series.
pub fn baseline_history_where(
    store: &dyn Store,
    q: &BaselineQuery,
    keys: &[SeriesKey],
    history: usize,
    keep: &mut dyn FnMut(&RunHeader) -> bool,
) -> Result<BTreeMap<SeriesKey, Vec<(RunHeader, Series)>>, StoreError> {
    let mut unique: Vec<SeriesKey> = keys.to_vec();
    unique.sort();
    unique.dedup();
    let mut found: Vec<Vec<(RunHeader, Series)>> = vec![Vec::new(); unique.len()];
    if history > 0 {
        // Looked up by borrowed names: no key is cloned per result row.
        let slot: HashMap<(&str, &str), usize> = unique
            .iter()
            .enumerate()
            .map(|(i, k)| ((k.benchmark.as_str(), k.measure.as_str()), i))
            .collect();
        let mut wanted: Vec<SeriesKey> = unique.clone();
        // A run recorded while we page shifts later pages by one; never
        // count a run twice.
        let mut seen: HashSet<RunId> = HashSet::new();
        let mut offset = 0;
        let mut page = history.min(MAX_PAGE);
        while !wanted.is_empty() {
            let headers = store.list_runs(&q.page(offset, page))?;
            let exhausted = headers.len() < page;
            offset += headers.len();
            let headers: Vec<RunHeader> = headers
                .into_iter()
                .filter(|h| seen.insert(h.id) && keep(h))
                .collect();
            if !headers.is_empty() {
                let ids: Vec<RunId> = headers.iter().map(|h| h.id).collect();
                let by_id: HashMap<RunId, &RunHeader> = headers.iter().map(|h| (h.id, h)).collect();
                // Results come grouped by run in the order of `ids`: newest first.
                for (id, series) in store.results_of_runs(&ids, Some(&wanted))? {
                    let (Some(header), Some(&i)) = (
                        by_id.get(&id),
                        slot.get(&(series.benchmark.as_str(), series.measure.as_str())),
                    ) else {
                        continue;
                    };
                    if found[i].len() < history {
                        found[i].push(((*header).clone(), series));
                    }
                }
                wanted.retain(|k| {
                    slot.get(&(k.benchmark.as_str(), k.measure.as_str()))
                        .is_some_and(|&i| found[i].len() < history)
                });
            }
            if exhausted {
                break;
            }
            page = page.saturating_mul(2).min(MAX_PAGE);
        }
    }
    Ok(unique.into_iter().zip(found).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> StoreLocation {
        StoreLocation::parse(url, Path::new("/project")).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn urls_pick_their_backend() {
        assert_eq!(
            parse("sqlite://.sloe/history.db"),
            StoreLocation::Sqlite(PathBuf::from("/project/.sloe/history.db"))
        );
        assert_eq!(
            parse("sqlite:///var/lib/sloe/h.db"),
            StoreLocation::Sqlite(PathBuf::from("/var/lib/sloe/h.db"))
        );
        assert_eq!(
            parse("sqlite:h.db"),
            StoreLocation::Sqlite(PathBuf::from("/project/h.db"))
        );
        assert_eq!(
            parse("history.db"),
            StoreLocation::Sqlite(PathBuf::from("/project/history.db"))
        );
        assert_eq!(
            parse("/abs/history.db"),
            StoreLocation::Sqlite(PathBuf::from("/abs/history.db"))
        );
        assert_eq!(parse("sqlite::memory:"), StoreLocation::SqliteMemory);
        assert_eq!(
            parse("postgres://sloe@db.example/sloe"),
            StoreLocation::Postgres("postgres://sloe@db.example/sloe".to_owned())
        );
        assert_eq!(
            parse("postgresql://db/sloe?sslmode=disable"),
            StoreLocation::Postgres("postgresql://db/sloe?sslmode=disable".to_owned())
        );
    }

    #[test]
    fn bad_urls_say_what_was_expected() {
        for url in ["mysql://db/sloe", "", "sqlite://"] {
            let err = StoreLocation::parse(url, Path::new(".")).expect_err(url);
            let msg = err.to_string();
            assert!(msg.starts_with("read store URL"), "{msg}");
            assert!(msg.contains("expected sqlite://"), "{msg}");
        }
    }

    #[test]
    fn open_gives_a_sqlite_store_for_paths_and_sqlite_urls() {
        let dir = tempfile::tempdir().expect("temp dir");
        for url in ["sqlite://a/h.db", "sqlite:b.db", "c.db"] {
            let store = open(url, dir.path()).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(
                store.describe().starts_with("sqlite:"),
                "{}",
                store.describe()
            );
        }
        assert!(dir.path().join("a/h.db").exists());
        assert!(dir.path().join("b.db").exists());
        assert!(dir.path().join("c.db").exists());
        let memory = open("sqlite::memory:", dir.path()).expect("in-memory store");
        assert_eq!(memory.describe(), "sqlite::memory:");
    }
}
