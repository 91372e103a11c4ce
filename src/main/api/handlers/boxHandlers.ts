import type { AnnotationService } from '../../annotations/annotationService'
import { writingReader } from '../session'
import type { HandlersOf } from './types'

/** A reader's boxes: each write is one transaction with its audit row (annotations/). */
export function boxHandlers(
  annotations: AnnotationService,
): HandlersOf<'boxes:create' | 'boxes:update' | 'boxes:delete' | 'boxes:restore'> {
  return {
    'boxes:create': ({ caseId, box }, context) => annotations.createBox(caseId, writingReader(context), box),
    'boxes:update': ({ boxId, box }, context) => annotations.updateBox(boxId, writingReader(context), box),
    'boxes:delete': ({ boxId }, context) => {
      annotations.deleteBox(boxId, writingReader(context))
      return { deleted: true as const }
    },
    'boxes:restore': ({ boxId }, context) => annotations.restoreBox(boxId, writingReader(context)),
  }
}
