/**
 * Which links the app may hand to the system browser (`shell.openExternal`). openExternal runs the
 * OS handler for whatever it is given (a `file:`, `smb:` or custom-scheme URL can start programs),
 * so only https pages under a listed prefix qualify. The renderer has no external links today, so
 * the shipped list is empty and every window.open is simply refused; add a prefix here (origin plus
 * path, ending in '/') when the UI gains a link that needs one.
 */
export const EXTERNAL_URL_ALLOWLIST: readonly string[] = []

export function isAllowedExternalUrl(url: string, allowlist: readonly string[] = EXTERNAL_URL_ALLOWLIST): boolean {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return false
  }
  if (target.protocol !== 'https:' || target.username || target.password) return false
  return allowlist.some((entry) => {
    const allowed = new URL(entry)
    return allowed.origin === target.origin && target.pathname.startsWith(allowed.pathname)
  })
}
