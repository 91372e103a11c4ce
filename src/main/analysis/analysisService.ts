import { EXPLAIN_METHOD_FACTS, type ExplainMethod } from '../../shared/explainMethods'
import { checkMethodSupported, runMethod, type MethodOutput } from '../explain/methods'
import type { CaseStore } from '../store/caseStore'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { ProviderAttempt } from '../model/providers'
import { backgroundSource, type Background, type BackgroundKind } from './backgrounds'
import { preprocessImage } from '../model/preprocess'
import { log } from '../logging/log'

export interface AnalyzeRequest {
  caseIds: number[]
  model?: string
  version?: string
  methods: ExplainMethod[]
  /** Findings whose heatmaps are stored; all when omitted (predictions always cover all). */
  findings?: string[]
  grid?: number
  samples?: number
  seed?: number
  /** Score-CAM: channels used, highest mean activation first (default SCORECAM_DEFAULT_CHANNELS). */
  channels?: number
  /** What a removed region becomes for kernelshap/occlusion/layershap (default 'blur'). */
  background?: BackgroundKind
}

export interface CaseAnalysis {
  caseId: number
  image: string
  probabilities: Record<string, number>
  heatmaps: Array<{ id: number; finding: string; method: ExplainMethod; width: number; height: number }>
}

export interface AnalyzeResult {
  model: { id: string; version: string; sha256: string }
  provider: string
  /** Every provider tried, in order, with why the ones before `provider` could not run. */
  providerAttempts: ProviderAttempt[]
  cases: CaseAnalysis[]
  seconds: number
}

export interface AnalyzeHooks {
  signal?: AbortSignal
  onProgress?: (done: number, total: number, message: string) => void
  batchSize?: number
  /**
   * Runs inside each case's results transaction, so whatever it writes (the background queue marking
   * the case done) commits with the results or not at all.
   */
  inTransaction?: (caseId: number) => void
}

/**
 * Runs a model over stored cases and keeps the results: probabilities for every finding per case and
 * model version, and the requested heatmaps (low-resolution maps plus their parameters). One backbone
 * pass per batch serves every CAM method and every finding.
 */
export async function analyzeCases(
  deps: { store: CaseStore; registry: ModelRegistry; engine: InferenceEngine },
  request: AnalyzeRequest,
  hooks: AnalyzeHooks = {},
): Promise<AnalyzeResult> {
  const started = performance.now()
  const { pkg } = deps.registry.get(request.model, request.version)
  const { manifest } = pkg
  const unknown = (request.findings ?? []).filter((f) => !manifest.findings.includes(f))
  if (unknown.length) throw new Error(`Model ${manifest.id} has no finding ${unknown.join(', ')}; it knows ${manifest.findings.join(', ')}`)
  for (const method of request.methods) checkMethodSupported(pkg, method)
  const findings = request.findings?.length ? request.findings : manifest.findings
  const batchSize = Math.max(1, hooks.batchSize ?? 8)
  const backgroundOf = backgroundSource(request.background ?? 'blur', deps, pkg)
  const needsBackground = request.methods.some((m) => EXPLAIN_METHOD_FACTS[m].needsBackground)
  const results: CaseAnalysis[] = []
  let provider = 'unknown'
  for (let start = 0; start < request.caseIds.length; start += batchSize) {
    if (hooks.signal?.aborted) throw new Error(`Analysis cancelled after ${results.length} case(s); their results are stored`)
    const records = request.caseIds.slice(start, start + batchSize).map((id) => {
      const record = deps.store.cases.get(id)
      if (!record) throw new Error(`Case ${id} was not found`)
      return record
    })
    const tensors = await Promise.all(records.map((r) => preprocessImage(r.path, manifest, r.imageName)))
    const size = tensors[0].length
    const batch = new Float32Array(size * tensors.length)
    tensors.forEach((t, i) => batch.set(t, i * size))
    const out = await deps.engine.run(pkg, batch, tensors.length)
    provider = out.provider
    for (let i = 0; i < records.length; i++) {
      const background = needsBackground ? await backgroundOf(tensors[i]) : null
      const analysis = await analyzeOne(deps, pkg, request, findings, records[i].id, tensors[i], out, i, background, hooks)
      results.push({ ...analysis, image: records[i].imageName })
      hooks.onProgress?.(results.length, request.caseIds.length, `${records[i].imageName}: done`)
    }
  }
  const { attempts } = await deps.engine.session(pkg)
  // Diagnostics gathers these lines: which providers were tried on this machine, and why each failed.
  log().info('execution provider attempts', { provider, model: manifest.id, attempts: attempts.map((a) => ({ ...a })) })
  return {
    model: { id: manifest.id, version: manifest.version, sha256: manifest.sha256 },
    provider, providerAttempts: attempts, cases: results, seconds: (performance.now() - started) / 1000,
  }
}

async function analyzeOne(
  deps: { store: CaseStore; engine: InferenceEngine },
  pkg: ModelPackage,
  request: AnalyzeRequest,
  findings: readonly string[],
  caseId: number,
  tensor: Float32Array,
  out: Awaited<ReturnType<InferenceEngine['run']>>,
  index: number,
  background: Background | null,
  hooks: AnalyzeHooks,
): Promise<Omit<CaseAnalysis, 'image'>> {
  const { signal } = hooks
  const { manifest } = pkg
  const classes = manifest.findings.length
  const [K, h, w] = manifest.outputs.features.shape
  const probabilities = Object.fromEntries(manifest.findings.map((f, c) => [f, out.probabilities[index * classes + c]]))
  const features = { data: out.features.subarray(index * K * h * w, (index + 1) * K * h * w), channels: K, height: h, width: w }
  const options = { grid: request.grid, samples: request.samples, seed: request.seed, channels: request.channels }
  const maps: Array<MethodOutput & { method: ExplainMethod }> = []
  for (const method of request.methods) {
    const input = { pkg, engine: deps.engine, image: tensor, features, background: EXPLAIN_METHOD_FACTS[method].needsBackground ? background : null, options, signal }
    maps.push({ method, ...(await runMethod(method, input)) })
  }
  const stored = deps.store.transaction(() => {
    deps.store.results.putPredictions(caseId, manifest.id, manifest.version, probabilities)
    hooks.inTransaction?.(caseId)
    return maps.flatMap((m) =>
      findings.map((finding) => {
        const data = Float32Array.from(m.maps[manifest.findings.indexOf(finding)])
        const id = deps.store.results.putHeatmap({ caseId, modelId: manifest.id, modelVersion: manifest.version, finding, method: m.method, params: m.params, width: m.width, height: m.height, data })
        return { id, finding, method: m.method, width: m.width, height: m.height }
      }),
    )
  })
  return { caseId, probabilities, heatmaps: stored }
}
