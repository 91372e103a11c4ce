import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { TrainerState } from './trainLoop'
import { DataFolder } from '../config/dataFolder'

/**
 * Resume-safe training checkpoints: after every epoch the trainable weights, Adam moments, epoch,
 * best-so-far, generator state and shuffled order go to `<data dir>/training/<model>-<config>.ckpt`,
 * written to a temporary file, flushed and renamed over the old one, so a crash at any instant leaves
 * either the previous checkpoint or the new one, never a torn file. Layout: "CXRCKPT1", header length
 * (u32 LE), JSON header, padding to 4 bytes, then the float32 arrays the header lists.
 */
const MAGIC = 'CXRCKPT1'

/** Stable digest of what a run depends on; a checkpoint is only resumed by the same configuration. */
export function configHash(config: unknown): string {
  const stable = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])]))
      : ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : Array.isArray(v) ? v.map(stable) : v
  return createHash('sha256').update(JSON.stringify(stable(config))).digest('hex')
}

export function checkpointPath(dataDir: string, modelId: string, hash: string): string {
  return new DataFolder(dataDir).checkpoint(modelId, hash)
}

export interface Checkpoint<Meta> {
  hash: string
  meta: Meta
  state: TrainerState
}

export function writeCheckpoint<Meta>(path: string, checkpoint: Checkpoint<Meta>): void {
  const { state } = checkpoint
  const groups = { params: state.params, m: state.m, v: state.v, best: state.best.params }
  const arrays = Object.entries(groups).flatMap(([group, list]) => list.map((a, i) => ({ name: `${group}.${i}`, data: a })))
  const header = Buffer.from(JSON.stringify({
    hash: checkpoint.hash, meta: checkpoint.meta,
    state: { ...state, params: undefined, m: undefined, v: undefined, best: { auroc: Number.isFinite(state.best.auroc) ? state.best.auroc : null, epoch: state.best.epoch } },
    arrays: arrays.map((a) => ({ name: a.name, length: a.data.length })),
  }))
  const start = 12 + header.length
  const pad = (4 - (start % 4)) % 4
  mkdirSync(dirname(path), { recursive: true })
  const temp = `${path}.tmp-${process.pid}`
  const fd = openSync(temp, 'w')
  try {
    const prefix = Buffer.alloc(12)
    prefix.write(MAGIC, 0, 'latin1')
    prefix.writeUInt32LE(header.length, 8)
    writeSync(fd, prefix)
    writeSync(fd, header)
    writeSync(fd, Buffer.alloc(pad))
    for (const { data } of arrays) writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, path)
  try {
    // Make the rename itself durable (POSIX); Windows cannot open a directory and needs no such step.
    const dirFd = openSync(dirname(path), 'r')
    fsyncSync(dirFd)
    closeSync(dirFd)
  } catch {
    /* not supported on this platform */
  }
}

/** The checkpoint at `path` for configuration `hash`, or null when there is none. */
export function readCheckpoint<Meta>(path: string, hash: string): Checkpoint<Meta> | null {
  if (!existsSync(path)) return null
  const bytes = readFileSync(path)
  const bad = (why: string) => new Error(`Training checkpoint ${path} is unusable (${why}); delete it or run with --fresh`)
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) throw bad('not a checkpoint file')
  const headerLength = bytes.readUInt32LE(8)
  const header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as {
    hash: string; meta: Meta; state: Omit<TrainerState, 'params' | 'm' | 'v' | 'best'> & { best: { auroc: number | null; epoch: number } }; arrays: Array<{ name: string; length: number }>
  }
  if (header.hash !== hash) throw bad('it belongs to another training configuration')
  let offset = 12 + headerLength
  offset += (4 - (offset % 4)) % 4
  const groups: Record<string, Float32Array[]> = { params: [], m: [], v: [], best: [] }
  for (const { name, length } of header.arrays) {
    if (offset + length * 4 > bytes.length) throw bad('truncated')
    const data = new Float32Array(length)
    new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + length * 4))
    offset += length * 4
    groups[name.split('.')[0]].push(data)
  }
  const { best, ...rest } = header.state
  return {
    hash, meta: header.meta,
    state: { ...rest, params: groups.params, m: groups.m, v: groups.v, best: { auroc: best.auroc ?? -Infinity, epoch: best.epoch, params: groups.best } },
  }
}

export function removeCheckpoint(path: string): void {
  rmSync(path, { force: true })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Claims a configuration's checkpoint for this process (the app's job and the CLI share a data
 * folder): a second run of the same configuration while the first lives is refused, and a lock left
 * by a killed process is taken over. Returns the release function.
 */
export function lockCheckpoint(path: string): () => void {
  const lock = `${path}.lock`
  mkdirSync(dirname(path), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' })
      return () => rmSync(lock, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = Number(readFileSync(lock, 'utf8'))
      // This process counts as alive too: the app runs jobs in worker threads of one process.
      if (owner && alive(owner)) throw new Error(`The same training is already running (process ${owner}); wait for it or cancel it`)
      rmSync(lock, { force: true })
    }
  }
  throw new Error(`Cannot lock ${lock}`)
}
