/**
 * Encoders for building compressed DICOM test files in-process, from the same cornerstone codec
 * packages whose decoders the workstation uses (their full builds carry the encoders).
 */
import openjpeg from '@cornerstonejs/codec-openjpeg/wasmjs'
import charls from '@cornerstonejs/codec-charls/wasmjs'

// One module each, made once: Emscripten turns the options object into the module.
const openjpegModule = openjpeg({ print: () => {}, printErr: () => {} })
const charlsModule = charls({ print: () => {}, printErr: () => {} })

export interface RawFrame {
  width: number
  height: number
  bitsPerSample: 8 | 12 | 16
  signed?: boolean
  /** one value per pixel */
  pixels: ArrayLike<number>
}

function sampleBytes(frame: RawFrame): Uint8Array {
  if (frame.bitsPerSample === 8) return Uint8Array.from(frame.pixels)
  const values = frame.signed ? Int16Array.from(frame.pixels) : Uint16Array.from(frame.pixels)
  return new Uint8Array(values.buffer)
}

function run(encoder: WasmEncoder, frame: RawFrame): Uint8Array {
  try {
    const input = encoder.getDecodedBuffer({
      width: frame.width,
      height: frame.height,
      bitsPerSample: frame.bitsPerSample,
      componentCount: 1,
      isSigned: !!frame.signed,
      isUsingColorTransform: false,
    })
    input.set(sampleBytes(frame))
    encoder.encode()
    return encoder.getEncodedBuffer().slice()
  } finally {
    encoder.delete()
  }
}

/** A J2K codestream: reversible 5/3 wavelet (lossless), or irreversible 9/7 quantized (lossy). */
export async function encodeJpeg2000(frame: RawFrame, lossy = false): Promise<Uint8Array> {
  const codec = await openjpegModule
  const encoder = new codec.J2KEncoder() as WasmEncoder & { setQuality(lossless: boolean, quantizationStep: number): void }
  if (lossy) encoder.setQuality(false, 0.01)
  return run(encoder, frame)
}

/** A JPEG-LS stream; lossless unless near > 0. */
export async function encodeJpegLs(frame: RawFrame, near = 0): Promise<Uint8Array> {
  const codec = await charlsModule
  const encoder = new codec.JpegLSEncoder()
  if (near) encoder.setNearLossless(near)
  return run(encoder, frame)
}
