/**
 * `cxr-lens pacs …`: DICOMweb connections, study search and pull. A secret (password or token) is
 * read from standard input, never from the command line (other local users see the process list),
 * and kept sealed. A patient ID typed for a search goes to the PACS only: it is not stored and not
 * logged (the command line is never logged; see cliMain).
 */
import { parseArgs } from 'node:util'
import { z } from 'zod'
import {
  DEFAULT_STUDY_LIMIT,
  dicomDateSchema,
  dicomUidSchema,
  pacsNameSchema,
  pacsPullRequestSchema,
  studyQuerySchema,
} from '../../shared/pacsSchemas'
import { PACS_AUTH_KINDS, type PacsAuthKind, type PacsConnectionInfo, type StudyMatch } from '../../shared/pacs'
import { log } from '../logging/log'
import { PacsConnections, type PacsActor } from '../pacs/pacsConnections'
import { pullStudies } from '../pacs/pacsPull'
import { UsageError, type CliContext } from './cliContext'
import { formatImportSummary, importExitCode } from './cliImport'
import { PACS_PUSH_USAGE, runPacsPush } from './cliPacsPush'
import { readSecretLine } from './cliReaders'

export const PACS_USAGE = `cxr-lens pacs add --name NAME --url URL [--auth none|basic|bearer] [--user U]   (password or token on stdin)
  cxr-lens pacs list [--json] | cxr-lens pacs test NAME [--json] | cxr-lens pacs remove NAME
  cxr-lens pacs query NAME [--since YYYYMMDD] [--until YYYYMMDD] [--modality CR|DX] [--accession A] [--patient-id ID] [--limit N] [--json]
  cxr-lens pacs pull NAME (--study UID … | --since YYYYMMDD [--until YYYYMMDD]) [--json] [--verbose]
  ${PACS_PUSH_USAGE}`

const CLI_PACS_ACTOR: PacsActor = { name: 'cxr-lens CLI (administrator)', readerId: null }

/** A zod refusal as a usage error naming the flag. */
function parseOr<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new UsageError(`${flag} ${parsed.error.issues[0]?.message ?? 'is not valid'}`)
  return parsed.data
}

function describe(c: PacsConnectionInfo): string {
  const auth = c.auth === 'basic' ? `basic (user ${c.user})` : c.auth
  return `${c.name}  ${c.url}  auth ${auth}${c.source === 'policy' ? '  (set by policy)' : ''}`
}

function studyLine(s: StudyMatch): string {
  return [
    s.studyInstanceUid,
    s.date ?? '-',
    s.modalities.join('/') || '-',
    `${s.instances ?? '?'} inst.`,
    s.accession ?? '-',
    s.description ?? '',
  ].join('  ')
}

function connectionName(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError(`pacs ${sub} needs one connection name\nusage: ${PACS_USAGE}`)
  return parseOr(pacsNameSchema, positionals[0], 'NAME')
}

export async function runPacs(ctx: CliContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args
  // push has flags of its own (cliPacsPush.ts); the connection store gives it its client.
  if (sub === 'push') return runPacsPush(ctx, rest, (c, name) => new PacsConnections(c.store, c.dataDir).client(name))
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      url: { type: 'string' },
      auth: { type: 'string' },
      user: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      modality: { type: 'string' },
      accession: { type: 'string' },
      'patient-id': { type: 'string' },
      limit: { type: 'string' },
      study: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  const connections = new PacsConnections(ctx.store, ctx.dataDir)

  if (sub === 'add') {
    if (!values.name || !values.url) throw new UsageError(`pacs add needs --name and --url\nusage: ${PACS_USAGE}`)
    const auth = (values.auth ?? 'none') as PacsAuthKind
    if (!(PACS_AUTH_KINDS as readonly string[]).includes(auth)) throw new UsageError(`--auth must be ${PACS_AUTH_KINDS.join(', ')}`)
    const secret = auth === 'none' ? undefined : await readSecretLine()
    const added = connections.add({ name: values.name, url: values.url, auth, user: values.user, secret }, CLI_PACS_ACTOR)
    console.log(
      values.json
        ? JSON.stringify(added)
        : `added PACS ${describe(added)}; check it with: cxr-lens pacs test ${JSON.stringify(added.name)}`,
    )
    return 0
  }
  if (sub === 'list') {
    const list = connections.list()
    if (values.json) console.log(JSON.stringify({ connections: list }))
    else if (list.length === 0)
      console.log('No PACS configured. Add one with: cxr-lens pacs add --name NAME --url URL [--auth basic --user U]')
    else for (const c of list) console.log(describe(c))
    return 0
  }
  if (sub === 'remove') {
    const name = connectionName(positionals, 'remove')
    connections.remove(name, CLI_PACS_ACTOR)
    console.log(`removed PACS ${name}`)
    return 0
  }
  if (sub === 'test') {
    const result = await connections.test(connectionName(positionals, 'test'))
    console.log(values.json ? JSON.stringify(result) : `${result.ok ? 'ok' : 'failed'}: ${result.message} (${result.milliseconds} ms)`)
    return result.ok ? 0 : 1
  }
  if (sub === 'query') {
    const name = connectionName(positionals, 'query')
    const query = parseOr(
      studyQuerySchema,
      {
        since: values.since,
        until: values.until,
        modality: values.modality,
        accession: values.accession,
        patientId: values['patient-id'],
        limit: values.limit === undefined ? DEFAULT_STUDY_LIMIT : Number(values.limit),
      },
      'the search',
    )
    // Shown, never stored: the matches go to stdout and nowhere else.
    const studies = await connections.client(connections.get(name).name).searchStudies(query)
    if (values.json) console.log(JSON.stringify({ pacs: connections.get(name).name, studies }))
    else if (studies.length === 0) console.log('No studies match.')
    else for (const s of studies) console.log(studyLine(s))
    log().info('pacs query finished', { matches: studies.length })
    return 0
  }
  if (sub === 'pull') {
    const name = connectionName(positionals, 'pull')
    if (values.study) for (const uid of values.study) parseOr(dicomUidSchema, uid, '--study')
    if (values.since) parseOr(dicomDateSchema, values.since, '--since')
    if (values.until) parseOr(dicomDateSchema, values.until, '--until')
    const request = parseOr(
      pacsPullRequestSchema,
      { pacs: name, studies: values.study, since: values.since, until: values.until },
      'pacs pull: give --study UID (repeatable) or --since YYYYMMDD [--until YYYYMMDD];',
    )
    const connection = connections.get(request.pacs)
    const showProgress = process.stderr.isTTY && !values.json
    const summary = await pullStudies(ctx.store, ctx.dataDir, connections.client(connection.name), request, {
      actor: 'cli',
      onProgress: showProgress ? (done, total) => process.stderr.write(`\rpulling ${done}${total ? `/${total}` : ''}`) : undefined,
    })
    if (showProgress) process.stderr.write('\n')
    console.log(
      values.json
        ? JSON.stringify(summary)
        : [
            `from PACS ${summary.pacs}: ${summary.studies} studies`,
            formatImportSummary(summary, values.verbose),
            ...(summary.readerBoxes.boxes
              ? [`other workstations' boxes: ${summary.readerBoxes.boxes} from ${summary.readerBoxes.srs} CXR Lens SRs in the PACS`]
              : []),
            ...summary.warnings.map((w) => `warning: ${w}`),
          ].join('\n'),
    )
    log().info('pacs pull finished', {
      studies: summary.studies,
      imported: summary.imported,
      duplicates: summary.duplicates,
      failed: summary.failed.length,
    })
    return importExitCode(summary)
  }
  throw new UsageError(`${sub ? `unknown pacs subcommand "${sub}"` : 'pacs needs a subcommand'}\nusage: ${PACS_USAGE}`)
}
