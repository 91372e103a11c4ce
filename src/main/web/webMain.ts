/** `npm run web [-- --data-dir DIR] [--port N]`: the workstation in a browser, on 127.0.0.1 only. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { resolveDataDir } from '../config/dataDir'
import { DataFolder } from '../config/dataFolder'
import { openServices } from '../services/openServices'
import { FeatureDisabledError, featureEnabled, machinePolicy } from '../config/policy'
import { log, startLogging } from '../logging/log'
import { startWebServer } from './webServer'
import { startMemoryTrace } from '../diagnostics/memoryTrace'

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: false,
  })
  if (values.help) {
    console.log('Usage: npm run web -- [--data-dir DIR] [--port N]\nServes CXR Lens on http://127.0.0.1 with a per-launch token.')
    return
  }
  const policy = machinePolicy()
  if (!featureEnabled(policy, 'browserMode')) throw new FeatureDisabledError(policy, 'browserMode', 'Browser mode')
  const rendererDir = join(__dirname, '../renderer')
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error(`The renderer is not built (${rendererDir}); run npm run build.`)
  const dataDir = resolveDataDir(process.argv.slice(2))
  const logFile = startLogging({ dataDir, kind: 'web', policy })
  const core = openServices(new DataFolder(dataDir), { kind: 'web', background: true })
  log().info('browser mode started')
  startMemoryTrace()
  const server = await startWebServer({ core, rendererDir, port: values.port ? Number(values.port) : 0 })
  console.log(
    `CXR Lens ${core.version} (browser mode)\n  data:  ${core.dataDir}\n  log:   ${logFile ?? 'stderr (no log folder could be written)'}\n  open:  ${server.url}`,
  )
  const stop = async () => {
    await server.close()
    await core.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error: Error) => {
  log().error('browser mode could not start', { error: error.message })
  console.error(`cxr-lens web: ${error.message}`)
  process.exit(1)
})
