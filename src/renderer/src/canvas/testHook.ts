/**
 * window.__cxrViewer: what end-to-end tests read about the viewer. Several components publish
 * their part (canvas: transform and boxes; IoU panel: predicted boxes; heatmap: values), so it is
 * merged, never replaced, except when the case view closes.
 *
 * Published only in test mode: browser mode opened with `testHooks` in the URL's query (the e2e
 * harness adds it to the URL the server prints). The desktop app loads a fixed URL without it and
 * runs with window.api from its preload, so a packaged app never exposes the object.
 */
import type { Rect } from '../../../shared/localization'
import type { FrameStats } from './frameRecorder'

export interface ViewerHook {
  scale: number
  boxesDrawn: number
  heatmap: {
    finding: string
    method: string
    width: number
    height: number
    visible: boolean
    opacity: number
    colormap: string
    floor: number
  } | null
  /** Box and predicted-region labels as drawn, screen pixels of the stage. */
  labels?: Array<{ text: string; x: number; y: number; w: number; h: number }>
  viewport?: { width: number; height: number }
  /** Pixel size of the bitmap drawn (smaller than the image while its display rendition is shown). */
  shownImage?: { width: number; height: number }
  boxes?: Array<{ id: number; finding: string; x: number; y: number; w: number; h: number; mine: boolean }>
  /** Stage-local point → image pixels (and back); `clientX/clientY` are page coordinates for mouse events. */
  stageToImage?: (x: number, y: number) => { x: number; y: number }
  imageToStage?: (x: number, y: number) => { x: number; y: number; clientX: number; clientY: number }
  predictedBoxes?: Rect[]
  heatmapValues?: {
    id: number
    width: number
    height: number
    method: string
    values: number[]
    imageWidth: number
    imageHeight: number
  } | null
  iouThreshold?: number
  frameStats?: () => FrameStats
}

declare global {
  interface Window {
    __cxrViewer?: ViewerHook
  }
}

/** Read once at load: the URL does not change while the app runs (navigation is by state, not pages). */
export const TEST_MODE = !window.api && new URLSearchParams(location.search).has('testHooks')

export function publishViewer(patch: Partial<ViewerHook>): void {
  if (!TEST_MODE) return
  window.__cxrViewer = { scale: 0, boxesDrawn: 0, heatmap: null, ...window.__cxrViewer, ...patch }
}

export function resetViewer(): void {
  if (!TEST_MODE) return
  window.__cxrViewer = { scale: 0, boxesDrawn: 0, heatmap: null }
}
