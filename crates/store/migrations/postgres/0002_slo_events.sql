-- SLI events per stream in time buckets (issue 7), as in the SQLite store:
-- one-minute buckets as ingested, whole hours once compacted. `start_s` is
-- the bucket's start in Unix seconds, `width_s` its length. good/total are
-- judged by `ok` alone; `latency` is the histogram of the ok raw events'
-- latencies (varint pairs, see codec.rs).
-- Never edit this file once released: schema changes are new migrations.

CREATE TABLE event_buckets (
    stream  TEXT NOT NULL CHECK (stream <> ''),
    start_s BIGINT NOT NULL,
    width_s BIGINT NOT NULL CHECK (width_s > 0),
    good    BIGINT NOT NULL CHECK (good >= 0),
    total   BIGINT NOT NULL CHECK (total >= good),
    latency BYTEA NOT NULL,
    PRIMARY KEY (stream, start_s)
);

-- Compaction finds the narrow buckets before a cut-off without a scan.
CREATE INDEX event_buckets_width_start ON event_buckets (width_s, start_s);

CREATE TABLE event_ingests (
    key            TEXT PRIMARY KEY,
    recorded_at_ns BIGINT NOT NULL,
    buckets        BIGINT NOT NULL
);
