/**
 * The DICOMweb client against a tiny local HTTP server that speaks bad DICOMweb: a multipart answer
 * with a non-DICOM part, a retrieve cut off half way, JSON that is not DICOM JSON, a server that never
 * answers, the credentials it is sent; and a pull through it (per-instance and per-study failures in
 * the summary, Cancel keeping what committed).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImportCancelledError } from '../../src/main/cases/importSource'
import { DicomwebClient } from '../../src/main/pacs/dicomwebClient'
import { PacsBadResponseError, PacsTruncatedError, PacsUnauthorizedError, PacsUnreachableError } from '../../src/main/pacs/pacsErrors'
import { pullStudies } from '../../src/main/pacs/pacsPull'
import { CaseStore } from '../../src/main/store/caseStore'
import { HAS_NIH, tempDir } from './helpers'
import { buildTestInstances, type TestInstance } from './pacsStudies'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let handler: Handler = (_req, res) => res.end()
let server: Server
let url: string
let instances: TestInstance[] = []
const dir = tempDir('cxr-dicomweb-')

const STUDY = '1.2.3.4'
const SERIES = '1.2.3.4.1'
const BOUNDARY = 'bad-dicomweb-0123'

function partBytes(type: string, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Type: ${type}\r\n\r\n`), Buffer.from(bytes), Buffer.from('\r\n')])
}

function multipartHead(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` })
}

/** QIDO series of STUDY: one DX series of `count` instances. */
function seriesAnswer(res: ServerResponse, count: number): void {
  res.writeHead(200, { 'Content-Type': 'application/dicom+json' })
  res.end(
    JSON.stringify([
      { '00080060': { vr: 'CS', Value: ['DX'] }, '0020000E': { vr: 'UI', Value: [SERIES] }, '00201209': { vr: 'IS', Value: [count] } },
    ]),
  )
}

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`
  if (HAS_NIH) instances = await buildTestInstances()
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  dir.cleanup()
})

const client = (options = {}) => new DicomwebClient({ name: 'bad', url, auth: { kind: 'bearer', token: 'tok-123' } }, options)

describe('DicomwebClient against bad DICOMweb', () => {
  it('sends the credentials and Accept it promises', async () => {
    let seen: IncomingMessage | null = null
    handler = (req, res) => {
      seen = req
      res.writeHead(204).end()
    }
    expect(await client().searchStudies({ since: '20240101', patientId: 'X1' })).toEqual([])
    expect(seen!.headers.authorization).toBe('Bearer tok-123')
    expect(seen!.headers.accept).toBe('application/dicom+json')
    expect(seen!.url).toMatch(/^\/dicom-web\/studies\?StudyDate=20240101-&PatientID=X1&includefield=/)
    const basic = new DicomwebClient({ name: 'b', url, auth: { kind: 'basic', user: 'ann', password: 'pä:ss' } })
    await basic.searchStudies({})
    expect(seen!.headers.authorization).toBe(`Basic ${Buffer.from('ann:pä:ss').toString('base64')}`)
  })

  it('refuses a multipart answer with a non-DICOM part, after handing on the DICOM part before it', async () => {
    handler = (_req, res) => {
      multipartHead(res)
      res.end(
        Buffer.concat([
          partBytes('application/dicom', Buffer.from('first')),
          partBytes('text/html', Buffer.from('<h1>proxy</h1>')),
          Buffer.from(`--${BOUNDARY}--`),
        ]),
      )
    }
    const seen: string[] = []
    const error = await client()
      .retrieveStudy(STUDY, async (bytes) => void seen.push(Buffer.from(bytes).toString()))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PacsBadResponseError)
    expect(error).toMatchObject({ code: 'bad_response', pacs: 'bad' })
    expect((error as Error).message).toBe(
      `PACS bad: WADO-RS GET /studies/${STUDY}: part 2 is text/html, not application/dicom (its bytes are not used)`,
    )
    expect(seen).toEqual(['first'])
  })

  it('says "truncated" for a retrieve cut off half way (connection closed) and for a body without its closing boundary', async () => {
    handler = (_req, res) => {
      multipartHead(res)
      res.write(partBytes('application/dicom', Buffer.alloc(3000, 1)))
      res.write(Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.alloc(1500, 2)]))
      setTimeout(() => res.socket?.destroy(), 20)
    }
    const error = await client()
      .retrieveStudy(STUDY, async () => undefined)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PacsTruncatedError)
    expect(error).toMatchObject({ code: 'truncated', partsReceived: 1 })
    expect((error as Error).message).toMatch(/^PACS bad: WADO-RS GET \/studies\/1\.2\.3\.4: the answer was cut off after 1 complete part/)
    handler = (_req, res) => {
      multipartHead(res)
      res.end(partBytes('application/dicom', Buffer.alloc(10, 1)))
    }
    await expect(client().retrieveStudy(STUDY, async () => undefined)).rejects.toMatchObject({ code: 'truncated' })
  })

  it('refuses JSON that is not DICOM JSON, a non-JSON answer, and a part over maxPartBytes', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/dicom+json' })
      res.end(JSON.stringify([{ PatientName: 'x' }]))
    }
    await expect(client().searchStudies({})).rejects.toThrow(
      /PACS bad: QIDO-RS GET \/studies: not DICOM JSON: entry 1 has the key "PatientName"/,
    )
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end('<html>login</html>')
    }
    await expect(client().studyMetadata(STUDY)).rejects.toThrow(/the answer is text\/html, not application\/dicom\+json/)
    handler = (_req, res) => {
      multipartHead(res)
      res.end(Buffer.concat([partBytes('application/dicom', Buffer.alloc(5000)), Buffer.from(`--${BOUNDARY}--`)]))
    }
    await expect(client({ maxPartBytes: 4096 }).retrieveStudy(STUDY, async () => undefined)).rejects.toMatchObject({
      code: 'bad_response',
      message: expect.stringMatching(/larger than/),
    })
  })

  it('maps 401/403 to unauthorized, other statuses to bad_response, and silence to unreachable', async () => {
    handler = (_req, res) => res.writeHead(403).end()
    await expect(client().searchStudies({})).rejects.toBeInstanceOf(PacsUnauthorizedError)
    handler = (_req, res) => res.writeHead(502, 'Bad Gateway').end()
    await expect(client().searchStudies({ patientId: 'SECRET-ID' })).rejects.toThrow(
      /^PACS bad: QIDO-RS GET \/studies: answered 502 Bad Gateway$/,
    )
    handler = () => undefined // never answers
    const silent = await client({ timeoutMs: 300 })
      .searchStudies({})
      .catch((e: unknown) => e)
    expect(silent).toBeInstanceOf(PacsUnreachableError)
    expect((silent as Error).message).toMatch(/no answer within/)
  })

  it('the timeout is for a silent PACS, not for a slow import: a consumer slower than timeoutMs still gets every part', async () => {
    handler = (_req, res) => {
      multipartHead(res)
      res.end(
        Buffer.concat([
          partBytes('application/dicom', Buffer.from('a')),
          partBytes('application/dicom', Buffer.from('b')),
          Buffer.from(`--${BOUNDARY}--`),
        ]),
      )
    }
    const seen: string[] = []
    // The limit also covers connecting and the answer's headers: 600 ms, not less, so that a loaded
    // machine's slow first answer is not taken for a silent PACS; the consumer is slower than it.
    const result = await client({ timeoutMs: 600 }).retrieveStudy(STUDY, async (bytes) => {
      await new Promise((resolve) => setTimeout(resolve, 800))
      seen.push(Buffer.from(bytes).toString())
    })
    expect(result).toEqual({ parts: 2 })
    expect(seen).toEqual(['a', 'b'])
  })

  it('a cancel aborts a retrieve as AbortError, not as a PACS fault', async () => {
    handler = (_req, res) => {
      multipartHead(res)
      // A part is complete once the next delimiter arrives; then the answer stalls.
      res.write(Buffer.concat([partBytes('application/dicom', Buffer.alloc(100)), Buffer.from(`--${BOUNDARY}\r\n`)]))
    }
    const controller = new AbortController()
    const error = await client()
      .retrieveStudy(STUDY, async () => controller.abort(), controller.signal)
      .catch((e: unknown) => e)
    expect((error as Error).name).toBe('AbortError')
  })
})

describe('DicomwebClient after a garbage collection', () => {
  // fetch follows its signal through a WeakRef that a collection clears (dicomwebTransport.ts): then
  // neither a cancel nor the timeout ended a download, and the Cancel test below hung 2 runs in 17 on
  // a loaded machine (whenever a collection fell between the answer and the cancel). Forced here.
  setFlagsFromString('--expose-gc')
  const collect = () => {
    const gc = runInNewContext('gc') as () => void
    gc()
    gc()
  }
  const stalled: Handler = (_req, res) => {
    multipartHead(res)
    res.write(Buffer.concat([partBytes('application/dicom', Buffer.alloc(100)), Buffer.from(`--${BOUNDARY}\r\n`)]))
  }

  it('a cancel still ends a download', async () => {
    handler = stalled
    const controller = new AbortController()
    const error = await client({ timeoutMs: 60_000 })
      .retrieveStudy(
        STUDY,
        async () => {
          collect()
          controller.abort()
        },
        controller.signal,
      )
      .catch((e: unknown) => e)
    expect((error as Error).name).toBe('AbortError')
  }, 10_000)

  it('a PACS silent mid-body still times out, and one that never answers too', async () => {
    handler = stalled
    const error = await client({ timeoutMs: 300 })
      .retrieveStudy(STUDY, async () => collect())
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PacsUnreachableError)
    expect((error as Error).message).toMatch(/no further bytes within/)
    handler = () => undefined
    const silent = client({ timeoutMs: 300 })
      .searchStudies({})
      .catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 50))
    collect()
    expect(await silent).toBeInstanceOf(PacsUnreachableError)
  }, 10_000)
})

describe.skipIf(!HAS_NIH)('pull through bad DICOMweb', () => {
  it('a retrieve cut off half way keeps the instances before the cut and lists the study as failed; a non-image part fails that instance only', async () => {
    handler = (req, res) => {
      if (req.url!.includes('/series?')) return seriesAnswer(res, 3)
      multipartHead(res)
      res.write(partBytes('application/dicom', instances[0].bytes))
      res.write(partBytes('application/dicom', Buffer.from('DICM? no: a DICOM part that is not a Part 10 file')))
      res.write(Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`))
      res.write(Buffer.from(instances[1].bytes).subarray(0, 1000))
      setTimeout(() => res.socket?.destroy(), 20)
    }
    const dataDir = join(dir.path, 'cut')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    try {
      const summary = await pullStudies(store, dataDir, client(), { studies: [STUDY] })
      expect(summary).toMatchObject({ imported: 1, duplicates: 0, scanned: 2 })
      expect(summary.failed).toHaveLength(2)
      expect(summary.failed).toEqual(
        expect.arrayContaining([
          { name: `study ${STUDY}, instance 2`, reason: 'not a DICOM Part 10 file (no DICM marker)' },
          { name: `study ${STUDY}`, reason: expect.stringMatching(/the answer was cut off after 2 complete part/) },
        ]),
      )
    } finally {
      store.close()
    }
  })

  it('Cancel stops the download and keeps what committed (ImportCancelledError with the partial summary)', async () => {
    handler = (req, res) => {
      if (req.url!.includes('/series?')) return seriesAnswer(res, 4)
      multipartHead(res)
      // One complete part (the next delimiter has arrived), then nothing: the reader cancels.
      res.write(Buffer.concat([partBytes('application/dicom', instances[2].bytes), Buffer.from(`--${BOUNDARY}\r\n`)]))
    }
    const dataDir = join(dir.path, 'cancel')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    const controller = new AbortController()
    try {
      const error = await pullStudies(
        store,
        dataDir,
        client(),
        { studies: [STUDY] },
        {
          signal: controller.signal,
          batchSize: 1,
          onProgress: (done) => done >= 1 && controller.abort(),
        },
      ).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ImportCancelledError)
      expect((error as ImportCancelledError).partial).toMatchObject({ imported: 1 })
      expect(store.worklist.query({}).total).toBe(1)
      expect(store.audit.entries(null).at(-1)).toMatchObject({ action: 'cases.import.pacs', detail: { imported: 1, cancelled: true } })
    } finally {
      store.close()
    }
  })
})
