/**
 * The 14 ChestX-ray14 findings, spelled as NIH spells them in Data_Entry_2017.csv.
 * Order follows the ChestX-ray14 paper so model outputs and tables line up.
 */
export const NIH_FINDINGS = [
  'Atelectasis',
  'Cardiomegaly',
  'Effusion',
  'Infiltration',
  'Mass',
  'Nodule',
  'Pneumonia',
  'Pneumothorax',
  'Consolidation',
  'Edema',
  'Emphysema',
  'Fibrosis',
  'Pleural_Thickening',
  'Hernia',
] as const

/** NIH's label for a normal study; stored as a label so worklists can filter on it. */
export const NO_FINDING = 'No Finding'

/** The NIH box list spells one finding differently from the label file. */
const BOX_LABEL_ALIASES: Record<string, string> = { Infiltrate: 'Infiltration' }

export function normalizeFinding(label: string): string {
  const trimmed = label.trim()
  return BOX_LABEL_ALIASES[trimmed] ?? trimmed
}

export function isKnownFinding(label: string): boolean {
  return label === NO_FINDING || (NIH_FINDINGS as readonly string[]).includes(label)
}

/** A finding as a reader reads it: NIH's underscore ("Pleural_Thickening") shown as a space. */
export function displayFinding(finding: string): string {
  return finding.replace(/_/g, ' ')
}
