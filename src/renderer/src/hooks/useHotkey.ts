/**
 * A single-key shortcut on the window, ignored while Ctrl/Meta/Alt is held, while focus is in a
 * field, a dialog or the tab bar, and while the view it belongs to is hidden (see shortcutScope).
 * `key` is compared with KeyboardEvent.key, case-insensitively for letters.
 */
import { useEffect, useRef } from 'react'
import { keyBelongsToFocus, useShortcutsActive } from './shortcutScope'

export function useHotkey(key: string, action: () => void, enabledHere = true): void {
  const enabled = useShortcutsActive() && enabledHere
  const actionRef = useRef(action)
  useEffect(() => {
    actionRef.current = action
  }, [action])

  useEffect(() => {
    if (!enabled) return
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || keyBelongsToFocus(event.target)) return
      if (event.key.toLowerCase() !== key.toLowerCase()) return
      event.preventDefault()
      actionRef.current()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [key, enabled])
}
