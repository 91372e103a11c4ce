/**
 * "Does this sealed text hold the plaintext?" without false alarms. Sealed values are random bytes
 * in base64, so a short pattern like /DOE|MRN/ matches them by chance (an RSA-3072 envelope about
 * 1 time in 240; scripts/chanceMatchOdds.ts counts it). A secret is looked for whole, verbatim, and
 * inside every base64 run decoded back to bytes (a value stored base64-encoded but not sealed).
 * Secrets of at least 5 bytes make a chance match in random bytes negligible (< 2^-40 per position).
 */
const BASE64_RUN = /[A-Za-z0-9+/_-]{8,}={0,2}/g

export function plaintextIn(text: string, secrets: string[]): string[] {
  for (const secret of secrets)
    if (Buffer.byteLength(secret) < 5) throw new Error(`"${secret}" is too short: random bytes would hold it by chance`)
  const decoded = [...text.matchAll(BASE64_RUN)].flatMap(([run]) => [Buffer.from(run, 'base64'), Buffer.from(run, 'base64url')])
  const found: string[] = []
  for (const secret of secrets) {
    const bytes = Buffer.from(secret)
    if (text.includes(secret)) found.push(`${secret} (verbatim)`)
    else if (decoded.some((d) => d.includes(bytes))) found.push(`${secret} (base64)`)
  }
  return found
}
