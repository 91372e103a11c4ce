/**
 * `cxr-lens readers …`: reader accounts from the workstation. The CLI is the administrator (whoever
 * can run it can open the database file anyway); secrets are read from standard input, one line,
 * never from the command line (which other local users can see in the process list).
 */
import { parseArgs } from 'node:util'
import type { Reader, ReaderRole } from '../../shared/domain'
import { READER_ROLES } from '../../shared/domain'
import { CLI_ACTOR, ReaderAccounts } from '../readers/readerAccounts'
import { checkSecretStrength, MAX_SECRET_LENGTH } from '../readers/secretHash'
import { UsageError, type CliContext } from './cliContext'

export const READERS_USAGE = `cxr-lens readers add --name NAME --role radiologist|clinical_advisor [--admin] [--json]   (secret on stdin)
  cxr-lens readers list [--json] | cxr-lens readers set-role --id N --role R [--admin|--no-admin] | cxr-lens readers set-secret --id N   (secret on stdin)`

const ROLE_TEXT: Record<ReaderRole, string> = { radiologist: 'radiologist', clinical_advisor: 'clinical advisor' }

/** The first line of standard input (a prompt on stderr when it is a terminal), without its line end. */
export async function readSecretLine(input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): Promise<string> {
  if (input.isTTY) process.stderr.write('Secret (one line; it is shown as typed): ')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    chunks.push(buffer)
    size += buffer.length
    if (buffer.includes(0x0a) || size > 4 * MAX_SECRET_LENGTH + 2) break
  }
  const text = Buffer.concat(chunks).toString('utf8')
  const end = text.indexOf('\n')
  return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, '')
}

function role(value: string | undefined): ReaderRole {
  if (!value) throw new UsageError(`--role is needed (${READER_ROLES.join(' or ')})\nusage: ${READERS_USAGE}`)
  if (!(READER_ROLES as readonly string[]).includes(value))
    throw new UsageError(`--role must be ${READER_ROLES.join(' or ')}, not "${value}"`)
  return value as ReaderRole
}

function readerId(value: string | undefined): number {
  const id = Number(value)
  if (!value || !Number.isInteger(id) || id <= 0)
    throw new UsageError(`--id needs a reader id (a positive whole number; see cxr-lens readers list)`)
  return id
}

function describe(reader: Reader): string {
  return `reader ${reader.id} "${reader.name}" (${ROLE_TEXT[reader.role]}${reader.administrator ? ', administrator' : ''}${reader.hasSecret ? '' : ', no secret: cannot log in'})`
}

const json = (reader: Reader) => ({ id: reader.id, name: reader.name, role: reader.role, administrator: reader.administrator })

async function secretFromStdin(): Promise<string> {
  const secret = await readSecretLine()
  checkSecretStrength(secret) // before hashing, with the reason in words
  return secret
}

export async function runReaders(ctx: CliContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args
  const accounts = new ReaderAccounts(ctx.store)
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      id: { type: 'string' },
      admin: { type: 'boolean' },
      'no-admin': { type: 'boolean' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  if (values.admin && values['no-admin']) throw new UsageError('give --admin or --no-admin, not both')
  if (sub === 'add') {
    const name = values.name?.trim()
    if (!name || name.length > 80) throw new UsageError(`--name is needed (1 to 80 characters)\nusage: ${READERS_USAGE}`)
    const chosen = role(values.role)
    const secret = await secretFromStdin()
    const reader = await accounts.create({ name, role: chosen, secret, administrator: values.admin ?? false }, CLI_ACTOR)
    console.log(values.json ? JSON.stringify(json(reader)) : `created ${describe(reader)}`)
    return 0
  }
  if (sub === 'list') {
    const readers = ctx.store.readers.list()
    if (values.json)
      console.log(JSON.stringify({ readers: readers.map((r) => ({ ...json(r), hasSecret: r.hasSecret, createdAt: r.createdAt })) }))
    else if (readers.length === 0) console.log('No readers yet. Add one with: cxr-lens readers add --name NAME --role radiologist')
    else for (const reader of readers) console.log(describe(reader))
    return 0
  }
  if (sub === 'set-role') {
    const reader = accounts.setRole(
      readerId(values.id),
      role(values.role),
      values.admin ? true : values['no-admin'] ? false : undefined,
      CLI_ACTOR,
    )
    console.log(values.json ? JSON.stringify(json(reader)) : `now ${describe(reader)}`)
    return 0
  }
  if (sub === 'set-secret') {
    const id = readerId(values.id)
    if (!ctx.store.readers.get(id)) throw new Error(`No reader with id ${id} in ${ctx.dataDir}`)
    const reader = await accounts.setSecret(id, await secretFromStdin(), CLI_ACTOR)
    console.log(values.json ? JSON.stringify(json(reader)) : `secret set for ${describe(reader)}`)
    return 0
  }
  throw new UsageError(`${sub ? `unknown readers subcommand "${sub}"` : 'readers needs a subcommand'}\nusage: ${READERS_USAGE}`)
}
