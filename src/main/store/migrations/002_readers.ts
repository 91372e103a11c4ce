/**
 * Readers: every annotation, edit and review is attributed to a reader (a radiologist or clinical
 * advisor). Attribution, not authentication: the workstation trusts its OS login for that.
 */
export const migration002 = `
CREATE TABLE readers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('radiologist', 'clinical_advisor')),
  created_at TEXT NOT NULL
) STRICT;
ALTER TABLE boxes ADD COLUMN reader_id INTEGER REFERENCES readers(id);
ALTER TABLE heatmaps ADD COLUMN reader_id INTEGER REFERENCES readers(id);
ALTER TABLE audit_log ADD COLUMN reader_id INTEGER;
CREATE INDEX boxes_reader ON boxes(reader_id, case_id) WHERE deleted_at IS NULL;
CREATE INDEX heatmaps_edited_from ON heatmaps(edited_from);
`
