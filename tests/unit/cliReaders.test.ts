/** `cxr-lens readers …`: the workstation's administrator; secrets come on standard input only. */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession } from '../../src/main/api/session'
import { tempDir } from './helpers'
import { CLI } from './builtCli'

const ROOT = resolve(__dirname, '../..')
const dir = tempDir()
const dataDir = join(dir.path, 'data')
afterAll(() => dir.cleanup())

/** Runs the built CLI with `stdin` written to its standard input. */
function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args, '--data-dir', dataDir], { cwd: ROOT })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  child.stdin.end(stdin)
  return new Promise((done) => child.on('close', (code) => done({ code: code ?? -1, stdout, stderr })))
}

/**
 * Ends the backoff after a failed login (it is not under test here) by dating that failure long ago,
 * as tests/unit/readerAuth.test.ts does; sleeping through the 250 ms instead raced the clock.
 */
function forgetFailures(core: Services, readerId: number): void {
  core.store.db.prepare('UPDATE readers SET last_failed_at = ? WHERE id = ?').run('2000-01-01T00:00:00.000Z', readerId)
}

describe('cxr-lens readers', () => {
  it('adds an administrator advisor with the secret from stdin, prints its JSON, and the secret logs in over the API', async () => {
    const added = await cli(
      ['readers', 'add', '--name', 'Dr Admin', '--role', 'clinical_advisor', '--admin', '--json'],
      'a long enough secret\n',
    )
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    const reader = JSON.parse(added.stdout) as { id: number }
    expect(reader).toEqual({ id: reader.id, name: 'Dr Admin', role: 'clinical_advisor', administrator: true })
    expect(reader.id).toBeGreaterThan(0)
    // A plain radiologist, the secret without a final newline (as `printf %s` sends it).
    const plain = await cli(['readers', 'add', '--name', 'Dr Plain', '--role', 'radiologist', '--json'], 'plain-secret')
    expect(JSON.parse(plain.stdout)).toMatchObject({ name: 'Dr Plain', role: 'radiologist', administrator: false })

    const core = openServices(new DataFolder(dataDir), { kind: 'web' })
    try {
      expect(readFileSync(core.dbPath).includes('a long enough secret')).toBe(false)
      const dispatch = createDispatcher(createHandlers(core), () => undefined)
      const session = createSession()
      expect(await dispatch('readers:login', { readerId: reader.id, secret: 'a long enough secret\n' }, session)).toMatchObject({
        ok: false,
      }) // the line end is not part of it
      forgetFailures(core, reader.id)
      expect(await dispatch('readers:login', { readerId: reader.id, secret: 'a long enough secret' }, session)).toMatchObject({
        ok: true,
        data: { administrator: true },
      })
      // The administrator made on the CLI may make another advisor over the API.
      expect(
        await dispatch('readers:create', { name: 'Dr Second', role: 'clinical_advisor', secret: 'second-secret' }, session),
      ).toMatchObject({ ok: true })
    } finally {
      await core.close()
    }
  })

  it('refuses an empty or short secret and a bad role, naming the problem, and stores nothing', async () => {
    const empty = await cli(['readers', 'add', '--name', 'Dr Empty', '--role', 'radiologist'], '')
    expect(empty).toMatchObject({ code: 1, stderr: expect.stringMatching(/The secret is empty; give one of at least 8 characters/) })
    const short = await cli(['readers', 'add', '--name', 'Dr Short', '--role', 'radiologist'], 'abc\n')
    expect(short).toMatchObject({ code: 1, stderr: expect.stringMatching(/too short \(3 characters\)/) })
    const role = await cli(['readers', 'add', '--name', 'Dr Role', '--role', 'admin'], 'long-enough-1\n')
    expect(role).toMatchObject({ code: 2, stderr: expect.stringMatching(/--role must be radiologist or clinical_advisor, not "admin"/) })
    const listed = await cli(['readers', 'list', '--json'])
    const names = (JSON.parse(listed.stdout) as { readers: Array<{ name: string; hasSecret: boolean }> }).readers.map((r) => r.name)
    expect(names).toEqual(['Dr Admin', 'Dr Plain', 'Dr Second'])
  })

  it('changes a role and sets a new secret from stdin', async () => {
    const { readers } = JSON.parse((await cli(['readers', 'list', '--json'])).stdout) as { readers: Array<{ id: number; name: string }> }
    const plain = readers.find((r) => r.name === 'Dr Plain')!
    const changed = await cli(['readers', 'set-role', '--id', String(plain.id), '--role', 'clinical_advisor', '--json'])
    expect(JSON.parse(changed.stdout)).toEqual({ id: plain.id, name: 'Dr Plain', role: 'clinical_advisor', administrator: false })
    expect((await cli(['readers', 'set-secret', '--id', String(plain.id)], 'brand-new-secret\n')).code).toBe(0)
    const core = openServices(new DataFolder(dataDir), { kind: 'web' })
    try {
      const dispatch = createDispatcher(createHandlers(core), () => undefined)
      expect(await dispatch('readers:login', { readerId: plain.id, secret: 'plain-secret' }, createSession())).toMatchObject({ ok: false })
      forgetFailures(core, plain.id)
      expect(await dispatch('readers:login', { readerId: plain.id, secret: 'brand-new-secret' }, createSession())).toMatchObject({
        ok: true,
        data: { role: 'clinical_advisor' },
      })
      const actions = core.store.db
        .prepare("SELECT action FROM audit_log WHERE actor = 'cxr-lens CLI (administrator)' ORDER BY id")
        .pluck()
        .all() as string[]
      expect(actions).toEqual(['reader.create', 'reader.create', 'reader.role', 'reader.secret'])
    } finally {
      await core.close()
    }
  })
})
