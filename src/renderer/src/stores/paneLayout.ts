/**
 * How the reading room is laid out: whether the worklist and the side panel are shown, and which
 * side-panel section is open (one at a time, so the panel fits a 1000 px window without scrolling).
 * Remembered per browser profile (localStorage), like the chosen model: a reader who reads with
 * the worklist collapsed finds it collapsed after a reload.
 */
import { useSyncExternalStore } from 'react'

export const PANEL_SECTIONS = ['findings', 'heatmap', 'boxes', 'window'] as const
export type PanelSection = (typeof PANEL_SECTIONS)[number]

export const SECTION_TITLES: Record<PanelSection, string> = {
  findings: 'Findings',
  heatmap: 'Heatmap',
  boxes: 'Boxes & IoU',
  window: 'Window',
}

export interface PaneLayout {
  worklistOpen: boolean
  panelOpen: boolean
  /** The open side-panel section; null when the reader closed them all. */
  section: PanelSection | null
}

export const DEFAULT_LAYOUT: PaneLayout = { worklistOpen: true, panelOpen: true, section: 'findings' }
export const LAYOUT_STORAGE = 'cxr-lens.layout'

/** A stored layout, each field checked (a hand-edited or older value falls back field by field). */
export function parseLayout(text: string | null): PaneLayout {
  if (!text) return DEFAULT_LAYOUT
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return DEFAULT_LAYOUT
  }
  if (typeof raw !== 'object' || raw === null) return DEFAULT_LAYOUT
  const r = raw as Record<string, unknown>
  const section =
    r.section === null || (PANEL_SECTIONS as readonly unknown[]).includes(r.section)
      ? (r.section as PanelSection | null)
      : DEFAULT_LAYOUT.section
  return {
    worklistOpen: typeof r.worklistOpen === 'boolean' ? r.worklistOpen : DEFAULT_LAYOUT.worklistOpen,
    panelOpen: typeof r.panelOpen === 'boolean' ? r.panelOpen : DEFAULT_LAYOUT.panelOpen,
    section,
  }
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

export type PaneLayoutStore = ReturnType<typeof createPaneLayoutStore>

export function createPaneLayoutStore(store: Storage | null = storage()) {
  let state = parseLayout(
    (() => {
      try {
        return store?.getItem(LAYOUT_STORAGE) ?? null
      } catch {
        return null
      }
    })(),
  )
  const listeners = new Set<() => void>()
  function update(patch: Partial<PaneLayout>): void {
    state = { ...state, ...patch }
    try {
      store?.setItem(LAYOUT_STORAGE, JSON.stringify(state))
    } catch {
      // storage full or disabled: the layout lasts for this page only
    }
    for (const listener of listeners) listener()
  }
  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): PaneLayout => state,
    toggleWorklist: (): void => update({ worklistOpen: !state.worklistOpen }),
    togglePanel: (): void => update({ panelOpen: !state.panelOpen }),
    /** Opens a section (closing the one open), or closes it when it is the open one and `toggle`. */
    openSection(section: PanelSection, toggle = false): void {
      update({ section: toggle && state.section === section ? null : section, panelOpen: true })
    },
  }
}

export function usePaneLayout(store: PaneLayoutStore): PaneLayout {
  return useSyncExternalStore(store.subscribe, store.getState)
}
