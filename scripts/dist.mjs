// `npm run dist[:linux|:win|:mac] [-- extra electron-builder args]`: builds the installers for the
// platforms named (default: this machine's), signing as the environment says (scripts/package/
// signing.mjs; docs/INSTALL.md). A half-configured signature stops here, before the build, naming
// the missing variable; no signing configured builds unsigned installers with a notice.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { signingPlan } from './package/signing.mjs'

const FLAGS = { '--linux': 'linux', '--win': 'win', '--mac': 'mac' }
const HOST = { linux: 'linux', win32: 'win', darwin: 'mac' }

const args = process.argv.slice(2)
const named = args.filter((a) => a in FLAGS).map((a) => FLAGS[a])
const platforms = named.length ? named : [HOST[process.platform]]
if (platforms.includes(undefined)) {
  console.error(`[dist] no installer target for ${process.platform}; pass --linux, --win or --mac`)
  process.exit(2)
}
const plans = platforms.map((p) => signingPlan(p, process.env))
for (const plan of plans) for (const notice of plan.notices) console.error(`[dist] ${notice}`)
const errors = plans.flatMap((plan) => plan.errors)
if (errors.length) {
  for (const error of errors) console.error(`[dist] ${error}`)
  process.exit(2)
}
const builderArgs = [...platforms.map((p) => `--${p}`), ...plans.flatMap((plan) => plan.builderArgs), ...args.filter((a) => !(a in FLAGS))]
// electron-builder's own CLI under this Node, without a shell (a publisher name may hold spaces and commas).
const cli = createRequire(import.meta.url).resolve('electron-builder/cli.js')
const result = spawnSync(process.execPath, [cli, ...builderArgs], { stdio: 'inherit' })
process.exit(result.status ?? 1)
