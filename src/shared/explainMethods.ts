/** Explanation methods the engine offers; the names are part of the CLI and IPC contract. */
export const EXPLAIN_METHODS = ['gradcam', 'gradcampp', 'cam', 'eigencam', 'occlusion', 'kernelshap', 'layershap'] as const
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number]

export const EXPLAIN_METHOD_LABELS: Record<ExplainMethod, string> = {
  gradcam: 'Grad-CAM',
  gradcampp: 'Grad-CAM++',
  cam: 'CAM',
  eigencam: 'Eigen-CAM',
  occlusion: 'Occlusion',
  kernelshap: 'Kernel SHAP',
  layershap: 'Layer SHAP (exact)',
}
