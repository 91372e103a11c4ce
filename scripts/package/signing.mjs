// Which code signing a release gets, read from the environment only: no certificate, password or
// account ever sits in electron-builder.yml or the repository. `scripts/dist.mjs` applies the plan
// before electron-builder runs (so a half-configured signature fails in seconds, naming the
// variable, not after a long build), and `npm run check:package` tests it without any secrets.
// docs/INSTALL.md (Code signing) documents the variables for IT.

/** Azure Trusted Signing: our names for the account settings electron-builder's azureSignOptions takes. */
export const AZURE_SETTINGS = {
  AZURE_TRUSTED_SIGNING_ENDPOINT: 'endpoint',
  AZURE_TRUSTED_SIGNING_ACCOUNT: 'codeSigningAccountName',
  AZURE_TRUSTED_SIGNING_PROFILE: 'certificateProfileName',
}
/** Optional: the certificate's subject, which electron-updater would compare. */
const AZURE_PUBLISHER = 'AZURE_TRUSTED_SIGNING_PUBLISHER'
/** Apple's notarytool accepts exactly one of these credential sets (electron-builder reads them itself). */
export const NOTARIZE_SETS = [
  ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'],
  ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'],
  ['APPLE_KEYCHAIN_PROFILE'],
]

const set = (env, name) => typeof env[name] === 'string' && env[name].trim() !== ''

/**
 * The Windows plan: an Authenticode certificate file (WIN_CSC_LINK or CSC_LINK, a .pfx path or
 * base64, with WIN_CSC_KEY_PASSWORD / CSC_KEY_PASSWORD), or Azure Trusted Signing (the
 * AZURE_TRUSTED_SIGNING_* settings plus the service principal Azure's EnvironmentCredential reads),
 * or none: an unsigned build with a notice.
 */
function windowsPlan(env) {
  const plan = { platform: 'win', method: 'unsigned', builderArgs: [], notices: [], errors: [] }
  const pfx = set(env, 'WIN_CSC_LINK') || set(env, 'CSC_LINK')
  const azureNames = [...Object.keys(AZURE_SETTINGS), AZURE_PUBLISHER].filter((name) => set(env, name))
  if (pfx && azureNames.length) {
    plan.errors.push(
      `Windows signing: both a certificate file (WIN_CSC_LINK/CSC_LINK) and Azure Trusted Signing (${azureNames.join(', ')}) are set; set one`,
    )
    return plan
  }
  if (azureNames.length) {
    plan.method = 'azure-trusted-signing'
    for (const name of Object.keys(AZURE_SETTINGS))
      if (!set(env, name))
        plan.errors.push(`Windows signing: ${name} is not set (Azure Trusted Signing needs ${Object.keys(AZURE_SETTINGS).join(', ')})`)
    for (const name of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID'])
      if (!set(env, name)) plan.errors.push(`Windows signing: ${name} is not set (the service principal that signs)`)
    if (!set(env, 'AZURE_CLIENT_SECRET') && !set(env, 'AZURE_CLIENT_CERTIFICATE_PATH'))
      plan.errors.push('Windows signing: neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set')
    if (plan.errors.length) return plan
    for (const [name, option] of Object.entries(AZURE_SETTINGS))
      plan.builderArgs.push(`-c.win.azureSignOptions.${option}=${env[name].trim()}`)
    if (set(env, AZURE_PUBLISHER)) plan.builderArgs.push(`-c.win.azureSignOptions.publisherName=${env[AZURE_PUBLISHER].trim()}`)
    plan.notices.push(
      'Windows: signing with Azure Trusted Signing (the TrustedSigning PowerShell module signs each executable and installer)',
    )
    return plan
  }
  if (pfx) {
    plan.method = 'authenticode-certificate'
    if (!set(env, 'WIN_CSC_KEY_PASSWORD') && !set(env, 'CSC_KEY_PASSWORD'))
      plan.notices.push('Windows: WIN_CSC_KEY_PASSWORD/CSC_KEY_PASSWORD is not set; the certificate file must have no password')
    plan.notices.push('Windows: signing with the Authenticode certificate in WIN_CSC_LINK/CSC_LINK (SHA-256, RFC 3161 timestamp)')
    return plan
  }
  plan.notices.push(
    'Windows: no WIN_CSC_LINK/CSC_LINK or AZURE_TRUSTED_SIGNING_* set: the installers are built UNSIGNED (SmartScreen warns; not for release)',
  )
  return plan
}

/**
 * The macOS plan: a Developer ID Application identity (CSC_LINK + CSC_KEY_PASSWORD as a .p12, or
 * CSC_NAME for one in the keychain; electron-builder also finds one in the keychain by itself) and
 * notarization with one complete credential set. Without an identity the app is left unsigned and
 * electron-builder skips notarization; a partial credential set is an error.
 */
function macPlan(env) {
  const plan = { platform: 'mac', method: 'unsigned', builderArgs: [], notices: [], errors: [] }
  const identity = set(env, 'CSC_LINK') || set(env, 'CSC_NAME')
  if (set(env, 'CSC_LINK') && set(env, 'CSC_NAME')) plan.errors.push('macOS signing: both CSC_LINK and CSC_NAME are set; set one')
  if (env.CSC_IDENTITY_AUTO_DISCOVERY === 'false' && !identity)
    plan.notices.push('macOS: CSC_IDENTITY_AUTO_DISCOVERY=false and no CSC_LINK/CSC_NAME: the app is built UNSIGNED')
  else if (!identity)
    plan.notices.push(
      'macOS: no CSC_LINK/CSC_NAME: electron-builder looks for a Developer ID Application identity in the keychain, else builds UNSIGNED',
    )
  else
    plan.notices.push(
      `macOS: signing with the Developer ID identity from ${set(env, 'CSC_LINK') ? 'CSC_LINK' : 'CSC_NAME'} (hardened runtime, build/entitlements.mac.plist)`,
    )
  if (identity) plan.method = 'developer-id'
  const started = NOTARIZE_SETS.filter((names) => names.some((name) => set(env, name)))
  if (started.length > 1)
    plan.errors.push(`macOS notarization: more than one credential set is started (${started.map((s) => s.join('+')).join('; ')}); set one`)
  else if (started.length === 1) {
    const missing = started[0].filter((name) => !set(env, name))
    if (missing.length)
      plan.errors.push(`macOS notarization: ${missing.join(', ')} not set (this credential set needs ${started[0].join(', ')})`)
    else plan.notices.push(`macOS: notarizing with ${started[0].join(' + ')} (notarytool; the ticket is stapled)`)
  } else
    plan.notices.push(
      'macOS: no APPLE_ID/APPLE_API_KEY/APPLE_KEYCHAIN_PROFILE set: notarization is skipped (Gatekeeper will refuse the download)',
    )
  return plan
}

function linuxPlan() {
  return {
    platform: 'linux',
    method: 'unsigned',
    builderArgs: [],
    errors: [],
    notices: ['Linux: AppImage, deb and rpm carry no signature of their own; sign the apt/dnf repository that serves them'],
  }
}

/** The signing plan for one platform ('linux' | 'win' | 'mac') from an environment (process.env). */
export function signingPlan(platform, env) {
  if (platform === 'win') return windowsPlan(env)
  if (platform === 'mac') return macPlan(env)
  if (platform === 'linux') return linuxPlan()
  throw new Error(`unknown platform ${JSON.stringify(platform)} (linux, win or mac)`)
}
