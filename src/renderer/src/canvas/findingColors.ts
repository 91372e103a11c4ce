/**
 * One stable colour per finding, shared by box outlines, box labels, chips and plots. The eight
 * findings NIH drew boxes for take the Okabe–Ito colour-blind-safe set (plus white), so that
 * Cardiomegaly and Effusion, the pair most often on one image, are blue and orange rather than two
 * oranges; the other six take Paul Tol's light scheme. Every box label also names its finding, so
 * colour is never the only cue.
 */
import { NIH_FINDINGS } from '../../../shared/findings'

const BY_FINDING: Readonly<Record<string, string>> = {
  Atelectasis: '#56B4E9', // sky blue
  // Okabe–Ito blue (#0072B2) is too dark over a radiograph; this brighter blue stays as far from sky
  // blue, under simulated colour-vision deficiencies too (tests/renderer/readingRoom.test.ts)
  Cardiomegaly: '#4477EE',
  Effusion: '#E69F00', // orange
  Infiltration: '#009E73', // bluish green
  Mass: '#F0E442', // yellow
  Nodule: '#CC79A7', // reddish purple
  Pneumonia: '#D55E00', // vermillion
  Pneumothorax: '#FFFFFF', // white
  Consolidation: '#77AADD', // Tol light blue
  Edema: '#99DDFF', // Tol light cyan
  Emphysema: '#44BB99', // Tol mint
  Fibrosis: '#BBCC33', // Tol pear
  Pleural_Thickening: '#EE8866', // Tol orange
  Hernia: '#FFAABB', // Tol pink
}

const FALLBACK = Object.values(BY_FINDING)

export function findingColor(finding: string): string {
  const known = BY_FINDING[finding]
  if (known && (NIH_FINDINGS as readonly string[]).includes(finding)) return known
  // Unknown findings still get a stable colour from their name.
  let hash = 0
  for (const char of finding) hash = (hash * 31 + char.charCodeAt(0)) | 0
  return FALLBACK[Math.abs(hash) % FALLBACK.length]!
}
