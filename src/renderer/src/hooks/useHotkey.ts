/**
 * A single-key shortcut on the window, ignored while the user types in a field or holds Ctrl/Meta/Alt.
 * `key` is compared with KeyboardEvent.key, case-insensitively for letters.
 */
import { useEffect, useRef } from 'react'

export function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
}

export function useHotkey(key: string, action: () => void, enabled = true): void {
  const actionRef = useRef(action)
  useEffect(() => {
    actionRef.current = action
  }, [action])

  useEffect(() => {
    if (!enabled) return
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || isTyping(event.target)) return
      if (event.key.toLowerCase() !== key.toLowerCase()) return
      event.preventDefault()
      actionRef.current()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [key, enabled])
}
