/**
 * useState that returns to its initial value when `scope` changes (the case view opening another
 * case), in the same render: nothing of the previous case is ever drawn under the new case's id.
 * The view stays mounted across cases, so its panels are updated rather than built again.
 */
import { useCallback, useState } from 'react'

type Update<T> = T | ((previous: T) => T)

export function useScopedState<T>(scope: unknown, initial: T | (() => T)): [T, (next: Update<T>) => void] {
  const start = (): T => (typeof initial === 'function' ? (initial as () => T)() : initial)
  const [slot, setSlot] = useState(() => ({ scope, value: start() }))
  let value = slot.value
  if (slot.scope !== scope) {
    value = start()
    setSlot({ scope, value })
  }
  // A write from the previous scope (a late answer for the case left) is dropped.
  const set = useCallback(
    (next: Update<T>) =>
      setSlot((s) => (s.scope === scope ? { scope, value: typeof next === 'function' ? (next as (p: T) => T)(s.value) : next } : s)),
    [scope],
  )
  return [value, set]
}
