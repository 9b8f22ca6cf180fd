-- A printed letter carries the hash of the event it was rendered from as its verification
-- code, and GET /verify/{hash} on any node, open to anyone holding the letter, looks the
-- event up by it (issue 16): an index, so that the lookup costs the same however long the
-- log grows and an unauthenticated caller cannot make the node scan it.
CREATE INDEX events_by_hash ON events (hash);
