-- Timings for GET /v1/stats: each interval a centre is responsible for (review an
-- application, accept a transfer, decide, assign a lawyer, report an investigation),
-- opened and closed by events. A function of the log, like every projection.
CREATE TABLE projections.stats_intervals (
    interval_id text        NOT NULL,
    measure     text        NOT NULL,
    subject     text        NOT NULL,
    centre      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    due_at      timestamptz,
    CONSTRAINT stats_intervals_pkey PRIMARY KEY (interval_id),
    CONSTRAINT stats_intervals_measure_known CHECK (measure IN ('assess', 'accept-transfer', 'decide', 'assign-lawyer', 'report-investigation')),
    CONSTRAINT stats_intervals_end_after_start CHECK (ended_at IS NULL OR ended_at >= started_at)
);
COMMENT ON TABLE projections.stats_intervals IS
    'One row per timed step: measure, the case or investigation (subject), the centre responsible, when it '
    'started and ended (NULL while open) and when it was due. interval_id is <measure>/<subject>/<n>.';
CREATE INDEX stats_intervals_by_subject ON projections.stats_intervals (subject);
CREATE INDEX stats_intervals_by_end ON projections.stats_intervals (ended_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON projections.stats_intervals TO tongban_service;
