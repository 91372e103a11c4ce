/**
 * Where a DICOM case came from, so its results can go back to the patient's original study in the
 * PACS: the original Study, Series and SOP Instance UIDs (and SOP Class) sealed with the local vault
 * (reid/localVault.ts), never in plaintext; the source kind and, for a pull, the PACS's configured
 * name (a label an administrator chose, not an identifier). A case imported before this version, or
 * from an NIH folder, has no row: pushing it says so.
 *
 * pacs_sr_imports remembers which CXR Lens SRs of a study this data folder already holds, by a
 * keyed hash of the SR's SOP Instance UID (dicom/pseudonyms.ts), so re-pulling never duplicates a
 * box and an SR this workstation pushed itself is never imported back as a copy of its own boxes.
 * pacs_boxes marks the boxes that came from another workstation's SR: a push sends only the boxes
 * drawn here, so the PACS never holds the same box twice under two workstations' reports.
 */
export const migration008 = `
CREATE TABLE case_sources (
  case_id INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('folder', 'pacs')),
  pacs_name TEXT,
  sealed_uids TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE pacs_sr_imports (
  sr_key TEXT PRIMARY KEY,
  origin TEXT NOT NULL CHECK (origin IN ('pushed', 'pulled')),
  case_id INTEGER REFERENCES cases(id) ON DELETE CASCADE,
  boxes INTEGER NOT NULL,
  at TEXT NOT NULL
) STRICT;
CREATE TABLE pacs_boxes (
  box_id INTEGER PRIMARY KEY REFERENCES boxes(id) ON DELETE CASCADE,
  sr_key TEXT NOT NULL REFERENCES pacs_sr_imports(sr_key)
) STRICT;
`
