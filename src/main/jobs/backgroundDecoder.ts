/**
 * Entry of the background analysis decoder process (backgroundDecoderLoop.ts does the work). It
 * lowers the process's priority first, before libuv's pool and libvips' threads exist (loading sharp
 * starts some): on Linux a thread keeps the priority it was made with. The loop is loaded by a
 * runtime require only after that, since a bundler hoists static imports (sharp's among them)
 * above any statement.
 */
import { lowerProcessPriority } from './backgroundPriority'
import { entryFile } from './workerEntry'

lowerProcessPriority()
// The bundled loop beside this entry, else its source (tests run this entry through tsx).
const loop = entryFile('backgroundDecoderLoop')
// oxlint-disable-next-line no-require-imports
require('built' in loop ? loop.built : loop.source)
