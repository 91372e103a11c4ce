/** The `cxr-lens` command: headless work on the same core as the workstation. */
import { APP_VERSION } from '../config/version'
import { CASES_USAGE, runCases } from './cliCases'
import { CliContext, UsageError } from './cliContext'
import { DIAGNOSTICS_USAGE, runDiagnostics } from './cliDiagnostics'
import { resolveDataDir } from '../config/dataDir'
import { FeatureDisabledError, featureEnabled, machinePolicy, PolicyError } from '../config/policy'
import { currentLogFile, log, startLogging } from '../logging/log'
import { EVALUATE_USAGE, runEvaluate } from './cliEvaluate'
import { EXPLAIN_USAGE, runExplain } from './cliExplain'
import { EXPORT_USAGE, runExport } from './cliExport'
import { IMPORT_USAGE, runImport } from './cliImport'
import { INFER_USAGE, runInfer } from './cliInfer'
import { MAINTENANCE_USAGE, runBackup, runCheck, runRestore } from './cliMaintenance'
import { MODELS_USAGE, runModels } from './cliModels'
import { PACS_USAGE, runPacs } from './cliPacs'
import { PREPROCESS_USAGE, runPreprocess } from './cliPreprocess'
import { REID_USAGE, runReid } from './cliReid'
import { READERS_USAGE, runReaders } from './cliReaders'
import { TRAIN_USAGE, runTrain } from './cliTrain'
import { ProviderMemory } from '../model/providerMemory'
import { DataFolder } from '../config/dataFolder'

const USAGE = `CXR Lens ${APP_VERSION}
usage:
  ${IMPORT_USAGE}
  ${PACS_USAGE}
  ${CASES_USAGE}
  ${MODELS_USAGE}
  ${INFER_USAGE}
  ${EXPLAIN_USAGE}
  ${EVALUATE_USAGE}
  ${MAINTENANCE_USAGE}
  ${EXPORT_USAGE}
  ${TRAIN_USAGE}
  ${PREPROCESS_USAGE}
  ${REID_USAGE}
  ${READERS_USAGE}
  ${DIAGNOSTICS_USAGE}
Every command takes --data-dir DIR (else $CXR_LENS_DATA, else the desktop app's user data folder);
a machine policy (/etc/cxr-lens/config.json, or $CXR_LENS_POLICY) that sets the data folder refuses both.
Exit codes: 0 done, 1 bad input, 2 bad command line, 3 import or preprocess finished but files or rows were refused.
CXR_LENS_PROVIDER=cpu|webgpu|cuda (comma-separated) restricts the execution providers tried; a provider that
failed for want of a device is remembered in the data folder and skipped until onnxruntime changes or
a command is given --retry-providers.`

const COMMANDS: Record<string, (ctx: CliContext, args: string[]) => Promise<number> | number> = {
  import: (ctx, args) => runImport(ctx.store, args, ctx.dataDir),
  cases: (ctx, args) => runCases(ctx.store, args),
  models: runModels,
  infer: runInfer,
  explain: runExplain,
  evaluate: runEvaluate,
  backup: (ctx, args) => runBackup(ctx.store, ctx.dataDir, args),
  check: (ctx) => runCheck(ctx.store, ctx.dataDir),
  export: runExport,
  train: runTrain,
  preprocess: runPreprocess,
  readers: runReaders,
  pacs: runPacs,
}

async function main(argv: string[]): Promise<number> {
  const [command] = argv
  let rest = argv.slice(1)
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE)
    return command ? 0 : 2
  }
  if (command === '--version') {
    console.log(APP_VERSION)
    return 0
  }
  if (command === 'reid') return runReid(rest) // keygen and open run on the officer's machine, with no data folder
  // --retry-providers, on any command: forget the providers this machine is remembered to lack first.
  const retryProviders = rest.includes('--retry-providers')
  if (retryProviders) rest = rest.filter((arg) => arg !== '--retry-providers')
  const run = COMMANDS[command]
  if (!run && command !== 'restore' && command !== 'diagnostics') throw new UsageError(`unknown command "${command}"\n${USAGE}`)
  // The policy first: a bad file or a refused --data-dir stops every command, naming the file and field.
  const policy = machinePolicy()
  startLogging({ dataDir: resolveDataDir(rest), kind: 'cli', policy })
  if (retryProviders) new ProviderMemory(new DataFolder(resolveDataDir(rest)).providerFailures).forget()
  log().info('cli command started', { command })
  if (command === 'restore') return runRestore(rest) // the database must not be open while it is swapped
  if (command === 'diagnostics') return runDiagnostics(rest)
  if (command === 'train' && !featureEnabled(policy, 'fineTuning')) throw new FeatureDisabledError(policy, 'fineTuning', 'Fine-tuning')
  const ctx = new CliContext(rest, command)
  try {
    return await run(ctx, rest)
  } finally {
    await ctx.close()
  }
}

/**
 * Resolves once everything written to `stream` so far has reached the OS. Piped stdout is
 * asynchronous: process.exit right after a large write drops what the reader has not taken yet (a
 * slow `| jq` got the first 64 KiB). A reader that went away (EPIPE) counts as flushed.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve()
    stream.once('error', () => resolve())
    stream.write('', () => resolve())
  })
}

/** Exits with `code` after stdout and stderr have drained (exit itself also ends any handle left open). */
async function exitAfterFlush(code: number): Promise<never> {
  process.exitCode = code
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  process.exit(code)
}

// EPIPE (the reader closed early, `| head`) must not crash with a stack trace; the exit code stands.
process.stdout.on('error', () => undefined)

main(process.argv.slice(2)).then(
  (code) => {
    log().info('cli command finished', { exitCode: code })
    return exitAfterFlush(code)
  },
  (error: Error) => {
    // Only once a log file is open: before that, the message below on stderr is the whole story.
    if (currentLogFile()) log().error('cli command failed', { error: error.message, policy: error instanceof PolicyError })
    console.error(`cxr-lens: ${error.message}`)
    return exitAfterFlush(error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1)
  },
)
