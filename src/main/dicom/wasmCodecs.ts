import openjpeg from '@cornerstonejs/codec-openjpeg/decodewasmjs'
import charls from '@cornerstonejs/codec-charls/decodewasmjs'
import { checkGeometry, j2kSizHeader, jpegFrameHeader, type ExpectedFrame } from './codestreamHeaders'

/**
 * JPEG 2000 (OpenJPEG) and JPEG-LS (CharLS) decoders, compiled to WebAssembly by the cornerstone
 * codecs. The packages stay external to the bundle: each loads its .wasm beside its own script,
 * which works from node_modules and from inside app.asar (Electron's fs reads the archive).
 */
export type WasmCodec = 'jpeg2000' | 'jpegls'

// The codecs print progress lines on stdout, which would corrupt the CLI's --json output. A fresh
// object per module: Emscripten turns the options object into the module itself.
const quiet = () => ({ print: () => {}, printErr: () => {} })
const modules = new Map<WasmCodec, Promise<new () => WasmDecoder>>()

function decoderClass(codec: WasmCodec): Promise<new () => WasmDecoder> {
  let loaded = modules.get(codec)
  if (!loaded) {
    loaded = codec === 'jpeg2000' ? openjpeg(quiet()).then((m) => m.J2KDecoder) : charls(quiet()).then((m) => m.JpegLSDecoder)
    modules.set(codec, loaded)
  }
  return loaded
}

export interface DecodedFrame {
  width: number
  height: number
  /** one sample per pixel: Uint8Array for ≤ 8 bits per sample, else Uint16Array (signed values in two's complement) */
  samples: Uint8Array | Uint16Array
}

/**
 * A JPEG-LS frame that ends without its EOI marker (truncated, or cut by a hostile file) gets one:
 * CharLS reads past the end of such a stream and, on corrupt data, spent a minute on a 64×64
 * frame (tests/unit/robustness.test.ts); at a marker it stops. A trailing pad byte is allowed.
 */
function withEndOfImage(frame: Uint8Array): Uint8Array {
  let end = frame.length
  while (end > 0 && frame[end - 1] === 0) end-- // DICOM pads fragments to an even length
  if (end >= 2 && frame[end - 2] === 0xff && frame[end - 1] === 0xd9) return frame
  const closed = new Uint8Array(frame.length + 2)
  closed.set(frame)
  closed.set([0xff, 0xd9], frame.length)
  return closed
}

/**
 * Decodes one encapsulated frame. Throws a plain Error describing the problem; the caller names the
 * file. The codestream header (J2K SIZ, JPEG-LS SOF55) must declare the expected size before the
 * codec may allocate for it. OpenJPEG does not throw on a garbled stream, so the frame's size is
 * what proves a decode.
 */
export async function decodeWasmFrame(codec: WasmCodec, frame: Uint8Array, expected: ExpectedFrame): Promise<DecodedFrame> {
  const header = codec === 'jpeg2000' ? j2kSizHeader(frame) : jpegFrameHeader(frame)
  if (codec === 'jpegls' && header.marker !== 0xf7) throw new Error('the frame is not JPEG-LS (no SOF55 frame header)')
  checkGeometry(header, expected)
  if (codec === 'jpegls') frame = withEndOfImage(frame)
  const Decoder = await decoderClass(codec)
  const decoder = new Decoder()
  try {
    decoder.getEncodedBuffer(frame.length).set(frame)
    try {
      decoder.decode()
    } catch {
      // CharLS throws a WASM exception pointer, not an Error: there is no message to keep.
      throw new Error('the frame could not be decoded')
    }
    const info = decoder.getFrameInfo()
    if (!info.width || !info.height) throw new Error('the frame could not be decoded')
    if (info.componentCount !== 1) throw new Error(`the frame has ${info.componentCount} components, not 1`)
    const decoded = decoder.getDecodedBuffer()
    const bytesPerSample = info.bitsPerSample <= 8 ? 1 : 2
    if (decoded.length < info.width * info.height * bytesPerSample) throw new Error('the frame could not be decoded')
    // Copy out of WASM memory: the view dies with the decoder.
    const copy = decoded.slice(0, info.width * info.height * bytesPerSample)
    const samples = bytesPerSample === 1 ? copy : new Uint16Array(copy.buffer, copy.byteOffset, info.width * info.height)
    return { width: info.width, height: info.height, samples }
  } finally {
    decoder.delete()
  }
}
