import { readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { createDispatcher, type Dispatch } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import type { JobProgress } from '../../src/shared/domain'
import { BOXES_CSV, HAS_NIH, imageFolder, LABELS_CSV, NIH_1024, tempDir } from './helpers'

describe('contract boundary', () => {
  let core: Services
  let dispatch: Dispatch
  const dir = tempDir()
  const logged: string[] = []
  beforeAll(() => {
    core = openServices(new DataFolder(dir.path), { kind: 'web' })
    dispatch = createDispatcher(createHandlers(core), (m) => logged.push(m))
  })
  afterAll(async () => {
    await core.close()
    dir.cleanup()
  })

  it('answers app:info', async () => {
    const result = await dispatch('app:info', {})
    expect(result).toMatchObject({ ok: true, data: { name: 'CXR Lens', dataDir: dir.path, transport: 'web', nativeDialogs: false } })
  })

  it('returns a typed error for an unknown channel', async () => {
    expect(await dispatch('cases:drop', {})).toMatchObject({ ok: false, error: { code: 'unknown_channel' } })
    expect(await dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'unknown_channel' } })
  })

  it('validates arguments at the boundary and names the bad field', async () => {
    const bad = await dispatch('cases:list', { limit: 10_000, sort: 'evil; DROP TABLE cases' })
    expect(bad.ok).toBe(false)
    if (bad.ok) return
    expect(bad.error.code).toBe('invalid_request')
    expect(bad.error.issues?.join(' ')).toMatch(/limit/)
    expect(bad.error.issues?.join(' ')).toMatch(/sort/)
    expect(await dispatch('cases:get', { caseId: '1' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect(await dispatch('cases:get', { caseId: 1, extra: true })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect(await dispatch('cases:list', null)).toMatchObject({ ok: true, data: { total: 0 } })
  })

  it('returns not_found for a missing case', async () => {
    expect(await dispatch('cases:get', { caseId: 999 })).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: 'Case 999 was not found' },
    })
  })

  it('turns a failing handler into a `failed` error, never a throw', async () => {
    const start = await dispatch('import:start', { imagesDir: '/nonexistent', labelsCsv: '/nonexistent.csv' })
    expect(start.ok).toBe(true) // the job starts; its failure arrives as job state
    const jobId = (start as { data: { jobId: string } }).data.jobId
    const finished = await core.jobs.wait(jobId)
    expect(finished).toMatchObject({ state: 'failed' })
    expect(finished.error).toMatch(/nonexistent.csv/)
  })

  it.runIf(HAS_NIH)('imports in a worker with progress events, then serves the case, image and thumbnail', async () => {
    const folder = imageFolder(tempDir().path, NIH_1024, readdirSync(NIH_1024).sort().slice(0, 30))
    const progress: JobProgress[] = []
    core.jobs.on('progress', (p) => progress.push(p))
    const start = await dispatch('import:start', { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
    const { jobId } = (start as { data: { jobId: string } }).data
    const finished = await core.jobs.wait(jobId)
    // The status is a union on kind: narrowing it types the result as an ImportSummary.
    if (finished.kind !== 'import') throw new Error(`job of kind ${finished.kind}`)
    expect(finished.state).toBe('succeeded')
    expect(finished.result?.imported).toBe(30)
    expect(progress.filter((p) => p.jobId === jobId).at(-1)).toMatchObject({ done: 30, total: 30 })
    expect(await dispatch('jobs:get', { jobId })).toMatchObject({ ok: true, data: { state: 'succeeded' } })

    const list = await dispatch('cases:list', { hasBoxes: true, sort: 'boxes', order: 'desc' })
    if (!list.ok) throw new Error(list.error.message)
    const page = list.data as { total: number; rows: Array<{ id: number; boxes: number }> }
    expect(page.total).toBeGreaterThan(0)
    const caseId = page.rows[0].id
    const detail = await dispatch('cases:get', { caseId })
    expect(detail).toMatchObject({ ok: true, data: { id: caseId, width: 1024, height: 1024 } })
    expect((detail as { data: { boxList: unknown[] } }).data.boxList.length).toBe(page.rows[0].boxes)
    const image = (await dispatch('cases:image', { caseId })) as { ok: true; data: { mime: string; bytes: Uint8Array } }
    expect(image.data.mime).toBe('image/png')
    expect(Buffer.from(image.data.bytes.subarray(1, 4)).toString()).toBe('PNG')
    expect(Buffer.isBuffer(image.data.bytes)).toBe(false) // plain Uint8Array crosses the wire codec
    const thumb = (await dispatch('cases:thumbnail', { caseId })) as { ok: true; data: { mime: string; bytes: Uint8Array } }
    expect(thumb.data.mime).toBe('image/jpeg')
    const findings = (await dispatch('cases:findings', {})) as { ok: true; data: Array<{ finding: string; cases: number }> }
    expect(findings.data.reduce((n, f) => n + f.cases, 0)).toBeGreaterThanOrEqual(30)
  })

  it('cancels a running import job', async () => {
    if (!HAS_NIH) return
    const folder = imageFolder(tempDir().path, NIH_1024, readdirSync(NIH_1024).sort())
    const fresh = openServices(new DataFolder(tempDir().path), { kind: 'web' })
    try {
      const jobId = fresh.jobs.start('import', { imagesDir: folder, labelsCsv: LABELS_CSV })
      fresh.jobs.once('progress', () => fresh.jobs.cancel(jobId))
      const finished = await fresh.jobs.wait(jobId)
      expect(finished.state).toBe('cancelled')
      expect(fresh.store.worklist.query({}).total).toBeLessThan(50)
    } finally {
      await fresh.close()
    }
  })
})
