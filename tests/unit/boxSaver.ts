/**
 * A second process for tests/unit/concurrency.test.ts: the same core and dispatcher as browser
 * mode, saving reader boxes one after another as fast as it can, like a busy reader's autosave.
 * Every answer goes to stdout as one JSON line, so the test can check each acknowledged box later.
 *
 *   node --import tsx boxSaver.ts DATA_DIR
 * stdin lines: `stop` (finish and exit), `restore NAME` (the app's own restore, through backups:restore).
 * stdout lines: {"ready": pid} | {"saved": boxId, "caseId"} | {"refused": message} | {"restored": ...} | {"done": n}
 */
import { createInterface } from 'node:readline'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession } from '../../src/main/api/session'

const dataDir = process.argv[2]
const core = openServices(new DataFolder(dataDir), { kind: 'web' })
const dispatch = createDispatcher(createHandlers(core), () => undefined)
// One connection's reader session, as browser mode keeps per socket.
const session = createSession()
const SECRET = 'saver-secret-1'
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)

async function call(channel: string, request: unknown): Promise<unknown> {
  const result = await dispatch(channel, request, session)
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
  return result.data
}

let stopping = false
const pending: string[] = []
const commands = createInterface({ input: process.stdin }).on('line', (line) => pending.push(line.trim()))
process.stdin.on('end', () => (stopping = true))

async function main(): Promise<void> {
  // The single place that knows how a reader saves a box: adapt here when the request shape changes.
  // Found again after a restore: the restored file may predate this reader.
  const ensureReader = async () => {
    const name = `Saver ${process.pid}`
    const readers = (await call('readers:list', {})) as Array<{ id: number; name: string }>
    const known = readers.find((r) => r.name === name)
    if (!known) return (await call('readers:create', { name, role: 'radiologist', secret: SECRET })) as { id: number } // enrols and logs in
    return (await call('readers:login', { readerId: known.id, secret: SECRET })) as { id: number }
  }
  let reader = await ensureReader()
  const saveBox = (caseId: number, i: number) =>
    call('boxes:create', { caseId, readerId: reader.id, box: { finding: 'Nodule', x: 5 + (i % 50), y: 7, w: 20, h: 20 } }) as Promise<{
      id: number
    }>
  const page = (await call('cases:list', { offset: 0, limit: 50 })) as { rows: Array<{ id: number }> }
  const caseIds = page.rows.map((row) => row.id)
  if (caseIds.length === 0) throw new Error(`no cases in ${dataDir} to save boxes on`)
  say({ ready: process.pid, readerId: reader.id })
  let saved = 0
  for (let i = 0; !stopping; i++) {
    const command = pending.shift()
    if (command === 'stop') break
    if (command?.startsWith('restore ')) {
      try {
        const restored = await call('backups:restore', { name: command.slice('restore '.length) })
        reader = await ensureReader()
        say({ restored })
      } catch (error) {
        say({ restoreRefused: (error as Error).message })
      }
      continue
    }
    const caseId = caseIds[i % caseIds.length]
    try {
      const box = await saveBox(caseId, i)
      saved++
      say({ saved: box.id, caseId })
    } catch (error) {
      say({ refused: (error as Error).message })
    }
    // Yield to the loop (stdin), but no pause: saves follow each other as closely as they can.
    await new Promise((resolve) => setImmediate(resolve))
  }
  await core.close()
  say({ done: saved })
  commands.close()
  process.stdin.destroy() // else the open pipe keeps the process alive
}

main().catch((error: Error) => {
  say({ fatal: error.message })
  process.exitCode = 1
})
