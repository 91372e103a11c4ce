import { APP_ENTRY_URL } from './appOrigin'

export interface RendererUrlChoice {
  url: string
  /** Why a dev-server URL in the environment was not used; printed once so a developer sees it. */
  ignored?: string
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Which URL the main window loads. `ELECTRON_RENDERER_URL` (set by `electron-vite dev`) is honoured
 * only in an unpackaged app and only for an http(s) dev server on this machine: the loaded page gets
 * `window.api`, so in an installed app an environment variable must never decide which code that is.
 * `packaged` is true unless Electron says otherwise, so a missing flag fails closed.
 */
export function chooseRendererUrl(env: Record<string, string | undefined>, packaged: boolean | undefined): RendererUrlChoice {
  const devUrl = env.ELECTRON_RENDERER_URL
  if (!devUrl) return { url: APP_ENTRY_URL }
  if (packaged !== false) return { url: APP_ENTRY_URL, ignored: 'ELECTRON_RENDERER_URL is ignored in a packaged app' }
  if (!isLoopbackHttpUrl(devUrl)) {
    return { url: APP_ENTRY_URL, ignored: `ELECTRON_RENDERER_URL ${JSON.stringify(devUrl)} is not an http(s) URL on this machine; ignored` }
  }
  return { url: devUrl }
}

function isLoopbackHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    const loopback = LOOPBACK_HOSTS.has(parsed.hostname) || /^127(\.\d{1,3}){3}$/.test(parsed.hostname)
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && loopback && !parsed.username && !parsed.password
  } catch {
    return false
  }
}
