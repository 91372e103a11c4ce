import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The layering rules in .oxlintrc.json (per-folder no-restricted-imports) bite: each forbidden
 * import, placed in a scratch tree laid out like src/, fails lint with that rule's message, and the
 * allowed imports beside it pass. The real config file is linted, so loosening a rule fails here.
 */
const ROOT = resolve(__dirname, '../..')
const OXLINT = join(ROOT, 'node_modules/.bin/oxlint')

const FORBIDDEN: Array<{ file: string; code: string; message: RegExp }> = [
  { file: 'src/main/model/a.ts', code: "import { runMethod } from '../explain/methods'", message: /model layer/ },
  { file: 'src/main/model/b.ts', code: "import type { CaseStore } from '../store/caseStore'", message: /model layer/ },
  { file: 'src/main/model/c.ts', code: "import { analyze } from '../analysis/analysisService'", message: /model layer/ },
  { file: 'src/main/model/d.ts', code: "import { fineTune } from '../training/fineTune'", message: /model layer/ },
  { file: 'src/main/model/e.ts', code: "import { openCore } from '../api/core'", message: /model layer/ },
  { file: 'src/main/model/f.ts', code: "import { app } from 'electron'", message: /plain Node/ },
  { file: 'src/main/training/a.ts', code: "import { runMethod } from '../explain/methods'", message: /training/ },
  { file: 'src/main/explain/a.ts', code: "import type { CaseStore } from '../store/caseStore'", message: /explain/ },
  { file: 'src/main/store/a.ts', code: "import { openCore } from '../api/core'", message: /store\// },
  { file: 'src/main/store/migrations/a.ts', code: "import { loadModelPackage } from '../../model/modelPackage'", message: /store\// },
  { file: 'src/main/stats/a.ts', code: "import { evaluateModel } from '../evaluation/evaluate'", message: /stats\// },
  { file: 'src/main/errors/a.ts', code: "import { openCore } from '../api/core'", message: /errors\// },
  { file: 'src/main/cases/a.ts', code: "import { app } from 'electron'", message: /plain Node/ },
  { file: 'src/shared/a.ts', code: "import { openCore } from '../main/api/core'", message: /src\/shared/ },
  {
    file: 'src/renderer/src/stores/a.ts',
    code: "import { openCore } from '../../../main/api/core'",
    message: /renderer reaches data only through the contract/,
  },
  {
    file: 'src/renderer/src/a.ts',
    code: "import { x } from '../../preload/index'",
    message: /renderer reaches data only through the contract/,
  },
]

const ALLOWED: Array<{ file: string; code: string }> = [
  {
    file: 'src/main/model/ok.ts',
    code: "import { mean } from '../stats/mean'\nimport { sha256Of } from './hashing'\nimport type { X } from '../../shared/domain'",
  },
  {
    file: 'src/main/training/ok.ts',
    code: "import { gemm } from '../model/matmulKernel'\nimport type { CaseStore } from '../store/caseStore'\nimport { delong } from '../stats/roc'",
  },
  { file: 'src/main/explain/ok.ts', code: "import { headJacobian } from '../model/head'" },
  {
    file: 'src/main/analysis/ok.ts',
    code: "import { runMethod } from '../explain/methods'\nimport type { CaseStore } from '../store/caseStore'",
  },
  {
    file: 'src/main/store/migrations/ok.ts',
    code: "import type { Db } from '../database'\nimport { NotFoundError } from '../../errors/domainErrors'",
  },
  { file: 'src/main/ipc/ok.ts', code: "import { ipcMain } from 'electron'" },
  { file: 'src/renderer/src/ok.ts', code: "import type { CxrApi } from '../../shared/api'" },
]

let work: string

function write(file: string, code: string): void {
  const path = join(work, file)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${code}\n`)
}

function lint(file: string): { status: number | null; out: string } {
  // The scratch files import names they never use: only the layering rules are to speak.
  const run = spawnSync(OXLINT, ['-c', '.oxlintrc.json', '-A', 'no-unused-vars', file], { cwd: work, encoding: 'utf8' })
  return { status: run.status, out: `${run.stdout}${run.stderr}` }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cxr-layering-'))
  copyFileSync(join(ROOT, '.oxlintrc.json'), join(work, '.oxlintrc.json'))
  for (const { file, code } of [...FORBIDDEN, ...ALLOWED]) write(file, code)
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('layering rules in .oxlintrc.json', () => {
  it.each(FORBIDDEN)('refuses $code in $file', ({ file, message }) => {
    const { status, out } = lint(file)
    expect(status).not.toBe(0)
    expect(out).toContain('no-restricted-imports')
    expect(out).toMatch(message)
  })

  it.each(ALLOWED)('allows the imports in $file', ({ file }) => {
    const { status, out } = lint(file)
    expect(out).not.toContain('no-restricted-imports')
    expect(status).toBe(0)
  })
})
