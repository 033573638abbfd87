-- SLI events per stream in time buckets (issue 7): one-minute buckets as
-- ingested, whole hours once compacted. `start_s` is the bucket's start in
-- Unix seconds, `width_s` its length. good/total are judged by `ok` alone;
-- `latency` is the histogram of the ok raw events' latencies (varint pairs,
-- see codec.rs) so any latency threshold can be judged when reading.
-- Never edit this file once released: schema changes are new migrations.

CREATE TABLE event_buckets (
    stream  TEXT NOT NULL CHECK (stream <> ''),
    start_s INTEGER NOT NULL,
    width_s INTEGER NOT NULL CHECK (width_s > 0),
    good    INTEGER NOT NULL CHECK (good >= 0),
    total   INTEGER NOT NULL CHECK (total >= good),
    latency BLOB NOT NULL,
    PRIMARY KEY (stream, start_s)
) STRICT, WITHOUT ROWID;

-- Compaction finds the narrow buckets before a cut-off without a scan.
CREATE INDEX event_buckets_width_start ON event_buckets (width_s, start_s);

-- Ingests recorded under a key (a digest of the file): the same file
-- ingested twice is stored once.
CREATE TABLE event_ingests (
    key            TEXT PRIMARY KEY,
    recorded_at_ns INTEGER NOT NULL,
    buckets        INTEGER NOT NULL
) STRICT;
