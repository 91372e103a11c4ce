import type { Db } from './database'

/**
 * CXR Lens SRs this data folder holds the boxes of (migration 008), keyed by a keyed hash of the SR's
 * SOP Instance UID: 'pushed' (sent from here) or 'pulled' (imported from the PACS).
 */
export class SrImportRepository {
  private readonly insert
  private readonly byKey
  private readonly markBox
  private readonly pulledOf

  constructor(db: Db) {
    this.insert = db.prepare(`INSERT INTO pacs_sr_imports (sr_key, origin, case_id, boxes, at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (sr_key) DO NOTHING`)
    this.byKey = db.prepare('SELECT 1 FROM pacs_sr_imports WHERE sr_key = ?')
    this.markBox = db.prepare('INSERT INTO pacs_boxes (box_id, sr_key) VALUES (?, ?) ON CONFLICT DO NOTHING')
    this.pulledOf = db.prepare('SELECT p.box_id FROM pacs_boxes p JOIN boxes b ON b.id = p.box_id WHERE b.case_id = ?')
  }

  /** Returns false when the SR was already recorded (another process got there first). */
  record(key: string, origin: 'pushed' | 'pulled', caseId: number | null, boxes: number, at = new Date().toISOString()): boolean {
    return this.insert.run(key, origin, caseId, boxes, at).changes > 0
  }

  has(key: string): boolean {
    return this.byKey.get(key) !== undefined
  }

  /** Marks a box as another workstation's, imported from the SR recorded under `key`. */
  markPulledBox(boxId: number, key: string): void {
    this.markBox.run(boxId, key)
  }

  /** Ids of a case's boxes that came from the PACS (a push leaves them out). */
  pulledBoxIds(caseId: number): Set<number> {
    return new Set(this.pulledOf.pluck().all(caseId) as number[])
  }
}
