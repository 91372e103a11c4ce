import type { CaseDetail } from '../../shared/domain'
import type { CaseRecord } from '../store/caseRepository'
import type { CaseStore } from '../store/caseStore'
import { oodMark } from '../store/resultRepository'

/** Assembles the case view's data from the repositories. */
export function caseDetail(
  store: CaseStore,
  record: CaseRecord,
  context: { readerId?: number; model?: { id: string; version: string } } = {},
): CaseDetail {
  const labels = store.annotations.labels(record.id)
  const boxList = store.annotations.boxes(record.id)
  const myBoxes = boxList.filter((b) => context.readerId !== undefined && b.readerId === context.readerId).length
  const topFindings = context.model ? store.results.predictions(record.id, context.model.id, context.model.version).slice(0, 3) : []
  return {
    id: record.id,
    image: record.imageName,
    patient: record.patientPseudoId,
    age: record.age,
    sex: record.sex,
    view: record.view,
    status: record.status,
    width: record.width,
    height: record.height,
    findings: [...new Set(labels.map((label) => label.finding))].sort(),
    boxes: boxList.length,
    myBoxes,
    otherBoxes: boxList.length - myBoxes,
    topFindings,
    ood: oodMark(context.model && store.results.ood(record.id, context.model.id, context.model.version), record.acquisitionFlag ?? null),
    path: record.path,
    sha256: record.sha256,
    format: record.format,
    bitDepth: record.bitDepth,
    windowCenter: record.windowCenter ?? null,
    windowWidth: record.windowWidth ?? null,
    followUp: record.followUp,
    importedAt: record.importedAt,
    labels,
    boxList,
  }
}
