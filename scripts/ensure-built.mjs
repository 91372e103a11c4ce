// Builds the app when out/ is missing or older than the sources, so `npm run web`/`cli` always run current code.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const outputs = ['out/main/index.js', 'out/main/cli.js', 'out/main/web.js', 'out/renderer/index.html', 'out/preload/index.js']

function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

const missing = outputs.some((file) => !existsSync(join(root, file)))
const builtAt = missing ? 0 : Math.min(...outputs.map((file) => statSync(join(root, file)).mtimeMs))
const sourcesAt = Math.max(
  newest(join(root, 'src')),
  newest(join(root, 'scripts')),
  statSync(join(root, 'electron.vite.config.ts')).mtimeMs,
)
if (missing || sourcesAt > builtAt) {
  console.error('[cxr-lens] building (electron-vite build)…')
  execSync('npx electron-vite build', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
}
