/**
 * Coded patient and view attributes, from DICOM files and the NIH CSV alike. Only values of the
 * code set reach the database; anything else is stored as unknown and reported by attribute name
 * only: the free text in a coded field may be a name or a note (PHI), so it is never echoed.
 */

/** PatientSex (0010,0040) enumerated values. */
export const SEX_CODES = ['M', 'F', 'O'] as const
/** ViewPosition (0018,5101) defined terms for CR/DX (PS3.3 C.8.11.5 and C.8.11.7); NIH's CSV uses PA and AP. */
export const VIEW_CODES = ['AP', 'PA', 'LL', 'RL', 'RLD', 'LLD', 'RLO', 'LLO'] as const
/** Oldest possible age in years; anything above is a typo or hostile (NIH's own CSV has a few 41x). */
export const MAX_AGE_YEARS = 150

export interface Coded<T> {
  value: T | null
  /** true when a value was present but outside the code set (then value is null) */
  invalid: boolean
}

const absent = <T>(): Coded<T> => ({ value: null, invalid: false })
const invalid = <T>(): Coded<T> => ({ value: null, invalid: true })

function present(text: string | null | undefined): string | null {
  const trimmed = text?.trim()
  return trimmed ? trimmed : null
}

function fromSet<T extends string>(set: readonly T[], text: string | null | undefined): Coded<T> {
  const value = present(text)
  if (value === null) return absent()
  const code = value.toUpperCase() as T
  return set.includes(code) ? { value: code, invalid: false } : invalid()
}

export const codeSex = (text: string | null | undefined): Coded<(typeof SEX_CODES)[number]> => fromSet(SEX_CODES, text)
export const codeView = (text: string | null | undefined): Coded<(typeof VIEW_CODES)[number]> => fromSet(VIEW_CODES, text)

const DAYS_PER: Record<string, number> = { D: 1, W: 7, M: 365.25 / 12, Y: 365.25 }

/**
 * An age in whole years. DICOM AS is nnnD, nnnW, nnnM or nnnY (leading zeros are often dropped, so
 * 1–3 digits are taken); the NIH CSV writes plain years or, in old files, "058Y". Negative, over
 * 150 years, fractional, exponent forms (-5e400) and anything else are unknown.
 */
export function codeAge(text: string | null | undefined): Coded<number> {
  const value = present(text)
  if (value === null) return absent()
  const match = /^(\d{1,3})([DWMY]?)$/i.exec(value)
  if (!match) return invalid()
  const years = Math.floor((Number(match[1]) * DAYS_PER[(match[2] || 'Y').toUpperCase()]) / 365.25)
  return years <= MAX_AGE_YEARS ? { value: years, invalid: false } : invalid()
}

/**
 * A plain decimal number within [min, max] (no exponents, no NaN/Infinity, no trailing text);
 * integers only when asked.
 */
export function codeNumber(text: string | null | undefined, min: number, max: number, integer = false): Coded<number> {
  const value = present(text)
  if (value === null) return absent()
  if (!(integer ? /^[+-]?\d{1,12}$/ : /^[+-]?(\d{1,12}(\.\d{0,12})?|\.\d{1,12})$/).test(value)) return invalid()
  const number = Number(value)
  return Number.isFinite(number) && number >= min && number <= max ? { value: number, invalid: false } : invalid()
}
