/**
 * DICOM intake: the default window from the file (in the stored image's pixel scale) and where the
 * pixels came from. Identifying DICOM attributes are never stored here (see dicom/pseudonyms.ts).
 */
export const migration003 = `
ALTER TABLE cases ADD COLUMN source_format TEXT;
ALTER TABLE cases ADD COLUMN window_center REAL;
ALTER TABLE cases ADD COLUMN window_width REAL;
`
