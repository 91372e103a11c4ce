import { join } from 'node:path'
import { databasePath, resolveDataDir } from '../config/dataDir'
import { InferenceEngine } from '../model/inferenceEngine'
import { ModelRegistry } from '../registry/modelRegistry'
import { CaseStore } from '../store/caseStore'
import { registerHolder } from '../store/dbHolders'

export class UsageError extends Error {}

/** What a CLI command works on; the model engine opens only when a command asks for it. */
export class CliContext {
  readonly dataDir: string
  readonly store: CaseStore
  private registryInstance: ModelRegistry | null = null
  private engineInstance: InferenceEngine | null = null
  private readonly release: () => void

  /** `command` names this process to others (a refused `cxr-lens restore` says who holds the file). */
  constructor(args: readonly string[], command = 'cli') {
    this.dataDir = resolveDataDir(args)
    // Listed before the file opens; waits while another process is restoring a backup.
    this.release = registerHolder(this.dataDir, 'cli', `cxr-lens ${command}`)
    try {
      this.store = CaseStore.open(databasePath(this.dataDir))
    } catch (error) {
      this.release()
      throw error
    }
  }

  get registry(): ModelRegistry {
    return (this.registryInstance ??= new ModelRegistry(this.store, join(this.dataDir, 'models')))
  }

  engine(threads?: number): InferenceEngine {
    return (this.engineInstance ??= new InferenceEngine({ threads }))
  }

  /** Case ids for --case NAME (repeatable) or --all. */
  selectCases(names: string[] | undefined, all: boolean | undefined): number[] {
    if (all) {
      const ids: number[] = []
      for (let offset = 0; ; offset += 500) {
        const page = this.store.worklist.query({ offset, limit: 500 })
        ids.push(...page.rows.map((r) => r.id))
        if (ids.length >= page.total || page.rows.length === 0) return ids
      }
    }
    if (!names?.length) throw new UsageError('name cases with --case NAME (repeatable) or use --all')
    return names.map((name) => {
      const [record] = this.store.cases.findByImageName(name)
      if (!record) throw new Error(`No case named ${name} in ${this.dataDir}`)
      return record.id
    })
  }

  async close(): Promise<void> {
    try {
      await this.engineInstance?.close()
    } finally {
      this.store.close()
      this.release()
    }
  }
}
