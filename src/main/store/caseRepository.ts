import type { CaseStatus } from '../../shared/domain'
import type { Db } from './database'

export interface NewCase {
  imageName: string
  patientId: number | null
  path: string
  sha256: string
  format: string
  width: number
  height: number
  bitDepth: number | null
  channels: number | null
  view: string | null
  age: number | null
  sex: string | null
  followUp: number | null
  originalWidth: number | null
  originalHeight: number | null
  pixelSpacingX: number | null
  pixelSpacingY: number | null
  importedAt: string
  /** 'dicom' when the stored PNG was derived from a DICOM file */
  sourceFormat?: string | null
  windowCenter?: number | null
  windowWidth?: number | null
  /** why the image's header says it is not a frontal chest film (see acquisitionCheck.ts); null when it does not */
  acquisitionFlag?: string | null
}

export interface CaseRecord extends NewCase {
  id: number
  status: CaseStatus
  patientPseudoId: string | null
}

const CASE_COLUMNS = `c.id, c.image_name AS imageName, c.patient_id AS patientId, c.path, c.sha256, c.format,
  c.width, c.height, c.bit_depth AS bitDepth, c.channels, c.view, c.age, c.sex, c.follow_up AS followUp,
  c.original_width AS originalWidth, c.original_height AS originalHeight,
  c.pixel_spacing_x AS pixelSpacingX, c.pixel_spacing_y AS pixelSpacingY, c.status,
  c.imported_at AS importedAt, p.pseudo_id AS patientPseudoId, c.source_format AS sourceFormat,
  c.window_center AS windowCenter, c.window_width AS windowWidth, c.acquisition_flag AS acquisitionFlag`

export class CaseRepository {
  private readonly insertStmt
  private readonly bySha
  private readonly byId
  private readonly byName
  private readonly upsertPatient
  private readonly patientByPseudo
  private readonly insertThumb
  private readonly thumbById
  private readonly statusStmt

  constructor(db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO cases (image_name, patient_id, path, sha256, format, width, height,
      bit_depth, channels, view, age, sex, follow_up, original_width, original_height, pixel_spacing_x,
      pixel_spacing_y, imported_at, source_format, window_center, window_width, acquisition_flag) VALUES (@imageName, @patientId, @path, @sha256,
      @format, @width, @height, @bitDepth, @channels, @view, @age, @sex, @followUp, @originalWidth, @originalHeight, @pixelSpacingX,
      @pixelSpacingY, @importedAt, @sourceFormat, @windowCenter, @windowWidth, @acquisitionFlag)`)
    this.bySha = db.prepare(`SELECT ${CASE_COLUMNS} FROM cases c LEFT JOIN patients p ON p.id = c.patient_id WHERE c.sha256 = ?`)
    this.byId = db.prepare(`SELECT ${CASE_COLUMNS} FROM cases c LEFT JOIN patients p ON p.id = c.patient_id WHERE c.id = ?`)
    this.byName = db.prepare(
      `SELECT ${CASE_COLUMNS} FROM cases c LEFT JOIN patients p ON p.id = c.patient_id WHERE c.image_name = ? ORDER BY c.id`,
    )
    this.upsertPatient = db.prepare(`INSERT INTO patients (pseudo_id, sex, created_at) VALUES (?, ?, ?)
      ON CONFLICT (pseudo_id) DO UPDATE SET sex = COALESCE(patients.sex, excluded.sex) RETURNING id`)
    this.patientByPseudo = db.prepare('SELECT id FROM patients WHERE pseudo_id = ?')
    this.insertThumb = db.prepare('INSERT OR REPLACE INTO thumbnails (case_id, mime, width, height, data) VALUES (?, ?, ?, ?, ?)')
    this.thumbById = db.prepare('SELECT mime, data FROM thumbnails WHERE case_id = ?')
    this.statusStmt = db.prepare('UPDATE cases SET status = ? WHERE id = ?')
  }

  insert(record: NewCase): number {
    return Number(
      this.insertStmt.run({ sourceFormat: null, windowCenter: null, windowWidth: null, acquisitionFlag: null, ...record }).lastInsertRowid,
    )
  }

  findBySha(sha256: string): CaseRecord | undefined {
    return this.bySha.get(sha256) as CaseRecord | undefined
  }

  get(id: number): CaseRecord | undefined {
    return this.byId.get(id) as CaseRecord | undefined
  }

  findByImageName(imageName: string): CaseRecord[] {
    return this.byName.all(imageName) as CaseRecord[]
  }

  /** Pseudonymous patient id as the source data gives it (NIH ids are already pseudonymous). */
  ensurePatient(pseudoId: string, sex: string | null, at: string): number {
    const row = this.upsertPatient.get(pseudoId, sex, at) as { id: number } | undefined
    return row?.id ?? (this.patientByPseudo.get(pseudoId) as { id: number }).id
  }

  putThumbnail(caseId: number, mime: string, width: number, height: number, data: Uint8Array): void {
    this.insertThumb.run(caseId, mime, width, height, data)
  }

  thumbnail(caseId: number): { mime: string; data: Uint8Array } | undefined {
    return this.thumbById.get(caseId) as { mime: string; data: Uint8Array } | undefined
  }

  setStatus(caseId: number, status: CaseStatus): void {
    this.statusStmt.run(status, caseId)
  }
}
