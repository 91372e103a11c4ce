/**
 * Keyboard of the case view: box editing (b, Delete/Backspace, Escape), undo/redo (Ctrl+Z,
 * Ctrl+Shift+Z, Ctrl+Y), review flow (n/p or PageDown/PageUp, r, u to set a reviewed case back in
 * review). Like every other shortcut, ignored while focus is in a field, a dialog or the tab bar,
 * and while the case view is hidden behind the Dashboard (see shortcutScope).
 */
import { useEffect, useRef } from 'react'
import { keyBelongsToFocus, useShortcutsActive } from './shortcutScope'

export interface CaseKeyActions {
  draw: () => void
  cancel: () => void
  deleteSelected: () => void
  undo: () => void
  redo: () => void
  next: () => void
  previous: () => void
  markReviewed: () => void
  reopen: () => void
}

export function useCaseKeys(actions: CaseKeyActions): void {
  const ref = useRef(actions)
  ref.current = actions
  const active = useShortcutsActive()
  useEffect(() => {
    if (!active) return
    const onKey = (event: KeyboardEvent) => {
      if (keyBelongsToFocus(event.target) || event.altKey) return
      const a = ref.current
      const key = event.key.toLowerCase()
      const command = event.ctrlKey || event.metaKey
      let action: (() => void) | null = null
      if (command && key === 'z') action = event.shiftKey ? a.redo : a.undo
      else if (command && key === 'y') action = a.redo
      else if (command || event.repeat) return
      else if (key === 'b') action = a.draw
      else if (key === 'escape') action = a.cancel
      else if (key === 'delete' || key === 'backspace') action = a.deleteSelected
      else if (key === 'n' || key === 'pagedown') action = a.next
      else if (key === 'p' || key === 'pageup') action = a.previous
      else if (key === 'r') action = a.markReviewed
      else if (key === 'u') action = a.reopen
      if (!action) return
      event.preventDefault()
      action()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [active])
}
