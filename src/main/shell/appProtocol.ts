/**
 * Electron glue for the app's custom protocol (the only shell file besides index.ts and window.ts
 * that imports electron, because `protocol` must be touched twice at fixed points of the app's
 * life: before ready, and once ready). What is served, and what is refused, is decided in
 * rendererFiles.ts under plain Node, where the unit tests run it.
 */
import { protocol } from 'electron'
import { APP_SCHEME } from './appOrigin'
import { serveRendererFile } from './rendererFiles'

/**
 * Must run before the app is ready. `standard` gives the scheme a real origin (relative URLs,
 * localStorage, CSP 'self'); `secure` makes it a secure context like https; `supportFetchAPI` lets
 * module scripts load. Not `corsEnabled` (no other origin may read it), not `bypassCSP`.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ])
}

/** Serves `rendererRoot` (out/renderer, inside app.asar when packaged) on the app scheme. */
export function serveAppProtocol(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, (request) => serveRendererFile(rendererRoot, request))
}
