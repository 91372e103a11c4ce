/**
 * The background analysis queue: one row per (case, model version, method) that should have its
 * probabilities and all-findings heatmaps. It is a table, not memory, so a restart resumes where
 * the last process stopped (rows left 'running' by a crash go back to 'pending' on start), and a
 * case whose image cannot be read is kept as 'failed' with its reason instead of blocking the rest.
 * `priority` orders explicit requests ("Analyse selected") before the import sweep.
 */
export const migration006 = `
CREATE TABLE analysis_queue (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  method TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
  priority INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  enqueued_at TEXT NOT NULL,
  finished_at TEXT,
  UNIQUE (case_id, model_id, model_version, method)
) STRICT;
CREATE INDEX analysis_queue_next ON analysis_queue(state, priority DESC, id);
`
