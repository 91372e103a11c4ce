/**
 * The open case's boxes as the reader edits them. Every change is applied locally at once
 * (optimistic), recorded on the undo stack, and queued for the api; the queue sends one request at
 * a time in order, so a move can never overtake the create it depends on. A create gets a temporary
 * negative id until the server answers with the real one. Network failures are retried with
 * backoff ("Save failed — retrying"); a refusal by the server (ApiError: forbidden, invalid) is not
 * retried: the boxes are reloaded from the server so the screen shows what is stored.
 */
import { useSyncExternalStore } from 'react'
import { ApiError, type CxrApi } from '../../../shared/api'
import type { Box, BoxDraft } from '../../../shared/domain'
import { errorMessage } from '../apiContext'
import { boxToDraft, sameGeometry } from '../canvas/boxShapes'
import { CommandStack, type BoxEffect } from './commandStack'

export interface ViewBox extends Box {
  mine: boolean
}

export type SaveState = 'idle' | 'saving' | 'saved' | 'error'

export interface BoxState {
  boxes: readonly ViewBox[]
  selectedId: number | null
  showOthers: boolean
  saveState: SaveState
  saveError: string | null
  canUndo: boolean
  canRedo: boolean
}

type Op =
  | { kind: 'create'; localId: number; draft: BoxDraft }
  | { kind: 'update'; id: number; draft: BoxDraft }
  | { kind: 'delete'; id: number }
  | { kind: 'restore'; id: number }

export type BoxStore = ReturnType<typeof createBoxStore>

const sleep = (ms: number, wake: { resolve?: () => void }) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    wake.resolve = () => {
      clearTimeout(timer)
      resolve()
    }
  })

export function createBoxStore(
  api: CxrApi,
  caseId: number,
  readerId: number | null,
  initial: readonly Box[],
  onSaved: (boxes: readonly ViewBox[]) => void,
) {
  const mark = (box: Box): ViewBox => ({ ...box, mine: readerId !== null && box.readerId === readerId })
  let state: BoxState = {
    boxes: initial.map(mark),
    selectedId: null,
    showOthers: true,
    saveState: 'idle',
    saveError: null,
    canUndo: false,
    canRedo: false,
  }
  const listeners = new Set<() => void>()
  const stack = new CommandStack()
  const queue: Op[] = []
  const idMap = new Map<number, number>()
  /** Drafts of deleted boxes, so undo can show them again before the server confirms. */
  const graveyard = new Map<number, ViewBox>()
  const wake: { resolve?: () => void } = {}
  let nextLocalId = -1
  let pumping = false

  function update(patch: Partial<BoxState>): void {
    state = { ...state, ...patch, canUndo: stack.canUndo, canRedo: stack.canRedo }
    for (const listener of listeners) listener()
  }

  const resolveId = (id: number): number => idMap.get(id) ?? id
  const find = (id: number): ViewBox | undefined => state.boxes.find((b) => b.id === id || b.id === resolveId(id))

  function replaceBox(id: number, next: ViewBox | null): void {
    const boxes = state.boxes.filter((b) => b.id !== id)
    update({ boxes: next ? [...boxes, next] : boxes, selectedId: next || state.selectedId !== id ? state.selectedId : null })
  }

  async function send(op: Op): Promise<void> {
    if (readerId === null) throw new ApiError({ code: 'forbidden', message: 'Choose a reader first' })
    if (op.kind === 'create') {
      const box = mark(await api.boxes.create({ caseId, readerId, box: op.draft }))
      idMap.set(op.localId, box.id)
      stack.renameId(op.localId, box.id)
      const local = state.boxes.find((b) => b.id === op.localId)
      // Keep whatever the reader did to the box meanwhile (a queued update follows).
      replaceBox(op.localId, local ? { ...box, ...boxToDraft(local) } : null)
      if (state.selectedId === op.localId) update({ selectedId: box.id })
      return
    }
    const id = resolveId(op.id)
    if (op.kind === 'delete') await api.boxes.delete({ boxId: id, readerId })
    else if (op.kind === 'restore') await api.boxes.restore({ boxId: id, readerId })
    else await api.boxes.update({ boxId: id, readerId, box: op.draft })
  }

  async function reloadFromServer(): Promise<void> {
    try {
      const detail = await api.cases.get({ caseId, readerId: readerId ?? undefined })
      stack.clear()
      update({ boxes: detail.boxList.map(mark), selectedId: null })
    } catch {
      /* the error state already tells the reader; the next change tries again */
    }
  }

  async function pump(): Promise<void> {
    if (pumping) return
    pumping = true
    let delay = 500
    while (queue.length > 0) {
      if (state.saveState !== 'error') update({ saveState: 'saving' })
      try {
        await send(queue[0]!)
        queue.shift()
        delay = 500
        update({ saveState: queue.length ? 'saving' : 'saved', saveError: null })
        if (!queue.length) onSaved(state.boxes)
      } catch (error) {
        if (error instanceof ApiError) {
          queue.length = 0 // later ops built on a state the server refused
          update({ saveState: 'error', saveError: errorMessage(error) })
          await reloadFromServer()
          break
        }
        update({ saveState: 'error', saveError: `${errorMessage(error)} — retrying` })
        await sleep(delay, wake)
        delay = Math.min(10_000, delay * 2)
      }
    }
    pumping = false
  }

  function enqueue(op: Op): void {
    queue.push(op)
    void pump()
  }

  /** Applies an undo/redo effect locally and queues it. */
  function apply(effect: BoxEffect): void {
    const box = find(effect.id)
    if (effect.op === 'delete') {
      if (box) graveyard.set(box.id, box)
      replaceBox(box?.id ?? effect.id, null)
      enqueue({ kind: 'delete', id: effect.id })
    } else if (effect.op === 'restore') {
      const ghost = graveyard.get(resolveId(effect.id)) ?? graveyard.get(effect.id)
      if (ghost) replaceBox(ghost.id, { ...ghost, ...effect.draft })
      enqueue({ kind: 'restore', id: effect.id })
    } else {
      if (box) replaceBox(box.id, { ...box, ...effect.draft })
      enqueue({ kind: 'update', id: effect.id, draft: effect.draft })
    }
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): BoxState => state,
    create(draft: BoxDraft): void {
      const id = nextLocalId--
      const now = new Date().toISOString()
      const box: ViewBox = { id, caseId, ...draft, source: 'reader', author: '', readerId, createdAt: now, updatedAt: now, mine: true }
      stack.push({ kind: 'create', id, draft })
      update({ boxes: [...state.boxes, box], selectedId: id })
      enqueue({ kind: 'create', localId: id, draft })
    },
    /** Move, resize or relabel one of my boxes; a no-op change records nothing. */
    change(id: number, draft: BoxDraft): void {
      const box = find(id)
      if (!box?.mine || sameGeometry(boxToDraft(box), draft)) return
      stack.push({ kind: 'update', id: box.id, before: boxToDraft(box), after: draft })
      replaceBox(box.id, { ...box, ...draft })
      enqueue({ kind: 'update', id: box.id, draft })
    },
    remove(id: number): void {
      const box = find(id)
      if (!box?.mine) return
      stack.push({ kind: 'delete', id: box.id, draft: boxToDraft(box) })
      graveyard.set(box.id, box)
      replaceBox(box.id, null)
      enqueue({ kind: 'delete', id: box.id })
    },
    undo(): void {
      const effect = stack.undo()
      if (effect) apply(effect)
    },
    redo(): void {
      const effect = stack.redo()
      if (effect) apply(effect)
    },
    select(id: number | null): void {
      if (id !== state.selectedId) update({ selectedId: id })
    },
    setShowOthers(showOthers: boolean): void {
      update({ showOthers, selectedId: showOthers || find(state.selectedId ?? 0)?.mine ? state.selectedId : null })
    },
    /** The "Retry" button: skip the rest of the backoff wait. */
    retryNow(): void {
      wake.resolve?.()
    },
  }
}

export function useBoxState(store: BoxStore): BoxState {
  return useSyncExternalStore(store.subscribe, store.getState)
}
