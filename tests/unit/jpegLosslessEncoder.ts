/**
 * A minimal JPEG Lossless (ITU T.81 Annex H, process 14, first-order prediction) encoder for
 * building test frames: one component, predictor 1, one fixed Huffman table (every difference
 * category 0–16 a 5-bit code). No package ships an encoder, and the decoder must be tested on real
 * frames as well as on hostile headers.
 */

export interface LosslessFrame {
  width: number
  height: number
  bitsPerSample: number
  /** one value per pixel, 0 … 2^bits − 1 (two's complement for signed data) */
  pixels: ArrayLike<number>
  /** the size written in the SOF3 header, when it is to lie about the pixels */
  declare?: { width: number; height: number }
}

class BitWriter {
  readonly bytes: number[] = []
  private current = 0
  private count = 0

  write(value: number, bits: number) {
    for (let i = bits - 1; i >= 0; i--) {
      this.current = (this.current << 1) | ((value >> i) & 1)
      if (++this.count === 8) this.flushByte()
    }
  }

  private flushByte() {
    this.bytes.push(this.current)
    if (this.current === 0xff) this.bytes.push(0x00) // byte stuffing
    this.current = 0
    this.count = 0
  }

  finish(): number[] {
    while (this.count !== 0) this.write(1, 1) // pad with ones
    return this.bytes
  }
}

const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff]

export function encodeJpegLossless(frame: LosslessFrame): Uint8Array {
  const { width, height, bitsPerSample: p } = frame
  const bits = new BitWriter()
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x
      const value = frame.pixels[i] & 0xffff
      const prediction =
        x === 0 && y === 0
          ? 1 << (p - 1)
          : y === 0
            ? frame.pixels[i - 1] & 0xffff
            : x === 0
              ? frame.pixels[i - width] & 0xffff
              : frame.pixels[i - 1] & 0xffff
      let diff = (value - prediction) & 0xffff // modulo 2^16 (H.1.2.1)
      if (diff > 0x8000) diff -= 0x10000
      const ssss = diff === 0 ? 0 : diff === 0x8000 ? 16 : 32 - Math.clz32(Math.abs(diff))
      bits.write(ssss, 5)
      if (ssss > 0 && ssss < 16) bits.write(diff > 0 ? diff : diff + (1 << ssss) - 1, ssss)
    }
  }
  // One spare byte after the padded data: jpeg-lossless-decoder-js reads ahead and loses the last
  // sample when the entropy-coded data ends exactly at the EOI marker.
  const data = [...bits.finish(), 0x00]
  const declared = frame.declare ?? { width, height }
  const sof = [0xff, 0xc3, ...u16(11), p, ...u16(declared.height), ...u16(declared.width), 1, 1, 0x11, 0]
  const symbols = Array.from({ length: 17 }, (_, i) => i)
  const counts = Array.from({ length: 16 }, (_, i) => (i === 4 ? 17 : 0))
  const dht = [0xff, 0xc4, ...u16(2 + 1 + 16 + symbols.length), 0x00, ...counts, ...symbols]
  const sos = [0xff, 0xda, ...u16(8), 1, 1, 0x00, 1, 0, 0]
  return Uint8Array.from([0xff, 0xd8, ...sof, ...dht, ...sos, ...data, 0xff, 0xd9])
}
