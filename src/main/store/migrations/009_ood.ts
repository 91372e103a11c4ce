/**
 * Out-of-distribution warnings (issue 18). `prediction_ood`: per case and model version, the model's
 * own in-distribution score (Mahalanobis distance of the pooled features, or the logits' joint energy)
 * with the threshold it was judged against, written in the same transaction as the probabilities.
 * `cases.acquisition_flag`: why the image's own header says it is not a frontal chest film (a DICOM
 * ViewPosition of LL/RL/LATERAL, a BodyPartExamined other than CHEST), set at import, before any
 * model runs. A null score is a model output that was not a finite number (flagged).
 */
export const migration009 = `
CREATE TABLE prediction_ood (
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('mahalanobis', 'energy')),
  score REAL,
  threshold REAL NOT NULL,
  flagged INTEGER NOT NULL CHECK (flagged IN (0, 1)),
  created_at TEXT NOT NULL,
  PRIMARY KEY (case_id, model_id, model_version),
  FOREIGN KEY (model_id, model_version) REFERENCES models(id, version)
) STRICT;
ALTER TABLE cases ADD COLUMN acquisition_flag TEXT;
`
