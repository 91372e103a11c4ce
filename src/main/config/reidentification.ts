import { existsSync, readFileSync, rmSync } from 'node:fs'
import { DataFolder } from './dataFolder'
import { replaceFileSync } from './replaceFile'
import { z } from 'zod'

/**
 * The site's re-identification setting, one small JSON file in the data folder. Absent means off
 * (the default): a DICOM import then writes no re-identification data at all. When on, it holds
 * the data protection officer's PUBLIC key only; records are sealed to it.
 */
export const REID_CONFIG_FILE = 'reidentification.json'
/** Sealed records, one JSON line each; the workstation appends, only the private key reads. */
export const SEALED_FILE = 'reidentification.sealed'
/** The plaintext table of CXR Lens before 0.2; never written any more, sealed or reported when found. */
export const LEGACY_TABLE_FILE = 'reidentification.sqlite'

const ConfigSchema = z
  .object({
    enabled: z.literal(true),
    publicKey: z.string().min(1),
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    algorithm: z.string().min(1),
    enabledAt: z.string().min(1),
  })
  .strict()

export type ReidConfig = z.infer<typeof ConfigSchema>

export const reidConfigPath = (dataDir: string) => new DataFolder(dataDir).reidentificationConfig
export const sealedPath = (dataDir: string) => new DataFolder(dataDir).reidentificationSealed
export const legacyTablePath = (dataDir: string) => new DataFolder(dataDir).legacyReidentification

/**
 * null when re-identification is off. A damaged file is an error naming it, never "off": silently
 * importing without records would lose the link the site asked to keep.
 */
export function readReidConfig(dataDir: string): ReidConfig | null {
  const file = reidConfigPath(dataDir)
  if (!existsSync(file)) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix it or run cxr-lens reid enable --public-key FILE again`)
  }
  const result = ConfigSchema.safeParse(parsed)
  if (!result.success)
    throw new Error(
      `${file} is not a re-identification setting (${result.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}); run cxr-lens reid enable --public-key FILE again`,
    )
  return result.data
}

/** Written to a temporary name and renamed, so a crash never leaves half a setting. */
export function writeReidConfig(dataDir: string, config: ReidConfig): void {
  const file = reidConfigPath(dataDir)
  replaceFileSync(file, `${JSON.stringify(ConfigSchema.parse(config), null, 2)}\n`, { mode: 0o600 })
}

export function removeReidConfig(dataDir: string): boolean {
  const file = reidConfigPath(dataDir)
  if (!existsSync(file)) return false
  rmSync(file)
  return true
}
