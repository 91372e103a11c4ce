import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { sha256Of } from './hashing'
import { globalAveragePool, headForward } from './head'
import { ModelPackageError, type ModelPackage } from './modelPackage'
import { addGraphOutputs } from './onnxWrite'
import { openSession, type OpenedSession, type SessionOptions } from './providers'

export interface BatchResult {
  /** [n × classes] logits as the network computed them. */
  logits: Float32Array
  /** [n × classes] after the manifest's activation (sigmoid for multi-label). */
  probabilities: Float32Array
  /** [n × K × h × w] feature maps for the CAM methods. */
  features: Float32Array
  /** intermediate tensors asked for by name (see `run`), flat as ORT returns them */
  taps: Record<string, Float32Array>
  provider: string
}

/** Largest |model logit − head(GAP(features))| accepted: float32 rounding, nothing more. */
const HEAD_TOLERANCE = 1e-3

/**
 * Runs model packages through onnxruntime-node with one cached session per model. The first batch
 * of each model also checks that the manifest's head, applied to the feature map, reproduces the
 * network's logits, so explanations can never silently describe a different head.
 */
export class InferenceEngine {
  private readonly sessions = new Map<string, Promise<OpenedSession>>()
  private readonly verified = new Set<string>()

  constructor(private readonly options: SessionOptions = {}) {}

  private key(pkg: ModelPackage): string {
    return `${pkg.manifest.id}@${pkg.manifest.version}:${pkg.manifest.sha256}`
  }

  /** The model's session; with `taps`, a session of a copy whose graph also outputs those tensors. */
  session(pkg: ModelPackage, taps: readonly string[] = []): Promise<OpenedSession> {
    const key = `${this.key(pkg)}${taps.length ? `+${taps.join('+')}` : ''}`
    let opened = this.sessions.get(key)
    if (!opened) {
      opened = taps.length ? this.openTapped(pkg, taps) : openSession(pkg.modelPath, this.options)
      opened.catch(() => this.sessions.delete(key))
      this.sessions.set(key, opened)
    }
    return opened
  }

  private openTapped(pkg: ModelPackage, taps: readonly string[]): Promise<OpenedSession> {
    const bytes = readFileSync(pkg.modelPath)
    // The copy is made from the file as it is now: it must still be the verified one.
    if (sha256Of(bytes) !== pkg.manifest.sha256)
      return Promise.reject(new ModelPackageError(pkg.dir, 'model.onnx changed since it was verified'))
    return openSession(addGraphOutputs(bytes, [...taps]), this.options, `${pkg.modelPath} (with outputs ${taps.join(', ')})`)
  }

  /** One batch; `taps` names intermediate tensors to return too (e.g. what enters the last block). */
  async run(pkg: ModelPackage, batch: Float32Array, n: number, taps: readonly string[] = []): Promise<BatchResult> {
    const { manifest } = pkg
    const { session, provider } = await this.session(pkg, taps)
    const channels = manifest.input.channels === 'gray' ? 1 : 3
    const dims =
      manifest.input.layout === 'NCHW'
        ? [n, channels, manifest.input.height, manifest.input.width]
        : [n, manifest.input.height, manifest.input.width, channels]
    if (batch.length !== dims.reduce((a, b) => a * b, 1))
      throw new Error(`input batch has ${batch.length} values; [${dims.join('×')}] expected`)
    const out = await session.run({ [manifest.input.name]: new ort.Tensor('float32', batch, dims) }, [
      manifest.outputs.logits.name,
      manifest.outputs.features.name,
      ...taps,
    ])
    const logits = out[manifest.outputs.logits.name].data as Float32Array
    const features = out[manifest.outputs.features.name].data as Float32Array
    const featureDims = out[manifest.outputs.features.name].dims
    const [K, h, w] = manifest.outputs.features.shape
    if (featureDims.length !== 4 || featureDims[1] !== K || featureDims[2] !== h || featureDims[3] !== w) {
      throw new ModelPackageError(pkg.dir, `feature output has shape [${featureDims.join(', ')}], manifest says [N, ${K}, ${h}, ${w}]`)
    }
    if (!this.verified.has(this.key(pkg))) {
      this.verifyHead(pkg, logits, features)
      this.verified.add(this.key(pkg))
    }
    const tapped = Object.fromEntries(taps.map((name) => [name, out[name].data as Float32Array]))
    return {
      logits,
      probabilities: activate(logits, n, manifest.findings.length, manifest.outputs.logits.activation),
      features,
      taps: tapped,
      provider,
    }
  }

  private verifyHead(pkg: ModelPackage, logits: Float32Array, features: Float32Array): void {
    const [K, h, w] = pkg.manifest.outputs.features.shape
    const classes = pkg.manifest.findings.length
    const recomputed = headForward(pkg.head, globalAveragePool(features, K, h * w)).logits
    const worst = Math.max(...Array.from(recomputed, (v, c) => Math.abs(v - logits[c])))
    if (!(worst <= HEAD_TOLERANCE * Math.max(1, ...Array.from(logits.subarray(0, classes), Math.abs)))) {
      throw new ModelPackageError(
        pkg.dir,
        `the manifest's head does not reproduce the model's logits (max difference ${worst.toExponential(2)}): check head layers and feature output`,
      )
    }
  }

  async close(): Promise<void> {
    for (const opened of this.sessions.values()) await (await opened).session.release()
    this.sessions.clear()
  }
}

export function activate(logits: Float32Array, n: number, classes: number, activation: 'sigmoid' | 'softmax' | 'none'): Float32Array {
  if (activation === 'none') return Float32Array.from(logits)
  const out = new Float32Array(logits.length)
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes)
    if (activation === 'sigmoid') row.forEach((z, c) => (out[i * classes + c] = 1 / (1 + Math.exp(-z))))
    else {
      const max = Math.max(...row)
      const exps = Array.from(row, (z) => Math.exp(z - max))
      const sum = exps.reduce((a, b) => a + b, 0)
      exps.forEach((e, c) => (out[i * classes + c] = e / sum))
    }
  }
  return out
}
