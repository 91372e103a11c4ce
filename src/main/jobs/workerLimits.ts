/**
 * V8 heap limits of the job and background worker threads. Their memory is the main process's (a
 * worker is a thread), and each isolate grows its young generation up to 48 MB by default before it
 * collects: a worker that allocates a batch's buffers again and again (decoded images, tensors,
 * maps) holds that much garbage on top of its live data. Their live objects are small (the large
 * buffers are typed arrays outside the heap), so a 4 MB young generation costs a few more short
 * scavenges and keeps about 24 MB out of the peak (npm run bench:memory).
 */
import type { ResourceLimits } from 'node:worker_threads'

export const WORKER_HEAP_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 4 }
