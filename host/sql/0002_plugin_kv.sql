-- Per-instance key-value storage for plugins (bw_host.kv_*), scoped to the
-- tenant and the plugin id, so state survives a reload to a new version.
-- expires_at is business time (the host clock).
CREATE TABLE plugin_kv (
    tenant_id   text NOT NULL,
    plugin_id   text NOT NULL,
    key         text NOT NULL,
    value       bytea NOT NULL,
    expires_at  timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, plugin_id, key)
);
CREATE INDEX plugin_kv_expiry ON plugin_kv (expires_at) WHERE expires_at IS NOT NULL;
