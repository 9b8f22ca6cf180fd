-- Personal data on a need-to-know basis. The keys that open a record's sealed personal
-- fields are node state, never part of the log: a node holds them only for the records it
-- takes part in, and destroys them when the record is erased.
CREATE TABLE record_keys (
    record_id   text        NOT NULL,
    -- '*' for the record key (every field), else one personal field's key.
    field       text        NOT NULL,
    -- The node that made the key ('*' rows of the writing node) or granted it.
    granted_by  text        NOT NULL,
    key         bytea       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT record_keys_pkey PRIMARY KEY (record_id, field, granted_by),
    CONSTRAINT record_keys_key_is_256_bits CHECK (octet_length(key) = 32),
    CONSTRAINT record_keys_field_known CHECK (field IN ('*', 'name', 'idNumber', 'phone', 'summary', 'notes', 'investigation'))
);
COMMENT ON TABLE record_keys IS
    'Keys of sealed personal data this node holds: record_id a case (or certificate) id, field * for the '
    'record key or one personal field, granted_by the node it came from. Deleted when the record is erased.';

-- Keys this node owes a peer (a transfer, an investigation request, an auditor): sealed to
-- the recipient's encryption key, delivered by the sync worker, the sealed copy dropped once
-- delivered (what was shared with whom stays).
CREATE TABLE key_grants (
    grant_id     bigserial   NOT NULL,
    record_id    text        NOT NULL,
    recipient    text        NOT NULL,
    fields       text[]      NOT NULL,
    -- Why: the event (its id) that involved the recipient.
    cause_event  uuid        NOT NULL,
    sealed       bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    CONSTRAINT key_grants_pkey PRIMARY KEY (grant_id),
    CONSTRAINT key_grants_once UNIQUE (cause_event, recipient),
    CONSTRAINT key_grants_no_copy_once_delivered CHECK (delivered_at IS NULL OR sealed IS NULL)
);
CREATE INDEX key_grants_pending ON key_grants (recipient, grant_id) WHERE delivered_at IS NULL AND sealed IS NOT NULL;

-- How far the key custodian (grants owed, erasures carried out) has read the log.
CREATE TABLE key_custodian (
    singleton boolean NOT NULL DEFAULT true,
    position  bigint  NOT NULL,
    CONSTRAINT key_custodian_pkey PRIMARY KEY (singleton),
    CONSTRAINT key_custodian_one_row CHECK (singleton)
);
INSERT INTO key_custodian (position) VALUES (0);

-- Records erased on this node: their keys are gone and a late grant is refused.
CREATE TABLE erased_records (
    record_id      text        NOT NULL,
    erasure_event  uuid        NOT NULL,
    erased_at      timestamptz NOT NULL DEFAULT now(),
    documents      integer     NOT NULL,
    CONSTRAINT erased_records_pkey PRIMARY KEY (record_id)
);

-- Scans an erasure removes: the one way a scan leaves the documents table.
CREATE TABLE document_erasures (
    sha256        text        NOT NULL,
    record_id     text        NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_erasures_pkey PRIMARY KEY (sha256)
);

CREATE OR REPLACE FUNCTION documents_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM document_erasures WHERE sha256 = OLD.sha256) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'documents is immutable: % is refused (only an erasure removes a scan)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER documents_refuse_update_delete ON documents;
CREATE TRIGGER documents_refuse_update_delete
    BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_refuse_change();

-- Every read of personal data in plain text, by whom and why (PIPL: a record of processing).
CREATE TABLE access_log (
    access_id   bigserial   NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    staff       text        NOT NULL,
    centre      text        NOT NULL,
    role        text        NOT NULL,
    -- case, investigation, document or certificate; record_id its id; case_id the case it belongs to.
    record_kind text        NOT NULL,
    record_id   text        NOT NULL,
    case_id     text,
    purpose     text        NOT NULL,
    fields      text[]      NOT NULL,
    CONSTRAINT access_log_pkey PRIMARY KEY (access_id)
);
CREATE INDEX access_log_by_record ON access_log (record_id, access_id);
CREATE INDEX access_log_by_case ON access_log (case_id, access_id) WHERE case_id IS NOT NULL;

REVOKE ALL ON record_keys, key_grants, key_custodian, erased_records, document_erasures, access_log FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON record_keys TO tongban_service;
GRANT SELECT, INSERT, UPDATE ON key_grants TO tongban_service;
GRANT USAGE ON SEQUENCE key_grants_grant_id_seq TO tongban_service;
GRANT SELECT, UPDATE ON key_custodian TO tongban_service;
GRANT SELECT, INSERT ON erased_records, document_erasures TO tongban_service;
GRANT DELETE ON documents TO tongban_service;
GRANT SELECT, INSERT ON access_log TO tongban_service;
GRANT USAGE ON SEQUENCE access_log_access_id_seq TO tongban_service;
