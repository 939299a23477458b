-- Single sign-on with OpenID Connect (issue 14, docs/security.md "Single sign-on").
-- The link of an account to the provider's subject is folded from `user_linked` on the
-- person's stream (api/people.py); one subject of one issuer names at most one account.
ALTER TABLE users
    ADD COLUMN sso_issuer text,
    ADD COLUMN sso_subject text;
CREATE UNIQUE INDEX users_sso_subject ON users (sso_issuer, sso_subject)
    WHERE sso_subject IS NOT NULL;

-- A sign-in sent to the provider and not back yet: its state (hashed, as the key), the
-- browser that started it (hashed cookie), the nonce the ID token must carry and the PKCE
-- verifier. Spent once; a callback more than ten minutes later is refused.
CREATE TABLE sso_pending (
    state_hash     text PRIMARY KEY,
    browser_hash   text NOT NULL,
    nonce          text NOT NULL,
    code_verifier  text NOT NULL,
    next_path      text NOT NULL,
    -- sign_in, or link: the signed-in person `link_name` links their account.
    purpose        text NOT NULL CHECK (purpose IN ('sign_in', 'link')),
    link_name      text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    spent_at       timestamptz
);

-- A session begun through the provider keeps what it needs to ask the provider again
-- whether the person is still there (cleared when the session ends), and when it last did.
ALTER TABLE sessions
    ADD COLUMN sso_refresh_token text,
    ADD COLUMN sso_access_token text,
    ADD COLUMN sso_checked_at timestamptz;
