-- The node's event log: every event this node authored or imported, as it was signed.
--
-- Roles (created by whoever sets up the cluster, see README):
--   the owner runs these migrations and owns the tables;
--   tongban_service is what `tongban serve` connects as: it may read and insert, nothing else.

CREATE TABLE events (
    global_position bigint      NOT NULL,
    event_id        uuid        NOT NULL,
    origin_node     text        NOT NULL,
    origin_seq      bigint      NOT NULL,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    type            text        NOT NULL,
    schema_version  integer     NOT NULL,
    recorded_at     timestamptz NOT NULL,
    actor_centre    text,
    actor_staff     text        NOT NULL,
    envelope        bytea       NOT NULL,
    prev_hash       bytea       NOT NULL,
    hash            bytea       NOT NULL,
    signature       bytea       NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    quarantine_reason text,
    CONSTRAINT events_pkey PRIMARY KEY (global_position),
    CONSTRAINT events_global_position_positive CHECK (global_position > 0),
    CONSTRAINT events_event_id_unique UNIQUE (event_id),
    CONSTRAINT events_origin_seq_unique UNIQUE (origin_node, origin_seq),
    CONSTRAINT events_origin_seq_positive CHECK (origin_seq > 0),
    CONSTRAINT events_stream_version_positive CHECK (stream_version > 0),
    CONSTRAINT events_hash_is_sha256 CHECK (octet_length(hash) = 32 AND octet_length(prev_hash) = 32),
    CONSTRAINT events_signature_is_ed25519 CHECK (octet_length(signature) = 64)
);

COMMENT ON TABLE events IS
    'Immutable log of case events. envelope holds the exact canonical JSON bytes that were hashed '
    '(hash = SHA-256(envelope)) and signed by origin_node (signature = Ed25519 over hash); the other '
    'columns are copies of envelope fields for queries. global_position is 1..n in commit order.';
COMMENT ON COLUMN events.quarantine_reason IS
    'Set at import when the origin was not allowed to write this stream at this version: the event '
    'stays in its origin''s chain but is not part of its stream and projections skip it.';

-- Each stream is numbered 1..n by its accepted events; quarantined events do not take a number.
CREATE UNIQUE INDEX events_stream_version_unique
    ON events (stream_id, stream_version) WHERE quarantine_reason IS NULL;

CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is immutable: % on events is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- What an operator reads in psql: the envelope as JSON.
CREATE VIEW events_readable AS
    SELECT global_position, origin_node, origin_seq, stream_id, stream_version, type,
           recorded_at, received_at, quarantine_reason,
           convert_from(envelope, 'UTF8')::jsonb AS envelope,
           encode(hash, 'hex') AS hash
    FROM events;
COMMENT ON VIEW events_readable IS 'The events table with its signed envelope decoded, for operators.';

REVOKE ALL ON events, events_readable FROM PUBLIC;
GRANT SELECT, INSERT ON events TO tongban_service;
GRANT SELECT ON events_readable TO tongban_service;
