/**
 * Heatmap editing by a clinical advisor, at the map's own resolution (e.g. 8×8 cells): the brush
 * sets whole cells, so what is saved is exactly what was painted. Saving never overwrites: it
 * stores a new version linked to the one being viewed (heatmaps.saveEdit), and the version list
 * lets the reader view the model map or any edit. The store follows the analysis store's model map.
 */
import { useSyncExternalStore } from 'react'
import type { CxrApi } from '../../../shared/api'
import type { HeatmapData, HeatmapVersion } from '../../../shared/domain'
import { otsuThreshold } from '../../../shared/localization'
import { errorMessage } from '../apiContext'
import { normalizationFor, normalizeHeatmap } from '../canvas/heatmapPixels'

export type BrushMode = 'add' | 'erase'

export interface HeatmapEditState {
  modelMap: HeatmapData | null
  versions: readonly HeatmapVersion[]
  /** The version shown (model map or an edit). */
  viewMap: HeatmapData | null
  editing: boolean
  /** The working copy while editing (row-major, the map's size). */
  working: readonly number[] | null
  brushSize: number
  brushMode: BrushMode
  compare: boolean
  saving: boolean
  error: string | null
}

export type HeatmapEditStore = ReturnType<typeof createHeatmapEditStore>

export function createHeatmapEditStore(api: CxrApi) {
  let state: HeatmapEditState = {
    modelMap: null,
    versions: [],
    viewMap: null,
    editing: false,
    working: null,
    brushSize: 1,
    brushMode: 'add',
    compare: false,
    saving: false,
    error: null,
  }
  const listeners = new Set<() => void>()
  let seq = 0

  function update(patch: Partial<HeatmapEditState>): void {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }

  async function loadVersions(modelId: number): Promise<void> {
    const ticket = ++seq
    try {
      const versions = await api.heatmaps.versions({ id: modelId })
      if (ticket === seq) update({ versions })
    } catch (error) {
      if (ticket === seq) update({ error: errorMessage(error) })
    }
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): HeatmapEditState => state,
    /** The analysis store shows another model map (finding, method or case changed). */
    follow(map: HeatmapData | null): void {
      if (map?.id === state.modelMap?.id) return
      update({
        modelMap: map,
        viewMap: map,
        versions: map ? [{ id: map.id, editedFrom: null, author: null, createdAt: map.createdAt }] : [],
        editing: false,
        working: null,
        error: null,
      })
      if (map) void loadVersions(map.id)
    },
    async selectVersion(id: number): Promise<void> {
      try {
        const map = id === state.modelMap?.id ? state.modelMap : await api.heatmaps.byId({ id })
        if (map) update({ viewMap: map, editing: false, working: null, error: null })
      } catch (error) {
        update({ error: errorMessage(error) })
      }
    },
    startEdit(): void {
      if (state.viewMap) update({ editing: true, working: [...state.viewMap.values] })
    },
    cancelEdit(): void {
      update({ editing: false, working: null })
    },
    setBrush(patch: Partial<Pick<HeatmapEditState, 'brushSize' | 'brushMode'>>): void {
      update(patch)
    },
    setCompare(compare: boolean): void {
      update({ compare })
    },
    /** Paints the cells under a brush centred on an image point: add sets them to the map's maximum, erase to its minimum. */
    paintAt(x: number, y: number, imageWidth: number, imageHeight: number): void {
      const map = state.viewMap
      const working = state.working
      if (!map || !working) return
      const cx = Math.floor((x / imageWidth) * map.width)
      const cy = Math.floor((y / imageHeight) * map.height)
      const high = Math.max(...map.values)
      const low = Math.min(0, ...map.values)
      const next = [...working]
      const r = state.brushSize - 1
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const px = cx + dx
          const py = cy + dy
          if (px < 0 || py < 0 || px >= map.width || py >= map.height || dx * dx + dy * dy > r * r + r) continue
          next[py * map.width + px] = state.brushMode === 'add' ? high : low
        }
      }
      update({ working: next })
    },
    /** Cells at or above Otsu's threshold of the (normalized) working map become 1, the rest 0. */
    thresholdToMask(): void {
      const map = state.viewMap
      if (!map || !state.working) return
      const normalized = normalizeHeatmap(state.working, normalizationFor(map.method))
      const t = otsuThreshold(normalized)
      update({ working: Array.from(normalized, (v) => (v >= t ? 1 : 0)) })
    },
    resetToModel(): void {
      if (state.modelMap) update({ working: [...state.modelMap.values] })
    },
    async save(readerId: number): Promise<boolean> {
      const base = state.viewMap
      if (!base || !state.working || !state.modelMap) return false
      update({ saving: true, error: null })
      try {
        const saved = await api.heatmaps.saveEdit({ baseId: base.id, readerId, values: [...state.working] })
        update({ viewMap: saved, editing: false, working: null, saving: false })
        await loadVersions(state.modelMap.id)
        return true
      } catch (error) {
        update({ saving: false, error: errorMessage(error) })
        return false
      }
    },
  }
}

/** What the canvas shows: the working copy while editing, else the viewed version. */
export function displayedMap(state: HeatmapEditState): HeatmapData | null {
  if (!state.viewMap) return null
  return state.editing && state.working ? { ...state.viewMap, values: [...state.working] } : state.viewMap
}

export function useHeatmapEditState(store: HeatmapEditStore): HeatmapEditState {
  return useSyncExternalStore(store.subscribe, store.getState)
}
