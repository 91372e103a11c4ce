import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { CaseStore } from '../store/caseStore'
import { ModelVersionTakenError } from '../store/modelRepository'
import { loadModelPackage, type ModelPackage } from '../model/modelPackage'

const STAGING_SUFFIX = '.partial'
/** A staging copy this old was left by a crash, not by an import still copying. */
const STALE_STAGING_MS = 60 * 60 * 1000

export interface ModelEntry {
  pkg: ModelPackage
  source: 'bundled' | 'imported'
}

export interface BrokenModel {
  dir: string
  error: string
}

/**
 * Where the app's own models are: `resources/models` in the repository, or beside the packaged app
 * (electron-builder copies it to process.resourcesPath/models).
 */
export function bundledModelsDir(): string {
  const packaged = (process as { resourcesPath?: string }).resourcesPath
  if (packaged && existsSync(join(packaged, 'models'))) return join(packaged, 'models')
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'resources', 'models'))) return join(dir, 'resources', 'models')
  }
  return resolve('resources/models')
}

/**
 * Model packages the workstation can use: bundled ones first, then those a user imported into the
 * data folder. The first listed is the default. Every package is verified (hash, tensors) when
 * listed; a broken one is reported, never used.
 */
export class ModelRegistry {
  private readonly cache = new Map<string, { stamp: string; entry: ModelEntry }>()

  constructor(
    private readonly store: CaseStore,
    private readonly importedDir: string,
    private readonly bundledDir = bundledModelsDir(),
  ) {}

  scan(): { models: ModelEntry[]; broken: BrokenModel[] } {
    const models: ModelEntry[] = []
    const broken: BrokenModel[] = []
    for (const [root, source] of [
      [this.bundledDir, 'bundled'],
      [this.importedDir, 'imported'],
    ] as const) {
      if (!existsSync(root)) continue
      for (const name of readdirSync(root).sort()) {
        const dir = join(root, name)
        // A staging copy left by a crash mid-import is not a model; the next import replaces it.
        if (name.endsWith(STAGING_SUFFIX) || !existsSync(join(dir, 'manifest.json'))) continue
        try {
          models.push(this.load(dir, source))
        } catch (error) {
          broken.push({ dir, error: (error as Error).message })
        }
      }
    }
    return { models, broken }
  }

  list(): ModelEntry[] {
    return this.scan().models
  }

  /** A model by id (latest registered version unless one is named); the default when id is omitted. */
  get(id?: string, version?: string): ModelEntry {
    const models = this.list()
    if (models.length === 0) throw new Error('No model is installed. Import one with `cxr-lens models import DIR`.')
    if (!id) return models[0]
    const matching = models.filter((m) => m.pkg.manifest.id === id && (!version || m.pkg.manifest.version === version))
    if (matching.length === 0) {
      throw new Error(
        `No model "${id}"${version ? ` version ${version}` : ''}; installed: ${models.map((m) => `${m.pkg.manifest.id}@${m.pkg.manifest.version}`).join(', ')}`,
      )
    }
    return matching[matching.length - 1]
  }

  /** Validates a package folder, copies it into the data folder and registers it. */
  import(sourceDir: string): ModelEntry {
    const pkg = loadModelPackage(sourceDir)
    const { id, version, sha256 } = pkg.manifest
    const known = this.store.models.get(id, version)
    if (known && known.sha256 !== sha256) throw new ModelVersionTakenError(id, version, known.sha256)
    const target = join(this.importedDir, `${id}@${version}`)
    if (!existsSync(target)) this.publish(pkg.dir, target)
    // Registered only once the folder is in place (load registers it): a crash in between leaves no
    // database row without its model, and the published folder is registered on the next scan. The
    // folder may be another process's, published since the check above: it is registered as what it
    // is, and this import is refused.
    const entry = this.load(target, 'imported')
    if (entry.pkg.manifest.sha256 !== sha256) throw new ModelVersionTakenError(id, version, entry.pkg.manifest.sha256)
    return entry
  }

  /** Copies a package beside its final name, verifies the copy, then makes it visible with one rename. */
  private publish(from: string, target: string): void {
    mkdirSync(this.importedDir, { recursive: true })
    this.removeStaleStaging(target)
    // Each import its own staging name: a shared one let a second process delete the first's copy.
    const staging = `${target}.${process.pid}-${randomBytes(4).toString('hex')}${STAGING_SUFFIX}`
    try {
      cpSync(from, staging, { recursive: true, filter: (src) => !src.endsWith('reference.json') })
      loadModelPackage(staging)
      try {
        renameSync(staging, target)
      } catch (error) {
        // A rename onto a folder that holds files fails (ENOTEMPTY, EEXIST; EPERM on Windows): another
        // import published this name first, and import() compares its file with ours.
        if (!existsSync(target)) throw error
      }
    } finally {
      rmSync(staging, { recursive: true, force: true })
    }
  }

  private removeStaleStaging(target: string): void {
    const prefix = `${basename(target)}.`
    for (const name of readdirSync(this.importedDir)) {
      if (!name.startsWith(prefix) || !name.endsWith(STAGING_SUFFIX)) continue
      const dir = join(this.importedDir, name)
      const modified = statSync(dir, { throwIfNoEntry: false })?.mtimeMs
      if (modified !== undefined && Date.now() - modified > STALE_STAGING_MS) rmSync(dir, { recursive: true, force: true })
    }
  }

  private load(dir: string, source: ModelEntry['source']): ModelEntry {
    const model = statSync(join(dir, 'model.onnx'), { throwIfNoEntry: false })
    const manifest = statSync(join(dir, 'manifest.json'))
    const stamp = `${model?.mtimeMs}:${model?.size}:${manifest.mtimeMs}:${manifest.size}`
    const cached = this.cache.get(dir)
    if (cached && cached.stamp === stamp) return cached.entry
    const pkg = loadModelPackage(dir)
    this.store.models.register(pkg.manifest.id, pkg.manifest.version, pkg.manifest.sha256, JSON.stringify(pkg.manifest))
    const entry = { pkg, source }
    this.cache.set(dir, { stamp, entry })
    return entry
  }
}
