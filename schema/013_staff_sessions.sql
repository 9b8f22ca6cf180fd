-- Staff access that this node alone keeps (node state, never part of the log): the staff
-- tokens and staff members it no longer accepts, and the page sessions of its web pages.
-- The node reads these tables on every staff request, so a revocation holds at once.

-- Staff tokens revoked one by one (`tongban token revoke --jti`), by their `jti` claim.
CREATE TABLE revoked_tokens (
    -- A UUID in lowercase, exactly as the token's jti claim spells it.
    jti        text        NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT revoked_tokens_pkey PRIMARY KEY (jti),
    CONSTRAINT revoked_tokens_jti_is_uuid CHECK (jti ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
);
COMMENT ON TABLE revoked_tokens IS
    'Staff tokens this node refuses although their signature and lifetime are good: jti the token''s id. '
    'Every page session signed in with such a token is refused with it.';

-- Every token of one staff member at one centre issued up to a moment
-- (`tongban token revoke --staff --centre`); tokens issued later are accepted again. Rows
-- are only ever added: a revocation cannot be taken back, only outlived by new tokens.
CREATE TABLE revoked_staff (
    centre         text        NOT NULL,
    staff          text        NOT NULL,
    -- A token whose iat is at or before this is refused (iat has whole seconds).
    revoked_before timestamptz NOT NULL,
    CONSTRAINT revoked_staff_pkey PRIMARY KEY (centre, staff, revoked_before)
);
COMMENT ON TABLE revoked_staff IS
    'Staff members whose tokens this node refuses when issued at or before revoked_before, and every page '
    'session signed in with one of them.';

-- A page session: minted when a staff member signs in on the web pages with a token, ended
-- by signing out, by its idle or absolute limit, or by revoking the token it came from.
CREATE TABLE page_sessions (
    -- SHA-256 of the session's secret, which only the browser's cookie holds.
    session_hash    bytea       NOT NULL,
    -- The token the session was signed in with, and what it named.
    jti             text        NOT NULL,
    centre          text        NOT NULL,
    staff           text        NOT NULL,
    role            text        NOT NULL,
    token_issued_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    -- The absolute end: a few hours after sign-in, never after the token's expiry.
    expires_at      timestamptz NOT NULL,
    CONSTRAINT page_sessions_pkey PRIMARY KEY (session_hash),
    CONSTRAINT page_sessions_hash_is_sha256 CHECK (octet_length(session_hash) = 32),
    CONSTRAINT page_sessions_jti_is_uuid CHECK (jti ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    CONSTRAINT page_sessions_role_known CHECK (role IN ('staff', 'supervisor', 'auditor')),
    CONSTRAINT page_sessions_ends_after_start CHECK (expires_at > created_at AND last_seen_at >= created_at)
);
COMMENT ON TABLE page_sessions IS
    'Signed-in sessions of the staff pages: session_hash the SHA-256 of the cookie''s secret (the secret is '
    'not stored), the token (jti) and staff member it was signed in with, last_seen_at for the idle limit, '
    'expires_at the absolute one. Deleted on sign-out; refused once its token or staff member is revoked.';
CREATE INDEX page_sessions_by_token ON page_sessions (jti, created_at);
CREATE INDEX page_sessions_by_expiry ON page_sessions (expires_at);

-- The service role may add revocations (tongban token revoke with the node's own URL) but
-- never remove one.
GRANT SELECT, INSERT ON revoked_tokens, revoked_staff TO tongban_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON page_sessions TO tongban_service;
