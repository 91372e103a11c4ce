/**
 * The background worker's side of its decoder thread (backgroundDecoder.ts): each image is one
 * request answered with its tensor or its failure. Should the thread fail or exit, the images it
 * held and every later one decode in the calling thread instead: slower, the same tensors, and no
 * case is failed for the thread's sake.
 */
import type { Worker } from 'node:worker_threads'
import { inProcessDecoder, type ImageDecoder } from '../analysis/preparedBatch'
import type { PreprocessSpec } from '../model/preprocess'
import type { DecoderAnswer, DecoderRequest } from './backgroundProtocol'
import { spawnBackgroundThread } from './backgroundThreads'

interface Waiter {
  image: { path: string; name: string }
  spec: PreprocessSpec
  resolve(tensor: Float32Array): void
  reject(error: Error): void
}

export class DecoderThread implements ImageDecoder {
  private worker: Worker | null = null
  private readonly waiting = new Map<number, Waiter>()
  private nextId = 1
  private inFlight: 1 | 2 = 1
  /** Why the thread is gone (then decoding happens in process), or null while it serves. */
  private lost: string | null = null

  constructor(spawn: () => Worker = () => spawnBackgroundThread('backgroundDecoder', null)) {
    try {
      const worker = spawn()
      this.worker = worker
      worker.on('message', (answer: DecoderAnswer) => this.answer(answer))
      worker.on('error', (error) => this.lose(`the image decoder thread failed: ${error.message}`, true))
      worker.on('exit', (code) => this.lose(`the image decoder thread stopped (exit code ${code})`, true))
    } catch (error) {
      this.lost = `the image decoder thread could not start: ${(error as Error).message}`
    }
  }

  /** Whether images decode in the thread (false once it failed or was closed). */
  get threaded(): boolean {
    return this.lost === null
  }

  decode(image: { path: string; name: string }, spec: PreprocessSpec): Promise<Float32Array> {
    if (this.lost !== null || !this.worker) return inProcessDecoder.decode(image, spec)
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
    const worker = this.worker
    this.lose('the image decoder was closed', false)
    this.worker = null
    await worker?.terminate()
  }

  private send(request: DecoderRequest): void {
    this.worker!.postMessage(request)
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
