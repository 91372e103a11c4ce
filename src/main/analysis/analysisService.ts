import { EXPLAIN_METHOD_FACTS, type ExplainMethod } from '../../shared/explainMethods'
import { checkMethodSupported, runMethod, type MethodOutput } from '../explain/methods'
import type { CaseStore } from '../store/caseStore'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { AnalysisRequest, AnalysisResult, CaseAnalysis } from '../../shared/jobs'
import { backgroundSource, type Background } from './backgrounds'
import { inferInBatches, type InferredBatch } from '../model/batchedInference'
import { log } from '../logging/log'
import { oodScores, oodVerdict } from '../model/oodScore'
import { oodMark, type StoredOod } from '../store/resultRepository'

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
  request: AnalysisRequest,
  hooks: AnalyzeHooks = {},
): Promise<AnalysisResult> {
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
  const records = request.caseIds.map((id) => ({ id }))
  const input = ({ id }: { id: number }) => {
    const record = deps.store.cases.get(id)
    if (!record) throw new Error(`Case ${id} was not found`)
    return { image: record.path, name: record.imageName }
  }
  await inferInBatches(
    deps.engine,
    pkg,
    records,
    input,
    async (batch) => {
      provider = batch.result.provider
      for (let i = 0; i < batch.items.length; i++) {
        const record = deps.store.cases.get(batch.items[i].id)!
        const background = needsBackground ? await backgroundOf(batch.tensors[i]) : null
        const analysis = await analyzeOne(deps, pkg, request, findings, record.id, batch, i, background, hooks)
        results.push({ ...analysis, image: record.imageName })
        hooks.onProgress?.(results.length, request.caseIds.length, `${record.imageName}: done`)
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

async function analyzeOne(
  deps: { store: CaseStore; engine: InferenceEngine },
  pkg: ModelPackage,
  request: AnalysisRequest,
  findings: readonly string[],
  caseId: number,
  batch: InferredBatch<unknown>,
  index: number,
  background: Background | null,
  hooks: AnalyzeHooks,
): Promise<Omit<CaseAnalysis, 'image'>> {
  const { signal } = hooks
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
  const maps: Array<MethodOutput & { method: ExplainMethod }> = []
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
  const stored = deps.store.transaction(() => {
    deps.store.results.putPredictions(caseId, manifest.id, manifest.version, probabilities)
    if (verdict) deps.store.results.putOod(caseId, manifest.id, manifest.version, verdict)
    hooks.inTransaction?.(caseId)
    return maps.flatMap((m) =>
      findings.map((finding) => {
        const data = Float32Array.from(m.maps[manifest.findings.indexOf(finding)])
        const id = deps.store.results.putHeatmap({
          caseId,
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
  })
  const acquisition = deps.store.cases.get(caseId)?.acquisitionFlag ?? null
  // The verdict as stored (a non-finite score is kept as null and flagged), beside the header's flag.
  return {
    caseId,
    probabilities,
    heatmaps: stored,
    ood: oodMark(verdict && deps.store.results.ood(caseId, manifest.id, manifest.version), acquisition),
  }
}
