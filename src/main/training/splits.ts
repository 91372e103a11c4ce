/**
 * Patient-wise splits: all images of a patient land in one part, so no test image has a sibling in
 * training. Patients are assigned greedily (rarest finding first, seeded order) to the part that is
 * furthest below its share of that finding, which keeps positives of every finding spread in
 * proportion.
 */
import { seededRandom } from '../../shared/random'

export interface Labelled {
  caseId: number
  patient: string
  labels: Uint8Array
}


export function stratifiedPatientSplit(items: Labelled[], shares: number[], seed = 1): Labelled[][] {
  const classes = items[0]?.labels.length ?? 0
  const byPatient = new Map<string, Labelled[]>()
  for (const item of items) byPatient.set(item.patient, [...(byPatient.get(item.patient) ?? []), item])
  const random = seededRandom(seed)
  const patients = [...byPatient.values()].map((group) => ({ group, key: random() }))
  const totals = new Float64Array(classes)
  for (const item of items) item.labels.forEach((v, c) => (totals[c] += v))
  const rarity = (group: Labelled[]) => Math.min(...Array.from({ length: classes }, (_, c) => (group.some((g) => g.labels[c]) ? totals[c] : Infinity)))
  patients.sort((a, b) => rarity(a.group) - rarity(b.group) || a.key - b.key)
  const parts = shares.map(() => ({ items: [] as Labelled[], positives: new Float64Array(classes) }))
  for (const { group } of patients) {
    const positives = new Float64Array(classes)
    for (const g of group) g.labels.forEach((v, c) => (positives[c] += v))
    // Deficit of each part: how far below its share it is, in images and in this group's findings.
    let best = 0
    let bestScore = -Infinity
    parts.forEach((part, p) => {
      let score = shares[p] * items.length - part.items.length
      positives.forEach((v, c) => {
        if (v) score += (shares[p] * totals[c] - part.positives[c]) * 4
      })
      if (score > bestScore) {
        bestScore = score
        best = p
      }
    })
    parts[best].items.push(...group)
    positives.forEach((v, c) => (parts[best].positives[c] += v))
  }
  return parts.map((p) => p.items)
}

/** k patient-wise folds of (almost) equal size. */
export function patientFolds(items: Labelled[], k: number, seed = 1): Labelled[][] {
  return stratifiedPatientSplit(items, Array.from({ length: k }, () => 1 / k), seed)
}
