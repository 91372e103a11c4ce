/** Pooled backbone activations per model file and case, so fine-tuning reruns skip the backbone. */
export const migration004 = `
CREATE TABLE feature_cache (
  model_sha256 TEXT NOT NULL,
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  data BLOB NOT NULL,
  PRIMARY KEY (model_sha256, case_id)
) STRICT;
`
