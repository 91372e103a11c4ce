/**
 * Readers' secrets: only a slow, salted hash is stored, as a self-describing string
 * `scrypt$N$r$p$salt$hash` (base64url), so the cost can be raised later and old hashes still verify.
 * scrypt is node:crypto's memory-hard KDF; N = 2^15, r = 8 costs 32 MiB and ~0.1 s per guess.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

export const MIN_SECRET_LENGTH = 8
export const MAX_SECRET_LENGTH = 1024

const COST = { N: 2 ** 15, r: 8, p: 1 }
const KEY_BYTES = 32
const SALT_BYTES = 16
// Bounds for parameters read back from the database: a tampered row must not make one login
// allocate gigabytes or spin for minutes.
const MAX_N = 2 ** 20
const MAX_R = 32
const MAX_P = 16

export class WeakSecretError extends Error {}

/** Refuses a secret too short to be one; the message says what is needed. */
export function checkSecretStrength(secret: string): void {
  if (secret.trim().length === 0) throw new WeakSecretError('The secret is empty; give one of at least 8 characters')
  if ([...secret].length < MIN_SECRET_LENGTH)
    throw new WeakSecretError(`The secret is too short (${[...secret].length} characters); give at least ${MIN_SECRET_LENGTH}`)
  if (secret.length > MAX_SECRET_LENGTH) throw new WeakSecretError(`The secret is too long; at most ${MAX_SECRET_LENGTH} characters`)
}

function derive(secret: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 }
  return new Promise((resolve, reject) =>
    scrypt(secret.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))),
  )
}

export async function hashSecret(secret: string): Promise<string> {
  checkSecretStrength(secret)
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(secret, salt, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

function parse(stored: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | null {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null
  const [N, r, p] = parts.slice(1, 4).map(Number)
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max
  if (!ok(N, MAX_N) || (N & (N - 1)) !== 0 || N < 2 || !ok(r, MAX_R) || !ok(p, MAX_P)) return null
  const salt = Buffer.from(parts[4], 'base64url')
  const key = Buffer.from(parts[5], 'base64url')
  if (salt.length < 8 || key.length !== KEY_BYTES) return null
  return { N, r, p, salt, key }
}

/** True when `secret` matches; a malformed stored hash never matches (and never throws). */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parse(stored)
  if (!parsed) return false
  const key = await derive(secret, parsed.salt, parsed)
  return timingSafeEqual(key, parsed.key)
}

/** A hash no secret matches, verified for unknown readers so their refusal takes as long as a real one. */
export const DUMMY_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(SALT_BYTES).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`
