-- Witnessing: signed checkpoints of origin chains (origin, origin_seq, event hash) and the
-- cosignatures of the nodes that checked them against the events they hold. Node state, not
-- part of the log: what this node signed of its own chain and what it saw of the others'.
-- A chain shorter than a confirmed checkpoint lost its newest events; two checkpoints of
-- one origin and sequence with different hashes are that origin's equivocation.
CREATE TABLE checkpoints (
    origin        text        NOT NULL,
    origin_seq    bigint      NOT NULL,
    event_hash    bytea       NOT NULL,
    -- When the origin signed it, in milliseconds since 1970 (exactly what the statement says).
    signed_at_ms  bigint      NOT NULL,
    -- Ed25519 by the origin's key over the checkpoint's statement (SignedCheckpoint).
    signature     bytea       NOT NULL,
    -- The node this one had it from first (the origin itself for its own checkpoints).
    received_from text        NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    -- This node held the origin's event at origin_seq with event_hash (and so cosigned it).
    confirmed     boolean     NOT NULL DEFAULT false,
    CONSTRAINT checkpoints_pkey PRIMARY KEY (origin, origin_seq, event_hash),
    CONSTRAINT checkpoints_seq_positive CHECK (origin_seq > 0),
    CONSTRAINT checkpoints_hash_is_sha256 CHECK (octet_length(event_hash) = 32),
    CONSTRAINT checkpoints_signature_is_ed25519 CHECK (octet_length(signature) = 64)
);
CREATE INDEX checkpoints_unconfirmed ON checkpoints (origin, origin_seq) WHERE NOT confirmed;
COMMENT ON TABLE checkpoints IS
    'Signed heads of origin chains this node signed (its own) or received with sync traffic; confirmed '
    'once this node held the named event with the named hash. Several hashes for one (origin, origin_seq) '
    'are kept as the evidence of an equivocation.';

CREATE TABLE checkpoint_cosignatures (
    origin     text        NOT NULL,
    origin_seq bigint      NOT NULL,
    event_hash bytea       NOT NULL,
    witness    text        NOT NULL,
    -- Ed25519 by the witness's key over the cosignature statement.
    signature  bytea       NOT NULL,
    CONSTRAINT checkpoint_cosignatures_pkey PRIMARY KEY (origin, origin_seq, event_hash, witness),
    CONSTRAINT checkpoint_cosignatures_of_a_checkpoint FOREIGN KEY (origin, origin_seq, event_hash)
        REFERENCES checkpoints (origin, origin_seq, event_hash) ON DELETE CASCADE,
    CONSTRAINT checkpoint_cosignatures_signature_is_ed25519 CHECK (octet_length(signature) = 64)
);
COMMENT ON TABLE checkpoint_cosignatures IS
    'Which nodes checked a checkpoint against the events they hold and countersigned it (this node among them).';

REVOKE ALL ON checkpoints, checkpoint_cosignatures FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON checkpoints, checkpoint_cosignatures TO tongban_service;

-- Key changes (NodeKeyChanged, in each node's own stream node-<id>): every node follows its
-- peers' chains of keys from these events, read at start-up without a scan of the log.
CREATE INDEX events_key_changes ON events (origin_node, origin_seq) WHERE type = 'NodeKeyChanged';
