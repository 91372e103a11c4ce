/**
 * The explanation-method registry's facts, keyed by method id: what each method is and needs, in one
 * place for the renderer, the dashboard, the reports, the CLI and the evaluation. Each method's run
 * function lives in main (src/main/explain/methods.ts), one entry per id there too; the type
 * `{ [M in ExplainMethod]: … }` there makes a missing entry a compile error.
 *
 * The ids are part of the CLI and IPC contract (`--method`, stored heatmaps): never rename one.
 */

/** What a map's numbers are: a change in probability, a change in logit, or a relative score. */
export type MapUnits = 'probability' | 'logit' | 'arbitrary'

/**
 * Where a map's cells come from: the model's feature map (h×w of the last block), a G×G grid of
 * input regions, or a G×G grid scored through sliding patches of 2×2 cells.
 */
export type MapResolution = 'feature-map' | 'grid' | 'patch'

export interface ExplainMethodFacts {
  label: string
  /**
   * The map carries a sign (evidence for and against the finding): the viewer draws it on a
   * diverging scale around zero, the evaluation scores its positive part. Unsigned maps are relative
   * scores, min–max scaled.
   */
  signed: boolean
  units: MapUnits
  /**
   * False when the method gives the same map for every finding (it never reads the head): the viewer
   * and reports must not present it as explaining one finding.
   */
  classSpecific: boolean
  /** Reads the weights of a single linear layer after global average pooling. */
  needsLinearHead: boolean
  /** Compares against a "feature removed" image (blur or mean of normal cases). */
  needsBackground: boolean
  resolution: MapResolution
  /** Backbone passes per image, in words (what makes a method slow). */
  cost: string
  /** The exact definition as the code computes it (A_k: channel k of the feature map, z_c: logit, p_c: probability). */
  definition: string
  /** What is known of the method's randomization (model-parameter) sanity check, by construction or measurement. */
  sanity: string
  /**
   * Whether its maps change when the model's head is randomized (measured on the reference model,
   * `npm run sanity:randomization`; asserted by tests/unit/sanityRandomization.test.ts). A method
   * that fails is shown with a warning wherever its maps are.
   */
  passesRandomization: boolean
}

/** Score-CAM's default number of channels (the highest mean activations): each is one masked pass. */
export const SCORECAM_DEFAULT_CHANNELS = 64

const REGISTRY = {
  gradcam: {
    label: 'Grad-CAM',
    signed: false,
    units: 'arbitrary',
    classSpecific: true,
    needsLinearHead: false,
    needsBackground: false,
    resolution: 'feature-map',
    cost: '1 backbone pass, shared by every finding and CAM method',
    definition:
      "ReLU(Σ_k α_k·A_k) with α_k = mean_ij ∂z_c/∂A_k(i,j) = J[c,k]/(h·w): exact gradients of the pre-sigmoid logit z_c behind global average pooling (J: the head's Jacobian) (Selvaraju et al. 2017).",
    sanity:
      'Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): −0.05 / −0.01: passes.',
    passesRandomization: true,
  },
  gradcampp: {
    label: 'Grad-CAM++',
    signed: false,
    units: 'arbitrary',
    classSpecific: true,
    needsLinearHead: false,
    needsBackground: false,
    resolution: 'feature-map',
    cost: '1 backbone pass, shared by every finding and CAM method',
    definition:
      "ReLU(Σ_k w_k·A_k) with w_k = h·w·ReLU(g_k)·α_k, α_k = 1/(2 + Σ_ij A_k(i,j)·g_k), g_k = ∂z_c/∂A_k (cell-constant behind global average pooling): the paper's eq. 9–10 on Y = exp(z_c), z_c the pre-sigmoid logit, no ε (a channel is skipped only where the denominator is exactly 0) (Chattopadhay et al. 2018).",
    sanity:
      "Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): 0.93 / 0.33: FAILS at the head: with this model's small gradients α ≈ 1/2, so the map is close to the mean activation whichever channels the head favours.",
    passesRandomization: false,
  },
  cam: {
    label: 'CAM',
    signed: false,
    units: 'arbitrary',
    classSpecific: true,
    needsLinearHead: true,
    needsBackground: false,
    resolution: 'feature-map',
    cost: '1 backbone pass, shared by every finding and CAM method',
    definition: "Σ_k W[c,k]·A_k: the linear head's weights on the feature map, no bias and no ReLU (Zhou et al. 2016); linear heads only.",
    sanity:
      'Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): 0.09 / −0.02: passes.',
    passesRandomization: true,
  },
  eigencam: {
    label: 'Eigen-CAM',
    signed: false,
    units: 'arbitrary',
    classSpecific: false,
    needsLinearHead: false,
    needsBackground: false,
    resolution: 'feature-map',
    cost: '1 backbone pass, shared by every finding and CAM method',
    definition:
      'The feature map, centred per channel ([cells×K]), projected on its first principal component (top right singular vector); sign chosen so the map correlates positively with the mean activation; no ReLU (Muhammad & Yeasin 2020). Never reads the head: the same map for every finding.',
    sanity:
      'Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): 1.00 (identical) / 0.97: FAILS: class-agnostic, it never reads the head.',
    passesRandomization: false,
  },
  scorecam: {
    label: 'Score-CAM',
    signed: false,
    units: 'arbitrary',
    classSpecific: true,
    needsLinearHead: false,
    needsBackground: false,
    resolution: 'feature-map',
    cost: `1 + N masked passes per image (N channels, default ${SCORECAM_DEFAULT_CHANNELS}), batched, shared by every finding`,
    definition:
      "ReLU(Σ_k w_k·A_k) over the N channels of highest mean activation (default 64; all when N ≥ K): M_k = min–max of A_k upsampled bilinearly to the input, w_k = p_c(X⊙M_k) − p_c(0), the increase of the finding's sigmoid probability over the all-masked (zero, i.e. mean-intensity) input; a flat channel gets w_k = 0; no softmax across channels (Wang et al. 2020). Forward passes only.",
    sanity:
      'Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): 0.98 on the 30 maps still drawn (16 of 56 become empty) / −0.43: FAILS at the head: where it draws, a random head gives the same map.',
    passesRandomization: false,
  },
  occlusion: {
    label: 'Occlusion',
    signed: true,
    units: 'probability',
    classSpecific: true,
    needsLinearHead: false,
    needsBackground: true,
    resolution: 'patch',
    cost: '(G−1)² + 1 passes (G = grid, default 8: 50)',
    definition:
      'On a G×G grid (default 8), patches of 2×2 cells moved one cell at a time are filled from the background (blur: the case Gaussian-blurred with σ = H/16; mean: the mean of up to 16 normal cases); each cell is the mean over the patches covering it of p_c(x) − p_c(x with the patch filled). Positive: the region supports the finding (Zeiler & Fergus 2014).',
    sanity:
      'Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): −0.05 / −0.16: passes.',
    passesRandomization: true,
  },
  kernelshap: {
    label: 'Kernel SHAP',
    signed: true,
    units: 'probability',
    classSpecific: true,
    needsLinearHead: false,
    needsBackground: true,
    resolution: 'grid',
    cost: 'S coalition passes (default 1000) + 2, or every coalition (exact) when 2^(G²) − 2 ≤ S',
    definition:
      'Shapley values of G×G input regions (default 8) for p_c, by Kernel SHAP regression with the Shapley kernel and the efficiency constraint (values sum to p_c(x) − p_c(background)); a removed region is filled from the background (blur or mean, as for occlusion) (Lundberg & Lee 2017).',
    sanity:
      'Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): 0.01 / 0.01: passes (its own sampling noise: 0.75 with another seed on the same model).',
    passesRandomization: true,
  },
  layershap: {
    label: 'Layer SHAP (exact)',
    signed: true,
    units: 'logit',
    classSpecific: true,
    needsLinearHead: true,
    needsBackground: true,
    resolution: 'feature-map',
    cost: "1 pass + the background's passes",
    definition:
      "Exact Shapley values of feature-map cells (all channels of a cell as one player) for the logit z_c of a linear head: φ(i,j) = Σ_k W[c,k]·(A_k(i,j) − Ā_k(i,j))/(h·w), Ā the background's expected feature map (blur: the blurred case's; mean: the mean of normal cases' feature maps); the values sum to z_c(A) − z_c(Ā). On logits, so not comparable with Kernel SHAP's probabilities.",
    sanity:
      'Randomization check (reference model 2.0.0, 4 images × 14 findings, median Spearman ρ against a random head / random head + last block): 0.01 / 0.04: passes.',
    passesRandomization: true,
  },
} as const satisfies Record<string, ExplainMethodFacts>

export type ExplainMethod = keyof typeof REGISTRY

/** Every method's facts, by id. */
export const EXPLAIN_METHOD_FACTS: Readonly<Record<ExplainMethod, ExplainMethodFacts>> = REGISTRY

/** The ids, in the order the UI lists them (a tuple, for zod enums). */
export const EXPLAIN_METHODS = Object.keys(REGISTRY) as [ExplainMethod, ...ExplainMethod[]]

export function isExplainMethod(value: unknown): value is ExplainMethod {
  return typeof value === 'string' && Object.hasOwn(REGISTRY, value)
}

/**
 * Facts of a stored method name. Unknown names (a map stored by a newer version, say) get the
 * unsigned, class-specific defaults so they are still drawn, min–max scaled.
 */
export function methodFacts(method: string): ExplainMethodFacts & { id: string } {
  const facts = isExplainMethod(method) ? REGISTRY[method] : undefined
  return facts
    ? { id: method, ...facts }
    : {
        id: method,
        label: method,
        signed: false,
        units: 'arbitrary',
        classSpecific: true,
        needsLinearHead: false,
        needsBackground: false,
        resolution: 'feature-map',
        cost: 'unknown',
        definition: 'unknown method',
        sanity: 'unknown',
        passesRandomization: false,
      }
}

/** Human-readable units, for legends and reports. */
export const UNIT_LABELS: Readonly<Record<MapUnits, string>> = {
  probability: 'Δ probability',
  logit: 'Δ logit',
  arbitrary: 'relative (min–max)',
}

/** Whether a model can run a method (CAM and layer SHAP need a single linear layer after pooling). */
export function headSupportsMethod(headType: string | undefined, method: ExplainMethod): boolean {
  return !REGISTRY[method].needsLinearHead || headType === 'gap_linear'
}

/**
 * One paragraph for reports and dashboards: the method, its units, whether it explains a finding
 * at all, and its definition, so a table of scores is never read without them.
 */
export function methodSummary(method: string): string {
  const f = methodFacts(method)
  const scope = f.classSpecific
    ? 'class-specific'
    : 'CLASS-AGNOSTIC: the same map for every finding, so it does not explain any one finding (its per-finding scores measure where the map lies, not what the model used for that finding)'
  const sanity = f.passesRandomization ? '' : ` WARNING: it fails the model-randomization sanity check. ${f.sanity}`
  return `${f.label}: units ${UNIT_LABELS[f.units]}${f.signed ? ' (signed; scored on its positive part)' : ''}; ${scope}. ${f.definition}${sanity}`
}

/** A method's name in a list of choices: a class-agnostic one says so, so it is not read as explaining the selected finding. */
export function methodChoiceLabel(method: ExplainMethod): string {
  const facts = REGISTRY[method]
  return facts.classSpecific ? facts.label : `${facts.label} (class-agnostic)`
}
