/**
 * When a single-key shortcut may act. Keys belong to the case view only while it is the view shown
 * (not behind the Dashboard tab), and never while focus is where keys mean something else: a text
 * field, a dialog (the reader picker included), the tab bar or a menu.
 */
import { createContext, useContext } from 'react'

/** False while the case view is mounted but hidden (the Dashboard is shown). */
export const ShortcutsActive = createContext(true)

export function useShortcutsActive(): boolean {
  return useContext(ShortcutsActive)
}

export function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
}

/** Dialogs (the reader picker is a non-modal one), the tab bar, menus, and MUI's modal layers (open select menus, the import dialog). */
const KEYS_OWNED_BY = '[role="dialog"], [role="alertdialog"], [role="tablist"], [role="menu"], .MuiModal-root'
const OPEN_MODAL = '[aria-modal="true"], .MuiModal-root'

/** True when this key press is for the element that has focus, not for the case view. */
export function keyBelongsToFocus(target: EventTarget | null): boolean {
  if (isTyping(target)) return true
  // A modal owns every key while it is open, wherever focus went.
  if (document.querySelector(OPEN_MODAL) !== null) return true
  return target instanceof Element && target.closest(KEYS_OWNED_BY) !== null
}
