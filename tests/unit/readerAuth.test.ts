/**
 * Readers are authenticated: logins bind a connection, writes take their reader from it, and only an
 * administrator (the CLI, or a reader flagged by it) makes advisors, administrators and role changes.
 * Over the dispatcher with explicit sessions, and over real WebSocket connections of browser mode.
 */
import Database from 'better-sqlite3'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import { SCHEMA_VERSION } from '../../src/main/store/migrations'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { createDispatcher, type Dispatch } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession, type Session } from '../../src/main/api/session'
import { CLI_ACTOR, LOGIN_REFUSED, ReaderAccounts } from '../../src/main/readers/readerAccounts'
import { backoffMs } from '../../src/main/readers/loginBackoff'
import { hashSecret, verifySecret } from '../../src/main/readers/secretHash'
import { CaseStore } from '../../src/main/store/caseStore'
import { startWebServer } from '../../src/main/web/webServer'
import type { Reader } from '../../src/shared/domain'
import { decodeWire, encodeWire } from '../../src/shared/wireCodec'
import { tempDir } from './helpers'

const dir = tempDir()
let core: Services
let dispatch: Dispatch
let caseId: number
let admin: Reader
let advisor: Reader
let rad: Reader
const box = { finding: 'Mass', x: 10, y: 10, w: 20, h: 20 }

async function ok<T>(channel: string, request: unknown, session: Session): Promise<T> {
  const result = await dispatch(channel, request, session)
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`)
  return result.data as T
}

async function loggedIn(reader: Reader, secret: string): Promise<Session> {
  const session = createSession()
  await ok('readers:login', { readerId: reader.id, secret }, session)
  return session
}

/** Lets the backoff of a reader's failed logins pass (the test does not wait minutes). */
function forgetFailures(readerId: number) {
  core.store.db.prepare('UPDATE readers SET last_failed_at = ? WHERE id = ?').run('2000-01-01T00:00:00.000Z', readerId)
}

beforeAll(async () => {
  core = openServices(new DataFolder(join(dir.path, 'data')), { kind: 'web' })
  dispatch = createDispatcher(createHandlers(core), () => undefined)
  caseId = core.store.cases.insert({
    imageName: 'a.png',
    patientId: null,
    path: '/x/a.png',
    sha256: 'a'.padEnd(64, '0'),
    format: 'png',
    width: 256,
    height: 256,
    bitDepth: 8,
    channels: 1,
    view: 'PA',
    age: 40,
    sex: 'F',
    followUp: 0,
    originalWidth: null,
    originalHeight: null,
    pixelSpacingX: null,
    pixelSpacingY: null,
    importedAt: '2026-01-01T00:00:00.000Z',
  })
  const accounts = new ReaderAccounts(core.store)
  admin = await accounts.create({ name: 'Ada Admin', role: 'radiologist', administrator: true, secret: 'admin-secret-1' }, CLI_ACTOR)
  advisor = await accounts.create({ name: 'Cleo Advisor', role: 'clinical_advisor', secret: 'advisor-secret' }, CLI_ACTOR)
  rad = await accounts.create({ name: 'Rita Rad', role: 'radiologist', secret: 'rita-secret-1' }, CLI_ACTOR)
})
afterAll(async () => {
  await core.close()
  dir.cleanup()
})

describe('secret hashing', () => {
  it('stores a salted, self-describing scrypt hash that verifies only the right secret', async () => {
    const a = await hashSecret('correct horse')
    const b = await hashSecret('correct horse')
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    expect(a).not.toBe(b) // a fresh salt each time
    expect(a).not.toContain('correct')
    expect(await verifySecret('correct horse', a)).toBe(true)
    expect(await verifySecret('correct horsf', a)).toBe(false)
    // A damaged or hostile stored value never matches and never throws (nor allocates gigabytes).
    for (const bad of [
      '',
      'plain',
      'scrypt$1$8$1$AAAA$AAAA',
      `scrypt$${2 ** 30}$8$1$${a.split('$')[4]}$${a.split('$')[5]}`,
      a.replace(/\$[\w-]+$/, '$short'),
    ]) {
      expect(await verifySecret('correct horse', bad)).toBe(false)
    }
    await expect(hashSecret('short')).rejects.toThrow(/too short \(5 characters\); give at least 8/)
    await expect(hashSecret('        ')).rejects.toThrow(/empty/)
  })

  it('keeps only the hash in the database', () => {
    const file = readFileSync(core.dbPath)
    expect(file.includes('rita-secret-1')).toBe(false)
    const row = core.store.db.prepare('SELECT secret_hash FROM readers WHERE id = ?').get(rad.id) as { secret_hash: string }
    expect(row.secret_hash).toMatch(/^scrypt\$/)
  })
})

describe('sessions over the dispatcher', () => {
  it('refuses every write from a connection that never logged in', async () => {
    const anonymous = createSession()
    const writes: Array<[string, unknown]> = [
      ['boxes:create', { caseId, readerId: rad.id, box }],
      ['boxes:update', { boxId: 1, readerId: rad.id, box }],
      ['boxes:delete', { boxId: 1, readerId: rad.id }],
      ['boxes:restore', { boxId: 1, readerId: rad.id }],
      ['cases:setStatus', { caseId, readerId: rad.id, status: 'reviewed' }],
      ['heatmaps:saveEdit', { baseId: 1, readerId: advisor.id, values: [1] }],
      ['readers:setRole', { id: rad.id, role: 'clinical_advisor' }],
      ['models:import', { dir: '/nonexistent' }],
      ['backups:restore', { name: 'x.sqlite' }],
    ]
    for (const [channel, request] of writes) {
      expect(await dispatch(channel, request, anonymous), channel).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: expect.stringMatching(/log in/) },
      })
    }
    expect(core.store.annotations.boxes(caseId)).toHaveLength(0)
    expect(core.store.cases.get(caseId)!.status).toBe('new')
    // Reading needs no login.
    expect(await dispatch('cases:get', { caseId }, anonymous)).toMatchObject({ ok: true })
    expect(await dispatch('readers:list', {}, anonymous)).toMatchObject({ ok: true })
  })

  it('binds a login to the connection; writes are attributed to the session, and another readerId is refused', async () => {
    const session = await loggedIn(rad, 'rita-secret-1')
    expect(session.readerId).toBe(rad.id)
    const made = await ok<{ id: number; readerId: number; author: string }>('boxes:create', { caseId, readerId: rad.id, box }, session)
    expect(made).toMatchObject({ readerId: rad.id, author: 'Rita Rad' })
    // Acting as someone else: refused, nothing stored.
    const before = core.store.annotations.boxes(caseId).length
    for (const [channel, request] of [
      ['boxes:create', { caseId, readerId: advisor.id, box }],
      ['boxes:delete', { boxId: made.id, readerId: admin.id }],
      ['cases:setStatus', { caseId, readerId: advisor.id, status: 'reviewed' }],
      ['heatmaps:saveEdit', { baseId: 1, readerId: advisor.id, values: [1] }],
    ] as const) {
      expect(await dispatch(channel, request, session), channel).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: expect.stringMatching(/logged in as Rita Rad .* refused/) },
      })
    }
    expect(core.store.annotations.boxes(caseId)).toHaveLength(before)
    expect(core.store.cases.get(caseId)!.status).toBe('in_review')
    // Another connection is not logged in by this one's login.
    expect(await dispatch('boxes:delete', { boxId: made.id, readerId: rad.id }, createSession())).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    // Logout ends it.
    expect(await ok('readers:logout', {}, session)).toEqual({ loggedOut: true })
    expect(await dispatch('boxes:delete', { boxId: made.id, readerId: rad.id }, session)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    expect(core.store.annotations.boxes(caseId).some((b) => b.id === made.id)).toBe(true)
  })

  it('refuses a wrong secret and an unknown reader with the same words, audits it and backs off per reader', async () => {
    const session = createSession()
    const lockedOut = {
      ok: false,
      error: {
        code: 'forbidden',
        message: expect.stringMatching(/^Login refused: unknown reader or wrong secret; too many failed attempts, try again in \d+ s$/),
      },
    }
    // Each refusal is followed at once by the right secret: within the backoff that is refused too,
    // with a message that says to wait, for a known and an unknown id alike. The clock stands still
    // meanwhile: "at once" on a loaded machine can take longer than the 250 ms backoff.
    vi.useFakeTimers({ toFake: ['Date'] })
    let wrong: Awaited<ReturnType<Dispatch>>
    let unknown: Awaited<ReturnType<Dispatch>>
    try {
      wrong = await dispatch('readers:login', { readerId: rad.id, secret: 'not-her-secret' }, session)
      expect(await dispatch('readers:login', { readerId: rad.id, secret: 'rita-secret-1' }, session)).toMatchObject(lockedOut)
      unknown = await dispatch('readers:login', { readerId: 9999, secret: 'rita-secret-1' }, session)
      expect(await dispatch('readers:login', { readerId: 9999, secret: 'rita-secret-1' }, session)).toMatchObject(lockedOut)
    } finally {
      vi.useRealTimers()
    }
    expect(wrong).toEqual({ ok: false, error: { code: 'forbidden', message: LOGIN_REFUSED } })
    expect(unknown).toEqual({ ok: false, error: { code: 'forbidden', message: LOGIN_REFUSED } })
    expect(session.readerId).toBeNull()
    const audit = core.store.db
      .prepare("SELECT actor, reader_id AS readerId, detail FROM audit_log WHERE action = 'reader.login_failed' ORDER BY id")
      .all()
    expect(audit).toEqual([
      { actor: 'Rita Rad', readerId: rad.id, detail: JSON.stringify({ readerId: rad.id }) },
      { actor: '(unknown reader)', readerId: null, detail: JSON.stringify({ readerId: 9999 }) },
    ])
    // The wait doubles per failure, up to five minutes.
    expect([1, 2, 3, 10, 40].map(backoffMs)).toEqual([250, 500, 1000, 128_000, 300_000])
    forgetFailures(rad.id)
    expect(await ok<Reader>('readers:login', { readerId: rad.id, secret: 'rita-secret-1' }, session)).toMatchObject({ id: rad.id })
    const counters = core.store.readers.credentials(rad.id)!
    expect(counters).toMatchObject({ failedLogins: 0, lastFailedAt: null })
  })

  it('hashes at most two secrets at once: a flood of logins is refused, not queued, and the server keeps answering', async () => {
    const flood = await Promise.all(
      [101, 102, 103, 104, 105].map((id) => dispatch('readers:login', { readerId: id, secret: 'guess-guess' }, createSession())),
    )
    const messages = flood.map((r) => (r.ok ? 'ok' : r.error.message))
    expect(messages.filter((m) => m === LOGIN_REFUSED)).toHaveLength(2)
    expect(messages.filter((m) => m === 'Too many logins at once; try again in a second')).toHaveLength(3)
    expect(await dispatch('readers:login', { readerId: admin.id, secret: 'admin-secret-1' }, createSession())).toMatchObject({ ok: true })
  })

  it('lets an anonymous connection enrol a radiologist only, and logs it in as that reader', async () => {
    const session = createSession()
    const refused = [
      { name: 'Eve', role: 'clinical_advisor', secret: 'eve-secret-1' },
      { name: 'Eve', role: 'radiologist', secret: 'eve-secret-1', administrator: true },
    ]
    for (const request of refused)
      expect(await dispatch('readers:create', request, session)).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: expect.stringMatching(/administrator/) },
      })
    expect(await dispatch('readers:create', { name: 'Eve', role: 'radiologist' }, session)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/needs a secret/) },
    })
    expect(await dispatch('readers:create', { name: 'Eve', role: 'radiologist', secret: 'eve' }, session)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/too short/) },
    })
    expect(core.store.readers.list().some((r) => r.name === 'Eve')).toBe(false)
    const eve = await ok<Reader>('readers:create', { name: 'Eve', role: 'radiologist', secret: 'eve-secret-1' }, session)
    expect(eve).toMatchObject({ role: 'radiologist', administrator: false, hasSecret: true })
    expect(session.readerId).toBe(eve.id)
  })

  it('does not let a radiologist create an advisor or an administrator, or change a role', async () => {
    const session = await loggedIn(rad, 'rita-secret-1')
    expect(
      await dispatch('readers:create', { name: 'Mallory', role: 'clinical_advisor', secret: 'mallory-secret' }, session),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(
      await dispatch('readers:create', { name: 'Mallory', role: 'radiologist', secret: 'mallory-secret', administrator: true }, session),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await dispatch('readers:setRole', { id: rad.id, role: 'clinical_advisor' }, session)).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringMatching(/needs an administrator/) },
    })
    // An advisor is no administrator either.
    const advisorSession = await loggedIn(advisor, 'advisor-secret')
    expect(await dispatch('readers:setRole', { id: rad.id, role: 'clinical_advisor', administrator: true }, advisorSession)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    expect(core.store.readers.get(rad.id)).toMatchObject({ role: 'radiologist', administrator: false })
    expect(core.store.readers.list().some((r) => r.name === 'Mallory')).toBe(false)
    // ... so the radiologist's heatmap edit stays refused.
    expect(await dispatch('heatmaps:saveEdit', { baseId: 1, readerId: rad.id, values: [1] }, session)).toMatchObject({ ok: false })
  })

  it('lets an administrator made on the CLI create an advisor and change roles, audited', async () => {
    const session = await loggedIn(admin, 'admin-secret-1')
    const made = await ok<Reader>('readers:create', { name: 'Nina Advisor', role: 'clinical_advisor', secret: 'nina-secret-1' }, session)
    expect(made).toMatchObject({ role: 'clinical_advisor', hasSecret: true })
    expect(session.readerId).toBe(admin.id) // the administrator stays logged in as themself
    const changed = await ok<Reader>('readers:setRole', { id: rad.id, role: 'clinical_advisor' }, session)
    expect(changed).toMatchObject({ id: rad.id, role: 'clinical_advisor', administrator: false })
    const entry = core.store.db
      .prepare("SELECT actor, reader_id AS readerId, detail FROM audit_log WHERE action = 'reader.role' ORDER BY id DESC")
      .get() as { actor: string; readerId: number; detail: string }
    expect(entry).toMatchObject({ actor: 'Ada Admin', readerId: admin.id })
    expect(JSON.parse(entry.detail)).toEqual({
      readerId: rad.id,
      before: { role: 'radiologist', administrator: false },
      after: { role: 'clinical_advisor', administrator: false },
    })
    await ok('readers:setRole', { id: rad.id, role: 'radiologist' }, session)
  })
})

describe('model management over the dispatcher', () => {
  const tinyResnet = resolve(__dirname, '../fixtures/engine/tiny-resnet')
  // Both reach their handler only past the access table: the import installs the fixture, and the
  // fine-tune of a model without a last block is refused by the handler (no job starts).
  const calls: Array<[string, unknown]> = [
    ['training:start', { model: 'tiny-resnet', layers: 'head+last-block' }],
    ['models:import', { dir: tinyResnet }],
  ]

  it('refuses fine-tuning and installing a model to an anonymous connection and to a radiologist', async () => {
    const before = core.registry.list().length
    for (const [channel, request] of calls) {
      expect(await dispatch(channel, request, createSession()), channel).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: `${channel} needs a clinical advisor or an administrator: log in first (readers:login)` },
      })
      expect(await dispatch(channel, request, await loggedIn(rad, 'rita-secret-1')), channel).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: `${channel} needs a clinical advisor or an administrator; Rita Rad is a radiologist` },
      })
    }
    expect(core.registry.list().length).toBe(before)
    expect(core.jobs.running()).toEqual([])
  })

  it('accepts them from a clinical advisor and from an administrator who is a radiologist', async () => {
    expect(admin).toMatchObject({ role: 'radiologist', administrator: true })
    const before = core.registry.list().length
    const advisorSession = await loggedIn(advisor, 'advisor-secret')
    const installed = await ok<{ id: string }>('models:import', { dir: tinyResnet }, advisorSession)
    expect(installed.id).toBe('tiny-resnet')
    expect(core.registry.list().length).toBe(before + 1)
    for (const session of [advisorSession, await loggedIn(admin, 'admin-secret-1')]) {
      expect(await dispatch(...calls[0], session)).toMatchObject({
        ok: false,
        error: { message: expect.stringMatching(/no trainable last block/) },
      })
    }
    // The administrator passes the table too: the import reaches the registry (which says why it fails).
    const again = await dispatch('models:import', { dir: join(dir.path, 'no-such-model') }, await loggedIn(admin, 'admin-secret-1'))
    expect(again.ok).toBe(false)
    if (!again.ok) expect(again.error.code).not.toBe('forbidden')
    expect(core.jobs.running()).toEqual([])
  })
})

describe('readers from before secrets existed', () => {
  it('keep their boxes through the migration and cannot log in until the CLI sets a secret', async () => {
    const local = tempDir()
    try {
      const path = join(local.path, 'cxr-lens.sqlite')
      const store = CaseStore.open(path)
      const id = store.cases.insert({
        imageName: 'b.png',
        patientId: null,
        path: '/x/b.png',
        sha256: 'b'.padEnd(64, '0'),
        format: 'png',
        width: 256,
        height: 256,
        bitDepth: 8,
        channels: 1,
        view: 'PA',
        age: 40,
        sex: 'M',
        followUp: 0,
        originalWidth: null,
        originalHeight: null,
        pixelSpacingX: null,
        pixelSpacingY: null,
        importedAt: '2026-01-01T00:00:00.000Z',
      })
      const old = store.readers.create('Dr Old', 'radiologist')
      const at = '2026-01-01T00:00:00.000Z'
      store.annotations.addBox({
        caseId: id,
        finding: 'Mass',
        x: 1,
        y: 2,
        w: 3,
        h: 4,
        source: 'reader',
        author: 'Dr Old',
        readerId: old.id,
        at,
      })
      store.close()
      // Make it the schema-4 file an older CXR Lens wrote: no secret, flag or backoff columns.
      const raw = new Database(path)
      for (const column of ['secret_hash', 'administrator', 'failed_logins', 'last_failed_at'])
        raw.exec(`ALTER TABLE readers DROP COLUMN ${column}`)
      // ...and without what later migrations add (the background analysis queue, 006; PACS, 007 and 008; out-of-distribution, 009).
      raw.exec('DROP TABLE analysis_queue')
      for (const table of ['pacs_connections', 'case_sources', 'pacs_sr_imports', 'pacs_boxes']) raw.exec(`DROP TABLE ${table}`)
      raw.exec('DROP TABLE prediction_ood')
      raw.exec('ALTER TABLE cases DROP COLUMN acquisition_flag')
      raw.pragma('user_version = 4')
      raw.close()

      const oldCore = openServices(new DataFolder(local.path), { kind: 'web' })
      try {
        expect(oldCore.schemaVersion).toBe(SCHEMA_VERSION)
        const migrated = oldCore.store.readers.get(old.id)
        expect(migrated).toMatchObject({ name: 'Dr Old', role: 'radiologist', administrator: false, hasSecret: false })
        expect(oldCore.store.annotations.boxes(id)).toMatchObject([{ readerId: old.id, author: 'Dr Old', x: 1, y: 2, w: 3, h: 4 }])
        const oldDispatch = createDispatcher(createHandlers(oldCore), () => undefined)
        const session = createSession()
        expect(await oldDispatch('readers:login', { readerId: old.id, secret: 'anything-at-all' }, session)).toMatchObject({
          ok: false,
          error: {
            code: 'forbidden',
            message: `Dr Old has no secret yet: an administrator sets one on the workstation with "cxr-lens readers set-secret --id ${old.id}" (the secret is read from standard input)`,
          },
        })
        await new ReaderAccounts(oldCore.store).setSecret(old.id, 'old-but-new', CLI_ACTOR)
        expect(await oldDispatch('readers:login', { readerId: old.id, secret: 'old-but-new' }, session)).toMatchObject({ ok: true })
        expect(
          await oldDispatch('boxes:delete', { boxId: oldCore.store.annotations.boxes(id)[0].id, readerId: old.id }, session),
        ).toMatchObject({ ok: true })
      } finally {
        await oldCore.close()
      }
    } finally {
      local.cleanup()
    }
  })
})

describe('sessions over browser mode connections', () => {
  it('keeps each WebSocket connection its own session: a login on one does not log in another', async () => {
    const rendererDir = join(dir.path, 'renderer')
    mkdirSync(rendererDir, { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>x</title>')
    const server = await startWebServer({ core, rendererDir })
    const origin = new URL(server.url).origin
    const connect = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}/api?token=${server.token}`, { origin })
        ws.once('open', () => resolve(ws))
        ws.once('error', reject)
      })
    let nextId = 1
    const call = (ws: WebSocket, channel: string, request: unknown) =>
      new Promise<{ ok: boolean; error?: { code: string }; data?: unknown }>((resolve) => {
        const id = nextId++
        const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
          const message = decodeWire(isBinary ? new Uint8Array(data as Buffer) : String(data)) as { id: number; envelope: { ok: boolean } }
          if (message.id !== id) return
          ws.off('message', onMessage)
          resolve(message.envelope)
        }
        ws.on('message', onMessage)
        ws.send(encodeWire({ id, channel, request }))
      })
    try {
      const [first, second] = await Promise.all([connect(), connect()])
      const status = { caseId, readerId: admin.id, status: 'reviewed' }
      expect(await call(first, 'readers:login', { readerId: admin.id, secret: 'admin-secret-1' })).toMatchObject({ ok: true })
      expect(await call(second, 'cases:setStatus', status)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
      expect(await call(first, 'cases:setStatus', status)).toMatchObject({ ok: true })
      first.close()
      // A new connection (a reloaded page) starts anonymous again.
      const third = await connect()
      expect(await call(third, 'cases:setStatus', { ...status, status: 'in_review' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      })
      second.close()
      third.close()
    } finally {
      await server.close()
    }
  })
})
