import { resolve } from 'node:path'

/**
 * The CLI as it ships: the multi-process tests run `node out/main/cli.js` (built once before the unit
 * tests by `npm test`, or by tests/unit/globalSetup.ts when out/ is stale) rather than the sources through
 * tsx. The same bundle the installers carry, and a CLI process starts in a third of the time (tsx
 * compiles every module on start), which the tests that spawn a few hundred CLI processes feel.
 */
export const ROOT = resolve(__dirname, '../..')
export const CLI = resolve(ROOT, 'out/main/cli.js')
export const WEB = resolve(ROOT, 'out/main/web.js')
