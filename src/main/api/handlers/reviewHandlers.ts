import type { AnnotationService } from '../../annotations/annotationService'
import { writingReader } from '../session'
import type { HandlersOf } from './types'

/** A case's review status (new, in review, reviewed). */
export function reviewHandlers(annotations: AnnotationService): HandlersOf<'cases:setStatus'> {
  return {
    'cases:setStatus': ({ caseId, status }, context) => {
      annotations.setStatus(caseId, writingReader(context), status)
      return { status }
    },
  }
}
