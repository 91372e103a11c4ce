import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { databasePath } from '../../src/main/config/dataDir'
import { evaluateModel } from '../../src/main/evaluation/evaluate'
import { blockInputs } from '../../src/main/training/blockInputs'
import { camLocalization } from '../../src/main/training/boxLocalization'
import { boxSelection } from '../../src/main/training/boxSelection'
import { boxTargets, caseBoxes } from '../../src/main/training/boxTargets'
import { fineTune } from '../../src/main/training/fineTune'
import { rowSet } from '../../src/main/training/rowSet'
import { blockTrainable } from '../../src/main/training/trainables'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, REFERENCE_VERSION, tempDir } from './helpers'
import { CLI } from './builtCli'

/**
 * Box-supervised fine-tuning (`cxr-lens train --boxes`) and the ask-before-register rule for a run
 * that ends below its parent. The CAM loss's gradient is checked by finite differences in
 * trainables.test.ts; here: the targets, the λ rule, a whole run on the reference model, and the
 * decision flow through fineTune and through the CLI's exit code.
 */
const run = promisify(execFile)
const dir = tempDir()
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(async () => {
  await engine.close()
  dir.cleanup()
})

describe('box targets and the choice of λ', () => {
  it('marks the cells whose centres a box covers, and the centre cell of a box too small to cover one', () => {
    const targets = boxTargets(
      new Map([
        [2, [{ x: 0.25, y: 0.25, w: 0.5, h: 0.25 }]],
        [5, [{ x: 0.6, y: 0.1, w: 0.05, h: 0.05 }]],
      ]),
      4,
      4,
    )
    expect(targets.map((t) => t.finding)).toEqual([2, 5])
    // 4×4 cells, centres at 0.125, 0.375…: the first box covers x in {1, 2} on row 1
    expect(Array.from(targets[0].mask)).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    expect(Array.from(targets[1].mask).flatMap((v, i) => (v ? [i] : []))).toEqual([2]) // row 0, column floor(0.625·4) = 2
  })

  it('keeps the best validation IoU among the weights whose AUROC stays within 0.005 of labels only; ties to the smaller λ', () => {
    const c = (weight: number, valMacroAuroc: number, valIouMean: number) => ({ weight, valMacroAuroc, valIouMean, valIobb25: null })
    expect(boxSelection([c(0, 0.8, 0.1), c(0.3, 0.797, 0.15), c(1, 0.79, 0.3)])).toEqual({
      index: 1,
      weight: 0.3,
      eligible: [true, true, false],
    })
    expect(boxSelection([c(0, 0.8, 0.2), c(1, 0.81, 0.2)]).weight).toBe(0)
    expect(boxSelection([c(0, 0.8, 0.2), c(1, 0.7, 0.5)]).weight).toBe(0)
  })
})

describe.runIf(HAS_NIH)('fine-tuning with boxes', () => {
  const boxes = csvBoxes()
  const all = readdirSync(NIH_256).sort()
  // 36 images with radiologist boxes and 36 without, from one end of the folder
  const names = [...all.filter((n) => boxes.has(n)).slice(0, 36), ...all.filter((n) => !boxes.has(n)).slice(0, 36)].sort()

  it(
    'trains the last block with the CAM loss, picks λ by the rule, and reports validation localization beside the parent and the prior box',
    { timeout: 600_000 },
    async () => {
      const root = join(dir.path, 'boxes')
      const store = CaseStore.open(databasePath(root))
      try {
        await importNih(store, { imagesDir: imageFolder(root, NIH_256, names), labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
        // A reader's box counts as much as the dataset's.
        const first = store.worklist.query({ offset: 0, limit: 1 }).rows[0]
        const record = store.cases.get(first.id)!
        store.annotations.addBox({
          caseId: first.id,
          finding: 'Effusion',
          x: 10,
          y: 10,
          w: record.width / 4,
          h: record.height / 4,
          source: 'reader',
          author: 'Dr Test',
          at: new Date().toISOString(),
        })
        const found = caseBoxes(store, [first.id], ['Effusion'])
        expect(found.get(first.id)?.get(0)?.length).toBeGreaterThanOrEqual(1)

        const registry = new ModelRegistry(store, join(root, 'models'))
        const messages: string[] = []
        const request = {
          model: 'cxr-mobilenet-v1',
          layers: 'head+last-block' as const,
          boxes: true,
          boxWeights: [1],
          registerIfWorse: true,
          options: { maxEpochs: 2, patience: 2 },
        }
        const result = await fineTune({ store, registry, engine, dataDir: root }, request, { onProgress: (m) => messages.push(m) })
        const loc = result.localization!
        expect(loc.candidates.map((c) => c.weight)).toEqual([0, 1])
        expect(messages.filter((m) => m.startsWith('box weight λ'))).toEqual(['box weight λ = 0 (1 of 2)', 'box weight λ = 1 (2 of 2)'])
        expect(loc.weight).toBe(boxSelection(loc.candidates).weight)
        expect(loc.rule).toMatch(/highest validation mean IoU/)
        expect(loc.boxedCases.train + loc.boxedCases.val + loc.boxedCases.test).toBe(
          names.filter((n) => boxes.has(n)).length + (boxes.has(record.imageName) ? 0 : 1),
        )
        expect(loc.boxedCases.val).toBeGreaterThan(0)
        expect(loc.perFinding.length).toBeGreaterThan(0)
        for (const row of loc.perFinding) {
          expect(row.child.boxes).toBe(row.parent.boxes)
          for (const f of [row.child, row.parent, row.prior].filter((x) => x !== null))
            for (const v of [f.iouMean, f.iobb25, f.hitRate]) expect(v === null || (v >= 0 && v <= 1)).toBe(true)
        }
        expect(loc.mean.prior).not.toBeNull()
        // The chosen run's validation IoU is the child's, and box supervision changed the maps of λ = 1.
        expect(loc.mean.child.iouMean).toBeCloseTo(loc.candidates.find((c) => c.weight === loc.weight)!.valIouMean!, 6)
        expect(loc.candidates[1].valIouMean).not.toBe(loc.candidates[0].valIouMean)
        const child = registry.get('cxr-mobilenet-v1', result.child!.version).pkg
        expect(child.manifest.modelCard.metrics).toHaveProperty('localization_val.weight', loc.weight)
        expect(child.manifest.provenance.training).toMatchObject({ boxSupervision: { weight: loc.weight, candidates: [0, 1] } })
        expect(readdirSync(join(root, 'training')).filter((f) => f.endsWith('.ckpt'))).toEqual([])
      } finally {
        store.close()
      }
    },
  )

  it(
    'scores Grad-CAM on boxes as cxr-lens evaluate does: the parent on the same cases gets the same figures',
    { timeout: 300_000 },
    async () => {
      const root = join(dir.path, 'same-as-evaluate')
      const boxed = names.filter((n) => boxes.has(n)).slice(0, 16)
      const folder = imageFolder(root, NIH_256, boxed)
      const store = CaseStore.open(databasePath(root))
      try {
        await importNih(store, { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
        const registry = new ModelRegistry(store, join(root, 'models'))
        const pkg = registry.get('cxr-mobilenet-v1').pkg
        const { report } = await evaluateModel(pkg, engine, {
          imagesDir: folder,
          labelsCsv: LABELS_CSV,
          boxesCsv: BOXES_CSV,
          method: 'gradcam',
          threshold: 'otsu',
        })
        const ids = store.worklist.query({ offset: 0, limit: 100 }).rows.map((r) => r.id)
        const block = pkg.lastBlock!
        const { matrix, cells } = await blockInputs({ store, engine }, pkg, block, ids)
        const findings = pkg.manifest.findings
        const set = rowSet(
          matrix,
          cells * block.inChannels,
          ids.map((_, i) => i),
          () => new Uint8Array(findings.length),
          findings.length,
        )
        const head = pkg.head[0]
        const parent = blockTrainable(
          {
            weight: Float32Array.from(block.weightData),
            bias: Float32Array.from(block.biasData),
            activation: block.activation,
            inChannels: block.inChannels,
          },
          { weight: Float32Array.from(head.weight), bias: Float32Array.from(head.bias) },
          cells,
          1,
        )
        const byCase = caseBoxes(store, ids, findings)
        const [, h, w] = pkg.manifest.outputs.features.shape
        const mine = await camLocalization(parent, set, (p) => byCase.get(ids[p]), { height: h, width: w })
        expect(mine.size).toBeGreaterThan(2)
        for (const [c, f] of mine) {
          const theirs = report.localization[findings[c]]
          expect(f.boxes, findings[c]).toBe(theirs.n_boxes)
          expect(f.iouMean!, findings[c]).toBeCloseTo(theirs.iou_mean!, 2)
          expect(f.iobb25!, findings[c]).toBeCloseTo(theirs.iobb_acc['0.25']!, 2)
          expect(f.hitRate!, findings[c]).toBeCloseTo(theirs.hit_rate!, 2)
        }
      } finally {
        store.close()
      }
    },
  )

  it('refuses boxes without the last block, and a store without boxes, saying why', async () => {
    const root = join(dir.path, 'refusals')
    const store = CaseStore.open(databasePath(root))
    try {
      await importNih(store, {
        imagesDir: imageFolder(
          root,
          NIH_256,
          names.filter((n) => !boxes.has(n)),
        ),
        labelsCsv: LABELS_CSV,
      })
      const registry = new ModelRegistry(store, join(root, 'models'))
      const deps = { store, registry, engine, dataDir: root }
      await expect(fineTune(deps, { model: 'cxr-mobilenet-v1', layers: 'head', boxes: true })).rejects.toThrow(/train head\+last-block/)
      await expect(fineTune(deps, { model: 'cxr-mobilenet-v1', layers: 'head+last-block', boxes: true })).rejects.toThrow(
        /needs cases with boxes/,
      )
    } finally {
      store.close()
    }
  })
})

describe.runIf(HAS_NIH)('a fine-tune below its parent', () => {
  const names = readdirSync(NIH_256).sort().slice(900, 960)

  it('is not registered but kept; the same request with registerIfWorse registers it from the checkpoint without training again', async () => {
    const root = join(dir.path, 'below')
    const store = CaseStore.open(databasePath(root))
    try {
      await importNih(store, { imagesDir: imageFolder(root, NIH_256, names), labelsCsv: LABELS_CSV })
      const registry = new ModelRegistry(store, join(root, 'models'))
      const deps = { store, registry, engine, dataDir: root }
      // A learning rate this large wrecks the pretrained head in one epoch: surely below the parent.
      const request = { model: 'cxr-mobilenet-v1', layers: 'head' as const, options: { maxEpochs: 1, learningRate: 5 } }
      const below = await fineTune(deps, request)
      expect(below.registered).toBe(false)
      expect(below.child).toBeNull()
      expect(below.belowParent?.reasons[0]).toMatch(/^validation macro AUROC 0\.\d{3} vs 0\.\d{3}$/)
      expect(below.valMacroAuroc.child!).toBeLessThan(below.valMacroAuroc.parent!)
      expect(registry.list().map((m) => m.pkg.manifest.version)).toEqual([REFERENCE_VERSION])
      expect(readdirSync(join(root, 'training')).filter((f) => f.endsWith('.ckpt'))).toHaveLength(1)

      const epochs: number[] = []
      const registered = await fineTune(deps, { ...request, registerIfWorse: true }, { onEpoch: (r) => epochs.push(r.epoch) })
      expect(epochs).toEqual([]) // resumed the finished run
      expect(registered.registered).toBe(true)
      expect(registered.version).toBe(below.version)
      expect(registered.child!.version).toBe(below.version)
      expect(registered.valMacroAuroc).toEqual(below.valMacroAuroc)
      expect(registry.get('cxr-mobilenet-v1', below.version).pkg.manifest.modelCard.metrics).toMatchObject({
        below_parent: below.belowParent!.reasons,
        registered_anyway: true,
      })
      expect(readdirSync(join(root, 'training')).filter((f) => f.endsWith('.ckpt'))).toEqual([])
    } finally {
      store.close()
    }
  })

  it('the CLI exits 4 without registering off a terminal, and registers with --register-if-worse', { timeout: 300_000 }, async () => {
    const dataDir = join(dir.path, 'below-cli')
    const store = CaseStore.open(databasePath(dataDir))
    await importNih(store, { imagesDir: imageFolder(dataDir, NIH_256, names), labelsCsv: LABELS_CSV })
    store.close()
    const cli = async (extra: string[]) => {
      const args = [CLI, 'train', '--data-dir', dataDir, '--model', 'cxr-mobilenet-v1', '--epochs', '1', '--lr', '5', ...extra]
      try {
        const { stdout, stderr } = await run(process.execPath, args, { maxBuffer: 16 << 20 })
        return { code: 0, stdout, stderr }
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string }
        return { code: e.code, stdout: e.stdout, stderr: e.stderr }
      }
    }
    const first = await cli([])
    expect(first.code, first.stderr).toBe(4)
    expect(first.stdout).toMatch(
      new RegExp(
        `^not registered: ${REFERENCE_VERSION.replace(/\./g, '\\.')}\\+ft\\.\\d+ scores below its parent \\(validation macro AUROC .* vs .*\\); run the same command with --register-if-worse`,
        'm',
      ),
    )
    const json = await cli(['--json'])
    expect(json.code).toBe(4)
    const parsed = JSON.parse(json.stdout) as { registered: boolean; child: unknown; version: string; belowParent: { reasons: string[] } }
    expect(parsed).toMatchObject({ registered: false, child: null })
    expect(existsSync(join(dataDir, 'models')) ? readdirSync(join(dataDir, 'models')) : []).toEqual([])
    const yes = await cli(['--register-if-worse'])
    expect(yes.code, yes.stderr).toBe(0)
    expect(yes.stdout).toMatch(
      new RegExp(`new version cxr-mobilenet-v1 ${parsed.version.replace(/[.+]/g, '\\$&')} \\(head, resumed after epoch 1\\)`),
    )
  })
})
