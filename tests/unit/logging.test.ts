import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import type { LoadedPolicy } from '../../src/main/config/policy'
import { currentLogFile, log, logFolder, logLevel, startLogging, stopLogging } from '../../src/main/logging/log'
import { RotatingFile } from '../../src/main/logging/rotatingFile'
import { scrubFields, scrubText } from '../../src/main/logging/scrub'
import { tempDir } from './helpers'

const dir = tempDir('cxr-log-')
afterAll(dir.cleanup)
afterEach(stopLogging)
const noPolicy: LoadedPolicy = { file: null, settings: {} }
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('rotating log file', () => {
  it('rotates by size, keeps the newest N files and never exceeds the limit per file', () => {
    const file = join(dir.path, 'rot', 'cxr-lens.log')
    const out = new RotatingFile(file, { maxBytes: 200, keep: 2 })
    for (let i = 0; i < 20; i++) out.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(40)}\n`) // 49 bytes each
    out.close()
    expect(readdirSync(join(dir.path, 'rot')).sort()).toEqual(['cxr-lens.log', 'cxr-lens.log.1', 'cxr-lens.log.2'])
    for (const name of ['cxr-lens.log', 'cxr-lens.log.1', 'cxr-lens.log.2'])
      expect(readFileSync(join(dir.path, 'rot', name)).length).toBeLessThanOrEqual(200)
    // the newest line is in the current file, the oldest kept ones in .2; lines 0–7 rotated away
    expect(readFileSync(file, 'utf8')).toContain('line 19')
    const kept = ['cxr-lens.log.2', 'cxr-lens.log.1', 'cxr-lens.log'].map((n) => readFileSync(join(dir.path, 'rot', n), 'utf8')).join('')
    expect(kept.match(/line (\d+)/g)).toEqual(Array.from({ length: 12 }, (_, i) => `line ${String(i + 8).padStart(2, '0')}`))
  })
})

describe('the installation log', () => {
  it("goes to the data folder's logs/ unless the per-machine folder exists and is writable, or the policy names one", () => {
    const data = join(dir.path, 'data-a')
    expect(logFolder(data, noPolicy, join(dir.path, 'no-such-machine-dir'))).toBe(join(data, 'logs'))
    const machine = join(dir.path, 'machine-logs')
    mkdirSync(machine)
    expect(logFolder(data, noPolicy, machine)).toBe(machine)
    expect(logFolder(data, { file: '/p.json', settings: { logging: { folder: '/srv/logs' } } }, machine)).toBe('/srv/logs')
  })

  it("writes JSON lines with level, time, pid and process kind; the policy's level beats CXR_LENS_LOG_LEVEL", () => {
    const data = join(dir.path, 'data-b')
    const file = startLogging({ dataDir: data, kind: 'cli', policy: noPolicy })!
    expect(file).toBe(join(data, 'logs', 'cxr-lens.log'))
    expect(currentLogFile()).toBe(file)
    log().debug('not at info')
    log().info('an event', { count: 3 })
    log().error('a failure', { detail: 'boom' })
    const written = lines(file)
    expect(written.map((l) => l.msg)).toEqual(['an event', 'a failure'])
    expect(written[0]).toMatchObject({ level: 'info', proc: 'cli', pid: process.pid, count: 3 })
    expect(Date.parse(written[0].time as string)).toBeGreaterThan(0)

    const quiet: LoadedPolicy = { file: '/p.json', settings: { logging: { level: 'error' } } }
    expect(logLevel(quiet, { CXR_LENS_LOG_LEVEL: 'debug' })).toBe('error')
    expect(logLevel(noPolicy, { CXR_LENS_LOG_LEVEL: 'debug' })).toBe('debug')
    expect(logLevel(noPolicy, { CXR_LENS_LOG_LEVEL: 'nonsense' })).toBe('info')
    startLogging({ dataDir: data, kind: 'cli', policy: quiet })
    log().warn('below error')
    log().error('at error')
    expect(lines(file).map((l) => l.msg)).toEqual(['an event', 'a failure', 'at error'])
  })

  it('falls back to the data folder when the chosen folder cannot be written, and never throws', () => {
    const data = join(dir.path, 'data-c')
    const notAFolder = join(dir.path, 'plain-file')
    writeFileSync(notAFolder, 'x')
    const file = startLogging({
      dataDir: data,
      kind: 'app',
      policy: { file: '/p.json', settings: { logging: { folder: join(notAFolder, 'logs') } } },
    })
    expect(file).toBe(join(data, 'logs', 'cxr-lens.log'))
    expect(lines(file!)).toEqual([expect.objectContaining({ level: 'warn', msg: 'log folder not writable; logging to the data folder' })])
    // nowhere writable at all: stays on stderr, returns null
    stopLogging()
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      expect(startLogging({ dataDir: join(notAFolder, 'data'), kind: 'app', policy: noPolicy })).toBeNull()
      expect(currentLogFile()).toBeNull()
      log().info('still no throw')
    } finally {
      stderr.mockRestore()
    }
  })

  it('scrubs paths, quoted values and stack frames from every message and field', () => {
    expect(scrubText('Cannot read /tmp/Doe John/PHIQZ1001Z.csv: not a regular file')).toMatch(
      /^Cannot read <path [0-9a-f]{8}>: not a regular file$/,
    )
    expect(scrubText('cannot be read at C:\\Users\\Doe\\PHIQZ.png (ENOENT); was it moved?')).toMatch(
      /^cannot be read at <path [0-9a-f]{8}> \(ENOENT\); was it moved\?$/,
    )
    expect(scrubText('at \\\\server\\share\\PHIQZ.dcm, line 3')).toMatch(/^at <path [0-9a-f]{8}>, line 3$/)
    expect(scrubText('unknown finding "PHIQZ" in row 3')).toBe('unknown finding "…" in row 3')
    expect(scrubText('Error: x\n    at fn (/home/doe/PHIQZ/src/a.ts:1:2)')).toBe('Error: x\n    at fn (a.ts:1:2)')
    // the same path hashes the same (support can correlate), another differently
    expect(scrubText('/a/b')).toBe(scrubText('/a/b'))
    expect(scrubText('/a/b')).not.toBe(scrubText('/a/c'))
    expect(scrubText('3/4 of http://127.0.0.1:8080/x')).toBe('3/4 of http://127.0.0.1:8080/x')
    expect(scrubFields({ nested: [{ path: '/PHIQZ/x' }], n: 1 })).toEqual({ nested: [{ path: expect.stringMatching(/^<path /) }], n: 1 })
  })

  it('before startLogging, only warnings and errors reach stderr, scrubbed', () => {
    expect(currentLogFile()).toBeNull()
    const written: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true))
    try {
      log().info('quiet')
      log().error('loud', { detail: 'Cannot read /tmp/PHIQZ/x.csv: gone' })
    } finally {
      spy.mockRestore()
    }
    expect(written).toHaveLength(1)
    expect(JSON.parse(written[0])).toMatchObject({
      level: 'error',
      msg: 'loud',
      detail: expect.stringMatching(/^Cannot read <path [0-9a-f]{8}>: gone$/),
    })
  })
})
