-- Runs, their series and pinned baselines.
-- Times are bigint nanoseconds since the Unix epoch, UTC, as in the SQLite
-- store, so both keep exactly the timestamps they were given.
-- Never edit this file once released: schema changes are new migrations.

CREATE TABLE runs (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commit_id      TEXT,
    branch         TEXT,
    testbed        TEXT,
    environment    TEXT,
    timestamp_ns   BIGINT NOT NULL,
    recorded_at_ns BIGINT NOT NULL,
    ci             JSONB NOT NULL DEFAULT '{}'
);

CREATE INDEX runs_branch_testbed_time ON runs (branch, testbed, timestamp_ns DESC, id DESC);
CREATE INDEX runs_time ON runs (timestamp_ns DESC, id DESC);

-- One row per series per run.
CREATE TABLE results (
    run_id    BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    benchmark TEXT NOT NULL,
    measure   TEXT NOT NULL,
    unit      TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('lower_is_better', 'higher_is_better')),
    n         INTEGER NOT NULL CHECK (n >= 0),
    samples   DOUBLE PRECISION[] NOT NULL CHECK (cardinality(samples) = n),
    PRIMARY KEY (run_id, position)
);

-- A series appears once per run; also the index for "this series in these runs".
CREATE UNIQUE INDEX results_series ON results (benchmark, measure, run_id);

-- testbed '' is the pin that applies to any testbed.
CREATE TABLE pinned_baselines (
    testbed      TEXT PRIMARY KEY,
    run_id       BIGINT NOT NULL REFERENCES runs (id),
    pinned_at_ns BIGINT NOT NULL
);
