-- People who may call the API. Tokens are stored only as SHA-256 hashes.
CREATE TABLE users (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role        text NOT NULL CHECK (role IN ('programme_manager', 'focal_point',
                    'head_of_administration', 'auditor', 'observer')),
    country     text CHECK (country ~ '^[A-Z]{3}$'),
    email       text,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (role NOT IN ('focal_point', 'head_of_administration') OR country IS NOT NULL)
);
CREATE INDEX users_role_country ON users (role, country) WHERE revoked_at IS NULL;
