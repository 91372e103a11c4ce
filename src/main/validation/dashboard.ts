import type { Box, DashboardData, DashboardQuery } from '../../shared/domain'
import { maskIou, rectMask, type LocalizationScore, type Rect } from '../../shared/localization'
import { paperAccuracy, type PaperScore } from '../evaluation/chestXray8Protocol'
import { CHESTXRAY8_TIOBB } from '../evaluation/chestXray8Reference'
import { summarize, toGrid } from '../evaluation/localizationSummary'
import { mean } from '../stats/mean'
import { randomMap, scoreArm, type ScoredArm } from '../evaluation/localizationArms'
import { EVAL_GRID, evaluationGrid } from '../../shared/heatmapGrid'
import { delong, rocCurve } from '../stats/roc'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { CaseStore } from '../store/caseStore'
import { patientOf } from '../evaluation/bootstrap'
import { macroAurocBootstrap } from '../evaluation/macroAuroc'
import { loadSanityRecord } from '../evaluation/sanityRecord'

/** A box in image pixels as fractions of the image, the form the evaluation grid takes. */
const fraction = (b: Box, width: number, height: number): Rect => ({ x: b.x / width, y: b.y / height, w: b.w / width, h: b.h / height })

/**
 * The validation dashboard for the stored results of one model version and method: the evaluation's
 * per-finding localization table on the heatmaps and boxes in the store, AUROC from the stored
 * predictions against the ground-truth labels, confidence against IoU, and inter-reader agreement.
 */
export function dashboard(
  store: CaseStore,
  registry: ModelRegistry,
  query: DashboardQuery,
  options: { dataDir?: string } = {},
): DashboardData {
  const empty: DashboardData = {
    model: null,
    method: query.method,
    cases: 0,
    localization: {},
    localizationChestXray8: {},
    baselines: {},
    paper: CHESTXRAY8_TIOBB,
    classification: {},
    macroAuroc: null,
    scatter: [],
    agreement: {},
  }
  if (registry.list().length === 0) return empty
  const { manifest } = registry.get(query.model, query.version).pkg
  const model = { id: manifest.id, version: manifest.version }
  const findings = query.finding ? [query.finding] : manifest.findings
  const scores = new Map<string, LocalizationScore[]>()
  const paperScores = new Map<string, PaperScore[]>()
  const priorScores = new Map<string, ScoredArm[]>()
  const randomScores = new Map<string, ScoredArm[]>()
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v])
  const scatter: DashboardData['scatter'] = []
  const agreementIous = new Map<string, number[]>()
  const caseIds = new Set<number>()
  // One query for every stored prediction of this model version: the scatter and AUROC both read it.
  const predicted = store.results.predictionTable(model.id, model.version)
  const probabilityOf = new Map(predicted.map((p) => [`${p.caseId}:${p.finding}`, p.probability]))
  const boxesOf = new Map<number, Box[]>()
  const boxes = (caseId: number) => {
    if (!boxesOf.has(caseId)) boxesOf.set(caseId, store.annotations.boxes(caseId))
    return boxesOf.get(caseId)!
  }

  for (const map of store.results.latestHeatmaps(model.id, model.version, query.method)) {
    if (!findings.includes(map.finding)) continue
    const record = store.cases.get(map.caseId)!
    const truth = boxes(map.caseId).filter(
      (b) => b.finding === map.finding && (query.readerId === undefined || b.readerId === query.readerId),
    )
    if (truth.length === 0) continue
    caseIds.add(map.caseId)
    const values = evaluationGrid(map.data, map.height, map.width, map.method)
    const grid = truth.map((b) => toGrid(fraction(b, record.width, record.height)))
    const scored = scoreArm({ map: values }, grid)
    const score = scored.lens
    push(scores, map.finding, score)
    push(paperScores, map.finding, scored.paper)
    // the baselines an explanation must beat, on the same boxes: a seeded random map on the method's grid, and the prior box
    push(
      randomScores,
      map.finding,
      scoreArm({ map: randomMap(map.height, map.width, map.caseId * 31 + manifest.findings.indexOf(map.finding)) }, grid),
    )
    const prior = manifest.localizationPrior?.[map.finding]
    if (prior) push(priorScores, map.finding, scoreArm({ box: toGrid(prior) }, grid))
    const probability = probabilityOf.get(`${map.caseId}:${map.finding}`)
    if (probability !== undefined)
      scatter.push({ caseId: map.caseId, image: record.imageName, finding: map.finding, probability, iou: score.maskIou })
  }

  // Inter-reader agreement: every pair of authors who boxed the same finding on the same case.
  for (const caseId of store.annotations.casesWithSeveralAuthors()) {
    const record = store.cases.get(caseId)!
    for (const finding of findings) {
      const byAuthor = new Map<string, Rect[]>()
      for (const b of boxes(caseId).filter((x) => x.finding === finding)) {
        const author = b.readerId === null ? `dataset:${b.author}` : `reader:${b.readerId}`
        byAuthor.set(author, [...(byAuthor.get(author) ?? []), toGrid(fraction(b, record.width, record.height))])
      }
      const masks = [...byAuthor.values()].map((rects) => rectMask(rects, EVAL_GRID, EVAL_GRID))
      for (let i = 0; i < masks.length; i++) {
        for (let j = i + 1; j < masks.length; j++)
          agreementIous.set(finding, [...(agreementIous.get(finding) ?? []), maskIou(masks[i], masks[j])])
      }
    }
  }

  const localization: DashboardData['localization'] = {}
  const localizationChestXray8: DashboardData['localizationChestXray8'] = {}
  const baselines: DashboardData['baselines'] = {}
  const baseline = (arms: ScoredArm[]) => {
    const { n_boxes: _n, ...rest } = summarize(arms.map((a) => a.lens))
    return { ...rest, paper_iobb_acc: paperAccuracy(arms.flatMap((a) => a.paper.best)) }
  }
  for (const [finding, list] of scores) {
    localization[finding] = summarize(list)
    const paper = paperScores.get(finding)!.flatMap((p) => p.best)
    localizationChestXray8[finding] = { n_boxes: paper.length, iobb_acc: paperAccuracy(paper) }
    baselines[finding] = {
      prior: priorScores.has(finding) ? baseline(priorScores.get(finding)!) : null,
      random: baseline(randomScores.get(finding)!),
    }
  }
  const classification: DashboardData['classification'] = {}
  const aurocs: number[] = []
  for (const finding of findings) {
    const rows = predicted.filter((p) => p.finding === finding)
    if (rows.length === 0) continue
    const labels = rows.map((r) => (r.positive ? 1 : 0))
    const probabilities = rows.map((r) => r.probability)
    const result = delong(probabilities, labels)
    if (result) aurocs.push(result.auc)
    classification[finding] = {
      n_pos: labels.filter(Boolean).length,
      auroc: result?.auc ?? null,
      auroc_ci: result?.ci95 ?? null,
      roc: result ? rocCurve(probabilities, labels) : [],
    }
  }
  const agreement: DashboardData['agreement'] = {}
  for (const [finding, ious] of agreementIous) agreement[finding] = { pairs: ious.length, meanIou: mean(ious) }
  const counts: NonNullable<DashboardData['counts']> = {}
  for (const [finding, c] of Object.entries(classification)) {
    const cases = predicted.filter((p) => p.finding === finding).length
    counts[finding] = { positives: c.n_pos, negatives: cases - c.n_pos, boxes: localization[finding]?.n_boxes ?? 0 }
  }
  return {
    macroAurocCi: macroInterval(store, predicted, Object.keys(classification)),
    counts,
    sanity: options.dataDir ? loadSanityRecord(options.dataDir, model, query.method) : null,
    model,
    method: query.method,
    cases: caseIds.size,
    localization,
    localizationChestXray8,
    baselines,
    paper: CHESTXRAY8_TIOBB,
    classification,
    macroAuroc: mean(aurocs),
    scatter,
    agreement,
  }
}

/** The macro AUROC's patient-bootstrap interval over the cases with predictions of every scored finding. */
function macroInterval(
  store: CaseStore,
  predicted: Array<{ caseId: number; finding: string; probability: number; positive: number }>,
  findings: string[],
): [number, number] | null {
  if (!findings.length) return null
  const byCase = new Map<number, { labels: number[]; scores: number[]; seen: number }>()
  for (const p of predicted) {
    const f = findings.indexOf(p.finding)
    if (f < 0) continue
    let row = byCase.get(p.caseId)
    if (!row)
      byCase.set(
        p.caseId,
        (row = {
          labels: Array.from({ length: findings.length }, () => 0),
          scores: Array.from({ length: findings.length }, () => 0),
          seen: 0,
        }),
      )
    row.labels[f] = p.positive ? 1 : 0
    row.scores[f] = p.probability
    row.seen++
  }
  const cases = [...byCase.entries()]
    .filter(([, r]) => r.seen === findings.length)
    .map(([caseId, r]) => {
      const record = store.cases.get(caseId)
      return {
        patient: record ? patientOf(record.imageName, record.patientId === null ? null : `p${record.patientId}`) : String(caseId),
        ...r,
      }
    })
  return macroAurocBootstrap(cases, findings.length).ci95
}
