/**
 * Who a connection is: one Session per WebSocket connection (browser mode) or per window's page
 * (IPC, reset when the page reloads or navigates). A connection starts anonymous; `readers:login`
 * binds it to a reader and every write takes its reader from here, never from the request.
 */
export interface Session {
  readerId: number | null
}

export function createSession(): Session {
  return { readerId: null }
}

/** What the dispatcher hands every handler besides the validated request. */
export interface RequestContext {
  session: Session
}

/** The session's reader for a write; access.ts has refused an anonymous connection before the handler runs. */
export function writingReader(context: RequestContext): number {
  const id = context.session.readerId
  if (id === null) throw new Error('internal: a write reached its handler without a session reader')
  return id
}
