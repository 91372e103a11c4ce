import type { Db } from './database'

export interface ModelRecord {
  id: string
  version: string
  sha256: string
  manifest: string
  registeredAt: string
}

/**
 * The (id, version) is already held by another file, in this store or in the data folder's models.
 * Two processes can each see a name free in their store (two `cxr-lens train` runs started in the same
 * second drew it, and neither has registered yet); the folder, published with one rename, decides which
 * of them has it, and the other gets this error (and a new name) rather than a silent success that names
 * a model it does not hold.
 */
export class ModelVersionTakenError extends Error {
  constructor(
    readonly id: string,
    readonly version: string,
    readonly heldSha256: string,
  ) {
    super(
      `Model ${id} version ${version} is already registered with a different file (SHA-256 ${heldSha256.slice(0, 12)}…); give the new model a new version`,
    )
    this.name = 'ModelVersionTakenError'
  }
}

/** Model versions known to this store; predictions and heatmaps reference them. */
export class ModelRepository {
  private readonly upsert
  private readonly all
  private readonly one

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO models (id, version, sha256, manifest, registered_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (id, version) DO NOTHING`)
    this.all = db.prepare(
      'SELECT id, version, sha256, manifest, registered_at AS registeredAt FROM models ORDER BY registered_at, id, version',
    )
    this.one = db.prepare('SELECT id, version, sha256, manifest, registered_at AS registeredAt FROM models WHERE id = ? AND version = ?')
  }

  /** Returns the stored record; an existing (id, version) with another hash is a conflict, never overwritten. */
  register(id: string, version: string, sha256: string, manifest: string, at = new Date().toISOString()): ModelRecord {
    this.upsert.run(id, version, sha256, manifest, at)
    const stored = this.get(id, version)!
    if (stored.sha256 !== sha256) throw new ModelVersionTakenError(id, version, stored.sha256)
    return stored
  }

  get(id: string, version: string): ModelRecord | undefined {
    return this.one.get(id, version) as ModelRecord | undefined
  }

  list(): ModelRecord[] {
    return this.all.all() as ModelRecord[]
  }
}
