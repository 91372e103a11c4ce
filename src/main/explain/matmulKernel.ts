import * as ort from 'onnxruntime-node'

/**
 * One matrix product, Y[C×N] = W[C×K] · A[K×N], run by ONNX Runtime's optimized CPU kernel. Every
 * CAM-family map is such a product (per-class channel weights times the flattened feature map);
 * for 14 findings × 1280 channels × 49 cells a plain JS loop costs milliseconds, ORT a fraction.
 * The two-input graph is written here as ONNX protobuf bytes, so no model file is involved.
 */
function varint(value: number): number[] {
  const out: number[] = []
  while (value > 127) {
    out.push((value & 0x7f) | 0x80)
    value = Math.floor(value / 128)
  }
  out.push(value)
  return out
}

function field(number: number, payload: number[] | string): number[] {
  const bytes = typeof payload === 'string' ? Array.from(new TextEncoder().encode(payload)) : payload
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes]
}

function intField(number: number, value: number): number[] {
  return [...varint(number << 3), ...varint(value)]
}

/** ValueInfoProto for a float matrix with symbolic dims. */
function matrixInfo(name: string, rows: string, cols: string): number[] {
  const dim = (param: string) => field(1, field(2, param))
  const shape = [...dim(rows), ...dim(cols)]
  const tensorType = [...intField(1, 1), ...field(2, shape)]
  return [...field(1, name), ...field(2, field(1, tensorType))]
}

export function matmulModelBytes(): Uint8Array {
  const node = [...field(1, 'W'), ...field(1, 'A'), ...field(2, 'Y'), ...field(3, 'cam_matmul'), ...field(4, 'MatMul')]
  const graph = [
    ...field(1, node),
    ...field(2, 'cam_weighting'),
    ...field(11, matrixInfo('W', 'C', 'K')),
    ...field(11, matrixInfo('A', 'K', 'N')),
    ...field(12, matrixInfo('Y', 'C', 'N')),
  ]
  const opset = [...field(1, ''), ...intField(2, 17)]
  return Uint8Array.from([...intField(1, 8), ...field(2, 'cxr-lens'), ...field(7, graph), ...field(8, opset)])
}

let session: Promise<ort.InferenceSession> | null = null

function kernel(): Promise<ort.InferenceSession> {
  return (session ??= ort.InferenceSession.create(matmulModelBytes(), { executionProviders: ['cpu'], intraOpNumThreads: 1 }))
}

/** Y = W · A with W [rows × inner] and A [inner × cols], both row-major. */
export async function matmul(w: Float32Array, rows: number, a: Float32Array, inner: number, cols: number): Promise<Float32Array> {
  const out = await (await kernel()).run({ W: new ort.Tensor('float32', w, [rows, inner]), A: new ort.Tensor('float32', a, [inner, cols]) })
  return out.Y.data as Float32Array
}
