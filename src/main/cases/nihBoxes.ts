import type { NihBoxRow } from './nihCsv'

/** NIH box coordinates are pixels of the released 1024×1024 PNGs. */
export const NIH_BOX_SPACE = 1024

/** Maps an NIH box into the pixel space of the image actually stored (e.g. ÷4 for 256² downscales). */
export function scaleNihBox(box: Pick<NihBoxRow, 'x' | 'y' | 'w' | 'h'>, width: number, height: number) {
  const sx = width / NIH_BOX_SPACE
  const sy = height / NIH_BOX_SPACE
  return { x: box.x * sx, y: box.y * sy, w: box.w * sx, h: box.h * sy }
}
