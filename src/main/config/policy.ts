/**
 * The machine policy: one JSON file IT places once per workstation (or deploys by GPO/MDM), read by
 * the desktop app, browser mode, the CLI and job workers alike. What it sets, a user cannot change:
 * the data folder, the site's pseudonym key, PACS connections, which features are on, the log level.
 * A file that is not valid is refused whole, naming the file and the field, so a typo never silently
 * falls back to a default (a second pseudonym key would give every patient a second pseudonym).
 */
import { readFileSync, statSync } from 'node:fs'
import { posix, resolve, win32 } from 'node:path'
import { z } from 'zod'
import type { MachinePolicyInfo } from '../../shared/domain'
import { machineDataDir, machinePolicyPath } from './machinePaths'

export const POLICY_ENV = 'CXR_LENS_POLICY'
const MAX_POLICY_BYTES = 1024 * 1024

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Paths follow the rules of the platform the policy is for (a drive letter or UNC share on Windows). */
const absolutePath = (platform: NodeJS.Platform) =>
  z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => (platform === 'win32' ? win32 : posix).isAbsolute(p), 'must be an absolute path')
const aeTitle = z.string().regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'must be 1–16 printable ASCII characters, no backslash')

/** A DIMSE peer (C-FIND/C-MOVE): listed for IT, not used by CXR Lens, which speaks DICOMweb. */
const dimsePacsSchema = z
  .object({
    name: z.string().min(1).max(64),
    aeTitle,
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address'),
    port: z.number().int().min(1).max(65535),
    callingAeTitle: aeTitle.optional(),
    tls: z.boolean().optional(),
  })
  .strict()

/** The checks of a DICOMweb root URL, shared with `cxr-lens pacs add` (a URL never carries credentials). */
export function dicomwebUrlProblem(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'must be an http:// or https:// URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL'
  if (url.username || url.password) return 'must not carry a user or password (give them with auth and user; the secret apart)'
  if (url.search || url.hash) return 'must be the DICOMweb root, without a query or fragment'
  return null
}

export const PACS_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/

/**
 * A DICOMweb PACS set by IT. A policy file is readable by every user, so it never holds a password
 * or token: `secretFile` names a file (readable only by the accounts that run CXR Lens) holding it.
 */
const dicomwebPacsSchema = (platform: NodeJS.Platform) =>
  z
    .object({
      name: z.string().regex(PACS_NAME, 'must be 1–64 letters, digits, spaces, dots, dashes or underscores'),
      url: z
        .string()
        .max(2048)
        .superRefine((value, ctx) => {
          const problem = dicomwebUrlProblem(value)
          if (problem) ctx.addIssue({ code: 'custom', message: problem })
        }),
      auth: z.enum(['none', 'basic', 'bearer']).optional(),
      user: z.string().min(1).max(256).optional(),
      secretFile: absolutePath(platform).optional(),
    })
    .strict()
    .superRefine((entry, ctx) => {
      const auth = entry.auth ?? 'none'
      if (auth === 'basic' && !entry.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'is needed with auth "basic"' })
      if (auth !== 'none' && !entry.secretFile)
        ctx.addIssue({
          code: 'custom',
          path: ['secretFile'],
          message: `is needed with auth "${auth}" (a file holding the password or token)`,
        })
      if (auth === 'none' && (entry.user || entry.secretFile))
        ctx.addIssue({ code: 'custom', path: ['auth'], message: 'is "none" but a user or secretFile is given' })
    })

export type DimsePacsPolicy = z.infer<typeof dimsePacsSchema>
export type DicomwebPacsPolicy = z.infer<ReturnType<typeof dicomwebPacsSchema>>
export type PacsPolicyEntry = DimsePacsPolicy | DicomwebPacsPolicy

export function isDicomwebPolicy(entry: PacsPolicyEntry): entry is DicomwebPacsPolicy {
  return 'url' in entry
}

/**
 * An entry with `url` is DICOMweb, else DIMSE; each is checked by its own schema, so a refusal names
 * the fields of the kind meant (a union would only say "no option matched").
 */
const pacsSchema = (platform: NodeJS.Platform) =>
  z.unknown().transform((value, ctx): PacsPolicyEntry => {
    const schema = value && typeof value === 'object' && 'url' in value ? dicomwebPacsSchema(platform) : dimsePacsSchema
    const parsed = schema.safeParse(value)
    if (parsed.success) return parsed.data
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path } as Parameters<typeof ctx.addIssue>[0])
    return z.NEVER
  })

export const policySchemaFor = (platform: NodeJS.Platform) =>
  z
    .object({
      /** Optional, for editors that validate JSON; never read. */
      $schema: z.string().max(4096).optional(),
      dataFolder: z
        .object({ scope: z.enum(['machine', 'user']).optional(), path: absolutePath(platform).optional() })
        .strict()
        .refine((d) => (d.scope === undefined) !== (d.path === undefined), 'give exactly one of "scope" ("machine" or "user") and "path"')
        .optional(),
      pseudonymKey: absolutePath(platform).optional(),
      pacs: z.array(pacsSchema(platform)).max(32).optional(),
      features: z.object({ fineTuning: z.boolean().optional(), browserMode: z.boolean().optional() }).strict().optional(),
      logging: z
        .object({ level: z.enum(LOG_LEVELS).optional(), folder: absolutePath(platform).optional() })
        .strict()
        .optional(),
      /** the Chromium, Chrome or Edge the CLI and browser mode print PDF reports with (the desktop app uses its own) */
      reports: z
        .object({ chromium: absolutePath(platform).optional() })
        .strict()
        .optional(),
    })
    .strict()

export type PolicySettings = z.infer<ReturnType<typeof policySchemaFor>>

export interface LoadedPolicy {
  /** the file read, or null when there is none at the machine location */
  file: string | null
  settings: PolicySettings
}

export class PolicyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PolicyError'
  }
}

/** Reads and validates one policy file; throws PolicyError naming the file and each bad field. */
export function loadPolicyFile(file: string, platform: NodeJS.Platform = process.platform): LoadedPolicy {
  let text: string
  try {
    const stat = statSync(file)
    if (!stat.isFile()) throw new PolicyError(`Machine policy ${file} is not a regular file`)
    if (stat.size > MAX_POLICY_BYTES) throw new PolicyError(`Machine policy ${file} is larger than 1 MiB`)
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if (error instanceof PolicyError) throw error
    throw new PolicyError(`Machine policy ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) // Notepad writes a BOM
  } catch (error) {
    throw new PolicyError(`Machine policy ${file} is not valid JSON: ${(error as Error).message}`)
  }
  const parsed = policySchemaFor(platform).safeParse(json)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : ''
      return `${issue.path.join('.') || '(top level)'}: ${issue.message}${keys}`
    })
    throw new PolicyError(`Machine policy ${file} is refused: ${issues.join('; ')}`)
  }
  return { file, settings: parsed.data }
}

/** The policy file's location: $CXR_LENS_POLICY (which must exist), else the machine location (optional). */
export function policyLocation(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): { file: string; required: boolean } {
  if (env[POLICY_ENV]) return { file: resolve(env[POLICY_ENV]), required: true }
  return { file: machinePolicyPath(platform, env), required: false }
}

export function loadPolicy(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): LoadedPolicy {
  const { file, required } = policyLocation(env, platform)
  const stat = statSync(file, { throwIfNoEntry: false })
  if (!stat) {
    if (required) throw new PolicyError(`Machine policy ${file} (from ${POLICY_ENV}) does not exist`)
    return { file: null, settings: {} }
  }
  return loadPolicyFile(file, platform)
}

const cache = new Map<string, LoadedPolicy>()

/**
 * This process's policy, read once per location (workers read the same file themselves). Throws
 * PolicyError for a bad file: every entry point turns that into a refusal to start.
 */
export function machinePolicy(env: NodeJS.ProcessEnv = process.env): LoadedPolicy {
  const key = policyLocation(env).file
  let loaded = cache.get(key)
  if (!loaded) {
    loaded = loadPolicy(env)
    cache.set(key, loaded)
  }
  return loaded
}

/** Forget what was read (tests that rewrite a policy file). */
export function forgetPolicy(): void {
  cache.clear()
}

/** Where a user tried to choose the data folder themselves, if anywhere. */
function userDataChoice(argv: readonly string[], env: NodeJS.ProcessEnv): { how: string; value: string } | null {
  const flag = argv.findIndex((arg) => arg === '--data-dir' || arg.startsWith('--data-dir='))
  if (flag >= 0)
    return { how: '--data-dir', value: argv[flag].includes('=') ? argv[flag].slice('--data-dir='.length) : (argv[flag + 1] ?? '') }
  if (env.CXR_LENS_DATA) return { how: 'CXR_LENS_DATA', value: env.CXR_LENS_DATA }
  return null
}

/**
 * The data folder the policy fixes, or null when it leaves the choice to the user. --data-dir and
 * CXR_LENS_DATA are refused when they name another folder: the policy is the site's, not the user's.
 */
export function policyDataDir(
  policy: LoadedPolicy,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  userDataDir: () => string,
  platform: NodeJS.Platform = process.platform,
): string | null {
  const fixed = policy.settings.dataFolder
  if (!fixed) return null
  const target = fixed.path ?? (fixed.scope === 'machine' ? machineDataDir(platform, env) : userDataDir())
  const choice = userDataChoice(argv, env)
  if (choice && resolve(choice.value) !== resolve(target)) {
    throw new PolicyError(
      `${choice.how} is not allowed here: the machine policy ${policy.file} sets the data folder (dataFolder) to ${target}`,
    )
  }
  return target
}

export function featureEnabled(policy: LoadedPolicy, feature: 'fineTuning' | 'browserMode'): boolean {
  return policy.settings.features?.[feature] ?? true
}

export class FeatureDisabledError extends Error {
  constructor(policy: LoadedPolicy, feature: 'fineTuning' | 'browserMode', what: string) {
    super(`${what} is turned off by the machine policy ${policy.file} (features.${feature})`)
    this.name = 'FeatureDisabledError'
  }
}

/** What the policy set, for app:info and diagnostics: only the fields it fixes are listed in `enforced`. */
export function policyInfo(policy: LoadedPolicy): MachinePolicyInfo {
  const s = policy.settings
  const enforced: string[] = []
  if (s.dataFolder) enforced.push('dataFolder')
  if (s.pseudonymKey) enforced.push('pseudonymKey')
  if (s.pacs) enforced.push('pacs')
  if (s.features?.fineTuning !== undefined) enforced.push('features.fineTuning')
  if (s.features?.browserMode !== undefined) enforced.push('features.browserMode')
  if (s.logging?.level) enforced.push('logging.level')
  if (s.logging?.folder) enforced.push('logging.folder')
  if (s.reports?.chromium) enforced.push('reports.chromium')
  return {
    file: policy.file,
    enforced,
    dataFolder: s.dataFolder ? (s.dataFolder.path ?? s.dataFolder.scope!) : null,
    pseudonymKey: s.pseudonymKey ?? null,
    pacs: (s.pacs ?? []).map((entry) =>
      isDicomwebPolicy(entry)
        ? { name: entry.name, url: entry.url }
        : { name: entry.name, aeTitle: entry.aeTitle, host: entry.host, port: entry.port },
    ),
    features: { fineTuning: featureEnabled(policy, 'fineTuning'), browserMode: featureEnabled(policy, 'browserMode') },
    logLevel: s.logging?.level ?? null,
  }
}
