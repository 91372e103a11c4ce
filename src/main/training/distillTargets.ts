import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import { readTeacherFile } from './teacherFile'

/**
 * The distillation request resolved against the store: the teacher's probabilities by case, handed to
 * the trainer for the rows of a training set only (`forRows`), so validation and test images never
 * meet the teacher. `hashInput` goes into the run's configuration hash (a different file or weight is
 * a different run, and must not resume another's checkpoint).
 */
export function teacherTargets(request: { file: string; weight: number }, findings: readonly string[], imageOf: (caseId: number) => string) {
  if (!(request.weight > 0) || !Number.isFinite(request.weight)) throw new Error(`the distillation weight must be a positive number, not ${request.weight}`)
  const byImage = readTeacherFile(request.file, findings)
  const digest = createHash('sha256')
  for (const [image, q] of [...byImage].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) digest.update(image).update(new Uint8Array(q.buffer, q.byteOffset, q.byteLength))
  return {
    file: basename(request.file),
    weight: request.weight,
    hashInput: { weight: request.weight, teacher: digest.digest('hex') },
    forRows: (caseIds: number[]) => ({ weight: request.weight, targets: caseIds.map((id) => byImage.get(imageOf(id)) ?? null) }),
  }
}
