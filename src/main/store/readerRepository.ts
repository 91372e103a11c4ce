import type { Reader, ReaderRole } from '../../shared/domain'
import type { Db } from './database'

export class ReaderRepository {
  private readonly insert
  private readonly all
  private readonly one

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO readers (name, role, created_at) VALUES (?, ?, ?)')
    this.all = db.prepare('SELECT id, name, role, created_at AS createdAt FROM readers ORDER BY name COLLATE NOCASE')
    this.one = db.prepare('SELECT id, name, role, created_at AS createdAt FROM readers WHERE id = ?')
  }

  create(name: string, role: ReaderRole, at = new Date().toISOString()): Reader {
    try {
      return this.get(Number(this.insert.run(name.trim(), role, at).lastInsertRowid))!
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Error(`A reader named "${name.trim()}" already exists`)
      throw error
    }
  }

  list(): Reader[] {
    return this.all.all() as Reader[]
  }

  get(id: number): Reader | undefined {
    return this.one.get(id) as Reader | undefined
  }
}
