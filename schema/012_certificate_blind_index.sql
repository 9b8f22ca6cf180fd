-- Certificates are looked up by keyed blind indexes of the holder (BlindIndex: HMAC-SHA256
-- under the federation's matching key), never by the ID number itself: a certificate issued
-- with its holder's details sealed leaves them out of the register (NULL). Rows of
-- certificates issued before sealing keep their plain ID number, name and basis, and no
-- index (the register holds no key to compute one): looked up by id_number as before.
ALTER TABLE projections.certificates
    ADD COLUMN holder_index      text,
    ADD COLUMN holder_name_index text,
    ALTER COLUMN id_number DROP NOT NULL,
    ALTER COLUMN holder_name DROP NOT NULL,
    ALTER COLUMN basis DROP NOT NULL;
COMMENT ON COLUMN projections.certificates.holder_index IS
    'Blind index of the holder''s normalised ID number (64 hex digits); NULL for a certificate issued before sealing.';
COMMENT ON COLUMN projections.certificates.holder_name_index IS
    'Blind index of the holder''s ID number and name: a lookup must match it too; NULL before sealing.';
COMMENT ON COLUMN projections.certificates.id_number IS
    'The holder''s ID number in plain text, only for certificates issued before sealing; NULL otherwise.';
CREATE INDEX certificates_by_holder_index ON projections.certificates (holder_index) WHERE holder_index IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON projections.certificates TO tongban_service;
