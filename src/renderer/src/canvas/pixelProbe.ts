/**
 * Grey value under the cursor: the decoded image drawn once into an offscreen canvas, its pixels
 * read back lazily on the first hover (a 1024² image is 4 MB, kept while the case is open).
 */
export function createPixelProbe(bitmap: ImageBitmap): (x: number, y: number) => number | null {
  let data: Uint8ClampedArray | null = null
  return (x, y) => {
    const px = Math.floor(x)
    const py = Math.floor(y)
    if (px < 0 || py < 0 || px >= bitmap.width || py >= bitmap.height) return null
    if (!data) {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
      const context = canvas.getContext('2d', { willReadFrequently: true })
      if (!context) return null
      context.drawImage(bitmap, 0, 0)
      data = context.getImageData(0, 0, bitmap.width, bitmap.height).data
    }
    return data[(py * bitmap.width + px) * 4]!
  }
}
