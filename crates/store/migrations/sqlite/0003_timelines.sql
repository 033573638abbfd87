-- Resource timelines (CPU percent and RSS over time) that `sloe run`
-- samples, one per benchmark of a run, as a JSON array of points.
-- Never edit this file once released: schema changes are new migrations.

CREATE TABLE timelines (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    benchmark TEXT NOT NULL,
    points    TEXT NOT NULL,
    PRIMARY KEY (run_id, benchmark)
) STRICT;
