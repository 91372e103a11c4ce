/**
 * Electron glue for the app's custom protocol, kept with the other Electron registrations in ipc/
 * (`protocol` is touched twice at fixed points of the app's life: before ready, and once ready).
 * What is served, and what is refused, is decided in shell/rendererFiles.ts under plain Node,
 * where the unit tests run it.
 */
import { protocol } from 'electron'
import { APP_SCHEME } from '../shell/appOrigin'
import { serveRendererFile } from '../shell/rendererFiles'

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
