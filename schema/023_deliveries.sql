-- Proof of delivery (送达, issue 16): each transfer of a case to a centre and each
-- investigation requested of one, and the receipt its node records when the request
-- arrives and when its staff first open it. One row per request, keyed by the record's
-- stream, the request event's stream version (the same on every node) and its recipient;
-- the request and its receipt may be projected in either order. A receipt naming another
-- centre than the request's recipient (none is shown) keeps a row of its own, which cannot
-- hide the recipient's.
CREATE TABLE projections.deliveries (
    record          text        NOT NULL,
    request_version bigint      NOT NULL,
    kind            text        NOT NULL,
    case_id         text,
    sender          text,
    recipient       text        NOT NULL,
    requested_at    timestamptz,
    answered        boolean     NOT NULL DEFAULT false,
    delivered_at    timestamptz,
    delivered_hash  text,
    opened_at       timestamptz,
    opened_by       text,
    opened_hash     text,
    CONSTRAINT deliveries_pkey PRIMARY KEY (record, request_version, recipient),
    CONSTRAINT deliveries_kind_known CHECK (kind IN ('transfer', 'investigation'))
);
COMMENT ON TABLE projections.deliveries IS
    'One row per request sent to a centre (a transfer, an investigation request): its sender and recipient, '
    'whether it was answered, and the receipt the recipient''s node recorded: delivered and first opened, with times and event hashes.';
-- What a node's clerk still has to record: requests to its centres, unanswered, not yet delivered.
CREATE INDEX deliveries_undelivered ON projections.deliveries (recipient) WHERE delivered_at IS NULL AND NOT answered;
CREATE INDEX deliveries_by_case ON projections.deliveries (case_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON projections.deliveries TO tongban_service;

-- The case view now holds the deliveries of requests already made, and counts each
-- investigation's extensions granted and asked: it is emptied here and rebuilt from the log
-- by the projector on the next start, so live and rebuilt rows stay equal (as 020 did for
-- the inbox). Reads of a case answer 503 until the rebuild is within reach.
DELETE FROM projections.case_views;
DELETE FROM projections.case_investigations;
DELETE FROM projections.parked_events WHERE projection = 'case-views';
DELETE FROM projections.checkpoints WHERE projection = 'case-views';
-- A roster's events were parked by every projection as unreadable; none reads them, and a
-- rebuild parks none.
DELETE FROM projections.parked_events WHERE stream_id LIKE 'roster-%';
