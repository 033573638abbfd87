-- Environment fingerprints: the machine (CPU model, logical cores, memory),
-- OS, kernel and the toolchains a harness reports, as the JSON of
-- sloe_core::Fingerprint. NULL for runs recorded before this migration:
-- their environment is unknown, and baselines keep them.
-- Never edit this file once released: schema changes are new migrations.

ALTER TABLE runs ADD COLUMN fingerprint TEXT;
