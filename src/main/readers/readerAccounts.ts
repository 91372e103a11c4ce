/**
 * Readers as accounts: who may create whom, logins with backoff, roles and secrets. Every change is
 * one transaction with its audit row. The CLI on the workstation is the administrator; over the
 * socket or IPC only a logged-in reader with the administrator flag is.
 *
 * Self-enrolment: without an administrator, anyone with access to the app may create a radiologist
 * with a secret (a first run works without a shell) and is then logged in as that reader. A clinical
 * advisor (who may correct the model's evidence) or an administrator is only made by an administrator.
 */
import type { Reader, ReaderRole } from '../../shared/domain'
import { ForbiddenError } from '../errors/domainErrors'
import type { CaseStore } from '../store/caseStore'
import { UnknownReaderFailures, waitLeftMs } from './loginBackoff'
import { checkSecretStrength, DUMMY_HASH, hashSecret, verifySecret } from './secretHash'

export type Actor = { kind: 'cli' } | { kind: 'reader'; reader: Reader } | { kind: 'anonymous' }

export const CLI_ACTOR: Actor = { kind: 'cli' }
const CLI_NAME = 'cxr-lens CLI (administrator)'

/** The one answer to a failed login: it never says whether the reader or the secret was wrong. */
export const LOGIN_REFUSED = 'Login refused: unknown reader or wrong secret'

export function isAdministrator(actor: Actor): boolean {
  return actor.kind === 'cli' || (actor.kind === 'reader' && actor.reader.administrator)
}

export interface NewReaderInput {
  name: string
  role: ReaderRole
  secret?: string
  administrator?: boolean
}

/**
 * Each hash costs 32 MiB and ~0.1 s of a libuv thread (which file reads share): a flood of logins,
 * each naming a different unknown id, must not starve the server. Beyond this many at once a login
 * is refused (and may simply be retried).
 */
const MAX_HASHING = 2

export class ReaderAccounts {
  private readonly unknown = new UnknownReaderFailures()
  private hashing = 0
  /** Readers with a login being checked: a parallel guess waits its turn instead of racing the backoff. */
  private readonly checking = new Set<number>()

  constructor(
    private readonly store: CaseStore,
    // Looked up at each call, not captured: a test that freezes Date (vi.useFakeTimers) freezes this clock too.
    private readonly now: () => number = () => Date.now(),
  ) {}

  private async slowHash<T>(work: () => Promise<T>): Promise<T> {
    if (this.hashing >= MAX_HASHING) throw new ForbiddenError('Too many logins at once; try again in a second')
    this.hashing++
    try {
      return await work()
    } finally {
      this.hashing--
    }
  }

  private audit(actor: Actor, action: string, detail: Record<string, unknown>, at: string, subject?: Reader): void {
    const who =
      actor.kind === 'cli'
        ? { name: CLI_NAME, id: null }
        : actor.kind === 'reader'
          ? { name: actor.reader.name, id: actor.reader.id }
          : { name: subject?.name ?? '(anonymous)', id: subject?.id ?? null }
    this.store.audit.append(who.name, action, null, detail, at, who.id)
  }

  private target(id: number): Reader {
    const reader = this.store.readers.get(id)
    if (!reader) throw new Error(`No reader with id ${id}`)
    return reader
  }

  async create(input: NewReaderInput, actor: Actor): Promise<Reader> {
    const admin = isAdministrator(actor)
    if (!admin && input.role !== 'radiologist') {
      throw new ForbiddenError(
        'Only an administrator creates a clinical advisor: "cxr-lens readers add" on the workstation, or a reader with the administrator flag',
      )
    }
    if (!admin && input.administrator) throw new ForbiddenError('Only an administrator makes another administrator')
    if (!admin && input.secret === undefined) throw new Error('A new reader needs a secret (at least 8 characters) to log in with')
    if (input.secret !== undefined) checkSecretStrength(input.secret)
    const secret = input.secret
    const secretHash = secret === undefined ? null : await this.slowHash(() => hashSecret(secret))
    return this.store.transaction(() => {
      const at = new Date(this.now()).toISOString()
      const reader = this.store.readers.create(input.name, input.role, { secretHash, administrator: input.administrator ?? false, at })
      this.audit(
        actor,
        'reader.create',
        { readerId: reader.id, name: reader.name, role: reader.role, administrator: reader.administrator },
        at,
        reader,
      )
      return reader
    })
  }

  async setSecret(id: number, secret: string, actor: Actor): Promise<Reader> {
    if (!isAdministrator(actor)) throw new ForbiddenError("Only an administrator sets a reader's secret")
    const reader = this.target(id)
    const secretHash = await hashSecret(secret)
    return this.store.transaction(() => {
      const at = new Date(this.now()).toISOString()
      this.store.readers.setSecretHash(reader.id, secretHash)
      this.audit(actor, 'reader.secret', { readerId: reader.id }, at)
      return this.target(reader.id)
    })
  }

  setRole(id: number, role: ReaderRole, administrator: boolean | undefined, actor: Actor): Reader {
    if (!isAdministrator(actor)) throw new ForbiddenError("Only an administrator changes a reader's role")
    return this.store.transaction(() => {
      const before = this.target(id)
      const at = new Date(this.now()).toISOString()
      const after = { role, administrator: administrator ?? before.administrator }
      this.store.readers.setRole(id, after.role, after.administrator)
      this.audit(actor, 'reader.role', { readerId: id, before: { role: before.role, administrator: before.administrator }, after }, at)
      return this.target(id)
    })
  }

  /**
   * Checks a reader's secret. Unknown id and wrong secret get the same answer after the same work
   * (a dummy hash is verified); each failure is audited and doubles that reader's wait.
   */
  async login(readerId: number, secret: string): Promise<Reader> {
    const reader = this.store.readers.get(readerId)
    const credentials = reader && this.store.readers.credentials(readerId)
    const failures = credentials ? credentials.failedLogins : (this.unknown.get(readerId)?.count ?? 0)
    const lastFailed = credentials
      ? credentials.lastFailedAt
        ? Date.parse(credentials.lastFailedAt)
        : null
      : (this.unknown.get(readerId)?.at ?? null)
    const wait = waitLeftMs(failures, lastFailed, this.now())
    if (wait > 0 || this.checking.has(readerId)) {
      throw new ForbiddenError(`${LOGIN_REFUSED}; too many failed attempts, try again in ${Math.max(1, Math.ceil(wait / 1000))} s`)
    }
    if (reader && credentials && credentials.secretHash === null) {
      throw new ForbiddenError(
        `${reader.name} has no secret yet: an administrator sets one on the workstation with "cxr-lens readers set-secret --id ${reader.id}" (the secret is read from standard input)`,
      )
    }
    this.checking.add(readerId)
    let matches: boolean
    try {
      matches = await this.slowHash(() => verifySecret(secret, credentials?.secretHash ?? DUMMY_HASH))
    } finally {
      this.checking.delete(readerId)
    }
    const at = new Date(this.now()).toISOString()
    if (!reader || !matches) {
      this.store.transaction(() => {
        if (reader) this.store.readers.recordFailedLogin(reader.id, at)
        this.store.audit.append(reader?.name ?? '(unknown reader)', 'reader.login_failed', null, { readerId }, at, reader?.id ?? null)
      })
      if (!reader) this.unknown.record(readerId, Date.parse(at))
      throw new ForbiddenError(LOGIN_REFUSED)
    }
    this.store.transaction(() => {
      this.store.readers.clearFailedLogins(reader.id)
      this.store.audit.append(reader.name, 'reader.login', null, {}, at, reader.id)
    })
    return reader
  }
}
