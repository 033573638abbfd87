-- Runs, their series and pinned baselines.
-- Times are integer nanoseconds since the Unix epoch, UTC.
-- Never edit this file once released: schema changes are new migrations.

CREATE TABLE runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    commit_id      TEXT,
    branch         TEXT,
    testbed        TEXT,
    environment    TEXT,
    timestamp_ns   INTEGER NOT NULL,
    recorded_at_ns INTEGER NOT NULL,
    ci             TEXT NOT NULL DEFAULT '{}'
) STRICT;

-- Baselines: newest runs of one branch on one testbed. The rowid (= id)
-- ends every index entry, so (timestamp_ns DESC, id DESC) needs no sort.
CREATE INDEX runs_branch_testbed_time ON runs (branch, testbed, timestamp_ns);
CREATE INDEX runs_time ON runs (timestamp_ns);

-- One row per series per run; samples are little-endian f64s, n of them.
CREATE TABLE results (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    benchmark TEXT NOT NULL,
    measure   TEXT NOT NULL,
    unit      TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('lower_is_better', 'higher_is_better')),
    n         INTEGER NOT NULL CHECK (n >= 0),
    samples   BLOB NOT NULL CHECK (length(samples) = 8 * n),
    PRIMARY KEY (run_id, position)
) STRICT, WITHOUT ROWID;

-- A series appears once per run. The index leads with run_id so that a new
-- run's entries land together at the end of the index: an index led by the
-- series would dirty one page per series on every insert (a 200-series run
-- wrote ~270 WAL pages instead of ~20).
CREATE UNIQUE INDEX results_run_series ON results (run_id, benchmark, measure);

-- testbed '' is the pin that applies to any testbed.
CREATE TABLE pinned_baselines (
    testbed      TEXT PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs (id),
    pinned_at_ns INTEGER NOT NULL
) STRICT;
