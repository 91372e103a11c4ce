/** The SVG filter the image layer's canvas refers to (see canvas/windowLevel.ts for the maths). */
import { transfer, type WindowLevel } from '../canvas/windowLevel'

export const WL_FILTER_ID = 'cxr-window-level'

export function WindowLevelFilter({ windowLevel }: { windowLevel: WindowLevel }) {
  const { slope, intercept } = transfer(windowLevel)
  return (
    <svg width="0" height="0" style={{ position: 'absolute' }} aria-hidden>
      <filter id={WL_FILTER_ID} colorInterpolationFilters="sRGB">
        <feComponentTransfer>
          <feFuncR type="linear" slope={slope} intercept={intercept} />
          <feFuncG type="linear" slope={slope} intercept={intercept} />
          <feFuncB type="linear" slope={slope} intercept={intercept} />
        </feComponentTransfer>
      </filter>
    </svg>
  )
}
