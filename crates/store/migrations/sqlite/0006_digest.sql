-- Re-ingest detection: the SHA-256 of an ingested run's results
-- (`sha256:<hex>`, over benchmark, measure, unit and values in order; see
-- sloe_app::ingest::digest). NULL for runs that `sloe run` measured and runs
-- recorded before this migration. A run whose digest and context (commit,
-- branch, testbed, environment) match a recorded one is not recorded again
-- unless forced, so the digest is looked up, never unique.
-- Never edit this file once released: schema changes are new migrations.

ALTER TABLE runs ADD COLUMN digest TEXT;

CREATE INDEX runs_digest ON runs (digest) WHERE digest IS NOT NULL;
