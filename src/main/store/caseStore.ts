import { AnnotationRepository } from './annotationRepository'
import { AuditRepository } from './auditRepository'
import { CaseRepository } from './caseRepository'
import { openDatabase, type Db } from './database'
import { FeatureRepository } from './featureRepository'
import { ModelRepository } from './modelRepository'
import { ReaderRepository } from './readerRepository'
import { ResultRepository } from './resultRepository'
import { WorklistRepository } from './worklistRepository'

/** One open case database with its repositories; the only way the rest of main touches SQL. */
export class CaseStore {
  readonly cases: CaseRepository
  readonly annotations: AnnotationRepository
  readonly audit: AuditRepository
  readonly worklist: WorklistRepository
  readonly models: ModelRepository
  readonly results: ResultRepository
  readonly readers: ReaderRepository
  readonly features: FeatureRepository

  constructor(readonly db: Db) {
    this.cases = new CaseRepository(db)
    this.annotations = new AnnotationRepository(db)
    this.audit = new AuditRepository(db)
    this.worklist = new WorklistRepository(db)
    this.models = new ModelRepository(db)
    this.results = new ResultRepository(db)
    this.readers = new ReaderRepository(db)
    this.features = new FeatureRepository(db)
  }

  static open(path: string): CaseStore {
    return new CaseStore(openDatabase(path))
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  close(): void {
    this.db.close()
  }
}
