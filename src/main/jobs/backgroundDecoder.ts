/**
 * Worker-thread entry of the background analysis decoder: reads and decodes images into model inputs
 * for the background worker. It exists because onnxruntime's run holds the background worker's JS
 * thread for a whole batch, and a libvips decode needs a free event loop between its steps: decoded
 * here, image after image keeps decoding while the model runs there, so the two take a core each.
 * At most `inFlight` images decode at once (one while the model runs, two while it waits: the
 * worker says which), which also leaves the rest of libuv's shared pool to the main thread.
 */
import { readFile } from 'node:fs/promises'
import { parentPort } from 'node:worker_threads'
import { preprocessImage } from '../model/preprocess'
import { lowerThreadPriority } from './backgroundPriority'
import type { DecoderAnswer, DecoderRequest } from './backgroundProtocol'

lowerThreadPriority()

type Decode = Extract<DecoderRequest, { type: 'decode' }>
const waiting: Decode[] = []
let inFlight = 0
let limit: 1 | 2 = 1

const post = (answer: DecoderAnswer, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(answer, transfer)

async function decode(request: Decode): Promise<void> {
  let bytes: Buffer
  try {
    bytes = await readFile(request.path)
  } catch (error) {
    post({ type: 'failed', id: request.id, reason: `${request.name}: cannot be read (${(error as Error).message})` })
    return
  }
  try {
    // The bytes in hand, not the path: a PNG's depth is read from them, so the decode starts at once.
    const tensor = await preprocessImage(bytes, request.spec, request.name)
    post({ type: 'decoded', id: request.id, tensor }, [tensor.buffer as ArrayBuffer])
  } catch (error) {
    post({ type: 'failed', id: request.id, reason: (error as Error).message || `${request.name}: decoding failed` })
  }
}

function pump(): void {
  while (inFlight < limit && waiting.length > 0) {
    const request = waiting.shift()!
    inFlight++
    void decode(request).finally(() => {
      inFlight--
      pump()
    })
  }
}

parentPort!.on('message', (message: DecoderRequest) => {
  if (message.type === 'decode') waiting.push(message)
  else limit = message.inFlight === 2 ? 2 : 1
  pump()
})
