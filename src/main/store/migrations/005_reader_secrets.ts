/**
 * Readers authenticate: a slow hash of each reader's secret (never the secret), an administrator
 * flag, and the count and time of failed logins for the per-reader backoff. Readers made before this
 * migration keep their id, name, role and every box and edit attributed to them; they have no secret
 * (NULL) and cannot log in until one is set from the CLI (`cxr-lens readers set-secret`).
 */
export const migration005 = `
ALTER TABLE readers ADD COLUMN secret_hash TEXT;
ALTER TABLE readers ADD COLUMN administrator INTEGER NOT NULL DEFAULT 0 CHECK (administrator IN (0, 1));
ALTER TABLE readers ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE readers ADD COLUMN last_failed_at TEXT;
`
