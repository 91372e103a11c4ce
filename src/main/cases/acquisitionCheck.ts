/**
 * What an image's own header says about whether it is a frontal chest radiograph, before any model
 * runs (issue 18): a lateral ViewPosition, or a BodyPartExamined that is present and not the chest.
 * The reason quotes a value only when it is a well-formed DICOM code string (upper-case letters,
 * digits, space, underscore; at most 16 characters), so free text typed into the field (a name, a
 * note) never reaches the database or the screen.
 */
const LATERAL_VIEWS = new Set(['LL', 'RL', 'LATERAL'])
const CODE_STRING = /^[A-Z0-9 _]{1,16}$/
const CHEST_PARTS = new Set(['CHEST', 'THORAX'])

const quoted = (value: string) => (CODE_STRING.test(value) ? ` is ${value}` : ' is not CHEST')

export function acquisitionFlag(
  header: { viewPosition?: string | null; bodyPartExamined?: string | null },
  source: 'DICOM' | 'NIH CSV',
): string | null {
  const view = header.viewPosition?.trim().toUpperCase()
  const part = header.bodyPartExamined?.trim().toUpperCase()
  const reasons: string[] = []
  if (view && LATERAL_VIEWS.has(view)) reasons.push(`${source} ViewPosition is ${view}: a lateral view`)
  if (part && !CHEST_PARTS.has(part)) reasons.push(`${source} BodyPartExamined${quoted(part)}: not a chest image`)
  return reasons.length ? `${reasons.join('; ')} (the model was made for frontal chest radiographs)` : null
}
