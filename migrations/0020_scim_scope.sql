-- Issue 13, part 3: SCIM 2.0 for identity providers. An API key may carry the `scim` scope
-- (registry.api.scim: /scim/v2/Users and /scim/v2/Groups).
ALTER TABLE api_key DROP CONSTRAINT api_key_scopes_check;
ALTER TABLE api_key ADD CONSTRAINT api_key_scopes_check
    CHECK (scopes <@ ARRAY['check', 'record', 'read', 'write', 'admin', 'scim']);
