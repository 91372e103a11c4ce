/**
 * Undo/redo of box edits as commands, each knowing how to reverse itself through the api:
 * undo of a create is a delete, undo of a delete is a restore (same id, so later commands that
 * name the box stay valid), undo of an update is the update back. Pure bookkeeping: the box store
 * executes what `undo()`/`redo()` hand back.
 */
import type { BoxDraft } from '../../../shared/domain'

export type BoxCommand =
  | { kind: 'create'; id: number; draft: BoxDraft }
  | { kind: 'delete'; id: number; draft: BoxDraft }
  | { kind: 'update'; id: number; before: BoxDraft; after: BoxDraft }

/** What to do to the store to apply a command forwards (redo) or backwards (undo). */
export type BoxEffect =
  { op: 'delete'; id: number } | { op: 'restore'; id: number; draft: BoxDraft } | { op: 'update'; id: number; draft: BoxDraft }

export function forward(command: BoxCommand): BoxEffect {
  if (command.kind === 'create') return { op: 'restore', id: command.id, draft: command.draft }
  if (command.kind === 'delete') return { op: 'delete', id: command.id }
  return { op: 'update', id: command.id, draft: command.after }
}

export function backward(command: BoxCommand): BoxEffect {
  if (command.kind === 'create') return { op: 'delete', id: command.id }
  if (command.kind === 'delete') return { op: 'restore', id: command.id, draft: command.draft }
  return { op: 'update', id: command.id, draft: command.before }
}

const LIMIT = 200

export class CommandStack {
  private done: BoxCommand[] = []
  private undone: BoxCommand[] = []

  push(command: BoxCommand): void {
    this.done.push(command)
    if (this.done.length > LIMIT) this.done.shift()
    this.undone = []
  }

  undo(): BoxEffect | null {
    const command = this.done.pop()
    if (!command) return null
    this.undone.push(command)
    return backward(command)
  }

  redo(): BoxEffect | null {
    const command = this.undone.pop()
    if (!command) return null
    this.done.push(command)
    return forward(command)
  }

  /** A temporary (optimistic) id became the server's id. */
  renameId(from: number, to: number): void {
    for (const command of [...this.done, ...this.undone]) if (command.id === from) command.id = to
  }

  clear(): void {
    this.done = []
    this.undone = []
  }

  get canUndo(): boolean {
    return this.done.length > 0
  }

  get canRedo(): boolean {
    return this.undone.length > 0
  }
}
