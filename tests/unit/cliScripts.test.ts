/**
 * The CLI as scripts use it (issue 20): an import that refused files or rows exits 3; a CSV row with
 * the wrong number of columns is refused by file and line and writes nothing; an NIH box list with
 * --with-author keeps who drew each box, and re-importing it restores the attribution.
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { AnnotationService } from '../../src/main/annotations/annotationService'
import { CaseStore } from '../../src/main/store/caseStore'
import { BOXES_CSV, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'
import { CLI } from './builtCli'

const run = promisify(execFile)
const dir = tempDir('cxr-scripts-')
afterAll(dir.cleanup)

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args])
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

function withStore<T>(dataDir: string, use: (store: CaseStore) => T): T {
  const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
  try {
    return use(store)
  } finally {
    store.close()
  }
}

// Four images that have NIH boxes in the dev box list.
const NAMES = ['00000032_037.png', '00000072_000.png', '00000147_001.png', '00000149_006.png']
const HEADER =
  'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]'
const labelRows = readFileSync(LABELS_CSV, 'utf8')
  .split(/\r?\n/)
  .filter((line) => NAMES.some((name) => line.startsWith(`${name},`)))

describe.runIf(HAS_NIH)('cxr-lens for scripts', () => {
  const folder = imageFolder(dir.path, NIH_256, NAMES)

  it("exits 0 for a complete import (box rows of other folders' images are no refusal), 3 when a file or row is refused", async () => {
    const clean = await cli([
      'import',
      '--images',
      folder,
      '--labels',
      LABELS_CSV,
      '--boxes',
      BOXES_CSV,
      '--data-dir',
      join(dir.path, 'clean'),
      '--json',
    ])
    expect(clean.code, clean.stderr).toBe(0)
    expect(JSON.parse(clean.stdout)).toMatchObject({ imported: 4, failed: [] })
    const again = await cli(['import', '--images', folder, '--labels', LABELS_CSV, '--data-dir', join(dir.path, 'clean')])
    expect(again.code).toBe(0) // already imported is not a refusal: scripts may rerun an import

    const broken = imageFolder(join(dir.path, 'broken'), NIH_256, NAMES.slice(0, 1), {
      'cut.png': readFileSync(join(NIH_256, NAMES[1])).subarray(0, 300),
    })
    const failed = await cli(['import', '--images', broken, '--labels', LABELS_CSV, '--data-dir', join(dir.path, 'broken-data')])
    expect(failed.code).toBe(3)
    expect(failed.stdout).toMatch(/failed \(1\):\n {2}cut\.png: /)
  })

  it('refuses a CSV row with the wrong number of columns by file and line, writing nothing from it', async () => {
    const labels = join(dir.path, 'shifted-labels.csv')
    // row 3 has an unquoted comma in Finding Labels (12 columns), row 4 is cut short (5 columns)
    const [first, second, third, fourth] = labelRows
    writeFileSync(
      labels,
      [HEADER, first, second.replace(/^([^,]+),/, '$1,Mass,'), fourth.split(',').slice(0, 5).join(','), third].join('\n') + '\n',
    )
    const boxes = join(dir.path, 'shifted-boxes.csv')
    writeFileSync(boxes, `Image Index,Finding Label,x,y,w,h\n${NAMES[0]},Mass,10,20,30,40\n${NAMES[2]},Mass,10,20,30,40,99\n`)
    const dataDir = join(dir.path, 'shifted')
    const result = await cli(['import', '--images', folder, '--labels', labels, '--boxes', boxes, '--data-dir', dataDir, '--json'])
    expect(result.code, result.stderr).toBe(3)
    const summary = JSON.parse(result.stdout) as {
      imported: number
      failed: Array<{ name: string; reason: string }>
      boxesAdded: number
      boxesSkipped: Array<{ name: string; reason: string }>
    }
    expect(summary.imported).toBe(4) // the images themselves are fine
    expect(summary.failed).toEqual([
      { name: 'shifted-labels.csv:3', reason: 'row has 12 columns, the header has 11 (an unquoted comma in a field?); row refused' },
      { name: 'shifted-labels.csv:4', reason: 'row has 5 columns, the header has 11; row refused' },
    ])
    expect(summary.boxesSkipped).toContainEqual({
      name: 'shifted-boxes.csv:3',
      reason: 'row has 7 columns, the header has 6 (an unquoted comma in a field?); row refused',
    })
    expect(summary.boxesAdded).toBe(1)
    withStore(dataDir, (store) => {
      const labelsOf = (name: string) => store.annotations.labels(store.cases.findByImageName(name)[0].id)
      expect(labelsOf(NAMES[1])).toEqual([]) // the shifted row wrote no label (it would have said "Mass")
      expect(labelsOf(NAMES[3])).toEqual([])
      expect(labelsOf(NAMES[0]).length).toBeGreaterThan(0)
      expect(store.annotations.boxes(store.cases.findByImageName(NAMES[2])[0].id)).toEqual([])
    })
    const text = await cli(['import', '--images', folder, '--labels', labels, '--data-dir', join(dir.path, 'shifted-text')])
    expect(text.stdout).toMatch(/failed \(2\):\n {2}shifted-labels\.csv:3: row has 12 columns/)
  })

  it("exports readers' boxes with an Author column; re-importing restores each box to its reader, once", async () => {
    const source = join(dir.path, 'clean')
    const drawn = withStore(source, (store) => {
      const reader = store.readers.create('Dr Ada Lovelace', 'radiologist')
      const caseId = store.cases.findByImageName(NAMES[0])[0].id
      return new AnnotationService(store).createBox(caseId, reader.id, { finding: 'Nodule', x: 40.25, y: 60.5, w: 20, h: 16.75 })
    })
    const exported = join(dir.path, 'boxes-with-author.csv')
    const done = await cli(['export', 'boxes', '--format', 'nih', '--with-author', '--out', exported, '--data-dir', source])
    expect(done.code, done.stderr).toBe(0)
    const lines = readFileSync(exported, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('Image Index,Finding Label,x,y,w,h,Author')
    expect(lines).toContain(`${NAMES[0]},Nodule,161,242,80,67,Dr Ada Lovelace`) // ×4: the 1024² space
    expect(lines.filter((l) => l.endsWith(',NIH ChestX-ray14')).length).toBe(lines.length - 2)
    const plain = join(dir.path, 'boxes-plain.csv')
    await cli(['export', 'boxes', '--format', 'nih', '--out', plain, '--data-dir', source])
    expect(readFileSync(plain, 'utf8').split('\n')[0]).toBe('Image Index,Finding Label,x,y,w,h') // unchanged without the flag
    expect(
      (await cli(['export', 'boxes', '--format', 'coco', '--with-author', '--out', join(dir.path, 'x.json'), '--data-dir', source])).code,
    ).toBe(2)

    // Another workstation where the reader exists (names match case-insensitively, as at login).
    const target = join(dir.path, 'target')
    const readerId = withStore(target, (store) => store.readers.create('dr ada lovelace', 'radiologist').id)
    const imported = await cli(['import', '--images', folder, '--labels', LABELS_CSV, '--boxes', exported, '--data-dir', target, '--json'])
    expect(imported.code, imported.stderr).toBe(0)
    const datasetBoxes = lines.length - 2
    expect(JSON.parse(imported.stdout)).toMatchObject({ boxesAdded: datasetBoxes + 1, boxesSkipped: [] })
    withStore(target, (store) => {
      const boxes = store.annotations.boxes(store.cases.findByImageName(NAMES[0])[0].id)
      const mine = boxes.filter((b) => b.source === 'reader')
      expect(mine).toHaveLength(1)
      expect(mine[0]).toMatchObject({
        finding: 'Nodule',
        readerId,
        author: 'dr ada lovelace',
        x: drawn.x,
        y: drawn.y,
        w: drawn.w,
        h: drawn.h,
      })
      expect(boxes.filter((b) => b.source === 'dataset').every((b) => b.author === 'NIH ChestX-ray14' && b.readerId === null)).toBe(true)
      expect(store.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'box.import'").get()).toEqual({ n: 1 })
    })
    const twice = await cli(['import', '--images', folder, '--labels', LABELS_CSV, '--boxes', exported, '--data-dir', target, '--json'])
    expect(JSON.parse(twice.stdout)).toMatchObject({ boxesAdded: 0 })

    // COCO keeps the reader as attributes
    const coco = join(dir.path, 'boxes.json')
    await cli(['export', 'boxes', '--format', 'coco', '--source', 'reader', '--out', coco, '--data-dir', target])
    expect(
      (JSON.parse(readFileSync(coco, 'utf8')) as { annotations: Array<{ attributes: unknown }> }).annotations.map((a) => a.attributes),
    ).toEqual([expect.objectContaining({ author: 'dr ada lovelace', source: 'reader', reader_id: readerId })])
  })

  it('refuses a box whose Author is no reader here (readers are not created from a CSV), keeping the rest', async () => {
    const exported = join(dir.path, 'boxes-with-author.csv')
    const dataDir = join(dir.path, 'no-reader')
    const result = await cli(['import', '--images', folder, '--labels', LABELS_CSV, '--boxes', exported, '--data-dir', dataDir, '--json'])
    expect(result.code).toBe(3)
    const summary = JSON.parse(result.stdout) as { boxesAdded: number; boxesSkipped: Array<{ name: string; reason: string }> }
    expect(summary.boxesSkipped).toEqual([
      {
        name: `${NAMES[0]} (Nodule)`,
        reason: expect.stringMatching(/^Author "Dr Ada Lovelace" is not a reader of this data folder; add them first/),
      },
    ])
    expect(summary.boxesAdded).toBeGreaterThan(0)
    withStore(dataDir, (store) => expect(store.readers.list()).toEqual([]))
  })
})
