import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { formatImportSummary } from '../../src/main/cli/cliImport'
import { importNih } from '../../src/main/cases/nihImporter'
import { readNihBoxes, readNihLabels } from '../../src/main/cases/nihCsv'
import { reasonOf } from '../../src/main/cases/failureReason'
import { entryName, NON_UTF8_NAME, readRegularFile, readRegularFileSync } from '../../src/main/cases/regularFile'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { writeDicom } from './dicomWriter'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
const servers: Server[] = []
afterAll(() => {
  for (const server of servers) server.close()
  dir.cleanup()
})

/** A folder entry of every kind an importer must refuse, named like an image. */
async function plantHostile(folder: string, ext: string): Promise<Record<string, string>> {
  execFileSync('mkfifo', [join(folder, `fifo${ext}`)])
  symlinkSync('/dev/zero', join(folder, `zero${ext}`))
  symlinkSync(join(folder, 'nowhere'), join(folder, `dangling${ext}`))
  mkdirSync(join(folder, `folder${ext}`))
  writeFileSync(join(folder, `empty${ext}`), '')
  writeFileSync(join(folder, `big${ext}`), '')
  truncateSync(join(folder, `big${ext}`), 257 * 1024 * 1024) // sparse: no disk used
  const server = createServer()
  servers.push(server)
  await new Promise<void>((listening) => server.listen(join(folder, `socket${ext}`), listening))
  return {
    [`fifo${ext}`]: 'not a regular file (a FIFO)',
    [`zero${ext}`]: 'not a regular file (a character device)',
    [`dangling${ext}`]: 'does not exist (or is a symbolic link to nothing) (ENOENT)',
    [`folder${ext}`]: 'not a regular file (a folder)',
    [`empty${ext}`]: 'is empty',
    [`big${ext}`]: 'larger than the 256 MiB limit (257 MiB)',
    [`socket${ext}`]: 'not a regular file (a socket)',
  }
}

describe('reading only regular files', () => {
  it('refuses FIFOs, devices, sockets, folders and oversize files at once, in words, and follows symlinks to regular files', async () => {
    const folder = join(dir.path, 'kinds')
    mkdirSync(folder)
    const expected = await plantHostile(folder, '.bin')
    writeFileSync(join(folder, 'real.bin'), 'data')
    symlinkSync(join(folder, 'real.bin'), join(folder, 'link.bin'))
    const started = performance.now()
    for (const [name, reason] of Object.entries(expected)) {
      await expect(readRegularFile(join(folder, name), { name })).rejects.toMatchObject({ reason, message: `${name}: ${reason}` })
      expect(() => readRegularFileSync(join(folder, name), { name })).toThrow(`${name}: ${reason}`)
    }
    expect(performance.now() - started).toBeLessThan(5000) // nothing waited on the FIFO or read /dev/zero
    expect((await readRegularFile(join(folder, 'link.bin'))).toString()).toBe('data')
    await expect(readRegularFile(join(folder, 'real.bin'), { maxBytes: 3 })).rejects.toThrow(
      'real.bin: larger than the 3 bytes limit (4 bytes)',
    )
    // A regular file whose stat'ed size is 0 but which has content (procfs) is read to its end, both ways.
    expect((await readRegularFile('/proc/self/status')).toString()).toMatch(/^Name:/)
    expect(readRegularFileSync('/proc/self/status').toString()).toMatch(/^Name:/)
    expect(() => readRegularFileSync('/proc/self/status', { maxBytes: 10 })).toThrow(
      /^\/proc\/self\/status: larger than the 10 bytes limit \(\d+ bytes\)$/,
    )
  })

  it('shows a name that is not UTF-8 with \\x escapes instead of a replaced, unopenable name', () => {
    expect(entryName(Buffer.from('ok-é.png'))).toEqual({ name: 'ok-é.png', valid: true })
    expect(entryName(Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('-é.png')]))).toEqual({
      name: 'caf\\xe9-é.png',
      valid: false,
    })
  })
})

describe('failure reasons', () => {
  it('are never empty and never repeat the file name, whatever was thrown', () => {
    expect(reasonOf(new Error('a.png: not a readable image: bad'), 'a.png')).toBe('not a readable image: bad')
    expect(reasonOf('codec says no')).toBe('codec says no')
    expect(reasonOf(new Error(''))).toBe('failed without a reason given (a thrown Error)')
    expect(reasonOf(70312)).toBe('failed without a reason given (a thrown number)') // a WASM exception pointer
    expect(reasonOf(undefined)).toBe('failed without a reason given (a thrown undefined)')
    expect(reasonOf(new Error('x'.repeat(5000))).length).toBeLessThan(310)
  })
})

describe.runIf(HAS_NIH)('importers name every unreadable file once, with a reason in words', () => {
  it('an NIH import refuses each hostile entry without blocking; none is also listed as imported unlabelled', async () => {
    const names = readdirSync(NIH_256).sort().slice(0, 3)
    const folder = imageFolder(join(dir.path, 'nih'), NIH_256, names) // symlinks to the shared PNGs: followed
    const expected = await plantHostile(folder, '.png')
    writeFileSync(Buffer.concat([Buffer.from(folder), Buffer.from('/bad'), Buffer.from([0xff]), Buffer.from('.png')]), 'not even an image')
    expected['bad\\xff.png'] = NON_UTF8_NAME
    const store = new CaseStore(openDatabase(':memory:'))
    const summary = await importNih(store, { imagesDir: folder, labelsCsv: LABELS_CSV })
    expect(summary.imported).toBe(3)
    expect(summary.scanned).toBe(3 + Object.keys(expected).length)
    expect(Object.fromEntries(summary.failed.map((f) => [f.name, f.reason]))).toEqual(expected)
    expect(summary.failed).toHaveLength(Object.keys(expected).length) // each once
    expect(summary.unlabelled).toEqual([])
    const text = formatImportSummary(summary, true)
    for (const name of Object.keys(expected)) expect(text.split(name).length - 1, name).toBe(1) // printed once
    expect(text).not.toMatch(/Unknown error|^ {2}.*: *$/m) // no item without a reason
    store.close()
  })

  it('a DICOM import does the same, and imports a file whose name is not UTF-8 under its escaped name', async () => {
    const folder = join(dir.path, 'dicom')
    mkdirSync(folder)
    const expected = await plantHostile(folder, '.dcm')
    delete expected['folder.dcm'] // a DICOM import walks subfolders (this one is empty)
    const pixels = new Uint8Array(64 * 64).map((_, i) => i % 251)
    writeFileSync(
      Buffer.concat([Buffer.from(folder), Buffer.from('/scan'), Buffer.from([0xe9]), Buffer.from('.dcm')]),
      writeDicom({ rows: 64, columns: 64, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels }),
    )
    writeFileSync(Buffer.concat([Buffer.from(folder), Buffer.from('/notes'), Buffer.from([0xff]), Buffer.from('.txt')]), 'text')
    expected['notes\\xff.txt'] = 'not a DICOM Part 10 file (no DICM marker)'
    const dataDir = join(dir.path, 'dicom-data')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    const summary = await importDicom(store, { dicomDir: folder, dataDir })
    expect(summary.imported).toBe(1)
    expect(Object.fromEntries(summary.failed.map((f) => [f.name, f.reason]))).toEqual(expected)
    expect(summary.failed).toHaveLength(Object.keys(expected).length)
    store.close()
  })
})

describe('CSV errors stay short and name file and line', () => {
  const MB = 'x'.repeat(1024 * 1024)
  const check = (message: string, file: string) => {
    expect(message.length, message.slice(0, 200)).toBeLessThan(600)
    expect(message).toContain(file)
  }

  it('a 1 MB field in a header, an image name, a finding or a box row gives a short message', () => {
    const header = join(dir.path, 'header.csv')
    writeFileSync(header, `Image,${MB}\na.png,Mass\n`)
    let message = ''
    try {
      readNihLabels(header)
    } catch (error) {
      message = (error as Error).message
    }
    check(message, 'header.csv, line 1: missing columns')

    const labels = join(dir.path, 'labels.csv')
    writeFileSync(labels, `Image Index,Finding Labels\n${MB}.png,Mass\nb.png,"${MB}|${MB}y|Mass"\nc.png,Mass\n`)
    const parsed = readNihLabels(labels)
    expect(parsed.rows.map((r) => r.image)).toEqual(['c.png'])
    expect(parsed.rejected.map((r) => r.name)).toEqual(['labels.csv:2', 'labels.csv:3 (b.png)'])
    for (const r of parsed.rejected) check(`${r.name}: ${r.reason}`, 'labels.csv:')

    const boxes = join(dir.path, 'boxes.csv')
    writeFileSync(boxes, `Image Index,Finding Label,x,y,w,h\n${MB}.png,Mass,1,2,3,4\nb.png,${MB},1,2,3,4\n`)
    for (const r of readNihBoxes(boxes).rejected) check(`${r.name}: ${r.reason}`, 'boxes.csv:')
  })

  it('a label CSV that is a FIFO is refused at once, by name', async () => {
    const fifo = join(dir.path, 'fifo.csv')
    execFileSync('mkfifo', [fifo])
    const store = new CaseStore(openDatabase(':memory:'))
    await expect(importNih(store, { imagesDir: dir.path, labelsCsv: fifo })).rejects.toThrow(
      /Cannot read .*fifo\.csv: not a regular file \(a FIFO\)/,
    )
    store.close()
  })
})
