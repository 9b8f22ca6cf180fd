-- Read models built from the event log by the projector (`tongban serve`), rebuilt by
-- `tongban replay`. Every row here is a function of the log: dropping the schema and
-- replaying from position 0 gives the same rows. Times are the events' recordedAt.
CREATE SCHEMA projections;
COMMENT ON SCHEMA projections IS 'Read models projected from public.events; rebuildable by tongban replay.';

CREATE TABLE projections.checkpoints (
    projection text   NOT NULL,
    position   bigint NOT NULL,
    CONSTRAINT checkpoints_pkey PRIMARY KEY (projection),
    CONSTRAINT checkpoints_position_not_negative CHECK (position >= 0)
);
COMMENT ON TABLE projections.checkpoints IS
    'The global position each projection has applied up to; written in the same transaction as its rows.';

CREATE TABLE projections.inbox_cases (
    case_id     text    NOT NULL,
    applicant   text    NOT NULL,
    id_number   text    NOT NULL,
    urgent      boolean NOT NULL,
    number      text,
    owner       text    NOT NULL,
    CONSTRAINT inbox_cases_pkey PRIMARY KEY (case_id)
);
COMMENT ON TABLE projections.inbox_cases IS
    'What inbox items show of a case: masked applicant name and ID number, urgency, number, owning centre.';

CREATE TABLE projections.inbox_investigations (
    investigation_id text NOT NULL,
    case_id          text NOT NULL,
    requester        text NOT NULL,
    target           text NOT NULL,
    number           text,
    report_due_at    timestamptz,
    CONSTRAINT inbox_investigations_pkey PRIMARY KEY (investigation_id)
);
COMMENT ON TABLE projections.inbox_investigations IS 'The case, requester and target of each investigation request.';

CREATE TABLE projections.inbox_items (
    item_id          text        NOT NULL,
    centre           text        NOT NULL,
    kind             text        NOT NULL,
    case_id          text        NOT NULL,
    investigation_id text,
    number           text,
    applicant        text        NOT NULL,
    from_centre      text,
    received_at      timestamptz NOT NULL,
    due_at           timestamptz,
    urgent           boolean     NOT NULL,
    CONSTRAINT inbox_items_pkey PRIMARY KEY (item_id),
    CONSTRAINT inbox_items_kind_known CHECK (kind IN ('review', 'incoming-transfer', 'decide', 'assign-lawyer',
        'materials-pending', 'incoming-investigation', 'investigation-to-report', 'investigation-findings', 'returned-transfer'))
);
COMMENT ON TABLE projections.inbox_items IS
    'Each centre''s open work: one row per item, removed when the event that answers it is projected. '
    'item_id is <kind>/<case or investigation id>; overdue is computed at query time from due_at.';
-- The inbox is read per centre, oldest due first (undated last), then by item id: keyset pagination.
CREATE INDEX inbox_items_by_centre_due ON projections.inbox_items (centre, (coalesce(due_at, 'infinity'::timestamptz)), item_id);
CREATE INDEX inbox_items_by_centre_kind_due ON projections.inbox_items (centre, kind, (coalesce(due_at, 'infinity'::timestamptz)), item_id);
CREATE INDEX inbox_items_by_case ON projections.inbox_items (case_id);

GRANT USAGE ON SCHEMA projections TO tongban_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA projections TO tongban_service;
