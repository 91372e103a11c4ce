import type { CaseDetail } from '../../shared/domain'
import type { CaseRecord } from '../store/caseRepository'
import type { CaseStore } from '../store/caseStore'

/** Assembles the case view's data from the repositories. */
export function caseDetail(store: CaseStore, record: CaseRecord): CaseDetail {
  const labels = store.annotations.labels(record.id)
  const boxList = store.annotations.boxes(record.id)
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
    path: record.path,
    sha256: record.sha256,
    format: record.format,
    bitDepth: record.bitDepth,
    followUp: record.followUp,
    importedAt: record.importedAt,
    labels,
    boxList,
  }
}
