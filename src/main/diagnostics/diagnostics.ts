/**
 * "Export diagnostics" / `cxr-lens diagnostics --out FILE.zip`: what hospital IT sends to support.
 * Logs, versions, execution provider attempts, database health and configuration, and nothing a
 * patient could be found by: no case, image or patient names, no label or box values, no key
 * material. Logs are already scrubbed when written; paths of the data folder are IT's own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { arch, cpus, platform, release, totalmem } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { APP_VERSION } from '../config/version'
import { databasePath } from '../config/dataDir'
import { policyInfo, type LoadedPolicy } from '../config/policy'
import { PROVIDER_PREFERENCE, providerOrder } from '../model/providers'
import { reidentificationStatus } from '../reid/reidentification'
import { listBackups } from '../store/backup'
import { liveHolders } from '../store/dbHolders'
import { databaseReport } from '../store/diagnosticsRepository'
import { SCHEMA_VERSION } from '../store/migrations'
import { LOG_FILE, logFolder, logLevel } from '../logging/log'
import { zip, type ZipEntry } from './zipWriter'

export interface DiagnosticsInput {
  dataDir: string
  policy: LoadedPolicy
  /** the log file this process writes (else the installation's usual one) */
  logFile?: string | null
  transport: 'electron' | 'web' | 'cli'
}

/** The newest log lines kept per file: a bundle must stay small enough to mail. */
const MAX_LOG_BYTES = 8 * 1024 * 1024

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n'

function logFiles(logFile: string): string[] {
  const dir = dirname(logFile)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => name === LOG_FILE || /^cxr-lens\.log\.\d+$/.test(name))
    .sort()
    .map((name) => join(dir, name))
}

function tail(file: string): Buffer {
  const bytes = readFileSync(file)
  return bytes.length > MAX_LOG_BYTES ? bytes.subarray(bytes.length - MAX_LOG_BYTES) : bytes
}

/** Every execution provider attempt recorded in the logs (the newest 200), from every process. */
function providerAttempts(files: string[]): unknown[] {
  const found: unknown[] = []
  for (const file of files) {
    for (const line of tail(file).toString('utf8').split('\n')) {
      if (!line.includes('"execution provider attempts"')) continue
      try {
        const record = JSON.parse(line) as { time?: string; proc?: string; provider?: string | null; attempts?: unknown }
        found.push({ time: record.time, proc: record.proc, chosen: record.provider ?? null, attempts: record.attempts })
      } catch {
        // a line cut by rotation: skip it
      }
    }
  }
  return found.slice(-200)
}

/** Environment variables that change CXR Lens' behaviour, by name (values of our own only). */
function relevantEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env)
      .filter(([name]) => name.startsWith('CXR_LENS_') || name === 'ELECTRON_RUN_AS_NODE')
      .map(([k, v]) => [k, v ?? '']),
  )
}

export function diagnosticsEntries(input: DiagnosticsInput, now = new Date()): ZipEntry[] {
  const logFile = input.logFile ?? join(logFolder(input.dataDir, input.policy), LOG_FILE)
  const logs = logFiles(logFile)
  const dbFile = databasePath(input.dataDir)
  const database = databaseReport(dbFile)
  const keyFile = input.policy.settings.pseudonymKey ?? join(input.dataDir, 'pseudonym.key')
  const reid = reidentificationStatus(input.dataDir)
  return [
    {
      name: 'README.txt',
      data: [
        `CXR Lens ${APP_VERSION} diagnostics, ${now.toISOString()} (${input.transport}).`,
        'versions.json       app, runtime and operating system versions, installed models',
        'providers.json      execution provider attempts (CUDA, WebGPU, CPU) recorded in the logs',
        'database.json       database file sizes, schema version, quick_check, row counts, backups, processes holding it',
        'configuration.json  the machine policy and effective settings (data folder, log folder and level, key location)',
        'logs/               the installation log (rotated files included)',
        'No patient data: no case, image or patient names, no labels, boxes or images, no key material.',
        '',
      ].join('\n'),
    },
    {
      name: 'versions.json',
      data: json({
        app: APP_VERSION,
        schemaVersion: SCHEMA_VERSION,
        databaseSchemaVersion: database.schemaVersion,
        runtime: {
          node: process.versions.node,
          electron: process.versions.electron ?? null,
          chrome: process.versions.chrome ?? null,
          v8: process.versions.v8,
        },
        os: {
          platform: platform(),
          release: release(),
          arch: arch(),
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? null,
          memoryBytes: totalmem(),
        },
        models: database.models,
      }),
    },
    {
      name: 'providers.json',
      data: json({
        preference: PROVIDER_PREFERENCE,
        order: providerOrder(),
        requested: process.env.CXR_LENS_PROVIDER ?? null,
        attempts: providerAttempts(logs),
      }),
    },
    {
      name: 'database.json',
      data: json({
        ...database,
        backups: listBackups(dbFile).map(({ name, kind, createdAt, bytes }) => ({ name, kind, createdAt, bytes })),
        holders: existsSync(input.dataDir)
          ? liveHolders(input.dataDir, null).map(({ pid, kind, what, since }) => ({ pid, kind, what, since }))
          : [],
      }),
    },
    {
      name: 'configuration.json',
      data: json({
        policy: policyInfo(input.policy),
        dataDir: input.dataDir,
        logFile,
        logLevel: logLevel(input.policy),
        pseudonymKey: { file: keyFile, exists: existsSync(keyFile), fromPolicy: input.policy.settings.pseudonymKey !== undefined },
        reidentification: { enabled: reid.enabled, keyId: reid.keyId },
        environment: relevantEnvironment(process.env),
      }),
    },
    ...logs.map((file) => ({ name: `logs/${basename(file)}`, data: tail(file), modified: statSync(file).mtime })),
  ]
}

/** Writes the bundle; returns where and what. */
export function diagnosticsZip(input: DiagnosticsInput, now = new Date()): { bytes: Buffer; entries: string[] } {
  const entries = diagnosticsEntries(input, now)
  return { bytes: zip(entries), entries: entries.map((e) => e.name) }
}

/** The file name the app uses in the data folder's diagnostics/ (a timestamp, no user input). */
export function diagnosticsFileName(now = new Date()): string {
  return `cxr-lens-diagnostics-${now.toISOString().replace(/[:.]/g, '-')}.zip`
}
