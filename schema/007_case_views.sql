-- The case view (`GET /v1/cases/{id}`, `/timeline` and the case page): each case's state
-- as the domain folds it, its application with personal data masked, the centres that
-- took part; each investigation request's state and case. A case's timeline is the log's
-- events of its stream and of its requests' streams.
CREATE TABLE projections.case_views (
    case_id      text   NOT NULL,
    version      bigint NOT NULL,
    phase        text   NOT NULL,
    owner        text,
    number       text,
    state        jsonb  NOT NULL,
    application  jsonb,
    participants text[] NOT NULL,
    CONSTRAINT case_views_pkey PRIMARY KEY (case_id)
);
COMMENT ON TABLE projections.case_views IS
    'One row per case: state is CaseState as JSON (version, phase, owner and number repeated as columns); '
    'application the submitted application with ID number and phone masked; participants its intake centre '
    'and both ends of its transfers.';

CREATE TABLE projections.case_investigations (
    investigation_id text  NOT NULL,
    case_id          text,
    first_position   bigint NOT NULL,
    target           text,
    state            jsonb NOT NULL,
    CONSTRAINT case_investigations_pkey PRIMARY KEY (investigation_id)
);
COMMENT ON TABLE projections.case_investigations IS 'One row per investigation request: its state as JSON, its case, and where its first event stands in the log.';
CREATE INDEX case_investigations_by_case ON projections.case_investigations (case_id, first_position);

GRANT SELECT, INSERT, UPDATE, DELETE ON projections.case_views, projections.case_investigations TO tongban_service;
