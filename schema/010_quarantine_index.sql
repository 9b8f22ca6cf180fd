-- Quarantined events are few and read often (`/metrics` and `/v1/sync/status` count them at
-- every scrape, `tongban verify` lists them): a partial index keeps that count proportional
-- to the quarantine, not to the whole log.
CREATE INDEX IF NOT EXISTS events_quarantined ON events (global_position) WHERE quarantine_reason IS NOT NULL;
