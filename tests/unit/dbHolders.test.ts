import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  DatabaseInUseError,
  holdersDir,
  liveHolders,
  processStart,
  registerHolder,
  restoreLockPath,
  withRestoreLock,
} from '../../src/main/store/dbHolders'
import { tempDir } from './helpers'

const dir = tempDir('cxr-holders-')
afterAll(dir.cleanup)
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})
let n = 0
const folder = () => {
  const path = join(dir.path, `d${n++}`)
  mkdirSync(path, { recursive: true })
  return path
}

/** A live process other than ours: runs `setup` (synchronously), says so, then sleeps. */
function otherProcess(setup = ''): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `${setup}; console.log('ready'); setInterval(() => {}, 30000)`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  return new Promise((ready, fail) => {
    child.stdout!.once('data', () => ready(child))
    child.once('exit', (code) => fail(new Error(`the helper process exited (${code})`)))
  })
}

const takeLock = (dataDir: string) =>
  `require('fs').writeFileSync(${JSON.stringify(restoreLockPath(dataDir))}, JSON.stringify({ pid: process.pid, kind: 'cli', host: require('os').hostname(), since: 'now', what: 'cxr-lens restore' }))`

/**
 * Code for the restorer: removes its restore lock once the parent (this test) has written its holder
 * file and removed it again, i.e. stepped aside for the restore (fs.watch: inotify misses no event).
 */
const releaseWhenSteppedAside = (dataDir: string, marker: string) =>
  `const fs = require('fs'); const dir = ${JSON.stringify(holdersDir(dataDir))}; fs.mkdirSync(dir, { recursive: true });
  let seen = 0;
  fs.watch(dir, (event, name) => {
    if (name !== process.ppid + '.json' || ++seen !== 2) return;
    fs.writeFileSync(${JSON.stringify(marker)}, 'stepped aside');
    fs.rmSync(${JSON.stringify(restoreLockPath(dataDir))});
  })`

/** A pid that is not running: a finished child's. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'])
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

const holderFile = (dataDir: string, pid: number, kind = 'web', what = 'browser mode', started?: string) =>
  writeFileSync(
    join(holdersDir(dataDir), `${pid}.json`),
    JSON.stringify({ pid, kind, host: hostname(), since: '2026-01-01T00:00:00.000Z', what, started }),
  )

describe('the registry of processes holding a database', () => {
  it("lists a live holder, removes a dead one, and releases only after the last of a process's opens", async () => {
    const dataDir = folder()
    const other = await otherProcess()
    const dead = await deadPid()
    mkdirSync(holdersDir(dataDir), { recursive: true })
    holderFile(dataDir, other.pid!)
    holderFile(dataDir, dead)
    writeFileSync(join(holdersDir(dataDir), 'garbage.json'), '{') // young debris stays until it is old
    expect(liveHolders(dataDir).map((h) => h.pid)).toEqual([other.pid])
    expect(existsSync(join(holdersDir(dataDir), `${dead}.json`))).toBe(false)
    if (processStart(other.pid!)) {
      // The same pid, but a process started at another time (the holder died, the pid was reused): stale.
      holderFile(dataDir, other.pid!, 'web', 'browser mode', `${processStart(other.pid!)}0`)
      expect(liveHolders(dataDir)).toEqual([])
      holderFile(dataDir, other.pid!, 'web', 'browser mode', processStart(other.pid!)!)
      expect(liveHolders(dataDir).map((h) => h.pid)).toEqual([other.pid])
    }

    const first = registerHolder(dataDir, 'cli', 'cxr-lens cases')
    const second = registerHolder(dataDir, 'cli', 'cxr-lens cases')
    expect(
      liveHolders(dataDir, null)
        .map((h) => h.pid)
        .sort(),
    ).toEqual([other.pid!, process.pid].sort())
    first()
    first() // idempotent: a second call does not release the other open
    expect(existsSync(join(holdersDir(dataDir), `${process.pid}.json`))).toBe(true)
    second()
    expect(existsSync(join(holdersDir(dataDir), `${process.pid}.json`))).toBe(false)
  })

  it('refuses a restore while another process holds the folder, naming it, and changes nothing', async () => {
    const dataDir = folder()
    const other = await otherProcess()
    mkdirSync(holdersDir(dataDir), { recursive: true })
    holderFile(dataDir, other.pid!, 'app', 'desktop app')
    let swapped = false
    expect(() => withRestoreLock(dataDir, 'cli', 'cxr-lens restore', () => (swapped = true))).toThrow(DatabaseInUseError)
    expect(() => withRestoreLock(dataDir, 'cli', 'cxr-lens restore', () => (swapped = true))).toThrow(
      new RegExp(
        `open in another process: pid ${other.pid} \\(app: desktop app, since 2026-01-01T00:00:00.000Z\\)\\. .*Backups dialog; nothing was changed\\.`,
      ),
    )
    expect(swapped).toBe(false)
    expect(existsSync(restoreLockPath(dataDir))).toBe(false)
    // Our own registration does not block our own restore (the app's Backups dialog).
    other.kill('SIGKILL')
    await new Promise((r) => other.once('exit', r))
    const release = registerHolder(dataDir, 'app')
    expect(withRestoreLock(dataDir, 'app', 'restore', () => 'swapped')).toBe('swapped')
    release()
  })

  it('an opener waits while another process restores, then proceeds; it gives up naming the restorer when the wait is too long', async () => {
    const dataDir = folder()
    // Another process takes the restore lock and lets go only once it has seen this opener step
    // aside (its holder file made and removed again), so the wait is proven by events, not by a
    // clock: a lock held for a fixed 800 ms could be gone before a slowed-down test got to wait for it.
    const marker = join(dir.path, `stepped-aside-${n}`)
    const restorer = await otherProcess(`${takeLock(dataDir)}; ${releaseWhenSteppedAside(dataDir, marker)}`)
    const release = registerHolder(dataDir, 'web', 'browser mode')
    expect(existsSync(marker)).toBe(true)
    expect(existsSync(restoreLockPath(dataDir))).toBe(false)
    expect(liveHolders(dataDir, null).map((h) => h.pid)).toEqual([process.pid])
    release()
    restorer.kill('SIGKILL')

    const stuck = folder()
    const holdsForever = await otherProcess(takeLock(stuck))
    expect(() => registerHolder(stuck, 'cli', 'cxr-lens import', 300)).toThrow(
      new RegExp(`being restored by pid ${holdsForever.pid} \\(cli: cxr-lens restore`),
    )
    expect(readdirSync(holdersDir(stuck))).toEqual([]) // it stepped aside and stays out
  })

  it('clears the restore lock of a process that died mid-restore', async () => {
    const dataDir = folder()
    const dead = await deadPid()
    writeFileSync(
      restoreLockPath(dataDir),
      JSON.stringify({ pid: dead, kind: 'cli', host: hostname(), since: 'then', what: 'cxr-lens restore' }),
    )
    const release = registerHolder(dataDir, 'cli', 'cxr-lens cases', 1000)
    expect(existsSync(restoreLockPath(dataDir))).toBe(false)
    release()
    writeFileSync(
      restoreLockPath(dataDir),
      JSON.stringify({ pid: dead, kind: 'cli', host: hostname(), since: 'then', what: 'cxr-lens restore' }),
    )
    expect(withRestoreLock(dataDir, 'cli', 'cxr-lens restore', () => 'done')).toBe('done')
  })
})
