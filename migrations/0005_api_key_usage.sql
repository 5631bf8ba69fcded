-- Recording when an API key was last used is bookkeeping, not a change to the key: it must not bump
-- the key's version or fill the history. The key's own triggers now fire only for its real fields.
DROP TRIGGER api_key_touch ON api_key;
DROP TRIGGER api_key_history ON api_key;
CREATE TRIGGER api_key_touch BEFORE INSERT OR UPDATE OF name, prefix, secret_hash, scopes, expires_at, revoked_at
    ON api_key FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER api_key_history AFTER INSERT OR DELETE OR UPDATE OF name, prefix, secret_hash, scopes, expires_at,
    revoked_at ON api_key FOR EACH ROW EXECUTE FUNCTION registry_history();
