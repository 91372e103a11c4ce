import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { DicomError, decodeDicom } from '../../src/main/dicom/dicomDecode'
import { encodeJpeg2000, encodeJpegLs } from './dicomEncoders'
import {
  j2kDeclaring40000,
  JPEG_LOSSLESS_SV1,
  jpegLosslessDeclaring40000,
  jpegLosslessHiddenHeader,
  jpegLsDeclaring40000,
} from './hostileFrames'
import { encodeJpegLossless } from './jpegLosslessEncoder'
import { writeDicom, type DicomSpec } from './dicomWriter'
import { HAS_NIH, NIH_256 } from './helpers'

const J2K_LOSSLESS = '1.2.840.10008.1.2.4.90'
const J2K = '1.2.840.10008.1.2.4.91'
const JLS_LOSSLESS = '1.2.840.10008.1.2.4.80'

let png: Uint8Array // 256×256 8-bit pixels of a real NIH image

beforeAll(async () => {
  if (HAS_NIH) png = new Uint8Array(await sharp(join(NIH_256, '00000032_037.png')).greyscale().raw().toBuffer())
})

const spec = (transferSyntax: string, encapsulated: Uint8Array, extra: Partial<DicomSpec> = {}): Uint8Array =>
  writeDicom({
    rows: 256,
    columns: 256,
    photometric: 'MONOCHROME2',
    bitsAllocated: 8,
    bitsStored: 8,
    pixels: [],
    transferSyntax,
    encapsulated,
    ...extra,
  })

function expectExact(decoded: Float32Array, expected: ArrayLike<number>) {
  expect(decoded.length).toBe(expected.length)
  let worst = 0
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(decoded[i] - expected[i]))
  expect(worst).toBe(0)
}

describe.runIf(HAS_NIH)('compressed DICOM from NIH pixels', () => {
  it('JPEG 2000 lossless, 8 bits: every pixel equals the PNG', async () => {
    const stream = await encodeJpeg2000({ width: 256, height: 256, bitsPerSample: 8, pixels: png })
    const image = await decodeDicom(spec(J2K_LOSSLESS, stream), 'j2k8.dcm')
    expect(image).toMatchObject({ width: 256, height: 256, transferSyntax: J2K_LOSSLESS })
    expectExact(image.pixels, png)
  })

  it('JPEG 2000 lossless, 12 of 16 bits, MONOCHROME1: every pixel equals the PNG after inversion', async () => {
    const stored = Array.from(png, (p) => (255 - p) * 16)
    const stream = await encodeJpeg2000({ width: 256, height: 256, bitsPerSample: 12, pixels: stored })
    const image = await decodeDicom(
      spec(J2K_LOSSLESS, stream, { photometric: 'MONOCHROME1', bitsAllocated: 16, bitsStored: 12 }),
      'j2k12.dcm',
    )
    const lo = Math.min(...stored)
    const hi = Math.max(...stored)
    expectExact(
      image.pixels,
      Array.from(stored, (v) => hi + lo - v),
    )
  })

  it('JPEG 2000 lossy (.91) decodes close to the PNG', async () => {
    const stream = await encodeJpeg2000({ width: 256, height: 256, bitsPerSample: 8, pixels: png }, true)
    const image = await decodeDicom(spec(J2K, stream), 'lossy.dcm')
    let sum = 0
    for (let i = 0; i < png.length; i++) sum += Math.abs(image.pixels[i] - png[i])
    expect(sum / png.length).toBeGreaterThan(0)
    expect(sum / png.length).toBeLessThan(3)
  })

  it('JPEG-LS lossless, signed 16 bits with rescale: every pixel equals the PNG mapped', async () => {
    const stored = Array.from(png, (p) => p * 100 - 12000)
    const stream = await encodeJpegLs({ width: 256, height: 256, bitsPerSample: 16, signed: true, pixels: stored })
    const image = await decodeDicom(
      spec(JLS_LOSSLESS, stream, { bitsAllocated: 16, bitsStored: 16, signed: true, slope: 0.5, intercept: 10 }),
      'jls.dcm',
    )
    expectExact(
      image.pixels,
      Array.from(stored, (v) => v * 0.5 + 10),
    )
  })

  it('a garbled or mis-sized frame is a DicomError naming the file and the codec', async () => {
    const stream = await encodeJpeg2000({ width: 256, height: 256, bitsPerSample: 8, pixels: png })
    await expect(decodeDicom(spec(J2K_LOSSLESS, stream.subarray(0, 40)), 'cut.dcm')).rejects.toThrow(/^cut\.dcm: JPEG 2000 Lossless: /)
    await expect(decodeDicom(spec(J2K_LOSSLESS, stream, { rows: 128 }), 'rows.dcm')).rejects.toThrow(
      'rows.dcm: JPEG 2000 Lossless: frame header declares 256×256, but Columns × Rows is 256×128',
    )
    const jls = await encodeJpegLs({ width: 256, height: 256, bitsPerSample: 8, pixels: png })
    const garbled = jls.slice()
    garbled.fill(0xff, 4, 60)
    await expect(decodeDicom(spec(JLS_LOSSLESS, garbled), 'jls.dcm')).rejects.toBeInstanceOf(DicomError)
    await expect(decodeDicom(spec(JLS_LOSSLESS, garbled), 'jls.dcm')).rejects.toThrow(/^jls\.dcm: JPEG-LS Lossless: /)
  })

  it('JPEG Lossless (process 14 SV1), 8, 12 and 16 bits: every pixel equals the PNG', async () => {
    for (const [bits, stored, bitsAllocated] of [
      [8, Array.from(png), 8],
      [12, Array.from(png, (p) => p * 16), 16],
      [16, Array.from(png, (p) => p * 257), 16],
    ] as const) {
      const stream = encodeJpegLossless({ width: 256, height: 256, bitsPerSample: bits, pixels: stored })
      const image = await decodeDicom(spec(JPEG_LOSSLESS_SV1, stream, { bitsAllocated, bitsStored: bits }), `jll${bits}.dcm`)
      expectExact(image.pixels, stored)
    }
  })

  it('a frame header declaring another size than Rows × Columns is refused before the codec allocates', async () => {
    const refusal = (codec: string) => `${codec}: frame header declares 40000×40000, but Columns × Rows is 256×256`
    await expect(decodeDicom(jpegLosslessDeclaring40000(), 'a.dcm')).rejects.toThrow(`a.dcm: ${refusal('JPEG Lossless')}`)
    // The honest header is where a segment walk finds it; the decoder's own walk finds the lie, and is stopped inside.
    await expect(decodeDicom(jpegLosslessHiddenHeader(png), 'b.dcm')).rejects.toThrow(`b.dcm: ${refusal('JPEG Lossless')}`)
    await expect(decodeDicom(await j2kDeclaring40000(png), 'c.dcm')).rejects.toThrow(`c.dcm: ${refusal('JPEG 2000 Lossless')}`)
    await expect(decodeDicom(await jpegLsDeclaring40000(png), 'd.dcm')).rejects.toThrow(`d.dcm: ${refusal('JPEG-LS Lossless')}`)
    const wide = encodeJpegLossless({ width: 256, height: 256, bitsPerSample: 16, pixels: Array.from(png, (p) => p * 257) })
    await expect(decodeDicom(spec(JPEG_LOSSLESS_SV1, wide), 'e.dcm')).rejects.toThrow(
      'e.dcm: JPEG Lossless: frame header declares 16 bits per sample, but BitsAllocated is 8',
    )
  })

  it('a truncated, corrupt JPEG-LS frame is refused promptly (CharLS once spent a minute reading past its end)', async () => {
    const pixels = new Uint8Array(64 * 64).map((_, i) => (i * 7) % 251)
    const stream = (await encodeJpegLs({ width: 64, height: 64, bitsPerSample: 8, pixels })).slice(0, 715)
    stream[30] = 0xee
    const started = performance.now()
    await expect(decodeDicom(spec(JLS_LOSSLESS, stream, { rows: 64, columns: 64 }), 'cut.dcm')).rejects.toThrow(
      /^cut\.dcm: JPEG-LS Lossless: /,
    )
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
