import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { databasePath, resolveDataDir } from '../config/dataDir'
import { disableReidentification, enableReidentification, reidentificationStatus, sealLegacyTable } from '../reid/reidentification'
import { openSealedFile } from '../reid/sealedLog'
import { generateSealingKeyPair, privateKeyFromPem, recipientFromPem } from '../reid/sealing'
import { CaseStore } from '../store/caseStore'
import { UsageError } from './cliContext'

export const REID_USAGE =
  'cxr-lens reid status [--json] | reid enable --public-key FILE [--json] | reid disable | reid seal --public-key FILE | reid keygen --out DIR [--rsa] [--passphrase-stdin] | reid open --key PRIVATE.pem FILE [--passphrase-stdin] [--json]'

/** A PEM file given on the command line; named in the error when it cannot be read. */
function readPem(path: string, flag: string): string {
  try {
    return readFileSync(resolve(path), 'utf8')
  } catch (error) {
    throw new Error(`${flag} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8').replace(/\r?\n$/, '')
  } catch {
    return ''
  }
}

/** Configuration changes are audited in the case database like every other write. */
function audited(dataDir: string, action: string, detail: Record<string, unknown>): void {
  const store = CaseStore.open(databasePath(dataDir))
  try {
    store.audit.append('cli', action, null, detail)
  } finally {
    store.close()
  }
}

/**
 * `cxr-lens reid …`: the site's sealed re-identification link. keygen and open run on the data
 * protection officer's machine and touch no data folder; the rest work on the workstation's.
 */
export function runReid(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'public-key': { type: 'string' },
      key: { type: 'string' },
      out: { type: 'string' },
      rsa: { type: 'boolean' },
      'passphrase-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  const [what, file] = positionals
  const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json) : text)
  switch (what) {
    case 'keygen': {
      if (!values.out) throw new UsageError(`reid keygen needs --out DIR\nusage: ${REID_USAGE}`)
      const dir = resolve(values.out)
      const privateFile = join(dir, 'reid-private.pem')
      const publicFile = join(dir, 'reid-public.pem')
      for (const f of [privateFile, publicFile])
        if (existsSync(f))
          throw new Error(`${f} already exists; a key pair is never overwritten (records sealed to it would become unreadable)`)
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      const passphrase = values['passphrase-stdin'] ? readStdin() : undefined
      if (passphrase === '') throw new Error('--passphrase-stdin read an empty passphrase from standard input')
      const pair = generateSealingKeyPair(values.rsa ? 'rsa' : 'x25519', passphrase)
      writeFileSync(privateFile, pair.privatePem, { mode: 0o600, flag: 'wx' })
      writeFileSync(publicFile, pair.publicPem, { mode: 0o644, flag: 'wx' })
      print(
        { privateKey: privateFile, publicKey: publicFile, keyId: pair.kid },
        `wrote the private key ${privateFile} (keep it off the workstation) and the public key ${publicFile}; key id ${pair.kid}\n` +
          `on the workstation: cxr-lens reid enable --public-key reid-public.pem`,
      )
      return 0
    }
    case 'open': {
      if (!values.key || !file) throw new UsageError(`reid open needs --key PRIVATE.pem and the sealed FILE\nusage: ${REID_USAGE}`)
      const key = privateKeyFromPem(readPem(values.key, '--key'), values.key, values['passphrase-stdin'] ? readStdin() : undefined)
      const lines = openSealedFile(resolve(file), key)
      const records = lines.flatMap((l) => ('record' in l ? [l.record] : []))
      const failed = lines.flatMap((l) => ('error' in l ? [{ line: l.line, reason: l.error }] : []))
      if (values.json) console.log(JSON.stringify({ file: resolve(file), records, failed }))
      else {
        console.log(
          ['source', 'at', 'patient', 'image', 'patientName', 'patientId', 'birthDate', 'sopInstanceUid', 'studyInstanceUid'].join('\t'),
        )
        for (const r of records)
          console.log(
            [
              r.source,
              r.at,
              r.patient ?? '',
              r.image ?? '',
              r.original.patientName ?? '',
              r.original.patientId ?? '',
              r.original.birthDate ?? '',
              r.original.sopInstanceUid ?? '',
              r.original.studyInstanceUid ?? '',
            ].join('\t'),
          )
      }
      for (const f of failed) console.error(`${resolve(file)} line ${f.line}: ${f.reason}`)
      return failed.length ? 1 : 0
    }
    case 'enable': {
      if (!values['public-key']) throw new UsageError(`reid enable needs --public-key FILE\nusage: ${REID_USAGE}`)
      const dataDir = resolveDataDir(args)
      mkdirSync(dataDir, { recursive: true })
      const result = enableReidentification(dataDir, readPem(values['public-key'], '--public-key'), values['public-key'])
      audited(dataDir, 'reid.enable', result)
      print(
        result,
        `re-identification on: records are sealed to key ${result.keyId} (${result.algorithm})${result.legacySealed ? `; sealed ${result.legacySealed} record(s) of the old plaintext table and removed it` : ''}`,
      )
      return 0
    }
    case 'disable': {
      const dataDir = resolveDataDir(args)
      const was = disableReidentification(dataDir)
      if (was) audited(dataDir, 'reid.disable', {})
      print(
        { disabled: was },
        was
          ? 're-identification off: imports write no re-identification data (records sealed so far stay in the sealed file)'
          : 're-identification was already off',
      )
      return 0
    }
    case 'seal': {
      if (!values['public-key']) throw new UsageError(`reid seal needs --public-key FILE\nusage: ${REID_USAGE}`)
      const dataDir = resolveDataDir(args)
      const recipient = recipientFromPem(readPem(values['public-key'], '--public-key'), values['public-key'])
      const result = sealLegacyTable(dataDir, recipient)
      if (result.removed) audited(dataDir, 'reid.seal-legacy', { sealed: result.sealed, keyId: recipient.kid })
      print(
        { ...result, keyId: recipient.kid },
        result.removed
          ? `sealed ${result.sealed} record(s) of ${result.removed} to key ${recipient.kid} and removed the plaintext`
          : 'no plaintext re-identification table to seal',
      )
      return 0
    }
    case 'status': {
      const status = reidentificationStatus(resolveDataDir(args))
      print(
        status,
        [
          status.enabled
            ? `re-identification on, sealed to key ${status.keyId}`
            : 're-identification off (no re-identification data is written)',
          status.sealedFile ? `sealed file: ${status.sealedFile} (${status.sealedBytes} bytes)` : 'sealed file: none',
          ...status.warnings.map((w) => `WARNING: ${w}`),
        ].join('\n'),
      )
      return status.warnings.length ? 1 : 0
    }
    default:
      throw new UsageError(`reid what? status, enable, disable, seal, keygen or open\nusage: ${REID_USAGE}`)
  }
}
