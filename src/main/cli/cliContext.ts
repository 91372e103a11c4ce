import { resolveDataDir } from '../config/dataDir'
import { DataFolder } from '../config/dataFolder'
import { InferenceEngine } from '../model/inferenceEngine'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { CaseStore } from '../store/caseStore'
import { openServices, type Services } from '../services/openServices'

export class UsageError extends Error {}

/** What a CLI command works on; the model engine opens only when a command asks for it. */
export class CliContext {
  readonly dataDir: string
  readonly services: Services
  private engineInstance: InferenceEngine | null = null

  /** `command` names this process to others (a refused `cxr-lens restore` says who holds the file). */
  constructor(args: readonly string[], command = 'cli') {
    this.dataDir = resolveDataDir(args)
    // The same bootstrap as the app: holder listing (waits while a restore runs), quick_check, daily snapshot.
    this.services = openServices(new DataFolder(this.dataDir), { kind: 'cli', what: `cxr-lens ${command}` })
  }

  get store(): CaseStore {
    return this.services.store
  }

  get registry(): ModelRegistry {
    return this.services.registry
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
      await this.services.close()
    }
  }
}
