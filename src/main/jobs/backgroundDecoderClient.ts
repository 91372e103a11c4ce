/**
 * The background worker's side of its decoder process (backgroundDecoder.ts): each image is one
 * request answered with its tensor or its failure. Should the process fail to start, fail or exit,
 * the images it held and every later one decode in the calling thread instead: slower, the same
 * tensors, and no case is failed for the decoder's sake.
 */
import { fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { inProcessDecoder, type ImageDecoder } from '../analysis/preparedBatch'
import type { PreprocessSpec } from '../model/preprocess'
import { BACKGROUND_NICE } from './backgroundPriority'
import { entryFile } from './workerEntry'
import type { DecoderAnswer, DecoderRequest } from './backgroundProtocol'

/**
 * The bundled entry beside this module, else its source through tsx (tests). In Electron, fork runs
 * the app's binary, as plain Node with ELECTRON_RUN_AS_NODE. Advanced serialization carries the
 * tensors as typed arrays; the parent's flags (an inspector, --cpu-prof) are not passed on. Through
 * tsx the process lowers itself before tsx loads: tsx's own file reads start libuv's pool, and its
 * threads keep the priority they were made with.
 */
function forkDecoder(): ChildProcess {
  const file = entryFile('backgroundDecoder')
  const ipc = { serialization: 'advanced' as const, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as StdioOptions }
  // ELECTRON_RUN_AS_NODE spelled out, whatever fork does in this thread: the child must never start as an app.
  if ('built' in file) return fork(file.built, [], { ...ipc, execArgv: [], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } })
  const lower = `const os = require('node:os'); try { if (os.getPriority(0) < ${BACKGROUND_NICE}) os.setPriority(0, ${BACKGROUND_NICE}) } catch {}`
  return spawn(process.execPath, ['-e', `${lower}; require('tsx/cjs'); require(${JSON.stringify(file.source)})`], ipc)
}

interface Waiter {
  image: { path: string; name: string }
  spec: PreprocessSpec
  resolve(tensor: Float32Array): void
  reject(error: Error): void
}

export class DecoderProcess implements ImageDecoder {
  private child: ChildProcess | null = null
  private readonly waiting = new Map<number, Waiter>()
  private nextId = 1
  private inFlight: 1 | 2 = 1
  /** Why the process is gone (then decoding happens in process), or null while it serves. */
  private lost: string | null = null

  constructor(spawn: () => ChildProcess = forkDecoder) {
    try {
      const child = spawn()
      this.child = child
      child.on('message', (answer: DecoderAnswer) => this.answer(answer))
      child.on('error', (error) => this.lose(`the image decoder process failed: ${error.message}`, true))
      child.on('exit', (code, signal) => this.lose(`the image decoder process stopped (${signal ?? `exit code ${code}`})`, true))
    } catch (error) {
      this.lost = `the image decoder process could not start: ${(error as Error).message}`
    }
  }

  /** Whether images decode in the decoder process (false once it failed or was closed). */
  get separate(): boolean {
    return this.lost === null
  }

  /** The decoder's process id (null when decoding happens in process). */
  get pid(): number | null {
    return this.lost === null ? (this.child?.pid ?? null) : null
  }

  decode(image: { path: string; name: string }, spec: PreprocessSpec): Promise<Float32Array> {
    if (this.lost !== null || !this.child) return inProcessDecoder.decode(image, spec)
    const id = this.nextId++
    const answer = new Promise<Float32Array>((resolve, reject) => this.waiting.set(id, { image, spec, resolve, reject }))
    this.send({ type: 'decode', id, path: image.path, name: image.name, spec })
    return answer
  }

  pace(inFlight: 1 | 2): void {
    if (inFlight === this.inFlight || this.lost !== null) return
    this.inFlight = inFlight
    this.send({ type: 'pace', inFlight })
  }

  async close(): Promise<void> {
    const child = this.child
    this.lose('the image decoder was closed', false)
    this.child = null
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    // Closing the channel lets it exit by itself (backgroundDecoder.ts); one that does not is killed.
    if (child.connected) child.disconnect()
    const timer = setTimeout(() => child.kill(), 2000)
    await exited
    clearTimeout(timer)
  }

  private send(request: DecoderRequest): void {
    // A send to a process that just died fails in its 'exit'/'error' handlers, which redo what it held.
    if (this.child?.connected)
      this.child.send(request, (error) => error && this.lose(`the image decoder process went away: ${error.message}`, true))
    else this.lose('the image decoder process went away', true)
  }

  private answer(answer: DecoderAnswer): void {
    const waiter = this.waiting.get(answer.id)
    if (!waiter) return
    this.waiting.delete(answer.id)
    if (answer.type === 'decoded') waiter.resolve(answer.tensor)
    else waiter.reject(new Error(answer.reason))
  }

  /** `redo`: the images the thread held decode here instead (a close rejects them: nobody waits for them any more). */
  private lose(reason: string, redo: boolean): void {
    this.lost ??= reason
    const held = [...this.waiting.values()]
    this.waiting.clear()
    for (const waiter of held) {
      if (redo) inProcessDecoder.decode(waiter.image, waiter.spec).then(waiter.resolve, waiter.reject)
      else waiter.reject(new Error(reason))
    }
  }
}
