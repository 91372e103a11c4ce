/** One stable colour per finding, shared by box outlines, box labels and chips. */
import { NIH_FINDINGS } from '../../../shared/findings'

const PALETTE = [
  '#ff5252', '#ffab40', '#ffd740', '#69f0ae', '#40c4ff', '#e040fb', '#ff6e40',
  '#b2ff59', '#18ffff', '#ea80fc', '#ffff00', '#80d8ff', '#ff80ab', '#a7ffeb',
]

export function findingColor(finding: string): string {
  const index = (NIH_FINDINGS as readonly string[]).indexOf(finding)
  if (index >= 0) return PALETTE[index % PALETTE.length]!
  // Unknown findings still get a stable colour from their name.
  let hash = 0
  for (const char of finding) hash = (hash * 31 + char.charCodeAt(0)) | 0
  return PALETTE[Math.abs(hash) % PALETTE.length]!
}
