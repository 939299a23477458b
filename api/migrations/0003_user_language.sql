-- The language a person reads the dashboard and their e-mails in (issue 17). NULL: not
-- chosen, so the deployment's default (ACIP_DEFAULT_LANGUAGE) applies; the value is one of
-- locales.catalogs.LANGUAGES, checked by the code that sets it (a new language needs no
-- migration).
ALTER TABLE users ADD COLUMN language text CHECK (language ~ '^[a-z]{2,3}$');
