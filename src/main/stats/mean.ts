/** Arithmetic mean; null for an empty list (a summary over no cases has no value, not 0 or NaN). */
export const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
