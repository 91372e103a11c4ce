/**
 * Tracks an element's content size with a ResizeObserver. The first size is read before the first
 * paint (a layout effect), so a canvas can be drawn in the same frame as it is mounted instead of
 * one observer callback later.
 */
import { useLayoutEffect, useRef, useState } from 'react'

export function useElementSize<T extends HTMLElement>() {
  const ref = useRef<T>(null)
  const [size, setSize] = useState({ width: 0, height: 0 })
  useLayoutEffect(() => {
    const element = ref.current
    if (!element) return
    const apply = (width: number, height: number) =>
      setSize((prev) =>
        prev.width === Math.floor(width) && prev.height === Math.floor(height)
          ? prev
          : { width: Math.floor(width), height: Math.floor(height) },
      )
    apply(element.clientWidth, element.clientHeight)
    const observer = new ResizeObserver(([entry]) => entry && apply(entry.contentRect.width, entry.contentRect.height))
    observer.observe(element)
    return () => observer.disconnect()
  }, [])
  return [ref, size] as const
}
