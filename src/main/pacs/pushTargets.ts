import type { PacsResultsTransport } from './resultsTransport'

/**
 * The configured PACS connections results can be sent to, as the push handler sees them: their
 * names, and a client for one. The connections store (migration 007, `cxr-lens pacs add`) provides
 * it with DicomwebClient; with none configured there is nothing to send to and the app shows no
 * "Send to PACS" button.
 */
export interface PacsTargets {
  names(): string[]
  transport(name: string): PacsResultsTransport
}

export class UnknownPacsError extends Error {
  constructor(name: string, known: string[]) {
    super(
      known.length
        ? `No PACS named "${name}" is configured (configured: ${known.join(', ')})`
        : `No PACS is configured; add one with: cxr-lens pacs add --name NAME --url URL`,
    )
    this.name = 'UnknownPacsError'
  }
}

/** No connection configured. */
export const NO_PACS_TARGETS: PacsTargets = {
  names: () => [],
  transport: (name) => {
    throw new UnknownPacsError(name, [])
  },
}

/** The connections store as push targets: every listed connection (policy and user), a client for one. */
export function targetsOf(connections: { list(): Array<{ name: string }>; client(name: string): PacsResultsTransport }): PacsTargets {
  return {
    names: () => connections.list().map((c) => c.name),
    transport: (name) => connections.client(name),
  }
}
