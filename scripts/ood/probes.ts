/**
 * Images that are not frontal chest radiographs, made or found on this machine, for fitting
 * (method choice on validation) and measuring (bench:ood on the test split) the out-of-distribution
 * check. Every probe is PNG bytes, so it enters the model through the app's own preprocessing.
 */
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { seededRandom } from '../../src/shared/random'

/** Made from one development radiograph. */
export const DERIVED_KINDS = ['rotated90', 'rotated180', 'inverted', 'cropQuarter', 'downscaled32'] as const
/** Made from nothing (seeded). */
export const SYNTHETIC_KINDS = ['noise', 'gradient'] as const
export type DerivedKind = (typeof DERIVED_KINDS)[number]
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number]

/** One derived probe of a radiograph; `index` picks which quadrant a crop keeps, so crops cover all four. */
export async function derivedProbe(image: string, kind: DerivedKind, index: number): Promise<Uint8Array> {
  const meta = await sharp(image).metadata()
  const width = meta.width!
  const height = meta.height!
  const png = (s: Sharp) => s.png().toBuffer()
  switch (kind) {
    case 'rotated90':
      return png(sharp(image).rotate(90))
    case 'rotated180':
      return png(sharp(image).rotate(180))
    case 'inverted':
      return png(sharp(image).negate({ alpha: false }))
    case 'cropQuarter': {
      // A quarter of the area: one quadrant, half the width and half the height.
      const w = Math.floor(width / 2)
      const h = Math.floor(height / 2)
      return png(sharp(image).extract({ left: (index % 2) * w, top: (Math.floor(index / 2) % 2) * h, width: w, height: h }))
    }
    case 'downscaled32': {
      const small = await sharp(image).resize(32, 32, { fit: 'fill' }).png().toBuffer()
      return png(sharp(small).resize(width, height, { fit: 'fill', kernel: 'cubic' }))
    }
  }
}

/** Seeded noise (uniform, Gaussian, colour, blocky) and gradients (linear, radial, stripes), 256². */
export async function syntheticProbe(kind: SyntheticKind, index: number, seed: number): Promise<Uint8Array> {
  const size = 256
  const random = seededRandom(seed * 100_003 + index)
  const rgb = new Uint8Array(size * size * 3)
  const put = (p: number, r: number, g = r, b = r) => {
    rgb[p * 3] = Math.max(0, Math.min(255, Math.round(r)))
    rgb[p * 3 + 1] = Math.max(0, Math.min(255, Math.round(g)))
    rgb[p * 3 + 2] = Math.max(0, Math.min(255, Math.round(b)))
  }
  const variant = index % 4
  if (kind === 'noise') {
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    const block = 1 + Math.floor(random() * 16)
    const level = 64 + random() * 128
    const spread = 20 + random() * 60
    const cells = new Map<number, number>()
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const p = y * size + x
        if (variant === 0) put(p, random() * 255)
        else if (variant === 1) put(p, level + spread * gauss())
        else if (variant === 2) put(p, random() * 255, random() * 255, random() * 255)
        else {
          const cell = Math.floor(y / block) * 1000 + Math.floor(x / block)
          if (!cells.has(cell)) cells.set(cell, random() * 255)
          put(p, cells.get(cell)!)
        }
      }
  } else {
    const angle = random() * 2 * Math.PI
    const [lo, hi] = [random() * 128, 128 + random() * 127]
    const cx = random() * size
    const cy = random() * size
    const period = 8 + random() * 56
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const p = y * size + x
        const u = ((x - size / 2) * Math.cos(angle) + (y - size / 2) * Math.sin(angle)) / size + 0.5
        if (variant === 0) put(p, lo + (hi - lo) * u)
        else if (variant === 1) put(p, lo + ((hi - lo) * Math.hypot(x - cx, y - cy)) / (size * 1.2))
        else if (variant === 2) put(p, lo + (hi - lo) * (0.5 + 0.5 * Math.sin((2 * Math.PI * u * size) / period)))
        else put(p, lo + (hi - lo) * u, hi - (hi - lo) * u, (lo + hi) / 2)
      }
  }
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer()
}

/** Where non-medical pictures ship on a Debian machine with this project installed: icons, logos, doc figures. */
export const NON_MEDICAL_ROOTS = [
  '/usr/share/pixmaps',
  '/usr/share/icons',
  '/usr/share/doc',
  'node_modules/app-builder-lib/templates/icons',
  'node_modules/playwright-core/lib',
  'build',
]

/**
 * PNG and JPEG files of at least 4 KB under those folders (sorted, one size per icon name so a theme's
 * 16 sizes of one icon count once, at most `limit`), with the folder each came from.
 */
export function nonMedicalImages(limit = 200): Array<{ path: string; root: string }> {
  const found: Array<{ path: string; root: string }> = []
  const seen = new Set<string>()
  const walk = (root: string, dir: string, depth: number) => {
    if (depth > 8) return
    let entries: string[]
    try {
      entries = readdirSync(dir).sort()
    } catch {
      return
    }
    for (const name of entries) {
      const path = join(dir, name)
      const stat = statSync(path, { throwIfNoEntry: false })
      if (!stat) continue
      if (stat.isDirectory()) walk(root, path, depth + 1)
      else if (stat.isFile() && /\.(png|jpe?g)$/i.test(name) && stat.size >= 4096 && !seen.has(name)) {
        seen.add(name)
        found.push({ path, root })
      }
    }
  }
  for (const root of NON_MEDICAL_ROOTS) walk(root, resolve(root), 0)
  // Spread the cap over the folders rather than filling it from the first.
  const byRoot = NON_MEDICAL_ROOTS.map((root) => found.filter((f) => f.root === root))
  const picked: Array<{ path: string; root: string }> = []
  for (let i = 0; picked.length < limit && byRoot.some((list) => i < list.length); i++)
    for (const list of byRoot) if (i < list.length && picked.length < limit) picked.push(list[i])
  return picked
}

/** The development split file's image names of one split. */
export function splitImages(splitCsv: string, split: string, readText: (path: string) => string): string[] {
  const lines = readText(splitCsv).trim().split(/\r?\n/)
  const header = lines[0].split(',')
  const [image, which] = [header.indexOf('image'), header.indexOf('split')]
  if (image < 0 || which < 0) throw new Error(`${splitCsv}: needs columns image and split`)
  return lines
    .slice(1)
    .map((line) => line.split(','))
    .filter((cells) => cells[which] === split)
    .map((cells) => cells[image])
}
