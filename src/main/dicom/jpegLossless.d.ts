// The package names a types file it does not ship; this is the one class used here.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(buffer: ArrayBuffer, offset?: number, length?: number, numBytes?: number): ArrayBuffer
  }
}
