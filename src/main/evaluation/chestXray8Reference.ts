/**
 * Wang et al., "ChestX-ray8: Hospital-scale Chest X-ray Database and Benchmarks on
 * Weakly-Supervised Classification and Localization of Common Thorax Diseases", CVPR 2017,
 * Table 4: localization accuracy at T(IoBB) of their ResNet-50 heatmaps on the 984 NIH boxes.
 * Transcribed for side-by-side display in reports; check against the published table when citing.
 */
export const CHESTXRAY8_TIOBB: Record<'0.1' | '0.25' | '0.5', Record<string, number>> = {
  '0.1': { Atelectasis: 0.7277, Cardiomegaly: 0.9931, Effusion: 0.7124, Infiltration: 0.7886, Mass: 0.4352, Nodule: 0.1645, Pneumonia: 0.75, Pneumothorax: 0.4591 },
  '0.25': { Atelectasis: 0.55, Cardiomegaly: 0.9794, Effusion: 0.5424, Infiltration: 0.5772, Mass: 0.2823, Nodule: 0.0506, Pneumonia: 0.5583, Pneumothorax: 0.3469 },
  '0.5': { Atelectasis: 0.2833, Cardiomegaly: 0.8767, Effusion: 0.3333, Infiltration: 0.4227, Mass: 0.1411, Nodule: 0.0126, Pneumonia: 0.3833, Pneumothorax: 0.1836 },
}

export const IOBB_THRESHOLDS = ['0.1', '0.25', '0.5'] as const
export type IobbThreshold = (typeof IOBB_THRESHOLDS)[number]
