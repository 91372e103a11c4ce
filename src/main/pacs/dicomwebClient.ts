/**
 * A small DICOMweb client on Node's global fetch (no browser XHR, so not `dicomweb-client`), for
 * what CXR Lens asks of a PACS. Of DICOM PS3.18 it implements:
 * - QIDO-RS (§10.6): search for studies (`GET {root}/studies`), series of a study and instances of
 *   a study, answered in the DICOM JSON model (Annex F; `application/dicom+json`, 204 = no match);
 * - WADO-RS (§10.4): retrieve a study, a series or one instance as `multipart/related;
 *   type="application/dicom"` (read as a stream, part by part, bounded in memory: multipart.ts),
 *   and a study's metadata (DICOM JSON, one object per instance);
 * - STOW-RS (§10.5): store instances in a study (`POST {root}/studies/{uid}`, multipart/related),
 *   reading the Store Instances Response's Referenced and Failed SOP Sequences.
 * Authentication: none, HTTP Basic, or a bearer token. Every failure is a named PacsError
 * (pacsErrors.ts) naming the connection and the request; request paths in messages never carry the
 * query string, where a reader's typed patient ID travels.
 */
import { randomBytes } from 'node:crypto'
import type { StudyMatch, StudyQuery } from '../../shared/pacs'
import { allStrings, dicomJsonProblem, firstNumber, firstString, TAGS, type DicomJsonObject } from './dicomJson'
import { boundaryOf, MultipartError, parseMediaType, readMultipart } from './multipart'
import {
  PacsBadResponseError,
  PacsError,
  PacsNotFoundError,
  PacsTruncatedError,
  PacsUnauthorizedError,
  PacsUnreachableError,
} from './pacsErrors'
import {
  authorization,
  bodyChunks,
  cancelledError,
  Deadline,
  isAbort,
  isUid,
  networkReason,
  releaseLateAnswer,
  untilAborted,
  type PacsAuth,
} from './dicomwebTransport'

export { authKind, authorization, isUid, type PacsAuth } from './dicomwebTransport'

export type { StudyMatch, StudyQuery }

export interface PacsEndpoint {
  name: string
  /** DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web */
  url: string
  auth: PacsAuth
}

export interface StoreResult {
  stored: string[]
  failed: Array<{ sopInstanceUid: string; reason: number | null }>
  /** the HTTP status: 200 all stored, 202 some not, 409 none */
  status: number
}

export interface DicomwebOptions {
  /** no answer (or no further bytes of one) for this long: unreachable (default 30 s) */
  timeoutMs?: number
  /** the largest instance accepted in a multipart answer (default 512 MiB) */
  maxPartBytes?: number
  fetch?: typeof fetch
}

export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_PART_BYTES = 512 * 1024 * 1024
/** A DICOM JSON answer larger than this is refused (a study's metadata of thousands of instances fits). */
const MAX_JSON_BYTES = 64 * 1024 * 1024
const DICOM_JSON = 'application/dicom+json'
const MULTIPART_DICOM = 'multipart/related; type="application/dicom"'

interface Sent {
  response: Response
  deadline: Deadline
  label: string
}

export class DicomwebClient {
  readonly name: string
  private readonly root: string
  private readonly timeoutMs: number
  private readonly maxPartBytes: number
  private readonly fetchFn: typeof fetch
  private readonly auth: string | null

  constructor(endpoint: PacsEndpoint, options: DicomwebOptions = {}) {
    this.name = endpoint.name
    this.root = endpoint.url.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.maxPartBytes = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES
    this.fetchFn = options.fetch ?? fetch
    this.auth = authorization(endpoint.auth)
  }

  /**
   * One HTTP exchange with the status mapped to named errors. The deadline stays armed while the
   * caller reads the body (touch it per chunk); the caller calls deadline.done().
   */
  private async send(
    service: string,
    method: 'GET' | 'POST',
    path: string,
    init: { accept: string; query?: URLSearchParams; body?: Uint8Array; contentType?: string; okStatuses?: number[] },
    signal?: AbortSignal,
  ): Promise<Sent> {
    const label = `${service} ${method} ${path}`
    const url = `${this.root}${path}${init.query && [...init.query.keys()].length ? `?${init.query}` : ''}`
    const headers: Record<string, string> = { Accept: init.accept }
    if (this.auth) headers.Authorization = this.auth
    if (init.contentType) headers['Content-Type'] = init.contentType
    const deadline = new Deadline(this.timeoutMs, signal)
    const answer = this.fetchFn(url, { method, headers, body: init.body, signal: deadline.controller.signal, redirect: 'error' })
    let response: Response
    try {
      response = await untilAborted(answer, deadline.controller.signal)
    } catch (error) {
      if (deadline.controller.signal.aborted) releaseLateAnswer(answer)
      deadline.done()
      if (deadline.cancelled) throw cancelledError()
      if (deadline.timedOut) throw new PacsUnreachableError(this.name, label, `no answer within ${Math.round(this.timeoutMs / 1000)} s`)
      throw new PacsUnreachableError(this.name, label, networkReason(error))
    }
    const status = response.status
    if ((status >= 200 && status < 300) || init.okStatuses?.includes(status)) return { response, deadline, label }
    await response.body?.cancel().catch(() => undefined)
    deadline.done()
    if (status === 401 || status === 403) throw new PacsUnauthorizedError(this.name, label, status)
    if (status === 404) throw new PacsNotFoundError(this.name, label)
    throw new PacsBadResponseError(this.name, label, `answered ${status} ${response.statusText}`.trim())
  }

  /** Reads a body of at most `max` bytes, touching the deadline per chunk. */
  private async bodyBytes(sent: Sent, max: number): Promise<Buffer> {
    const chunks: Buffer[] = []
    let size = 0
    try {
      if (!sent.response.body) return Buffer.alloc(0)
      for await (const chunk of bodyChunks(sent.response.body, sent.deadline)) {
        size += chunk.byteLength
        if (size > max) {
          await sent.response.body.cancel().catch(() => undefined)
          throw new PacsBadResponseError(this.name, sent.label, `the answer is larger than ${Math.round(max / 1024 / 1024)} MiB`)
        }
        chunks.push(Buffer.from(chunk))
      }
      return Buffer.concat(chunks, size)
    } catch (error) {
      throw this.streamError(error, sent, 0)
    } finally {
      sent.deadline.done()
    }
  }

  /** What a failure while reading a body means: cancelled, timed out, or cut off. */
  private streamError(error: unknown, sent: Sent, parts: number): unknown {
    if (error instanceof PacsError) return error
    if (sent.deadline.cancelled || (isAbort(error) && !sent.deadline.timedOut)) return cancelledError()
    if (sent.deadline.timedOut)
      return new PacsUnreachableError(this.name, sent.label, `no further bytes within ${Math.round(this.timeoutMs / 1000)} s`)
    if (error instanceof MultipartError) {
      if (error.fault === 'truncated') return new PacsTruncatedError(this.name, sent.label, error.parts)
      return new PacsBadResponseError(this.name, sent.label, error.message)
    }
    // undici: "terminated" (the other side closed) and friends, after the headers arrived.
    return new PacsTruncatedError(this.name, sent.label, parts)
  }

  private async dicomJson(service: string, path: string, query?: URLSearchParams): Promise<DicomJsonObject[]> {
    const sent = await this.send(service, 'GET', path, { accept: DICOM_JSON, query })
    if (sent.response.status === 204) {
      sent.deadline.done()
      return []
    }
    const type = parseMediaType(sent.response.headers.get('content-type') ?? '').type
    if (type !== DICOM_JSON && type !== 'application/json') {
      await sent.response.body?.cancel().catch(() => undefined)
      sent.deadline.done()
      throw new PacsBadResponseError(this.name, sent.label, `the answer is ${type || 'untyped'}, not ${DICOM_JSON}`)
    }
    const text = (await this.bodyBytes(sent, MAX_JSON_BYTES)).toString('utf8')
    let json: unknown
    try {
      json = text.trim() === '' ? [] : JSON.parse(text)
    } catch {
      throw new PacsBadResponseError(this.name, sent.label, 'the answer is not valid JSON')
    }
    const problem = dicomJsonProblem(json)
    if (problem) throw new PacsBadResponseError(this.name, sent.label, `not DICOM JSON: ${problem}`)
    // PS3.18 F.2 writes tags in upper case; some servers do not.
    return (json as DicomJsonObject[]).map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k.toUpperCase(), v])))
  }

  private uid(value: string, what: string): string {
    if (!isUid(value)) throw new PacsBadResponseError(this.name, `${what}`, `"${value.slice(0, 80)}" is not a DICOM UID`)
    return value
  }

  /** QIDO-RS study search. The results are for showing; the caller stores none of them. */
  async searchStudies(query: StudyQuery): Promise<StudyMatch[]> {
    const params = new URLSearchParams()
    if (query.since || query.until) params.set('StudyDate', `${query.since ?? ''}-${query.until ?? ''}`)
    if (query.modality) params.set('ModalitiesInStudy', query.modality)
    if (query.accession) params.set('AccessionNumber', query.accession)
    if (query.patientId) params.set('PatientID', query.patientId)
    for (const tag of [
      TAGS.StudyDate,
      TAGS.AccessionNumber,
      TAGS.ModalitiesInStudy,
      TAGS.StudyDescription,
      TAGS.NumberOfStudyRelatedInstances,
    ])
      params.append('includefield', tag)
    if (query.limit !== undefined) params.set('limit', String(query.limit))
    if (query.offset) params.set('offset', String(query.offset))
    const items = await this.dicomJson('QIDO-RS', '/studies', params)
    return items.map((item) => {
      const uid = firstString(item, TAGS.StudyInstanceUID)
      if (!uid || !isUid(uid))
        throw new PacsBadResponseError(this.name, 'QIDO-RS GET /studies', 'a study in the answer has no valid StudyInstanceUID')
      return {
        studyInstanceUid: uid,
        date: firstString(item, TAGS.StudyDate),
        modalities: allStrings(item, TAGS.ModalitiesInStudy),
        instances: firstNumber(item, TAGS.NumberOfStudyRelatedInstances),
        accession: firstString(item, TAGS.AccessionNumber),
        description: firstString(item, TAGS.StudyDescription),
      }
    })
  }

  /** QIDO-RS: the series of a study (DICOM JSON), with their modality. */
  searchSeries(studyUid: string): Promise<Record<string, unknown>[]> {
    const params = new URLSearchParams()
    for (const tag of [TAGS.Modality, TAGS.SeriesInstanceUID, TAGS.NumberOfSeriesRelatedInstances]) params.append('includefield', tag)
    return this.dicomJson('QIDO-RS', `/studies/${this.uid(studyUid, 'QIDO-RS study')}/series`, params)
  }

  /** QIDO-RS: the instances of a study (DICOM JSON). */
  searchInstances(studyUid: string, query: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
    return this.dicomJson('QIDO-RS', `/studies/${this.uid(studyUid, 'QIDO-RS study')}/instances`, new URLSearchParams(query))
  }

  /** WADO-RS: a study's metadata, one DICOM JSON object per instance. */
  studyMetadata(studyUid: string): Promise<Record<string, unknown>[]> {
    return this.dicomJson('WADO-RS', `/studies/${this.uid(studyUid, 'WADO-RS study')}/metadata`)
  }

  /**
   * WADO-RS multipart retrieve: each instance is handed to `onPart` as it arrives (awaited, so a slow
   * import slows the download instead of filling memory). `transfer-syntax=*`: as stored, so the
   * same instance gives the same bytes on every pull (a re-pull is then all duplicates).
   */
  private async retrieve(
    path: string,
    onPart: (bytes: Uint8Array, index: number) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<{ parts: number }> {
    const sent = await this.send('WADO-RS', 'GET', path, { accept: `${MULTIPART_DICOM}; transfer-syntax=*` }, signal)
    let parts = 0
    try {
      const media = parseMediaType(sent.response.headers.get('content-type') ?? '')
      if (media.type !== 'multipart/related')
        throw new PacsBadResponseError(this.name, sent.label, `the answer is ${media.type || 'untyped'}, not multipart/related`)
      const boundary = boundaryOf(media)
      const body = sent.response.body
      if (!body) throw new PacsTruncatedError(this.name, sent.label, 0)
      await readMultipart(
        bodyChunks(body, sent.deadline),
        boundary,
        async (part) => {
          // Decoding may take longer than the timeout; the PACS is not silent meanwhile, we are.
          sent.deadline.pause()
          await onPart(part.body, part.index)
          parts++
          sent.deadline.touch()
        },
        { maxPartBytes: this.maxPartBytes, partType: 'application/dicom', defaultType: media.params.type ?? 'application/dicom' },
      )
      return { parts }
    } catch (error) {
      await sent.response.body?.cancel().catch(() => undefined)
      throw this.streamError(error, sent, parts)
    } finally {
      sent.deadline.done()
    }
  }

  retrieveStudy(
    studyUid: string,
    onPart: (bytes: Uint8Array, index: number) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<{ parts: number }> {
    return this.retrieve(`/studies/${this.uid(studyUid, 'WADO-RS study')}`, onPart, signal)
  }

  retrieveSeries(
    studyUid: string,
    seriesUid: string,
    onPart: (bytes: Uint8Array, index: number) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<{ parts: number }> {
    return this.retrieve(`/studies/${this.uid(studyUid, 'WADO-RS study')}/series/${this.uid(seriesUid, 'WADO-RS series')}`, onPart, signal)
  }

  async retrieveInstance(studyUid: string, seriesUid: string, sopUid: string, signal?: AbortSignal): Promise<Uint8Array> {
    const path = `/studies/${this.uid(studyUid, 'WADO-RS study')}/series/${this.uid(seriesUid, 'WADO-RS series')}/instances/${this.uid(sopUid, 'WADO-RS instance')}`
    let bytes: Uint8Array | null = null
    const { parts } = await this.retrieve(
      path,
      async (part) => {
        bytes ??= part
      },
      signal,
    )
    if (!bytes || parts !== 1) throw new PacsBadResponseError(this.name, `WADO-RS GET ${path}`, `expected one instance, got ${parts}`)
    return bytes
  }

  /** STOW-RS: stores the instances (DICOM Part 10 bytes) in the study; what the PACS says it stored and refused. */
  async store(studyUid: string, instances: Uint8Array[]): Promise<StoreResult> {
    const boundary = `cxrlens-${randomBytes(12).toString('hex')}`
    const pieces: Buffer[] = []
    for (const instance of instances)
      pieces.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(instance), Buffer.from('\r\n'))
    pieces.push(Buffer.from(`--${boundary}--\r\n`))
    const sent = await this.send('STOW-RS', 'POST', `/studies/${this.uid(studyUid, 'STOW-RS study')}`, {
      accept: DICOM_JSON,
      body: Buffer.concat(pieces),
      contentType: `${MULTIPART_DICOM}; boundary=${boundary}`,
      okStatuses: [409],
    })
    const status = sent.response.status
    const text = (await this.bodyBytes(sent, MAX_JSON_BYTES)).toString('utf8')
    let json: unknown = {}
    try {
      json = text.trim() ? JSON.parse(text) : {}
    } catch {
      throw new PacsBadResponseError(this.name, sent.label, 'the Store Instances Response is not valid JSON')
    }
    const object = (Array.isArray(json) ? json[0] : json) as DicomJsonObject | undefined
    if (!object || typeof object !== 'object' || dicomJsonProblem([object]))
      throw new PacsBadResponseError(this.name, sent.label, 'the Store Instances Response is not DICOM JSON')
    const upper = Object.fromEntries(Object.entries(object).map(([k, v]) => [k.toUpperCase(), v])) as DicomJsonObject
    const items = (tag: string) => (upper[tag]?.Value ?? []).filter((v): v is DicomJsonObject => !!v && typeof v === 'object')
    const stored = items('00081199')
      .map((i) => firstString(i, '00081155'))
      .filter((u): u is string => !!u)
    const failed = items('00081198').map((i) => ({ sopInstanceUid: firstString(i, '00081155') ?? '', reason: firstNumber(i, '00081197') }))
    return { stored, failed, status }
  }
}
