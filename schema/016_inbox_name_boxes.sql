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

-- Rows projected before this column have no box, and a rebuild would fill them in: the inbox
-- starts again from the log, so that the live projection is what a replay builds (invariant 7).
-- The node's projector rebuilds it when it starts; until it has caught up a centre's inbox
-- shows the items applied so far.
TRUNCATE projections.inbox_items, projections.inbox_cases, projections.inbox_investigations;
DELETE FROM projections.parked_events WHERE projection = 'inbox';
DELETE FROM projections.checkpoints WHERE projection = 'inbox';
