/** A seeded generator whose whole state is one integer, so a checkpoint can store it and resume. */
export interface SeededRandom {
  (): number
  /** pass it to seededRandom to continue the same sequence */
  readonly state: number
}

/** Mulberry32: a small seeded generator, so sampling (SHAP coalitions, splits, shuffles) is reproducible. */
export function seededRandom(seed: number): SeededRandom {
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return Object.defineProperty(next, 'state', { get: () => seed }) as SeededRandom
}
