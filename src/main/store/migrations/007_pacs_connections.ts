/**
 * PACS connections added in the app or the CLI (those of the machine policy stay in the policy
 * file). The secret (a password or a bearer token) is stored only sealed by the installation's
 * local vault (src/main/reid/localVault.ts, context `pacs-secret:NAME`), whose key lives beside
 * the database, never in it: the database, its backups and diagnostics hold no plaintext secret.
 */
export const migration007 = `
CREATE TABLE pacs_connections (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  url TEXT NOT NULL,
  auth TEXT NOT NULL CHECK (auth IN ('none', 'basic', 'bearer')),
  user_name TEXT,
  secret_sealed TEXT,
  created_at TEXT NOT NULL,
  CHECK ((auth = 'none') = (secret_sealed IS NULL)),
  CHECK ((auth = 'basic') = (user_name IS NOT NULL))
) STRICT;
`
