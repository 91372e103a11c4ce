import type { Db } from './database'

export class FeatureRepository {
  private readonly putStmt
  private readonly getStmt

  constructor(db: Db) {
    this.putStmt = db.prepare('INSERT OR REPLACE INTO feature_cache (model_sha256, case_id, data) VALUES (?, ?, ?)')
    this.getStmt = db.prepare('SELECT data FROM feature_cache WHERE model_sha256 = ? AND case_id = ?')
  }

  store(modelSha: string, caseId: number, features: Float32Array): void {
    this.putStmt.run(modelSha, caseId, new Uint8Array(features.buffer, features.byteOffset, features.byteLength))
  }

  load(modelSha: string, caseId: number): Float32Array | undefined {
    const row = this.getStmt.get(modelSha, caseId) as { data: Uint8Array } | undefined
    if (!row) return undefined
    const out = new Float32Array(row.data.byteLength / 4)
    new Uint8Array(out.buffer).set(row.data)
    return out
  }
}
