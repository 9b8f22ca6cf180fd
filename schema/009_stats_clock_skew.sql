-- Clock skew between nodes is ordinary: a step started by an event of one node and ended by
-- an event of another whose clock is behind can end "before" it started. The statistics
-- projection records such an interval as ending at its start (duration 0) and flags it
-- here, rather than failing stats_intervals_end_after_start on every node.
ALTER TABLE projections.stats_intervals ADD COLUMN clock_skew boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN projections.stats_intervals.clock_skew IS
    'The event that ended the interval was recorded before the one that started it (the nodes'' clocks differ): '
    'ended_at is clamped to started_at.';
