import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  constants,
  type KeyObject,
} from 'node:crypto'

/**
 * Sealing of re-identification records: each record is encrypted to the data protection officer's
 * public key (hybrid encryption), so the workstation can append records but never read them back.
 * A fresh AES-256-GCM key per record is wrapped either by X25519 (ephemeral ECDH, HKDF-SHA256) or
 * by RSA-OAEP-SHA256 with a modulus of at least 3072 bits. node:crypto only.
 */

export const MIN_RSA_BITS = 3072
const INFO = Buffer.from('cxr-lens re-identification record v1')

export type SealAlgorithm = 'X25519-HKDF-SHA256+A256GCM' | 'RSA-OAEP-SHA256+A256GCM'

/** One sealed record as it is written: a JSON line. Only `kid` (which key) is readable without the private key. */
export interface SealedEnvelope {
  v: 1
  alg: SealAlgorithm
  /** key id: the first 16 hex digits of SHA-256 over the public key's SPKI DER */
  kid: string
  /** X25519: the ephemeral public key (SPKI DER); RSA: the wrapped AES key; base64 */
  ek: string
  iv: string
  ct: string
  tag: string
}

export interface RecipientKey {
  key: KeyObject
  alg: SealAlgorithm
  kid: string
  /** the public key as SPKI PEM, to store in the workstation's configuration */
  pem: string
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16)
}

function algorithmOf(key: KeyObject, source: string): SealAlgorithm {
  if (key.asymmetricKeyType === 'x25519') return 'X25519-HKDF-SHA256+A256GCM'
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < MIN_RSA_BITS)
      throw new Error(`${source}: an RSA key of ${bits} bits is too short for sealing; it needs at least ${MIN_RSA_BITS}`)
    return 'RSA-OAEP-SHA256+A256GCM'
  }
  throw new Error(
    `${source}: a ${key.asymmetricKeyType ?? 'symmetric'} key cannot seal records; use an X25519 or RSA (>= ${MIN_RSA_BITS} bit) public key (cxr-lens reid keygen makes one)`,
  )
}

/** Parses a PEM public key (SPKI, or a certificate's key); a private key is refused so it never lands on the workstation. */
export function recipientFromPem(pem: string, source: string): RecipientKey {
  if (/PRIVATE KEY-----/.test(pem))
    throw new Error(
      `${source} is a private key; give the workstation the public key only (the private key stays with the data protection officer)`,
    )
  let key: KeyObject
  try {
    key = createPublicKey(pem)
  } catch (error) {
    throw new Error(`${source} is not a PEM public key (${(error as Error).message})`)
  }
  const alg = algorithmOf(key, source)
  return { key, alg, kid: keyIdOf(key), pem: key.export({ type: 'spki', format: 'pem' }).toString() }
}

export function privateKeyFromPem(pem: string, source: string, passphrase?: string): KeyObject {
  if (passphrase === undefined && /ENCRYPTED/.test(pem))
    throw new Error(`${source} is encrypted; give its passphrase on standard input with --passphrase-stdin`)
  try {
    const key = createPrivateKey({ key: pem, passphrase })
    algorithmOf(key, source)
    return key
  } catch (error) {
    if ((error as Error).message.startsWith(source)) throw error
    // PKCS#8 encryption has no integrity check: a wrong passphrase usually fails the CBC padding ("bad
    // decrypt"), but about one time in 256 the padding happens to pass and the garbage then fails to parse
    // as a key. Both mean the passphrase (or the file) is wrong, so an encrypted PEM gets the one message.
    if (passphrase !== undefined && (/ENCRYPTED PRIVATE KEY/.test(pem) || /bad decrypt/.test((error as Error).message)))
      throw new Error(`${source}: the passphrase does not open this key`)
    throw new Error(`${source} is not a readable PEM private key (${(error as Error).message})`)
  }
}

/** Additional authenticated data: the header fields, so none of them can be swapped without the tag failing. */
const aadOf = (envelope: Pick<SealedEnvelope, 'v' | 'alg' | 'kid'>) => Buffer.from(`${envelope.v}|${envelope.alg}|${envelope.kid}`)

function hkdfKey(shared: Buffer, ephemeralDer: Buffer, recipientDer: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralDer, recipientDer]), INFO, 32))
}

export function seal(plaintext: Buffer, recipient: RecipientKey): SealedEnvelope {
  let contentKey: Buffer
  let ek: Buffer
  if (recipient.alg === 'X25519-HKDF-SHA256+A256GCM') {
    const ephemeral = generateKeyPairSync('x25519')
    const ephemeralDer = ephemeral.publicKey.export({ type: 'spki', format: 'der' })
    const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.key })
    contentKey = hkdfKey(shared, ephemeralDer, recipient.key.export({ type: 'spki', format: 'der' }))
    ek = ephemeralDer
  } else {
    contentKey = randomBytes(32)
    ek = publicEncrypt({ key: recipient.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey)
  }
  const header = { v: 1 as const, alg: recipient.alg, kid: recipient.kid }
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', contentKey, iv)
  cipher.setAAD(aadOf(header))
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()])
  contentKey.fill(0)
  return {
    ...header,
    ek: ek.toString('base64'),
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  }
}

/** Decrypts one envelope with the private key; throws when the key is not the one it was sealed to or the record was altered. */
export function unseal(envelope: SealedEnvelope, privateKey: KeyObject): Buffer {
  const publicKey = createPublicKey(privateKey)
  const kid = keyIdOf(publicKey)
  if (envelope.kid !== kid) throw new Error(`sealed to key ${envelope.kid}, not to this key (${kid})`)
  const ek = Buffer.from(envelope.ek, 'base64')
  let contentKey: Buffer
  if (envelope.alg === 'X25519-HKDF-SHA256+A256GCM') {
    if (privateKey.asymmetricKeyType !== 'x25519') throw new Error('sealed with X25519, but the key is not an X25519 key')
    const shared = diffieHellman({ privateKey, publicKey: createPublicKey({ key: ek, format: 'der', type: 'spki' }) })
    contentKey = hkdfKey(shared, ek, publicKey.export({ type: 'spki', format: 'der' }))
  } else if (envelope.alg === 'RSA-OAEP-SHA256+A256GCM') {
    contentKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ek)
  } else {
    throw new Error(`unknown sealing algorithm ${String(envelope.alg)}`)
  }
  const decipher = createDecipheriv('aes-256-gcm', contentKey, Buffer.from(envelope.iv, 'base64'))
  decipher.setAAD(aadOf(envelope))
  decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'))
  try {
    return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()])
  } catch {
    throw new Error('the record fails its authentication tag (altered or damaged)')
  }
}

/** A key pair for the data protection officer: the private key as PKCS#8 PEM (encrypted when a passphrase is given), the public key as SPKI PEM. */
export function generateSealingKeyPair(
  type: 'x25519' | 'rsa',
  passphrase?: string,
): { privatePem: string; publicPem: string; kid: string } {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 0x10001 }) : generateKeyPairSync('x25519')
  const protection = passphrase ? { cipher: 'aes-256-cbc', passphrase } : {}
  return {
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem', ...protection }).toString(),
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    kid: keyIdOf(pair.publicKey),
  }
}

/** Checks the shape of a parsed JSON line before it is treated as an envelope. */
export function asEnvelope(value: unknown): SealedEnvelope | null {
  if (!value || typeof value !== 'object') return null
  const e = value as Record<string, unknown>
  const strings = ['alg', 'kid', 'ek', 'iv', 'ct', 'tag'].every((k) => typeof e[k] === 'string')
  return e.v === 1 && strings ? (value as SealedEnvelope) : null
}
