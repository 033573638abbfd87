-- SLI event ingests keyed by what they hold (issue 15), replacing the
-- digest of a file's bytes (`event_ingests`, kept for the keys it holds):
-- `digest` is the SHA-256 running over the input's records normalised to
-- their parsed content (`sha256:<hex>`, see sloe_app::slo::ingest), after
-- `records` records; `first` the same digest after the first record alone,
-- so a later input that starts alike (a grown log) finds the ingests it may
-- extend. An input whose first N records have the digest of an earlier
-- ingest of N records adds only the rest; an input whose (digest, records)
-- is here adds nothing unless forced.
-- Never edit this file once released: schema changes are new migrations.

CREATE TABLE event_inputs (
    digest         TEXT NOT NULL,
    records        BIGINT NOT NULL CHECK (records > 0),
    first          TEXT NOT NULL,
    recorded_at_ns BIGINT NOT NULL,
    buckets        BIGINT NOT NULL,
    PRIMARY KEY (digest, records)
);

CREATE INDEX event_inputs_first ON event_inputs (first, records);
