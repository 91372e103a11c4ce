/**
 * Initial schema. STRICT tables so a wrong type is an error, not a silent coercion. Coordinates are
 * REAL image pixels of the stored image. The audit log is append-only, enforced by triggers, so no
 * code path (or careless SQL) can rewrite history.
 */
export const migration001 = `
CREATE TABLE patients (
  id INTEGER PRIMARY KEY,
  pseudo_id TEXT NOT NULL UNIQUE,
  sex TEXT,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  image_name TEXT NOT NULL,
  patient_id INTEGER REFERENCES patients(id),
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  format TEXT NOT NULL,
  width INTEGER NOT NULL CHECK (width > 0),
  height INTEGER NOT NULL CHECK (height > 0),
  bit_depth INTEGER,
  channels INTEGER,
  view TEXT,
  age INTEGER,
  sex TEXT,
  follow_up INTEGER,
  original_width INTEGER,
  original_height INTEGER,
  pixel_spacing_x REAL,
  pixel_spacing_y REAL,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_review', 'reviewed')),
  -- Live (not deleted) boxes, kept by the triggers below so the worklist can filter and sort on it
  -- at 100k+ cases without counting boxes per row.
  box_count INTEGER NOT NULL DEFAULT 0,
  -- OR of finding_bits over the case's labels, kept by triggers: lets the worklist filter on a finding
  -- with one covering-index scan instead of 60k row lookups.
  finding_mask INTEGER NOT NULL DEFAULT 0,
  imported_at TEXT NOT NULL
) STRICT;
-- One index per worklist sort key, each ending in (image_name, rowid) for a stable tie-break and
-- covering the filter columns, so a filtered, sorted page is one index walk without row lookups.
CREATE INDEX cases_worklist ON cases(image_name, status, box_count, finding_mask);
CREATE INDEX cases_status ON cases(status, image_name, box_count, finding_mask);
CREATE INDEX cases_imported ON cases(imported_at, image_name, status, box_count, finding_mask);
CREATE INDEX cases_age ON cases(age, image_name, status, box_count, finding_mask);
CREATE INDEX cases_box_count ON cases(box_count, image_name, status, finding_mask);
CREATE INDEX cases_patient ON cases(patient_id);

CREATE TABLE finding_bits (
  finding TEXT PRIMARY KEY,
  bit INTEGER NOT NULL UNIQUE CHECK (bit BETWEEN 0 AND 62)
) STRICT;
INSERT INTO finding_bits (finding, bit) VALUES ('No Finding', 0), ('Atelectasis', 1), ('Cardiomegaly', 2),
  ('Effusion', 3), ('Infiltration', 4), ('Mass', 5), ('Nodule', 6), ('Pneumonia', 7), ('Pneumothorax', 8),
  ('Consolidation', 9), ('Edema', 10), ('Emphysema', 11), ('Fibrosis', 12), ('Pleural_Thickening', 13), ('Hernia', 14);

CREATE TABLE thumbnails (
  case_id INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
  mime TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  data BLOB NOT NULL
) STRICT;

CREATE TABLE labels (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  finding TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('dataset', 'reader')),
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (case_id, finding, source, author)
) STRICT;
CREATE INDEX labels_finding ON labels(finding, case_id);
CREATE TRIGGER labels_mask_insert AFTER INSERT ON labels BEGIN
  UPDATE cases SET finding_mask = finding_mask | COALESCE((SELECT 1 << bit FROM finding_bits WHERE finding = NEW.finding), 0)
  WHERE id = NEW.case_id;
END;
CREATE TRIGGER labels_mask_delete AFTER DELETE ON labels BEGIN
  UPDATE cases SET finding_mask = (SELECT COALESCE(sum(b), 0) FROM (SELECT DISTINCT 1 << fb.bit AS b FROM labels l
    JOIN finding_bits fb ON fb.finding = l.finding WHERE l.case_id = OLD.case_id))
  WHERE id = OLD.case_id;
END;

CREATE TABLE boxes (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  finding TEXT NOT NULL,
  x REAL NOT NULL,
  y REAL NOT NULL,
  w REAL NOT NULL CHECK (w > 0),
  h REAL NOT NULL CHECK (h > 0),
  source TEXT NOT NULL CHECK (source IN ('dataset', 'reader')),
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
) STRICT;
CREATE INDEX boxes_case ON boxes(case_id) WHERE deleted_at IS NULL;
-- Re-importing the same NIH box list must not add a box twice.
CREATE UNIQUE INDEX boxes_dataset_once ON boxes(case_id, finding, x, y, w, h) WHERE source = 'dataset';
CREATE TRIGGER boxes_count_insert AFTER INSERT ON boxes WHEN NEW.deleted_at IS NULL
  BEGIN UPDATE cases SET box_count = box_count + 1 WHERE id = NEW.case_id; END;
CREATE TRIGGER boxes_count_delete AFTER DELETE ON boxes WHEN OLD.deleted_at IS NULL
  BEGIN UPDATE cases SET box_count = box_count - 1 WHERE id = OLD.case_id; END;
CREATE TRIGGER boxes_count_soft_delete AFTER UPDATE OF deleted_at ON boxes
  WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
  BEGIN UPDATE cases SET box_count = box_count + (CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END) WHERE id = NEW.case_id; END;

CREATE TABLE models (
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  manifest TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  PRIMARY KEY (id, version)
) STRICT;

CREATE TABLE predictions (
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  finding TEXT NOT NULL,
  probability REAL NOT NULL CHECK (probability >= 0 AND probability <= 1),
  created_at TEXT NOT NULL,
  PRIMARY KEY (case_id, model_id, model_version, finding),
  FOREIGN KEY (model_id, model_version) REFERENCES models(id, version)
) STRICT;

CREATE TABLE heatmaps (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  finding TEXT NOT NULL,
  method TEXT NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  dtype TEXT NOT NULL DEFAULT 'float32',
  data BLOB NOT NULL,
  edited_from INTEGER REFERENCES heatmaps(id),
  author TEXT,
  created_at TEXT NOT NULL,
  FOREIGN KEY (model_id, model_version) REFERENCES models(id, version)
) STRICT;
CREATE INDEX heatmaps_lookup ON heatmaps(case_id, model_id, model_version, finding, method);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  case_id INTEGER,
  detail TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX audit_case ON audit_log(case_id, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`
