import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { analyzeCases } from '../../src/main/analysis/analysisService'
import { acquisitionFlag } from '../../src/main/cases/acquisitionCheck'
import { importNih } from '../../src/main/cases/nihImporter'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { sha256Of } from '../../src/main/model/hashing'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { writeDicom } from './dicomWriter'
import { HAS_NIH, LABELS_CSV, NIH_256, REFERENCE_MODEL_DIR, tempDir } from './helpers'

const FIXTURES = resolve(__dirname, '../fixtures/engine')
const dir = tempDir()
afterAll(dir.cleanup)

/** A copy of a package whose files the test may break. */
function copyPackage(source: string, name: string): string {
  const target = join(dir.path, name)
  cpSync(source, target, { recursive: true })
  return target
}
const readManifest = (pkgDir: string) => JSON.parse(readFileSync(join(pkgDir, 'manifest.json'), 'utf8'))
const writeManifest = (pkgDir: string, manifest: unknown) => writeFileSync(join(pkgDir, 'manifest.json'), JSON.stringify(manifest))

describe('out-of-distribution statistics in the model package', () => {
  it('the reference model ships them, hashed in its manifest', () => {
    const pkg = loadModelPackage(REFERENCE_MODEL_DIR)
    expect(pkg.ood).not.toBeNull()
    expect(pkg.manifest.ood).toEqual({ file: 'ood.json', sha256: sha256Of(readFileSync(join(REFERENCE_MODEL_DIR, 'ood.json'))) })
    expect(pkg.ood!.mahalanobis.dims).toBe(pkg.manifest.outputs.features.shape[0])
    expect(pkg.ood!.passRate).toBe(0.95)
  })

  it('a tampered, corrupt, misfitted or missing file is refused by name; the model still loads, without the check', () => {
    const tampered = copyPackage(REFERENCE_MODEL_DIR, 'tampered')
    const bytes = readFileSync(join(tampered, 'ood.json'))
    bytes[bytes.length - 10] ^= 1
    writeFileSync(join(tampered, 'ood.json'), bytes)
    const pkg = loadModelPackage(tampered)
    expect(pkg.ood).toBeNull()
    expect(pkg.oodMissing).toMatch(/^no out-of-distribution check: .*tampered\/ood\.json: has SHA-256 [0-9a-f]{64}, but the manifest says/)

    // Hashed correctly, but not a statistics file: named, with the field at fault.
    const corrupt = copyPackage(REFERENCE_MODEL_DIR, 'corrupt')
    const junk = Buffer.from(JSON.stringify({ format: 'cxr-lens-ood', version: 1 }))
    writeFileSync(join(corrupt, 'ood.json'), junk)
    writeManifest(corrupt, { ...readManifest(corrupt), ood: { file: 'ood.json', sha256: sha256Of(junk) } })
    expect(loadModelPackage(corrupt).oodMissing).toMatch(/corrupt\/ood\.json: is invalid: method: /)

    // The reference model's statistics beside a 32-channel model: the sizes do not match.
    const misfit = copyPackage(join(FIXTURES, 'tiny-resnet'), 'misfit')
    cpSync(join(REFERENCE_MODEL_DIR, 'ood.json'), join(misfit, 'ood.json'))
    writeManifest(misfit, { ...readManifest(misfit), ood: readManifest(REFERENCE_MODEL_DIR).ood })
    expect(loadModelPackage(misfit).oodMissing).toMatch(/misfit\/ood\.json: is for 1024 features but the model pools 32/)

    const absent = copyPackage(REFERENCE_MODEL_DIR, 'absent')
    writeManifest(absent, { ...readManifest(absent), ood: undefined })
    expect(loadModelPackage(absent)).toMatchObject({ ood: null, oodMissing: /has no ood\.json/ })

    // A path in the manifest is refused with the manifest (only the file name ood.json is allowed).
    const escaping = copyPackage(REFERENCE_MODEL_DIR, 'escaping')
    writeManifest(escaping, { ...readManifest(escaping), ood: { file: '../ood.json', sha256: 'a'.repeat(64) } })
    expect(() => loadModelPackage(escaping)).toThrow(/manifest.json is invalid: ood.file/)
  })

  it('header check: lateral views and other body parts, never echoing free text', () => {
    expect(acquisitionFlag({ viewPosition: 'PA', bodyPartExamined: 'CHEST' }, 'DICOM')).toBeNull()
    expect(acquisitionFlag({ viewPosition: 'AP' }, 'DICOM')).toBeNull()
    expect(acquisitionFlag({ viewPosition: 'll' }, 'DICOM')).toMatch(/^DICOM ViewPosition is LL: a lateral view/)
    expect(acquisitionFlag({ viewPosition: 'LATERAL' }, 'DICOM')).toMatch(/ViewPosition is LATERAL/)
    expect(acquisitionFlag({ bodyPartExamined: 'HAND' }, 'DICOM')).toMatch(/BodyPartExamined is HAND: not a chest image/)
    expect(acquisitionFlag({ bodyPartExamined: "John's left hand" }, 'DICOM')).toMatch(/BodyPartExamined is not CHEST/)
    expect(acquisitionFlag({ bodyPartExamined: "John's left hand" }, 'DICOM')).not.toMatch(/John/)
  })
})

describe.runIf(HAS_NIH)('every prediction carries the check', () => {
  const store = new CaseStore(openDatabase(':memory:'))
  const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
  const bundled = join(dir.path, 'bundled')
  const registry = new ModelRegistry(store, join(dir.path, 'models'), bundled)
  // Development test-split images the reference model's check passes (their scores are asserted below).
  const names = ['00000100_000.png', '00000150_002.png']
  const dataDir = join(dir.path, 'data')
  beforeAll(async () => {
    cpSync(REFERENCE_MODEL_DIR, join(bundled, 'cxr-mobilenet-v1'), { recursive: true })
    registry.import(join(FIXTURES, 'tiny-resnet'))
    const folder = join(dir.path, 'images')
    for (const name of names) cpSync(join(NIH_256, name), join(folder, name))
    await sharp(join(NIH_256, names[0])).negate({ alpha: false }).png().toFile(join(folder, 'inverted.png'))
    await importNih(store, { imagesDir: folder, labelsCsv: LABELS_CSV })
    const dicom = join(dir.path, 'dicom')
    const pixels = new Uint8Array(await sharp(join(NIH_256, names[1])).greyscale().raw().toBuffer())
    const base = { rows: 256, columns: 256, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels } as const
    writeFileSync(join(dir.path, 'lateral.dcm'), writeDicom({ ...base, viewPosition: 'LL', sopInstanceUid: '1.2.3.10' }))
    writeFileSync(
      join(dir.path, 'hand.dcm'),
      writeDicom({ ...base, sopInstanceUid: '1.2.3.11', extra: [{ tag: 0x00180015, vr: 'CS', value: 'HAND' }] }),
    )
    cpSync(join(dir.path, 'lateral.dcm'), join(dicom, 'lateral.dcm'))
    cpSync(join(dir.path, 'hand.dcm'), join(dicom, 'hand.dcm'))
    await importDicom(store, { dicomDir: dicom, dataDir })
  })
  afterAll(async () => {
    await engine.close()
    store.close()
  })
  const idOf = (image: string) => store.worklist.query({ search: image }).rows[0].id

  it('DICOM lateral views and non-chest body parts are flagged at import, before any model runs', () => {
    const rows = store.worklist.query({}).rows.filter((r) => r.image.endsWith('.dcm'))
    expect(rows).toHaveLength(2)
    for (const row of rows) {
      expect(store.results.ood(row.id, 'cxr-mobilenet-v1', loadModelPackage(REFERENCE_MODEL_DIR).manifest.version)).toBeUndefined()
      expect(row.ood).toMatchObject({ flagged: true, score: null, threshold: null })
    }
    expect(rows.map((r) => r.ood!.acquisition).sort()).toEqual([
      expect.stringMatching(/^DICOM BodyPartExamined is HAND: not a chest image/),
      expect.stringMatching(/^DICOM ViewPosition is LL: a lateral view/),
    ])
    // NIH rows carry no mark until a model has run.
    expect(store.worklist.query({ search: names[0] }).rows[0].ood).toBeNull()
  })

  it('scores every case with the model, stores the verdict, and flags an inverted film', async () => {
    const caseIds = store.worklist.query({}).rows.map((r) => r.id)
    const result = await analyzeCases({ store, registry, engine }, { caseIds, model: 'cxr-mobilenet-v1', methods: [] })
    expect(result.oodUnavailable).toBeNull()
    const byImage = new Map(result.cases.map((c) => [c.image, c]))
    for (const name of names) expect(byImage.get(name)!.ood).toMatchObject({ method: 'mahalanobis', flagged: false, acquisition: null })
    const inverted = byImage.get('inverted.png')!.ood!
    expect(inverted.flagged).toBe(true)
    expect(inverted.score!).toBeGreaterThan(inverted.threshold!)
    // The header's flag holds whatever the score says.
    for (const c of result.cases.filter((c) => c.image.endsWith('.dcm')))
      expect(c.ood).toMatchObject({ flagged: true, method: 'mahalanobis' })
    const version = result.model.version
    expect(store.results.ood(idOf('inverted.png'), 'cxr-mobilenet-v1', version)).toMatchObject({ flagged: true, score: inverted.score })
    const rows = store.worklist.query({}, { model: { id: 'cxr-mobilenet-v1', version } }).rows
    expect(rows.find((r) => r.image === 'inverted.png')!.ood).toMatchObject({ flagged: true, score: inverted.score })
    expect(rows.find((r) => r.image === names[0])!.ood).toMatchObject({ flagged: false })
  })

  it('a model without statistics says so: ood null and the reason', async () => {
    const result = await analyzeCases({ store, registry, engine }, { caseIds: [idOf(names[0])], model: 'tiny-resnet', methods: [] })
    expect(result.cases[0].ood).toBeNull()
    expect(result.oodUnavailable).toMatch(/^no out-of-distribution check: model tiny-resnet 0.0.1-test has no ood\.json/)
    expect(store.results.ood(idOf(names[0]), 'tiny-resnet', '0.0.1-test')).toBeUndefined()
  })
})
