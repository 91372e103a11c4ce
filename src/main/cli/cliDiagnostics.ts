import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { resolveDataDir } from '../config/dataDir'
import { machinePolicy } from '../config/policy'
import { diagnosticsZip } from '../diagnostics/diagnostics'
import { currentLogFile } from '../logging/log'
import { UsageError } from './cliContext'

export const DIAGNOSTICS_USAGE = 'cxr-lens diagnostics --out FILE.zip [--json]'

/**
 * Runs without opening the store (like restore): a damaged or held database is exactly when support
 * asks for this. The database is described through a read-only connection.
 */
export function runDiagnostics(args: string[]): number {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, json: { type: 'boolean' }, 'data-dir': { type: 'string' } } })
  if (!values.out) throw new UsageError(`diagnostics needs --out FILE.zip\nusage: ${DIAGNOSTICS_USAGE}`)
  const out = resolve(values.out)
  const { bytes, entries } = diagnosticsZip({
    dataDir: resolveDataDir(args),
    policy: machinePolicy(),
    logFile: currentLogFile(),
    transport: 'cli',
  })
  writeFileSync(out, bytes)
  console.log(
    values.json
      ? JSON.stringify({ file: out, bytes: bytes.length, entries })
      : `wrote ${out} (${entries.length} files, ${bytes.length} bytes)`,
  )
  return 0
}
