import { describe, expect, it } from 'vitest'
import { createPanelGate, gatedStore, MAX_HOLD_MS, NO_MAP_GRACE_MS, type GateTimers } from '../../src/renderer/src/stores/panelGate'
import { ImageDecodeError, workerLoader, type LoadedImage, type WorkerLike } from '../../src/renderer/src/transport/caseImageLoader'
import type { ImageLoadAnswer, ImageLoadRequest } from '../../src/renderer/src/transport/imageLoadProtocol'

/** Timers the test runs by hand: `advance(ms)` fires what is due, `paint()` what waits for a painted frame. */
function manualTimers() {
  let now = 0
  let nextId = 1
  const due = new Map<number, { at: number; run: () => void }>()
  let painted: Array<() => void> = []
  const timers: GateTimers = {
    setTimeout: (run, ms) => {
      due.set(nextId, { at: now + ms, run })
      return nextId++
    },
    clearTimeout: (id) => void due.delete(id),
    afterPaint: (run) => void painted.push(run),
  }
  return {
    timers,
    advance(ms: number) {
      now += ms
      for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at))
        if (t.at <= now) {
          due.delete(id)
          t.run()
        }
    },
    paint() {
      const run = painted
      painted = []
      for (const r of run) r()
    },
  }
}

/** A minimal subscribe/getState store. */
function counterStore() {
  let state = { n: 0 }
  const listeners = new Set<() => void>()
  return {
    subscribe(l: () => void) {
      listeners.add(l)
      return () => void listeners.delete(l)
    },
    getState: () => state,
    bump() {
      state = { n: state.n + 1 }
      for (const l of listeners) l()
    },
  }
}

describe('panel gate', () => {
  it('keeps a gated store at its state from the hold until the release has been painted', () => {
    const t = manualTimers()
    const gate = createPanelGate(t.timers)
    const store = counterStore()
    const gated = gatedStore(store, gate)
    let heard = 0
    gated.subscribe(() => heard++)
    store.bump()
    expect(gated.getState().n).toBe(1)
    expect(heard).toBe(1)

    gate.hold()
    store.bump()
    store.bump()
    expect(gated.getState().n).toBe(1)
    expect(heard).toBe(1)
    // the actions are the store's own
    gated.bump()
    expect(store.getState().n).toBe(4)
    expect(gated.getState().n).toBe(1)

    gate.release()
    expect(gated.getState().n).toBe(1) // not before the frame is painted
    t.paint()
    expect(gate.held).toBe(false)
    expect(gated.getState().n).toBe(4)
    expect(heard).toBe(2) // one catch-up, not one per update
  })

  it('a release meant for an earlier opening does not end a later hold', () => {
    const t = manualTimers()
    const gate = createPanelGate(t.timers)
    gate.hold()
    gate.release()
    gate.hold() // the next case is clicked before the frame was painted
    t.paint()
    expect(gate.held).toBe(true)
    gate.release()
    t.paint()
    expect(gate.held).toBe(false)
  })

  it('lets go a little after the image when no map comes, and never holds past its cap', () => {
    const t = manualTimers()
    const gate = createPanelGate(t.timers)
    gate.hold()
    gate.releaseSoon()
    t.advance(NO_MAP_GRACE_MS - 1)
    expect(gate.held).toBe(true)
    t.advance(1)
    expect(gate.held).toBe(false)

    gate.hold() // an image that never draws
    t.advance(MAX_HOLD_MS - 1)
    expect(gate.held).toBe(true)
    t.advance(1)
    expect(gate.held).toBe(false)
  })

  it('an unsubscribed reader reads the store itself, held or not', () => {
    const gate = createPanelGate(manualTimers().timers)
    const store = counterStore()
    const gated = gatedStore(store, gate)
    gate.hold()
    store.bump()
    expect(gated.getState().n).toBe(1)
  })
})

/** A worker the test answers by hand. */
function fakeWorker() {
  const sent: ImageLoadRequest[] = []
  const worker: WorkerLike & { answer(a: ImageLoadAnswer): void; fail(): void } = {
    onmessage: null,
    onerror: null,
    postMessage: (m) => void sent.push(m),
    answer: (a) => worker.onmessage?.({ data: a } as MessageEvent<ImageLoadAnswer>),
    fail: () => worker.onerror?.({} as Event),
  }
  return { worker, sent }
}

const bitmap = (name: string) => ({ name, width: 1, height: 1, close() {} }) as unknown as ImageBitmap

describe('case images through the worker', () => {
  it('asks the image route with the token and answers each load with its own bitmap, on the page clock', async () => {
    const { worker, sent } = fakeWorker()
    const load = workerLoader(worker, 'tok', () => Promise.reject(new Error('no fallback expected')))
    const a = load(3, 'display')
    const b = load(4, 'full')
    expect(sent.map((m) => [m.url, m.token])).toEqual([
      ['/api/case-image/3?rendition=display', 'tok'],
      ['/api/case-image/4?rendition=full', 'tok'],
    ])
    const origin = performance.timeOrigin
    worker.answer({ id: sent[1].id, ok: true, bitmap: bitmap('four'), bytesAt: origin + 10, decodedAt: origin + 25 })
    worker.answer({ id: sent[0].id, ok: true, bitmap: bitmap('three'), bytesAt: origin + 5, decodedAt: origin + 9 })
    const [three, four] = await Promise.all([a, b])
    expect((three.bitmap as unknown as { name: string }).name).toBe('three')
    expect((four.bitmap as unknown as { name: string }).name).toBe('four')
    expect([four.bytesAt, four.decodedAt]).toEqual([10, 25])
  })

  it("names the case in a refusal (the server's reason when it gave one) and tells a bad decode apart", async () => {
    const { worker, sent } = fakeWorker()
    const load = workerLoader(worker, 'tok', () => Promise.reject(new Error('no fallback expected')))
    const refused = load(7, 'display')
    const moved = load(8, 'display')
    const damaged = load(9, 'display')
    worker.answer({ id: sent[0].id, ok: false, stage: 'fetch', status: 404, message: '' })
    worker.answer({ id: sent[1].id, ok: false, stage: 'fetch', status: 404, message: 'The image file of case 8 cannot be read' })
    worker.answer({ id: sent[2].id, ok: false, stage: 'decode', status: 200, message: 'bad PNG' })
    await expect(refused).rejects.toThrow('The image of case 7 could not be loaded (HTTP 404)')
    await expect(moved).rejects.toThrow('The image file of case 8 cannot be read')
    await expect(damaged).rejects.toBeInstanceOf(ImageDecodeError)
    await expect(damaged).rejects.toThrow(/case 9 does not decode: bad PNG/)
  })

  it('a worker that fails hands its pending and later loads to the page', async () => {
    const { worker, sent } = fakeWorker()
    const onPage: string[] = []
    const fallback = (caseId: number, rendition: string): Promise<LoadedImage> => {
      onPage.push(`${caseId}:${rendition}`)
      return Promise.resolve({ bitmap: bitmap(`page ${caseId}`), bytesAt: 0, decodedAt: 0 })
    }
    const load = workerLoader(worker, 'tok', fallback)
    const pending = load(1, 'display')
    worker.fail()
    expect((await pending).bitmap).toMatchObject({ name: 'page 1' })
    expect((await load(2, 'full')).bitmap).toMatchObject({ name: 'page 2' })
    expect(onPage).toEqual(['1:display', '2:full'])
    expect(sent).toHaveLength(1)
  })
})
