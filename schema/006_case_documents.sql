-- The scans each record (a case, an investigation) refers to and the centres that take
-- part in it: a node fetches from its peers, in the background, the scans of the records
-- its own centres take part in, so they are there before anyone opens them.
CREATE TABLE projections.record_documents (
    record_id  text NOT NULL,
    sha256     text NOT NULL,
    media_type text NOT NULL,
    CONSTRAINT record_documents_pkey PRIMARY KEY (record_id, sha256)
);
COMMENT ON TABLE projections.record_documents IS
    'One row per scan a case (by case id) or an investigation (by investigation id) refers to.';

CREATE TABLE projections.record_participants (
    record_id text NOT NULL,
    centre    text NOT NULL,
    CONSTRAINT record_participants_pkey PRIMARY KEY (record_id, centre)
);
COMMENT ON TABLE projections.record_participants IS
    'The centres that take part in a record: a case''s intake centre, both ends of its transfers '
    'and the centres it asked to investigate; an investigation''s requesting and requested centres.';
CREATE INDEX record_participants_by_centre ON projections.record_participants (centre, record_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON projections.record_documents, projections.record_participants TO tongban_service;
