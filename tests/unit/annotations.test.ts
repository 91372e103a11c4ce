import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { createDispatcher, type Dispatch } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { importNih } from '../../src/main/cases/nihImporter'
import { analyzeCases } from '../../src/main/analysis/analysisService'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { createSession, type Session } from '../../src/main/api/session'
import { CLI_ACTOR, ReaderAccounts } from '../../src/main/readers/readerAccounts'
import type { Box, DashboardData, HeatmapData, Reader } from '../../src/shared/domain'
import { saveSanityRecord } from '../../src/main/evaluation/sanityRecord'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
let core: Services
let call: <T>(channel: string, request: unknown) => Promise<T>
let dispatch: Dispatch
/** Each reader's logged-in connection; a request is sent on the session of the reader it names. */
const sessions = new Map<number, Session>()

beforeAll(async () => {
  core = openServices(new DataFolder(join(dir.path, 'data')), { kind: 'web' })
  dispatch = createDispatcher(createHandlers(core), () => undefined)
  call = async <T>(channel: string, request: unknown) => {
    const named = (request as { readerId?: number }).readerId
    const result = await dispatch(channel, request, (named !== undefined && sessions.get(named)) || createSession())
    if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code })
    return result.data as T
  }
  const names = [...csvBoxes().keys()].filter((n) => readdirSync(NIH_256).includes(n)).slice(0, 6)
  await importNih(core.store, { imagesDir: imageFolder(dir.path, NIH_256, names), labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
})
afterAll(async () => {
  await core.close()
  dir.cleanup()
})

describe.runIf(HAS_NIH)('readers, boxes and audit', () => {
  let alice: Reader
  let bob: Reader
  let caseId: number
  beforeAll(async () => {
    // Alice enrols herself from the picker (and is logged in by it); Bob, an advisor, is made on the workstation.
    const aliceSession = createSession()
    const enrolled = await dispatch('readers:create', { name: 'Dr Alice', role: 'radiologist', secret: 'alice-secret' }, aliceSession)
    if (!enrolled.ok) throw new Error(enrolled.error.message)
    alice = enrolled.data as Reader
    expect(aliceSession.readerId).toBe(alice.id)
    sessions.set(alice.id, aliceSession)
    bob = await new ReaderAccounts(core.store).create({ name: 'Bob', role: 'clinical_advisor', secret: 'bob-secret' }, CLI_ACTOR)
    const bobSession = createSession()
    expect(await dispatch('readers:login', { readerId: bob.id, secret: 'bob-secret' }, bobSession)).toMatchObject({ ok: true })
    sessions.set(bob.id, bobSession)
    caseId = core.store.worklist.query({}).rows[0].id
  })

  it('refuses a duplicate reader name', async () => {
    await expect(call('readers:create', { name: 'dr alice', role: 'radiologist', secret: 'another-secret' })).rejects.toThrow(
      /already exists/,
    )
  })

  it('creates, moves, relabels, deletes and restores a box, each step audited with before and after', async () => {
    const box = await call<Box>('boxes:create', { caseId, readerId: alice.id, box: { finding: 'Mass', x: 10, y: 20, w: 30, h: 40 } })
    expect(box).toMatchObject({ finding: 'Mass', x: 10, y: 20, w: 30, h: 40, source: 'reader', author: 'Dr Alice', readerId: alice.id })
    const moved = await call<Box>('boxes:update', {
      boxId: box.id,
      readerId: alice.id,
      box: { finding: 'Nodule', x: 250, y: 20, w: 30, h: 40 },
    })
    expect(moved).toMatchObject({ finding: 'Nodule', x: 250, w: 6 }) // clipped to the 256-px image
    await call('boxes:delete', { boxId: box.id, readerId: alice.id })
    expect(core.store.annotations.boxes(caseId).some((b) => b.id === box.id)).toBe(false)
    await call('boxes:restore', { boxId: box.id, readerId: alice.id })
    expect(core.store.annotations.boxes(caseId).some((b) => b.id === box.id)).toBe(true)
    const actions = core.store.audit.entries(caseId).map((e) => e.action)
    expect(actions).toEqual(['box.create', 'box.update', 'box.delete', 'box.restore'])
    expect(core.store.audit.entries(caseId)[1].detail).toMatchObject({
      before: { finding: 'Mass', x: 10 },
      after: { finding: 'Nodule', x: 250 },
    })
    expect(core.store.cases.get(caseId)!.status).toBe('in_review')
  })

  it("keeps other readers' and dataset boxes read-only", async () => {
    const mine = await call<Box>('boxes:create', { caseId, readerId: alice.id, box: { finding: 'Mass', x: 1, y: 1, w: 5, h: 5 } })
    await expect(
      call('boxes:update', { boxId: mine.id, readerId: bob.id, box: { finding: 'Mass', x: 2, y: 2, w: 5, h: 5 } }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const dataset = core.store.annotations.boxes(caseId).find((b) => b.source === 'dataset')!
    await expect(call('boxes:delete', { boxId: dataset.id, readerId: alice.id })).rejects.toMatchObject({ code: 'forbidden' })
    await expect(
      call('boxes:create', { caseId, readerId: alice.id, box: { finding: 'Broken Leg', x: 1, y: 1, w: 5, h: 5 } }),
    ).rejects.toThrow(/Unknown finding/)
  })

  it('counts my boxes apart from others in the worklist and case view', async () => {
    const row = core.store.worklist.query({ readerId: alice.id }).rows.find((r) => r.id === caseId)!
    expect(row.myBoxes).toBe(2)
    expect(row.otherBoxes).toBe(row.boxes - 2)
    const detail = await call<{ myBoxes: number }>('cases:get', { caseId, readerId: alice.id })
    expect(detail.myBoxes).toBe(2)
  })

  it('sets the review status with an audit entry', async () => {
    await call('cases:setStatus', { caseId, readerId: bob.id, status: 'reviewed' })
    expect(core.store.worklist.query({ status: 'reviewed' }).total).toBe(1)
    expect(core.store.audit.entries(caseId).at(-1)).toMatchObject({ action: 'case.status', actor: 'Bob', detail: { after: 'reviewed' } })
  })

  it('sets a reviewed case back in review, attributed to the reader who reopened it', async () => {
    await call('cases:setStatus', { caseId, readerId: alice.id, status: 'in_review' })
    expect(core.store.cases.get(caseId)!.status).toBe('in_review')
    expect(core.store.worklist.query({ status: 'reviewed' }).total).toBe(0)
    expect(core.store.audit.entries(caseId).at(-1)).toMatchObject({
      action: 'case.status',
      actor: 'Dr Alice',
      detail: { before: 'reviewed', after: 'in_review' },
    })
    await call('cases:setStatus', { caseId, readerId: bob.id, status: 'reviewed' })
  })

  it('stores a heatmap edit as a new version linked to the model map, and feeds the dashboard', async () => {
    core.registry.import(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
    const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
    const ids = core.store.worklist.query({}).rows.map((r) => r.id)
    await analyzeCases({ store: core.store, registry: core.registry, engine }, { caseIds: ids, model: 'tiny-resnet', methods: ['gradcam'] })
    await engine.close()
    const original = (await call<HeatmapData>('heatmaps:get', {
      caseId,
      model: 'tiny-resnet',
      version: '0.0.1-test',
      finding: 'Mass',
      method: 'gradcam',
    }))!
    const edited = await call<HeatmapData>('heatmaps:saveEdit', {
      baseId: original.id,
      readerId: bob.id,
      values: original.values.map((v, i) => (i === 0 ? 1 : v)),
    })
    expect(edited).toMatchObject({ editedFrom: original.id, author: 'Bob', method: 'gradcam', width: 8 })
    const again = await call<HeatmapData>('heatmaps:saveEdit', { baseId: edited.id, readerId: bob.id, values: edited.values })
    expect((await call<Array<{ id: number }>>('heatmaps:versions', { id: original.id })).map((v) => v.id)).toEqual([
      original.id,
      edited.id,
      again.id,
    ])
    // the model map is still the one served for the case
    expect(
      (await call<HeatmapData>('heatmaps:get', { caseId, model: 'tiny-resnet', version: '0.0.1-test', finding: 'Mass', method: 'gradcam' }))
        .id,
    ).toBe(original.id)
    await expect(call('heatmaps:saveEdit', { baseId: original.id, readerId: bob.id, values: [1, 2] })).rejects.toThrow(/needs 64 values/)
    // Only a clinical advisor edits heatmaps: a radiologist's call is refused by the server, nothing stored or audited.
    const audited = core.store.audit.entries(caseId).length
    await expect(call('heatmaps:saveEdit', { baseId: original.id, readerId: alice.id, values: original.values })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/clinical advisor; Dr Alice is a radiologist/),
    })
    expect((await call<unknown[]>('heatmaps:versions', { id: original.id })).length).toBe(3)
    expect(core.store.audit.entries(caseId).length).toBe(audited)

    // Alice redraws a dataset box exactly: the two authors agree perfectly on that finding.
    const dataset = core.store.annotations.boxes(caseId).find((b) => b.source === 'dataset')!
    await call('boxes:create', {
      caseId,
      readerId: alice.id,
      box: { finding: dataset.finding, x: dataset.x, y: dataset.y, w: dataset.w, h: dataset.h },
    })
    const board = await call<DashboardData>('validation:dashboard', { method: 'gradcam', model: 'tiny-resnet' })
    expect(board.agreement[dataset.finding].pairs).toBeGreaterThanOrEqual(1)
    expect(board.agreement[dataset.finding].meanIou!).toBeGreaterThan(0.9)
    expect(board.model).toEqual({ id: 'tiny-resnet', version: '0.0.1-test' })
    expect(board.cases).toBeGreaterThan(0)
    expect(Object.keys(board.localization).length).toBeGreaterThan(0)
    expect(board.paper['0.1'].Cardiomegaly).toBeCloseTo(0.9931, 4)
    expect(board.paper['0.9'].Cardiomegaly).toBeCloseTo(0.6849, 4)
    // the paper's row is compared with the same maps under the paper's protocol, with the random-map baseline beside
    expect(Object.keys(board.localizationChestXray8)).toEqual(Object.keys(board.localization))
    for (const [finding, row] of Object.entries(board.localizationChestXray8)) {
      expect(row.n_boxes).toBe(board.localization[finding].n_boxes)
      expect(Object.keys(row.iobb_acc)).toEqual(['0.1', '0.25', '0.5', '0.75', '0.9'])
      expect(board.baselines[finding].random.iou_mean).not.toBeNull()
    }
    expect(board.scatter.length).toBeGreaterThan(0)
    const csv = await call<{ content: string; filename: string }>('validation:export', {
      method: 'gradcam',
      model: 'tiny-resnet',
      format: 'csv',
    })
    expect(csv.content.split('\n')[0]).toMatch(/^finding,n_boxes,iobb_0.1/)
    const html = await call<{ content: string }>('validation:export', { method: 'gradcam', model: 'tiny-resnet', format: 'html' })
    // the committee report (issue 20): title, versions, counts, notice, the stored sanity check's absence said
    expect(html.content).toContain('<h1>CXR Lens validation report: tiny-resnet 0.0.1-test · gradcam</h1>')
    for (const text of [
      'Database schema',
      'Cases per finding',
      'For research and reader studies, not for diagnosis',
      'No stored check for gradcam',
    ])
      expect(html.content).toContain(text)
    expect(html.content).toMatch(/data:image\/png;base64,/)

    // PDF goes through the injected printer (the desktop app's Electron printToPDF), given the same report page
    const printed: string[] = []
    const withPrinter = createDispatcher(
      createHandlers(core, undefined, async (page) => (printed.push(page), new Uint8Array([0x25, 0x50, 0x44, 0x46]))),
      () => undefined,
    )
    const pdf = await withPrinter('validation:export', { method: 'gradcam', model: 'tiny-resnet', format: 'pdf' }, createSession())
    if (!pdf.ok) throw new Error(pdf.error.message)
    expect(pdf.data).toMatchObject({ mime: 'application/pdf', filename: expect.stringMatching(/\.pdf$/) })
    expect(Array.from((pdf.data as { content: Uint8Array }).content)).toEqual([0x25, 0x50, 0x44, 0x46])
    expect(printed).toHaveLength(1)
    expect(printed[0]).toContain('<h1>CXR Lens validation report: tiny-resnet 0.0.1-test · gradcam</h1>')

    // a stored randomization check (evaluate --sanity) is shown on the dashboard and flagged in its report
    saveSanityRecord(core.dataDir, board.model!, {
      images: ['x.png'],
      seed: 3,
      method: 'gradcam',
      summary: {},
      verdict: { head: { fails: true, reasons: ['median SSIM 0.91 > 0.5'] } },
      fails: true,
      seconds: 1,
    })
    const after = await call<DashboardData>('validation:dashboard', { method: 'gradcam', model: 'tiny-resnet' })
    expect(after.sanity).toMatchObject({ state: 'stored', fails: true, images: 1, verdict: { head: { fails: true } } })
    const flagged = await call<{ content: string }>('validation:export', { method: 'gradcam', model: 'tiny-resnet', format: 'html' })
    expect(flagged.content).toContain('data-sanity="fails"')
    expect(flagged.content).toContain('fails: median SSIM 0.91 &#62; 0.5')
  })
})
