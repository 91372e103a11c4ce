import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ProviderAttempt } from '../../shared/jobs'

/**
 * Execution providers in order of preference: CUDA (needs binaries a user's install downloads),
 * then WebGPU (bundled; Dawn on Vulkan/D3D12/Metal, any vendor), then CPU. Each is tried on its own
 * so the one reported is the one that really runs.
 */
export type ProviderName = 'cuda' | 'webgpu' | 'cpu'
export const PROVIDER_PREFERENCE: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu']

/** Declared in the job map: an analysis result lists the attempts, and it crosses to the renderer. */
export type { ProviderAttempt }

export interface OpenedSession {
  session: ort.InferenceSession
  provider: ProviderName
  attempts: ProviderAttempt[]
}

export interface SessionOptions {
  /** Restrict or reorder providers, e.g. ['cpu'] (CXR_LENS_PROVIDER=cpu does the same). */
  providers?: readonly ProviderName[]
  threads?: number
  /** How a session is made (onnxruntime's by default): a test injects a provider that fails. */
  create?: SessionCreate
}

export type SessionCreate = (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>

const ortCreate: SessionCreate = (model, options) =>
  typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options)

export function providerOrder(requested?: readonly ProviderName[], env = process.env.CXR_LENS_PROVIDER): ProviderName[] {
  if (requested?.length) return [...requested]
  if (env) {
    const names = env.split(',').map((s) => s.trim()) as ProviderName[]
    const bad = names.filter((n) => !PROVIDER_PREFERENCE.includes(n))
    if (bad.length) throw new Error(`CXR_LENS_PROVIDER names unknown provider(s) ${bad.join(', ')}; use ${PROVIDER_PREFERENCE.join(', ')}`)
    return names
  }
  const available = new Set(ort.listSupportedBackends().map((b) => b.name))
  return PROVIDER_PREFERENCE.filter((p) => p === 'cpu' || available.has(p))
}

/**
 * The CUDA provider is a separate download (onnxruntime-node's install script fetches it on a user's
 * machine); when its library is absent, trying it only prints native errors.
 */
function cudaInstalled(): boolean {
  try {
    const binding = dirname(require.resolve('onnxruntime-node/package.json'))
    const dir = join(binding, 'bin', 'napi-v6', process.platform, process.arch)
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'
    return existsSync(join(dir, lib))
  } catch {
    return false
  }
}

/** `model` is a file, or the bytes of one (a copy with extra outputs); `label` names it in errors. */
export async function openSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
  label = typeof model === 'string' ? model : 'model',
): Promise<OpenedSession> {
  const attempts: ProviderAttempt[] = []
  for (const provider of providerOrder(options.providers)) {
    if (provider === 'cuda' && !cudaInstalled()) {
      attempts.push({
        provider,
        ok: false,
        reason: 'CUDA provider not installed (install onnxruntime-node with its CUDA download on a machine with network access)',
      })
      continue
    }
    try {
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        intraOpNumThreads: options.threads ?? 0,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // A provider that cannot start is an expected outcome here, reported in `attempts`, not a log error.
        logSeverityLevel: provider === 'cpu' ? 2 : 4,
      }
      const session = await (options.create ?? ortCreate)(model, sessionOptions)
      attempts.push({ provider, ok: true })
      return { session, provider, attempts }
    } catch (error) {
      attempts.push({ provider, ok: false, reason: (error as Error).message.split('\n')[0] })
    }
  }
  throw new Error(`No execution provider could run ${label}: ${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')}`)
}
