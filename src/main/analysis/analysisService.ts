import { EXPLAIN_METHOD_FACTS, type ExplainMethod } from '../../shared/explainMethods'
import { checkMethodSupported, runMethod, type MethodOutput } from '../explain/methods'
import type { CaseStore } from '../store/caseStore'
import type { CaseRecord } from '../store/caseRepository'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { AnalysisRequest, AnalysisResult, CaseAnalysis } from '../../shared/jobs'
import { backgroundSource, type Background } from './backgrounds'
import { inferInBatches, type InferredBatch } from '../model/batchedInference'
import { log } from '../logging/log'
import { oodScores, oodVerdict } from '../model/oodScore'
import { preprocessSpecOf } from '../model/preprocess'
import { oodMark, type StoredOod } from '../store/resultRepository'
import { ModelInputCache } from '../cases/modelInputCache'

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

/** A validated request: the model package, the findings whose maps are stored and where backgrounds come from. */
export interface AnalysisPlan {
  pkg: ModelPackage
  request: AnalysisRequest
  findings: readonly string[]
  backgroundOf: (image: Float32Array) => Promise<Background>
  needsBackground: boolean
}

/** Checks the request against the model (unknown findings, methods it cannot run) before any image is read. */
export function planAnalysis(
  deps: { store: CaseStore; registry: ModelRegistry; engine: InferenceEngine },
  request: AnalysisRequest,
): AnalysisPlan {
  const { pkg } = deps.registry.get(request.model, request.version)
  const { manifest } = pkg
  const unknown = (request.findings ?? []).filter((f) => !manifest.findings.includes(f))
  if (unknown.length) throw new Error(`Model ${manifest.id} has no finding ${unknown.join(', ')}; it knows ${manifest.findings.join(', ')}`)
  for (const method of request.methods) checkMethodSupported(pkg, method)
  return {
    pkg,
    request,
    findings: request.findings?.length ? request.findings : manifest.findings,
    backgroundOf: backgroundSource(request.background ?? 'blur', deps, pkg),
    needsBackground: request.methods.some((m) => EXPLAIN_METHOD_FACTS[m].needsBackground),
  }
}

/**
 * Runs a model over stored cases and keeps the results: probabilities for every finding per case and
 * model version, and the requested heatmaps (low-resolution maps plus their parameters). One backbone
 * pass per batch serves every CAM method and every finding.
 */
export async function analyzeCases(
  deps: { store: CaseStore; registry: ModelRegistry; engine: InferenceEngine },
  request: AnalysisRequest,
  hooks: AnalyzeHooks = {},
): Promise<AnalysisResult> {
  const started = performance.now()
  const plan = planAnalysis(deps, request)
  const { pkg } = plan
  const { manifest } = pkg
  const batchSize = Math.max(1, hooks.batchSize ?? 8)
  const results: CaseAnalysis[] = []
  let provider = 'unknown'
  const records = request.caseIds.map((id) => ({ id }))
  // The import kept the default model's input of each image: read, not decoded again (the same tensor).
  const kept = ModelInputCache.ofDatabase(deps.store.path)
  const spec = preprocessSpecOf(manifest)
  const input = ({ id }: { id: number }) => {
    const record = deps.store.cases.get(id)
    if (!record) throw new Error(`Case ${id} was not found`)
    return { image: record.path, name: record.imageName, kept: kept ? () => kept.tensor(record.sha256, spec) : undefined }
  }
  await inferInBatches(
    deps.engine,
    pkg,
    records,
    input,
    async (batch) => {
      provider = batch.result.provider
      for (const analysis of await analyzeInferred(deps, plan, batch, hooks)) {
        results.push(analysis)
        hooks.onProgress?.(results.length, request.caseIds.length, `${analysis.image}: done`)
      }
    },
    {
      batchSize,
      signal: hooks.signal,
      cancelled: () => new Error(`Analysis cancelled after ${results.length} case(s); their results are stored`),
    },
  )
  const { attempts } = await deps.engine.session(pkg)
  // Diagnostics gathers these lines: which providers were tried on this machine, and why each failed.
  log().info('execution provider attempts', { provider, model: manifest.id, attempts: attempts.map((a) => ({ ...a })) })
  return {
    model: { id: manifest.id, version: manifest.version, sha256: manifest.sha256 },
    provider,
    providerAttempts: attempts,
    cases: results,
    seconds: (performance.now() - started) / 1000,
    oodUnavailable: pkg.ood ? null : (pkg.oodMissing ?? `no out-of-distribution check: model ${manifest.id} ${manifest.version} has none`),
  }
}

/**
 * The explanations of one inferred batch, then every case's probabilities and maps in ONE
 * transaction (a transaction per case cost more than the maps on a 2-core machine). A method that
 * throws leaves the whole batch unstored, so the caller can retry its cases one by one.
 */
export async function analyzeInferred(
  deps: { store: CaseStore; engine: InferenceEngine },
  plan: AnalysisPlan,
  batch: InferredBatch<{ id: number }>,
  hooks: AnalyzeHooks = {},
): Promise<CaseAnalysis[]> {
  const computed: Array<{ record: CaseRecord; probabilities: Record<string, number>; maps: ComputedMap[]; verdict?: StoredOod }> = []
  for (let i = 0; i < batch.items.length; i++) {
    const record = deps.store.cases.get(batch.items[i].id)
    if (!record) throw new Error(`Case ${batch.items[i].id} was not found`)
    const background = plan.needsBackground ? await plan.backgroundOf(batch.tensors[i]) : null
    computed.push({ record, ...(await explainOne(deps, plan, batch, i, background, hooks.signal)) })
  }
  const { manifest } = plan.pkg
  return deps.store.transaction(() =>
    computed.map(({ record, probabilities, maps, verdict }) => {
      deps.store.results.putPredictions(record.id, manifest.id, manifest.version, probabilities)
      if (verdict) deps.store.results.putOod(record.id, manifest.id, manifest.version, verdict)
      hooks.inTransaction?.(record.id)
      const heatmaps = maps.flatMap((m) =>
        plan.findings.map((finding) => {
          const data = Float32Array.from(m.maps[manifest.findings.indexOf(finding)])
          const id = deps.store.results.putHeatmap({
            caseId: record.id,
            modelId: manifest.id,
            modelVersion: manifest.version,
            finding,
            method: m.method,
            params: m.params,
            width: m.width,
            height: m.height,
            data,
          })
          return { id, finding, method: m.method, width: m.width, height: m.height }
        }),
      )
      // The verdict as stored (a non-finite score is kept as null and flagged), beside the header's flag.
      const ood = oodMark(verdict && deps.store.results.ood(record.id, manifest.id, manifest.version), record.acquisitionFlag ?? null)
      return { caseId: record.id, image: record.imageName, probabilities, heatmaps, ood }
    }),
  )
}

type ComputedMap = MethodOutput & { method: ExplainMethod }

async function explainOne(
  deps: { engine: InferenceEngine },
  plan: AnalysisPlan,
  batch: InferredBatch<unknown>,
  index: number,
  background: Background | null,
  signal: AbortSignal | undefined,
): Promise<{ probabilities: Record<string, number>; maps: ComputedMap[]; verdict?: StoredOod }> {
  const { pkg, request } = plan
  const { manifest } = pkg
  const classes = manifest.findings.length
  const probabilities = Object.fromEntries(manifest.findings.map((f, c) => [f, batch.result.probabilities[index * classes + c]]))
  const features = batch.featureMap(index)
  // From the same engine output the probabilities came from: train (ood:fit) and serve agree.
  const verdict: StoredOod | undefined = pkg.ood
    ? oodVerdict(pkg.ood, oodScores(pkg.ood, batch.result.logits.subarray(index * classes, (index + 1) * classes), features))
    : undefined
  const tensor = batch.tensors[index]
  const options = { grid: request.grid, samples: request.samples, seed: request.seed, channels: request.channels }
  const maps: ComputedMap[] = []
  for (const method of request.methods) {
    const input = {
      pkg,
      engine: deps.engine,
      image: tensor,
      features,
      background: EXPLAIN_METHOD_FACTS[method].needsBackground ? background : null,
      options,
      signal,
    }
    maps.push({ method, ...(await runMethod(method, input)) })
  }
  return { probabilities, maps, verdict }
}
