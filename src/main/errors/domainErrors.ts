/** Errors a handler throws on purpose; the dispatcher maps them to typed error codes. */
export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} was not found`)
    this.name = 'NotFoundError'
  }
}

export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedError'
  }
}

/** A valid request the caller may not make (e.g. editing another reader's box). */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ForbiddenError'
  }
}
