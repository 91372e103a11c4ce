/**
 * The background analysis decoder's work, in a child process of the background worker (started by
 * backgroundDecoder.ts, which lowers the process's priority before this loads): reads and
 * decodes images into model inputs for it. Decoding lives apart from the model for two reasons:
 * - onnxruntime's run holds the worker's JS thread for a whole batch, and a libvips decode needs a
 *   free event loop between its steps; here image after image keeps decoding while the model runs
 *   there, so the two take a core each;
 * - a process of its own can run below the UI's priority on every OS, libvips' threads included
 *   (in the main process they are libuv's shared pool, which serves the main thread too), and its
 *   decode buffers and sharp's cache are not the main process's memory.
 * At most `inFlight` images decode at once: one while the model runs, two while it waits (the
 * worker says which).
 */
import { readFile } from 'node:fs/promises'
import sharp from 'sharp'
import { preprocessImage } from '../model/preprocess'
import type { DecoderAnswer, DecoderRequest } from './backgroundProtocol'

// Each image is decoded once: sharp's operation cache would only hold memory here.
sharp.cache(false)

type Decode = Extract<DecoderRequest, { type: 'decode' }>
const waiting: Decode[] = []
let inFlight = 0
let limit: 1 | 2 = 1

const post = (answer: DecoderAnswer) => process.send?.(answer)

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
    post({ type: 'decoded', id: request.id, tensor: await preprocessImage(bytes, request.spec, request.name) })
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

process.on('message', (message: DecoderRequest) => {
  if (message.type === 'decode') waiting.push(message)
  else limit = message.inFlight === 2 ? 2 : 1
  pump()
})
// The worker went away (closed, or its process died): nothing is left to decode for.
process.on('disconnect', () => process.exit(0))
