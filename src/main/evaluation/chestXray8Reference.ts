/**
 * Wang et al., "ChestX-ray8: Hospital-scale Chest X-ray Database and Benchmarks on
 * Weakly-Supervised Classification and Localization of Common Thorax Diseases", CVPR 2017,
 * Table 4: localization accuracy at T(IoBB) of their ResNet-50 heatmaps (32×32 CAM: prediction-layer
 * weights on the features) on the 983 NIH images with 1,600 radiologist boxes, a box counted as found
 * when some generated box has IoBB > T (strict). Compare against these only under the paper's own
 * protocol (`chestXray8Protocol.ts`, `evaluate --protocol chestxray8`), never against Otsu masks.
 * Transcribed for side-by-side display in reports; check against the published table when citing.
 */
export const PAPER_IOBB_THRESHOLDS = ['0.1', '0.25', '0.5', '0.75', '0.9'] as const
export type PaperIobbThreshold = (typeof PAPER_IOBB_THRESHOLDS)[number]

export const CHESTXRAY8_TIOBB: Record<PaperIobbThreshold, Record<string, number>> = {
  '0.1': {
    Atelectasis: 0.7277,
    Cardiomegaly: 0.9931,
    Effusion: 0.7124,
    Infiltration: 0.7886,
    Mass: 0.4352,
    Nodule: 0.1645,
    Pneumonia: 0.75,
    Pneumothorax: 0.4591,
  },
  '0.25': {
    Atelectasis: 0.55,
    Cardiomegaly: 0.9794,
    Effusion: 0.5424,
    Infiltration: 0.5772,
    Mass: 0.2823,
    Nodule: 0.0506,
    Pneumonia: 0.5583,
    Pneumothorax: 0.3469,
  },
  '0.5': {
    Atelectasis: 0.2833,
    Cardiomegaly: 0.8767,
    Effusion: 0.3333,
    Infiltration: 0.4227,
    Mass: 0.1411,
    Nodule: 0.0126,
    Pneumonia: 0.3833,
    Pneumothorax: 0.1836,
  },
  '0.75': {
    Atelectasis: 0.1666,
    Cardiomegaly: 0.726,
    Effusion: 0.2418,
    Infiltration: 0.3252,
    Mass: 0.1176,
    Nodule: 0.0126,
    Pneumonia: 0.2583,
    Pneumothorax: 0.1326,
  },
  '0.9': {
    Atelectasis: 0.1333,
    Cardiomegaly: 0.6849,
    Effusion: 0.2091,
    Infiltration: 0.252,
    Mass: 0.0588,
    Nodule: 0.0126,
    Pneumonia: 0.2416,
    Pneumothorax: 0.102,
  },
}

/** The thresholds of the CXR Lens (Otsu or tuned mask) localization rows, compared with ≥. */
export const IOBB_THRESHOLDS = ['0.1', '0.25', '0.5'] as const
export type IobbThreshold = (typeof IOBB_THRESHOLDS)[number]
