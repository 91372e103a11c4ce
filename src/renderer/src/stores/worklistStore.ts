/**
 * Worklist state: filters, the pages of rows fetched so far, selection and the open case.
 * A tiny hand-written store read through useSyncExternalStore; every change replaces the state
 * object so React sees it. Rows are fetched in pages of PAGE_SIZE as the list scrolls; changing a
 * filter starts a new generation, and answers from an older generation are dropped.
 */
import { useSyncExternalStore } from 'react'
import type { CxrApi } from '../../../shared/api'
import type { CaseStatus, FindingCount, WorklistQuery, WorklistRow, WorklistSort } from '../../../shared/domain'
import { errorMessage } from '../apiContext'

/** What a row may be patched with in place (review status, box counts, the model's top findings). */
export type RowPatch = Partial<Pick<WorklistRow, 'status' | 'boxes' | 'myBoxes' | 'otherBoxes' | 'topFindings' | 'ood'>>

export const PAGE_SIZE = 100

/** Equality of the small JSON values a row holds (numbers, strings, null, arrays and records of those). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  return keys.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/**
 * Whether a patch changes the row. Background results often repeat what a row shows (the same model
 * run again, or another method of it: the top findings are the model's, whatever the map), and a
 * patch that changes nothing must not re-render the row.
 */
function changes(row: WorklistRow, patch: RowPatch): boolean {
  return (Object.keys(patch) as Array<keyof RowPatch>).some((key) => !sameValue(row[key], patch[key]))
}

export type HasBoxesFilter = 'any' | 'yes' | 'no'

export interface WorklistFilters {
  finding: string | null
  hasBoxes: HasBoxesFilter
  status: CaseStatus | null
  search: string
  sort: WorklistSort
  order: 'asc' | 'desc'
}

export interface WorklistState {
  filters: WorklistFilters
  /** null until the first page of the current filters has arrived. */
  total: number | null
  /** Page index → rows of that page. */
  pages: Readonly<Record<number, readonly WorklistRow[]>>
  generation: number
  error: string | null
  /** Index into the filtered list; -1 when nothing is selected. */
  selectedIndex: number
  openCaseId: number | null
  findings: readonly FindingCount[]
  /** Counts "my" boxes apart from others' (null: every box counts as another's). */
  readerId: number | null
}

export const DEFAULT_FILTERS: WorklistFilters = {
  finding: null,
  hasBoxes: 'any',
  status: null,
  search: '',
  sort: 'image',
  order: 'asc',
}

/** Filters as the api wants them: absent means "any". */
export function toWorklistQuery(filters: WorklistFilters, offset: number, limit: number): WorklistQuery {
  const query: WorklistQuery = { sort: filters.sort, order: filters.order, offset, limit }
  if (filters.finding) query.finding = filters.finding
  if (filters.hasBoxes !== 'any') query.hasBoxes = filters.hasBoxes === 'yes'
  if (filters.status) query.status = filters.status
  const search = filters.search.trim()
  if (search) query.search = search
  return query
}

export type WorklistStore = ReturnType<typeof createWorklistStore>

/**
 * `onOpen` runs as a case is opened, before React renders it, so its loading starts at the click
 * (and what was prefetched is in place for the first render).
 */
export function createWorklistStore(api: CxrApi, onOpen: (caseId: number) => void = () => undefined) {
  let state: WorklistState = {
    filters: DEFAULT_FILTERS,
    total: null,
    pages: {},
    generation: 0,
    error: null,
    selectedIndex: -1,
    openCaseId: null,
    findings: [],
    readerId: null,
  }
  const listeners = new Set<() => void>()
  const inFlight = new Set<string>()
  let lastRange: [number, number] = [0, 0]

  function update(patch: Partial<WorklistState>): void {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }

  async function loadPage(page: number): Promise<void> {
    const generation = state.generation
    const key = `${generation}:${page}`
    if (state.pages[page] || inFlight.has(key)) return
    inFlight.add(key)
    try {
      const query = toWorklistQuery(state.filters, page * PAGE_SIZE, PAGE_SIZE)
      if (state.readerId !== null) query.readerId = state.readerId
      const result = await api.cases.list(query)
      if (generation !== state.generation) return
      update({ pages: { ...state.pages, [page]: result.rows }, total: result.total, error: null })
    } catch (error) {
      if (generation === state.generation) update({ error: errorMessage(error) })
    } finally {
      inFlight.delete(key)
    }
  }

  /** Make sure the pages covering rows first..last (inclusive) are loaded or loading. */
  function ensureRange(first: number, last: number): void {
    lastRange = [first, last]
    const firstPage = Math.floor(Math.max(0, first) / PAGE_SIZE)
    const lastPage = Math.floor(Math.max(first, last) / PAGE_SIZE)
    for (let page = firstPage; page <= lastPage; page++) void loadPage(page)
  }

  /** Drop cached rows and fetch again; keepTotal avoids collapsing the list while reloading. */
  function reload(keepTotal: boolean): void {
    inFlight.clear()
    update({ generation: state.generation + 1, pages: {}, total: keepTotal ? state.total : null })
    ensureRange(...lastRange)
  }

  function rowAtIndex(index: number): WorklistRow | undefined {
    return state.pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE]
  }

  function findLoadedIndex(caseId: number | null): number {
    for (const [page, rows] of Object.entries(state.pages)) {
      const at = rows.findIndex((row) => row.id === caseId)
      if (at >= 0) return Number(page) * PAGE_SIZE + at
    }
    return -1
  }

  async function loadFindings(): Promise<void> {
    try {
      update({ findings: await api.cases.findings({}) })
    } catch (error) {
      update({ error: errorMessage(error) })
    }
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): WorklistState => state,
    ensureRange,
    loadFindings,
    setFilters(patch: Partial<WorklistFilters>): void {
      update({ filters: { ...state.filters, ...patch }, selectedIndex: -1 })
      lastRange = [0, 0]
      reload(false)
    },
    /** After an import: same filters, fresh rows and finding counts. */
    refresh(): void {
      reload(true)
      void loadFindings()
    },
    rowAt: rowAtIndex,
    /** A loaded row by case id (undefined when its page is not loaded). */
    rowOf(caseId: number): WorklistRow | undefined {
      const index = findLoadedIndex(caseId)
      return index < 0 ? undefined : rowAtIndex(index)
    },
    select(index: number): void {
      update({ selectedIndex: index })
    },
    /** Moves the selection by delta within the list and returns the new index. */
    moveSelection(delta: number): number {
      const count = state.total ?? 0
      if (count === 0) return -1
      const next = Math.min(count - 1, Math.max(0, state.selectedIndex + delta))
      update({ selectedIndex: next })
      return next
    },
    openCase(caseId: number | null): void {
      if (caseId !== null && caseId !== state.openCaseId) onOpen(caseId)
      update({ openCaseId: caseId })
    },
    /** Ids of the loaded rows just before and after the open case (what next/previous would open). */
    neighbours(): number[] {
      const index = findLoadedIndex(state.openCaseId)
      if (index < 0) return []
      return [index + 1, index - 1]
        .map(rowAtIndex)
        .filter((row) => row !== undefined)
        .map((row) => row.id)
    },
    /** A new reader: same filters, rows re-counted as mine/others. */
    setReader(readerId: number | null): void {
      if (readerId === state.readerId) return
      update({ readerId })
      reload(true)
    },
    /**
     * Applies a write the case view just made (status, box counts), or the default model's results
     * as they land (top findings), to the loaded row in place, so the list stays in step without
     * refetching (and without losing the scroll position).
     */
    patchRow(caseId: number, patch: RowPatch): void {
      this.patchRows(new Map([[caseId, patch]]))
    },
    /**
     * Several rows in one update (a batch of background results): one render of the worklist per
     * batch, not one per case, while the worker fills it in.
     */
    patchRows(patches: ReadonlyMap<number, RowPatch>): void {
      if (patches.size === 0) return
      const pages: Record<number, readonly WorklistRow[]> = {}
      let changed = false
      for (const [page, rows] of Object.entries(state.pages)) {
        let pageChanged = false
        const patched = rows.map((row) => {
          const patch = patches.get(row.id)
          if (!patch || !changes(row, patch)) return row
          pageChanged = true
          return { ...row, ...patch }
        })
        // An unchanged page and row keep their identity: the memoized rows then skip their render.
        pages[Number(page)] = pageChanged ? patched : rows
        changed ||= pageChanged
      }
      if (changed) update({ pages })
    },
    /**
     * Opens the case `delta` rows from the open one (next/previous without leaving the case view).
     * Works on the list index, fetching the page when it is not loaded; false at either end.
     */
    async openRelative(delta: number): Promise<boolean> {
      const count = state.total ?? 0
      let index = state.selectedIndex
      const openRow = index >= 0 ? rowAtIndex(index) : undefined
      if (openRow?.id !== state.openCaseId) index = findLoadedIndex(state.openCaseId)
      const next = index + delta
      if (index < 0 || next < 0 || next >= count) return false
      await loadPage(Math.floor(next / PAGE_SIZE))
      const row = rowAtIndex(next)
      if (!row) return false
      if (row.id !== state.openCaseId) onOpen(row.id)
      update({ selectedIndex: next, openCaseId: row.id })
      return true
    },
  }
}

export function useWorklistState(store: WorklistStore): WorklistState {
  return useSyncExternalStore(store.subscribe, store.getState)
}
