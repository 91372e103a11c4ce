import { createHash } from 'node:crypto'

/**
 * SHA-256 of a byte buffer as lowercase hex. Lives at the bottom (model layer) because model
 * packages are verified by it, and case intake and training hash with the same function.
 */
export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
