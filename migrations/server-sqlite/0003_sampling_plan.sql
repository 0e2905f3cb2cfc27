-- A round's sampling plan: which fields of its form name a cluster (the primary sampling unit:
-- a village, a ward) and how many interviews each cluster should yield, so the dashboard can
-- show fieldwork against it. Unlike the round, a plan changes during fieldwork (a village is
-- swapped, a target raised): setting it again replaces it.
CREATE TABLE sampling_plan (
    round_id        TEXT PRIMARY KEY REFERENCES round (id),
    -- JSON array of field names, e.g. ["municipality", "ward"].
    cluster_fields  TEXT NOT NULL,
    -- The target of a cluster the plan does not list.
    per_cluster     INTEGER NOT NULL CHECK (per_cluster >= 0),
    -- JSON array of [cluster, target]: the clusters drawn for the sample, each with its target.
    planned         TEXT NOT NULL,
    set_at          TEXT NOT NULL
);
