/**
 * What can go wrong talking to a PACS, as named errors: each carries the connection's name and a
 * `code` the CLI, the app and the pull summary act on, and its message names the PACS and the request
 * (method and path, never the query string: a reader's typed patient ID travels there).
 */
export type PacsErrorCode = 'unreachable' | 'unauthorized' | 'not_found' | 'bad_response' | 'truncated'

export class PacsError extends Error {
  constructor(
    readonly pacs: string,
    readonly code: PacsErrorCode,
    /** e.g. "QIDO-RS GET /studies" */
    readonly request: string,
    detail: string,
  ) {
    super(`PACS ${pacs}: ${request}: ${detail}`)
    this.name = 'PacsError'
  }
}

/** Down, connection refused, DNS failure, TLS failure, or no answer within the timeout. */
export class PacsUnreachableError extends PacsError {
  constructor(pacs: string, request: string, detail: string) {
    super(pacs, 'unreachable', request, detail)
    this.name = 'PacsUnreachableError'
  }
}

/** 401 or 403: wrong or missing credentials, or this user may not do that. */
export class PacsUnauthorizedError extends PacsError {
  constructor(
    pacs: string,
    request: string,
    readonly status: number,
  ) {
    super(
      pacs,
      'unauthorized',
      request,
      status === 401
        ? 'refused the credentials (401 Unauthorized): check the user and password or token (cxr-lens pacs add)'
        : 'refused the request (403 Forbidden): this account may not do that',
    )
    this.name = 'PacsUnauthorizedError'
  }
}

/** 404: no such study, series or instance (or no DICOMweb service at that URL). */
export class PacsNotFoundError extends PacsError {
  constructor(pacs: string, request: string, what = 'not found') {
    super(pacs, 'not_found', request, `${what} (404 Not Found)`)
    this.name = 'PacsNotFoundError'
  }
}

/** An answer that is not what DICOMweb promises: a part that is not application/dicom, broken multipart, JSON that is not DICOM JSON, an unexpected status. */
export class PacsBadResponseError extends PacsError {
  constructor(pacs: string, request: string, detail: string) {
    super(pacs, 'bad_response', request, detail)
    this.name = 'PacsBadResponseError'
  }
}

/** The answer stopped half way (the connection closed, or the multipart body ended without its closing boundary). */
export class PacsTruncatedError extends PacsError {
  constructor(
    pacs: string,
    request: string,
    readonly partsReceived: number,
  ) {
    super(pacs, 'truncated', request, `the answer was cut off after ${partsReceived} complete part(s); pull again to fetch the rest`)
    this.name = 'PacsTruncatedError'
  }
}
