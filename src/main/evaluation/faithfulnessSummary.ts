import { bootstrap, groupBy, type BootstrapInterval, type BootstrapOptions } from './bootstrap'
import { FAITHFULNESS_STEPS, type FaithfulnessScores } from './faithfulness'

export interface FaithfulnessRow {
  cases: number
  /** mean AUC over cases, with patient-bootstrap intervals; deletion lower is better, insertion higher */
  deletion_auc: BootstrapInterval
  insertion_auc: BootstrapInterval
  random_deletion_auc: BootstrapInterval
  random_insertion_auc: BootstrapInterval
  /** paired: map order minus random-map order on the same cases */
  deletion_minus_random: BootstrapInterval
  insertion_minus_random: BootstrapInterval
  /** the map's order does no better than the random map's on deletion or on insertion (point estimates) */
  fails: boolean
}

export const FAITHFULNESS_DEFINITION =
  `Petsiuk et al. 2018: map upsampled to the input, pixels ranked by value (ties seeded-random); ${FAITHFULNESS_STEPS} steps of 5 % of the pixels; ` +
  'deletion fills with the blurred image (σ = H/16), insertion starts from it; x = fraction of pixels changed, y = probability of the finding; trapezoid AUC; ' +
  'baseline: the order of a seeded uniform random map on the feature-map grid, upsampled as the real map is'

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)

export function summarizeFaithfulness(scores: FaithfulnessScores[], options: Required<BootstrapOptions>): FaithfulnessRow {
  const stat = (s: FaithfulnessScores[]) => {
    const d = mean(s.map((x) => x.deletion))
    const i = mean(s.map((x) => x.insertion))
    const rd = mean(s.map((x) => x.random_deletion))
    const ri = mean(s.map((x) => x.random_insertion))
    return {
      deletion_auc: d,
      insertion_auc: i,
      random_deletion_auc: rd,
      random_insertion_auc: ri,
      deletion_minus_random: d !== null && rd !== null ? d - rd : null,
      insertion_minus_random: i !== null && ri !== null ? i - ri : null,
    }
  }
  const b = bootstrap(
    groupBy(scores, (s) => s.patient),
    stat,
    options,
  )
  const fails = (b.deletion_minus_random.estimate ?? 0) >= 0 || (b.insertion_minus_random.estimate ?? 0) <= 0
  return {
    cases: scores.length,
    deletion_auc: b.deletion_auc,
    insertion_auc: b.insertion_auc,
    random_deletion_auc: b.random_deletion_auc,
    random_insertion_auc: b.random_insertion_auc,
    deletion_minus_random: b.deletion_minus_random,
    insertion_minus_random: b.insertion_minus_random,
    fails,
  }
}
