// Type declarations for the DICOM codec packages, which ship none (or name a file they do not ship).
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(buffer: ArrayBuffer, offset?: number, length?: number, numBytes?: number): ArrayBuffer
  }
}

/** The Emscripten module shape shared by the cornerstone WASM codecs (decoders and encoders). */
declare interface WasmFrameInfo {
  width: number
  height: number
  bitsPerSample: number
  componentCount: number
  isSigned?: boolean
}
declare interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array
  decode(): void
  getFrameInfo(): WasmFrameInfo
  getDecodedBuffer(): Uint8Array
  delete(): void
}
declare interface WasmEncoder {
  getDecodedBuffer(frame: WasmFrameInfo & { isUsingColorTransform?: boolean }): Uint8Array
  encode(): void
  getEncodedBuffer(): Uint8Array
  delete(): void
}
declare interface WasmModuleOptions {
  print?: (text: string) => void
  printErr?: (text: string) => void
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options?: WasmModuleOptions) => Promise<{ J2KDecoder: new () => WasmDecoder }>
  export default factory
}
declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  const factory: (options?: WasmModuleOptions) => Promise<{ J2KDecoder: new () => WasmDecoder; J2KEncoder: new () => WasmEncoder }>
  export default factory
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: WasmModuleOptions) => Promise<{ JpegLSDecoder: new () => WasmDecoder }>
  export default factory
}
declare module '@cornerstonejs/codec-charls/wasmjs' {
  const factory: (
    options?: WasmModuleOptions,
  ) => Promise<{ JpegLSDecoder: new () => WasmDecoder; JpegLSEncoder: new () => WasmEncoder & { setNearLossless(n: number): void } }>
  export default factory
}
