-- Scans of applicants' documents, addressed by the SHA-256 the events name them by.
CREATE TABLE documents (
    sha256      text        NOT NULL,
    media_type  text        NOT NULL,
    content     bytea       NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT documents_pkey PRIMARY KEY (sha256),
    CONSTRAINT documents_sha256_is_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT documents_content_matches_hash CHECK (encode(sha256(content), 'hex') = sha256)
);

COMMENT ON TABLE documents IS
    'Document scans by fingerprint: sha256 is the lowercase hex SHA-256 of content (checked), the '
    'value the case events record. A scan is stored once and never changed.';

-- The immutability trigger now serves two tables: name the table in its refusal.
CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is immutable: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER documents_refuse_update_delete
    BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER documents_refuse_truncate
    BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

REVOKE ALL ON documents FROM PUBLIC;
GRANT SELECT, INSERT ON documents TO tongban_service;

-- /ready compares the applied migrations with the ones the code expects.
GRANT SELECT ON schema_migrations TO tongban_service;
