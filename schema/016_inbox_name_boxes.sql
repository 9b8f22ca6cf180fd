-- An inbox page shows each item's applicant name masked, where this node opens it (issue 15).
-- It read every item's application from the log to find the sealed name: fifty envelopes
-- parsed per page, the largest single cost of GET /v1/inbox (issue 18). The inbox keeps the
-- name's sealed box instead: ciphertext, as the log holds it, opened only with this node's
-- keys of the case, so an erasure (the keys destroyed) leaves it unreadable as it leaves the
-- log. NULL for a row projected before this column (read from the log, as before, until a
-- replay fills it) and for an application recorded in plain text.
ALTER TABLE projections.inbox_cases ADD COLUMN applicant_box text;
COMMENT ON COLUMN projections.inbox_cases.applicant_box IS
    'The sealed box of the application''s applicant name (base64, as in the event body); NULL for plain-text applications.';
