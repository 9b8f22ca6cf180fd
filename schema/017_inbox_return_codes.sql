-- A transfer sent back carries a coded reason (wrong-jurisdiction, conflict-of-interest,
-- not-eligible-locally, duplicate, other; issue 16), shown in the sender's returned-transfer
-- item. NULL for every other item and for a return recorded before codes were asked; a
-- rebuild gives the same NULLs, so the projection needs no replay.
ALTER TABLE projections.inbox_items ADD COLUMN reason_code text;
COMMENT ON COLUMN projections.inbox_items.reason_code IS
    'For a returned-transfer item: the return''s reason code; NULL otherwise and for returns recorded before codes.';
