-- People sign in as themselves (docs/security.md). The users table becomes the read model of
-- the user-<name> streams (api/people.py folds them into it); the secrets live here beside
-- it, never in an event: password and TOTP in credentials, tokens, sessions and one-time
-- links only as SHA-256 hashes.
ALTER TABLE users ALTER COLUMN token_hash DROP NOT NULL;
ALTER TABLE users
    ADD COLUMN status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('invited', 'active', 'deactivated')),
    ADD COLUMN second_factor text,
    ADD COLUMN stream_version integer NOT NULL DEFAULT 0;

CREATE TABLE credentials (
    name              text PRIMARY KEY,
    password_hash     text,
    totp_secret       text,
    totp_pending      text,
    recovery_hashes   text[] NOT NULL DEFAULT '{}',
    last_totp_step    bigint NOT NULL DEFAULT 0
);

CREATE TABLE access_tokens (
    token_id      uuid PRIMARY KEY,
    name          text NOT NULL,
    label         text NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    addresses     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX access_tokens_name ON access_tokens (name);

CREATE TABLE sessions (
    id_hash           text PRIMARY KEY,
    name              text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    second_factor_at  timestamptz,
    address           text NOT NULL DEFAULT '',
    user_agent        text NOT NULL DEFAULT '',
    -- A session begun with an access token keeps that token's scopes; NULL: the role's.
    token_scopes      text[],
    ended_at          timestamptz
);
CREATE INDEX sessions_name ON sessions (name) WHERE ended_at IS NULL;

-- One-time links sent by e-mail: an invitation or a password reset.
CREATE TABLE account_links (
    link_hash   text PRIMARY KEY,
    name        text NOT NULL,
    purpose     text NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX account_links_name ON account_links (name);
