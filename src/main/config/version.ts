import pkg from '../../../package.json'

/** Read from package.json at build time so the CLI, browser mode and the shell agree. */
export const APP_VERSION: string = pkg.version
