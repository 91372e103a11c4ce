/** The `cxr-lens` command: headless work on the same core as the workstation. */
import { resolveDataDir, databasePath } from '../config/dataDir'
import { CaseStore } from '../store/caseStore'
import { APP_VERSION } from '../config/version'
import { CASES_USAGE, runCases } from './cliCases'
import { IMPORT_USAGE, runImport, UsageError } from './cliImport'

const USAGE = `CXR Lens ${APP_VERSION}
usage:
  ${IMPORT_USAGE}
  ${CASES_USAGE}
Data folder: --data-dir DIR, else $CXR_LENS_DATA, else the desktop app's user data folder.`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE)
    return command ? 0 : 2
  }
  if (command === '--version') {
    console.log(APP_VERSION)
    return 0
  }
  if (!['import', 'cases'].includes(command)) throw new UsageError(`unknown command "${command}"\n${USAGE}`)
  const store = CaseStore.open(databasePath(resolveDataDir(rest)))
  try {
    return command === 'import' ? await runImport(store, rest) : runCases(store, rest)
  } finally {
    store.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`cxr-lens: ${error.message}`)
    process.exit(error instanceof UsageError ? 2 : 1)
  },
)
