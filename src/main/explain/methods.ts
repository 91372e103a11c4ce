import { EXPLAIN_METHOD_FACTS, SCORECAM_DEFAULT_CHANNELS, type ExplainMethod } from '../../shared/explainMethods'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { camForAllClasses, type FeatureMap } from './camMethods'
import { layerShap } from './layerShap'
import { kernelShapGrid, occlusionGrid } from './perturbationMethods'
import { scoreCam } from './scoreCam'

/** The "feature removed" reference of a perturbation method (see analysis/backgrounds). */
export interface MethodBackground {
  /** The image a removed region is filled from (preprocessed, same shape as the input). */
  tensor: Float32Array
  /** The feature-map expectation layer SHAP compares against. */
  features(): Promise<Float32Array | Float64Array>
  /** How it was made, stored with the map. */
  params: Record<string, unknown>
}

/** Options a caller may set; each method reads those it understands and states them in `params`. */
export interface MethodOptions {
  /** Kernel SHAP / occlusion grid side (default 8). */
  grid?: number
  /** Kernel SHAP coalition budget (default 1000). */
  samples?: number
  /** Kernel SHAP sampling seed (default 1). */
  seed?: number
  /** Score-CAM channel count, highest mean activation first (default SCORECAM_DEFAULT_CHANNELS). */
  channels?: number
}

/** One image, as every method sees it: the backbone pass is done once and shared. */
export interface MethodInput {
  pkg: ModelPackage
  engine: InferenceEngine
  /** The preprocessed image. */
  image: Float32Array
  /** Its feature map from the shared backbone pass. */
  features: FeatureMap
  /** Present whenever the method's facts say needsBackground. */
  background: MethodBackground | null
  options: MethodOptions
  signal?: AbortSignal
}

export interface MethodOutput {
  height: number
  width: number
  /** One map per finding, in the manifest's order. */
  maps: ArrayLike<number>[]
  /** What made the map, stored beside it. */
  params: Record<string, unknown>
}

export type MethodRunner = (input: MethodInput) => Promise<MethodOutput>

function needBackground(input: MethodInput, method: ExplainMethod): MethodBackground {
  if (!input.background) throw new Error(`${EXPLAIN_METHOD_FACTS[method].label} needs a background (blur or mean)`)
  return input.background
}

const camRunner =
  (method: 'gradcam' | 'gradcampp' | 'cam' | 'eigencam'): MethodRunner =>
  async (input) => {
    const result = await camForAllClasses(method, input.features, input.pkg.head)
    return {
      height: result.height,
      width: result.width,
      maps: result.maps,
      params: { layer: input.pkg.manifest.outputs.features.name, gradients: 'closed-form' },
    }
  }

/**
 * The run half of the method registry (the facts half is shared/explainMethods): one entry per id.
 * The mapped type makes a method without a runner a compile error.
 */
export const METHOD_RUNNERS: { readonly [M in ExplainMethod]: MethodRunner } = {
  gradcam: camRunner('gradcam'),
  gradcampp: camRunner('gradcampp'),
  cam: camRunner('cam'),
  eigencam: camRunner('eigencam'),
  scorecam: async (input) => {
    const channels = input.options.channels ?? SCORECAM_DEFAULT_CHANNELS
    const result = await scoreCam(input, { channels, signal: input.signal })
    return {
      height: result.height,
      width: result.width,
      maps: result.maps,
      params: {
        layer: input.pkg.manifest.outputs.features.name,
        channels: result.channels.length,
        channelOrder: 'mean activation',
        baseline: 'zero',
        output: 'probability',
      },
    }
  },
  occlusion: async (input) => {
    const background = needBackground(input, 'occlusion')
    const grid = input.options.grid ?? 8
    const result = await occlusionGrid(
      { pkg: input.pkg, engine: input.engine, image: input.image, background: background.tensor, signal: input.signal },
      { grid },
    )
    return { ...result, params: { grid, ...background.params, output: 'probability' } }
  },
  kernelshap: async (input) => {
    const background = needBackground(input, 'kernelshap')
    const grid = input.options.grid ?? 8
    const samples = input.options.samples ?? 1000
    const seed = input.options.seed ?? 1
    const result = await kernelShapGrid(
      { pkg: input.pkg, engine: input.engine, image: input.image, background: background.tensor, signal: input.signal },
      { grid, samples, seed },
    )
    return {
      height: result.height,
      width: result.width,
      maps: result.maps,
      params: { grid, ...background.params, output: 'probability', samples, seed },
    }
  },
  layershap: async (input) => {
    const background = needBackground(input, 'layershap')
    const maps = layerShap(input.features, await background.features(), input.pkg.head)
    return {
      height: input.features.height,
      width: input.features.width,
      maps,
      params: { layer: input.pkg.manifest.outputs.features.name, ...background.params, output: 'logit' },
    }
  },
}

/**
 * Refuses a method the model cannot run, naming both (CAM and layer SHAP read a single linear
 * layer after pooling).
 */
export function checkMethodSupported(pkg: ModelPackage, method: ExplainMethod): void {
  if (EXPLAIN_METHOD_FACTS[method].needsLinearHead && pkg.head.length !== 1) {
    throw new Error(
      `${pkg.manifest.id} has a head with hidden layers: ${EXPLAIN_METHOD_FACTS[method].label} needs a linear head (use gradcam or kernelshap)`,
    )
  }
}

export function runMethod(method: ExplainMethod, input: MethodInput): Promise<MethodOutput> {
  return METHOD_RUNNERS[method](input)
}
