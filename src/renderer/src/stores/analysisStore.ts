/**
 * Analysis state of the case view: installed models, the chosen model and explanation method, the
 * open case's predictions, the selected finding and its heatmap, and how the overlay is shown.
 * Same pattern as worklistStore: a hand-written store (subscribe/getState) that components read through useSyncExternalStore. Choices
 * (model, method, colormap, opacity, visibility) survive opening another case; per-case results do
 * not. Every fetch carries a sequence number and answers to an older request are dropped.
 * Which finding a case opens on follows the reader (mapChoice.ts): the worklist filter, the case's
 * boxes, the top probability; `hints` tells the store the first two.
 */
import type { CxrApi } from '../../../shared/api'
import type { HeatmapData, ModelSummary, OodMark } from '../../../shared/domain'
import { headSupportsMethod, type ExplainMethod } from '../../../shared/explainMethods'
import { errorMessage } from '../apiContext'
import type { ColormapName } from '../canvas/colormaps'
import { chooseMapFinding, type MapReason } from './mapChoice'
import { createResultPrefetch, type PrefetchedResults } from './resultPrefetch'

/** Whether the model can run the method (the registry says which need a single linear head). */
export function methodSupported(model: ModelSummary | undefined, method: ExplainMethod): boolean {
  return headSupportsMethod(model?.headType, method)
}

export const modelKey = (model: { id: string; version: string }): string => `${model.id}@${model.version}`

export interface Prediction {
  finding: string
  probability: number
}

export interface AnalysisState {
  /** null while the list is loading. */
  models: readonly ModelSummary[] | null
  modelKey: string | null
  method: ExplainMethod
  caseId: number | null
  /** Sorted by probability, highest first; empty until the model has run on the case. */
  predictions: readonly Prediction[]
  finding: string | null
  /** Why `finding` is the one shown (null while there is none). */
  findingReason: MapReason | null
  heatmap: HeatmapData | null
  /** The chosen model's out-of-distribution mark on the open case and the header's flag (null: neither known). */
  ood: OodMark | null
  /** Why the chosen model has no out-of-distribution check, or null. */
  oodUnavailable: string | null
  /** Execution provider of the last run in this case view ('cpu', 'webgpu', 'cuda'). */
  provider: string | null
  colormap: ColormapName
  opacity: number
  /** Min–max values below this share of the range are transparent (the alpha ramp's threshold). */
  floor: number
  visible: boolean
  error: string | null
}

/** What the store asks the rest of the app when it picks a case's map, and tells it when results land. */
export interface AnalysisHints {
  /** The worklist's finding filter, if any. */
  filterFinding(): string | null
  /** The open case's box findings: now when known, a promise while its record loads, null when unknown. */
  boxFindings(caseId: number): readonly string[] | Promise<readonly string[]> | null
  /** A case's stored predictions for a model arrived (the worklist shows the default model's top 3). */
  onPredictions(caseId: number, model: ModelSummary, predictions: readonly Prediction[]): void
  /** A neighbour's box findings, fetched ahead so its prefetched map is the one it will open on. */
  boxFindingsAhead?(caseId: number): Promise<readonly string[]>
  /** The model's most probable finding on a case as the worklist already shows it, or null. */
  knownTopFinding?(caseId: number, model: ModelSummary): string | null
}

const NO_HINTS: AnalysisHints = { filterFinding: () => null, boxFindings: () => null, onPredictions: () => undefined }

/** A colormap that stays legible over a radiograph (dark-to-bright, no blue wash); Jet stays selectable. */
export const DEFAULT_COLORMAP: ColormapName = 'hot'
export const DEFAULT_FLOOR = 0.3

export type AnalysisStore = ReturnType<typeof createAnalysisStore>

/** The reader's model choice survives a reload (per browser profile), like the chosen reader. */
const MODEL_KEY_STORAGE = 'cxr-lens.model'

function rememberedModel(): string | null {
  try {
    return localStorage.getItem(MODEL_KEY_STORAGE)
  } catch {
    return null
  }
}

const byProbability = (probabilities: readonly Prediction[]): Prediction[] =>
  [...probabilities].sort((a, b) => b.probability - a.probability)

/** What changes the model choices shown (a model imported, removed or fine-tuned meanwhile). */
const modelsSignature = (models: readonly ModelSummary[] | null): string =>
  JSON.stringify(models?.map((m) => [modelKey(m), m.isDefault, m.headType]) ?? null)

export function createAnalysisStore(api: CxrApi, hints: AnalysisHints = NO_HINTS) {
  let state: AnalysisState = {
    models: null,
    modelKey: rememberedModel(),
    method: 'gradcam',
    caseId: null,
    predictions: [],
    finding: null,
    findingReason: null,
    heatmap: null,
    ood: null,
    oodUnavailable: null,
    provider: null,
    colormap: DEFAULT_COLORMAP,
    opacity: 0.6,
    floor: DEFAULT_FLOOR,
    visible: true,
    error: null,
  }
  const listeners = new Set<() => void>()
  const prefetched = createResultPrefetch()
  let seq = 0

  function update(patch: Partial<AnalysisState>): void {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }

  function currentModel(): ModelSummary | undefined {
    return state.models?.find((m) => modelKey(m) === state.modelKey)
  }

  /**
   * The finding a case will most likely open on, known before its predictions arrive: the map
   * choice's own rule (chooseMapFinding) over the model's findings with the worklist row's top one
   * first, or null where only the predictions or the boxes still on their way can decide. Its map is
   * asked for beside the predictions, so a cold opening waits for one round trip, not two in series;
   * a wrong guess costs one fetch that is then not used.
   */
  function guessFinding(caseId: number, model: ModelSummary): string | null {
    const boxes = hints.boxFindings(caseId)
    const top = hints.knownTopFinding?.(caseId, model) ?? null
    const findings = top ? [top, ...model.findings.filter((f) => f !== top)] : model.findings
    const choice = chooseMapFinding(
      findings.map((finding) => ({ finding })),
      { filter: hints.filterFinding(), boxFindings: boxes instanceof Promise ? null : boxes },
    )
    if (!choice || (choice.reason === 'top' && !top) || (boxes instanceof Promise && choice.reason !== 'filter')) return null
    return choice.finding
  }

  /**
   * Fetches the stored heatmap of (finding, method) for the open case; true when there is one.
   * `early` is that same request already on its way (guessFinding).
   */
  async function loadHeatmap(finding: string | null, early?: Promise<HeatmapData | null>): Promise<boolean> {
    const model = currentModel()
    const caseId = state.caseId
    const ticket = ++seq
    if (!model || caseId === null || !finding) {
      update({ heatmap: null })
      return false
    }
    try {
      const heatmap = await (early ?? api.heatmaps.get({ caseId, model: model.id, version: model.version, finding, method: state.method }))
      if (ticket === seq) update({ heatmap, error: null })
      return heatmap !== null
    } catch (error) {
      if (ticket === seq) update({ heatmap: null, error: errorMessage(error) })
      return false
    }
  }

  /**
   * The finding to show: the one already shown on this case when the model scored it (another model
   * or method keeps the reader's place), else the reader-following choice. Synchronous unless the
   * case's boxes decide and its record is still on its way.
   */
  function pick(
    predictions: Prediction[],
  ): { finding: string; reason: MapReason } | null | Promise<{ finding: string; reason: MapReason } | null> {
    if (state.finding && state.findingReason && predictions.some((p) => p.finding === state.finding))
      return { finding: state.finding, reason: state.findingReason }
    const filter = hints.filterFinding()
    const quick = chooseMapFinding(predictions, { filter })
    if (!quick || quick.reason === 'filter' || state.caseId === null) return quick
    const boxes = hints.boxFindings(state.caseId)
    if (!boxes) return quick
    if (!(boxes instanceof Promise)) return chooseMapFinding(predictions, { filter, boxFindings: boxes })
    return boxes.then(
      (b) => chooseMapFinding(predictions, { filter, boxFindings: b }),
      () => quick,
    )
  }

  /** Applies the predictions and the chosen finding; null when a newer request overtook this one. */
  function applyChoice(
    predictions: Prediction[],
    choice: { finding: string; reason: MapReason } | null,
    ticket: number,
    extra: Partial<AnalysisState> = {},
  ): string | null | undefined {
    if (ticket !== seq) return undefined
    update({ ...extra, predictions, finding: choice?.finding ?? null, findingReason: choice?.reason ?? null, error: null })
    const model = currentModel()
    if (model && state.caseId !== null && predictions.length > 0) hints.onPredictions(state.caseId, model, predictions)
    return choice?.finding ?? null
  }

  /**
   * Predictions in, finding chosen (awaiting the case's boxes only when they decide); `extra` (the
   * OOD mark) goes in the same update, one render of the panel rather than two.
   */
  function applyPredictions(
    predictions: Prediction[],
    ticket: number,
    extra: Partial<AnalysisState> = {},
  ): string | null | undefined | Promise<string | null | undefined> {
    const choice = pick(predictions)
    return choice instanceof Promise
      ? choice.then((c) => applyChoice(predictions, c, ticket, extra))
      : applyChoice(predictions, choice, ticket, extra)
  }

  /** Applies prefetched results; synchronous when they have arrived, so the case opens complete. */
  async function usePrefetched(results: PrefetchedResults | Promise<PrefetchedResults>, ticket: number): Promise<boolean> {
    const ready = results instanceof Promise ? await results : results
    if (ticket !== seq) return false
    const applied = applyPredictions(ready.predictions, ticket, { ood: ready.ood, oodUnavailable: ready.oodUnavailable })
    const finding = applied instanceof Promise ? await applied : applied
    if (finding === undefined || ready.predictions.length === 0) return false
    if (finding !== ready.heatmap?.finding) return loadHeatmap(finding)
    update({ heatmap: ready.heatmap })
    return ready.heatmap !== null
  }

  /**
   * Loads the open case's stored predictions for the chosen model, then the heatmap of the selected
   * finding (kept when the model knows it, else the top one). True when both are stored.
   */
  async function loadResults(): Promise<boolean> {
    const model = currentModel()
    const caseId = state.caseId
    const ticket = ++seq
    if (!model || caseId === null) {
      update({ predictions: [], finding: null, findingReason: null, heatmap: null, ood: null, oodUnavailable: null })
      return false
    }
    const ahead = prefetched.take(caseId, modelKey(model), state.method)
    if (ahead) {
      try {
        return await usePrefetched(ahead, ticket)
      } catch {
        // the prefetch failed: ask again below, where a failure is shown
      }
    }
    const guess = guessFinding(caseId, model)
    const method = state.method
    const early = guess ? api.heatmaps.get({ caseId, model: model.id, version: model.version, finding: guess, method }) : null
    // A guess not taken, or a case left meanwhile, leaves its answer (or failure) unread.
    early?.catch(() => undefined)
    try {
      const { probabilities, ood, oodUnavailable } = await api.analysis.predictions({ caseId, model: model.id, version: model.version })
      if (ticket !== seq) return false
      const finding = await applyPredictions(byProbability(probabilities), ticket, { ood, oodUnavailable })
      if (finding === undefined || probabilities.length === 0) return false
      return await loadHeatmap(finding, early && finding === guess && method === state.method ? early : undefined)
    } catch (error) {
      if (ticket === seq) update({ error: errorMessage(error) })
      return false
    }
  }

  /**
   * Refreshes the installed models (one may have been imported meanwhile). The open case's results
   * are loaded again only when the choice of model changed or `always` says so.
   */
  async function loadModels(always = true): Promise<void> {
    try {
      const models = await api.models.list({})
      const changed = modelsSignature(models) !== modelsSignature(state.models)
      const before = state.modelKey
      const chosen = models.find((m) => modelKey(m) === state.modelKey) ?? models.find((m) => m.isDefault) ?? models[0]
      if (changed) update({ models, modelKey: chosen ? modelKey(chosen) : null })
      if (!methodSupported(currentModel(), state.method)) update({ method: 'gradcam' })
      if (always || changed || before !== state.modelKey) await loadResults()
    } catch (error) {
      update({ models: state.models ?? [], error: errorMessage(error) })
    }
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): AnalysisState => state,
    currentModel,
    loadResults,
    loadModels,
    /**
     * A new case: forget the previous case's results, keep the choices. Results load at once with
     * the known model list while the list is refreshed beside them.
     */
    openCase(caseId: number): void {
      update({
        caseId,
        predictions: [],
        finding: null,
        findingReason: null,
        heatmap: null,
        ood: null,
        oodUnavailable: null,
        provider: null,
        error: null,
      })
      if (state.models !== null) void loadResults()
      void loadModels(state.models === null)
    },
    /** Fetches a case's predictions and top heatmap ahead of its opening (the worklist's neighbours). */
    prefetch(caseId: number): void {
      const model = currentModel()
      if (!model || caseId === state.caseId) return
      const method = state.method
      prefetched.start(caseId, modelKey(model), method, async () => {
        const filter = hints.filterFinding()
        // The boxes' findings matter only without a filter; a failure to get them just means the top finding.
        const boxes = filter ? null : (hints.boxFindingsAhead?.(caseId).catch(() => null) ?? null)
        const [{ probabilities, ood, oodUnavailable }, boxFindings] = await Promise.all([
          api.analysis.predictions({ caseId, model: model.id, version: model.version }),
          boxes,
        ])
        const predictions = byProbability(probabilities)
        // The map the case will open on (a wrong guess costs one fetch at opening).
        const top = chooseMapFinding(predictions, { filter, boxFindings })?.finding
        const heatmap = top ? await api.heatmaps.get({ caseId, model: model.id, version: model.version, finding: top, method }) : null
        return { predictions, heatmap, ood, oodUnavailable }
      })
    },
    selectModel(key: string): void {
      try {
        localStorage.setItem(MODEL_KEY_STORAGE, key)
      } catch {
        // storage unavailable (private mode): the choice lasts for this page only
      }
      update({ modelKey: key, predictions: [], heatmap: null, provider: null })
      if (!methodSupported(currentModel(), state.method)) update({ method: 'gradcam' })
      void loadResults()
    },
    /** Shows the stored map of the new method when there is one; Run computes it otherwise. */
    selectMethod(method: ExplainMethod): void {
      update({ method, heatmap: null })
      void loadHeatmap(state.finding)
    },
    selectFinding(finding: string): void {
      update({ finding, findingReason: 'reader' })
      void loadHeatmap(finding)
    },
    setProvider(provider: string | null): void {
      update({ provider })
    },
    setError(error: string | null): void {
      update({ error })
    },
    setColormap(colormap: ColormapName): void {
      update({ colormap })
    },
    setFloor(floor: number): void {
      update({ floor: Math.min(0.9, Math.max(0, floor)) })
    },
    setOpacity(opacity: number): void {
      update({ opacity: Math.min(1, Math.max(0, opacity)) })
    },
    setVisible(visible: boolean): void {
      update({ visible })
    },
    toggleVisible(): void {
      update({ visible: !state.visible })
    },
  }
}
