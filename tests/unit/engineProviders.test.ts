import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { matmulModelBytes } from '../../src/main/model/matmulKernel'
import { isMachineLevelFailure, ProviderMemory, rememberProviderFailuresIn } from '../../src/main/model/providerMemory'
import { openSession, sessionOptionsFor, type SessionCreate } from '../../src/main/model/providers'
import { CLI } from './builtCli'

/** What onnxruntime 1.30 says when Dawn finds no adapter (first line of its message). */
const NO_ADAPTER =
  'webgpu_context.cc:136 adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters'

/** A session factory whose WebGPU fails with `reason`, recording what was tried; the CPU is real. */
function chain(reason = NO_ADAPTER) {
  const tried: string[] = []
  const create: SessionCreate = async (model, options) => {
    const provider = String(options.executionProviders?.[0])
    if (provider !== 'cuda') tried.push(provider) // a CI machine with CUDA installed tries it first
    if (provider !== 'cpu') throw new Error(`${reason}\nnative detail`)
    return ort.InferenceSession.create(model as Uint8Array, options)
  }
  return { create, tried }
}

describe('remembered provider failures', () => {
  const work = mkdtempSync(join(tmpdir(), 'cxr-providers-'))
  const saved = process.env.CXR_LENS_PROVIDER
  let file: string
  let n = 0

  beforeEach(() => {
    // the default chain is the one that consults the memory: no CXR_LENS_PROVIDER from the caller's shell
    delete process.env.CXR_LENS_PROVIDER
    file = join(work, `failures-${n++}.json`)
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.CXR_LENS_PROVIDER
    else process.env.CXR_LENS_PROVIDER = saved
    rememberProviderFailuresIn(null)
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  async function open(memory: ProviderMemory | null | undefined, create: SessionCreate, providers?: Array<'webgpu' | 'cpu'>) {
    const opened = await openSession(matmulModelBytes(), { memory, create, providers }, 'a test product')
    await opened.session.release()
    return opened
  }

  it('a WebGPU without an adapter is tried once per machine and onnxruntime version, then skipped and reported', async () => {
    const memory = new ProviderMemory(file, 'host-a', '1.30.0')
    const first = chain()
    const opened = await open(memory, first.create)
    expect(first.tried).toEqual(['webgpu', 'cpu'])
    expect(opened.provider).toBe('cpu')
    expect(opened.attempts.find((a) => a.provider === 'webgpu')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/No supported adapters/),
    })
    const stored = JSON.parse(readFileSync(file, 'utf8'))
    expect(stored.failures).toEqual([
      {
        host: 'host-a',
        onnxruntime: '1.30.0',
        provider: 'webgpu',
        reason: expect.stringMatching(/No supported adapters$/),
        at: expect.any(String),
      },
    ])

    const second = chain()
    const again = await open(memory, second.create)
    expect(second.tried).toEqual(['cpu'])
    expect(again.provider).toBe('cpu')
    expect(again.attempts.find((a) => a.provider === 'webgpu')).toEqual({
      provider: 'webgpu',
      ok: false,
      reason: expect.stringMatching(
        /^not tried: it failed on this machine on \d{4}-\d\d-\d\d with onnxruntime 1\.30\.0 .*--retry-providers/,
      ),
    })

    // another onnxruntime, or another machine sharing the data folder, tries again
    for (const other of [new ProviderMemory(file, 'host-a', '1.31.0'), new ProviderMemory(file, 'host-b', '1.30.0')]) {
      const third = chain()
      await open(other, third.create)
      expect(third.tried).toEqual(['webgpu', 'cpu'])
    }
    // both hosts' failures are kept side by side
    expect(new ProviderMemory(file, 'host-b', '1.30.0').list()).toHaveLength(1)
    expect(new ProviderMemory(file, 'host-a', '1.31.0').list()).toEqual([expect.objectContaining({ onnxruntime: '1.31.0' })])
  })

  it('a provider named explicitly is always tried; when it works, its remembered failure is dropped', async () => {
    const memory = new ProviderMemory(file, 'host-a', '1.30.0')
    await open(memory, chain().create)
    expect(memory.recalled('webgpu')).not.toBeNull()
    const named = chain()
    await open(memory, named.create, ['webgpu', 'cpu'])
    expect(named.tried).toEqual(['webgpu', 'cpu'])
    process.env.CXR_LENS_PROVIDER = 'webgpu,cpu'
    const byEnv = chain()
    await open(memory, byEnv.create)
    expect(byEnv.tried).toEqual(['webgpu', 'cpu'])
    // it starts working (a driver was installed): tried by name, it succeeds and is forgotten
    const works: SessionCreate = (model, options) =>
      ort.InferenceSession.create(model as Uint8Array, { ...options, executionProviders: ['cpu'] })
    const opened = await open(memory, works, ['webgpu'])
    expect(opened.provider).toBe('webgpu')
    expect(memory.recalled('webgpu')).toBeNull()
    expect(existsSync(file)).toBe(false)
  })

  it('a failure of the model (not the machine) is not remembered', async () => {
    const memory = new ProviderMemory(file, 'host-a', '1.30.0')
    const modelLevel = chain('Could not find an implementation for FancyOp(1) node with name fancy')
    await open(memory, modelLevel.create)
    expect(existsSync(file)).toBe(false)
    const again = chain('Could not find an implementation for FancyOp(1) node with name fancy')
    await open(memory, again.create)
    expect(again.tried).toEqual(['webgpu', 'cpu'])
    expect(isMachineLevelFailure('webgpu', NO_ADAPTER)).toBe(true)
    expect(isMachineLevelFailure('cuda', 'CUDA failure 100: no CUDA-capable device is detected')).toBe(true)
    expect(isMachineLevelFailure('cuda', 'out of memory')).toBe(false)
    expect(isMachineLevelFailure('cpu', NO_ADAPTER)).toBe(false)
  })

  it('forget() (what --retry-providers does) walks the whole chain again', async () => {
    const memory = new ProviderMemory(file, 'host-a', '1.30.0')
    new ProviderMemory(file, 'host-b', '1.30.0').remember('webgpu', NO_ADAPTER)
    await open(memory, chain().create)
    memory.forget()
    const after = chain()
    await open(memory, after.create)
    expect(after.tried).toEqual(['webgpu', 'cpu'])
    // host-b's failure is not this machine's to forget
    expect(new ProviderMemory(file, 'host-b', '1.30.0').recalled('webgpu')).not.toBeNull()
  })

  it('a corrupt or foreign file counts as empty and is rewritten on the next failure; no session fails for it', async () => {
    for (const junk of ['{not json', '[1,2,3]', JSON.stringify({ failures: [{ host: 'host-a', provider: 'webgpu' }, 7, null] })]) {
      writeFileSync(file, junk)
      const memory = new ProviderMemory(file, 'host-a', '1.30.0')
      expect(memory.list()).toEqual([])
      const tried = chain()
      expect((await open(memory, tried.create)).provider).toBe('cpu')
      expect(tried.tried).toEqual(['webgpu', 'cpu'])
      expect(JSON.parse(readFileSync(file, 'utf8')).failures).toHaveLength(1)
    }
  })

  it('a folder that cannot be written only forgets: the session still opens', async () => {
    const memory = new ProviderMemory(join(work, 'missing-file-as-folder', '\0bad'), 'host-a', '1.30.0')
    const opened = await open(memory, chain().create)
    expect(opened.provider).toBe('cpu')
  })

  it("sessions with no memory in their options use the thread's (what openServices sets)", async () => {
    rememberProviderFailuresIn(file)
    await open(undefined, chain().create)
    const second = chain()
    await open(undefined, second.create)
    expect(second.tried).toEqual(['cpu'])
    // null: no memory at all
    const none = chain()
    await open(null, none.create)
    expect(none.tried).toEqual(['webgpu', 'cpu'])
  })
})

describe('session options', () => {
  it('spinning is off and the CPU arena on by default, both switchable; threads and optimization as before', () => {
    expect(sessionOptionsFor('cpu', { threads: 2 })).toMatchObject({
      executionProviders: ['cpu'],
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: true,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    })
    expect(sessionOptionsFor('cpu', { spinning: true, cpuMemArena: false })).toMatchObject({
      intraOpNumThreads: 0,
      enableCpuMemArena: false,
      extra: { session: { intra_op: { allow_spinning: '1' } } },
    })
  })
})

describe('cxr-lens --retry-providers', () => {
  const data = mkdtempSync(join(tmpdir(), 'cxr-retry-providers-'))
  afterAll(() => rmSync(data, { recursive: true, force: true }))
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--data-dir', data], { encoding: 'utf8' })

  it("any command with it forgets this machine's remembered failures first; without it they stay", () => {
    const memory = new ProviderMemory(new DataFolder(data).providerFailures)
    memory.remember('webgpu', NO_ADAPTER)
    const plain = cli('check')
    expect(plain.status, plain.stderr).toBe(0)
    expect(memory.recalled('webgpu')).not.toBeNull()
    const retried = cli('check', '--retry-providers')
    expect(retried.status, retried.stderr).toBe(0)
    expect(retried.stdout).toMatch(/integrity_check: ok/)
    expect(memory.recalled('webgpu')).toBeNull()
  })
})
