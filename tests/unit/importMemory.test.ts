import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { crc32 } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { writeDicom } from './dicomWriter'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'
import {
  hugeRowsColumns,
  j2kDeclaring40000,
  jpegLosslessDeclaring40000,
  jpegLosslessHiddenHeader,
  jpegLsDeclaring40000,
  shortPixelData,
} from './hostileFrames'
import { CLI } from './builtCli'

const dir = tempDir()
afterAll(dir.cleanup)
const ROOT = resolve(__dirname, '../..')
const LIMIT_KB = 1.5 * 1024 * 1024

/** Runs the real CLI (built, under plain node) with the peak-RSS preload; never waits past `timeoutMs`. */
function cli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; maxRssKb: number }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--require', join(__dirname, 'maxRss.cjs'), CLI, ...args], { cwd: ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      const rss = /max_rss_kb=(\d+)/.exec(stderr)
      done({ code, stdout, stderr, maxRssKb: rss ? Number(rss[1]) : NaN })
    })
  })
}

describe.runIf(HAS_NIH)('an import of hostile DICOM files stays under 1.5 GB and names each refusal', () => {
  it('refuses every lying header before allocating for it, imports the honest files, peak RSS < 1.5 GB', async () => {
    const png = new Uint8Array(await sharp(join(NIH_256, '00000032_037.png')).greyscale().raw().toBuffer())
    const folder = join(dir.path, 'hostile')
    mkdirSync(folder)
    const files: Record<string, Uint8Array> = {
      'jll-40000.dcm': jpegLosslessDeclaring40000(),
      'jll-hidden.dcm': jpegLosslessHiddenHeader(png),
      'j2k-40000.dcm': await j2kDeclaring40000(png),
      'jls-40000.dcm': await jpegLsDeclaring40000(png),
      'rows-65535.dcm': hugeRowsColumns(),
      'short-pixels.dcm': shortPixelData(),
      'slope-nan.dcm': writeDicom({
        rows: 256,
        columns: 256,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels: png,
        slope: Number.NaN,
      }),
      'slope-1e308.dcm': writeDicom({
        rows: 256,
        columns: 256,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels: png,
        slope: 1e308,
      }),
      'good-256.dcm': writeDicom({
        rows: 256,
        columns: 256,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels: png,
        sopInstanceUid: '1.2.3.256',
      }),
      // The largest image accepted (8192², 16 bits, 128 MiB, incompressible, MONOCHROME1): the honest worst case.
      'max-8192.dcm': writeDicom({
        rows: 8192,
        columns: 8192,
        photometric: 'MONOCHROME1',
        bitsAllocated: 16,
        bitsStored: 16,
        pixels: Uint16Array.from({ length: 8192 * 8192 }, (_, i) => (i * 40503) & 0xffff),
        sopInstanceUid: '1.2.3.8192',
      }),
    }
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes)
    execFileSync('mkfifo', [join(folder, 'fifo.dcm')])
    symlinkSync('/dev/zero', join(folder, 'zero.dcm'))
    expect(readFileSync(join(folder, 'jll-40000.dcm')).length).toBeLessThan(2000) // a small file declaring 3.2 GB

    const run = await cli(['import', '--dicom', folder, '--json', '--data-dir', join(dir.path, 'data')], 240_000)
    expect(run.code, run.stderr).toBe(3) // finished, with refused files
    const summary = JSON.parse(run.stdout) as { imported: number; failed: Array<{ name: string; reason: string }> }
    const reasons = Object.fromEntries(summary.failed.map((f) => [f.name, f.reason]))
    expect(summary.imported).toBe(2)
    expect(Object.keys(reasons).sort()).toEqual([
      'fifo.dcm',
      'j2k-40000.dcm',
      'jll-40000.dcm',
      'jll-hidden.dcm',
      'jls-40000.dcm',
      'rows-65535.dcm',
      'short-pixels.dcm',
      'slope-1e308.dcm',
      'slope-nan.dcm',
      'zero.dcm',
    ])
    expect(reasons['jll-40000.dcm']).toBe('JPEG Lossless: frame header declares 40000×40000, but Columns × Rows is 256×256')
    expect(reasons['jll-hidden.dcm']).toBe('JPEG Lossless: frame header declares 40000×40000, but Columns × Rows is 256×256')
    expect(reasons['j2k-40000.dcm']).toBe('JPEG 2000 Lossless: frame header declares 40000×40000, but Columns × Rows is 256×256')
    expect(reasons['jls-40000.dcm']).toBe('JPEG-LS Lossless: frame header declares 40000×40000, but Columns × Rows is 256×256')
    expect(reasons['rows-65535.dcm']).toMatch(/^Columns × Rows 65535×65535 is beyond the limit/)
    expect(reasons['short-pixels.dcm']).toBe('pixel data is 4096 bytes, but Rows × Columns × samples × bytes is 134217728')
    expect(reasons['slope-nan.dcm']).toBe('RescaleSlope is not a finite decimal number')
    expect(reasons['slope-1e308.dcm']).toMatch(/^RescaleSlope 1e\+308 is outside/)
    expect(reasons['fifo.dcm']).toBe('not a regular file (a FIFO)')
    expect(reasons['zero.dcm']).toBe('not a regular file (a character device)')
    console.log(`hostile DICOM import: peak RSS ${(run.maxRssKb / 1024).toFixed(0)} MiB (limit ${LIMIT_KB / 1024} MiB)`)
    expect(run.maxRssKb).toBeLessThan(LIMIT_KB)
  }, 300_000)
})

/** A real PNG whose IHDR is rewritten (CRC fixed) to declare another size. */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000' } })
      .toColourspace('b-w')
      .png()
      .toBuffer(),
  )
  png.writeUInt32BE(width, 16)
  png.writeUInt32BE(height, 20)
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29) // CRC over "IHDR" and its 13 bytes
  return png
}

describe.runIf(HAS_NIH)('an NIH import of hostile PNGs stays under 1.5 GB', () => {
  it('refuses a PNG declaring 40000×40000, thumbnails real decompression bombs within the pixel limit, peak RSS < 1.5 GB', async () => {
    const bombs: Record<string, Buffer> = {
      'declares-40000.png': await pngDeclaring(40000, 40000),
      // 144 M pixels of zeros in a few hundred kB: real pixels for libvips to stream through.
      'bomb-12000.png': await sharp({ create: { width: 12000, height: 12000, channels: 3, background: '#000' } })
        .toColourspace('b-w')
        .png({ compressionLevel: 9 })
        .toBuffer(),
      'bomb-16bit-8000.png': await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#101010' } })
        .toColourspace('grey16')
        .png({ compressionLevel: 9 })
        .toBuffer(),
    }
    const folder = imageFolder(join(dir.path, 'png'), NIH_256, ['00000032_037.png'], bombs)
    const run = await cli(
      ['import', '--images', folder, '--labels', LABELS_CSV, '--json', '--data-dir', join(dir.path, 'png-data')],
      240_000,
    )
    expect(run.code, run.stderr).toBe(3) // finished, with refused files
    const summary = JSON.parse(run.stdout) as { imported: number; failed: Array<{ name: string; reason: string }> }
    expect(summary.failed.map((f) => f.name)).toEqual(['declares-40000.png'])
    expect(summary.failed[0].reason).toMatch(/^not a readable image: .*pixel limit/)
    expect(summary.imported).toBe(3)
    console.log(`hostile PNG import: peak RSS ${(run.maxRssKb / 1024).toFixed(0)} MiB (limit ${LIMIT_KB / 1024} MiB)`)
    expect(run.maxRssKb).toBeLessThan(LIMIT_KB)
  }, 300_000)
})
