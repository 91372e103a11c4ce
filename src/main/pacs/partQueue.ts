/**
 * Turns a callback-driven download (WADO-RS hands each instance to `onPart`) into an async iterable
 * the import pipeline pulls from. At most `capacity` instances wait between the two: while the
 * decoders are busy, `onPart` does not return, the multipart reader stops reading, and TCP slows
 * the PACS down. `stop` (abort) releases a waiting producer so nothing is left hanging.
 */
export function partsOf<T>(
  run: (onPart: (part: T) => Promise<void>) => Promise<unknown>,
  stop: AbortSignal,
  capacity = 2,
): AsyncGenerator<T> {
  const queue: T[] = []
  let finished = false
  let failure: unknown = null
  let wakeConsumer: () => void = () => undefined
  let wakeProducer: () => void = () => undefined
  const onStop = () => wakeProducer()
  stop.addEventListener('abort', onStop, { once: true })

  void run(async (part) => {
    queue.push(part)
    wakeConsumer()
    while (queue.length >= capacity && !stop.aborted) await new Promise<void>((resolve) => (wakeProducer = resolve))
  }).then(
    () => {
      finished = true
      wakeConsumer()
    },
    (error: unknown) => {
      failure = error
      finished = true
      wakeConsumer()
    },
  )

  return (async function* () {
    try {
      for (;;) {
        if (queue.length > 0) {
          const part = queue.shift()!
          wakeProducer()
          yield part
          continue
        }
        if (finished) break
        await new Promise<void>((resolve) => (wakeConsumer = resolve))
      }
      if (failure) throw failure
    } finally {
      stop.removeEventListener('abort', onStop)
    }
  })()
}
