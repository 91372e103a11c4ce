/**
 * An in-memory stand-in for the main process, for testing the renderer's stores in Node: it answers
 * the few contract calls a store makes from plain data, records every call, and can hold an answer
 * back (`hold`) so a test decides when it arrives. The stores' logic is what is under test here;
 * the real handlers have their own tests (tests/unit/handlers.test.ts, annotations.test.ts).
 */
import type { CxrApi } from '../../src/shared/api'
import type { HeatmapData, ModelSummary, WorklistRow } from '../../src/shared/domain'

export function model(id: string, isDefault = false): ModelSummary {
  return {
    id,
    version: '1.0.0',
    sha256: 'x',
    findings: ['Mass', 'Nodule', 'Effusion'],
    source: 'bundled',
    isDefault,
    intendedUse: 'tests',
    headType: 'gap_linear',
    trainableLayers: ['head'],
  }
}

export function heatmap(id: number, caseId: number, finding: string, values: number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8]): HeatmapData {
  return {
    id,
    caseId,
    modelId: 'm',
    modelVersion: '1.0.0',
    finding,
    method: 'gradcam',
    width: 3,
    height: 3,
    values,
    params: {},
    editedFrom: null,
    author: null,
    createdAt: '2026-01-01T00:00:00Z',
  }
}

export function row(id: number): WorklistRow {
  return {
    id,
    image: `img${id}.png`,
    patient: null,
    age: null,
    sex: null,
    view: null,
    status: 'new',
    width: 1024,
    height: 1024,
    findings: [],
    boxes: 0,
    myBoxes: 0,
    otherBoxes: 0,
    topFindings: [],
    ood: null,
  }
}

type Handler = (request: never) => unknown

export function createFakeServer(handlers: Record<string, Handler>) {
  const calls: Array<{ channel: string; request: unknown }> = []
  const held = new Map<string, Array<() => void>>()
  const holding = new Set<string>()
  const api: Record<string, Record<string, (request: unknown) => Promise<unknown>>> = {}
  for (const [channel, handler] of Object.entries(handlers)) {
    const [domain, verb] = channel.split(':') as [string, string]
    api[domain] ??= {}
    api[domain][verb] = (request) => {
      calls.push({ channel, request })
      // A copy, as over a real transport: the store never shares objects with the server.
      const answer = () => Promise.resolve().then(() => structuredClone(handler(request as never)))
      if (!holding.has(channel)) return answer()
      return new Promise((resolve, reject) => {
        const queue = held.get(channel) ?? []
        queue.push(() => answer().then(resolve, reject))
        held.set(channel, queue)
      })
    }
  }
  return {
    api: api as unknown as CxrApi,
    calls,
    channels: () => calls.map((c) => c.channel),
    /** Answers on this channel wait until release(). */
    hold(channel: string): void {
      holding.add(channel)
    },
    release(channel: string): void {
      holding.delete(channel)
      for (const answer of held.get(channel) ?? []) answer()
      held.delete(channel)
    },
  }
}

/** Lets every pending promise callback run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0))
