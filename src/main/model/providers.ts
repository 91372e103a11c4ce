import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ProviderAttempt } from '../../shared/jobs'
import { threadProviderMemory, type ProviderMemory } from './providerMemory'

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
  /**
   * Where machine-level provider failures are remembered (providerMemory.ts); undefined: this thread's
   * (set by openServices), null: none. Only the default chain skips a remembered provider: one named
   * in `providers` or CXR_LENS_PROVIDER is always tried.
   */
  memory?: ProviderMemory | null
  /**
   * Let onnxruntime's intra-op threads spin-wait between kernels (default off). Spinning trims a
   * little latency on an idle machine but burns the cores that image decoding and the UI need
   * (see SESSION_DEFAULTS).
   */
  spinning?: boolean
  /** onnxruntime's CPU memory arena (default on: see SESSION_DEFAULTS). */
  cpuMemArena?: boolean
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

/**
 * The engine's session defaults, measured with `npm run bench:engine -- --session-variants` and
 * `scripts/sessionMemory.ts` (README, Benchmarks): spinning off (with two threads it took ~40% more
 * CPU time for the same work, time the decoders and the UI need), the CPU arena on (off, the peak RSS
 * rose by 15–60 MB at no saving in CPU time).
 */
export const SESSION_DEFAULTS = { spinning: false, cpuMemArena: true } as const

/** onnxruntime session options for one provider under `options`. */
export function sessionOptionsFor(provider: ProviderName, options: SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const spinning = options.spinning ?? SESSION_DEFAULTS.spinning
  return {
    executionProviders: [provider],
    intraOpNumThreads: options.threads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: options.cpuMemArena ?? SESSION_DEFAULTS.cpuMemArena,
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
    // A provider that cannot start is an expected outcome here, reported in `attempts`, not a log error.
    logSeverityLevel: provider === 'cpu' ? 2 : 4,
  }
}

/** `model` is a file, or the bytes of one (a copy with extra outputs); `label` names it in errors. */
export async function openSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
  label = typeof model === 'string' ? model : 'model',
): Promise<OpenedSession> {
  const attempts: ProviderAttempt[] = []
  const explicit = !!options.providers?.length || !!process.env.CXR_LENS_PROVIDER
  const memory = options.memory === undefined ? threadProviderMemory() : options.memory
  for (const provider of providerOrder(options.providers)) {
    if (provider === 'cuda' && !cudaInstalled()) {
      attempts.push({
        provider,
        ok: false,
        reason: 'CUDA provider not installed (install onnxruntime-node with its CUDA download on a machine with network access)',
      })
      continue
    }
    const recalled = provider === 'cpu' ? null : memory?.recalled(provider)
    if (recalled && !explicit) {
      attempts.push({
        provider,
        ok: false,
        reason: `not tried: it failed on this machine on ${recalled.at.slice(0, 10)} with onnxruntime ${recalled.onnxruntime} (${recalled.reason}); --retry-providers tries it again`,
      })
      continue
    }
    try {
      const session = await (options.create ?? ortCreate)(model, sessionOptionsFor(provider, options))
      attempts.push({ provider, ok: true })
      // A provider asked for by name that works now is no longer a remembered failure.
      if (recalled) memory?.clear(provider)
      return { session, provider, attempts }
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0]
      attempts.push({ provider, ok: false, reason })
      memory?.remember(provider, reason)
    }
  }
  throw new Error(`No execution provider could run ${label}: ${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')}`)
}
