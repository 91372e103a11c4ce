import { z } from 'zod'

/**
 * manifest.json of a model package: everything the engine needs to feed the network exactly as it
 * was trained and to explain it (which output is the CAM feature map, how the head maps it to
 * logits), plus provenance and a model card.
 */
const headLayer = z
  .object({
    weight: z.string().min(1),
    bias: z.string().min(1).optional(),
    /** How the weight initializer is stored: [out, in] (Gemm transB / PyTorch) or [in, out] (MatMul). */
    weightLayout: z.enum(['out_in', 'in_out']),
    activation: z.enum(['none', 'relu']),
  })
  .strict()

export const manifestSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, dot, dash, underscore'),
    version: z.string().min(1).max(64),
    findings: z.array(z.string().min(1)).min(1),
    input: z
      .object({
        name: z.string().min(1),
        layout: z.enum(['NCHW', 'NHWC']),
        channels: z.enum(['gray', 'rgb']),
        height: z.number().int().positive().max(4096),
        width: z.number().int().positive().max(4096),
      })
      .strict(),
    preprocess: z
      .object({
        resize: z.enum(['stretch', 'letterbox']),
        normalization: z
          .object({ scale: z.number().positive(), mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) })
          .strict(),
      })
      .strict(),
    outputs: z
      .object({
        logits: z.object({ name: z.string().min(1), activation: z.enum(['sigmoid', 'softmax', 'none']) }).strict(),
        features: z
          .object({
            name: z.string().min(1),
            shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
          })
          .strict(),
      })
      .strict(),
    head: z.object({ type: z.enum(['gap_linear', 'gap_mlp']), layers: z.array(headLayer).min(1) }).strict(),
    /**
     * The block that produces the feature map, when it is a 1×1 convolution (+ activation): what
     * `--layers head+last-block` trains. Optional: the engine recognises such a block in the graph.
     */
    lastBlock: z
      .object({
        input: z.string().min(1),
        weight: z.string().min(1),
        bias: z.string().min(1).optional(),
        activation: z.enum(['none', 'relu', 'relu6']),
      })
      .strict()
      .optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /**
     * The out-of-distribution statistics beside model.onnx (see oodStats.ts), hashed like it. Absent:
     * the model has no out-of-distribution check and says so.
     */
    ood: z
      .object({ file: z.literal('ood.json'), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
      .strict()
      .optional(),
    /** Per-finding operating thresholds on the probability, chosen on validation data (e.g. max F1). */
    thresholds: z.record(z.string(), z.number().min(0).max(1)).optional(),
    /**
     * The trivial localization baseline: per finding, the mean radiologist box of the training data,
     * as fractions of image width/height. Evaluation scores it beside the model's heatmaps.
     */
    localizationPrior: z
      .record(
        z.string(),
        z
          .object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1), w: z.number().gt(0).max(1), h: z.number().gt(0).max(1) })
          .strict(),
      )
      .optional(),
    provenance: z.record(z.string(), z.unknown()),
    modelCard: z.object({ trainingData: z.string(), metrics: z.record(z.string(), z.unknown()), intendedUse: z.string() }).passthrough(),
  })
  .strict()

export type ModelManifest = z.infer<typeof manifestSchema>
