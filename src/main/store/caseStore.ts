import Database from 'better-sqlite3'
import { AnalysisQueueRepository } from './analysisQueueRepository'
import { AnnotationRepository } from './annotationRepository'
import { AuditRepository } from './auditRepository'
import { CaseRepository } from './caseRepository'
import { CaseSourceRepository } from './caseSourceRepository'
import { backupTo, checkIntegrity, scheduledBackup } from './backup'
import { openDatabase, schemaVersion, writeTransaction, type Db } from './database'
import { FeatureRepository } from './featureRepository'
import { ModelRepository } from './modelRepository'
import { PacsRepository } from './pacsRepository'
import { ReaderRepository } from './readerRepository'
import { ResultRepository } from './resultRepository'
import { SrImportRepository } from './srImportRepository'
import { WorklistRepository } from './worklistRepository'

/**
 * One open case database with its repositories; the only way the rest of main touches SQL. The
 * object outlives its connection: `reopen` swaps the file underneath (a restore) and everyone
 * holding the store sees the new database on their next call.
 */
export class CaseStore {
  /**
   * The raw connection, for store/ itself and for tests. Code outside store/ goes through the
   * repositories and the methods below, so SQL and pragmas stay in this folder.
   */
  db!: Db
  cases!: CaseRepository
  annotations!: AnnotationRepository
  audit!: AuditRepository
  worklist!: WorklistRepository
  models!: ModelRepository
  results!: ResultRepository
  readers!: ReaderRepository
  features!: FeatureRepository
  queue!: AnalysisQueueRepository
  pacs!: PacsRepository
  caseSources!: CaseSourceRepository
  srImports!: SrImportRepository

  /** `db` null: a file too damaged to open; no connection until `reopen` swaps a sound file in. */
  constructor(
    db: Db | null,
    readonly path: string = db?.name ?? ':memory:',
  ) {
    if (db) this.attach(db)
    else {
      this.db = new Database(':memory:')
      this.db.close()
    }
  }

  static open(path: string): CaseStore {
    return new CaseStore(openDatabase(path), path)
  }

  private attach(db: Db): void {
    this.db = db
    this.cases = new CaseRepository(db)
    this.annotations = new AnnotationRepository(db)
    this.audit = new AuditRepository(db)
    this.worklist = new WorklistRepository(db)
    this.models = new ModelRepository(db)
    this.results = new ResultRepository(db)
    this.readers = new ReaderRepository(db)
    this.features = new FeatureRepository(db)
    this.queue = new AnalysisQueueRepository(db)
    this.pacs = new PacsRepository(db)
    this.caseSources = new CaseSourceRepository(db)
    this.srImports = new SrImportRepository(db)
  }

  /**
   * Closes the connection, lets `swap` replace the file, and opens (and migrates) the result. When
   * the new file cannot be opened, `undo` puts the old one back and that is reopened instead.
   */
  reopen(swap: () => void, undo: () => void): void {
    if (this.path === ':memory:') throw new Error('An in-memory database cannot be reopened')
    const wasOpen = this.db.open
    if (wasOpen) this.db.close()
    try {
      swap()
    } catch (error) {
      if (wasOpen) this.attach(openDatabase(this.path))
      throw error
    }
    try {
      this.attach(openDatabase(this.path))
    } catch (error) {
      undo()
      this.attach(openDatabase(this.path))
      throw error
    }
  }

  /**
   * One write transaction (BEGIN IMMEDIATE: it waits for other writers, in this process or another,
   * instead of failing when it turns from reading to writing). Every write goes through here.
   */
  transaction<T>(fn: () => T): T {
    return writeTransaction(this.db, fn)
  }

  /** False once closed, or when the file was too damaged to open. */
  get isOpen(): boolean {
    return this.db.open
  }

  /** `PRAGMA quick_check` (or `integrity_check` when thorough): the problems found, empty when sound. */
  checkIntegrity(thorough = false): string[] {
    return checkIntegrity(this.db, thorough)
  }

  /** The open file's schema version; 0 while no connection is open. */
  schemaVersion(): number {
    return this.db.open ? schemaVersion(this.db) : 0
  }

  /** A consistent snapshot of the live database to `file` (which must not exist); returns `file`. */
  backupTo(file: string): string {
    return backupTo(this.db, file)
  }

  /** Today's scheduled snapshot beside the database with rotation, unless one exists (then null). */
  scheduledBackup(now?: Date): string | null {
    return scheduledBackup(this.db, this.path, now)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}
