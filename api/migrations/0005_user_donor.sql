-- An observer's donor scope (issue 16): the person sees only the plans that donor funds.
-- NULL: not scoped by donor. Folded from the user-<name> stream (`donor` on user_invited
-- and user_role_changed, api/people.py); same pattern as a plan's donor codes.
ALTER TABLE users ADD COLUMN donor text CHECK (donor ~ '^[a-z][a-z0-9_]{1,31}$');
