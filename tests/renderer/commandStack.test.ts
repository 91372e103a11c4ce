import { describe, expect, it } from 'vitest'
import { backward, CommandStack, forward, type BoxCommand } from '../../src/renderer/src/stores/commandStack'

const draft = (x: number) => ({ finding: 'Mass', x, y: 2, w: 3, h: 4 })

describe('box commands', () => {
  it('reverse themselves: create ↔ delete/restore, delete ↔ restore/delete, update ↔ update back', () => {
    expect(forward({ kind: 'create', id: 1, draft: draft(1) })).toEqual({ op: 'restore', id: 1, draft: draft(1) })
    expect(backward({ kind: 'create', id: 1, draft: draft(1) })).toEqual({ op: 'delete', id: 1 })
    expect(forward({ kind: 'delete', id: 2, draft: draft(2) })).toEqual({ op: 'delete', id: 2 })
    expect(backward({ kind: 'delete', id: 2, draft: draft(2) })).toEqual({ op: 'restore', id: 2, draft: draft(2) })
    const update: BoxCommand = { kind: 'update', id: 3, before: draft(3), after: draft(30) }
    expect(forward(update)).toEqual({ op: 'update', id: 3, draft: draft(30) })
    expect(backward(update)).toEqual({ op: 'update', id: 3, draft: draft(3) })
  })
})

describe('CommandStack', () => {
  it('undoes in reverse order and redoes what was undone', () => {
    const stack = new CommandStack()
    expect(stack.canUndo).toBe(false)
    expect(stack.undo()).toBeNull()
    stack.push({ kind: 'create', id: 1, draft: draft(1) })
    stack.push({ kind: 'update', id: 1, before: draft(1), after: draft(5) })
    expect(stack.undo()).toEqual({ op: 'update', id: 1, draft: draft(1) })
    expect(stack.undo()).toEqual({ op: 'delete', id: 1 })
    expect(stack.canUndo).toBe(false)
    expect(stack.canRedo).toBe(true)
    expect(stack.redo()).toEqual({ op: 'restore', id: 1, draft: draft(1) })
    expect(stack.redo()).toEqual({ op: 'update', id: 1, draft: draft(5) })
    expect(stack.redo()).toBeNull()
  })

  it('forgets the redo branch when a new command is pushed', () => {
    const stack = new CommandStack()
    stack.push({ kind: 'create', id: 1, draft: draft(1) })
    stack.undo()
    stack.push({ kind: 'create', id: 2, draft: draft(2) })
    expect(stack.canRedo).toBe(false)
    expect(stack.undo()).toEqual({ op: 'delete', id: 2 })
    expect(stack.undo()).toBeNull()
  })

  it('keeps the last 200 commands', () => {
    const stack = new CommandStack()
    for (let id = 1; id <= 205; id++) stack.push({ kind: 'create', id, draft: draft(id) })
    const undone: number[] = []
    for (let effect = stack.undo(); effect; effect = stack.undo()) undone.push(effect.id)
    expect(undone).toHaveLength(200)
    expect(undone[0]).toBe(205)
    expect(undone.at(-1)).toBe(6)
  })

  it('renames a temporary id in both directions once the server assigns the real one', () => {
    const stack = new CommandStack()
    stack.push({ kind: 'create', id: -1, draft: draft(1) })
    stack.push({ kind: 'update', id: -1, before: draft(1), after: draft(2) })
    stack.undo()
    stack.renameId(-1, 42)
    expect(stack.redo()).toEqual({ op: 'update', id: 42, draft: draft(2) })
    expect(stack.undo()).toEqual({ op: 'update', id: 42, draft: draft(1) })
    expect(stack.undo()).toEqual({ op: 'delete', id: 42 })
    stack.clear()
    expect(stack.canRedo || stack.canUndo).toBe(false)
  })
})
