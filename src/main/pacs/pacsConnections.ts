/**
 * The PACS connections of this installation: those the machine policy sets (read-only here) and
 * those added in the app or the CLI (stored in `pacs_connections`). A secret (password or bearer
 * token) is kept only sealed by the local vault (context `pacs-secret:NAME`), a policy's in the file
 * its `secretFile` names; neither ever reaches a listing, a log line or the audit. Each change is one
 * transaction with its audit row.
 */
import { readFileSync } from 'node:fs'
import type { PacsAuthKind, PacsConnectionInfo, PacsTestResult } from '../../shared/pacs'
import { PACS_AUTH_KINDS } from '../../shared/pacs'
import { hasControlCharacter } from '../../shared/pacsSchemas'
import {
  dicomwebUrlProblem,
  isDicomwebPolicy,
  machinePolicy,
  PACS_NAME,
  type DicomwebPacsPolicy,
  type LoadedPolicy,
} from '../config/policy'
import { ForbiddenError, NotFoundError } from '../errors/domainErrors'
import { LocalVault } from '../reid/localVault'
import type { CaseStore } from '../store/caseStore'
import { DicomwebClient, type DicomwebOptions, type PacsAuth, type PacsEndpoint } from './dicomwebClient'
import { PacsError } from './pacsErrors'

export interface NewPacsConnection {
  name: string
  url: string
  auth: PacsAuthKind
  user?: string
  /** the password (basic) or token (bearer); never stored in plaintext */
  secret?: string
}

/** Who made a change, for the audit row. */
export interface PacsActor {
  name: string
  readerId: number | null
}

export const MAX_PACS_SECRET = 4096
/** The vault context of a connection's secret, by its stored name: a secret sealed for one connection does not open as another's. */
const secretContext = (name: string) => `pacs-secret:${name}`

/** A refused connection setting, naming the field. */
export class PacsSettingError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PacsSettingError'
  }
}

/** The checks of a new connection, in words naming the field; returns it normalised. */
export function checkNewConnection(input: NewPacsConnection): NewPacsConnection {
  const name = input.name.trim()
  if (!PACS_NAME.test(name))
    throw new PacsSettingError('--name must be 1–64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit')
  const url = input.url.trim()
  const problem = dicomwebUrlProblem(url)
  if (problem) throw new PacsSettingError(`--url ${problem}`)
  if (!(PACS_AUTH_KINDS as readonly string[]).includes(input.auth))
    throw new PacsSettingError(`--auth must be ${PACS_AUTH_KINDS.join(', ')}`)
  const user = input.user?.trim() || undefined
  if (input.auth === 'basic') {
    if (!user) throw new PacsSettingError('--user is needed with --auth basic')
    // RFC 7617: a Basic user-id cannot hold a colon, and no credential a control character.
    if (user.includes(':') || hasControlCharacter(user) || user.length > 256)
      throw new PacsSettingError('--user must be 1–256 characters without ":" or control characters')
  } else if (user) throw new PacsSettingError(`--user goes only with --auth basic`)
  if (input.auth === 'none') {
    if (input.secret) throw new PacsSettingError('a secret was given but --auth is none')
    return { name, url, auth: 'none' }
  }
  const secret = input.secret ?? ''
  if (!secret)
    throw new PacsSettingError(`the ${input.auth === 'basic' ? 'password' : 'token'} is needed on standard input with --auth ${input.auth}`)
  if (secret.length > MAX_PACS_SECRET || hasControlCharacter(secret))
    throw new PacsSettingError(
      `the ${input.auth === 'basic' ? 'password' : 'token'} must be at most ${MAX_PACS_SECRET} characters without control characters`,
    )
  return { name, url, auth: input.auth, user, secret }
}

export class PacsConnections {
  constructor(
    private readonly store: CaseStore,
    private readonly dataDir: string,
    private readonly policy: LoadedPolicy = machinePolicy(),
  ) {}

  private policyEntries(): DicomwebPacsPolicy[] {
    return (this.policy.settings.pacs ?? []).filter(isDicomwebPolicy)
  }

  private policyEntry(name: string): DicomwebPacsPolicy | undefined {
    return this.policyEntries().find((entry) => entry.name.toLowerCase() === name.toLowerCase())
  }

  /** The policy's connections first (in its order), then the user's by name. DIMSE entries of the policy are not listed: CXR Lens speaks DICOMweb. */
  list(): PacsConnectionInfo[] {
    const fromPolicy = this.policyEntries().map((entry): PacsConnectionInfo => ({
      name: entry.name,
      url: entry.url,
      auth: entry.auth ?? 'none',
      user: entry.user ?? null,
      hasSecret: entry.secretFile !== undefined,
      source: 'policy',
      createdAt: null,
    }))
    const taken = new Set(fromPolicy.map((c) => c.name.toLowerCase()))
    const fromUser = this.store.pacs
      .list()
      .filter((row) => !taken.has(row.name.toLowerCase()))
      .map((row): PacsConnectionInfo => ({
        name: row.name,
        url: row.url,
        auth: row.auth,
        user: row.user,
        hasSecret: row.secretSealed !== null,
        source: 'user',
        createdAt: row.createdAt,
      }))
    return [...fromPolicy, ...fromUser]
  }

  get(name: string): PacsConnectionInfo {
    const found = this.list().find((c) => c.name.toLowerCase() === name.toLowerCase())
    if (!found) throw new NotFoundError(`PACS connection "${name}" (see cxr-lens pacs list)`)
    return found
  }

  add(input: NewPacsConnection, actor: PacsActor): PacsConnectionInfo {
    const checked = checkNewConnection(input)
    if (this.policyEntry(checked.name))
      throw new ForbiddenError(`The PACS "${checked.name}" is set by the machine policy ${this.policy.file}; choose another name`)
    const at = new Date().toISOString()
    // Sealed before the transaction: the vault key is made (once) outside any database lock.
    const sealed = checked.secret ? LocalVault.open(this.dataDir).seal(checked.secret, secretContext(checked.name)) : null
    this.store.transaction(() => {
      this.store.pacs.insert({
        name: checked.name,
        url: checked.url,
        auth: checked.auth,
        user: checked.user ?? null,
        secretSealed: sealed,
        createdAt: at,
      })
      this.store.audit.append(
        actor.name,
        'pacs.add',
        null,
        { name: checked.name, url: checked.url, auth: checked.auth, user: checked.user ?? null },
        at,
        actor.readerId,
      )
    })
    return this.get(checked.name)
  }

  remove(name: string, actor: PacsActor): void {
    if (this.policyEntry(name))
      throw new ForbiddenError(`The PACS "${name}" is set by the machine policy ${this.policy.file} and cannot be removed here`)
    const found = this.store.pacs.get(name)
    if (!found) throw new NotFoundError(`PACS connection "${name}" (see cxr-lens pacs list)`)
    this.store.transaction(() => {
      this.store.pacs.remove(found.name)
      this.store.audit.append(actor.name, 'pacs.remove', null, { name: found.name }, new Date().toISOString(), actor.readerId)
    })
  }

  /** The connection with its secret opened, for a client; only main ever holds it. */
  endpoint(name: string): PacsEndpoint {
    const fromPolicy = this.policyEntry(name)
    if (fromPolicy) return { name: fromPolicy.name, url: fromPolicy.url, auth: this.policyAuth(fromPolicy) }
    const row = this.store.pacs.get(name)
    if (!row) throw new NotFoundError(`PACS connection "${name}" (see cxr-lens pacs list)`)
    const secret = () => LocalVault.open(this.dataDir).open(row.secretSealed ?? '', secretContext(row.name))
    const auth: PacsAuth =
      row.auth === 'basic'
        ? { kind: 'basic', user: row.user ?? '', password: secret() }
        : row.auth === 'bearer'
          ? { kind: 'bearer', token: secret() }
          : { kind: 'none' }
    return { name: row.name, url: row.url, auth }
  }

  private policyAuth(entry: DicomwebPacsPolicy): PacsAuth {
    const kind = entry.auth ?? 'none'
    if (kind === 'none') return { kind: 'none' }
    let secret: string
    try {
      secret = readFileSync(entry.secretFile!, 'utf8').split(/\r?\n/)[0]
    } catch (error) {
      throw new Error(
        `The secret file ${entry.secretFile} of the PACS "${entry.name}" (machine policy ${this.policy.file}) cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      )
    }
    if (!secret) throw new Error(`The secret file ${entry.secretFile} of the PACS "${entry.name}" (machine policy) is empty`)
    return kind === 'basic' ? { kind: 'basic', user: entry.user!, password: secret } : { kind: 'bearer', token: secret }
  }

  client(name: string, options?: DicomwebOptions): DicomwebClient {
    return new DicomwebClient(this.endpoint(name), options)
  }

  /** Reachable, authenticated, DICOMweb root found: one QIDO-RS `/studies?limit=1`, each step said. */
  async test(name: string, options?: DicomwebOptions): Promise<PacsTestResult> {
    const started = performance.now()
    const info = this.get(name)
    const result = (ok: boolean, passed: number, code: string | null, message: string): PacsTestResult => ({
      name: info.name,
      ok,
      steps: (['reachable', 'authenticated', 'dicomweb'] as const).map((step, i) => ({ step, ok: i < passed })),
      code,
      message,
      milliseconds: Math.round(performance.now() - started),
    })
    try {
      await this.client(info.name, options).searchStudies({ limit: 1 })
      return result(true, 3, null, `PACS ${info.name}: reachable, authenticated, DICOMweb root found at ${info.url}`)
    } catch (error) {
      if (!(error instanceof PacsError)) throw error
      const passed = error.code === 'unreachable' ? 0 : error.code === 'unauthorized' ? 1 : 2
      const hint =
        passed === 2 ? ` (is ${info.url} the DICOMweb root? Orthanc: …/dicom-web, dcm4chee: …/dcm4chee-arc/aets/DCM4CHEE/rs)` : ''
      return result(false, passed, error.code, `${error.message}${hint}`)
    }
  }
}
