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
