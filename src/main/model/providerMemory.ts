import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ProviderAttempt } from '../../shared/jobs'

type ProviderName = ProviderAttempt['provider']

/**
 * Machine-level provider failures remembered across starts. A WebGPU provider that finds no adapter
 * fails the same way on every start, and each try costs about 0.3 s and leaves ~65 MB of Dawn and
 * Vulkan libraries resident in the process (measured: RSS 119 MB with the CPU alone, 184 MB after a
 * failed WebGPU try). So such a failure is written to a small JSON file in the data folder, keyed by
 * host name (a data folder on a share serves several machines), onnxruntime version and provider,
 * and the default chain skips it until onnxruntime changes or someone asks to retry
 * (`cxr-lens … --retry-providers`, `forget()`).
 *
 * Only failures that say the machine lacks the device or its libraries are remembered: a model the
 * provider cannot compile, or a transient error, is tried again next time.
 */
export interface RememberedFailure {
  host: string
  onnxruntime: string
  provider: ProviderName
  reason: string
  /** ISO time of the failure */
  at: string
}

interface MemoryFile {
  version: 1
  failures: RememberedFailure[]
}

/** Reasons that describe the machine (no adapter, no device, no driver or library), not the model. */
const MACHINE_LEVEL: Record<ProviderName, RegExp | null> = {
  webgpu: /no supported adapters|failed to get a webgpu adapter|requestadapter|no adapter/i,
  cuda: /no cuda-capable device|cuda driver version is insufficient|libcudart|libcublas|libcudnn|failed to load library|cudaErrorNoDevice/i,
  cpu: null,
}

export function isMachineLevelFailure(provider: ProviderName, reason: string): boolean {
  return MACHINE_LEVEL[provider]?.test(reason) ?? false
}

export const ORT_VERSION: string = ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown'

export class ProviderMemory {
  constructor(
    readonly file: string,
    private readonly host = hostname(),
    private readonly onnxruntime = ORT_VERSION,
  ) {}

  /**
   * Everything in the file. A file that is missing, unreadable or not ours counts as empty (it only
   * saves time and memory: the worst a bad one can cost is one more try) and is rewritten on the next
   * failure.
   */
  private read(): RememberedFailure[] {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'))
    } catch {
      return []
    }
    const failures = (parsed as Partial<MemoryFile> | null)?.failures
    if (!Array.isArray(failures)) return []
    return failures.filter(
      (f): f is RememberedFailure =>
        !!f &&
        typeof f === 'object' &&
        typeof f.host === 'string' &&
        typeof f.onnxruntime === 'string' &&
        typeof f.reason === 'string' &&
        typeof f.at === 'string' &&
        (f.provider === 'webgpu' || f.provider === 'cuda'),
    )
  }

  private write(failures: RememberedFailure[]): void {
    // Written whole and renamed into place, so a process reading it meanwhile never sees half a file.
    mkdirSync(dirname(this.file), { recursive: true })
    const temporary = `${this.file}.${process.pid}.tmp`
    writeFileSync(temporary, `${JSON.stringify({ version: 1, failures } satisfies MemoryFile, null, 2)}\n`)
    renameSync(temporary, this.file)
  }

  /** This machine's remembered failure of `provider` under this onnxruntime, if any. */
  recalled(provider: ProviderName): RememberedFailure | null {
    return this.read().find((f) => f.host === this.host && f.onnxruntime === this.onnxruntime && f.provider === provider) ?? null
  }

  /** Every failure remembered for this machine (any onnxruntime version): what diagnostics and benches show. */
  list(): RememberedFailure[] {
    return this.read().filter((f) => f.host === this.host)
  }

  /** Records a failure if it is machine-level; returns whether it did. Never throws: a read-only folder just forgets. */
  remember(provider: ProviderName, reason: string): boolean {
    if (!isMachineLevelFailure(provider, reason)) return false
    try {
      const others = this.read().filter((f) => !(f.host === this.host && f.provider === provider))
      this.write([...others, { host: this.host, onnxruntime: this.onnxruntime, provider, reason, at: new Date().toISOString() }])
      return true
    } catch {
      return false
    }
  }

  /** Forgets this machine's failure of one provider (it has just worked). */
  clear(provider: ProviderName): void {
    try {
      const kept = this.read().filter((f) => !(f.host === this.host && f.provider === provider))
      if (kept.length) this.write(kept)
      else rmSync(this.file, { force: true })
    } catch {
      // as remember(): a folder we cannot write only means one more try next time
    }
  }

  /** Forgets this machine's failures, so the next session walks the whole chain again. */
  forget(): void {
    const others = this.read().filter((f) => f.host !== this.host)
    if (others.length) this.write(others)
    else rmSync(this.file, { force: true })
  }
}

/**
 * The memory the sessions of this thread use when their options name none. Module state is per
 * thread, so each entry point that knows the data folder sets it: openServices (app, browser mode,
 * CLI, job workers) and the background worker.
 */
let threadMemory: ProviderMemory | null = null

export function rememberProviderFailuresIn(file: string | null): ProviderMemory | null {
  threadMemory = file ? new ProviderMemory(file) : null
  return threadMemory
}

export function threadProviderMemory(): ProviderMemory | null {
  return threadMemory
}
