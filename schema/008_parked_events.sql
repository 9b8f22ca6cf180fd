-- Invariant 10: an event a projection cannot apply is parked, not retried forever. The
-- table lives in the projections schema beside the checkpoints, so a rebuild re-creates it
-- and parks the same events: its rows are a function of the log like every other row here
-- (no time of parking, which a rebuild could not reproduce). Written in the transaction
-- that moves the projection's checkpoint past the event; `tongban projections retry`
-- deletes the rows of the events that now apply.
CREATE TABLE projections.parked_events (
    projection  text   NOT NULL,
    position    bigint NOT NULL,
    event_id    uuid   NOT NULL,
    stream_id   text   NOT NULL,
    case_stream text,
    type        text   NOT NULL,
    reason      text   NOT NULL,
    behind      bigint,
    CONSTRAINT parked_events_pkey PRIMARY KEY (projection, position),
    CONSTRAINT parked_events_behind_earlier CHECK (behind IS NULL OR behind < position)
);
COMMENT ON TABLE projections.parked_events IS
    'Events a projection skipped because it could not apply them: the global position, event id, stream '
    'and type; case_stream the case an investigation request names; reason what refused it. behind is set '
    'when the event itself was not tried: an earlier event of its stream (or of the case a request names) '
    'is parked at that position, and applying a later one first would fold the stream out of order.';
CREATE INDEX parked_events_by_stream ON projections.parked_events (projection, stream_id);
CREATE INDEX parked_events_by_case ON projections.parked_events (projection, case_stream) WHERE case_stream IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON projections.parked_events TO tongban_service;
