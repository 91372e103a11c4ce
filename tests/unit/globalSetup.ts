import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'

/** Builds out/ when it is missing or older than the sources, so the CLI the tests spawn is the current one (tests/unit/builtCli.ts). */
export default function setup(): void {
  execFileSync(process.execPath, [resolve(__dirname, '../../scripts/ensure-built.mjs')], { stdio: 'inherit' })
}
