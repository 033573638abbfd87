-- Measurement rounds: when `sloe run` confirms a suspect benchmark, a
-- series holds several rounds of the same number of samples, one after the
-- other; round_size is that number (NULL: one round, as every series before
-- this migration). The regression test judges each round as a run.
-- Never edit this file once released: schema changes are new migrations.

ALTER TABLE results ADD COLUMN round_size INTEGER
    CHECK (round_size IS NULL OR (round_size > 0 AND n % round_size = 0));
