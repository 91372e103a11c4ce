/** Calls `callback` once input has been quiet for `delayMs` (the latest callback wins). */
import { useEffect, useRef } from 'react'

export function useDebouncedCallback<A extends unknown[]>(callback: (...args: A) => void, delayMs: number): (...args: A) => void {
  const callbackRef = useRef(callback)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => {
    callbackRef.current = callback
  }, [callback])
  useEffect(() => () => clearTimeout(timer.current), [])
  const debounced = useRef((...args: A) => {
    clearTimeout(timer.current)
    timer.current = setTimeout(() => callbackRef.current(...args), delayMs)
  })
  return debounced.current
}
