// `node scripts/make-icons.mjs`: renders build/icon.svg with sharp into the installer icons that
// electron-builder reads from build/: icon.png (512², Linux), icon.ico (Windows, PNG-compressed
// entries 16–256) and icon.icns (macOS, PNG entries 128–1024). ICO and ICNS are small containers,
// written here so that no icon tool has to be installed. The outputs are committed.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'

const build = new URL('../build/', import.meta.url).pathname
const svg = readFileSync(join(build, 'icon.svg'))
const render = (size) =>
  sharp(svg, { density: Math.ceil((72 * size) / 512) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer()

/** ICO: a 6-byte header, a 16-byte entry per image, then the PNG files (Vista+ reads PNG entries). */
function ico(images) {
  const header = Buffer.alloc(6 + 16 * images.length)
  header.writeUInt16LE(1, 2) // type: icon
  header.writeUInt16LE(images.length, 4)
  let offset = header.length
  images.forEach(({ size, png }, i) => {
    const at = 6 + 16 * i
    header[at] = size >= 256 ? 0 : size // 0 means 256
    header[at + 1] = size >= 256 ? 0 : size
    header.writeUInt16LE(1, at + 4) // colour planes
    header.writeUInt16LE(32, at + 6) // bits per pixel
    header.writeUInt32LE(png.length, at + 8)
    header.writeUInt32LE(offset, at + 12)
    offset += png.length
  })
  return Buffer.concat([header, ...images.map((i) => i.png)])
}

/** ICNS: 'icns' + total length, then per image a 4-character type, its length (header included) and a PNG. */
function icns(images) {
  const types = { 128: 'ic07', 256: 'ic08', 512: 'ic09', 1024: 'ic10' }
  const chunks = images.map(({ size, png }) => {
    const head = Buffer.alloc(8)
    head.write(types[size], 0, 'latin1')
    head.writeUInt32BE(png.length + 8, 4)
    return Buffer.concat([head, png])
  })
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'latin1')
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4)
  return Buffer.concat([head, ...chunks])
}

const sizes = [16, 32, 48, 64, 128, 256, 512, 1024]
const images = await Promise.all(sizes.map(async (size) => ({ size, png: await render(size) })))
const pick = (list) => images.filter((i) => list.includes(i.size))
writeFileSync(join(build, 'icon.png'), pick([512])[0].png)
writeFileSync(join(build, 'icon.ico'), ico(pick([16, 32, 48, 64, 128, 256])))
writeFileSync(join(build, 'icon.icns'), icns(pick([128, 256, 512, 1024])))
console.log(JSON.stringify({ png: 512, ico: [16, 32, 48, 64, 128, 256], icns: [128, 256, 512, 1024] }))
