/**
 * The installation's log: pino, JSON lines, levels, into one rotating file per installation (see
 * logFolder). Until a process starts logging to the file (its data folder is known only after the
 * command line is read), lines go to stderr as before. Every message and field is scrubbed of
 * anything a patient could be named by (scrub.ts): a log is sent to support, so it must hold no PHI.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { APP_VERSION } from '../config/version'
import { machineLogDir } from '../config/machinePaths'
import type { LoadedPolicy, LogLevel } from '../config/policy'
import { RotatingFile, type RotationOptions } from './rotatingFile'
import { scrubFields, scrubText, type LogFields } from './scrub'

export const LOG_FILE = 'cxr-lens.log'
export const LOG_LEVEL_ENV = 'CXR_LENS_LOG_LEVEL'

export type ProcessKind = 'app' | 'web' | 'cli' | 'job'

function writable(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Where this installation's log lives: the policy's `logging.folder`, else the per-machine folder
 * (Windows %ProgramData%\CXR Lens\logs, Linux /var/log/cxr-lens, macOS /Library/Logs/CXR Lens) when
 * it exists and this user may write there, else the data folder's logs/.
 */
export function logFolder(dataDir: string, policy: LoadedPolicy, machineDir = machineLogDir()): string {
  if (policy.settings.logging?.folder) return policy.settings.logging.folder
  return writable(machineDir) ? machineDir : join(dataDir, 'logs')
}

/** The policy's level is final; otherwise CXR_LENS_LOG_LEVEL, else info. */
export function logLevel(policy: LoadedPolicy, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const fromEnv = env[LOG_LEVEL_ENV] as LogLevel | undefined
  const levels: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
  return policy.settings.logging?.level ?? (fromEnv && levels.includes(fromEnv) ? fromEnv : 'info')
}

const stderrDestination = { write: (line: string) => void process.stderr.write(line) }

function makeLogger(level: string, destination: { write(line: string): void }, kind: ProcessKind | null): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...(kind ? { proc: kind } : {}), version: APP_VERSION },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}

// Before a log file is open only warnings and errors reach stderr, as console.error did before.
const STDERR_LEVEL = () => process.env[LOG_LEVEL_ENV] ?? 'warn'
let logger: Logger = makeLogger(STDERR_LEVEL(), stderrDestination, null)
let file: RotatingFile | null = null

export interface AppLog {
  error(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  debug(message: string, fields?: LogFields): void
}

const emit =
  (level: 'error' | 'warn' | 'info' | 'debug') =>
  (message: string, fields: LogFields = {}) => {
    if (!logger.isLevelEnabled(level)) return
    logger[level](scrubFields(fields), scrubText(message))
  }

const appLog: AppLog = { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') }

/** The process's log (stderr until startLogging). */
export function log(): AppLog {
  return appLog
}

export interface StartLogging {
  dataDir: string
  kind: ProcessKind
  policy: LoadedPolicy
  rotation?: RotationOptions
}

/**
 * Sends this process's log to the installation's rotating file; returns its path, or null when no
 * folder could be written (then it keeps its current destination, stderr at first: logging never
 * stops the app). Safe to call again.
 */
export function startLogging(options: StartLogging): string | null {
  const preferred = logFolder(options.dataDir, options.policy)
  const candidates = [...new Set([preferred, join(options.dataDir, 'logs')])].map((folder) => join(folder, LOG_FILE))
  for (const target of candidates) {
    try {
      if (file?.file !== target) {
        const next = new RotatingFile(target, options.rotation)
        file?.close()
        file = next
      }
      logger = makeLogger(logLevel(options.policy), file, options.kind)
      if (target !== candidates[0]) log().warn('log folder not writable; logging to the data folder', { wanted: candidates[0] })
      return target
    } catch (error) {
      process.stderr.write(
        `cxr-lens: cannot write the log ${target} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`,
      )
    }
  }
  return null
}

/** The file this process logs to, or null while it logs to stderr. */
export function currentLogFile(): string | null {
  return file?.file ?? null
}

/** Back to stderr (tests). */
export function stopLogging(): void {
  file?.close()
  file = null
  logger = makeLogger(STDERR_LEVEL(), stderrDestination, null)
}
