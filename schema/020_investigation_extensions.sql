-- Cooperation deadlines (issue 16): the requested centre may ask to extend an investigation's
-- due date and the requester grants or refuses. The requester now sees its open requests
-- (awaiting-findings, so an overdue one shows on both sides) and each extension to decide
-- (extension-request); both ends' items show the latest extension's state.
ALTER TABLE projections.inbox_items DROP CONSTRAINT inbox_items_kind_known;
ALTER TABLE projections.inbox_items ADD CONSTRAINT inbox_items_kind_known CHECK (kind IN ('review', 'incoming-transfer', 'decide',
    'assign-lawyer', 'materials-pending', 'incoming-investigation', 'investigation-to-report', 'investigation-findings',
    'returned-transfer', 'awaiting-findings', 'extension-request'));
ALTER TABLE projections.inbox_items ADD COLUMN extension_state text;
COMMENT ON COLUMN projections.inbox_items.extension_state IS
    'For an open investigation''s items: its latest extension, requested, granted or refused; NULL otherwise.';

-- The requester's items of requests already open exist only in a rebuild: the inbox is
-- emptied here and rebuilt from the log by the projector on the next start, so live and
-- rebuilt rows stay equal.
DELETE FROM projections.inbox_items;
DELETE FROM projections.inbox_investigations;
DELETE FROM projections.inbox_cases;
DELETE FROM projections.parked_events WHERE projection = 'inbox';
DELETE FROM projections.checkpoints WHERE projection = 'inbox';
