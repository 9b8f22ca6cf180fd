-- The hardship certificate register as other cities look it up: by id and by the
-- holder's ID number. Status (valid, revoked, expired) is computed at query time.
CREATE TABLE projections.certificates (
    certificate_id     text        NOT NULL,
    id_number          text        NOT NULL,
    holder_name        text        NOT NULL,
    issuing_node       text        NOT NULL,
    issuing_centre     text        NOT NULL,
    issuing_event_hash text        NOT NULL,
    basis              text        NOT NULL,
    standard           text        NOT NULL,
    valid_from         timestamptz NOT NULL,
    valid_until        timestamptz NOT NULL,
    revocation_reason  text,
    CONSTRAINT certificates_pkey PRIMARY KEY (certificate_id)
);
COMMENT ON TABLE projections.certificates IS
    'One row per issued hardship certificate, with the hash of its issuing event (what a recognising '
    'application records) and its revocation, if any.';
CREATE INDEX certificates_by_id_number ON projections.certificates (id_number);

GRANT SELECT, INSERT, UPDATE, DELETE ON projections.certificates TO tongban_service;
