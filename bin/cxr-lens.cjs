#!/usr/bin/env node
// Runs the bundled CLI; `npm run build` (or any npm script that needs it) produces out/main/cli.js.
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const cli = join(__dirname, '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  console.error('cxr-lens: not built yet; run `npm run build` in ' + join(__dirname, '..'))
  process.exit(1)
}
require(cli)
