/** Handlers for hospital IT: the machine policy's feature switches and the diagnostics bundle. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DiagnosticsResult } from '../../shared/domain'
import { FeatureDisabledError, featureEnabled, machinePolicy, type LoadedPolicy } from '../config/policy'
import { diagnosticsFileName, diagnosticsZip } from '../diagnostics/diagnostics'
import { currentLogFile, log } from '../logging/log'
import type { Services as Core } from '../services/openServices'
import type { Handlers } from './dispatch'

/** Channels a policy feature switch turns off (refused here, whatever the UI shows). */
const FEATURE_CHANNELS = { 'training:start': ['fineTuning', 'Fine-tuning'] } as const

export function guardFeatures(policy: LoadedPolicy, handlers: Handlers): Handlers {
  const guarded = { ...handlers } as Record<string, (...args: never[]) => unknown>
  for (const [channel, [feature, what]] of Object.entries(FEATURE_CHANNELS)) {
    if (!featureEnabled(policy, feature)) {
      guarded[channel] = () => {
        throw new FeatureDisabledError(policy, feature, what)
      }
    }
  }
  return guarded as Handlers
}

/** Bundles kept in diagnostics/: anyone at the workstation may export one, so they cannot fill the disk. */
export const KEEP_DIAGNOSTICS = 5

/** The bundle goes to `<data folder>/diagnostics/` under a timestamped name; the answer says where. */
export function exportDiagnostics(core: Core, now = new Date()): DiagnosticsResult {
  const { bytes, entries } = diagnosticsZip(
    { dataDir: core.dataDir, policy: machinePolicy(), logFile: currentLogFile(), transport: core.transport },
    now,
  )
  const dir = join(core.dataDir, 'diagnostics')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, diagnosticsFileName(now))
  writeFileSync(path, bytes, { flag: 'wx' })
  // Timestamped names sort by age: drop all but the newest few.
  const bundles = readdirSync(dir)
    .filter((name) => /^cxr-lens-diagnostics-.*\.zip$/.test(name))
    .sort()
  for (const old of bundles.slice(0, Math.max(0, bundles.length - KEEP_DIAGNOSTICS))) rmSync(join(dir, old), { force: true })
  log().info('diagnostics exported', { entries: entries.length, bytes: bytes.length })
  return { path, bytes: bytes.length, entries }
}
