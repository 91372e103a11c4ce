/**
 * The writing half of the ONNX protobuf code: just enough to build tiny compute graphs (the matrix
 * kernels) and to tap an intermediate tensor of a model by listing it as an extra graph output.
 */
export function varint(value: number): number[] {
  const out: number[] = []
  while (value > 127) {
    out.push((value & 0x7f) | 0x80)
    value = Math.floor(value / 128)
  }
  out.push(value)
  return out
}

/** A length-delimited field (wire type 2). */
export function field(number: number, payload: number[] | string): number[] {
  const bytes = typeof payload === 'string' ? Array.from(new TextEncoder().encode(payload)) : payload
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes]
}

/** A varint field (wire type 0). */
export function intField(number: number, value: number): number[] {
  return [...varint(number << 3), ...varint(value)]
}

const FLOAT = 1
const ATTRIBUTE_INT = 2

/** ValueInfoProto of a float tensor; `dims` are symbolic names or fixed sizes, omitted for unknown rank. */
export function floatValueInfo(name: string, dims?: Array<string | number>): number[] {
  const shape = dims?.flatMap((d) => field(1, typeof d === 'string' ? field(2, d) : intField(1, d))) ?? null
  const tensorType = [...intField(1, FLOAT), ...(shape ? field(2, shape) : [])]
  return [...field(1, name), ...field(2, field(1, tensorType))]
}

/** NodeProto with integer attributes. */
export function nodeProto(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attributes: Record<string, number> = {},
): number[] {
  const attrs = Object.entries(attributes).flatMap(([key, value]) =>
    field(5, [...field(1, key), ...intField(3, value), ...intField(20, ATTRIBUTE_INT)]),
  )
  return [...inputs.flatMap((i) => field(1, i)), ...outputs.flatMap((o) => field(2, o)), ...field(3, name), ...field(4, opType), ...attrs]
}

/** ModelProto (IR 8, default opset 17) around one graph. */
export function modelProto(graph: { name: string; nodes: number[][]; inputs: number[][]; outputs: number[][] }): Uint8Array {
  const body = [
    ...graph.nodes.flatMap((n) => field(1, n)),
    ...field(2, graph.name),
    ...graph.inputs.flatMap((i) => field(11, i)),
    ...graph.outputs.flatMap((o) => field(12, o)),
  ]
  const opset = [...field(1, ''), ...intField(2, 17)]
  return Uint8Array.from([...intField(1, 8), ...field(2, 'cxr-lens'), ...field(7, body), ...field(8, opset)])
}

function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0
  let scale = 1
  for (;;) {
    if (pos >= bytes.length) throw new Error('truncated varint')
    const byte = bytes[pos++]
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return { value, next: pos }
    scale *= 128
  }
}

/**
 * A copy of a model whose graph also lists `names` as outputs, so a session can return tensors the
 * exporter kept internal (e.g. the activations entering the last block). Everything else, weights
 * included, is byte-for-byte the original; the graph field is re-framed with its new length.
 */
export function addGraphOutputs(model: Uint8Array, names: string[]): Uint8Array {
  let pos = 0
  while (pos < model.length) {
    const start = pos
    const tag = readVarint(model, pos)
    const wire = tag.value & 7
    const fieldNumber = Math.floor(tag.value / 8)
    if (wire === 0) pos = readVarint(model, tag.next).next
    else if (wire === 1) pos = tag.next + 8
    else if (wire === 5) pos = tag.next + 4
    else if (wire === 2) {
      const length = readVarint(model, tag.next)
      const end = length.next + length.value
      if (end > model.length) throw new Error('truncated ONNX model')
      if (fieldNumber === 7) {
        const extra = Uint8Array.from(names.flatMap((name) => field(12, floatValueInfo(name))))
        const header = Uint8Array.from([...varint((7 << 3) | 2), ...varint(length.value + extra.length)])
        const out = new Uint8Array(start + header.length + length.value + extra.length + (model.length - end))
        out.set(model.subarray(0, start), 0)
        out.set(header, start)
        out.set(model.subarray(length.next, end), start + header.length)
        out.set(extra, start + header.length + length.value)
        out.set(model.subarray(end), start + header.length + length.value + extra.length)
        return out
      }
      pos = end
    } else throw new Error(`unsupported wire type ${wire} in ONNX model`)
  }
  throw new Error('no graph found: not an ONNX model')
}
