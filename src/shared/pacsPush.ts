/** What sending a case's results to a PACS answers (the `pacs:push` channel, `cxr-lens pacs push --json`). */
export interface PacsPushedCase {
  caseId: number
  image: string
  /** SOP Instance UIDs of the new SR and Secondary Capture (null: not sent); the original study's UIDs are never reported */
  sr: string | null
  sc: string | null
  /** reader boxes drawn on this workstation that the SR carries */
  boxes: number
  /** the model's thresholded regions in the SR (with --with-model) */
  regions: number
  /** what was left out and why (no map stored yet, no boxes) */
  notes: string[]
}

/** The PACS connections a result can be sent to (their names only). */
export interface PacsPushTargets {
  names: string[]
}
